package aggregate

import (
	"fmt"

	"github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/pkg/report"
)

// Verification sums what the cleanup and reconcile shards after a
// LoadTest found. It passes iff every reconcile and cleanup report is
// present, carries its counts and no Error, there is at least one reconcile
// shard, every account balanced (no drift, no failed lock) and the total
// is conserved. The verdict is Verdict of the merged counts, with the first
// missing or failed report said when there is one.
func Verification(cleanup, reconcile []*report.Report, maxSample int) v1alpha1.Verification {
	v := v1alpha1.Verification{
		Cleanup:   CleanupResult(cleanup),
		Reconcile: ReconcileResult(reconcile, maxSample),
	}
	var problems []string
	problems = append(problems, missing("cleanup", cleanup, func(r *report.Report) bool { return r.Cleanup != nil })...)
	problems = append(problems, missing("reconcile", reconcile, func(r *report.Report) bool { return r.Reconcile != nil })...)
	if len(reconcile) == 0 {
		problems = append(problems, "no reconcile shard")
	}
	r := v.Reconcile
	v.Passed = len(problems) == 0 && r.Drifted == 0 && r.LockFailed == 0 && r.Conserved
	v.Verdict = Verdict(r)
	if len(problems) > 0 {
		what := problems[0]
		if len(problems) > 1 {
			what += fmt.Sprintf(" (and %d more)", len(problems)-1)
		}
		if v.Verdict == "Reconciled" {
			v.Verdict = "Incomplete: " + what
		} else {
			v.Verdict += "; incomplete: " + what
		}
	}
	return v
}

// missing lists the shards of kind whose report is absent, without its
// counts, or failed.
func missing(kind string, shards []*report.Report, has func(*report.Report) bool) []string {
	var out []string
	for i, r := range shards {
		switch {
		case r == nil:
			out = append(out, fmt.Sprintf("%s shard %d has no report", kind, i))
		case r.Error != "":
			out = append(out, fmt.Sprintf("%s shard %d failed: %s", kind, i, r.Error))
		case !has(r):
			out = append(out, fmt.Sprintf("%s shard %d reported no %s counts (kind %q)", kind, i, kind, r.Kind))
		}
	}
	return out
}
