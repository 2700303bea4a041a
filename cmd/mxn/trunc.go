package main

import (
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newTruncCmd) }

func newTruncCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "trunc [set...]",
		Short: "Truncate the account set and its log set, or the sets named",
		Long: `Remove every record of --set and of its log set <set>log, or of the sets
given as arguments. Other sets of the namespace are untouched.`,
		Example: `  mxn trunc              # mxn and mxnlog
  mxn trunc scratch      # only scratch`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				sets := args
				if len(sets) == 0 {
					sets = []string{cfg.Set, cfg.logSet()}
				}
				for _, set := range sets {
					if set == "" || set == "*" {
						return usageErrorf("trunc: %q is not a set name", set)
					}
				}
				for _, set := range sets {
					if err := c.Truncate(nil, cfg.Namespace, set, nil); err != nil {
						return fmt.Errorf("trunc %s.%s: %w", cfg.Namespace, set, asErr(err))
					}
					cfg.Log.Inff("truncated %s.%s", cfg.Namespace, set)
				}
				return nil
			})
		},
	}
}
