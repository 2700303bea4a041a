package main

import (
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/workload"
)

func init() { registerCommand(newRtxnsCmd) }

type rtxnsFlags struct {
	records, concurrency, legs, retries int
	duration, progress                  time.Duration
	rate, zipf                          float64
	mode                                string
	lf                                  lockFlags
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
added to the lck_stats record.`,
		Example: `  mxn rtxns --count 1000 --fpct 50
  mxn rtxns --mode transfer --legs 3 --duration 30s --concurrency 32 --zipf 1.2`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := configOf(cmd)
			if err != nil {
				return err
			}
			if err := f.validate(cfg); err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				sum, err := runRandom(cmd, c, cfg, &f)
				if err != nil {
					return err
				}
				return printJSON(cfg.Stdout, sum)
			})
		},
	}
	addRtxnsFlags(cmd, &f)
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
	)
	if err == nil && cfg.Count == 0 && f.duration == 0 {
		err = usageErrorf("--count 0 and no --duration: give a number of transactions or a duration")
	}
	return err
}

// runRandom runs the workload described by the flags (checked by validate).
func runRandom(cmd *cobra.Command, c as.ClientIfc, cfg *globalConfig, f *rtxnsFlags) (*workload.Summary, error) {
	count := cfg.Count
	if f.duration > 0 && !cmd.Flags().Changed("count") && !cfg.flags.Changed("count") {
		count = 0 // --duration alone: run for that long
	}
	wc := workload.Config{
		Accounts: f.records, Mode: f.mode, Legs: f.legs, Count: count, Duration: f.duration,
		Concurrency: f.concurrency, Rate: f.rate, Zipf: f.zipf, Retries: f.retries, Seed: cfg.Seed,
		ProgressEvery: f.progress,
		Progress: func(s *workload.Summary) {
			cfg.Log.Progressf("%.0fs: %d attempted, %d committed (%.0f/s), %d aborted, %d conflicts, %d in doubt",
				s.ElapsedSec, s.Attempted, s.Committed, s.TxnsPerSec, s.Aborted, s.Conflicts, s.InDoubt)
		},
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
	sum, err := workload.Run(cmd.Context(), m, wc)
	if err != nil {
		return nil, err
	}
	if faulty != nil {
		sum.FaultBefore, sum.FaultAfter = faulty.NotSent.Load(), faulty.RepliesLost.Load()
	}
	// Statistics go through the plain client: a lost update of them is
	// not worth a retry loop.
	if err := lock.SaveStats(cmd.Context(), c, cfg.Namespace, cfg.Set, sum.Lock); err != nil {
		cfg.Log.Wrnf("%v", err)
	}
	return sum, nil
}
