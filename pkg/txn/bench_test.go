package txn_test

import (
	"context"
	"testing"

	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// BenchmarkTransaction reports client round trips per transaction and
// transactions per second for 1, 2 and 3 legs (uncontended, parallel over
// many accounts). Against a real server with AEROSPIKE_HOSTS.
func BenchmarkTransaction(b *testing.B) {
	for _, k := range []int{1, 2, 3} {
		b.Run(map[int]string{1: "single", 2: "2-leg", 3: "3-leg"}[k], func(b *testing.B) {
			f := newFixture(b)
			ukeys := ukeysOf(1000)
			f.accounts(b, 0, ukeys...)
			counting := txntest.NewCountingClient(f.env.Client)
			m := txn.NewManager(counting, txn.Config{Namespace: f.env.Namespace, Set: f.set})
			b.SetParallelism(8)
			b.ResetTimer()
			var seq atomicInt
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.next()
					legs := make([]txn.Leg, k)
					for j := range legs {
						legs[j] = txn.Leg{UKey: ukeys[(i*7+j*331)%len(ukeys)], Amt: 1}
					}
					if _, err := m.Run(context.Background(), txn.NewTxnID(), legs...); err != nil {
						b.Error(err)
					}
				}
			})
			b.ReportMetric(float64(counting.Calls.Load())/float64(b.N), "roundtrips/txn")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txn/s")
		})
	}
}
