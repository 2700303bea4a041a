package aggregate

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/workload"
)

func us(v int64) metav1.Duration {
	return metav1.Duration{Duration: time.Duration(v) * time.Microsecond}
}

func TestLoadTestResults(t *testing.T) {
	const t0 = int64(1_772_445_600_000) // 2026-03-02T10:00:00Z in ms
	fast := func() *workload.Summary { return summary(1000, 10, repeat(100, 100*time.Microsecond)...) }
	slow := func() *workload.Summary { return summary(500, 20, repeat(100, 10*time.Millisecond)...) }
	// Counters of two workers, each as summary() builds them.
	twoWorkers := func(committed int64) v1alpha1.LoadTestResults {
		return v1alpha1.LoadTestResults{
			Attempted: committed + 4, Committed: committed, CommittedUnapplied: 18, Aborted: 2, Conflicts: 2,
			InDoubt: 6, Duplicates: 20, NoAccount: 8, Errors: 10, Retries: 12, AmountCommitted: 10 * committed,
			FaultsBefore: 14, FaultsAfter: 16,
			Lock: v1alpha1.LockCounters{Attempted: 22, Acquired: 24, TimedOut: 26, Stolen: 28, Broken: 30, Released: 32, Retries: 34},
		}
	}
	tests := map[string]struct {
		reports []*report.Report
		partial []*workload.Summary
		want    func() v1alpha1.LoadTestResults
	}{
		"nothing": {
			want: func() v1alpha1.LoadTestResults { return v1alpha1.LoadTestResults{} },
		},
		"two workers: span from the common start to the last end, merged buckets": {
			reports: []*report.Report{workerReport(fast(), t0, t0+10_000), workerReport(slow(), t0+500, t0+20_000)},
			want: func() v1alpha1.LoadTestResults {
				r := twoWorkers(1500)
				r.ElapsedSeconds, r.CommittedPerSecond = 20, 75
				// 200 latencies: 100 in (64µs,128µs], 100 at 10ms in (8192µs,16384µs], max 10ms.
				r.Latency = v1alpha1.LatencySummary{P50: us(128), P95: us(10_000), P99: us(10_000), Max: us(10_000)}
				return r
			},
		},
		"rate over a span of 2.5s is not a sum of the workers' rates": {
			reports: []*report.Report{workerReport(summary(100, 2.5), t0, t0+2_500), workerReport(summary(100, 2.5), t0, t0+2_500)},
			want: func() v1alpha1.LoadTestResults {
				r := twoWorkers(200)
				r.ElapsedSeconds, r.CommittedPerSecond = 3, 80
				return r
			},
		},
		"a dead worker's flushed progress counts, and says partial": {
			reports: []*report.Report{workerReport(fast(), t0, t0+10_000), nil},
			partial: []*workload.Summary{slow()},
			want: func() v1alpha1.LoadTestResults {
				r := twoWorkers(1500)
				// The partial worker ran 20s by its own clock: longer than the reported span.
				r.ElapsedSeconds, r.CommittedPerSecond, r.Partial = 20, 75, true
				r.Latency = v1alpha1.LatencySummary{P50: us(128), P95: us(10_000), P99: us(10_000), Max: us(10_000)}
				return r
			},
		},
		"a missing worker without progress still makes it partial": {
			reports: []*report.Report{workerReport(summary(1000, 10), t0, t0+10_000), nil, {V: 1, Kind: report.KindWorkload, Error: "boom"}},
			partial: []*workload.Summary{nil},
			want: func() v1alpha1.LoadTestResults {
				r := v1alpha1.LoadTestResults{
					Attempted: 1002, Committed: 1000, CommittedUnapplied: 9, Aborted: 1, Conflicts: 1, InDoubt: 3,
					Duplicates: 10, NoAccount: 4, Errors: 5, Retries: 6, AmountCommitted: 10000, FaultsBefore: 7, FaultsAfter: 8,
					Lock:               v1alpha1.LockCounters{Attempted: 11, Acquired: 12, TimedOut: 13, Stolen: 14, Broken: 15, Released: 16, Retries: 17},
					ElapsedSeconds:     10,
					CommittedPerSecond: 100,
					Partial:            true,
				}
				return r
			},
		},
		"only partial progress: the longest worker's own elapsed time": {
			partial: []*workload.Summary{summary(300, 3), summary(300, 6)},
			want: func() v1alpha1.LoadTestResults {
				r := twoWorkers(600)
				r.ElapsedSeconds, r.CommittedPerSecond, r.Partial = 6, 100, true
				return r
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := LoadTestResults(tc.reports, tc.partial)
			if want := tc.want(); got != want {
				t.Errorf("LoadTestResults =\n %+v\nwant\n %+v", got, want)
			}
		})
	}
}

