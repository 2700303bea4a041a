// Command aerolite runs an Aerospike-wire-compatible single-node server
// backed by memory, for demos and tests.
//
//	aerolite --listen 127.0.0.1:3000 --namespace test
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "aerolite:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("aerolite", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `aerolite: a single-node, Aerospike-wire-compatible in-memory server.

Usage: aerolite [flags]

Runs until SIGINT or SIGTERM. Connection errors are logged, one line each.

Flags:
`)
		fs.PrintDefaults()
	}
	listen := fs.String("listen", "127.0.0.1:3000", "address to listen on (host:port; port 0 picks a free one)")
	namespaces := fs.String("namespace", "test", "comma-separated namespaces to serve")
	cluster := fs.String("cluster-name", "aerolite", "cluster name answered to the client's cluster-name check")
	defaultTTL := fs.Duration("default-ttl", 0, "TTL of records written with the server default (0 = never expire)")
	pendingLimit := fs.Int("pending-limit", 20, "writes that may queue on one record before KEY_BUSY (negative disables)")
	maxFrame := fs.Int("max-frame", 0, "largest accepted frame in bytes (0 = 128 MiB)")
	faultSeed := fs.Int64("fault-seed", 1, "seed for random faults")
	dropBefore := fs.Float64("fault-drop-before", 0, "percent of commands whose connection is dropped before they are applied")
	dropAfter := fs.Float64("fault-drop-after", 0, "percent of commands applied and then answered by dropping the connection (in doubt)")
	failPct := fs.Float64("fault-fail", 0, "percent of commands answered with --fault-code without being applied")
	failCode := fs.Int("fault-code", 14, "result code for --fault-fail (14 = KEY_BUSY)")
	delayPct := fs.Float64("fault-delay", 0, "percent of commands whose reply is delayed by --fault-delay-by")
	delayBy := fs.Duration("fault-delay-by", 50*time.Millisecond, "reply delay for --fault-delay")
	writesOnly := fs.Bool("fault-writes-only", false, "inject faults into writes only")
	quiet := fs.Bool("quiet", false, "do not log connection errors")
	addrFile := fs.String("addr-file", "", "write the listening address to this file once ready (for scripts using port 0)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if *failCode < 0 || *failCode > 255 {
		return fmt.Errorf("--fault-code %d is not a result code (0-255)", *failCode)
	}
	logger := log.New(os.Stderr, "", log.LstdFlags)
	opts := aerolite.Options{
		Listen:       *listen,
		Namespaces:   strings.Split(*namespaces, ","),
		ClusterName:  *cluster,
		DefaultTTL:   uint32(defaultTTL.Seconds()),
		PendingLimit: *pendingLimit,
		MaxFrameSize: *maxFrame,
		Logger:       logger,
	}
	if *quiet {
		opts.Logger = nil
	}
	srv, err := aerolite.NewServer(opts)
	if err != nil {
		return err
	}
	if *dropBefore+*dropAfter+*failPct+*delayPct > 0 {
		srv.Faults().Set(aerolite.FaultConfig{
			Seed: *faultSeed, DropBeforePct: *dropBefore, DropAfterPct: *dropAfter,
			FailPct: *failPct, FailCode: aerolite.ResultCode(*failCode),
			DelayPct: *delayPct, Delay: *delayBy, WritesOnly: *writesOnly,
		})
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(srv.Addr()+"\n"), 0o644); err != nil {
			srv.Close()
			return fmt.Errorf("write --addr-file: %w", err)
		}
	}
	logger.Printf("aerolite listening on %s (namespaces %s, cluster %s)", srv.Addr(), *namespaces, *cluster)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	logger.Printf("aerolite: %v received, shutting down", s)
	return srv.Close()
}
