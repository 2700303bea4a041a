package main

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/groupcommit"
	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
	"github.com/mxnlabs/mxn/pkg/workload"
)

// benchAccounts creates n zero-balance accounts in set.
func benchAccounts(c as.ClientIfc, ns, set string, n int) error {
	wp := as.NewWritePolicy(0, 0)
	wp.SendKey = true
	for i := 0; i < n; i++ {
		k, err := as.NewKey(ns, set, workload.AccountName(i))
		if err != nil {
			return err
		}
		if err := c.Put(wp, k, as.BinMap{"name": workload.AccountName(i), "bal": 0}); err != nil {
			return fmt.Errorf("create account: %w", asErr(err))
		}
	}
	return nil
}

func dropSets(c as.ClientIfc, ns string, sets ...string) {
	for _, s := range sets {
		_ = c.Truncate(nil, ns, s, nil)
	}
}

// benchRaw measures Operate(add, get) on random accounts.
func benchRaw(ctx context.Context, c as.ClientIfc, cfg *globalConfig, set string, f *benchFlags) (float64, error) {
	if err := benchAccounts(c, cfg.Namespace, set, f.records); err != nil {
		return 0, err
	}
	defer dropSets(c, cfg.Namespace, set)
	keys := make([]*as.Key, f.records)
	for i := range keys {
		keys[i], _ = as.NewKey(cfg.Namespace, set, workload.AccountName(i))
	}
	ctx, cancel := context.WithTimeout(ctx, f.duration)
	defer cancel()
	var ops atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < f.concurrency; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(g)))
			for ctx.Err() == nil {
				if _, err := c.Operate(nil, keys[rng.Intn(len(keys))], as.AddOp(as.NewBin("bal", 1)), as.GetBinOp("bal")); err == nil {
					ops.Add(1)
				}
			}
		}(g)
	}
	wg.Wait()
	return float64(ops.Load()) / time.Since(start).Seconds(), nil
}

// benchManager is a Manager on one of the paths, over a counting client
// (below the group-commit batcher, so it counts what reaches the server).
type benchManager struct {
	*txn.Manager
	counting *txntest.CountingClient
	batcher  *groupcommit.Client // nil unless group commit
}

func newBenchManager(c as.ClientIfc, cfg *globalConfig, set, path string, lc lock.Config) *benchManager {
	bm := &benchManager{counting: txntest.NewCountingClient(c)}
	var client txn.Client = bm.counting
	if path == pathGroupCommit {
		bm.batcher = groupcommit.New(bm.counting, groupcommit.Options{})
		client = bm.batcher
	}
	bm.Manager = txn.NewManager(client, txn.Config{Namespace: cfg.Namespace, Set: set, Seed: cfg.Seed,
		Unbatched: path == pathUnbatched, Lock: lc})
	return bm
}

func (bm *benchManager) close() {
	if bm.batcher != nil {
		bm.batcher.Close()
	}
}

func workloadMode(k int) string {
	if k == 1 {
		return "single"
	}
	return "transfer"
}

// benchTxns measures transactions of k legs on one path: round trips one
// at a time, then throughput, round trips and latency under load.
func benchTxns(ctx context.Context, c as.ClientIfc, cfg *globalConfig, set string, f *benchFlags, k int, path string) (benchRow, error) {
	row := benchRow{Legs: k, Path: path}
	if err := benchAccounts(c, cfg.Namespace, set, f.records); err != nil {
		return row, err
	}
	defer dropSets(c, cfg.Namespace, set, txn.LogSetName(set))
	bm := newBenchManager(c, cfg, set, path, lock.Config{TTL: time.Second, MaxWait: 2 * time.Second})
	defer bm.close()
	alone, err := workload.Run(ctx, bm.Manager, workload.Config{Accounts: f.records, Mode: workloadMode(k), Legs: k,
		Count: 200, Concurrency: 1, Retries: 10, Seed: cfg.Seed})
	if err != nil {
		return row, err
	}
	if alone.Attempted > 0 {
		row.RoundTrips = float64(bm.counting.Calls.Load()) / float64(alone.Attempted)
	}
	bm.counting.Calls.Store(0)
	var before groupcommit.Stats
	if bm.batcher != nil {
		before = bm.batcher.Stats()
	}
	s, err := workload.Run(ctx, bm.Manager, workload.Config{Accounts: f.records, Mode: workloadMode(k), Legs: k,
		Duration: f.duration, Concurrency: f.concurrency, Retries: 50, Seed: cfg.Seed + 1, KeepLatencies: true})
	if err != nil {
		return row, err
	}
	row.PerSec, row.Committed, row.Attempted = s.TxnsPerSec, s.Committed, s.Attempted
	row.P50Ms, row.P99Ms = ms(s.ExactQuantile(0.5)), ms(s.ExactQuantile(0.99))
	if s.Committed > 0 {
		row.LoadedTrips = float64(bm.counting.Calls.Load()) / float64(s.Committed)
	}
	if bm.batcher != nil {
		st := bm.batcher.Stats()
		if n := st.Batches - before.Batches; n > 0 {
			row.CallsPerBatch = float64(st.BatchedCalls-before.BatchedCalls) / float64(n)
		}
	}
	return row, nil
}

