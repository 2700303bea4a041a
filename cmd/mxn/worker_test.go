package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/runstate"
)

// selfSigned writes a self-signed certificate and its key as PEM files.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestBuildTLSConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := selfSigned(t, dir, "db.example")
	_, otherKey := selfSigned(t, dir, "other")
	notPEM := filepath.Join(dir, "junk")
	if err := os.WriteFile(notPEM, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tc, err := buildTLSConfig("", "", "", ""); tc != nil || err != nil {
		t.Fatalf("no flags: %v, %v", tc, err)
	}
	tc, err := buildTLSConfig(cert, cert, key, "db.example")
	if err != nil {
		t.Fatal(err)
	}
	if tc.RootCAs == nil || len(tc.Certificates) != 1 || tc.ServerName != "db.example" || tc.MinVersion == 0 {
		t.Fatalf("tls.Config %+v", tc)
	}
	if tc, err := buildTLSConfig(cert, "", "", ""); err != nil || tc.RootCAs == nil || len(tc.Certificates) != 0 {
		t.Fatalf("CA only: %+v, %v", tc, err)
	}
	for _, bad := range []struct{ ca, cert, key, name, msg string }{
		{cert, cert, "", "", "--tls-cert-file needs --tls-key-file"},
		{"", "", key, "", "--tls-key-file needs --tls-cert-file"},
		{notPEM, "", "", "", "--tls-ca-file " + notPEM + ": no PEM certificate"},
		{filepath.Join(dir, "none"), "", "", "", "--tls-ca-file: open "},
		{"", cert, filepath.Join(dir, "none"), "", "--tls-key-file: stat "},
		{"", cert, otherKey, "", "--tls-cert-file/--tls-key-file: "},
		{"", "", "", "x", `--tls-name "x" needs`},
	} {
		if _, err := buildTLSConfig(bad.ca, bad.cert, bad.key, bad.name); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("%+v: err %v, want %q", bad, err, bad.msg)
		}
	}
}

// resolvedConfig parses args as mxn's global flags with env.
func resolvedConfig(t *testing.T, env map[string]string, args ...string) (*globalConfig, error) {
	t.Helper()
	var out, errs strings.Builder
	cfg := newGlobalConfig(&out, &errs, func(k string) string { return env[k] })
	root := newRootCmd(cfg)
	if err := root.PersistentFlags().Parse(args); err != nil {
		t.Fatal(err)
	}
	return cfg, cfg.resolve()
}

// The credentials reach the client policy: the user from --user or the
// environment, the password from the environment only.
func TestClientPolicyCarriesCredentialsAndTLS(t *testing.T) {
	t.Parallel()
	env := map[string]string{envUser: "envuser", envPassword: "s3cret", envTLSName: "db.example"}
	cfg, err := resolvedConfig(t, env)
	if err != nil {
		t.Fatal(err)
	}
	p := clientPolicy(cfg)
	if p.User != "envuser" || p.Password != "s3cret" || p.TlsConfig != nil || p.Timeout != connectTimeout || cfg.TLSName != "" {
		t.Fatalf("policy user %q password set %v tls %v", p.User, p.Password != "", p.TlsConfig)
	}
	cert, key := selfSigned(t, t.TempDir(), "db.example")
	cfg, err = resolvedConfig(t, env, "--user", "flaguser", "--tls-ca-file", cert, "--tls-cert-file", cert, "--tls-key-file", key)
	if err != nil {
		t.Fatal(err)
	}
	p = clientPolicy(cfg)
	if p.User != "flaguser" || p.Password != "s3cret" || p.TlsConfig == nil || p.TlsConfig.ServerName != "db.example" || cfg.TLSName != "db.example" {
		t.Fatalf("policy user %q tls %+v name %q", p.User, p.TlsConfig, cfg.TLSName)
	}
	if got := strings.Join(cfg.authArgs(), " "); !strings.Contains(got, "--user flaguser") || strings.Contains(got, "s3cret") {
		t.Errorf("authArgs %q", got)
	}
	// --embedded: neither (aerolite has no security).
	cfg, err = resolvedConfig(t, env, "--embedded")
	if err != nil {
		t.Fatal(err)
	}
	if p := clientPolicy(cfg); p.User != "" || p.Password != "" || p.TlsConfig != nil {
		t.Fatalf("embedded policy has credentials")
	}
	// A password without a user is a usage error naming both ways to give one.
	if _, err := resolvedConfig(t, map[string]string{envPassword: "s3cret"}); err == nil || !strings.Contains(err.Error(), "give --user or AEROSPIKE_USER") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("password without user: %v", err)
	}
}

// The password never shows: not in errors, not in help (there is no flag).
func TestPasswordNeverPrinted(t *testing.T) {
	t.Parallel()
	port := strconv.Itoa(closedPort(t))
	env := map[string]string{envUser: "u", envPassword: "s3cret-pw"}
	for _, args := range [][]string{{"--port", port, "--log-level", "dbg", "get", "-u", "a"}, {"--help"}, {"--port", port, "--password", "x", "get", "-u", "a"}} {
		r := runEnv(t, env, args...)
		if strings.Contains(r.stdout+r.stderr, "s3cret-pw") {
			t.Errorf("mxn %v printed the password", args)
		}
	}
	if r := runEnv(t, nil, "--help"); strings.Contains(r.stdout, "--password") {
		t.Error("a --password flag exists")
	}
}

