package main

import (
	"context"
	"fmt"
	"strings"
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
<set>log and wait until it is built. Running it again is harmless. Says on
stdout whether the index was created or already present.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := notNegative("timeout", timeout); err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				ctx := cmd.Context()
				if timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, timeout)
					defer cancel()
				}
				start := time.Now()
				created, err := ensureUkeyIndex(ctx, c, cfg)
				if err != nil {
					return err
				}
				what := "already present, built"
				if created {
					what = "created and built in " + roundElapsed(time.Since(start)).String()
				}
				_, err = fmt.Fprintf(cfg.Stdout, "index %s on %s.%s(%s): %s\n",
					ukeyIndexName(cfg.logSet()), cfg.Namespace, cfg.logSet(), ukeyBin, what)
				return err
			})
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "give up waiting for the index build after this long (0 = never)")
	return cmd
}

// ensureUkeyIndex creates the index unless it exists, then waits for it to
// finish building either way (an existing one may still be loading). It
// reports whether it created the index.
func ensureUkeyIndex(ctx context.Context, c as.ClientIfc, cfg *globalConfig) (created bool, err error) {
	set, name := cfg.logSet(), ukeyIndexName(cfg.logSet())
	// Servers answer OK to the creation of an index that exists with the
	// same definition: ask first.
	present, lerr := indexPresent(c, cfg.Namespace, name)
	if lerr != nil {
		cfg.Log.Dbgf("list indexes: %v", lerr)
	}
	task, aerr := c.CreateIndex(nil, cfg.Namespace, set, name, ukeyBin, as.STRING)
	switch {
	case aerr == nil:
		created = !present
		cfg.Log.Inff("creating index %s on %s.%s(%s)", name, cfg.Namespace, set, ukeyBin)
	case aerr.Matches(types.INDEX_FOUND):
		cfg.Log.Inff("index %s already exists", name)
		task = as.NewIndexTask(c.Cluster(), cfg.Namespace, name)
	default:
		return false, fmt.Errorf("idx %s: %w", name, asErr(aerr))
	}
	select {
	case err := <-task.OnComplete():
		if err != nil {
			return created, fmt.Errorf("idx %s: waiting for the build: %w", name, asErr(err))
		}
	case <-ctx.Done():
		return created, fmt.Errorf("idx %s: gave up waiting for the build: %w", name, ctx.Err())
	}
	cfg.Log.Inff("index %s ready", name)
	return created, nil
}

// indexPresent reports whether the namespace has an index of that name,
// from sindex-list on one node (index definitions are cluster-wide).
func indexPresent(c as.ClientIfc, ns, name string) (bool, error) {
	nodes := c.GetNodes()
	if len(nodes) == 0 {
		return false, fmt.Errorf("no nodes")
	}
	req := "sindex-list:ns=" + ns
	answers, err := nodes[0].RequestInfo(&as.InfoPolicy{Timeout: infoTimeout}, req)
	if err != nil {
		return false, asErr(err)
	}
	for _, entry := range strings.Split(answers[req], ";") {
		for _, field := range strings.Split(entry, ":") {
			if field == "indexname="+name {
				return true, nil
			}
		}
	}
	return false, nil
}
