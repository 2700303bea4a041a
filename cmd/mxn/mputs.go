package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newMputsCmd) }

const (
	accountPrefix      = "usr" // accounts are usr0 .. usr<count-1>
	defaultConcurrency = 16
	maxConcurrency     = 100 // the client's default connection queue per node
	progressInterval   = time.Second
)

func newMputsCmd() *cobra.Command {
	var concurrency int
	cmd := &cobra.Command{
		Use:   "mputs",
		Short: "Create --count accounts usr0..usrN-1 as {name, bal: 0}",
		Long: `Create --count accounts usr0..usr<count-1> in --set, each {name: <ukey>,
bal: 0}, replacing any existing record of that name (so stale locks and
pending entries go too). Progress is reported on stderr every second; at
the end one line on stdout says how many accounts were written, and in how
long.`,
		Example: `  mxn mputs --count 1000`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := configOf(cmd)
			if err != nil {
				return err
			}
			if err := firstError(atLeast("count", cfg.Count, 1), inRange("concurrency", concurrency, 1, maxConcurrency)); err != nil {
				return err
			}
			if cfg.Set == "*" {
				return usageErrorf("--set '*' only lists sets (scan); name a set")
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				start := time.Now()
				if err := createAccounts(cmd.Context(), c, cfg, concurrency, progressInterval); err != nil {
					return err
				}
				elapsed := time.Since(start)
				_, err := fmt.Fprintf(cfg.Stdout, "wrote %d accounts (%s..%s) to %s.%s in %s (%.0f/s)\n", cfg.Count,
					accountKey(0), accountKey(cfg.Count-1), cfg.Namespace, cfg.Set, roundElapsed(elapsed),
					float64(cfg.Count)/elapsed.Seconds())
				return err
			})
		},
	}
	cmd.Flags().IntVar(&concurrency, "concurrency", defaultConcurrency, "parallel writers")
	return cmd
}

// roundElapsed rounds a duration for display: "1.234s", "12.34ms".
func roundElapsed(d time.Duration) time.Duration {
	if d >= 100*time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

// accountKey names the i-th account.
func accountKey(i int) string { return accountPrefix + strconv.Itoa(i) }

// createAccounts writes cfg.Count accounts with workers writers, reports
// progress every interval, and stops at the first error (or on ctx
// cancellation), saying how far it got.
func createAccounts(ctx context.Context, c as.ClientIfc, cfg *globalConfig, workers int, interval time.Duration) error {
	policy := *c.GetDefaultWritePolicy()
	policy.SendKey = true
	policy.RecordExistsAction = as.REPLACE

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64 // next account index to claim
		done     atomic.Int64
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= cfg.Count {
					return
				}
				ukey := accountKey(i)
				key, err := recordKey(cfg.Namespace, cfg.Set, ukey)
				if err == nil {
					err = asErr(c.Put(&policy, key, as.BinMap{"name": ukey, "bal": 0}))
				}
				if err != nil {
					fail(fmt.Errorf("mputs %s: %w", ukey, err))
					return
				}
				done.Add(1)
			}
		}()
	}

	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	start := time.Now()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			n := done.Load()
			cfg.Log.Progressf("mputs: %d/%d accounts (%.0f/s)", n, cfg.Count, float64(n)/time.Since(start).Seconds())
		case <-finished:
			if firstErr != nil {
				return fmt.Errorf("%w (%d of %d accounts written)", firstErr, done.Load(), cfg.Count)
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("mputs interrupted: %d of %d accounts written", done.Load(), cfg.Count)
			}
			cfg.Log.Inff("mputs: %d accounts in %s.%s in %s", cfg.Count, cfg.Namespace, cfg.Set, time.Since(start).Round(time.Millisecond))
			return nil
		}
	}
}
