package main

// Connecting commands to Aerospike.
//
// A command registers its constructor from init (see registerCommand in
// root.go) and wraps the body that needs the database in withClient:
//
//	func init() { registerCommand(newGetCmd) }
//
//	func newGetCmd() *cobra.Command {
//		return &cobra.Command{
//			Use:   "get",
//			Short: "Print a record as JSON",
//			RunE: func(cmd *cobra.Command, _ []string) error {
//				return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
//					key, err := cfg.key() // --ukey in --namespace/--set
//					if err != nil {
//						return err
//					}
//					rec, aerr := c.Get(nil, key)
//					if aerr != nil {
//						return fmt.Errorf("get %s: %w", cfg.UKey, asErr(aerr))
//					}
//					return printJSON(cfg.Stdout, viewRecord(rec))
//				})
//			},
//		}
//	}
//
// withClient validates the global flags (bad values are usage errors, exit
// 2), connects (starting an in-process aerolite first with --embedded),
// runs fn, then closes the client and the embedded server whatever fn
// returned. cfg carries the resolved global flags (Namespace, Set, UKey,
// TxnID, Amt, Count, FPct, Seed; cfg.logSet() is <set>log), the logger
// (cfg.Log.Inff and friends, honouring --log-level) and the output writers
// (cfg.Stdout for results, cfg.Stderr for diagnostics). Use cmd.Context()
// to stop long work on Ctrl-C.
//
// Errors: return them with context; main prints "mxn: <error>" once and
// exits 1. Wrap client errors with asErr for a one-line message that still
// matches errors.Is/As. Return usageErrorf(...) for bad input found inside
// fn (exit 2 with a --help hint). To validate flags before connecting, call
// configOf(cmd) first; it returns the same cfg.

import (
	"errors"
	"fmt"
	"net"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

const (
	// connectTimeout bounds the initial cluster connection (and each tend),
	// so an unreachable server fails in seconds, not the client's 30 s.
	connectTimeout = 5 * time.Second
	// infoTimeout bounds info commands (truncate, sindex-create, sets).
	infoTimeout = 5 * time.Second
	// recordTimeout is the default total timeout of reads and writes. The
	// client's 1 s fails one-off commands on a loaded machine; code with
	// tighter deadlines (locks) passes its own policies.
	recordTimeout = 5 * time.Second
)

// withClient runs fn with a connected client; see the comment at the top of
// this file.
func withClient(cmd *cobra.Command, fn func(c as.ClientIfc, cfg *globalConfig) error) error {
	cfg, err := configOf(cmd)
	if err != nil {
		return err
	}
	client, cleanup, err := connect(cfg)
	if err != nil {
		return err
	}
	defer cleanup()
	return fn(client, cfg)
}

// connect returns a client for cfg's hosts, or for a fresh embedded server
// with --embedded. cleanup closes the client, then the server; call it
// exactly once.
func connect(cfg *globalConfig) (as.ClientIfc, func(), error) {
	hosts := cfg.Hosts
	stopServer := func() {}
	if cfg.Embedded {
		srv, err := aerolite.NewServer(aerolite.Options{Namespaces: []string{cfg.Namespace}})
		if err != nil {
			return nil, nil, fmt.Errorf("start embedded server: %w", err)
		}
		cfg.Log.Inff("embedded aerolite listening on %s (namespace %s)", srv.Addr(), cfg.Namespace)
		hosts = []*as.Host{as.NewHost(srv.Host(), srv.Port())}
		cfg.Hosts = hosts // subprocesses (tst workers) connect here too
		cfg.server = srv
		stopServer = func() {
			if err := srv.Close(); err != nil {
				cfg.Log.Wrnf("close embedded server: %v", err)
			}
		}
	}
	if len(hosts) == 0 {
		stopServer()
		return nil, nil, errors.New("no Aerospike hosts configured")
	}

	policy := clientPolicy(cfg)
	if cfg.TLSName != "" && !cfg.Embedded {
		for i, h := range hosts {
			th := *h
			th.TLSName = cfg.TLSName
			hosts[i] = &th
		}
	}
	cfg.Log.Dbgf("connecting to %s", hostList(hosts))
	client, aerr := as.NewClientWithPolicyAndHost(policy, hosts...)
	if aerr != nil {
		stopServer()
		return nil, nil, fmt.Errorf("cannot reach Aerospike at %s: %s", hostList(hosts), unreachableReason(aerr))
	}
	client.DefaultInfoPolicy = &as.InfoPolicy{Timeout: infoTimeout}
	client.DefaultPolicy.TotalTimeout = recordTimeout
	client.DefaultWritePolicy.TotalTimeout = recordTimeout
	cfg.Log.Dbgf("connected to %s", hostList(hosts))

	cleanup := func() {
		client.Close()
		stopServer()
	}
	return client, cleanup, nil
}

// unreachableReason says briefly why the client could not connect:
// "connect: connection refused" rather than the client's three-line chain.
func unreachableReason(err as.Error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return oneLine(opErr.Err)
	}
	return describeClientError(err)
}
