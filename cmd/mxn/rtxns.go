package main

import (
	"context"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/runstate"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/workload"
)

func init() { registerCommand(newRtxnsCmd) }

type rtxnsFlags struct {
	records, concurrency, legs, retries int
	duration, progress                  time.Duration
	rate, zipf                          float64
	mode                                string
	lf                                  lockFlags

	// A run of several workers (the operator's): start barrier and live
	// progress in the run set (pkg/runstate).
	runID                      string
	worker, workers            int
	barrierTimeout, flushEvery time.Duration
}

func addRtxnsFlags(cmd *cobra.Command, f *rtxnsFlags) {
	cmd.Flags().IntVar(&f.records, "records", 1000, "accounts usr0..usr<records-1> to pick from")
	cmd.Flags().StringVar(&f.mode, "mode", "single", "single (random debits/credits) or transfer (--legs accounts, summing to 0)")
	cmd.Flags().IntVar(&f.legs, "legs", 2, "accounts per transfer (--mode transfer)")
	cmd.Flags().DurationVar(&f.duration, "duration", 0, "run for this long (instead of, or as a bound on, --count)")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 8, "transactions in flight")
	cmd.Flags().Float64Var(&f.rate, "rate", 0, "start at most this many transactions per second (0: unlimited)")
	cmd.Flags().Float64Var(&f.zipf, "zipf", 0, "skew towards hot accounts: Zipf exponent > 1 (0: uniform)")
	cmd.Flags().IntVar(&f.retries, "retries", 20, "retries of a transaction that met a held lock")
	cmd.Flags().DurationVar(&f.progress, "progress", 5*time.Second, "progress line interval on stderr (0: none)")
	addLockFlags(cmd, &f.lf)
}

// addRunFlags declares the flags of a run shared by several workers.
func addRunFlags(cmd *cobra.Command, f *rtxnsFlags) {
	cmd.Flags().StringVar(&f.runID, "run-id", "", "run of several workers: wait at a common start barrier and flush progress to <set>run records of this run")
	cmd.Flags().IntVar(&f.worker, "worker", 0, "with --run-id: this worker's index, 0..workers-1")
	cmd.Flags().IntVar(&f.workers, "workers", 1, "with --run-id: how many workers the barrier waits for")
	cmd.Flags().DurationVar(&f.barrierTimeout, "barrier-timeout", 10*time.Minute, "with --run-id: fail if the barrier has not opened after this long")
	cmd.Flags().DurationVar(&f.flushEvery, "flush-every", time.Second, "with --run-id: interval of progress flushes")
}

func newRtxnsCmd() *cobra.Command {
	var f rtxnsFlags
	cmd := &cobra.Command{
		Use:   "rtxns",
		Short: "Run random transactions and print a JSON summary",
		Long: `Run random transactions on accounts usr0..usr<records-1>: single-record
debits/credits with amounts in [-100, 1000] (the prototype's), or with
--mode transfer, transfers across --legs accounts whose amounts sum to zero.
Stops after --count transactions (unless --duration is given alone) or
--duration, whichever comes first. With --fpct, failures are injected before
and after client calls. Progress goes to stderr; the summary (counts by
outcome, lock statistics, latency histogram with mergeable power-of-two
buckets) is printed as one JSON line at the end, and the lock statistics are
added to the lck_stats record.

With --run-id, the worker is one of --workers of a run: it checks in at the
run's start barrier (record barrier:<run-id> of set <set>run) and waits
until all have, or until the barrier is released, for at most
--barrier-timeout; the workload starts then. Every --flush-every it writes
its running summary to record progress:<run-id>:<worker>, and the final one
marked done. With --summary-file the report (kind "rtxns") holds the
summary, and its start is when the barrier opened.`,
		Example: `  mxn rtxns --count 1000 --fpct 50
  mxn rtxns --mode transfer --legs 3 --duration 30s --concurrency 32 --zipf 1.2
  mxn rtxns --duration 5m --run-id lt1 --worker 3 --workers 8 --summary-file /dev/termination-log`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withReport(cmd, report.KindWorkload, func(rep *report.Report) error {
				cfg, err := configOf(cmd)
				if err != nil {
					return err
				}
				if err := f.validate(cfg); err != nil {
					return err
				}
				return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
					sum, err := runRandom(cmd, c, cfg, &f, rep)
					if err != nil {
						return err
					}
					rep.Workload = sum
					return printJSON(cfg.Stdout, sum)
				})
			})
		},
	}
	addRtxnsFlags(cmd, &f)
	addRunFlags(cmd, &f)
	return cmd
}

