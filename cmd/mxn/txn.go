package main

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mxnlabs/mxn/pkg/txn"
)

func init() {
	registerCommand(newTxnCmd)
	registerCommand(newXferCmd)
}

// txnOutputHelp describes the output and outcomes of txn and xfer.
const txnOutputHelp = `Prints the result as one JSON line: txnid, outcome, committed, applied (legs
applied by this run), legs, run (this run's id in the logs) and, unless it
committed, error. The outcome sets the exit status:
  committed            0  every leg applied
  committed-unapplied  0  committed; cleanup applies the legs not applied yet
  aborted              1  rolled back: nothing applied
  in-doubt             3  it may or may not take effect (see below)
  conflict             4  an account stayed locked: nothing applied
  duplicate            5  --txnid was used before: this run applied nothing,
                          the earlier run's outcome stands
  no-account           6  an account does not exist: nothing applied

In doubt means mxn lost track of the transaction before its outcome was
known (a timeout, a lost reply, Ctrl-C). Cleanup will apply all of its legs
or none. Settle it with 'mxn cln', or by rerunning the same command with the
same --txnid (printed on stderr): a rerun is refused if the first run left
anything behind, and never applies a transaction twice. Do not retry it
without --txnid: a new id is a new transaction, and both could apply.`

func newTxnCmd() *cobra.Command {
	var lf lockFlags
	cmd := &cobra.Command{
		Use:   "txn",
		Short: "Credit (or debit, negative --amt) one account with a logged transaction",
		Long: `Run a single-record transaction: lock --ukey, write its log record
(<set>log, key <ukey>:<txnid>) as the commit point, then apply bal += --amt
and release the lock in one write.

` + txnOutputHelp,
		Example: `  mxn txn -u usr0 --amt 100
  mxn txn -u usr0 --amt 100 --txnid 0f8fad5b-d9cb-469f-a165-70867728950e   # settle an in-doubt run`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := lf.validate(); err != nil {
				return err
			}
			cfg, err := configOf(cmd)
			if err != nil {
				return err
			}
			ukey, err := requireUKey(cfg)
			if err != nil {
				return err
			}
			id, err := txnID(cfg)
			if err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				return runOne(cmd, c, cfg, &lf, id, []txn.Leg{{UKey: ukey, Amt: cfg.Amt}})
			})
		},
	}
	addLockFlags(cmd, &lf)
	return cmd
}

func newXferCmd() *cobra.Command {
	var lf lockFlags
	var legs, from, to string
	var or []string
	cmd := &cobra.Command{
		Use:   "xfer",
		Short: "Transfer between accounts, all-or-nothing",
		Long: `Run a multi-record transaction. Either --from A --to B --amt N (move N from
A to B), or --legs "usr0=-10,usr1=4,usr2=6" (any amounts; a transfer's legs
usually sum to zero). Locks are taken in ukey order; the log of the first
leg in that order is the commit point.

` + txnOutputHelp,
		Example: `  mxn xfer --from usr0 --to usr1 --amt 25
  mxn xfer --legs usr0=-10,usr1=4,usr2=6
  mxn xfer --legs eur0=-10,shop=10 --or usd0=-11,shop=10 --or failed=1`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := lf.validate(); err != nil {
				return err
			}
			cfg, err := configOf(cmd)
			if err != nil {
				return err
			}
			ls, err := transferLegs(legs, from, to, cfg.Amt)
			if err != nil {
				return err
			}
			id, err := txnID(cfg)
			if err != nil {
				return err
			}
			if len(or) > 0 {
				alts := [][]txn.Leg{ls}
				for _, o := range or {
					l, err := transferLegs(o, "", "", 0)
					if err != nil {
						return usageErrorf("--or: %v", err)
					}
					alts = append(alts, l)
				}
				return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
					return runFirst(cmd, c, cfg, &lf, id, alts)
				})
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				return runOne(cmd, c, cfg, &lf, id, ls)
			})
		},
	}
	cmd.Flags().StringVar(&legs, "legs", "", `legs as "ukey=amt,ukey=amt,..."`)
	cmd.Flags().StringVar(&from, "from", "", "account debited by --amt")
	cmd.Flags().StringVar(&to, "to", "", "account credited by --amt")
	cmd.Flags().StringArrayVar(&or, "or", nil, `an alternative ("ukey=amt,..."), tried in order if the ones before do not commit; at most one ever commits (--txnid names the request)`)
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
		seen := map[string]bool{}
		for _, part := range strings.Split(legs, ",") {
			u, a, ok := strings.Cut(strings.TrimSpace(part), "=")
			u = strings.TrimSpace(u)
			n, err := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
			if !ok || u == "" || err != nil {
				return nil, usageErrorf("--legs %q: %q is not ukey=amount", legs, part)
			}
			if seen[u] {
				return nil, usageErrorf("--legs %q: account %q appears twice", legs, u)
			}
			seen[u] = true
			out = append(out, txn.Leg{UKey: u, Amt: n})
		}
		return out, nil
	case from == "" || to == "":
		return nil, usageErrorf("give --legs, or both --from and --to")
	case from == to:
		return nil, usageErrorf("--from %q and --to %q are the same account", from, to)
	case amt <= 0:
		return nil, usageErrorf("--amt %d must be positive for --from/--to", amt)
	}
	return []txn.Leg{{UKey: from, Amt: -amt}, {UKey: to, Amt: amt}}, nil
}

