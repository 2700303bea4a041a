package main

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
	"github.com/mxnlabs/mxn/pkg/workload"
)

func init() { registerCommand(newBenchCmd) }

type benchFlags struct {
	records, concurrency    int
	duration                time.Duration
	contentionAccounts      int
	contentionConcurrency   int
	contentionTransfers     int
	skipContention, jsonOut bool
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure round trips per transaction and throughput relative to raw operates",
		Long: `Benchmark, in one run and with the same concurrency:
  1. raw single-record Operate (add + get) throughput,
  2. single-record transactions, 2-leg and 3-leg transfers: committed/s, the
     ratio to raw operates/s, and client round trips per transaction (measured
     uncontended, one at a time, and under load),
  3. contention: --contention-transfers transfers by --contention-concurrency
     clients over --contention-accounts accounts: the share that commits
     (with retries).
Each phase uses fresh sets, dropped afterwards. Figures vary with the machine:
compare the ratios, not the absolute rates.`,
		Example: "  mxn bench --embedded\n  mxn bench --host 10.0.0.5 --duration 10s",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				return runBench(cmd.Context(), c, cfg, &f)
			})
		},
	}
	cmd.Flags().IntVar(&f.records, "records", 1000, "accounts")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 32, "concurrent clients for the throughput phases")
	cmd.Flags().DurationVar(&f.duration, "duration", 3*time.Second, "length of each throughput phase")
	cmd.Flags().IntVar(&f.contentionAccounts, "contention-accounts", 1000, "accounts in the contention phase")
	cmd.Flags().IntVar(&f.contentionConcurrency, "contention-concurrency", 300, "concurrent transfers in the contention phase")
	cmd.Flags().IntVar(&f.contentionTransfers, "contention-transfers", 6000, "transfers in the contention phase")
	cmd.Flags().BoolVar(&f.skipContention, "skip-contention", false, "skip the contention phase")
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print the results as one JSON line instead of a table")
	return cmd
}

// validate checks the flags, naming the first bad one and its value.
func (f *benchFlags) validate() error {
	err := firstError(
		atLeast("records", f.records, 10),
		atLeast("concurrency", f.concurrency, 1),
		positive("duration", f.duration),
	)
	if err != nil || f.skipContention {
		return err
	}
	return firstError(
		atLeast("contention-accounts", f.contentionAccounts, 2),
		atLeast("contention-concurrency", f.contentionConcurrency, 1),
		atLeast("contention-transfers", f.contentionTransfers, 1),
	)
}

type benchRow struct {
	Name        string  `json:"name"`
	PerSec      float64 `json:"per_s"`
	Ratio       float64 `json:"ratio_to_raw"`
	RoundTrips  float64 `json:"round_trips_uncontended"`
	LoadedTrips float64 `json:"round_trips_loaded"`
	Committed   int64   `json:"committed"`
	Attempted   int64   `json:"attempted"`
	P99Ms       float64 `json:"p99_ms"`
}

func runBench(ctx context.Context, c as.ClientIfc, cfg *globalConfig, f *benchFlags) error {
	base := fmt.Sprintf("bench%d", time.Now().UnixNano()%1e6)
	var rows []benchRow
	raw, err := benchRaw(ctx, c, cfg, base+"raw", f)
	if err != nil {
		return err
	}
	rows = append(rows, benchRow{Name: "raw operate (add+get)", PerSec: raw, Ratio: 1, RoundTrips: 1, LoadedTrips: 1})
	cfg.Log.Progressf("raw operate: %.0f/s", raw)
	for _, k := range []int{1, 2, 3} {
		row, err := benchTxns(ctx, c, cfg, fmt.Sprintf("%stx%d", base, k), f, k)
		if err != nil {
			return err
		}
		row.Ratio = row.PerSec / raw
		rows = append(rows, row)
		cfg.Log.Progressf("%s: %.0f/s", row.Name, row.PerSec)
	}
	if !f.skipContention {
		row, err := benchContention(ctx, c, cfg, base+"hot", f)
		if err != nil {
			return err
		}
		row.Ratio = row.PerSec / raw
		rows = append(rows, row)
	}
	if f.jsonOut {
		return printJSON(cfg.Stdout, map[string]any{"concurrency": f.concurrency, "results": rows})
	}
	w := tabwriter.NewWriter(cfg.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "benchmark\tper s\tratio to raw\tround trips (alone)\tround trips (loaded)\tcommitted/attempted\tp99 ms\t")
	na := func(v float64, format string) string {
		if v == 0 {
			return "-"
		}
		return fmt.Sprintf(format, v)
	}
	for _, r := range rows {
		counts := "-"
		if r.Attempted > 0 {
			counts = fmt.Sprintf("%d/%d", r.Committed, r.Attempted)
		}
		fmt.Fprintf(w, "%s\t%.0f\t%.3f\t%s\t%s\t%s\t%s\t\n", r.Name, r.PerSec, r.Ratio,
			na(r.RoundTrips, "%.2f"), na(r.LoadedTrips, "%.2f"), counts, na(r.P99Ms, "%.1f"))
	}
	return w.Flush()
}

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

