package aggregate

import (
	"math"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/pkg/workload"
)

// Progress is the live view of a running LoadTest from the workers' last
// flushed summaries (nil: none yet): committed so far, and committed per
// second since the common start (0 before it, or when start is zero).
func Progress(summaries []*workload.Summary, start, now time.Time) v1alpha1.Progress {
	var committed int64
	for _, s := range summaries {
		if s != nil {
			committed += s.Committed
		}
	}
	var rate int64
	if !start.IsZero() && now.After(start) {
		rate = int64(math.Round(float64(committed) / now.Sub(start).Seconds()))
	}
	t := metav1.NewTime(now)
	return v1alpha1.Progress{Committed: committed, CommittedPerSecond: rate, UpdateTime: &t}
}
