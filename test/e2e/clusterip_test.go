//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mxnlabs/mxn/internal/netwatch"
)

var serviceCIDR = flag.String("service-cidr", envOr("E2E_SERVICE_CIDR", "10.0.0.0/24"), "the cluster's Service range; with --watch-clusterip no connection on this machine may go there")
var watchClusterIP = flag.Bool("watch-clusterip", os.Getenv("E2E_WATCH_CLUSTERIP") == "1", "watch this machine's TCP connections for the whole suite (local cluster: every pod shares the machine's network)")

var ipWatch *netwatch.Watch

// startClusterIPWatch starts sampling (BeforeSuite).
func startClusterIPWatch() {
	if !*watchClusterIP {
		return
	}
	var err error
	ipWatch, err = netwatch.Start(*serviceCIDR, 50*time.Millisecond)
	Expect(err).NotTo(HaveOccurred())
}

// checkClusterIPWatch stops sampling and fails if a ClusterIP was dialled
// (AfterSuite).
func checkClusterIPWatch() {
	if ipWatch == nil {
		return
	}
	seen, scans := ipWatch.Stop()
	AddReportEntry("connections sampled", fmt.Sprintf("%d scans of /proc/net/tcp", scans))
	Expect(scans).To(BeNumerically(">", 100))
	Expect(seen).To(BeEmpty(), "connections to the Service range %s: no pod may dial a ClusterIP", *serviceCIDR)
}