// benchTxns measures transactions of k legs (1: single-record).
func benchTxns(ctx context.Context, c as.ClientIfc, cfg *globalConfig, set string, f *benchFlags, k int) (benchRow, error) {
	name := "single-record txn"
	mode := "single"
	if k > 1 {
		name, mode = fmt.Sprintf("%d-leg transfer", k), "transfer"
	}
	row := benchRow{Name: name}
	if err := benchAccounts(c, cfg.Namespace, set, f.records); err != nil {
		return row, err
	}
	defer dropSets(c, cfg.Namespace, set, txn.LogSetName(set))
	counting := txntest.NewCountingClient(c)
	m := txn.NewManager(counting, txn.Config{Namespace: cfg.Namespace, Set: set, Seed: cfg.Seed,
		Lock: lock.Config{TTL: time.Second, MaxWait: 2 * time.Second}})
	// Uncontended: one transaction at a time.
	alone, err := workload.Run(ctx, m, workload.Config{Accounts: f.records, Mode: mode, Legs: k, Count: 200, Concurrency: 1, Retries: 10, Seed: cfg.Seed})
	if err != nil {
		return row, err
	}
	if alone.Attempted > 0 {
		row.RoundTrips = float64(counting.Calls.Load()) / float64(alone.Attempted)
	}
	counting.Calls.Store(0)
	s, err := workload.Run(ctx, m, workload.Config{Accounts: f.records, Mode: mode, Legs: k, Duration: f.duration,
		Concurrency: f.concurrency, Retries: 50, Seed: cfg.Seed + 1})
	if err != nil {
		return row, err
	}
	row.PerSec, row.Committed, row.Attempted, row.P99Ms = s.TxnsPerSec, s.Committed, s.Attempted, s.P99Ms
	if s.Committed > 0 {
		row.LoadedTrips = float64(counting.Calls.Load()) / float64(s.Committed)
	}
	return row, nil
}

// benchContention runs many concurrent transfers over a fixed set of
// accounts and reports how many commit (with retries).
func benchContention(ctx context.Context, c as.ClientIfc, cfg *globalConfig, set string, f *benchFlags) (benchRow, error) {
	row := benchRow{Name: fmt.Sprintf("contention: %d transfers x%d over %d accounts", f.contentionTransfers, f.contentionConcurrency, f.contentionAccounts)}
	if err := benchAccounts(c, cfg.Namespace, set, f.contentionAccounts); err != nil {
		return row, err
	}
	defer dropSets(c, cfg.Namespace, set, txn.LogSetName(set))
	m := txn.NewManager(c, txn.Config{Namespace: cfg.Namespace, Set: set, Seed: cfg.Seed,
		Lock: lock.Config{TTL: time.Second, MaxWait: 3 * time.Second, Attempts: 50}})
	s, err := workload.Run(ctx, m, workload.Config{Accounts: f.contentionAccounts, Mode: "transfer", Legs: 2,
		Count: f.contentionTransfers, Concurrency: f.contentionConcurrency, Retries: 100, Seed: cfg.Seed + 2})
	if err != nil {
		return row, err
	}
	row.PerSec, row.Committed, row.Attempted, row.P99Ms = s.TxnsPerSec, s.Committed, s.Attempted, s.P99Ms
	if s.Attempted > 0 {
		cfg.Log.Progressf("contention: %.2f%% committed (%d of %d; %d conflicts, %d retries)",
			100*float64(s.Committed)/float64(s.Attempted), s.Committed, s.Attempted, s.Conflicts, s.Retries)
	}
	return row, nil
}
