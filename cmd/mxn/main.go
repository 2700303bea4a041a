// Command mxn runs multi-record transactions against Aerospike and offers
// the record-level tools used to set up, inspect and repair the data they
// touch. Run `mxn --help` for the command list.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Ctrl-C cancels the command's context so long runs (mputs, scans) stop
	// cleanly and still close the client and any embedded server.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
