package main

import (
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newDelCmd) }

func newDelCmd() *cobra.Command {
	var wf writeFlags
	cmd := &cobra.Command{
		Use:     "del",
		Short:   "Delete a record (an error if it does not exist)",
		Example: `  mxn del -u usr0 --gen 4`,
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
				existed, err := c.Delete(wf.policy(cmd, c), key)
				if err != nil {
					return fmt.Errorf("del %s: %w", cfg.UKey, asErr(err))
				}
				if !existed {
					return fmt.Errorf("del %s: record not found", cfg.UKey)
				}
				cfg.Log.Inff("deleted %s", cfg.UKey)
				return nil
			})
		},
	}
	wf.bindGen(cmd)
	return cmd
}
