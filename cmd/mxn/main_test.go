package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mxnlabs/mxn/pkg/aerolite"
	"github.com/mxnlabs/mxn/pkg/testenv"
)

// testHost and testPort locate the server the tests share (each test uses
// its own sets): the first host of AEROSPIKE_HOSTS when it is set (a real
// cluster), otherwise an aerolite started here.
var (
	testHost string
	testPort int
)

func TestMain(m *testing.M) {
	if hosts := os.Getenv("AEROSPIKE_HOSTS"); hosts != "" {
		hs, err := testenv.ParseHosts(hosts)
		if err != nil {
			fmt.Fprintln(os.Stderr, "AEROSPIKE_HOSTS:", err)
			os.Exit(1)
		}
		testHost, testPort = hs[0].Name, hs[0].Port
		os.Exit(m.Run())
	}
	srv, err := aerolite.Run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start aerolite:", err)
		os.Exit(1)
	}
	testHost, testPort = srv.Host(), srv.Port()
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

// result is what one mxn invocation produced.
type result struct {
	stdout, stderr string
	code           int
}

// runEnv runs mxn in-process with exactly args and the given environment.
func runEnv(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, func(k string) string { return env[k] })
	return result{stdout.String(), stderr.String(), code}
}

// mxn runs mxn against the test server.
func mxn(t *testing.T, args ...string) result {
	t.Helper()
	conn := []string{"--host", testHost, "--port", strconv.Itoa(testPort)}
	return runEnv(t, nil, append(conn, args...)...)
}

// mustMxn runs mxn against the test server and fails the test unless it
// exits 0 with nothing on stderr.
func mustMxn(t *testing.T, args ...string) string {
	t.Helper()
	r := mxn(t, args...)
	if r.code != 0 || withoutProgress(r.stderr) != "" {
		t.Fatalf("mxn %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// wantFail checks an invocation failed with code and a one-line message
// containing msg (plus the --help hint for usage errors).
func wantFail(t *testing.T, r result, code int, msg string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d (stderr %q)", r.code, code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	wantLines := 1
	if code == exitUsage {
		wantLines = 2
	}
	if len(lines) != wantLines || !strings.HasPrefix(lines[0], "mxn: ") || !strings.Contains(lines[0], msg) {
		t.Fatalf("stderr %q: want %d line(s), the first `mxn: ...%s...`", r.stderr, wantLines, msg)
	}
	if code == exitUsage && !strings.Contains(lines[1], "--help") {
		t.Fatalf("stderr %q: no --help hint", r.stderr)
	}
	if r.stdout != "" {
		t.Fatalf("stdout %q, want nothing", r.stdout)
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// decodeRecord parses one printed record.
func decodeRecord(t *testing.T, line string) recordJSON {
	t.Helper()
	var rec recordJSON
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&rec); err != nil {
		t.Fatalf("decode %q: %v", line, err)
	}
	return rec
}

// recordJSON mirrors recordView for decoding.
type recordJSON struct {
	UKey string         `json:"ukey"`
	Gen  int            `json:"gen"`
	TTL  int            `json:"ttl"`
	Bins map[string]any `json:"bins"`
}

// withoutProgress drops mputs progress lines, which a slow machine may
// print during any mputs.
func withoutProgress(stderr string) string {
	var kept []string
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if !(strings.HasPrefix(line, "mxn: mputs: ") && strings.Contains(line, " accounts (")) {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "")
}
