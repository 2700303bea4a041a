package main

import (
	"context"
	"os/signal"
	"syscall"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/txn"
)

func init() {
	registerCommand(newClnCmd)
	registerCommand(newClnsvcCmd)
}

type cleanupFlags struct {
	minAge      time.Duration
	sweepAge    time.Duration
	dryRun      bool
	partitions  string
	concurrency int
	lf          lockFlags
}

func addCleanupFlags(cmd *cobra.Command, f *cleanupFlags) {
	cmd.Flags().DurationVar(&f.minAge, "min-age", time.Second, "leave pending transactions younger than this alone")
	cmd.Flags().DurationVar(&f.sweepAge, "sweep-age", 0, "abort a transaction whose logs are still pending after this long (its run is presumed dead; default 20 x (lock TTL + grace))")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "decide nothing, write nothing: report what would be done")
	cmd.Flags().StringVar(&f.partitions, "partitions", "", "partition range begin:count (default all 4096)")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 4, "accounts cleaned at once")
	addLockFlags(cmd, &f.lf)
}

func (f *cleanupFlags) options(cfg *globalConfig) (txn.CleanupOptions, error) {
	if err := firstError(
		notNegative("min-age", f.minAge),
		notNegative("sweep-age", f.sweepAge),
		inRange("concurrency", f.concurrency, 1, maxConcurrency),
		f.lf.validate(),
	); err != nil {
		return txn.CleanupOptions{}, err
	}
	r, err := parseRange(f.partitions)
	if err != nil {
		return txn.CleanupOptions{}, err
	}
	return txn.CleanupOptions{MinAge: f.minAge, SweepAge: f.sweepAge, DryRun: f.dryRun, Partitions: r, UKey: cfg.UKey, Concurrency: f.concurrency}, nil
}

func newClnCmd() *cobra.Command {
	var f cleanupFlags
	var untilClean bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "cln",
		Short: "Finish failed transactions: roll forward the committed, roll back the rest",
		Long: `Clean up once. First sweep the log set in --partitions (or the logs of
--ukey): every log still pending gets the final status of its transaction,
and a transaction whose logs are older than --sweep-age without a decision
is aborted at its commit point. Then, for every account with pending entries
(or a stale lock): take its lock (stealing an expired one), decide each
pending transaction older than --min-age at its commit point, roll committed
ones forward and the rest back, and write the result in one fenced release.
Safe beside live traffic and other cleaners. Prints a JSON report
(logs_pending counts logs left pending because they are younger than
--sweep-age).

With --until-clean (only once every writer has stopped), wait until their
locks have expired, then clean in rounds until one is clean and changes
nothing, for at most --timeout; the JSON report sums the rounds, and the
exit status is 1 if cleanup did not finish. With --summary-file the report
(kind "cln") holds the counts.`,
		Example: `  mxn cln
  mxn cln --dry-run
  mxn cln --partitions 2048:2048 --min-age 5s
  mxn cln --until-clean --timeout 5m --summary-file /dev/termination-log`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withReport(cmd, report.KindCleanup, func(out *report.Report) error {
				cfg, err := configOf(cmd)
				if err != nil {
					return err
				}
				opts, err := f.options(cfg)
				if err != nil {
					return err
				}
				if err := positive("timeout", timeout); err != nil {
					return err
				}
				if untilClean && opts.DryRun {
					return usageErrorf("--until-clean and --dry-run: a dry run never comes clean")
				}
				return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
					m, _, err := newManager(c, cfg, &f.lf)
					if err != nil {
						return err
					}
					if untilClean {
						vo := txn.VerifyOptions{Partitions: opts.Partitions, UKey: opts.UKey, Concurrency: opts.Concurrency,
							Timeout: timeout, SkipReconcile: true}
						if cmd.Flags().Changed("sweep-age") {
							vo.SweepAge = opts.SweepAge
						}
						if cmd.Flags().Changed("min-age") {
							vo.MinAge = opts.MinAge
						}
						vr, err := m.Verify(cmd.Context(), vo)
						out.Cleanup = report.FromCleanup(&vr.Cleanup, vr.Clean)
						if perr := printJSON(cfg.Stdout, vr.Cleanup); perr != nil {
							return perr
						}
						return err
					}
					rep, err := m.Cleanup(cmd.Context(), opts)
					if rep != nil {
						out.Cleanup = report.FromCleanup(rep, err == nil && rep.Clean())
					}
					if perr := printJSON(cfg.Stdout, rep); perr != nil {
						return perr
					}
					return err
				})
			})
		},
	}
	addCleanupFlags(cmd, &f)
	cmd.Flags().BoolVar(&untilClean, "until-clean", false, "once every writer has stopped: wait --lock-ttl + --lock-grace, then clean in rounds until one is clean and changes nothing (--sweep-age default ttl + grace, --min-age default 0)")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "with --until-clean: longest time the rounds may take")
	return cmd
}

func newClnsvcCmd() *cobra.Command {
	var f cleanupFlags
	var period, duration time.Duration
	cmd := &cobra.Command{
		Use:   "clnsvc",
		Short: "Clean up every --period until stopped (SIGINT/SIGTERM or --duration)",
		Long: `Run cln in a loop: one round every --period until SIGINT, SIGTERM or
--duration. Each round logs one line at --log-level inf; the totals are
printed as one JSON line at the end.`,
		Example: "  mxn clnsvc --period 1s --duration 1m",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := firstError(positive("period", period), notNegative("duration", duration)); err != nil {
				return err
			}
			cfg, err := configOf(cmd)
			if err != nil {
				return err
			}
			opts, err := f.options(cfg)
			if err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				m, _, err := newManager(c, cfg, &f.lf)
				if err != nil {
					return err
				}
				ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM)
				defer stop()
				if duration > 0 {
					var cancel func()
					ctx, cancel = context.WithTimeout(ctx, duration)
					defer cancel()
				}
				total := &txn.CleanupReport{DryRun: opts.DryRun}
				rounds := 0
				_ = m.CleanupService(ctx, opts, period, func(r *txn.CleanupReport, err error) {
					rounds++
					if err != nil && ctx.Err() == nil {
						cfg.Log.Errf("cleanup round %d: %v", rounds, err)
					}
					if r != nil {
						cfg.Log.Inff("round %d: accounts %d, rolled forward %d, rolled back %d, undecided %d, busy %d",
							rounds, r.Accounts, r.RolledForward, r.RolledBack, r.Undecided, r.Busy)
						counts := *r
						counts.Errors = nil // logged above, per round
						total.Merge(&counts)
					}
				})
				return printJSON(cfg.Stdout, map[string]any{"rounds": rounds, "totals": total})
			})
		},
	}
	addCleanupFlags(cmd, &f)
	cmd.Flags().DurationVar(&period, "period", time.Second, "time between rounds")
	cmd.Flags().DurationVar(&duration, "duration", 0, "stop after this long (default: until signalled)")
	return cmd
}
