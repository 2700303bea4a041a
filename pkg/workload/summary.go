package workload

import (
	"math"
	"slices"
	"time"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// Summary is what a run reports, as one compact JSON object. Summaries of
// several workers merge with Merge.
type Summary struct {
	Mode        string  `json:"mode"`
	Legs        int     `json:"legs"`
	Attempted   int64   `json:"attempted"`
	Committed   int64   `json:"committed"` // both committed outcomes
	Aborted     int64   `json:"aborted"`
	Conflicts   int64   `json:"conflicts"` // gave up after every retry
	InDoubt     int64   `json:"in_doubt"`  // left for cleanup
	NoAccount   int64   `json:"no_account"`
	Errors      int64   `json:"errors"` // refused by Run outright, or an outcome this package does not know
	Retries     int64   `json:"retries"`
	Amount      int64   `json:"amount_committed"`
	ElapsedSec  float64 `json:"elapsed_s"`
	TxnsPerSec  float64 `json:"committed_per_s"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	FaultBefore int64   `json:"faults_before"`
	FaultAfter  int64   `json:"faults_after"`
	RoundTrips  int64   `json:"round_trips,omitempty"`

	// Committed and counted in Committed too, but with legs left for
	// cleanup to apply (outcome committed-unapplied).
	CommittedUnapplied int64 `json:"committed_unapplied"`
	// Refused as a rerun of an earlier run of the same txnid (outcome
	// duplicate): nothing applied by this run. Every try draws a new
	// txnid, so this counts runs that met their own earlier attempt.
	Duplicates int64 `json:"duplicates"`

	Lock    lock.StatsSnapshot `json:"lock"`
	Latency Histogram          `json:"latency"`

	// kept holds every committed transaction's latency with
	// Config.KeepLatencies (nil otherwise): a pointer, so that a Summary
	// stays comparable.
	kept *latencies
}

type latencies struct{ d []time.Duration }

// ExactQuantile is the q quantile (0..1) of the committed transactions'
// latencies, exact (nearest rank), with Config.KeepLatencies; 0 otherwise.
func (s *Summary) ExactQuantile(q float64) time.Duration {
	if s.kept == nil || len(s.kept.d) == 0 {
		return 0
	}
	l := slices.Clone(s.kept.d)
	slices.Sort(l)
	rank := int(math.Ceil(q*float64(len(l)))) - 1
	return l[min(max(rank, 0), len(l)-1)]
}

// Merge adds another worker's summary (elapsed: the longest).
func (s *Summary) Merge(o *Summary) {
	s.Attempted += o.Attempted
	s.Committed += o.Committed
	s.Aborted += o.Aborted
	s.Conflicts += o.Conflicts
	s.InDoubt += o.InDoubt
	s.NoAccount += o.NoAccount
	s.CommittedUnapplied += o.CommittedUnapplied
	s.Duplicates += o.Duplicates
	s.Errors += o.Errors
	s.Retries += o.Retries
	s.Amount += o.Amount
	s.FaultBefore += o.FaultBefore
	s.FaultAfter += o.FaultAfter
	s.RoundTrips += o.RoundTrips
	s.ElapsedSec = max(s.ElapsedSec, o.ElapsedSec)
	s.Lock = s.Lock.Add(o.Lock)
	s.Latency.Merge(&o.Latency)
	s.finish()
}

// finish derives the rates and quantiles from the counters.
func (s *Summary) finish() {
	if s.ElapsedSec > 0 {
		s.TxnsPerSec = float64(s.Committed) / s.ElapsedSec
	}
	s.P50Ms = float64(s.Latency.QuantileUs(0.50)) / 1000
	s.P99Ms = float64(s.Latency.QuantileUs(0.99)) / 1000
	s.MaxMs = float64(s.Latency.MaxUs) / 1000
}

func (s *Summary) setElapsed(d time.Duration) {
	s.ElapsedSec = d.Seconds()
	s.finish()
}