func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > report.MaxBytes {
		t.Fatalf("report of %d bytes", len(b))
	}
	r, err := report.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The worker commands' reports, from init to a failed reconciliation.
func TestWorkerCommandReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sf := func(name string) []string { return []string{"--summary-file", filepath.Join(dir, name)} }
	set := []string{"-s", "wrep"}

	out := mustMxn(t, append(append(set, sf("init")...), "init", "--records", "20")...)
	if !strings.Contains(out, "20 accounts (usr0..usr19)") {
		t.Errorf("init printed %q", out)
	}
	r := readReport(t, filepath.Join(dir, "init"))
	if r.Kind != report.KindInit || r.Init == nil || r.Init.Accounts != 20 || r.Error != "" || r.StartUnixMs == 0 || r.EndUnixMs < r.StartUnixMs {
		t.Fatalf("init report %+v", r)
	}

	mustMxn(t, append(append(set, sf("rtxns")...), "rtxns", "--records", "20", "--count", "40", "--fpct", "100", "--progress", "0")...)
	r = readReport(t, filepath.Join(dir, "rtxns"))
	if r.Kind != report.KindWorkload || r.Workload == nil || r.Workload.Attempted != 40 || r.Error != "" {
		t.Fatalf("rtxns report %+v", r)
	}

	// verify cleans what the injected failures left and reconciles.
	res := mxn(t, append(append(set, sf("verify")...), "verify")...)
	r = readReport(t, filepath.Join(dir, "verify"))
	if res.code != 0 || r.Kind != report.KindVerify || r.Cleanup == nil || !r.Cleanup.Clean || r.Cleanup.Rounds < 1 ||
		r.Reconcile == nil || !r.Reconcile.OK() || r.Reconcile.Checked != 20 || r.Reconcile.Verdict != "Reconciled" {
		t.Fatalf("verify: exit %d stderr %q report %+v %+v %+v", res.code, res.stderr, r, r.Cleanup, r.Reconcile)
	}
	mustMxn(t, append(append(set, sf("cln")...), "cln", "--until-clean")...)
	if r = readReport(t, filepath.Join(dir, "cln")); r.Kind != report.KindCleanup || !r.Cleanup.Clean || r.Cleanup.Rounds != 1 {
		t.Fatalf("cln report %+v", r.Cleanup)
	}

	// Two accounts drift: rcn fails and lists them, up to --max-drifted.
	mustMxn(t, "-s", "wrep", "put", "-u", "usr3", "--rec", `{"bal":999999}`)
	mustMxn(t, "-s", "wrep", "put", "-u", "usr4", "--rec", `{"bal":-5}`)
	res = mxn(t, append(append(set, sf("rcn")...), "rcn", "--max-drifted", "1")...)
	r = readReport(t, filepath.Join(dir, "rcn"))
	if res.code != exitError || r.Kind != report.KindReconcile || r.Reconcile.Drifted != 2 || len(r.Reconcile.Sample) != 1 ||
		!r.Reconcile.SampleTruncated || r.Reconcile.Sample[0].UKey != "usr3" || r.Error == "" || r.Reconcile.OK() {
		t.Fatalf("rcn: exit %d report %+v %+v", res.code, r, r.Reconcile)
	}
	s := r.Reconcile.Sample[0]
	if want := abs64(999999-s.Logged) + abs64(-5-logged(t, "usr4", dir)); s.Balance != 999999 || s.Drift != s.Balance-s.Logged || r.Reconcile.TotalDrift != want {
		t.Errorf("sample %+v, total drift %d, want %d", s, r.Reconcile.TotalDrift, want)
	}
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// logged reads an account's committed log amount with rcn -u.
func logged(t *testing.T, ukey, dir string) int64 {
	t.Helper()
	path := filepath.Join(dir, "one-"+ukey)
	mxn(t, "-s", "wrep", "--summary-file", path, "rcn", "-u", ukey)
	r := readReport(t, path)
	if len(r.Reconcile.Sample) != 1 {
		t.Fatalf("rcn -u %s: %+v", ukey, r.Reconcile)
	}
	return r.Reconcile.Sample[0].Logged
}

