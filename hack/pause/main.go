// Command pause is the sandbox ("pause") container of the local cluster's
// containerd: it holds the pod's namespaces, waits for SIGTERM or SIGINT and
// exits 0. hack/image builds it (CGO_ENABLED=0) into mxn.mxnlabs.io/pause.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	os.Exit(0)
}