// benchLatency runs single-record transactions at a fixed rate (open
// loop), without and with group commit, and compares their p99.
func benchLatency(ctx context.Context, c as.ClientIfc, cfg *globalConfig, set string, f *benchFlags, rate float64) (*latencyReport, error) {
	rep := &latencyReport{RatePerSec: rate}
	for _, path := range []string{pathBatched, pathGroupCommit} {
		err := func() error {
			s := set + path[:1]
			if err := benchAccounts(c, cfg.Namespace, s, f.records); err != nil {
				return err
			}
			defer dropSets(c, cfg.Namespace, s, txn.LogSetName(s))
			bm := newBenchManager(c, cfg, s, path, lock.Config{TTL: time.Second, MaxWait: 2 * time.Second})
			defer bm.close()
			sum, err := workload.Run(ctx, bm.Manager, workload.Config{Accounts: f.records, Mode: "single",
				Duration: f.duration, Concurrency: f.concurrency, Rate: rate, Retries: 50, Seed: cfg.Seed + 3, KeepLatencies: true})
			if err != nil {
				return err
			}
			row := latencyRow{Path: path, PerSec: sum.TxnsPerSec, Committed: sum.Committed,
				P50Ms: ms(sum.ExactQuantile(0.5)), P99Ms: ms(sum.ExactQuantile(0.99))}
			rep.Rows = append(rep.Rows, row)
			cfg.Log.Progressf("single-record at %.0f/s, %s: p50 %.2f ms, p99 %.2f ms", rate, path, row.P50Ms, row.P99Ms)
			return nil
		}()
		if err != nil {
			return nil, err
		}
	}
	if plain := rep.Rows[0].P99Ms; plain > 0 {
		rep.P99Ratio = rep.Rows[1].P99Ms / plain
	}
	return rep, nil
}

// benchContention runs many concurrent transfers over a fixed set of
// accounts and reports how many commit (with retries).
func benchContention(ctx context.Context, c as.ClientIfc, cfg *globalConfig, set string, f *benchFlags) (*contentionRow, error) {
	row := &contentionRow{Name: fmt.Sprintf("contention: %d transfers x%d over %d accounts", f.contentionTransfers, f.contentionConcurrency, f.contentionAccounts)}
	if err := benchAccounts(c, cfg.Namespace, set, f.contentionAccounts); err != nil {
		return nil, err
	}
	defer dropSets(c, cfg.Namespace, set, txn.LogSetName(set))
	m := txn.NewManager(c, txn.Config{Namespace: cfg.Namespace, Set: set, Seed: cfg.Seed,
		Lock: lock.Config{TTL: time.Second, MaxWait: 3 * time.Second, Attempts: 50}})
	s, err := workload.Run(ctx, m, workload.Config{Accounts: f.contentionAccounts, Mode: "transfer", Legs: 2,
		Count: f.contentionTransfers, Concurrency: f.contentionConcurrency, Retries: 100, Seed: cfg.Seed + 2})
	if err != nil {
		return nil, err
	}
	row.PerSec, row.Committed, row.Attempted, row.Conflicts, row.Retries = s.TxnsPerSec, s.Committed, s.Attempted, s.Conflicts, s.Retries
	if s.Attempted > 0 {
		row.Share = float64(s.Committed) / float64(s.Attempted)
	}
	cfg.Log.Progressf("contention: %.2f%% committed (%d of %d; %d conflicts, %d retries)", 100*row.Share, s.Committed, s.Attempted, s.Conflicts, s.Retries)
	return row, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
