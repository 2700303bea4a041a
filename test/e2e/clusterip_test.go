//go:build e2e

package e2e

import (
	"bufio"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var serviceCIDR = flag.String("service-cidr", envOr("E2E_SERVICE_CIDR", "10.0.0.0/24"), "the cluster's Service range; with --watch-clusterip no connection on this machine may go there")
var watchClusterIP = flag.Bool("watch-clusterip", os.Getenv("E2E_WATCH_CLUSTERIP") == "1", "watch this machine's TCP connections for the whole suite (local cluster: every pod shares the machine's network)")

// clusterIPWatch samples /proc/net/tcp: on the local cluster every pod of
// the operator, aerolite and the workers uses the machine's network, so a
// connection to a ClusterIP — which nothing here answers, and which would
// leave through the default route — shows up there (SYN_SENT lasts for
// seconds while the peer does not answer).
type clusterIPWatch struct {
	mu    sync.Mutex
	seen  map[string]bool
	stop  chan struct{}
	done  chan struct{}
	cidr  *net.IPNet
	scans int
}

var ipWatch *clusterIPWatch

// startClusterIPWatch starts sampling (BeforeSuite).
func startClusterIPWatch() {
	if !*watchClusterIP {
		return
	}
	_, cidr, err := net.ParseCIDR(*serviceCIDR)
	Expect(err).NotTo(HaveOccurred())
	ipWatch = &clusterIPWatch{seen: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{}), cidr: cidr}
	go ipWatch.run()
}

// checkClusterIPWatch stops sampling and fails if a ClusterIP was dialled
// (AfterSuite).
func checkClusterIPWatch() {
	if ipWatch == nil {
		return
	}
	close(ipWatch.stop)
	<-ipWatch.done
	ipWatch.mu.Lock()
	defer ipWatch.mu.Unlock()
	AddReportEntry("connections sampled", fmt.Sprintf("%d scans of /proc/net/tcp", ipWatch.scans))
	Expect(ipWatch.scans).To(BeNumerically(">", 100))
	Expect(ipWatch.seen).To(BeEmpty(), "connections to the Service range %s: no pod may dial a ClusterIP", *serviceCIDR)
}

func (w *clusterIPWatch) run() {
	defer close(w.done)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
				w.scan(f)
			}
			w.mu.Lock()
			w.scans++
			w.mu.Unlock()
		}
	}
}

func (w *clusterIPWatch) scan(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		ip := procIP(strings.Split(fields[2], ":")[0])
		if ip != nil && w.cidr.Contains(ip) {
			w.mu.Lock()
			w.seen[ip.String()+" (state "+fields[3]+")"] = true
			w.mu.Unlock()
		}
	}
}

// procIP decodes an address of /proc/net/tcp{,6}: 32-bit words in host
// (little-endian) order.
func procIP(s string) net.IP {
	b, err := hex.DecodeString(s)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return nil
	}
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	ip := net.IP(b)
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}
