package txn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// CleanupOptions select what cleanup looks at.
type CleanupOptions struct {
	// MinAge leaves alone pending entries whose log is younger (their
	// account's lock has expired, so their run is stalled or dead).
	MinAge time.Duration
	// SweepAge is how old a pending log without a decision must be before
	// the sweep aborts its run: the sweep sees no lock, so it must wait
	// longer than any live run takes. Default DefaultSweepAge (from the
	// lock TTL and grace); a cleanup after every writer has stopped may
	// use a tiny value.
	SweepAge time.Duration
	// DryRun decides nothing and writes nothing: it reports what it would do.
	DryRun bool
	// Partitions limits cleanup to a partition range (default all).
	Partitions *PartitionRange
	// UKey limits cleanup to one account (and its logs).
	UKey string
	// Concurrency is the number of accounts (and logs) cleaned at once
	// (default 4).
	Concurrency int
	// LockWait bounds how long to wait for an account's lock (default
	// long enough to steal an expired maintenance lock).
	LockWait time.Duration
}

// CleanupReport says what cleanup did (or, in a dry run, would do).
type CleanupReport struct {
	Accounts      int   `json:"accounts"`
	RolledForward int   `json:"rolled_forward"`
	RolledBack    int   `json:"rolled_back"`
	Undecided     int   `json:"undecided"`
	Busy          int   `json:"busy"`
	StaleLocks    int   `json:"stale_locks"`
	Amount        int64 `json:"amount_rolled_forward"`
	// LogsFinalized counts pending logs given their run's final status.
	LogsFinalized int `json:"logs_finalized"`
	// LogsPending counts pending logs left so (their run is younger than
	// SweepAge and may still be live).
	LogsPending int      `json:"logs_pending"`
	DryRun      bool     `json:"dry_run,omitempty"`
	Errors      []string `json:"errors,omitempty"`
	// Rounds counts the cleanup rounds summed into this report (0 for a
	// single Cleanup; see Merge and Verify).
	Rounds int `json:"rounds,omitempty"`
}

// maxMergedErrors bounds the errors a merged report keeps.
const maxMergedErrors = 100

// Merge adds another report (another round, or another partition range):
// every count, including Busy, Undecided and Rounds; errors up to
// maxMergedErrors.
func (r *CleanupReport) Merge(o *CleanupReport) {
	if o == nil {
		return
	}
	r.add(*o)
	r.Rounds += o.Rounds
	r.DryRun = r.DryRun || o.DryRun
	if len(r.Errors) > maxMergedErrors {
		r.Errors = r.Errors[:maxMergedErrors:maxMergedErrors]
	}
}

func (r *CleanupReport) add(o CleanupReport) {
	r.Accounts += o.Accounts
	r.RolledForward += o.RolledForward
	r.RolledBack += o.RolledBack
	r.Undecided += o.Undecided
	r.Busy += o.Busy
	r.StaleLocks += o.StaleLocks
	r.Amount += o.Amount
	r.LogsFinalized += o.LogsFinalized
	r.LogsPending += o.LogsPending
	r.Errors = append(r.Errors, o.Errors...)
}

// Clean reports whether nothing was left pending or failed.
func (r *CleanupReport) Clean() bool {
	return r.Undecided == 0 && r.Busy == 0 && r.LogsPending == 0 && len(r.Errors) == 0
}

// Changed reports whether the round changed anything (a dry run: would have).
func (r *CleanupReport) Changed() bool {
	return r.RolledForward+r.RolledBack+r.LogsFinalized > 0
}

// DefaultSweepAge is the SweepAge for locks of ttl and grace: twenty lock
// lifetimes, far longer than a run takes to lock its accounts (each lock
// waits at most TTL + grace) and commit.
func DefaultSweepAge(ttl, grace time.Duration) time.Duration { return 20 * (ttl + grace) }

