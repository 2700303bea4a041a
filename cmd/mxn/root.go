package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes: scripts (and tst) tell "the run failed" from "mxn was called
// wrongly" by these, and txn/xfer tell how a transaction ended. Keep
// exitCodesHelp in step.
const (
	exitOK        = 0
	exitError     = 1 // the command ran and failed; txn/xfer: aborted, nothing applied
	exitUsage     = 2 // bad flags, arguments or environment; nothing was done
	exitInDoubt   = 3 // txn/xfer: outcome unknown until cleanup or a rerun with the same --txnid
	exitConflict  = 4 // txn/xfer: an account stayed locked by another transaction; nothing applied
	exitDuplicate = 5 // txn/xfer: --txnid was used before; this run applied nothing
	exitNoAccount = 6 // txn/xfer: an account does not exist; nothing applied
)

// exitCodesHelp documents the exit codes in --help.
const exitCodesHelp = `Exit status:
  0  success (txn/xfer: committed; outcome "committed", or "committed-unapplied"
     when cleanup still has to apply some legs)
  1  the command failed (txn/xfer: it did not run, or its outcome is
     "aborted": rolled back; nothing applied either way; rcn/tst: accounts
     not reconciled)
  2  usage error: bad flags, arguments or environment; nothing was done
  3  txn/xfer: outcome "in-doubt": it may or may not take effect. Settle it
     with 'mxn cln' or by rerunning it with the same --txnid; never retry it
     under a new id
  4  txn/xfer: outcome "conflict": an account stayed locked; nothing applied
  5  txn/xfer: outcome "duplicate": --txnid was used before; this run applied
     nothing and the earlier run's outcome stands
  6  txn/xfer: outcome "no-account": an account does not exist; nothing applied`

// commandFactories build mxn's subcommands. Each command file registers its
// constructor from init, so adding a command touches only its own file:
//
//	func init() { registerCommand(newTxnCmd) }
//
// Constructors run once per invocation, so every run (and every in-process
// test) starts with fresh flag values. Order does not matter: help lists
// commands alphabetically.
var commandFactories []func() *cobra.Command

// registerCommand adds a subcommand constructor; call it from init only.
func registerCommand(newCmd func() *cobra.Command) {
	commandFactories = append(commandFactories, newCmd)
}

// run executes one mxn invocation and returns its exit code. It is main
// without the process: tests call it with their own args, writers and
// environment.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg := newGlobalConfig(stdout, stderr, getenv)
	cfg.args = args
	root := newRootCmd(cfg)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(withConfig(ctx, cfg))
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "mxn: %s\n", oneLine(err))
	if code, hint, ok := exitCodeOf(err); ok {
		for _, line := range hint {
			fmt.Fprintln(stderr, line)
		}
		return code
	}
	// Anything that failed before a command body started (flag parsing,
	// argument counts, unknown commands) is a usage error too.
	if isUsageError(err) || !cfg.started {
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return exitUsage
	}
	return exitError
}

// newRootCmd builds the `mxn` command tree with its flags bound to cfg.
func newRootCmd(cfg *globalConfig) *cobra.Command {
	root := &cobra.Command{
		Use:   "mxn",
		Short: "Multi-record transactions for Aerospike",
		Long: `mxn moves amounts between Aerospike records with per-record locks and a
transaction log, and provides the record tools to set up and inspect them.

Connection: --host/--port (or $AS_HOST/$AS_PORT), or $AEROSPIKE_HOSTS as a
comma-separated host:port list when --host/--port are not given, or
--embedded for an in-process server that lives as long as the command.
Security: --user (or $AEROSPIKE_USER) with the password from
$AEROSPIKE_PASSWORD only; TLS with --tls-ca-file and/or --tls-cert-file plus
--tls-key-file, --tls-name (or $AEROSPIKE_TLS_NAME) naming the server
certificate of every host.

Worker reports: rtxns, init, cln, rcn and verify write a compact JSON report
(at most 4096 bytes) to --summary-file, also when they fail.

` + exitCodesHelp,
		// main prints the error once, in its own format.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.CompletionOptions.HiddenDefaultCmd = true
	root.SetOut(cfg.Stdout)
	root.SetErr(cfg.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	cfg.bindFlags(root.PersistentFlags())

	for _, newCmd := range commandFactories {
		root.AddCommand(newCmd())
	}
	for _, sub := range root.Commands() {
		prepareCommand(sub, cfg)
	}
	return root
}

// prepareCommand applies the conventions every subcommand shares: stray
// positional arguments are rejected unless the command declares Args, and
// the moment a command body starts is recorded so that later errors count
// as runtime failures (exit 1) rather than usage errors (exit 2).
func prepareCommand(c *cobra.Command, cfg *globalConfig) {
	if c.Args == nil && !c.HasSubCommands() {
		c.Args = cobra.NoArgs
	}
	if body := c.RunE; body != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			cfg.started = true
			return body(cmd, args)
		}
	}
	if body := c.Run; body != nil {
		c.Run = func(cmd *cobra.Command, args []string) {
			cfg.started = true
			body(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		prepareCommand(sub, cfg)
	}
}

// configKey keys the invocation's *globalConfig in the command context.
type configKey struct{}

func withConfig(ctx context.Context, cfg *globalConfig) context.Context {
	return context.WithValue(ctx, configKey{}, cfg)
}

// configOf returns the invocation's global settings, validated and with the
// environment applied. Commands that need a client use withClient instead.
func configOf(cmd *cobra.Command) (*globalConfig, error) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, ok := ctx.Value(configKey{}).(*globalConfig)
	if !ok {
		return nil, fmt.Errorf("%s: no configuration (command not run through mxn's root)", cmd.Name())
	}
	if err := cfg.resolve(); err != nil {
		return nil, err
	}
	return cfg, nil
}