// A command that fails still writes its report, with the error.
func TestReportOnFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	port := strconv.Itoa(closedPort(t))
	path := filepath.Join(dir, "rcn")
	wantFail(t, runEnv(t, nil, "--port", port, "--summary-file", path, "rcn"), exitError, "cannot reach Aerospike")
	if r := readReport(t, path); r.Kind != report.KindReconcile || !strings.Contains(r.Error, "cannot reach Aerospike at 127.0.0.1:"+port) {
		t.Fatalf("report %+v", r)
	}
	path = filepath.Join(dir, "verify")
	wantFail(t, runEnv(t, nil, "--port", port, "--summary-file", path, "verify", "--max-drifted", "5000"), exitUsage, "--max-drifted 5000")
	if r := readReport(t, path); r.Kind != report.KindVerify || !strings.Contains(r.Error, "--max-drifted 5000 out of range") {
		t.Fatalf("report %+v", r)
	}
	// An unwritable summary file fails the command.
	r := runEnv(t, nil, "--port", port, "--summary-file", filepath.Join(dir, "no", "such"), "init")
	if r.code != exitError || !strings.Contains(r.stderr, "cannot reach") || !strings.Contains(r.stderr, "--summary-file") {
		t.Fatalf("unwritable: exit %d, %q", r.code, r.stderr)
	}
}

// Workers of one run start together at the barrier, flush their progress
// and report the common start.
func TestRtxnsBarrierAndProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustMxn(t, "-s", "wbar", "init", "--records", "10")
	runArgs := func(i int) []string {
		return []string{"-s", "wbar", "--summary-file", filepath.Join(dir, strconv.Itoa(i)), "rtxns", "--records", "10", "--count", "20",
			"--progress", "0", "--run-id", "run1", "--workers", "2", "--worker", strconv.Itoa(i), "--flush-every", "20ms"}
	}
	var wg sync.WaitGroup
	results := make([]result, 2)
	wg.Add(1)
	go func() { defer wg.Done(); results[0] = mxn(t, runArgs(0)...) }()
	// Worker 0 waits for worker 1.
	c := testClient(t)
	waitFor(t, func() bool {
		n, _, _ := runstate.Ready(context.Background(), c, "test", "wbarrun", "run1")
		return n == 1
	})
	time.Sleep(200 * time.Millisecond)
	if ps, err := runstate.ReadProgress(context.Background(), c, "test", "wbarrun", "run1", 2); err != nil || ps[0] != nil {
		t.Fatalf("progress before the barrier opened: %v, %v", ps, err)
	}
	wg.Add(1)
	go func() { defer wg.Done(); results[1] = mxn(t, runArgs(1)...) }()
	wg.Wait()
	var starts []int64
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("worker %d: exit %d, %q", i, r.code, r.stderr)
		}
		rep := readReport(t, filepath.Join(dir, strconv.Itoa(i)))
		if rep.Workload == nil || rep.Workload.Attempted != 20 {
			t.Fatalf("worker %d report %+v", i, rep)
		}
		starts = append(starts, rep.StartUnixMs)
	}
	if d := starts[0] - starts[1]; d > 500 || d < -500 {
		t.Errorf("starts %v apart by %d ms", starts, d)
	}
	ps, err := runstate.ReadProgressDetail(context.Background(), c, "test", "wbarrun", "run1", 2)
	if err != nil || ps[0] == nil || ps[1] == nil || !ps[0].Done || !ps[1].Done || ps[0].Summary.Attempted != 20 {
		t.Fatalf("progress %+v, %v", ps, err)
	}

	// A released barrier frees a worker whose partner never came.
	wg.Add(1)
	var lone result
	go func() {
		defer wg.Done()
		lone = mxn(t, "-s", "wbar", "rtxns", "--records", "10", "--count", "5", "--progress", "0", "--run-id", "run2", "--workers", "2")
	}()
	waitFor(t, func() bool {
		n, _, _ := runstate.Ready(context.Background(), c, "test", "wbarrun", "run2")
		return n == 1
	})
	if err := runstate.Release(context.Background(), c, "test", "wbarrun", "run2"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if lone.code != 0 {
		t.Fatalf("released worker: exit %d, %q", lone.code, lone.stderr)
	}
	// And a barrier that never opens fails after --barrier-timeout.
	wantFail(t, mxn(t, "-s", "wbar", "rtxns", "--records", "10", "--count", "5", "--run-id", "run3", "--workers", "2",
		"--barrier-timeout", "200ms"), exitError, "start barrier timed out: run run3: 1 of 2 workers ready")
}

func testClient(t *testing.T) *as.Client {
	t.Helper()
	c, err := as.NewClient(testHost, testPort)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The help documents the new commands and flags.
func TestWorkerFlagsInHelp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"init ", "verify ", "--summary-file", "--user", "AEROSPIKE_PASSWORD", "--tls-ca-file", "--tls-cert-file", "--tls-key-file", "--tls-name", "AEROSPIKE_TLS_NAME"}},
		{[]string{"rtxns", "--help"}, []string{"--run-id", "--worker ", "--workers", "--barrier-timeout", "--flush-every", "barrier:<run-id>", "progress:<run-id>:<worker>"}},
		{[]string{"verify", "--help"}, []string{"--partitions", "--max-drifted", "--timeout", "--lock-ttl"}},
		{[]string{"rcn", "--help"}, []string{"--max-drifted"}},
		{[]string{"cln", "--help"}, []string{"--until-clean", "--timeout"}},
		{[]string{"init", "--help"}, []string{"--records"}},
	} {
		r := runEnv(t, nil, tc.args...)
		for _, w := range tc.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("mxn %v: help lacks %q", tc.args, w)
			}
		}
	}
}