// txnOutput is what txn and xfer print.
type txnOutput struct {
	TxnID     string      `json:"txnid"`
	Outcome   txn.Outcome `json:"outcome"`
	Committed bool        `json:"committed"`
	Applied   int         `json:"applied"`
	Legs      []txn.Leg   `json:"legs"`
	RunID     string      `json:"run,omitempty"`
	Error     string      `json:"error,omitempty"`
}

// runOne runs one transaction, prints its result and returns an error that
// carries the outcome's exit code and, for an in-doubt transaction, how to
// settle it.
func runOne(cmd *cobra.Command, c as.ClientIfc, cfg *globalConfig, lf *lockFlags, id string, legs []txn.Leg) error {
	m, _, err := newManager(c, cfg, lf)
	if err != nil {
		return err
	}
	res, runErr := m.Run(cmd.Context(), id, legs...)
	out := txnOutput{TxnID: id, Outcome: txn.OutcomeOf(runErr), Legs: legs}
	if res != nil {
		if res.Outcome != "" {
			out.Outcome = res.Outcome
		}
		out.Applied, out.Legs, out.RunID = res.Applied, res.Legs, res.RunID
	}
	out.Committed = out.Outcome.IsCommitted()
	if runErr != nil {
		out.Error = oneLine(runErr)
	}
	if err := printJSON(cfg.Stdout, out); err != nil {
		// The exit status still tells the outcome.
		cfg.Log.Errf("print result: %v", err)
	}
	return outcomeError(cfg, &out, runErr)
}

// runFirst runs alternatives in order until one commits (txn.RunFirst)
// and prints the result as one JSON line: the request, the committed
// alternative (1-based, 0 for none) and each alternative tried. Exit 0
// when one committed, 1 when none did, 3 when one is in doubt.
func runFirst(cmd *cobra.Command, c as.ClientIfc, cfg *globalConfig, lf *lockFlags, request string, alts [][]txn.Leg) error {
	m, _, err := newManager(c, cfg, lf)
	if err != nil {
		return err
	}
	res, runErr := m.RunFirst(cmd.Context(), request, alts...)
	if res == nil {
		return usageErrorf("%v", runErr)
	}
	out := struct {
		*txn.FirstResult
		Committed int    `json:"committed"`
		Error     string `json:"error,omitempty"`
	}{FirstResult: res, Committed: res.Committed + 1}
	if runErr != nil {
		out.Error = oneLine(runErr)
	}
	if err := printJSON(cfg.Stdout, out); err != nil {
		cfg.Log.Errf("print result: %v", err)
	}
	switch {
	case runErr == nil:
		return nil
	case res.InDoubt:
		return codedError{exitInDoubt, fmt.Errorf("request %s: an alternative is in doubt: %w", request, runErr), []string{
			"Rerun the same command with --txnid " + request + ": it resumes and never commits two alternatives."}}
	}
	return codedError{exitError, fmt.Errorf("request %s: no alternative committed", request), nil}
}

