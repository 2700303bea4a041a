package main

import (
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/lock"
)

func init() {
	registerCommand(newLckCmd)
	registerCommand(newUckCmd)
	registerCommand(newClrCmd)
}

func newLckCmd() *cobra.Command {
	var lf lockFlags
	cmd := &cobra.Command{
		Use:   "lck",
		Short: "Take the lock of --ukey for --txnid (and leave it held)",
		Long: `Take the lock of account --ukey for --txnid (a new UUID if not given),
adding its pending entry, and leave it held: it expires after --lock-ttl.
Prints the lock as JSON.`,
		Example: "  mxn lck -u usr0 --txnid t1",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := lf.validate(); err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				ukey, err := requireUKey(cfg)
				if err != nil {
					return err
				}
				id, err := txnID(cfg)
				if err != nil {
					return err
				}
				lc := lf.config()
				lc.Namespace, lc.Set, lc.Seed = cfg.Namespace, cfg.Set, cfg.Seed
				lk, err := lock.New(c, lc).Acquire(cmd.Context(), ukey, id)
				if err != nil {
					return err
				}
				return printJSON(cfg.Stdout, map[string]any{
					"ukey": ukey, "txnid": id, "gen": lk.Generation, "lckto": lk.Deadline.UnixMilli(),
					"deadline": lk.Deadline.Format(time.RFC3339Nano), "stolen": lk.Stolen, "reentered": lk.Reentered,
				})
			})
		},
	}
	addLockFlags(cmd, &lf)
	return cmd
}

func newUckCmd() *cobra.Command {
	var expiredOnly bool
	cmd := &cobra.Command{
		Use:   "uck",
		Short: "Break the lock of --ukey (forced unless --expired-only); pending entries stay",
		Long: `Break the lock of account --ukey: remove lck and lckto, keep ptxns so that
cleanup can still resolve the pending transactions. Forced by default (the
prototype's uck); with --expired-only a lock whose deadline has not passed
is left alone and the command fails.`,
		Example: "  mxn uck -u usr0",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				ukey, err := requireUKey(cfg)
				if err != nil {
					return err
				}
				l := lock.New(c, lock.Config{Namespace: cfg.Namespace, Set: cfg.Set})
				if err := l.Break(cmd.Context(), ukey, !expiredOnly); err != nil {
					return err
				}
				cfg.Log.Inff("lock of %s broken", ukey)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&expiredOnly, "expired-only", false, "only break a lock whose deadline has passed")
	return cmd
}

func newClrCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "clr",
		Short: "Clear --ukey: break its lock and drop every pending entry",
		Long: `Clear account --ukey: a forced break that also deletes ptxns. Dropping
pending entries by hand can leave the account unbalanced (their
transactions are then never finished): prefer cln.`,
		Example: "  mxn clr -u usr0",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				ukey, err := requireUKey(cfg)
				if err != nil {
					return err
				}
				l := lock.New(c, lock.Config{Namespace: cfg.Namespace, Set: cfg.Set})
				return l.Clear(cmd.Context(), ukey)
			})
		},
	}
}
