// Package testenv gives tests an Aerospike to talk to: the real cluster
// named by AEROSPIKE_HOSTS when it is set, otherwise an aerolite server
// started for the test and stopped with it.
package testenv

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

// Env is a connected test environment.
type Env struct {
	Client    *as.Client
	Namespace string
	// Server is the embedded server, nil against a real cluster.
	Server *aerolite.Server
	// Hosts is "host:port[,host:port...]" for subprocesses.
	Hosts string
}

// New connects to AEROSPIKE_HOSTS or starts aerolite; everything is closed
// when the test ends.
func New(tb testing.TB) *Env {
	tb.Helper()
	env := &Env{Namespace: "test"}
	if ns := os.Getenv("AEROSPIKE_NAMESPACE"); ns != "" {
		env.Namespace = ns
	}
	hosts := os.Getenv("AEROSPIKE_HOSTS")
	if hosts == "" {
		srv, err := aerolite.Run()
		if err != nil {
			tb.Fatalf("start aerolite: %v", err)
		}
		tb.Cleanup(func() { srv.Close() })
		env.Server = srv
		hosts = srv.Addr()
	}
	env.Hosts = hosts
	hs, err := ParseHosts(hosts)
	if err != nil {
		tb.Fatal(err)
	}
	cp := as.NewClientPolicy()
	cp.Timeout = 5 * time.Second
	c, err := as.NewClientWithPolicyAndHost(cp, hs...)
	if err != nil {
		tb.Fatalf("connect to %s: %v", hosts, err)
	}
	tb.Cleanup(c.Close)
	env.Client = c
	return env
}

// ParseHosts parses "host:port,host:port".
func ParseHosts(s string) ([]*as.Host, error) {
	var out []*as.Host
	for _, hp := range strings.Split(s, ",") {
		hp = strings.TrimSpace(hp)
		if hp == "" {
			continue
		}
		h, p, ok := strings.Cut(hp, ":")
		port := 3000
		if ok {
			n, err := strconv.Atoi(p)
			if err != nil || n <= 0 || n > 65535 {
				return nil, fmt.Errorf("bad host %q: port must be 1-65535", hp)
			}
			port = n
		}
		out = append(out, as.NewHost(h, port))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no hosts in %q", s)
	}
	return out, nil
}

var setSeq atomic.Int64

// Set returns a set name unique to this test run, so tests sharing a real
// cluster do not see each other's records.
func (e *Env) Set(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano()%1e6, setSeq.Add(1))
}
