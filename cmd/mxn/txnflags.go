package main

import (
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/groupcommit"
	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// lockFlags are the lock settings of the commands that take locks.
type lockFlags struct {
	ttl, grace, wait time.Duration
	attempts         int
	// groupCommit sends the calls of concurrent transactions together in
	// batch commands (pkg/groupcommit); unbatched takes a transfer's locks
	// one by one (the path before batching, for comparison).
	groupCommit, unbatched bool
}

func addLockFlags(cmd *cobra.Command, lf *lockFlags) {
	cmd.Flags().DurationVar(&lf.ttl, "lock-ttl", 100*time.Millisecond, "how long a lock lasts (lckto = now + ttl)")
	cmd.Flags().DurationVar(&lf.grace, "lock-grace", 200*time.Millisecond, "how long after its deadline a lock may be stolen")
	cmd.Flags().DurationVar(&lf.wait, "lock-wait", 0, "longest wait for a held lock (default ttl + grace)")
	cmd.Flags().IntVar(&lf.attempts, "lock-attempts", 20, "tries to take a lock before giving up")
	cmd.Flags().BoolVar(&lf.groupCommit, "group-commit", false, "send the calls of concurrent transactions together in batch commands")
	cmd.Flags().BoolVar(&lf.unbatched, "unbatched-locks", false, "take a transfer's locks one by one, not in one batch call (slower; for comparison)")
}

// args are the flags that give another mxn process the same settings.
func (lf *lockFlags) args() []string {
	a := []string{"--lock-ttl", lf.ttl.String(), "--lock-grace", lf.grace.String()}
	if lf.groupCommit {
		a = append(a, "--group-commit")
	}
	if lf.unbatched {
		a = append(a, "--unbatched-locks")
	}
	return a
}

func (lf *lockFlags) validate() error {
	return firstError(
		positive("lock-ttl", lf.ttl),
		notNegative("lock-grace", lf.grace),
		notNegative("lock-wait", lf.wait),
		atLeast("lock-attempts", lf.attempts, 1),
	)
}

func (lf *lockFlags) config() lock.Config {
	return lock.Config{TTL: lf.ttl, Grace: lf.grace, MaxWait: lf.wait, Attempts: lf.attempts}
}

// newManager builds the transaction manager for cfg, wrapping the client
// in the failure injector when --fpct is set, and that in the group-commit
// batcher with --group-commit (so injected faults hit whole batches, as
// real ones would). The batcher lives as long as the process.
func newManager(ac as.ClientIfc, cfg *globalConfig, lf *lockFlags) (*txn.Manager, *txntest.FaultyClient, error) {
	var faulty *txntest.FaultyClient
	var c txn.Client = ac
	if cfg.FPct > 0 {
		f, err := txntest.NewFaultyClient(c, cfg.FPct, cfg.Seed)
		if err != nil {
			return nil, nil, usageErrorf("--fpct: %v", err)
		}
		faulty, c = f, f
	}
	lc := lock.Config{}
	unbatched := false
	if lf != nil {
		lc, unbatched = lf.config(), lf.unbatched
		if lf.groupCommit {
			c = groupcommit.New(c, groupcommit.Options{})
		}
	}
	lc.Seed = cfg.Seed
	m := txn.NewManager(c, txn.Config{Namespace: cfg.Namespace, Set: cfg.Set, Lock: lc, Seed: cfg.Seed, Unbatched: unbatched})
	return m, faulty, nil
}

// requireUKey returns --ukey or a usage error.
func requireUKey(cfg *globalConfig) (string, error) {
	if cfg.UKey == "" {
		return "", usageErrorf("--ukey is required")
	}
	return cfg.UKey, nil
}

// txnID returns --txnid or a fresh UUID.
func txnID(cfg *globalConfig) (string, error) {
	if cfg.TxnID == "" {
		return txn.NewTxnID(), nil
	}
	if err := txn.ValidateTxnID(cfg.TxnID); err != nil {
		return "", usageErrorf("--txnid: %v", err)
	}
	return cfg.TxnID, nil
}

func parseRange(s string) (*txn.PartitionRange, error) {
	if s == "" {
		return nil, nil
	}
	r, err := txn.ParsePartitionRange(s)
	if err != nil {
		return nil, usageErrorf("--partitions: %v", err)
	}
	return &r, nil
}
