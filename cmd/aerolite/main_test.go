package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

// TestMain lets a test run the command itself, main and os.Exit included:
// the test binary re-executed with AEROLITE_TEST_MAIN=1 is aerolite.
func TestMain(m *testing.M) {
	if os.Getenv("AEROLITE_TEST_MAIN") == "1" {
		os.Args = append([]string{"aerolite"}, os.Args[1:]...)
		main()
		return
	}
	os.Exit(m.Run())
}

// runCmd runs the command in-process with args. A stop signal is already
// waiting, so a server that starts stops at once (and exits 0).
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	stop := make(chan os.Signal, 1)
	stop <- syscall.SIGTERM
	code = run(args, &out, &errb, stop)
	return code, out.String(), errb.String()
}

func TestHelpGoesToStdout(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help"} {
		code, stdout, stderr := runCmd(t, arg)
		if code != 0 {
			t.Errorf("%s: exit code %d, want 0", arg, code)
		}
		if !strings.HasPrefix(stdout, "aerolite: a single-node") || !strings.Contains(stdout, "Usage: aerolite [flags]") ||
			!strings.Contains(stdout, "-fault-fail") {
			t.Errorf("%s: stdout = %q", arg, stdout)
		}
		if stderr != "" {
			t.Errorf("%s: stderr = %q, want nothing", arg, stderr)
		}
	}
}

func TestRejectsOutOfRangeFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the whole first line of stderr
	}{
		{[]string{"--fault-fail", "-5"}, `aerolite: invalid value "-5" for --fault-fail: a percentage must be between 0 and 100`},
		{[]string{"--fault-fail=100.5"}, `aerolite: invalid value "100.5" for --fault-fail: a percentage must be between 0 and 100`},
		{[]string{"--fault-drop-before", "101"}, `aerolite: invalid value "101" for --fault-drop-before: a percentage must be between 0 and 100`},
		{[]string{"--fault-drop-after", "-0.1"}, `aerolite: invalid value "-0.1" for --fault-drop-after: a percentage must be between 0 and 100`},
		{[]string{"--fault-delay", "NaN"}, `aerolite: invalid value "NaN" for --fault-delay: a percentage must be between 0 and 100`},
		{[]string{"--fault-delay", "+Inf"}, `aerolite: invalid value "+Inf" for --fault-delay: a percentage must be between 0 and 100`},
		{[]string{"--fault-drop-before", "60", "--fault-fail", "50"}, `aerolite: fault percentages add up to more than 100 (--fault-drop-before 60 + --fault-fail 50)`},
		{[]string{"--fault-delay-by", "-1s"}, `aerolite: invalid value "-1s" for --fault-delay-by: a delay cannot be negative`},
		{[]string{"--fault-code", "256"}, `aerolite: invalid value "256" for --fault-code: not a result code (0-255)`},
		{[]string{"--fault-code", "-1"}, `aerolite: invalid value "-1" for --fault-code: not a result code (0-255)`},
		{[]string{"--default-ttl", "-1h"}, `aerolite: invalid value "-1h0m0s" for --default-ttl: a TTL cannot be negative`},
		{[]string{"--default-ttl", "1500ms"}, `aerolite: invalid value "1.5s" for --default-ttl: a TTL is a whole number of seconds`},
		{[]string{"--default-ttl", "2000000h"}, `aerolite: invalid value "2000000h0m0s" for --default-ttl: too long`},
		{[]string{"--max-frame", "-1"}, `aerolite: invalid value "-1" for --max-frame: a size cannot be negative (0 = the default, 128 MiB)`},
		{[]string{"--fault-fail", "abc"}, `aerolite: invalid value "abc" for flag -fault-fail: parse error (see --help)`},
		{[]string{"--no-such-flag"}, `aerolite: flag provided but not defined: -no-such-flag (see --help)`},
		{[]string{"extra"}, `aerolite: unexpected argument "extra" (see --help)`},
	} {
		code, stdout, stderr := runCmd(t, append(tc.args, "--listen", "127.0.0.1:0")...)
		if code != 2 {
			t.Errorf("%v: exit code %d, want 2", tc.args, code)
		}
		if stderr != tc.want+"\n" {
			t.Errorf("%v: stderr = %q, want %q", tc.args, stderr, tc.want+"\n")
		}
		if stdout != "" {
			t.Errorf("%v: stdout = %q", tc.args, stdout)
		}
	}
}

