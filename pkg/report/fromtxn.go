package report

import (
	"github.com/mxnlabs/mxn/pkg/txn"
)

// MaxDriftedLimit bounds the drifted sample a command may ask for.
const MaxDriftedLimit = 1000

// FromCleanup converts a cleanup report (one round, or rounds merged with
// CleanupReport.Merge) into the report's counts. clean says whether the
// last round left nothing to do; Errors becomes a count.
func FromCleanup(c *txn.CleanupReport, clean bool) *Cleanup {
	if c == nil {
		return nil
	}
	return &Cleanup{
		Rounds:        max(c.Rounds, 1),
		Accounts:      int64(c.Accounts),
		RolledForward: int64(c.RolledForward),
		RolledBack:    int64(c.RolledBack),
		Undecided:     int64(c.Undecided),
		Busy:          int64(c.Busy),
		StaleLocks:    int64(c.StaleLocks),
		Amount:        c.Amount,
		LogsFinalized: int64(c.LogsFinalized),
		LogsPending:   int64(c.LogsPending),
		Errors:        int64(len(c.Errors)),
		DryRun:        c.DryRun,
		Clean:         clean,
	}
}

// FromReconcile converts a reconciliation into the report's counts, with
// the first maxDrifted unbalanced accounts (of those listed in r.Accounts,
// in order) as the sample. Drifted counts every unbalanced account and
// TotalDrift sums |bal - logged| over them (Reconcile lists every
// unbalanced account in r.Accounts).
func FromReconcile(r *txn.ReconcileReport, maxDrifted int) *Reconcile {
	if r == nil {
		return nil
	}
	out := &Reconcile{
		Checked:      int64(r.Checked),
		Balanced:     int64(r.Balanced),
		Drifted:      int64(len(r.Unbalanced)),
		LockFailed:   int64(len(r.LockFailed)),
		TotalBalance: r.TotalBalance,
		TotalLogged:  r.TotalLogged,
		TotalPending: r.TotalPending,
		NonFinalLogs: int64(r.NonFinalLogs),
		Verdict:      r.Verdict(),
	}
	for _, a := range r.Accounts {
		if a.Balanced || a.LockError != "" {
			continue
		}
		drift := a.Balance - a.Logged
		out.TotalDrift += abs(drift)
		if len(out.Sample) < maxDrifted {
			out.Sample = append(out.Sample, DriftedAccount{UKey: a.UKey, Balance: a.Balance, Logged: a.Logged, Pending: a.Pending, Drift: drift})
		}
	}
	out.SampleTruncated = int64(len(out.Sample)) < out.Drifted
	return out
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
