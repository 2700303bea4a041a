package txn

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// ReconcileOptions select what to reconcile.
type ReconcileOptions struct {
	// UKey reconciles one account; otherwise every account in Partitions.
	UKey       string
	Partitions *PartitionRange
	// Concurrency is the number of accounts reconciled at once (default 4).
	Concurrency int
	// LockWait bounds the wait for each account's lock (default long
	// enough to steal an expired maintenance lock of cleanup).
	LockWait time.Duration
	// KeepBalanced keeps balanced accounts in the report (default: only
	// the unbalanced and unlockable ones are listed).
	KeepBalanced bool
	// Mode: ReconcileScanFirst (default) or ReconcileExact. UKey is
	// always reconciled exactly.
	Mode ReconcileMode

	hook func(stage string) // tests: runs at each stage of the first pass
}

// AccountReport is the reconciliation of one account: its balance against
// the committed amounts of its logs, pending amounts apart.
type AccountReport struct {
	UKey    string `json:"ukey"`
	Balance int64  `json:"bal"`
	Logged  int64  `json:"log_amt"`
	Pending int64  `json:"pend_amt"`
	Logs    int    `json:"logs"`
	// NonFinal counts logs still marked pending (their run undecided, or
	// decided but not yet recorded on this log): none after cleanup.
	NonFinal  int    `json:"non_final,omitempty"`
	Balanced  bool   `json:"balanced"`
	LockError string `json:"lock_error,omitempty"`
}

// ReconcileReport sums up a reconciliation.
type ReconcileReport struct {
	Partitions   PartitionRange `json:"partitions"`
	Checked      int            `json:"checked"`
	Balanced     int            `json:"balanced"`
	Unbalanced   []string       `json:"unbalanced"`
	LockFailed   []string       `json:"lock_failed"`
	TotalBalance int64          `json:"total_bal"`
	TotalLogged  int64          `json:"total_log_amt"`
	TotalPending int64          `json:"total_pend_amt"`
	// NonFinalLogs counts logs still marked pending (see AccountReport).
	NonFinalLogs int `json:"non_final_logs"`
	// Proved counts the accounts the first pass proved balanced without
	// a lock; Exact those reconciled with their lock (Checked = Proved +
	// Exact).
	Proved   int             `json:"proved"`
	Exact    int             `json:"exact"`
	Accounts []AccountReport `json:"accounts,omitempty"`
}

// Conserved reports the global check: the balances sum to the committed
// log amounts.
func (r *ReconcileReport) Conserved() bool { return r.TotalBalance == r.TotalLogged }

// Verdict is the prototype's one-line verdict.
func (r *ReconcileReport) Verdict() string {
	switch {
	case len(r.Unbalanced) > 0:
		return fmt.Sprintf("Unbalanced records found: %v", r.Unbalanced)
	case len(r.LockFailed) > 0 && r.Checked == len(r.LockFailed):
		return fmt.Sprintf("Failed to lock some records: %v", r.LockFailed)
	case len(r.LockFailed) > 0:
		return "Reconciled; except for failed locks"
	}
	return "Reconciled"
}

// OK reports a clean reconciliation: every account locked and balanced, and
// the total conserved.
func (r *ReconcileReport) OK() bool {
	return len(r.Unbalanced) == 0 && len(r.LockFailed) == 0 && r.Conserved()
}

// Merge adds another worker's report (for a split partition range).
func (r *ReconcileReport) Merge(o *ReconcileReport) {
	r.Checked += o.Checked
	r.Balanced += o.Balanced
	r.Unbalanced = append(r.Unbalanced, o.Unbalanced...)
	r.LockFailed = append(r.LockFailed, o.LockFailed...)
	r.TotalBalance += o.TotalBalance
	r.TotalLogged += o.TotalLogged
	r.TotalPending += o.TotalPending
	r.NonFinalLogs += o.NonFinalLogs
	r.Proved += o.Proved
	r.Exact += o.Exact
	r.Accounts = append(r.Accounts, o.Accounts...)
	sort.Strings(r.Unbalanced)
	sort.Strings(r.LockFailed)
}

