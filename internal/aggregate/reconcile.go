package aggregate

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/pkg/report"
)

// ReconcileResult sums the shards of a reconciliation (nil, or reports
// without reconcile counts, are skipped: Verification says they are
// missing). The sample is the union of the shards' samples, largest |drift|
// first then by ukey, at most maxSample; Conserved compares the totals.
func ReconcileResult(shards []*report.Report, maxSample int) v1alpha1.ReconcileResult {
	var res v1alpha1.ReconcileResult
	var sample []v1alpha1.DriftedAccount
	for _, r := range shards {
		if r == nil || r.Reconcile == nil {
			continue
		}
		c := r.Reconcile
		res.AccountsChecked += c.Checked
		res.Balanced += c.Balanced
		res.Drifted += c.Drifted
		res.LockFailed += c.LockFailed
		res.TotalDrift += c.TotalDrift
		res.TotalBalance += c.TotalBalance
		res.TotalLogged += c.TotalLogged
		res.PendingAmount += c.TotalPending
		res.NonFinalLogs += c.NonFinalLogs
		for _, a := range c.Sample {
			sample = append(sample, v1alpha1.DriftedAccount{
				UKey: a.UKey, Balance: a.Balance, Logged: a.Logged, Pending: a.Pending, Drift: a.Drift,
			})
		}
	}
	res.Conserved = res.TotalBalance == res.TotalLogged
	slices.SortFunc(sample, func(a, b v1alpha1.DriftedAccount) int {
		if c := cmp.Compare(abs(b.Drift), abs(a.Drift)); c != 0 {
			return c
		}
		return cmp.Compare(a.UKey, b.UKey)
	})
	if len(sample) > max(0, maxSample) {
		sample = sample[:max(0, maxSample)]
	}
	if len(sample) > 0 {
		res.DriftedAccounts = sample
	}
	return res
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Verdict is the core's one-line verdict (txn.ReconcileReport.Verdict)
// from merged counts: the drifted accounts named are those of the sample,
// sorted by ukey, with how many more there are; a total that is not
// conserved is said too.
func Verdict(r v1alpha1.ReconcileResult) string {
	switch {
	case r.Drifted > 0:
		keys := make([]string, 0, len(r.DriftedAccounts))
		for _, a := range r.DriftedAccounts {
			keys = append(keys, a.UKey)
		}
		slices.Sort(keys)
		if len(keys) == 0 {
			return fmt.Sprintf("Unbalanced records found: %d", r.Drifted)
		}
		v := fmt.Sprintf("Unbalanced records found: %v", keys)
		if more := r.Drifted - int64(len(keys)); more > 0 {
			v += fmt.Sprintf(" and %d more", more)
		}
		return v
	case r.LockFailed > 0 && r.LockFailed == r.AccountsChecked:
		return fmt.Sprintf("Failed to lock some records: all %d", r.LockFailed)
	case r.LockFailed > 0:
		return fmt.Sprintf("Reconciled; except for failed locks (%d)", r.LockFailed)
	case !r.Conserved:
		return fmt.Sprintf("Not conserved: balances total %d, committed logs %d", r.TotalBalance, r.TotalLogged)
	}
	return "Reconciled"
}
