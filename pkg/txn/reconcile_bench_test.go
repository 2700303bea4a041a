package txn_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mxnlabs/mxn/pkg/txn"
)

// BenchmarkReconcile builds 5,000 accounts with 40,000 logs, then per
// iteration measures a raw scan of the log set, the exact and the
// scan-first reconciliation, and the scan-first one over 2 and 4 ranges
// at once (txn.BenchReconcile). Run it once:
//
//	go test ./pkg/txn -run '^$' -bench Reconcile -benchtime 1x
func BenchmarkReconcile(b *testing.B) {
	f := newFixture(b)
	f.clock = nil
	ctx := context.Background()
	cfg := txn.Config{Namespace: f.env.Namespace, Set: f.set}
	m := txn.NewManager(f.env.Client, cfg)
	if err := m.BuildReconcileDataset(ctx, 5000, 8); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var sum txn.ReconcileBench
	shards := map[int]float64{}
	alone := map[int]float64{}
	for i := 0; i < b.N; i++ {
		r, err := txn.BenchReconcile(ctx, f.env.Client, cfg, txn.ReconcileBenchOptions{SkipBuild: true, Shards: []int{1, 2, 4}})
		if err != nil {
			b.Fatal(err)
		}
		sum.RawScanRecPerSec += r.RawScanRecPerSec
		sum.ExactAccPerSec += r.ExactAccPerSec
		sum.ScanAccPerSec += r.ScanAccPerSec
		sum.ScanOverExact += r.ScanOverExact
		sum.ScanOverRaw += r.ScanOverRaw
		for _, s := range r.Shards {
			shards[s.Shards] += s.AccPerSec
			alone[s.Shards] += s.MaxRangeSec
		}
		b.Logf("%+v", *r)
	}
	n := float64(b.N)
	b.ReportMetric(sum.RawScanRecPerSec/n, "raw-scan-rec/s")
	b.ReportMetric(sum.ExactAccPerSec/n, "exact-acc/s")
	b.ReportMetric(sum.ScanAccPerSec/n, "scan-acc/s")
	b.ReportMetric(sum.ScanOverExact/n, "scan/exact")
	b.ReportMetric(sum.ScanOverRaw/n, "scan-acc/raw-rec")
	for k, v := range shards {
		b.ReportMetric(v/n, fmt.Sprintf("scan%d-acc/s", k))
	}
	for k, v := range alone {
		b.ReportMetric(v/n, fmt.Sprintf("scan%d-range-s", k))
	}
}