func (r *ReconcileReport) add(a AccountReport, keep bool) {
	r.Checked++
	if a.LockError != "" {
		r.LockFailed = append(r.LockFailed, a.UKey)
	} else {
		r.TotalBalance += a.Balance
		r.TotalLogged += a.Logged
		r.TotalPending += a.Pending
		r.NonFinalLogs += a.NonFinal
		if a.Balanced {
			r.Balanced++
		} else {
			r.Unbalanced = append(r.Unbalanced, a.UKey)
		}
	}
	if keep || !a.Balanced {
		r.Accounts = append(r.Accounts, a)
	}
}

// Reconcile checks accounts against their logs while traffic goes on. In
// the exact mode each account is locked briefly (without a pending entry)
// so that its balance, its pending entries and its logs are read as of one
// moment. The scan-first mode (default) first proves balanced, without
// locks, the accounts that were quiet during a scan of the range's logs
// (docs/protocol.md §11.1) and checks only the others so.
func (m *Manager) Reconcile(ctx context.Context, opts ReconcileOptions) (*ReconcileReport, error) {
	opts = m.reconcileDefaults(opts)
	r := AllPartitions
	if opts.Partitions != nil {
		r = *opts.Partitions
	}
	report := &ReconcileReport{Partitions: r, Unbalanced: []string{}, LockFailed: []string{}}
	if opts.UKey != "" {
		report.add(m.reconcileAccount(ctx, opts.UKey, opts), true)
		report.Exact++
		return report, nil
	}
	var err error
	if opts.Mode == ReconcileExact {
		var mu sync.Mutex
		err = m.eachAccountConcurrently(ctx, r, nil, opts.Concurrency, func(ukey string) {
			a := m.reconcileAccount(ctx, ukey, opts)
			mu.Lock()
			report.add(a, opts.KeepBalanced)
			report.Exact++
			mu.Unlock()
		})
	} else {
		err = m.reconcileScanFirst(ctx, r, opts, report)
	}
	sort.Strings(report.Unbalanced)
	sort.Strings(report.LockFailed)
	sort.Slice(report.Accounts, func(i, j int) bool { return report.Accounts[i].UKey < report.Accounts[j].UKey })
	if err != nil {
		return report, fmt.Errorf("reconcile: %w", err)
	}
	return report, nil
}

// reconcileDefaults fills the zero fields of opts.
func (m *Manager) reconcileDefaults(opts ReconcileOptions) ReconcileOptions {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.LockWait <= 0 {
		opts.LockWait = maintenanceLockTTL + m.locker.Config().Grace + 100*time.Millisecond
	}
	return opts
}

// reconcileAccount reconciles one account (consistentReading).
func (m *Manager) reconcileAccount(ctx context.Context, ukey string, opts ReconcileOptions) AccountReport {
	r, err := m.consistentReading(ctx, ukey, opts)
	if err != nil {
		return AccountReport{UKey: ukey, LockError: err.Error()}
	}
	return r.report
}

// accountReading is one consistent reading of an account: its report, and
// the logs it counted, each with its run's decision and whether the
// log's entry was pending on the account.
type accountReading struct {
	report  AccountReport
	logs    []*LogRecord
	fates   []Decision
	pending []bool
}

// consistentReading reads an account as of one moment, retrying when its
// lock is lost mid-read (the prototype could then report a false
// imbalance) or busy.
func (m *Manager) consistentReading(ctx context.Context, ukey string, opts ReconcileOptions) (*accountReading, error) {
	bo := m.backoffer("reconcile " + ukey)
	bo.SetBudget(reconcileTries)
	for {
		r, err := m.reconcileOnce(ctx, ukey, opts)
		if err == nil {
			return r, nil
		}
		// A lost lock, or a release whose outcome is unknown, voids the
		// reading: the account may have changed while it was taken.
		retry := errors.Is(err, lock.ErrLockLost) || errors.Is(err, lock.ErrReleaseUnknown) ||
			errors.Is(err, lock.ErrHeld) || errors.Is(err, lock.ErrWaitTooLong)
		if !retry || bo.Backoff(ctx, err) != nil {
			return nil, err
		}
	}
}

// reconcileTries bounds the readings of one account.
const reconcileTries = 5

