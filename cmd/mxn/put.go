package main

import (
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newPutCmd) }

func newPutCmd() *cobra.Command {
	var recJSON string
	var wf writeFlags
	cmd := &cobra.Command{
		Use:   "put",
		Short: "Write bins of a record from JSON (null deletes a bin)",
		Example: `  mxn put -u usr0 --rec '{"name":"usr0","bal":0}'
  mxn put -u usr0 --rec '{"lck":null}' --gen 3`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := configOf(cmd)
			if err != nil {
				return err
			}
			key, err := cfg.key()
			if err != nil {
				return err
			}
			bins, err := parseBins(recJSON)
			if err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				if err := c.Put(wf.policy(cmd, c), key, bins); err != nil {
					return fmt.Errorf("put %s: %w", cfg.UKey, asErr(err))
				}
				cfg.Log.Inff("put %s: %d bins", cfg.UKey, len(bins))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&recJSON, "rec", "", `bins as a JSON object, e.g. '{"bal":5}'`)
	_ = cmd.MarkFlagRequired("rec")
	wf.bindNX(cmd)
	wf.bindGen(cmd)
	return cmd
}

// parseBins reads --rec: a JSON object of bin name to value.
func parseBins(text string) (as.BinMap, error) {
	var obj map[string]any
	if err := decodeJSON(text, &obj); err != nil {
		return nil, usageErrorf("--rec: %v (want a JSON object of bins)", err)
	}
	if len(obj) == 0 {
		return nil, usageErrorf("--rec: no bins given")
	}
	bins := make(as.BinMap, len(obj))
	for name, raw := range obj {
		v, err := binValue(raw)
		if err != nil {
			return nil, usageErrorf("--rec: bin %q: %v", name, err)
		}
		bins[name] = v
	}
	return bins, nil
}
