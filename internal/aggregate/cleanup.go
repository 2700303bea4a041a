package aggregate

import (
	"github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/pkg/report"
)

// CleanupResult sums the shards of a cleanup (nil, or reports without
// cleanup counts, are skipped: Verification says they are missing).
func CleanupResult(shards []*report.Report) v1alpha1.CleanupResult {
	var res v1alpha1.CleanupResult
	for _, r := range shards {
		if r == nil || r.Cleanup == nil {
			continue
		}
		c := r.Cleanup
		res.Accounts += c.Accounts
		res.RolledForward += c.RolledForward
		res.RolledBack += c.RolledBack
		res.Undecided += c.Undecided
		res.Busy += c.Busy
		res.StaleLocks += c.StaleLocks
		res.LogsFinalized += c.LogsFinalized
		res.AmountRolledForward += c.Amount
		res.Errors += c.Errors
	}
	return res
}
