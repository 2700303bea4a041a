package main

import (
	"errors"
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/txn"
)

func init() { registerCommand(newRcnCmd) }

// errUnbalanced makes rcn (and tst) exit 1 after printing their report.
var errUnbalanced = errors.New("reconciliation failed")

func newRcnCmd() *cobra.Command {
	var partitions string
	var concurrency, maxDrifted int
	var all, exact bool
	cmd := &cobra.Command{
		Use:   "rcn",
		Short: "Reconcile balances against their transaction logs",
		Long: `Reconcile accounts: for each one, lock it briefly (live reconciliation),
read bal and its pending entries, find its logs by ukey (needs the index of
'mxn idx'), sum the committed amounts, report the pending ones apart.
An account is balanced iff bal equals its committed sum. Also checks that
the balances sum to the committed log amounts.

A first pass comes before (unless --exact): it scans the accounts and the
logs of the range without locks and proves balanced every account that had
no pending entry and no lock, only final logs summing to bal, and was not
written during the pass; only the others are locked and checked as above
(docs/protocol.md §11.1). The verdicts are the same; the report counts the
accounts proved by the first pass ("proved") and checked exactly ("exact").

With --ukey one account; otherwise every account of --partitions
(begin:count of the 4096 partitions; default all) so that several workers
can share a set. At --log-level inf each account prints
"ukey bal pend_amt log_amt balanced". The verdict goes to stderr and the
report, as one JSON line, to stdout. Exit status 1 if not reconciled.
With --summary-file the report (kind "rcn") lists up to --max-drifted
unbalanced accounts with their drift (bal - log_amt).`,
		Example: `  mxn rcn
  mxn rcn --partitions 0:1024
  mxn rcn -u usr7
  mxn rcn --exact`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withReport(cmd, report.KindReconcile, func(rep *report.Report) error {
				r, err := parseRange(partitions)
				if err != nil {
					return err
				}
				if err := firstError(inRange("concurrency", concurrency, 1, maxConcurrency), checkMaxDrifted(maxDrifted)); err != nil {
					return err
				}
				return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
					m, _, err := newManager(c, cfg, nil)
					if err != nil {
						return err
					}
					if err := m.EnsureIndex(cmd.Context()); err != nil {
						return err
					}
					mode := txn.ReconcileScanFirst
					if exact {
						mode = txn.ReconcileExact
					}
					rr, err := m.Reconcile(cmd.Context(), txn.ReconcileOptions{
						UKey: cfg.UKey, Partitions: r, Concurrency: concurrency, KeepBalanced: all || cfg.Log.Enabled(levelInf), Mode: mode,
					})
					if err != nil {
						return err
					}
					rep.Reconcile = report.FromReconcile(rr, maxDrifted)
					return reportReconcile(cfg, rr, all)
				})
			})
		},
	}
	cmd.Flags().StringVar(&partitions, "partitions", "", "partition range begin:count (default all 4096)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 8, "accounts reconciled at once")
	cmd.Flags().BoolVar(&all, "all", false, "list every account in the JSON report, not only the unbalanced")
	cmd.Flags().BoolVar(&exact, "exact", false, "lock and check every account (no lock-free first pass)")
	addMaxDriftedFlag(cmd, &maxDrifted)
	return cmd
}

func reportReconcile(cfg *globalConfig, rep *txn.ReconcileReport, all bool) error {
	for _, a := range rep.Accounts {
		cfg.Log.Inff("%s %d %d %d %v", a.UKey, a.Balance, a.Pending, a.Logged, a.Balanced)
	}
	accounts := rep.Accounts
	if !all {
		var bad []txn.AccountReport
		for _, a := range accounts {
			if !a.Balanced {
				bad = append(bad, a)
			}
		}
		rep.Accounts = bad
	}
	verdict := rep.Verdict()
	if rep.NonFinalLogs > 0 {
		verdict += fmt.Sprintf("; %d logs still pending (run mxn cln to finalize them)", rep.NonFinalLogs)
	}
	if !rep.Conserved() {
		verdict += fmt.Sprintf("; total balance %d differs from committed log total %d", rep.TotalBalance, rep.TotalLogged)
	}
	fmt.Fprintln(cfg.Stderr, verdict)
	if rep.Proved > 0 {
		fmt.Fprintf(cfg.Stderr, "%d of %d accounts proved balanced by the first pass, %d checked exactly\n", rep.Proved, rep.Checked, rep.Exact)
	}
	out := struct {
		*txn.ReconcileReport
		Conserved bool   `json:"conserved"`
		Verdict   string `json:"verdict"`
	}{rep, rep.Conserved(), verdict}
	if err := printJSON(cfg.Stdout, out); err != nil {
		return err
	}
	rep.Accounts = accounts
	if !rep.OK() {
		return fmt.Errorf("%w: %s", errUnbalanced, verdict)
	}
	return nil
}
