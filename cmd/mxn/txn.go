package main

import (
	"strconv"
	"strings"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/txn"
)

func init() {
	registerCommand(newTxnCmd)
	registerCommand(newXferCmd)
}

func newTxnCmd() *cobra.Command {
	var lf lockFlags
	cmd := &cobra.Command{
		Use:   "txn",
		Short: "Credit (or debit, negative --amt) one account with a logged transaction",
		Long: `Run a single-record transaction: lock --ukey, write its log record
(<set>log, key <ukey>:<txnid>) as the commit point, then apply bal += --amt
and release the lock in one write. Prints the result as JSON. Exit status 1
if the transaction did not commit.`,
		Example: "  mxn txn -u usr0 --amt 100",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := lf.validate(); err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				ukey, err := requireUKey(cfg)
				if err != nil {
					return err
				}
				return runOne(cmd, c, cfg, &lf, []txn.Leg{{UKey: ukey, Amt: cfg.Amt}})
			})
		},
	}
	addLockFlags(cmd, &lf)
	return cmd
}

func newXferCmd() *cobra.Command {
	var lf lockFlags
	var legs, from, to string
	cmd := &cobra.Command{
		Use:   "xfer",
		Short: "Transfer between accounts, all-or-nothing",
		Long: `Run a multi-record transaction. Either --from A --to B --amt N (move N from
A to B), or --legs "usr0=-10,usr1=4,usr2=6" (any amounts; a transfer's legs
usually sum to zero). Locks are taken in ukey order; the first leg's log is
the commit point. Prints the result as JSON; exit status 1 if it did not commit.`,
		Example: `  mxn xfer --from usr0 --to usr1 --amt 25
  mxn xfer --legs usr0=-10,usr1=4,usr2=6`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := lf.validate(); err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				ls, err := transferLegs(legs, from, to, cfg.Amt)
				if err != nil {
					return err
				}
				return runOne(cmd, c, cfg, &lf, ls)
			})
		},
	}
	cmd.Flags().StringVar(&legs, "legs", "", `legs as "ukey=amt,ukey=amt,..."`)
	cmd.Flags().StringVar(&from, "from", "", "account debited by --amt")
	cmd.Flags().StringVar(&to, "to", "", "account credited by --amt")
	addLockFlags(cmd, &lf)
	return cmd
}

// transferLegs builds the legs of xfer from its flags.
func transferLegs(legs, from, to string, amt int64) ([]txn.Leg, error) {
	switch {
	case legs != "" && (from != "" || to != ""):
		return nil, usageErrorf("use either --legs or --from/--to, not both")
	case legs != "":
		var out []txn.Leg
		for _, part := range strings.Split(legs, ",") {
			u, a, ok := strings.Cut(strings.TrimSpace(part), "=")
			n, err := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
			if !ok || u == "" || err != nil {
				return nil, usageErrorf("--legs: %q is not ukey=amount", part)
			}
			out = append(out, txn.Leg{UKey: u, Amt: n})
		}
		return out, nil
	case from == "" || to == "":
		return nil, usageErrorf("give --legs, or both --from and --to")
	case from == to:
		return nil, usageErrorf("--from and --to are the same account")
	case amt <= 0:
		return nil, usageErrorf("--amt must be positive for --from/--to")
	}
	return []txn.Leg{{UKey: from, Amt: -amt}, {UKey: to, Amt: amt}}, nil
}

func runOne(cmd *cobra.Command, c as.ClientIfc, cfg *globalConfig, lf *lockFlags, legs []txn.Leg) error {
	id, err := txnID(cfg)
	if err != nil {
		return err
	}
	m, _, err := newManager(c, cfg, lf)
	if err != nil {
		return err
	}
	res, runErr := m.Run(cmd.Context(), id, legs...)
	out := map[string]any{"txnid": id, "committed": false}
	if res != nil {
		out["committed"], out["applied"], out["legs"] = res.Committed, res.Applied, res.Legs
	}
	if runErr != nil {
		out["error"] = runErr.Error()
	}
	if err := printJSON(cfg.Stdout, out); err != nil {
		return err
	}
	return runErr
}
