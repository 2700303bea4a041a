package main

import (
	"context"
	"fmt"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newIdxCmd) }

// ukeyBin is the log record bin reconciliation queries by.
const ukeyBin = "ukey"

// ukeyIndexName is the secondary index on <set>log.ukey.
func ukeyIndexName(logSet string) string { return logSet + "_ukey_idx" }

func newIdxCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "idx",
		Short: "Create the string index on ukey of the log set that reconciliation needs",
		Long: `Create the string secondary index <set>log_ukey_idx on bin ukey of set
<set>log and wait until it is built. Running it again is harmless.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				ctx := cmd.Context()
				if timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, timeout)
					defer cancel()
				}
				return ensureUkeyIndex(ctx, c, cfg)
			})
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "give up waiting for the index build after this long (0 = never)")
	return cmd
}

// ensureUkeyIndex creates the index unless it exists, then waits for it to
// finish building either way (an existing one may still be loading).
func ensureUkeyIndex(ctx context.Context, c as.ClientIfc, cfg *globalConfig) error {
	set, name := cfg.logSet(), ukeyIndexName(cfg.logSet())
	task, err := c.CreateIndex(nil, cfg.Namespace, set, name, ukeyBin, as.STRING)
	switch {
	case err == nil:
		cfg.Log.Inff("creating index %s on %s.%s(%s)", name, cfg.Namespace, set, ukeyBin)
	case err.Matches(types.INDEX_FOUND):
		cfg.Log.Inff("index %s already exists", name)
		task = as.NewIndexTask(c.Cluster(), cfg.Namespace, name)
	default:
		return fmt.Errorf("idx %s: %w", name, asErr(err))
	}
	select {
	case err := <-task.OnComplete():
		if err != nil {
			return fmt.Errorf("idx %s: waiting for the build: %w", name, asErr(err))
		}
	case <-ctx.Done():
		return fmt.Errorf("idx %s: gave up waiting for the build: %w", name, ctx.Err())
	}
	cfg.Log.Inff("index %s ready", name)
	return nil
}