// The percentiles come from the merged buckets: with two workers whose
// latencies differ, the merged p99 is not the average of their p99s.
func TestLoadTestLatencyIsMergedNotAveraged(t *testing.T) {
	a := summary(100, 10, repeat(100, 100*time.Microsecond)...)
	b := summary(100, 10, repeat(100, 10*time.Millisecond)...)
	got := LoadTestResults([]*report.Report{workerReport(a, 1, 10_001), workerReport(b, 1, 10_001)}, nil).Latency

	var merged workload.Histogram
	merged.Merge(&a.Latency)
	merged.Merge(&b.Latency)
	for _, q := range []struct {
		name string
		q    float64
		got  metav1.Duration
	}{{"p50", 0.50, got.P50}, {"p95", 0.95, got.P95}, {"p99", 0.99, got.P99}} {
		want := time.Duration(merged.QuantileUs(q.q)) * time.Microsecond
		avg := time.Duration((a.Latency.QuantileUs(q.q)+b.Latency.QuantileUs(q.q))/2) * time.Microsecond
		if q.got.Duration != want {
			t.Errorf("%s = %s, want the merged buckets' %s", q.name, q.got.Duration, want)
		}
		if q.got.Duration == avg {
			t.Errorf("%s = %s is the average of the workers' percentiles", q.name, avg)
		}
	}
	if got.P99.Duration != 10*time.Millisecond || got.P50.Duration != 128*time.Microsecond {
		t.Errorf("p50 %s p99 %s, want 128µs and 10ms", got.P50.Duration, got.P99.Duration)
	}
}

// LoadTestResults does not change the reports it sums.
func TestLoadTestResultsLeavesInputs(t *testing.T) {
	s := summary(10, 1, time.Millisecond)
	before := *s
	LoadTestResults([]*report.Report{workerReport(s, 1, 1001), workerReport(summary(5, 1), 1, 1001)}, []*workload.Summary{summary(1, 1)})
	if *s != before {
		t.Fatalf("summary changed: %+v, was %+v", *s, before)
	}
}

func TestProgress(t *testing.T) {
	start := time.Date(2026, time.March, 2, 10, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		summaries []*workload.Summary
		start     time.Time
		now       time.Time
		committed int64
		rate      int64
	}{
		"none yet":              {start: start, now: start.Add(time.Second)},
		"two workers, 4s in":    {summaries: []*workload.Summary{{Committed: 300}, nil, {Committed: 500}}, start: start, now: start.Add(4 * time.Second), committed: 800, rate: 200},
		"rounded":               {summaries: []*workload.Summary{{Committed: 10}}, start: start, now: start.Add(3 * time.Second), committed: 10, rate: 3},
		"before the start":      {summaries: []*workload.Summary{{Committed: 10}}, start: start, now: start.Add(-time.Second), committed: 10},
		"no common start known": {summaries: []*workload.Summary{{Committed: 10}}, now: start, committed: 10},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Progress(tc.summaries, tc.start, tc.now)
			if got.Committed != tc.committed || got.CommittedPerSecond != tc.rate || got.UpdateTime == nil || !got.UpdateTime.Time.Equal(tc.now) {
				t.Errorf("Progress = %+v (update %v), want committed %d rate %d at %s", got, got.UpdateTime, tc.committed, tc.rate, tc.now)
			}
		})
	}
}
