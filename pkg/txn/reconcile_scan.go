package txn

import (
	"bytes"
	"context"
	"sync"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// This file is the scan-first reconciliation (docs/protocol.md §11.1): a
// first pass proves most accounts balanced from two scans and two batch
// reads, without a lock; every other account is reconciled exactly
// (reconcileAccount), so that its verdict is the exact path's.

// ReconcileMode selects how Reconcile checks the accounts of a range.
type ReconcileMode int

// Reconcile modes.
const (
	// ReconcileScanFirst runs the first pass, then checks exactly only the
	// accounts it could not prove balanced (the default).
	ReconcileScanFirst ReconcileMode = iota
	// ReconcileExact locks every account and queries its logs.
	ReconcileExact
)

func (m ReconcileMode) String() string {
	if m == ReconcileExact {
		return "exact"
	}
	return "scan-first"
}

// LogAccountPartition is the log bin holding the partition id of its
// account's key, written when the log is created (logBins): the first pass
// of a partition range scans only the logs of the range's accounts. Logs
// without it (prototype logs, tombstones, logs of earlier versions) are
// read by every range.
const LogAccountPartition = "apid"

// accountPartition is the partition of ukey's account record (nil, so no
// bin, if the key cannot be made: not for a string).
func (m *Manager) accountPartition(ukey string) any {
	k, err := as.NewKey(m.cfg.Namespace, m.cfg.Set, ukey)
	if err != nil {
		return nil
	}
	return k.PartitionId()
}

// Stages of the first pass at which a test hook runs.
const (
	stageRead = "read" // every account read (t1), the log scan not started
	stageLogs = "logs" // the log scan done, the re-read (t2) not started
)

// lutBin names the account's last-update time in the first pass's reads.
const lutBin = "lut"

// firstPassBatch is the number of accounts per batch read.
const firstPassBatch = 1000

// scanAccount is one account of the first pass.
type scanAccount struct {
	ukey   string
	key    *as.Key
	bal    int64
	gen    uint32
	lut    int64
	logged int64 // Σ amt of its logs seen committed
	logs   int   // its logs seen, all final
	exact  bool  // to be checked exactly
}

// firstPass is the state of one first pass over a partition range.
type firstPass struct {
	m     *Manager
	r     PartitionRange
	opts  ReconcileOptions
	byKey map[string]*scanAccount
	order []*scanAccount // in scan order
}

// reconcileScanFirst reconciles the accounts of r: the first pass, then
// the exact path for every account it did not prove balanced.
func (m *Manager) reconcileScanFirst(ctx context.Context, r PartitionRange, opts ReconcileOptions, report *ReconcileReport) error {
	p := &firstPass{m: m, r: r, opts: opts, byKey: map[string]*scanAccount{}}
	scanErr := p.run(ctx)
	var exact []string
	for _, a := range p.order {
		if a.exact {
			exact = append(exact, a.ukey)
			continue
		}
		report.add(AccountReport{UKey: a.ukey, Balance: a.bal, Logged: a.logged, Logs: a.logs, Balanced: true}, opts.KeepBalanced)
		report.Proved++
	}
	var mu sync.Mutex
	m.reconcileEach(ctx, exact, opts, func(a AccountReport) {
		mu.Lock()
		report.add(a, opts.KeepBalanced)
		report.Exact++
		mu.Unlock()
	})
	if scanErr == nil {
		scanErr = ctx.Err() // cancelled: some accounts were not reconciled
	}
	return scanErr
}

// run runs the first pass; an account it cannot prove is marked exact.
// Only a failed account scan is an error (as for the exact path).
func (p *firstPass) run(ctx context.Context) error {
	// a. The accounts of the range; those with pending entries or a lock
	// go to the exact path at once.
	if err := p.scanAccounts(ctx); err != nil {
		p.allExact()
		return err
	}
	// Their state at t1: bal, entries, lock, generation, last update.
	p.readAccounts(ctx, true)
	p.hook(stageRead)
	// b. Their logs, seen after t1.
	if err := p.scanLogs(ctx); err != nil {
		p.allExact() // nothing proved: every account is checked exactly
		return nil
	}
	p.hook(stageLogs)
	// c. Unchanged since t1 (t2)?
	p.readAccounts(ctx, false)
	for _, a := range p.order {
		if !a.exact && a.logged != a.bal {
			a.exact = true
		}
	}
	return nil
}

func (p *firstPass) hook(stage string) {
	if p.opts.hook != nil {
		p.opts.hook(stage)
	}
}

func (p *firstPass) allExact() {
	for _, a := range p.order {
		a.exact = true
	}
}

func (p *firstPass) scanAccounts(ctx context.Context) error {
	m := p.m
	return m.scan(ctx, m.cfg.Set, p.r, nil, []string{BinName, lock.BinPending, lock.BinLock}, func(rec *as.Record) error {
		a := &scanAccount{ukey: accountUKey(rec)}
		p.order = append(p.order, a)
		if prev := p.byKey[a.ukey]; prev != nil {
			// One ukey, two records (by hand): exact, as often as listed.
			prev.exact, a.exact = true, true
			return nil
		}
		p.byKey[a.ukey] = a
		k, err := as.NewKey(m.cfg.Namespace, m.cfg.Set, a.ukey)
		// The exact path locks the record of the ukey: prove only an
		// account that is that record (so its logs carry its partition).
		if a.ukey == "" || err != nil || rec.Key == nil || !bytes.Equal(k.Digest(), rec.Key.Digest()) {
			a.exact = true
			return nil
		}
		a.key = k
		a.exact = hasEntries(rec.Bins[lock.BinPending]) || rec.Bins[lock.BinLock] != nil
		return nil
	})
}

// hasEntries reports whether a ptxns value may hold an entry (anything but
// absent or an empty list).
func hasEntries(v any) bool {
	if v == nil {
		return false
	}
	l, ok := v.([]any)
	return !ok || len(l) > 0
}

// readAccounts batch-reads the accounts not yet marked exact: at t1
// (first) their balance, entries, lock, generation and last-update time;
// at t2 their generation and last-update time, which must be as at t1.
// An account that cannot be read, or does not qualify, is marked exact.
func (p *firstPass) readAccounts(ctx context.Context, first bool) {
	m := p.m
	var todo []*scanAccount
	for _, a := range p.order {
		if !a.exact {
			todo = append(todo, a)
		}
	}
	ops := []*as.Operation{as.ExpReadOp(lutBin, as.ExpLastUpdate(), as.ExpReadFlagDefault)}
	if first {
		ops = append(ops, as.GetBinOp(BinBalance), as.GetBinOp(lock.BinPending), as.GetBinOp(lock.BinLock))
	}
	bp := m.cfg.batchPolicy()
	bp.MaxRetries = 2 // reads: safe to repeat
	chunks := make(chan []*scanAccount)
	var wg sync.WaitGroup
	for i := 0; i < max(1, p.opts.Concurrency); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := range chunks {
				p.readChunk(bp, chunk, ops, first)
			}
		}()
	}
	for i := 0; i < len(todo); i += firstPassBatch {
		if ctx.Err() != nil {
			for _, a := range todo[i:] {
				a.exact = true
			}
			break
		}
		chunks <- todo[i:min(i+firstPassBatch, len(todo))]
	}
	close(chunks)
	wg.Wait()
}

