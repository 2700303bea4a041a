package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newBenchCmd) }

type benchFlags struct {
	records, concurrency  int
	duration              time.Duration
	legs                  []int
	rateFraction          float64
	rcnAccounts, rcnLogs  int // rcnLogs: logs per account
	rcnShards             []int
	contentionAccounts    int
	contentionConcurrency int
	contentionTransfers   int
	skipContention        bool
	skipReconcile         bool
	skipLatency           bool
	skipUnbatched         bool
	check, jsonOut        bool
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure round trips per transaction, throughput and reconciliation speed as ratios to raw operations",
		Long: `Benchmark, in one run and with the same client concurrency:
  1. raw single-record Operate (add + get) throughput: the reference;
  2. transactions of --legs legs (1 = single-record) on three paths:
       batched       the default: a transfer's locks in one batch call;
       unbatched     the locks one by one (the path before batching);
       group-commit  batched, and concurrent transactions share batch calls;
     for each: committed/s, the ratio to raw operates/s, round trips per
     transaction alone (one at a time) and under load, p50/p99 latency;
  3. latency at a fixed rate (open loop: counted from each transaction's
     slot in the schedule), --rate-fraction of the single-record maximum
     without group commit, with and without it;
  4. reconciliation of --rcn-accounts accounts with --rcn-logs-per-account
     logs each: the raw scan's log records/s, the exact path's accounts/s (a lock
     and an index query per account) and the scan-first path's, on 1 and
     more shards;
  5. contention: --contention-transfers transfers by --contention-concurrency
     clients over --contention-accounts accounts: the share that commits.
Every figure that matters is a ratio of two rates measured in the same run,
so it holds on any machine; the absolute rates vary. The run ends with the
goals of the performance work, each measured or missed; --check makes a
missed goal an error (exit 1). Each phase uses fresh sets, dropped afterwards.`,
		Example: "  mxn bench --embedded\n  mxn bench --embedded --json --check\n  mxn bench --host 10.0.0.5 --duration 10s --legs 1,2,16",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				rep, err := runBench(cmd.Context(), c, cfg, &f)
				if err != nil {
					return err
				}
				if f.jsonOut {
					err = printJSON(cfg.Stdout, rep)
				} else {
					err = rep.print(cfg.Stdout)
				}
				if err == nil && f.check {
					if missed := rep.missedGoals(); len(missed) > 0 {
						return fmt.Errorf("bench: %d goal(s) missed: %s", len(missed), strings.Join(missed, "; "))
					}
				}
				return err
			})
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.records, "records", 1000, "accounts of the throughput phases")
	fl.IntVar(&f.concurrency, "concurrency", 32, "concurrent clients of the throughput phases")
	fl.DurationVar(&f.duration, "duration", 3*time.Second, "length of each throughput phase")
	fl.IntSliceVar(&f.legs, "legs", []int{1, 2, 3, 8, 16}, "transaction sizes to measure (1 = single-record)")
	fl.Float64Var(&f.rateFraction, "rate-fraction", 0.5, "fixed rate of the latency phase, as a fraction of the single-record maximum without group commit")
	fl.IntVar(&f.rcnAccounts, "rcn-accounts", 5000, "accounts of the reconciliation phase")
	fl.IntVar(&f.rcnLogs, "rcn-logs-per-account", 8, "logs per account in the reconciliation phase (every eighth aborted)")
	fl.IntSliceVar(&f.rcnShards, "rcn-shards", []int{1, 2, 4}, "shard counts of the scan-first reconciliation")
	fl.IntVar(&f.contentionAccounts, "contention-accounts", 1000, "accounts in the contention phase")
	fl.IntVar(&f.contentionConcurrency, "contention-concurrency", 300, "concurrent transfers in the contention phase")
	fl.IntVar(&f.contentionTransfers, "contention-transfers", 6000, "transfers in the contention phase")
	fl.BoolVar(&f.skipContention, "skip-contention", false, "skip the contention phase")
	fl.BoolVar(&f.skipReconcile, "skip-reconcile", false, "skip the reconciliation phase")
	fl.BoolVar(&f.skipLatency, "skip-latency", false, "skip the fixed-rate latency phase")
	fl.BoolVar(&f.skipUnbatched, "skip-unbatched", false, "skip the unbatched path")
	fl.BoolVar(&f.check, "check", false, "exit 1 if a goal is missed")
	fl.BoolVar(&f.jsonOut, "json", false, "print the report as one JSON object instead of tables")
	return cmd
}

