// Package workload drives random transactions against a txn.Manager and
// summarises them in a form that can be merged across worker processes.
package workload

import (
	"math"
	"time"
)

// histogramBuckets is the number of latency buckets: bucket i counts
// latencies in [2^(i-1), 2^i) microseconds (bucket 0: under 1µs), so every
// worker uses the same bounds and summaries merge by adding counts.
const histogramBuckets = 32

// Histogram is a latency histogram with fixed, power-of-two buckets.
type Histogram struct {
	Counts [histogramBuckets]int64 `json:"counts"`
	MaxUs  int64                   `json:"max_us"`
	SumUs  int64                   `json:"sum_us"`
	N      int64                   `json:"n"`
}

// bucketOf returns the bucket of a latency.
func bucketOf(d time.Duration) int {
	us := d.Microseconds()
	if us < 1 {
		return 0
	}
	b := int(math.Floor(math.Log2(float64(us)))) + 1
	return min(b, histogramBuckets-1)
}

// UpperBoundUs is the exclusive upper bound of bucket i in microseconds.
func UpperBoundUs(i int) int64 { return int64(1) << i }

// Observe adds one latency.
func (h *Histogram) Observe(d time.Duration) {
	h.Counts[bucketOf(d)]++
	us := d.Microseconds()
	h.SumUs += us
	h.N++
	h.MaxUs = max(h.MaxUs, us)
}

// Merge adds another histogram.
func (h *Histogram) Merge(o *Histogram) {
	for i := range h.Counts {
		h.Counts[i] += o.Counts[i]
	}
	h.SumUs += o.SumUs
	h.N += o.N
	h.MaxUs = max(h.MaxUs, o.MaxUs)
}

// QuantileUs estimates a quantile (0..1) as the upper bound of the bucket
// holding it: an over-estimate by at most a factor of two.
func (h *Histogram) QuantileUs(q float64) int64 {
	if h.N == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.N)))
	var seen int64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			if i == histogramBuckets-1 {
				return h.MaxUs // the overflow bucket has no upper bound
			}
			return min(UpperBoundUs(i), h.MaxUs)
		}
	}
	return h.MaxUs
}

// MeanUs is the mean latency.
func (h *Histogram) MeanUs() int64 {
	if h.N == 0 {
		return 0
	}
	return h.SumUs / h.N
}
