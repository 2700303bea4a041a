package main

import (
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newInfoCmd) }

func newInfoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "info <command>...",
		Short: "Send raw info commands to a node and print the answers",
		Long: `Send info commands to one node of the cluster. With one command the answer
is printed alone; with several, each line is "<command><TAB><answer>".`,
		Example: `  mxn info namespaces
  mxn info build sets/test`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				nodes := c.GetNodes()
				if len(nodes) == 0 {
					return fmt.Errorf("info: no nodes")
				}
				node := nodes[0]
				answers, err := node.RequestInfo(&as.InfoPolicy{Timeout: infoTimeout}, args...)
				if err != nil {
					return fmt.Errorf("info on %s: %w", node.GetName(), asErr(err))
				}
				for _, name := range args {
					var err error
					if len(args) == 1 {
						_, err = fmt.Fprintln(cfg.Stdout, answers[name])
					} else {
						_, err = fmt.Fprintf(cfg.Stdout, "%s\t%s\n", name, answers[name])
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
}