// reconcileOnce takes one consistent reading of an account: its balance
// and pending entries (read with its lock), its logs, then a fenced
// release that proves nothing changed the account meanwhile.
func (m *Manager) reconcileOnce(ctx context.Context, ukey string, opts ReconcileOptions) (*accountReading, error) {
	r := &accountReading{report: AccountReport{UKey: ukey}}
	a := &r.report
	lk, err := m.locker.Acquire(ctx, ukey, "rcn-"+m.newID(), lock.WithoutPending(),
		lock.WithOps(as.GetBinOp(BinBalance), as.GetBinOp(lock.BinPending)), lock.WithMaxWait(opts.LockWait), lock.WithTTL(maintenanceLockTTL))
	if err != nil {
		return nil, err
	}
	bal, _ := toInt64(lk.Record[BinBalance])
	a.Balance = bal
	pending := map[string]bool{}
	for _, e := range lock.StringList(lk.Record[lock.BinPending]) {
		pending[e] = true
	}
	logs, err := m.accountLogs(ctx, ukey)
	if err != nil {
		_, _ = m.locker.Release(ctx, lk)
		return nil, err
	}
	primaries := map[string]*LogRecord{} // by txnid, read at most once
	for _, l := range logs {
		entry := pending[LogKey(ukey, l.TxnID)]
		fate := Fate(l, nil)
		if fate == Undecided && !entry && !l.IsPrimary() {
			// Pending without entry: applied iff its run committed. Ask
			// its primary (the log's own status may not be final yet).
			p, ok := primaries[l.TxnID]
			if !ok {
				if p, err = m.primaryOf(ctx, l); err != nil {
					_, _ = m.locker.Release(ctx, lk)
					return nil, err
				}
				primaries[l.TxnID] = p
			}
			fate = Fate(l, p)
		}
		countLog(a, l, entry, fate)
		r.logs, r.fates, r.pending = append(r.logs, l), append(r.fates, fate), append(r.pending, entry)
	}
	// The release is fenced: if anything changed the account while we
	// read its logs, the reading is void and is done again.
	if _, err := m.locker.Release(ctx, lk); err != nil {
		return nil, err
	}
	a.Balanced = a.Balance == a.Logged
	return r, nil
}

// accountLogs returns the logs of an account, found through the secondary
// index on the log set's ukey bin.
func (m *Manager) accountLogs(ctx context.Context, ukey string) ([]*LogRecord, error) {
	stmt := as.NewStatement(m.cfg.Namespace, LogSetName(m.cfg.Set))
	if err := stmt.SetFilter(as.NewEqualFilter(IndexBin, ukey)); err != nil {
		return nil, err
	}
	qp := as.NewQueryPolicy()
	qp.TotalTimeout = 0
	qp.SocketTimeout = m.cfg.Timeout * 5
	qp.MaxRetries = 5
	bo := m.backoffer("logs of " + ukey)
	for {
		logs, err := m.queryLogs(qp, stmt)
		if err == nil {
			return logs, nil
		}
		if lock.HasCode(err, types.INDEX_NOTFOUND) {
			return nil, fmt.Errorf("logs of %s: no index on %s.%s (run `mxn idx`): %w", ukey, LogSetName(m.cfg.Set), IndexBin, err)
		}
		if !lock.Classify(err).Retryable() {
			return nil, fmt.Errorf("logs of %s: %w", ukey, err)
		}
		if err := bo.Backoff(ctx, err); err != nil {
			return nil, err
		}
	}
}

func (m *Manager) queryLogs(qp *as.QueryPolicy, stmt *as.Statement) ([]*LogRecord, error) {
	rs, err := m.client.Query(qp, stmt)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*LogRecord
	for res := range rs.Results() {
		if res.Err != nil {
			return nil, res.Err
		}
		l, err := decodeLog(res.Record)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// EnsureIndex creates the secondary index on the log set's ukey bin if it
// does not exist, and waits until it is ready.
func (m *Manager) EnsureIndex(ctx context.Context) error {
	wp := m.cfg.writePolicy()
	task, err := m.client.CreateIndex(wp, m.cfg.Namespace, LogSetName(m.cfg.Set), IndexName(m.cfg.Set), IndexBin, as.STRING)
	if err != nil {
		if lock.HasCode(err, types.INDEX_FOUND) {
			return nil
		}
		return fmt.Errorf("create index %s: %w", IndexName(m.cfg.Set), err)
	}
	select {
	case err := <-task.OnComplete():
		if err != nil {
			return fmt.Errorf("create index %s: %w", IndexName(m.cfg.Set), err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}
