package workload

import (
	"testing"
	"time"
)

func TestHistogramBucketsAndQuantiles(t *testing.T) {
	var h Histogram
	for _, d := range []time.Duration{0, 500 * time.Nanosecond, time.Microsecond, 3 * time.Microsecond, time.Millisecond, time.Hour} {
		h.Observe(d)
	}
	want := map[int]int64{0: 2, 1: 1, 2: 1, 10: 1, histogramBuckets - 1: 1}
	for i, c := range h.Counts {
		if c != want[i] {
			t.Errorf("bucket %d: %d, want %d", i, c, want[i])
		}
	}
	if h.N != 6 || h.MaxUs != time.Hour.Microseconds() {
		t.Errorf("N %d, max %d", h.N, h.MaxUs)
	}
	// The median lies in bucket 1 ([1, 2) µs): reported as its upper bound.
	if q := h.QuantileUs(0.5); q != 2 {
		t.Errorf("p50 = %d µs, want 2", q)
	}
	if q := h.QuantileUs(1); q != h.MaxUs {
		t.Errorf("p100 = %d, want max %d", q, h.MaxUs)
	}
	var empty Histogram
	if empty.QuantileUs(0.99) != 0 || empty.MeanUs() != 0 {
		t.Error("empty histogram")
	}
}

func TestSummaryMerge(t *testing.T) {
	a := &Summary{Committed: 10, Aborted: 1, Amount: 100, ElapsedSec: 2}
	a.Latency.Observe(time.Millisecond)
	b := &Summary{Committed: 30, InDoubt: 2, Amount: -40, ElapsedSec: 4}
	b.Latency.Observe(3 * time.Millisecond)
	a.Merge(b)
	if a.Committed != 40 || a.Aborted != 1 || a.InDoubt != 2 || a.Amount != 60 || a.ElapsedSec != 4 {
		t.Fatalf("merged %+v", a)
	}
	if a.TxnsPerSec != 10 || a.Latency.N != 2 {
		t.Fatalf("rate %v, latency n %d", a.TxnsPerSec, a.Latency.N)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Accounts: 10, Mode: "transfer", Legs: 3, Count: 1, Concurrency: 1}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Config){
		func(c *Config) { c.Accounts = 0 },
		func(c *Config) { c.Mode = "x" },
		func(c *Config) { c.Legs = 11 },
		func(c *Config) { c.Legs = 1 },
		func(c *Config) { c.Count, c.Duration = 0, 0 },
		func(c *Config) { c.Concurrency = 0 },
		func(c *Config) { c.Zipf = 1 },
		func(c *Config) { c.Rate = -1 },
	}
	for i, f := range bad {
		c := ok
		f(&c)
		if c.Validate() == nil {
			t.Errorf("case %d accepted: %+v", i, c)
		}
	}
}

func TestTransferLegsSumToZeroAndAreDistinct(t *testing.T) {
	p := newPicker(1, 20, 1.3)
	for i := 0; i < 1000; i++ {
		legs := p.legs("transfer", 3)
		seen := map[string]bool{}
		var sum int64
		for _, l := range legs {
			if seen[l.UKey] {
				t.Fatalf("duplicate account in %+v", legs)
			}
			seen[l.UKey] = true
			sum += l.Amt
		}
		if len(legs) != 3 || sum != 0 {
			t.Fatalf("legs %+v sum to %d", legs, sum)
		}
	}
	for i := 0; i < 1000; i++ {
		l := p.legs("single", 1)[0]
		if l.Amt < -100 || l.Amt > 1000 {
			t.Fatalf("amount %d outside [-100, 1000]", l.Amt)
		}
	}
}