func TestErrorsHaveOnePrefix(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, stderr := runCmd(t, "--listen", ln.Addr().String())
	if code != 2 || !strings.HasPrefix(stderr, "aerolite: listen "+ln.Addr().String()+": ") ||
		strings.Count(stderr, "aerolite:") != 1 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("listen on a busy port: exit code %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCmd(t, "--listen", "127.0.0.1:0", "--namespace", "a,,b")
	if code != 2 || stderr != "aerolite: invalid namespace name \"\"\n" {
		t.Errorf("empty namespace name: exit code %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCmd(t, "--listen", "127.0.0.1:0", "--quiet", "--addr-file", filepath.Join(t.TempDir(), "no", "such", "dir"))
	if code != 2 || !strings.HasPrefix(stderr, "aerolite: write --addr-file: ") || strings.Count(stderr, "aerolite:") != 1 {
		t.Errorf("unwritable --addr-file: exit code %d, stderr %q", code, stderr)
	}
}

// TestServesUntilStopped runs the server with valid fault flags at their
// limits, answers an info request, and exits 0 when stopped.
func TestServesUntilStopped(t *testing.T) {
	addrFile := filepath.Join(t.TempDir(), "addr")
	stop := make(chan os.Signal, 1)
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run([]string{"--listen", "127.0.0.1:0", "--addr-file", addrFile, "--quiet",
			"--fault-drop-before", "0", "--fault-fail", "100", "--fault-delay-by", "0s", "--default-ttl", "1h"},
			io.Discard, &stderr, stop)
	}()
	addr := waitAddr(t, addrFile, done)
	if got := infoRequest(t, addr, "build"); got != "build\t8.1.2.0\n" {
		t.Errorf("info build answered %q", got)
	}
	stop <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0; stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "aerolite listening on "+addr) {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// TestBinary runs the real command (main, os.Exit and the process's own
// stdout and stderr).
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs subprocesses")
	}
	cmd := func(args ...string) (int, string, string) {
		c := exec.Command(os.Args[0], args...)
		c.Env = append(os.Environ(), "AEROLITE_TEST_MAIN=1")
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("run %v: %v", args, err)
		}
		return c.ProcessState.ExitCode(), out.String(), errb.String()
	}
	if code, stdout, stderr := cmd("--help"); code != 0 || !strings.Contains(stdout, "Usage: aerolite") || stderr != "" {
		t.Errorf("--help: exit code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, stdout, stderr := cmd("--fault-fail", "-5"); code != 2 || stdout != "" ||
		stderr != "aerolite: invalid value \"-5\" for --fault-fail: a percentage must be between 0 and 100\n" {
		t.Errorf("--fault-fail -5: exit code %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	// SIGTERM stops a running server with exit code 0.
	addrFile := filepath.Join(t.TempDir(), "addr")
	c := exec.Command(os.Args[0], "--listen", "127.0.0.1:0", "--addr-file", addrFile, "--quiet")
	c.Env = append(os.Environ(), "AEROLITE_TEST_MAIN=1")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	defer func() {
		if c.ProcessState == nil {
			c.Process.Kill()
			<-exited
		}
	}()
	addr := waitAddr(t, addrFile, nil)
	if got := infoRequest(t, addr, "node"); !strings.HasPrefix(got, "node\t") {
		t.Errorf("info node answered %q", got)
	}
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop after SIGTERM")
	}
}

// waitAddr waits for the server to write its address to file; done, if
// not nil, reports an early exit.
func waitAddr(t *testing.T, file string, done <-chan int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
			return strings.TrimSpace(string(b))
		}
		select {
		case code := <-done:
			t.Fatalf("exited with code %d before writing its address", code)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("no address written in 10s")
	return ""
}

// infoRequest sends one info request over a raw connection and returns
// the answer's body.
func infoRequest(t *testing.T, addr, names string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	body := []byte(names + "\n")
	hdr := make([]byte, 8)
	binary.BigEndian.PutUint64(hdr, uint64(len(body)))
	hdr[0], hdr[1] = 2, 1 // proto version 2, type info
	if _, err := conn.Write(append(hdr, body...)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(conn, hdr); err != nil {
		t.Fatal(err)
	}
	n := binary.BigEndian.Uint64(hdr) & (1<<48 - 1)
	resp := make([]byte, n)
	if _, err := io.ReadFull(conn, resp); err != nil {
		t.Fatal(err)
	}
	return string(resp)
}

func TestUserFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--user", "alice"}, `aerolite: invalid value "alice" for --user: want name:password`},
		{[]string{"--user", ":secret"}, `aerolite: invalid value for --user: empty user name (want name:password)`},
		{[]string{"--user", "alice:a", "--user", "alice:b"}, `aerolite: invalid value for --user: user "alice" given twice`},
	} {
		code, stdout, stderr := runCmd(t, append(tc.args, "--listen", "127.0.0.1:0")...)
		if code != 2 || stdout != "" || stderr != tc.want+"\n" {
			t.Errorf("%v: exit code %d, stdout %q, stderr %q, want %q", tc.args, code, stdout, stderr, tc.want)
		}
		if strings.Contains(stderr, "secret") || strings.Contains(stderr, "alice:b") {
			t.Errorf("%v: the error shows a password: %q", tc.args, stderr)
		}
	}
}

// TestUserFlagEnablesSecurity serves with two --user flags: a client must
// log in, with the password given after the first colon.
func TestUserFlagEnablesSecurity(t *testing.T) {
	addrFile := filepath.Join(t.TempDir(), "addr")
	stop := make(chan os.Signal, 1)
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run([]string{"--listen", "127.0.0.1:0", "--addr-file", addrFile,
			"--user", "worker:pa:ss", "--user", "admin:x"}, io.Discard, &stderr, stop)
	}()
	addr := waitAddr(t, addrFile, done)
	defer func() {
		stop <- syscall.SIGTERM
		if code := <-done; code != 0 {
			t.Errorf("exit code %d; stderr %q", code, stderr.String())
		}
		if !strings.Contains(stderr.String(), "aerolite listening on "+addr+" (namespaces test, cluster aerolite, security on: 2 users)") {
			t.Errorf("stderr = %q", stderr.String())
		}
	}()
	if got := infoRequest(t, addr, "build"); got != "ERROR:80:not authenticated\n" {
		t.Errorf("unauthenticated info build answered %q", got)
	}
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	connect := func(user, password string) (*as.Client, error) {
		cp := as.NewClientPolicy()
		cp.Timeout = 3 * time.Second
		cp.User, cp.Password = user, password
		return as.NewClientWithPolicyAndHost(cp, as.NewHost(host, port))
	}
	c, err := connect("worker", "pa:ss")
	if err != nil {
		t.Fatalf("connect with the right password: %v", err)
	}
	defer c.Close()
	key, _ := as.NewKey("test", "s", 1)
	if err := c.Put(nil, key, as.BinMap{"a": 1}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if rec, err := c.Get(nil, key); err != nil || rec.Bins["a"] != 1 {
		t.Fatalf("Get: %v, %v", rec, err)
	}
	var ae as.Error
	if _, err := connect("worker", "pa"); !errors.As(err, &ae) || !ae.Matches(types.INVALID_PASSWORD) {
		t.Errorf("connect with a wrong password: %v, want INVALID_PASSWORD", err)
	}
}
