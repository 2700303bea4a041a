package main

import (
	"context"
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/txn"
)

func init() { registerCommand(newInitCmd) }

func newInitCmd() *cobra.Command {
	var records int
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Set up a test dataset: empty account and log sets, --records accounts, the log index",
		Long: `Set up the dataset of a test, as 'mxn tst -i' does: truncate the account set
and its log set, create accounts usr0..usr<records-1> with bal 0, and create
the log index. Prints one line on stdout; with --summary-file the report
(kind "init") says how many accounts were created.`,
		Example: `  mxn init --records 1000
  mxn init --records 100000 --summary-file /dev/termination-log`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withReport(cmd, report.KindInit, func(rep *report.Report) error {
				cfg, err := configOf(cmd)
				if err != nil {
					return err
				}
				if err := atLeast("records", records, 1); err != nil {
					return err
				}
				if cfg.Set == "*" {
					return usageErrorf("--set '*' only lists sets (scan); name a set")
				}
				return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
					m, _, err := newManager(c, &globalConfig{Namespace: cfg.Namespace, Set: cfg.Set, Seed: cfg.Seed}, nil)
					if err != nil {
						return err
					}
					if err := initDataset(cmd.Context(), c, cfg, m, records); err != nil {
						return err
					}
					rep.Init = &report.Init{Accounts: int64(records)}
					_, err = fmt.Fprintf(cfg.Stdout, "initialized %s.%s: %d accounts (%s..%s), log set %s truncated, log index ready\n",
						cfg.Namespace, cfg.Set, records, accountKey(0), accountKey(records-1), txn.LogSetName(cfg.Set))
					return err
				})
			})
		},
	}
	cmd.Flags().IntVar(&records, "records", 1000, "accounts usr0..usr<records-1>")
	return cmd
}

// initDataset truncates the account and log sets, creates the accounts
// and the log index: mxn init and mxn tst -i.
func initDataset(ctx context.Context, c as.ClientIfc, cfg *globalConfig, m *txn.Manager, records int) error {
	if err := initAccounts(ctx, c, cfg, records); err != nil {
		return err
	}
	return m.EnsureIndex(ctx)
}
