package groupcommit

import (
	"context"
	"errors"
	"math/rand"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/aerolite"
	"github.com/mxnlabs/mxn/pkg/txn"
)

// Benchmark parameters.
const (
	benchWorkers = 32                     // goroutines of every phase
	benchPhase   = 400 * time.Millisecond // one measurement
	benchRounds  = 3                      // rounds of every mode, interleaved
)

// BenchmarkGroupCommit compares, at 32 goroutines on random accounts of an
// embedded aerolite, raw single-record Operates (add + get) with
// single-record transactions (txn.Manager.Run: 4 round trips each)
// without and through a Client with several options. The modes run in
// interleaved rounds of benchPhase each (the machine is shared: a drift
// of its load hits every mode alike), and each reports its median rate
// and the median ratio to the raw Operate rate of the same round
// ("x_raw"; the goal is txn/s >= 0.6 x raw). The "delay" modes do
// it again with every reply held 1 ms by aerolite (Faults Delay), as a
// network round trip would: there the round trips, not the CPU, bound
// the rates.
//
//	go test ./pkg/groupcommit -run '^$' -bench GroupCommit -benchtime 1x
func BenchmarkGroupCommit(b *testing.B) {
	e := newEnv(b)
	if e.Server == nil {
		b.Skip("measures against the embedded aerolite")
	}
	ukeys := e.accounts(b, 10000)
	keys := make([]*as.Key, len(ukeys))
	for i, u := range ukeys {
		keys[i] = e.key(b, e.set, u)
	}
	cfg := txn.Config{Namespace: e.Namespace, Set: e.set}
	if err := txn.NewManager(e.Client, cfg).EnsureIndex(context.Background()); err != nil {
		b.Fatal(err)
	}
	var conflicts atomic.Int64
	operate := func(c txn.Client) func(r *rand.Rand) error {
		wp := writePolicy()
		return func(r *rand.Rand) error {
			_, err := c.Operate(wp, keys[r.Intn(len(keys))], as.AddOp(as.NewBin("x", 1)), as.GetBinOp("x"))
			return err
		}
	}
	run := func(c txn.Client) func(r *rand.Rand) error {
		m := txn.NewManager(c, cfg)
		return func(r *rand.Rand) error {
			_, err := m.Run(context.Background(), txn.NewTxnID(), txn.Leg{UKey: ukeys[r.Intn(len(ukeys))], Amt: 1})
			if errors.Is(err, txn.ErrConflict) {
				conflicts.Add(1) // two runs met on an account: an outcome, not a failure
				return nil
			}
			return err
		}
	}
	type mode struct {
		name          string
		op            func(r *rand.Rand) error
		gc            *Client
		rates, ratios []float64
		ops           int64
	}
	gcMode := func(name string, o Options, op func(txn.Client) func(*rand.Rand) error) *mode {
		gc := New(e.Client, o)
		b.Cleanup(gc.Close)
		return &mode{name: name, op: op(gc), gc: gc}
	}
	// phase runs op on benchWorkers goroutines for benchPhase and returns
	// the operations done and the rate per second.
	phase := func(op func(r *rand.Rand) error) (int64, float64) {
		var n atomic.Int64
		var stop atomic.Bool
		var wg sync.WaitGroup
		start := time.Now()
		for w := range benchWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewSource(int64(w) + start.UnixNano()))
				for !stop.Load() {
					if err := op(r); err != nil {
						b.Error(err)
						return
					}
					n.Add(1)
				}
			}()
		}
		time.Sleep(benchPhase)
		stop.Store(true)
		wg.Wait()
		return n.Load(), float64(n.Load()) / time.Since(start).Seconds()
	}
	measure := func(prefix string, modes []*mode) {
		for range benchRounds {
			var raw float64
			for _, m := range modes {
				n, rate := phase(m.op)
				if raw == 0 {
					raw = rate // the first mode is the raw Operate
				}
				m.ops += n
				m.rates = append(m.rates, rate)
				m.ratios = append(m.ratios, rate/raw)
			}
		}
		for _, m := range modes {
			name := prefix + m.name
			b.ReportMetric(median(m.rates), name+"/s")
			if m != modes[0] {
				b.ReportMetric(median(m.ratios), name+"-x_raw")
			}
			if m.gc != nil {
				st := m.gc.Stats()
				if st.Batches > 0 {
					b.ReportMetric(float64(st.BatchedRecords)/float64(st.Batches), name+"-recs/batch")
				}
				b.ReportMetric(float64(st.Batches+st.Singles+st.PassedThrough)/float64(m.ops), name+"-cmds/op")
			}
		}
	}
	b.ResetTimer()
	for range b.N {
		measure("", []*mode{
			{name: "operate", op: operate(e.Client)},
			gcMode("operate-gc", Options{}, operate),
			{name: "txn", op: run(e.Client)},
			gcMode("txn-gc1", Options{MaxInFlight: 1}, run),
			gcMode("txn-gc2", Options{MaxInFlight: 2}, run),
			gcMode("txn-gc4", Options{MaxInFlight: 4}, run),
			gcMode("txn-gc1-max16", Options{MaxInFlight: 1, MaxBatch: 16}, run),
			gcMode("txn-gc1-batchofone", Options{MaxInFlight: 1, BatchOfOne: true}, run),
		})
		e.Server.Faults().Set(aerolite.FaultConfig{DelayPct: 100, Delay: time.Millisecond})
		measure("delay-", []*mode{
			{name: "operate", op: operate(e.Client)},
			{name: "txn", op: run(e.Client)},
			gcMode("txn-gc1", Options{MaxInFlight: 1}, run),
			gcMode("txn-gc2", Options{MaxInFlight: 2}, run),
			gcMode("txn-gc4", Options{MaxInFlight: 4}, run),
		})
		e.Server.Faults().Clear()
	}
	b.ReportMetric(float64(conflicts.Load()), "conflicts")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
