package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"--help"}, {"help", "put"}, {"op", "--help"}, {"init", "--help"}, {"verify", "--help"}, {"rtxns", "--help"}} {
		r := runEnv(t, nil, args...)
		if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("mxn %v: exit %d, stderr %q, stdout %.80q", args, r.code, r.stderr, r.stdout)
		}
	}
}

// Usage errors exit 2 before connecting: the port is closed, so any attempt
// to connect would show as exit 1.
func TestUsageErrorsExitTwoWithoutConnecting(t *testing.T) {
	t.Parallel()
	port := strconv.Itoa(closedPort(t))
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"get", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{[]string{"get", "extra"}, `unknown command "extra"`},
		{[]string{"--port", "notanumber", "get"}, "invalid argument"},
		{[]string{"get"}, "--ukey is required"},
		{[]string{"--fpct", "1001", "get", "-u", "a"}, "--fpct 1001 out of range"},
		{[]string{"--fpct", "-1", "get", "-u", "a"}, "--fpct -1 out of range"},
		{[]string{"--log-level", "loud", "get", "-u", "a"}, `--log-level "loud"`},
		{[]string{"--count", "-3", "mputs"}, "--count -3 must not be negative"},
		{[]string{"mputs", "--concurrency", "0"}, "--concurrency 0 out of range"},
		{[]string{"-s", "*", "get", "-u", "a"}, "only lists sets"},
		{[]string{"put", "-u", "a"}, `required flag(s) "rec" not set`},
		{[]string{"put", "-u", "a", "--rec", "{bad"}, "--rec:"},
		{[]string{"put", "-u", "a", "--rec", "[1]"}, "want a JSON object"},
		{[]string{"put", "-u", "a", "--rec", "{}"}, "no bins"},
		{[]string{"put", "-u", "a", "--rec", `{"a":1} x`}, "after the JSON value"},
		{[]string{"put", "-u", "a", "--rec", `{"a":1e999}`}, `bin "a"`},
		{[]string{"put", "-u", "a", "--rec", `{"a":1}`, "--gen", "-1"}, "invalid argument"},
		{[]string{"op", "-u", "a", "--ops", `[{"op":"mul","bin":"b","value":1}]`}, "unknown op"},
		{[]string{"op", "-u", "a", "--ops", `[{"op":"add","bin":"b","value":"x"}]`}, "must be a number"},
		{[]string{"op", "-u", "a", "--ops", `[{"op":"add","bin":"b"}]`}, `missing "value"`},
		{[]string{"op", "-u", "a", "--ops", `[{"op":"append","value":"x"}]`}, `missing "bin"`},
		{[]string{"op", "-u", "a", "--ops", `[{"op":"touch","bin":"b"}]`}, "takes no bin"},
		{[]string{"op", "-u", "a", "--ops", `[]`}, "no operations"},
		{[]string{"op", "-u", "a", "--ops", `{"op":"get"}`}, "want a JSON list"},
		{[]string{"info"}, "requires at least 1 arg"},
		{[]string{"--port", "0", "get", "-u", "a"}, "--port 0 out of range 1..65535"},
	}
	for _, tc := range cases {
		args := append([]string{"--port", port}, tc.args...)
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			wantFail(t, runEnv(t, nil, args...), exitUsage, tc.msg)
		})
	}
}

