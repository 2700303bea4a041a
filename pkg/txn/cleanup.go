package txn

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// CleanupOptions select what cleanup looks at.
type CleanupOptions struct {
	// MinAge leaves alone pending transactions whose log is younger.
	MinAge time.Duration
	// DryRun decides nothing and writes nothing: it reports what it would do.
	DryRun bool
	// Partitions limits cleanup to a partition range (default all).
	Partitions *PartitionRange
	// UKey limits cleanup to one account.
	UKey string
	// Concurrency is the number of accounts cleaned at once (default 4).
	Concurrency int
	// LockWait bounds how long to wait for an account's lock (default the
	// lock TTL + grace: enough to steal an expired one).
	LockWait time.Duration
}

// CleanupReport says what cleanup did (or, in a dry run, would do).
type CleanupReport struct {
	Accounts      int      `json:"accounts"`
	RolledForward int      `json:"rolled_forward"`
	RolledBack    int      `json:"rolled_back"`
	Undecided     int      `json:"undecided"`
	Busy          int      `json:"busy"`
	StaleLocks    int      `json:"stale_locks"`
	Amount        int64    `json:"amount_rolled_forward"`
	DryRun        bool     `json:"dry_run,omitempty"`
	Errors        []string `json:"errors,omitempty"`
}

func (r *CleanupReport) add(o CleanupReport) {
	r.Accounts += o.Accounts
	r.RolledForward += o.RolledForward
	r.RolledBack += o.RolledBack
	r.Undecided += o.Undecided
	r.Busy += o.Busy
	r.StaleLocks += o.StaleLocks
	r.Amount += o.Amount
	r.Errors = append(r.Errors, o.Errors...)
}

// Clean reports whether nothing was left pending or failed.
func (r *CleanupReport) Clean() bool { return r.Undecided == 0 && r.Busy == 0 && len(r.Errors) == 0 }

// Cleanup finishes failed transactions: for every account with pending
// entries (or a stale lock) it takes the account's lock, decides each
// pending transaction at its primary (rolling forward the committed ones
// and rolling back the rest, leaving tombstones that fence late writers),
// and writes the result in one generation-checked release. It is
// idempotent and safe beside live traffic and other cleaners.
func (m *Manager) Cleanup(ctx context.Context, opts CleanupOptions) (*CleanupReport, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.LockWait <= 0 {
		cfg := m.locker.Config()
		opts.LockWait = cfg.TTL + cfg.Grace + 50*time.Millisecond
	}
	report := &CleanupReport{DryRun: opts.DryRun}
	if opts.UKey != "" {
		report.add(m.cleanAccount(ctx, opts.UKey, opts))
		return report, nil
	}
	r := AllPartitions
	if opts.Partitions != nil {
		r = *opts.Partitions
	}
	var mu sync.Mutex
	filter := as.ExpOr(as.ExpBinExists(lock.BinPending), as.ExpBinExists(lock.BinLock))
	err := m.eachAccountConcurrently(ctx, r, filter, opts.Concurrency, func(ukey string) {
		rep := m.cleanAccount(ctx, ukey, opts)
		mu.Lock()
		report.add(rep)
		mu.Unlock()
	})
	if err != nil {
		return report, fmt.Errorf("cleanup: %w", err)
	}
	return report, nil
}

// cleanAccount resolves the pending entries of one account.
func (m *Manager) cleanAccount(ctx context.Context, ukey string, opts CleanupOptions) (rep CleanupReport) {
	rep.Accounts = 1
	fail := func(err error) CleanupReport {
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", ukey, err))
		return rep
	}
	cleaner := "cln-" + m.newID()
	lk, err := m.locker.Acquire(ctx, ukey, cleaner, lock.WithoutPending(),
		lock.WithOps(as.GetBinOp(lock.BinPending)), lock.WithMaxWait(opts.LockWait), lock.WithTTL(maintenanceLockTTL))
	switch {
	case errors.Is(err, lock.ErrHeld), errors.Is(err, lock.ErrWaitTooLong):
		rep.Busy = 1 // a live transaction holds it: next round
		return rep
	case errors.Is(err, lock.ErrNoRecord):
		rep.Accounts = 0
		return rep
	case err != nil:
		return fail(err)
	}
	if lk.Stolen {
		rep.StaleLocks = 1
	}
	entries := lock.StringList(lk.Record[lock.BinPending])
	var done []any
	var forward int64
	var decided []decidedLeg
	for _, e := range entries {
		eukey, txnid, err := lock.ParseEntry(e)
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", ukey, err))
			continue
		}
		dec, l, err := m.decideEntry(ctx, eukey, txnid, opts.MinAge, opts.DryRun)
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", e, err))
			continue
		}
		switch dec {
		case Committed:
			forward += l.Amt
			rep.RolledForward++
			rep.Amount += l.Amt
		case Aborted:
			rep.RolledBack++
		default:
			rep.Undecided++
			continue
		}
		done = append(done, e)
		decided = append(decided, decidedLeg{ukey: eukey, txnid: txnid, dec: dec, log: l})
	}
	if opts.DryRun {
		_, _ = m.locker.Release(ctx, lk)
		return rep
	}
	var ops []*as.Operation
	if len(done) > 0 {
		if len(done) == len(entries) {
			ops = append(ops, as.PutOp(as.NewBin(lock.BinPending, nil)))
		} else {
			ops = append(ops, as.ListRemoveByValueListOp(lock.BinPending, done, as.ListReturnTypeNone))
		}
	}
	if forward != 0 {
		ops = append(ops, as.AddOp(as.NewBin(BinBalance, forward)))
	}
	if _, err := m.locker.Release(ctx, lk, ops...); err != nil {
		// Nothing applied (generation check): the next round redoes it.
		rep.RolledForward, rep.RolledBack, rep.Amount = 0, 0, 0
		return fail(err)
	}
	m.finalizeLogs(ctx, decided)
	return rep
}

type decidedLeg struct {
	ukey, txnid string
	dec         Decision
	log         *LogRecord
}

// finalizeLogs records the decision on leg logs still marked pending, so
// that readers need not consult the primary (best effort).
func (m *Manager) finalizeLogs(ctx context.Context, legs []decidedLeg) {
	for _, d := range legs {
		if d.log == nil || d.log.Status != StatusPending {
			continue
		}
		st := StatusAborted
		if d.dec == Committed {
			st = StatusCommitted
		}
		m.markLogs(ctx, d.txnid, []Leg{{UKey: d.ukey}}, st)
	}
}

// CleanupService runs Cleanup every period until ctx is done, calling
// report after each round (the prototype's clnsvc).
func (m *Manager) CleanupService(ctx context.Context, opts CleanupOptions, period time.Duration, report func(*CleanupReport, error)) error {
	for {
		rep, err := m.Cleanup(ctx, opts)
		if report != nil {
			report(rep, err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err := m.cfg.Clock.Sleep(ctx, period); err != nil {
			return nil
		}
	}
}
