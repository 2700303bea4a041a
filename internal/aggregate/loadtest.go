package aggregate

import (
	"math"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/workload"
)

// LoadTestResults sums the workers of a finished LoadTest. reports has one
// entry per worker, nil for a worker that left no report (or a report
// without a workload summary); partial holds the last flushed progress of
// workers without a report (pass none for a worker that has one). Partial
// is set when a worker's report is missing, whether or not its progress
// was counted.
//
// The counters are the sums of the summaries; ElapsedSeconds and
// CommittedPerSecond run from the common start (the earliest StartUnixMs)
// to the last end (the latest EndUnixMs), or the longest partial run if
// longer, never a sum of rates; the latency percentiles come from the
// merged histogram buckets, never from averaged percentiles.
func LoadTestResults(reports []*report.Report, partial []*workload.Summary) v1alpha1.LoadTestResults {
	var total workload.Summary
	var startMs, endMs int64
	incomplete := false
	for _, r := range reports {
		if r == nil || r.Workload == nil {
			incomplete = true
			continue
		}
		total.Merge(r.Workload)
		if r.StartUnixMs > 0 && (startMs == 0 || r.StartUnixMs < startMs) {
			startMs = r.StartUnixMs
		}
		endMs = max(endMs, r.EndUnixMs)
	}
	var partialElapsed float64
	for _, s := range partial {
		if s == nil {
			continue
		}
		incomplete = true
		total.Merge(s)
		partialElapsed = max(partialElapsed, s.ElapsedSec)
	}

	elapsed := total.ElapsedSec // the longest worker, when no report bounds the run
	if startMs > 0 && endMs > startMs {
		elapsed = max(float64(endMs-startMs)/1000, partialElapsed)
	}
	var rate int64
	if elapsed > 0 {
		rate = int64(math.Round(float64(total.Committed) / elapsed))
	}
	return v1alpha1.LoadTestResults{
		Attempted:          total.Attempted,
		Committed:          total.Committed,
		CommittedUnapplied: total.CommittedUnapplied,
		Aborted:            total.Aborted,
		Conflicts:          total.Conflicts,
		InDoubt:            total.InDoubt,
		Duplicates:         total.Duplicates,
		NoAccount:          total.NoAccount,
		Errors:             total.Errors,
		Retries:            total.Retries,
		AmountCommitted:    total.Amount,
		FaultsBefore:       total.FaultBefore,
		FaultsAfter:        total.FaultAfter,
		CommittedPerSecond: rate,
		ElapsedSeconds:     int64(math.Round(elapsed)),
		Latency:            Latency(&total.Latency),
		Lock:               LockCounters(total.Lock),
		Partial:            incomplete,
	}
}

// Latency gives the percentiles of a (merged) histogram.
func Latency(h *workload.Histogram) v1alpha1.LatencySummary {
	us := func(v int64) metav1.Duration { return metav1.Duration{Duration: time.Duration(v) * time.Microsecond} }
	return v1alpha1.LatencySummary{
		P50: us(h.QuantileUs(0.50)),
		P95: us(h.QuantileUs(0.95)),
		P99: us(h.QuantileUs(0.99)),
		Max: us(h.MaxUs),
	}
}

// LockCounters converts summed lock statistics.
func LockCounters(s lock.StatsSnapshot) v1alpha1.LockCounters {
	return v1alpha1.LockCounters{
		Attempted: s.Attempted,
		Acquired:  s.Acquired,
		TimedOut:  s.TimedOut,
		Stolen:    s.Stolen,
		Broken:    s.Broken,
		Released:  s.Released,
		Retries:   s.Retries,
	}
}