// Every flag check names the flag and the value it was given, and fails
// before connecting (the port is closed).
func TestFlagErrorsNameFlagAndValue(t *testing.T) {
	t.Parallel()
	port := strconv.Itoa(closedPort(t))
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"tst", "--procs", "-1"}, "--procs -1 must be at least 1"},
		{[]string{"tst", "--records", "0"}, "--records 0 must be at least 1"},
		{[]string{"tst", "--txns", "0"}, "--txns 0 must be at least 1"},
		{[]string{"tst", "--kill", "-2"}, "--kill -2 must not be negative"},
		{[]string{"tst", "--kill-every", "0s"}, "--kill-every 0s must be positive"},
		{[]string{"tst", "--kill-all-after", "-1s"}, "--kill-all-after -1s must not be negative"},
		{[]string{"tst", "--cleanup-timeout", "0s"}, "--cleanup-timeout 0s must be positive"},
		{[]string{"tst", "--worker-concurrency", "0"}, "--worker-concurrency 0 must be at least 1"},
		{[]string{"tst", "--server-faults", "101"}, "--server-faults 101 out of range 0..100"},
		{[]string{"tst", "--mode", "both"}, `--mode "both": want single or transfer`},
		{[]string{"tst", "--mode", "transfer", "--legs", "4", "--records", "3"}, "--legs 4 out of range 2..3"},
		{[]string{"tst", "--zipf", "0.5"}, "--zipf 0.5 must be above 1"},
		{[]string{"tst", "--lock-attempts", "0"}, "--lock-attempts 0 must be at least 1"},
		{[]string{"rtxns", "--records", "-5"}, "--records -5 must be at least 1"},
		{[]string{"rtxns", "--mode", "transfer", "--legs", "1"}, "--legs 1 out of range 2..1000"},
		{[]string{"rtxns", "--concurrency", "0"}, "--concurrency 0 must be at least 1"},
		{[]string{"rtxns", "--duration", "-1s"}, "--duration -1s must not be negative"},
		{[]string{"rtxns", "--rate", "-2.5"}, "--rate -2.5 must not be negative"},
		{[]string{"rtxns", "--retries", "-1"}, "--retries -1 must not be negative"},
		{[]string{"rtxns", "--progress", "-1s"}, "--progress -1s must not be negative"},
		{[]string{"rtxns", "--zipf", "1"}, "--zipf 1 must be above 1"},
		{[]string{"--count", "0", "rtxns"}, "--count 0 and no --duration"},
		{[]string{"rtxns", "--lock-ttl", "0s"}, "--lock-ttl 0s must be positive"},
		{[]string{"bench", "--records", "9"}, "--records 9 must be at least 10"},
		{[]string{"bench", "--concurrency", "0"}, "--concurrency 0 must be at least 1"},
		{[]string{"bench", "--duration", "0s"}, "--duration 0s must be positive"},
		{[]string{"bench", "--contention-accounts", "1"}, "--contention-accounts 1 must be at least 2"},
		{[]string{"bench", "--contention-concurrency", "0"}, "--contention-concurrency 0 must be at least 1"},
		{[]string{"bench", "--contention-transfers", "-1"}, "--contention-transfers -1 must be at least 1"},
		{[]string{"bench", "--legs", "1,17"}, "--legs 17 out of range 1..16"},
		{[]string{"bench", "--rate-fraction", "0"}, "--rate-fraction 0 must be within (0, 1]"},
		{[]string{"bench", "--rcn-accounts", "5"}, "--rcn-accounts 5 must be at least 10"},
		{[]string{"bench", "--rcn-shards", "0"}, "--rcn-shards 0 out of range 1..64"},
		{[]string{"cln", "--min-age", "-1s"}, "--min-age -1s must not be negative"},
		{[]string{"cln", "--concurrency", "0"}, "--concurrency 0 out of range 1..100"},
		{[]string{"cln", "--partitions", "4000:200"}, "--partitions: partition range 4000:200"},
		{[]string{"cln", "--lock-grace", "-1ms"}, "--lock-grace -1ms must not be negative"},
		{[]string{"clnsvc", "--period", "0s"}, "--period 0s must be positive"},
		{[]string{"clnsvc", "--duration", "-1m"}, "--duration -1m0s must not be negative"},
		{[]string{"rcn", "--concurrency", "101"}, "--concurrency 101 out of range 1..100"},
		{[]string{"idx", "--timeout", "-1s"}, "--timeout -1s must not be negative"},
		{[]string{"mputs", "--count", "0"}, "--count 0 must be at least 1"},
		{[]string{"lck", "-u", "a", "--lock-wait", "-1s"}, "--lock-wait -1s must not be negative"},
		{[]string{"rcn", "--max-drifted", "1001"}, "--max-drifted 1001 out of range 0..1000"},
		{[]string{"verify", "--max-drifted", "-1"}, "--max-drifted -1 out of range 0..1000"},
		{[]string{"verify", "--timeout", "0s"}, "--timeout 0s must be positive"},
		{[]string{"verify", "--partitions", "1:x"}, "--partitions: partition range"},
		{[]string{"verify", "--lock-ttl", "0s"}, "--lock-ttl 0s must be positive"},
		{[]string{"cln", "--timeout", "0s"}, "--timeout 0s must be positive"},
		{[]string{"cln", "--until-clean", "--dry-run"}, "--until-clean and --dry-run"},
		{[]string{"init", "--records", "0"}, "--records 0 must be at least 1"},
		{[]string{"-s", "*", "init"}, "only lists sets"},
		{[]string{"rtxns", "--worker", "1"}, "--worker and --workers need --run-id"},
		{[]string{"rtxns", "--workers", "4"}, "--worker and --workers need --run-id"},
		{[]string{"rtxns", "--run-id", "r", "--workers", "0"}, "--workers 0 must be at least 1"},
		{[]string{"rtxns", "--run-id", "r", "--workers", "3", "--worker", "3"}, "--worker 3 out of range 0..2"},
		{[]string{"rtxns", "--run-id", "r", "--worker", "-1"}, "--worker -1 out of range 0..0"},
		{[]string{"rtxns", "--run-id", "r", "--barrier-timeout", "0s"}, "--barrier-timeout 0s must be positive"},
		{[]string{"rtxns", "--run-id", "r", "--flush-every", "-1s"}, "--flush-every -1s must be positive"},
		{[]string{"rtxns", "--run-id", "a:b"}, `--run-id "a:b"`},
		{[]string{"--tls-cert-file", "c.pem", "get", "-u", "a"}, "--tls-cert-file needs --tls-key-file"},
		{[]string{"--tls-key-file", "k.pem", "get", "-u", "a"}, "--tls-key-file needs --tls-cert-file"},
		{[]string{"--tls-ca-file", "/nonexistent/ca.pem", "get", "-u", "a"}, "--tls-ca-file: open /nonexistent/ca.pem"},
		{[]string{"--tls-cert-file", "/nonexistent/c.pem", "--tls-key-file", "/nonexistent/k.pem", "get", "-u", "a"}, "--tls-cert-file: stat /nonexistent/c.pem"},
		{[]string{"--tls-name", "db", "get", "-u", "a"}, `--tls-name "db" needs --tls-ca-file`},
	}
	for _, tc := range cases {
		args := append([]string{"--port", port}, tc.args...)
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			wantFail(t, runEnv(t, nil, args...), exitUsage, tc.msg)
		})
	}
	// The port from the environment is named as such.
	wantFail(t, runEnv(t, map[string]string{"AS_PORT": "70000"}, "get", "-u", "a"), exitUsage, "AS_PORT=70000 out of range 1..65535")
}