// Cleanup finishes failed transactions. First a sweep of the log set
// decides every pending log: a run whose primary is decided gets that
// status on all its logs; a run older than SweepAge is aborted at its
// primary. Then, for every account with pending entries (or a stale lock),
// it takes the account's lock, decides each entry's run, and writes the
// result in one fenced release (rolling committed legs forward, the rest
// back). It is idempotent and safe beside live traffic and other cleaners.
func (m *Manager) Cleanup(ctx context.Context, opts CleanupOptions) (*CleanupReport, error) {
	lc := m.locker.Config()
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.LockWait <= 0 {
		opts.LockWait = maintenanceLockTTL + lc.Grace + 100*time.Millisecond
	}
	if opts.SweepAge <= 0 {
		opts.SweepAge = DefaultSweepAge(lc.TTL, lc.Grace)
	}
	report := &CleanupReport{DryRun: opts.DryRun}
	var mu sync.Mutex
	add := func(o CleanupReport) {
		mu.Lock()
		report.add(o)
		mu.Unlock()
	}
	if opts.UKey != "" {
		logs, err := m.accountLogs(ctx, opts.UKey)
		if err != nil {
			return report, fmt.Errorf("cleanup: %w", err)
		}
		for _, l := range logs {
			if l.Status == StatusPending {
				add(m.sweepLog(ctx, l, opts))
			}
		}
		add(m.cleanAccount(ctx, opts.UKey, opts))
		return report, nil
	}
	r := AllPartitions
	if opts.Partitions != nil {
		r = *opts.Partitions
	}
	pending := as.ExpEq(as.ExpStringBin(LogStatus), as.ExpStringVal(string(StatusPending)))
	err := m.scanConcurrently(ctx, LogSetName(m.cfg.Set), r, pending, nil, opts.Concurrency, func(rec *as.Record) {
		l, err := decodeLog(rec)
		if err != nil {
			add(CleanupReport{Errors: []string{err.Error()}})
			return
		}
		add(m.sweepLog(ctx, l, opts))
	})
	if err != nil {
		return report, fmt.Errorf("cleanup: sweep logs: %w", err)
	}
	filter := as.ExpOr(as.ExpBinExists(lock.BinPending), as.ExpBinExists(lock.BinLock))
	err = m.eachAccountConcurrently(ctx, r, filter, opts.Concurrency, func(ukey string) {
		add(m.cleanAccount(ctx, ukey, opts))
	})
	if err != nil {
		return report, fmt.Errorf("cleanup: %w", err)
	}
	return report, nil
}

// sweepLog decides the run of one pending log and records the decision on
// the log. Its run is aborted only when older than SweepAge.
func (m *Manager) sweepLog(ctx context.Context, l *LogRecord, opts CleanupOptions) (rep CleanupReport) {
	d, err := m.fateOf(ctx, l)
	if err == nil && d == Undecided {
		if !oldEnough(l, m.cfg.Clock.Now(), opts.SweepAge) {
			rep.LogsPending = 1
			return rep
		}
		if opts.DryRun {
			rep.LogsFinalized = 1
			return rep
		}
		d, err = m.abortRun(ctx, l)
	}
	if err != nil {
		rep.Errors = append(rep.Errors, fmt.Sprintf("log %s:%s: %v", l.UKey, l.TxnID, err))
		return rep
	}
	if opts.DryRun || l.IsPrimary() {
		// A primary is final once its run is decided: that decision is
		// written on it.
		rep.LogsFinalized = 1
		return rep
	}
	rep.LogsFinalized = m.finalizeLogs([]*LogRecord{l}, []Decision{d})
	if rep.LogsFinalized == 0 {
		rep.LogsPending = 1 // left for the next round
	}
	return rep
}