// validate checks the flags, naming the first bad one and its value.
func (f *benchFlags) validate() error {
	err := firstError(
		atLeast("records", f.records, 10),
		atLeast("concurrency", f.concurrency, 1),
		positive("duration", f.duration),
	)
	if err != nil {
		return err
	}
	if len(f.legs) == 0 {
		return usageErrorf("--legs must name at least one size")
	}
	for _, k := range f.legs {
		if k < 1 || k > 16 || k > f.records/2 {
			return usageErrorf("--legs %d out of range 1..%d (16 at most, and half of --records)", k, min(16, f.records/2))
		}
	}
	if f.rateFraction <= 0 || f.rateFraction > 1 {
		return usageErrorf("--rate-fraction %g must be within (0, 1]", f.rateFraction)
	}
	if !f.skipReconcile {
		if err := firstError(atLeast("rcn-accounts", f.rcnAccounts, 10), atLeast("rcn-logs-per-account", f.rcnLogs, 1)); err != nil {
			return err
		}
		if len(f.rcnShards) == 0 {
			return usageErrorf("--rcn-shards must name at least one shard count")
		}
		for _, n := range f.rcnShards {
			if n < 1 || n > 64 {
				return usageErrorf("--rcn-shards %d out of range 1..64", n)
			}
		}
	}
	if f.skipContention {
		return nil
	}
	return firstError(
		atLeast("contention-accounts", f.contentionAccounts, 2),
		atLeast("contention-concurrency", f.contentionConcurrency, 1),
		atLeast("contention-transfers", f.contentionTransfers, 1),
	)
}

// runBench runs every phase in order; each phase's progress goes to the log.
func runBench(ctx context.Context, c as.ClientIfc, cfg *globalConfig, f *benchFlags) (*benchReport, error) {
	base := fmt.Sprintf("bench%d", time.Now().UnixNano()%1e6)
	rep := &benchReport{Concurrency: f.concurrency, Records: f.records, DurationSec: f.duration.Seconds()}
	raw, err := benchRaw(ctx, c, cfg, base+"raw", f)
	if err != nil {
		return nil, err
	}
	rep.RawOperatePerSec = raw
	cfg.Log.Progressf("raw operate: %.0f/s", raw)
	for _, k := range f.legs {
		for _, path := range benchPaths {
			if (path == pathUnbatched && (k == 1 || f.skipUnbatched)) || ctx.Err() != nil {
				continue
			}
			row, err := benchTxns(ctx, c, cfg, fmt.Sprintf("%st%d%c", base, k, path[0]), f, k, path)
			if err != nil {
				return nil, err
			}
			row.Ratio = row.PerSec / raw
			rep.Transactions = append(rep.Transactions, row)
			cfg.Log.Progressf("%s: %.0f/s, %.3f of raw, %.2f round trips alone, %.2f loaded", row.name(), row.PerSec, row.Ratio, row.RoundTrips, row.LoadedTrips)
		}
	}
	if !f.skipLatency {
		if peak := rep.row(1, pathBatched); peak != nil && peak.PerSec > 0 {
			lat, err := benchLatency(ctx, c, cfg, base+"lat", f, f.rateFraction*peak.PerSec)
			if err != nil {
				return nil, err
			}
			rep.Latency = lat
		}
	}
	if !f.skipReconcile {
		r, err := benchReconcile(ctx, c, cfg, base+"rcn", f)
		if err != nil {
			return nil, err
		}
		rep.Reconcile = r
	}
	if !f.skipContention {
		r, err := benchContention(ctx, c, cfg, base+"hot", f)
		if err != nil {
			return nil, err
		}
		rep.Contention = r
	}
	rep.judge()
	return rep, ctx.Err()
}