func TestUnreachableServerIsOneLine(t *testing.T) {
	t.Parallel()
	port := closedPort(t)
	r := runEnv(t, nil, "--port", strconv.Itoa(port), "get", "-u", "usr0")
	wantFail(t, r, exitError, fmt.Sprintf("cannot reach Aerospike at 127.0.0.1:%d: ", port))
	if !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("stderr %q: want the reason", r.stderr)
	}
}

func TestHostsFromEnvironment(t *testing.T) {
	t.Parallel()
	addr := fmt.Sprintf("%s:%d", testHost, testPort)
	closed := strconv.Itoa(closedPort(t))

	// AEROSPIKE_HOSTS beats AS_HOST/AS_PORT ...
	env := map[string]string{"AEROSPIKE_HOSTS": "  " + addr + " ,", "AS_PORT": closed}
	if r := runEnv(t, env, "-s", "envhosts", "mputs", "--count", "1"); r.code != 0 {
		t.Fatalf("AEROSPIKE_HOSTS: exit %d, %q", r.code, r.stderr)
	}
	// ... but not explicit flags.
	r := runEnv(t, env, "--port", closed, "-s", "envhosts", "get", "-u", "usr0")
	wantFail(t, r, exitError, "cannot reach Aerospike at 127.0.0.1:"+closed)

	// AS_HOST/AS_PORT replace the defaults.
	env = map[string]string{"AS_HOST": testHost, "AS_PORT": strconv.Itoa(testPort)}
	if r := runEnv(t, env, "-s", "envhosts", "get", "-u", "usr0"); r.code != 0 {
		t.Fatalf("AS_HOST/AS_PORT: exit %d, %q", r.code, r.stderr)
	}
	wantFail(t, runEnv(t, map[string]string{"AS_PORT": "x"}, "get", "-u", "a"), exitUsage, `AS_PORT="x"`)
	wantFail(t, runEnv(t, map[string]string{"AEROSPIKE_HOSTS": ","}, "get", "-u", "a"), exitUsage, "lists no hosts")
}

func TestParseHostList(t *testing.T) {
	t.Parallel()
	hosts, err := parseHostList("a:1, b ,[::1]:4000", 3000)
	if err != nil {
		t.Fatal(err)
	}
	if got := hostList(hosts); got != "a:1,b:3000,[::1]:4000" {
		t.Errorf("got %s", got)
	}
	for _, bad := range []string{"a:x", "::1", ":3000", "a:0", "a:70000", ""} {
		if _, err := parseHostList(bad, 3000); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestEmbeddedServerIsQuietUnlessInfo(t *testing.T) {
	t.Parallel()
	r := runEnv(t, nil, "--embedded", "mputs", "--count", "3")
	if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "wrote 3 accounts (usr0..usr2) to test.mxn in ") {
		t.Fatalf("embedded mputs: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runEnv(t, nil, "--embedded", "--log-level", "inf", "-n", "other", "info", "namespaces")
	if r.code != 0 || r.stdout != "other\n" || !strings.Contains(r.stderr, "embedded aerolite listening on 127.0.0.1:") {
		t.Fatalf("embedded info: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
