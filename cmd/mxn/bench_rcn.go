package main

import (
	"context"
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/txn"
)

// benchReconcile builds a balanced dataset and measures the raw scan of
// its log set, the exact reconciliation and the scan-first one (on each
// number of shards), then drops the sets and the log index.
func benchReconcile(ctx context.Context, c as.ClientIfc, cfg *globalConfig, set string, f *benchFlags) (*txn.ReconcileBench, error) {
	defer func() {
		dropSets(c, cfg.Namespace, set, txn.LogSetName(set))
		_ = c.DropIndex(nil, cfg.Namespace, txn.LogSetName(set), txn.IndexName(set))
	}()
	cfg.Log.Progressf("reconciliation: building %d accounts with %d logs each", f.rcnAccounts, f.rcnLogs)
	r, err := txn.BenchReconcile(ctx, c, txn.Config{Namespace: cfg.Namespace, Set: set, Seed: cfg.Seed},
		txn.ReconcileBenchOptions{Accounts: f.rcnAccounts, LogsPerAccount: f.rcnLogs, Shards: f.rcnShards})
	if err != nil {
		return nil, fmt.Errorf("reconciliation phase: %w", err)
	}
	cfg.Log.Progressf("reconciliation: raw scan %.0f log records/s; exact %.0f accounts/s; scan-first %.0f accounts/s (%.1fx, %.3f of the raw scan)",
		r.RawScanRecPerSec, r.ExactAccPerSec, r.ScanAccPerSec, r.ScanOverExact, r.ScanOverRaw)
	return r, nil
}
