package schedule

import (
	"slices"
	"time"

	"github.com/mxnlabs/mxn/api/v1alpha1"
)

// Default history limits, as CronJob's.
const (
	DefaultSuccessfulRunsHistoryLimit = 3
	DefaultFailedRunsHistoryLimit     = 1
)

// Prune splits a history into the runs to keep, newest first, and those to
// delete: every running run is kept, and the successLimit newest succeeded
// and failedLimit newest failed runs (nil limits: 3 and 1). Runs are ordered
// by start time (then scheduled time, then name); a run without either is
// the oldest.
func Prune(runs []v1alpha1.RunRef, successLimit, failedLimit *int32) (keep, del []v1alpha1.RunRef) {
	okLimit, failLimit := int32(DefaultSuccessfulRunsHistoryLimit), int32(DefaultFailedRunsHistoryLimit)
	if successLimit != nil {
		okLimit = max(0, *successLimit)
	}
	if failedLimit != nil {
		failLimit = max(0, *failedLimit)
	}
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, newestFirst)
	var ok, failed int32
	for _, r := range sorted {
		switch r.Phase {
		case v1alpha1.RunSucceeded:
			ok++
			if ok > okLimit {
				del = append(del, r)
				continue
			}
		case v1alpha1.RunFailed:
			failed++
			if failed > failLimit {
				del = append(del, r)
				continue
			}
		}
		keep = append(keep, r)
	}
	return keep, del
}

func runTime(r v1alpha1.RunRef) time.Time {
	switch {
	case r.StartTime != nil:
		return r.StartTime.Time
	case r.ScheduledTime != nil:
		return r.ScheduledTime.Time
	}
	return time.Time{}
}

func newestFirst(a, b v1alpha1.RunRef) int {
	if c := runTime(b).Compare(runTime(a)); c != 0 {
		return c
	}
	switch {
	case a.Name > b.Name:
		return -1
	case a.Name < b.Name:
		return 1
	}
	return 0
}
