package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/txn"
)

func init() { registerCommand(newHistoryCmd) }

func newHistoryCmd() *cobra.Command {
	var since string
	var limit int
	var all, jsonOut bool
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List an account's operations with their running balance",
		Long: `List the operations of the account --ukey in the order they were logged:
time, txnid, amount, status, the other legs of its transfer, and the running
balance of the committed ones. The last line says whether that total equals
the stored balance (exit status 1 if not). The balance and the logs are read
as of one moment, as reconciliation reads them (the account is locked
briefly, without a pending entry), so the verdict is reconciliation's.

By default only committed operations are listed: they make the balance.
--all lists the others too: pending (its entry is on the account, not
applied yet), undecided (no entry, its transaction not decided: not
applied) and aborted. --since lists what was logged at or after a time
(RFC 3339, or a duration back from now such as 1h); --limit the latest N.
The running balance always counts every earlier committed operation.`,
		Example: `  mxn history -u usr0
  mxn history -u usr0 --all --since 1h
  mxn history -u usr0 --limit 20 --json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				ukey, err := requireUKey(cfg)
				if err != nil {
					return err
				}
				from, err := parseSince(since, time.Now())
				if err != nil {
					return err
				}
				if err := atLeast("limit", limit, 0); err != nil {
					return err
				}
				m, _, err := newManager(c, cfg, nil)
				if err != nil {
					return err
				}
				if err := m.EnsureIndex(cmd.Context()); err != nil {
					return err
				}
				h, err := m.History(cmd.Context(), ukey, txn.HistoryOptions{Since: from, Limit: limit, All: all})
				if err != nil {
					return err
				}
				if jsonOut {
					err = printJSON(cfg.Stdout, h)
				} else {
					err = printHistory(cfg, h)
				}
				if err == nil && !h.Balanced {
					return fmt.Errorf("%w: history of %s: committed total %d, stored balance %d", errUnbalanced, ukey, h.Committed, h.Balance)
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "only operations logged at or after this time (RFC 3339, or a duration back from now, e.g. 1h)")
	cmd.Flags().IntVar(&limit, "limit", 0, "only the latest N operations (0: all)")
	cmd.Flags().BoolVar(&all, "all", false, "also list pending, undecided and aborted operations")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the history as one JSON object")
	return cmd
}

// parseSince reads --since: an RFC 3339 time, or a positive duration back
// from now; "" is no bound.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, usageErrorf("--since %q is neither an RFC 3339 time (2026-11-30T08:00:00Z) nor a positive duration (1h)", s)
	}
	return now.Add(-d), nil
}

func printHistory(cfg *globalConfig, h *txn.History) error {
	w := tabwriter.NewWriter(cfg.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "time\ttxnid\tamount\tstatus\tother legs\trunning")
	for _, e := range h.Entries {
		ts := "-"
		if !e.Time.IsZero() {
			ts = e.Time.Format("2006-01-02T15:04:05.000Z")
		}
		others := make([]string, len(e.Others))
		for i, l := range e.Others {
			others[i] = fmt.Sprintf("%s=%d", l.UKey, l.Amt)
		}
		fmt.Fprintf(w, "%s\t%s\t%+d\t%s\t%s\t%d\n", ts, e.TxnID, e.Amount, e.Status, orNone(strings.Join(others, ",")), e.Running)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	shown := fmt.Sprintf("%d of %d operations shown", len(h.Entries), h.Operations)
	pending := ""
	if h.Pending != 0 {
		pending = fmt.Sprintf("; %+d pending (not applied yet)", h.Pending)
	}
	if h.Balanced {
		fmt.Fprintf(cfg.Stdout, "%s: committed total %d equals the stored balance %d%s\n", shown, h.Committed, h.Balance, pending)
	} else {
		fmt.Fprintf(cfg.Stdout, "%s: committed total %d differs from the stored balance %d (drift %+d)%s\n", shown, h.Committed, h.Balance, h.Balance-h.Committed, pending)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
