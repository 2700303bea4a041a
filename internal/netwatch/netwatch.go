// Package netwatch samples this machine's TCP connections for connections
// to a network that must never be dialled. On the local cluster every pod of
// the operator, aerolite and the workers uses the machine's network, so a
// connection to the Service range (a ClusterIP, which nothing here answers
// and which would leave through the default route) shows up in
// /proc/net/tcp: SYN_SENT lasts for seconds while the peer does not answer.
package netwatch

import (
	"bufio"
	"encoding/hex"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// Watch samples until Stop.
type Watch struct {
	cidr  *net.IPNet
	mu    sync.Mutex
	seen  map[string]bool
	scans int
	stop  chan struct{}
	done  chan struct{}
}

// Start samples /proc/net/tcp and /proc/net/tcp6 every interval for
// connections to cidr.
func Start(cidr string, interval time.Duration) (*Watch, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return nil, err
	}
	w := &Watch{cidr: n, seen: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(interval)
	return w, nil
}

// Stop ends sampling and returns the connections seen (address and TCP
// state, sorted) and the number of scans.
func (w *Watch) Stop() (seen []string, scans int) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	for s := range w.seen {
		seen = append(seen, s)
	}
	sort.Strings(seen)
	return seen, w.scans
}

func (w *Watch) run(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
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

func (w *Watch) scan(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		ip := ProcIP(strings.Split(fields[2], ":")[0])
		if ip != nil && w.cidr.Contains(ip) {
			w.mu.Lock()
			w.seen[ip.String()+" (state "+fields[3]+")"] = true
			w.mu.Unlock()
		}
	}
}

// ProcIP decodes an address of /proc/net/tcp{,6}: 32-bit words in host
// (little-endian) order.
func ProcIP(s string) net.IP {
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