// outcomeError turns a transaction's outcome into the command's error: nil
// when it committed, otherwise a codedError that names the outcome in plain
// words, carries its exit code and says what to do about it.
func outcomeError(cfg *globalConfig, out *txnOutput, runErr error) error {
	id := out.TxnID
	switch out.Outcome {
	case txn.OutcomeCommitted:
		return nil
	case txn.OutcomeCommittedUnapplied:
		cfg.Log.Notef("transaction %s committed; %d of %d legs applied so far, cleanup ('%s') applies the rest",
			id, out.Applied, len(out.Legs), cleanupCommand(cfg))
		return nil
	case txn.OutcomeInDoubt:
		return codedError{exitInDoubt, headline(id, "is in doubt: it may or may not take effect", runErr), []string{
			"Cleanup will apply all of its legs or none. Do not retry it without --txnid: a new id",
			"is a new transaction, and both could apply. To settle it, run cleanup (it leaves",
			"transactions younger than --min-age, 1s by default, for a later round):",
			"  " + cleanupCommand(cfg),
			"or rerun it with the same id (safe: a rerun is refused if the first run left",
			"anything behind, and never applies a transaction twice):",
			"  " + rerunCommand(cfg, id),
		}}
	case txn.OutcomeAborted:
		return codedError{exitError, headline(id, "aborted, nothing applied", runErr), nil}
	case txn.OutcomeConflict:
		return codedError{exitConflict, headline(id, "not run, nothing applied: lock conflict", runErr), []string{
			"An account stayed locked by another transaction. This one can no longer commit: run",
			"it again under a new id (without --txnid), perhaps with a longer --lock-wait.",
		}}
	case txn.OutcomeDuplicate:
		hint := []string{
			"This run applied nothing; the earlier run of this id decides. If that run is still",
			"pending, cleanup settles it:",
			"  " + cleanupCommand(cfg),
		}
		if len(out.Legs) > 0 {
			primary := primaryLeg(out.Legs)
			hint = append(hint, "Its commit point, the log record of "+primary+", tells how it ended:",
				"  "+commandLine(append(globalArgs(cfg, "set"), "--set", txn.LogSetName(cfg.Set), "get", "-u", txn.LogKey(primary, id))...))
		}
		return codedError{exitDuplicate, headline(id, "refused, nothing applied: this transaction id was used before", runErr), hint}
	case txn.OutcomeNoAccount:
		return codedError{exitNoAccount, headline(id, "not run, nothing applied: account not found", runErr), nil}
	}
	return codedError{exitError, headline(id, fmt.Sprintf("did not commit (outcome %q)", out.Outcome), runErr), nil}
}

// headline is the one-line error of a transaction that did not commit:
// "transaction <id> <what>: <cause>", without the cause repeating the id
// or the outcome. The cause stays in the chain for errors.Is.
func headline(id, what string, cause error) error {
	msg := "transaction " + id + " " + what
	if cause == nil {
		return outcomeMessage{msg, nil}
	}
	var te *txn.Error
	if errors.As(cause, &te) {
		// Typed: the step it ended at and the underlying cause.
		if te.Step != "" {
			msg += " (at " + te.Step + ")"
		}
		if te.Cause != nil {
			msg += ": " + oneLine(te.Cause)
		}
		return outcomeMessage{msg, cause}
	}
	detail := strings.TrimPrefix(oneLine(cause), "transaction "+id+": ")
	for _, s := range []error{txn.ErrInDoubt, txn.ErrAborted, txn.ErrConflict, txn.ErrDuplicate, txn.ErrNoAccount} {
		detail = strings.TrimPrefix(detail, s.Error()+": ")
	}
	return outcomeMessage{msg + ": " + detail, cause}
}

type outcomeMessage struct {
	msg   string
	cause error
}

func (e outcomeMessage) Error() string { return e.msg }
func (e outcomeMessage) Unwrap() error { return e.cause }

// primaryLeg is the account whose log is the commit point: the first in
// ukey order.
func primaryLeg(legs []txn.Leg) string {
	ukeys := make([]string, len(legs))
	for i, l := range legs {
		ukeys[i] = l.UKey
	}
	sort.Strings(ukeys)
	return ukeys[0]
}

// rerunCommand is the invocation as given, with --txnid id added unless it
// was there.
func rerunCommand(cfg *globalConfig, id string) string {
	args := append([]string(nil), cfg.args...)
	if !cfg.changed("txnid") {
		args = append(args, "--txnid", id)
	}
	return commandLine(args...)
}

// cleanupCommand is the cln invocation for the same server, namespace and
// set.
func cleanupCommand(cfg *globalConfig) string {
	return commandLine(append(globalArgs(cfg), "cln")...)
}

// globalArgs repeats the connection and record flags the invocation gave,
// except those named in skip.
func globalArgs(cfg *globalConfig, skip ...string) []string {
	var args []string
	if cfg.flags == nil {
		return nil
	}
	// VisitAll, not Visit: cobra parses the persistent flags through the
	// subcommand's flag set, which shares the flags (and Changed) but not
	// the root set's record of what was set.
	cfg.flags.VisitAll(func(f *pflag.Flag) {
		if !f.Changed {
			return
		}
		switch f.Name {
		case "host", "port", "embedded", "namespace", "set":
			for _, s := range skip {
				if s == f.Name {
					return
				}
			}
			if f.Value.Type() == "bool" {
				args = append(args, "--"+f.Name)
			} else {
				args = append(args, "--"+f.Name, f.Value.String())
			}
		}
	})
	return args
}

// commandLine renders an mxn command for copying into a POSIX shell.
func commandLine(args ...string) string {
	words := []string{"mxn"}
	for _, a := range args {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " ")
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
