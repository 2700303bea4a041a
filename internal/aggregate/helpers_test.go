package aggregate

import (
	"time"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/workload"
)

// summary builds a worker's summary: committed transactions and the given
// latencies observed.
func summary(committed int64, elapsed float64, lat ...time.Duration) *workload.Summary {
	s := &workload.Summary{
		Attempted: committed + 2, Committed: committed, Aborted: 1, Conflicts: 1, InDoubt: 3, NoAccount: 4,
		Errors: 5, Retries: 6, Amount: 10 * committed, FaultBefore: 7, FaultAfter: 8,
		CommittedUnapplied: 9, Duplicates: 10, ElapsedSec: elapsed,
		Lock: lock.StatsSnapshot{Attempted: 11, Acquired: 12, TimedOut: 13, Stolen: 14, Broken: 15, Released: 16, Retries: 17, Duration: 99, WaitMs: 98},
	}
	for _, d := range lat {
		s.Latency.Observe(d)
	}
	return s
}

func repeat(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func workerReport(s *workload.Summary, startMs, endMs int64) *report.Report {
	return &report.Report{V: report.Version, Kind: report.KindWorkload, StartUnixMs: startMs, EndUnixMs: endMs, Workload: s}
}
