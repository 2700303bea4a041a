package main

import (
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newGetCmd) }

func newGetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "get",
		Short: "Print a record as JSON (ukey, gen, ttl, bins)",
		Example: `  mxn get -u usr0
  {"ukey":"usr0","gen":1,"ttl":-1,"bins":{"bal":0,"name":"usr0"}}`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := configOf(cmd)
			if err != nil {
				return err
			}
			key, err := cfg.key()
			if err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				rec, err := c.Get(nil, key)
				if err != nil {
					return fmt.Errorf("get %s: %w", cfg.UKey, asErr(err))
				}
				return printJSON(cfg.Stdout, viewRecord(rec))
			})
		},
	}
}