// validate checks the flags, naming the first bad one and its value.
func (f *rtxnsFlags) validate(cfg *globalConfig) error {
	err := firstError(
		checkWorkload(f.records, f.mode, f.legs, f.zipf),
		notNegative("duration", f.duration),
		atLeast("concurrency", f.concurrency, 1),
		notNegativeFloat("rate", f.rate),
		atLeast("retries", f.retries, 0),
		notNegative("progress", f.progress),
		f.lf.validate(),
		f.validateRun(),
	)
	if err == nil && cfg.Count == 0 && f.duration == 0 {
		err = usageErrorf("--count 0 and no --duration: give a number of transactions or a duration")
	}
	return err
}

// validateRun checks the flags of a run of several workers.
func (f *rtxnsFlags) validateRun() error {
	if f.runID == "" {
		if f.worker != 0 || f.workers != 1 {
			return usageErrorf("--worker and --workers need --run-id")
		}
		return nil
	}
	if err := txn.ValidateTxnID(f.runID); err != nil { // the same rules: no ':', bounded
		return usageErrorf("--run-id %q: %v", f.runID, err)
	}
	return firstError(
		atLeast("workers", f.workers, 1),
		inRange("worker", f.worker, 0, f.workers-1),
		positive("barrier-timeout", f.barrierTimeout),
		positive("flush-every", f.flushEvery),
	)
}

// runRandom runs the workload described by the flags (checked by
// validate). With --run-id it first waits at the run's barrier and flushes
// its progress while it runs; rep's start is when the workload started.
func runRandom(cmd *cobra.Command, c as.ClientIfc, cfg *globalConfig, f *rtxnsFlags, rep *report.Report) (*workload.Summary, error) {
	ctx := cmd.Context()
	count := cfg.Count
	if f.duration > 0 && !cmd.Flags().Changed("count") && !cfg.flags.Changed("count") {
		count = 0 // --duration alone: run for that long
	}
	runSet := runstate.SetName(cfg.Set)
	var lastLine time.Time
	progressLine := func(s *workload.Summary) {
		cfg.Log.Progressf("%.0fs: %d attempted, %d committed (%.0f/s), %d aborted, %d conflicts, %d in doubt",
			s.ElapsedSec, s.Attempted, s.Committed, s.TxnsPerSec, s.Aborted, s.Conflicts, s.InDoubt)
	}
	wc := workload.Config{
		Accounts: f.records, Mode: f.mode, Legs: f.legs, Count: count, Duration: f.duration,
		Concurrency: f.concurrency, Rate: f.rate, Zipf: f.zipf, Retries: f.retries, Seed: cfg.Seed,
		ProgressEvery: f.progress,
		Progress:      progressLine,
	}
	if f.runID != "" {
		// One tick for both: flush every --flush-every, print a line every
		// --progress.
		wc.ProgressEvery = f.flushEvery
		wc.Progress = func(s *workload.Summary) {
			if err := runstate.FlushProgress(ctx, c, cfg.Namespace, runSet, f.runID, f.worker, s, false); err != nil {
				cfg.Log.Wrnf("%v", err)
			}
			if f.progress > 0 && time.Since(lastLine) >= f.progress {
				lastLine = time.Now()
				progressLine(s)
			}
		}
	}
	if f.mode == "single" {
		wc.Legs = 1
	}
	if err := wc.Validate(); err != nil {
		return nil, usageErrorf("%v", err)
	}
	m, faulty, err := newManager(c, cfg, &f.lf)
	if err != nil {
		return nil, err
	}
	if f.runID != "" {
		cfg.Log.Inff("worker %d of %d waiting at the barrier of run %s", f.worker, f.workers, f.runID)
		start, err := runstate.Barrier(ctx, c, cfg.Namespace, runSet, f.runID, f.worker, f.workers, f.barrierTimeout, nil)
		if err != nil {
			return nil, err
		}
		lastLine = start
		cfg.Log.Inff("barrier of run %s open", f.runID)
	}
	rep.StartUnixMs = time.Now().UnixMilli()
	sum, err := workload.Run(ctx, m, wc)
	if err != nil {
		return nil, err
	}
	rep.EndUnixMs = time.Now().UnixMilli()
	if faulty != nil {
		sum.FaultBefore, sum.FaultAfter = faulty.NotSent.Load(), faulty.RepliesLost.Load()
	}
	if f.runID != "" {
		// The final summary, even if the run was cancelled: a fresh
		// context, so that the controller sees it done.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if err := runstate.FlushProgress(fctx, c, cfg.Namespace, runSet, f.runID, f.worker, sum, true); err != nil {
			cfg.Log.Wrnf("%v", err)
		}
		cancel()
	}
	// Statistics go through the plain client: a lost update of them is
	// not worth a retry loop.
	if err := lock.SaveStats(ctx, c, cfg.Namespace, cfg.Set, sum.Lock); err != nil {
		cfg.Log.Wrnf("%v", err)
	}
	return sum, nil
}