func (p *firstPass) readChunk(bp *as.BatchPolicy, chunk []*scanAccount, ops []*as.Operation, first bool) {
	recs := make([]as.BatchRecordIfc, len(chunk))
	for i, a := range chunk {
		recs[i] = as.NewBatchReadOps(nil, a.key, ops...)
	}
	err := p.m.client.BatchOperate(bp, recs)
	for i, a := range chunk {
		br := recs[i].BatchRec()
		if err != nil || br.ResultCode != types.OK || br.Record == nil {
			a.exact = true
			continue
		}
		rec := br.Record
		lut, ok := toInt64(rec.Bins[lutBin])
		if !ok || lut <= 0 {
			a.exact = true // no last-update time: the wrap cannot be told
			continue
		}
		if !first {
			// Unchanged iff generation and last-update time are both as
			// at t1 (§11.1: the generation alone may have wrapped).
			a.exact = rec.Generation != a.gen || lut != a.lut
			continue
		}
		a.gen, a.lut = rec.Generation, lut
		a.bal, _ = toInt64(rec.Bins[BinBalance])
		a.exact = hasEntries(rec.Bins[lock.BinPending]) || rec.Bins[lock.BinLock] != nil
	}
}

// scanLogs sums, per account of the pass, the amounts of its logs marked
// committed; an account with a log not final goes to the exact path.
func (p *firstPass) scanLogs(ctx context.Context) error {
	m := p.m
	return m.scan(ctx, LogSetName(m.cfg.Set), AllPartitions, logsOfRange(p.r), []string{LogUKey, LogAmount, LogStatus}, func(rec *as.Record) error {
		u, _ := rec.Bins[LogUKey].(string)
		a := p.byKey[u]
		if a == nil || a.exact {
			return nil // another range's account (a log without apid), or a missing one
		}
		l, err := decodeLog(rec)
		if err != nil {
			a.exact = true
			return nil
		}
		switch l.Status {
		case StatusCommitted:
			a.logged += l.Amt
		case StatusAborted:
		default:
			a.exact = true
			return nil
		}
		a.logs++
		return nil
	})
}

// logsOfRange selects the logs whose account may lie in r: those whose
// apid is in r, and those without apid (nil for all partitions).
func logsOfRange(r PartitionRange) *as.Expression {
	if r.Begin == 0 && r.Count == PartitionCount {
		return nil
	}
	// The existence test comes first: an expression on a missing bin is
	// unknown, and an "or" is true at its first true operand.
	return as.ExpOr(
		as.ExpNot(as.ExpBinExists(LogAccountPartition)),
		as.ExpAnd(
			as.ExpGreaterEq(as.ExpIntBin(LogAccountPartition), as.ExpIntVal(int64(r.Begin))),
			as.ExpLess(as.ExpIntBin(LogAccountPartition), as.ExpIntVal(int64(r.Begin+r.Count)))))
}

// reconcileEach reconciles ukeys exactly, Concurrency at a time.
func (m *Manager) reconcileEach(ctx context.Context, ukeys []string, opts ReconcileOptions, fn func(AccountReport)) {
	work := make(chan string)
	var wg sync.WaitGroup
	for i := 0; i < max(1, opts.Concurrency); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				fn(m.reconcileAccount(ctx, u, opts))
			}
		}()
	}
	for _, u := range ukeys {
		if ctx.Err() != nil {
			break
		}
		work <- u
	}
	close(work)
	wg.Wait()
}
