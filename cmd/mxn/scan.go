package main

import (
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newScanCmd) }

func newScanCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "scan",
		Short: "Print every record of --set as JSON lines; --set '*' lists the sets",
		Example: `  mxn scan                # accounts
  mxn scan -s mxnlog      # transaction log
  mxn scan -s '*'         # {"set":"mxn","objects":1000} per set`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				if cfg.Set == "*" {
					return listSets(c, cfg)
				}
				return scanSet(cmd, c, cfg)
			})
		},
	}
}

// scanSet streams the set's records to stdout in server order.
func scanSet(cmd *cobra.Command, c as.ClientIfc, cfg *globalConfig) error {
	rs, err := c.ScanAll(nil, cfg.Namespace, cfg.Set)
	if err != nil {
		return fmt.Errorf("scan %s.%s: %w", cfg.Namespace, cfg.Set, asErr(err))
	}
	// Closing stops the scan early on errors and Ctrl-C; it is harmless
	// after the results are drained.
	defer rs.Close()
	n := 0
	results := rs.Results()
	for {
		select {
		case <-cmd.Context().Done():
			return fmt.Errorf("scan %s.%s interrupted after %d records", cfg.Namespace, cfg.Set, n)
		case res, ok := <-results:
			if !ok {
				cfg.Log.Inff("scan %s.%s: %d records", cfg.Namespace, cfg.Set, n)
				return nil
			}
			if res.Err != nil {
				return fmt.Errorf("scan %s.%s after %d records: %w", cfg.Namespace, cfg.Set, n, asErr(res.Err))
			}
			if err := printJSON(cfg.Stdout, viewRecord(res.Record)); err != nil {
				return fmt.Errorf("scan %s.%s: write: %w", cfg.Namespace, cfg.Set, err)
			}
			n++
		}
	}
}
