package main

import (
	"fmt"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/txn"
)

func init() { registerCommand(newVerifyCmd) }

// defaultMaxDrifted is the drifted sample's default size in reports.
const defaultMaxDrifted = 20

func addMaxDriftedFlag(cmd *cobra.Command, n *int) {
	cmd.Flags().IntVar(n, "max-drifted", defaultMaxDrifted, fmt.Sprintf("unbalanced accounts listed in the --summary-file report (0..%d; fewer if the report would exceed 4096 bytes)", report.MaxDriftedLimit))
}

func checkMaxDrifted(n int) error { return inRange("max-drifted", n, 0, report.MaxDriftedLimit) }

func newVerifyCmd() *cobra.Command {
	var partitions string
	var concurrency, maxDrifted int
	var timeout time.Duration
	var lf lockFlags
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "After a run: clean up until nothing is pending, then reconcile",
		Long: `Verify the accounts once every writer has stopped (what mxn tst does after
its workers): wait until the locks of dead writers have expired (--lock-ttl
+ --lock-grace: give the workers' values), run cleanup rounds over
--partitions (or --ukey) until one is clean and changes nothing, aborting
every undecided transaction older than a lock's lifetime, then reconcile.
Cleanup is bounded by --timeout. Prints the summed cleanup and the
reconciliation as JSON lines and the verdict last; with --summary-file the
report (kind "verify") holds both, with up to --max-drifted unbalanced
accounts. Exit status 1 unless cleanup finished and every account is
balanced with the total conserved.`,
		Example: `  mxn verify
  mxn verify --partitions 0:1024 --max-drifted 50 --timeout 5m --summary-file /dev/termination-log`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withReport(cmd, report.KindVerify, func(rep *report.Report) error {
				if _, err := configOf(cmd); err != nil {
					return err
				}
				if err := firstError(inRange("concurrency", concurrency, 1, maxConcurrency), checkMaxDrifted(maxDrifted),
					positive("timeout", timeout), lf.validate()); err != nil {
					return err
				}
				r, err := parseRange(partitions)
				if err != nil {
					return err
				}
				return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
					m, _, err := newManager(c, cfg, &lf)
					if err != nil {
						return err
					}
					if err := m.EnsureIndex(cmd.Context()); err != nil {
						return err
					}
					vr, err := m.Verify(cmd.Context(), txn.VerifyOptions{Partitions: r, UKey: cfg.UKey, Concurrency: concurrency, Timeout: timeout})
					rep.Cleanup = report.FromCleanup(&vr.Cleanup, vr.Clean)
					rep.Reconcile = report.FromReconcile(vr.Reconcile, maxDrifted)
					if perr := printJSON(cfg.Stdout, map[string]any{"cleanup": vr.Cleanup}); perr != nil {
						return perr
					}
					if err != nil {
						return err
					}
					return reportReconcile(cfg, vr.Reconcile, false)
				})
			})
		},
	}
	cmd.Flags().StringVar(&partitions, "partitions", "", "partition range begin:count (default all 4096)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 8, "accounts cleaned and reconciled at once")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "longest time the cleanup rounds may take")
	addMaxDriftedFlag(cmd, &maxDrifted)
	addLockFlags(cmd, &lf)
	return cmd
}
