package txn_test

import (
	"context"
	"fmt"
	"testing"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/groupcommit"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// BenchmarkTransaction reports client round trips per transaction (calls
// that reach the server: below the group-commit batcher) and transactions
// per second for 1, 2, 3, 8 and 16 legs on the three paths: batched (the
// default), unbatched locks, and group commit; parallel over many
// accounts. BenchmarkRawOperate is the reference: mxn bench prints the
// ratios of one run. Against a real server with AEROSPIKE_HOSTS.
//
//	go test ./pkg/txn -run '^$' -bench 'Transaction|RawOperate' -benchtime 2s
func BenchmarkTransaction(b *testing.B) {
	for _, k := range []int{1, 2, 3, 8, 16} {
		for _, path := range []string{"batched", "unbatched", "group-commit"} {
			if k == 1 && path == "unbatched" {
				continue // one leg takes one lock either way
			}
			b.Run(fmt.Sprintf("legs=%d/%s", k, path), func(b *testing.B) {
				f := newFixture(b)
				ukeys := ukeysOf(1000)
				f.accounts(b, 0, ukeys...)
				counting := txntest.NewCountingClient(f.env.Client)
				var c txn.Client = counting
				if path == "group-commit" {
					gc := groupcommit.New(counting, groupcommit.Options{})
					defer gc.Close()
					c = gc
				}
				m := txn.NewManager(c, txn.Config{Namespace: f.env.Namespace, Set: f.set, Unbatched: path == "unbatched"})
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
						if _, err := m.Run(context.Background(), txn.NewTxnID(), legs...); err != nil && !txn.OutcomeOf(err).Final() {
							b.Error(err)
						}
					}
				})
				b.ReportMetric(float64(counting.Calls.Load())/float64(b.N), "roundtrips/txn")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txn/s")
			})
		}
	}
}

// BenchmarkRawOperate is the reference of BenchmarkTransaction: one
// Operate (add + get) on a random account, at the same parallelism.
func BenchmarkRawOperate(b *testing.B) {
	f := newFixture(b)
	ukeys := ukeysOf(1000)
	f.accounts(b, 0, ukeys...)
	keys := make([]*as.Key, len(ukeys))
	for i, u := range ukeys {
		keys[i], _ = as.NewKey(f.env.Namespace, f.set, u)
	}
	b.SetParallelism(8)
	b.ResetTimer()
	var seq atomicInt
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.env.Client.Operate(nil, keys[(seq.next()*7)%len(keys)], as.AddOp(as.NewBin("bal", 1)), as.GetBinOp("bal")); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