// cleanAccount resolves the pending entries of one account.
func (m *Manager) cleanAccount(ctx context.Context, ukey string, opts CleanupOptions) (rep CleanupReport) {
	rep.Accounts = 1
	fail := func(err error) CleanupReport {
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", ukey, err))
		return rep
	}
	if opts.DryRun {
		return m.cleanAccountDry(ctx, ukey, opts, rep)
	}
	lk, err := m.locker.Acquire(ctx, ukey, "cln-"+m.newID(), lock.WithoutPending(),
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
	decs, logs, fates := m.decideEntries(ctx, ukey, entries, opts, &rep)

	plan := planRelease(decs, len(entries))
	var ops []*as.Operation
	switch {
	case plan.removeAll:
		ops = append(ops, as.PutOp(as.NewBin(lock.BinPending, nil)))
	case len(plan.remove) > 0:
		ops = append(ops, as.ListRemoveByValueListOp(lock.BinPending, plan.remove, as.ListReturnTypeNone))
	}
	if plan.forward != 0 {
		ops = append(ops, as.AddOp(as.NewBin(BinBalance, plan.forward)))
	}
	if _, err := m.locker.Release(ctx, lk, ops...); err != nil {
		applied := false
		if errors.Is(err, lock.ErrReleaseUnknown) {
			// In doubt and our lock is gone: it cannot apply any more, so
			// it applied iff the entries it removes are gone (only a
			// release that decided them the same way removes them).
			applied, err = m.entriesGone(ctx, lk.Key, plan.remove)
		}
		if !applied {
			// Nothing applied (fenced release): the next round redoes it.
			rep.RolledForward, rep.RolledBack, rep.Amount = 0, 0, 0
			if err == nil {
				err = fmt.Errorf("release of %s not applied", ukey)
			}
			return fail(err)
		}
	}
	rep.LogsFinalized = m.finalizeLogs(logs, fates)
	return rep
}

// decideEntries decides each pending entry of an account at its commit
// point, counting the outcomes in rep; it returns the decisions and the
// logs to finalize with their fates.
func (m *Manager) decideEntries(ctx context.Context, ukey string, entries []string, opts CleanupOptions, rep *CleanupReport) (decs []entryDecision, logs []*LogRecord, fates []Decision) {
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
		var amt int64
		if l != nil {
			amt = l.Amt
			sib := siblings(l)
			logs, fates = append(logs, sib...), append(fates, repeat(dec, len(sib))...)
		}
		decs = append(decs, entryDecision{entry: e, dec: dec, amt: amt})
		switch dec {
		case Committed:
			rep.RolledForward++
			rep.Amount += amt
		case Aborted:
			rep.RolledBack++
		default:
			rep.Undecided++
		}
	}
	return decs, logs, fates
}

// cleanAccountDry reports what cleanAccount would do, without a write: it
// reads the account instead of locking it (so a lock it would steal counts
// as stale, one held by a live transaction as busy) and decides nothing.
func (m *Manager) cleanAccountDry(ctx context.Context, ukey string, opts CleanupOptions, rep CleanupReport) CleanupReport {
	key, kerr := as.NewKey(m.cfg.Namespace, m.cfg.Set, ukey)
	if kerr != nil {
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", ukey, kerr))
		return rep
	}
	rec, err := m.get(ctx, key, lock.BinLock, lock.BinDeadline, lock.BinPending)
	switch {
	case err != nil:
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", ukey, err))
		return rep
	case rec == nil:
		rep.Accounts = 0
		return rep
	}
	if rec.Bins[lock.BinLock] != nil {
		deadline, _ := rec.Bins[lock.BinDeadline].(int)
		grace := m.locker.Config().Grace
		if time.UnixMilli(int64(deadline)).Add(grace).After(m.cfg.Clock.Now()) {
			rep.Busy = 1 // a live transaction holds it
			return rep
		}
		rep.StaleLocks = 1
	}
	m.decideEntries(ctx, ukey, lock.StringList(rec.Bins[lock.BinPending]), opts, &rep)
	return rep
}

// entriesGone reports whether none of entries is pending on the account.
func (m *Manager) entriesGone(ctx context.Context, key *as.Key, entries []any) (bool, error) {
	rec, err := m.get(ctx, key, lock.BinPending)
	if err != nil || rec == nil {
		return false, err
	}
	pending := lock.StringList(rec.Bins[lock.BinPending])
	for _, e := range entries {
		if slices.Contains(pending, e.(string)) {
			return false, nil
		}
	}
	return true, nil
}

// siblings returns l and stubs of the other logs of its run (from its legs
// bin), pending as far as the caller knows: finalizeLogs only writes those
// still pending and written by l's run.
func siblings(l *LogRecord) []*LogRecord {
	out := []*LogRecord{l}
	for _, leg := range l.Legs {
		if leg.UKey != l.UKey {
			out = append(out, &LogRecord{TxnID: l.TxnID, UKey: leg.UKey, Run: l.Run, Status: StatusPending})
		}
	}
	return out
}

func repeat(d Decision, n int) []Decision {
	out := make([]Decision, n)
	for i := range out {
		out[i] = d
	}
	return out
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
