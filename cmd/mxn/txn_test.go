package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite"
	"github.com/mxnlabs/mxn/pkg/txn"
)

// txnResult mirrors txnOutput for decoding.
type txnResult struct {
	TxnID     string    `json:"txnid"`
	Outcome   string    `json:"outcome"`
	Committed bool      `json:"committed"`
	Applied   int       `json:"applied"`
	Legs      []txn.Leg `json:"legs"`
	RunID     string    `json:"run"`
	Error     string    `json:"error"`
}

func decodeTxn(t *testing.T, r result) txnResult {
	t.Helper()
	var out txnResult
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("stdout %q: want one JSON line (%v); stderr %q", r.stdout, err, r.stderr)
	}
	return out
}

// wantOutcome checks exit code, printed outcome and the first stderr line
// of a transaction that ran, and returns the result and the advice lines
// after the error.
func wantOutcome(t *testing.T, r result, code int, outcome, msg string) (txnResult, []string) {
	t.Helper()
	out := decodeTxn(t, r)
	if r.code != code || out.Outcome != outcome {
		t.Fatalf("exit %d, outcome %q; want %d, %q (stdout %q, stderr %q)", r.code, out.Outcome, code, outcome, r.stdout, r.stderr)
	}
	if out.Committed != (code == exitOK) || out.RunID == "" || (out.Error == "") != (code == exitOK) {
		t.Fatalf("result %+v", out)
	}
	if code == exitOK {
		if r.stderr != "" {
			t.Fatalf("stderr %q, want nothing", r.stderr)
		}
		return out, nil
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "mxn: transaction "+out.TxnID+" "+msg) {
		t.Fatalf("stderr %q: want it to start `mxn: transaction %s %s`", r.stderr, out.TxnID, msg)
	}
	return out, lines[1:]
}

func TestTxnOutcomesAndExitCodes(t *testing.T) {
	t.Parallel()
	set := "txo"
	cmd := func(args ...string) []string { return append([]string{"-s", set}, args...) }
	mustMxn(t, cmd("trunc")...)
	mustMxn(t, cmd("mputs", "--count", "3")...)

	id := txn.NewTxnID()
	out, _ := wantOutcome(t, mxn(t, cmd("txn", "-u", "usr0", "--amt", "5", "--txnid", id)...), exitOK, "committed", "")
	if out.TxnID != id || out.Applied != 1 || len(out.Legs) != 1 || out.Legs[0] != (txn.Leg{UKey: "usr0", Amt: 5}) {
		t.Fatalf("committed txn: %+v", out)
	}

	// A rerun of the same id applies nothing and says where to look.
	_, hint := wantOutcome(t, mxn(t, cmd("txn", "-u", "usr0", "--amt", "5", "--txnid", id)...), exitDuplicate, "duplicate",
		"refused, nothing applied: this transaction id was used before")
	conn := fmt.Sprintf("mxn --host %s --port %d", testHost, testPort)
	for _, want := range []string{conn + " --set txo cln", conn + " --set txolog get -u usr0:" + id} {
		if !strings.Contains(strings.Join(hint, "\n"), "  "+want+"\n") && !strings.HasSuffix(strings.Join(hint, "\n"), "  "+want) {
			t.Errorf("duplicate advice %q lacks %q", hint, want)
		}
	}

	xid := txn.NewTxnID()
	out, _ = wantOutcome(t, mxn(t, cmd("xfer", "--from", "usr0", "--to", "usr1", "--amt", "2", "--txnid", xid)...), exitOK, "committed", "")
	if out.Applied != 2 {
		t.Fatalf("xfer applied %d legs", out.Applied)
	}
	wantOutcome(t, mxn(t, cmd("xfer", "--legs", "usr1=-2,usr0=2", "--txnid", xid)...), exitDuplicate, "duplicate", "refused")

	_, _ = wantOutcome(t, mxn(t, cmd("txn", "-u", "nosuch", "--amt", "5")...), exitNoAccount, "no-account",
		"not run, nothing applied: account not found")
	wantOutcome(t, mxn(t, cmd("xfer", "--from", "usr0", "--to", "nosuch", "--amt", "1")...), exitNoAccount, "no-account", "not run")

	// A lock held by another transaction: conflict, nothing applied.
	mustMxn(t, cmd("lck", "-u", "usr2", "--txnid", "holder", "--lock-ttl", "30s")...)
	_, hint = wantOutcome(t, mxn(t, cmd("txn", "-u", "usr2", "--amt", "1", "--lock-wait", "50ms")...), exitConflict, "conflict",
		"not run, nothing applied: lock conflict")
	if len(hint) == 0 || !strings.Contains(hint[0], "locked by another transaction") {
		t.Errorf("conflict advice %q", hint)
	}
	mustMxn(t, cmd("clr", "-u", "usr2")...)

	for ukey, want := range map[string]string{"usr0": "3", "usr1": "2", "usr2": "0"} {
		if rec := decodeRecord(t, mustMxn(t, cmd("get", "-u", ukey)...)); rec.Bins["bal"] != json.Number(want) {
			t.Errorf("%s: bal %v, want %s", ukey, rec.Bins["bal"], want)
		}
	}
}

// TestTxnInDoubtSaysHowToSettle makes a transaction's log writes fail on
// a server of its own, so that its outcome is in doubt, then follows the
// advice mxn prints: the rerun it shows is safe, and cleanup settles it.
func TestTxnInDoubtSaysHowToSettle(t *testing.T) {
	t.Parallel()
	srv, err := aerolite.Run()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	conn := []string{"--host", srv.Host(), "--port", strconv.Itoa(srv.Port()), "-s", "doubt"}
	at := func(args ...string) result { return runEnv(t, nil, append(append([]string{}, conn...), args...)...) }
	must := func(args ...string) string {
		t.Helper()
		r := at(args...)
		if r.code != 0 {
			t.Fatalf("mxn %v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		return r.stdout
	}
	must("mputs", "--count", "5")
	// Balances are read from the server directly (the test has a server of
	// its own), not through mxn.
	balance := func(ukey string) any {
		t.Helper()
		e, ok := srv.Get("test", "doubt", ukey)
		if !ok {
			t.Fatalf("account %s not found", ukey)
		}
		return e.Bins["bal"]
	}

	// Let the first commands through, lose the reply to the next one (it is
	// applied: in doubt) and refuse every command after it, so that the run
	// cannot find out what became of it. Which command decides the outcome
	// depends on the protocol, so try each in turn.
	var r result
	var ukey string
	for pass := 0; pass < 5; pass++ {
		ukey = "usr" + strconv.Itoa(pass)
		if pass > 0 {
			srv.Faults().Next(aerolite.Delay, pass, false)
		}
		srv.Faults().Next(aerolite.DropAfter, 1, false)
		srv.Faults().Next(aerolite.FailWithCode, 1000, false)
		r = at("txn", "-u", ukey, "--amt", "7", "--lock-attempts", "2")
		srv.Faults().Clear()
		if r.code == exitInDoubt {
			break
		}
	}
	out, hint := wantOutcome(t, r, exitInDoubt, "in-doubt", "is in doubt: it may or may not take effect")
	t.Logf("in doubt:\n%s%s", r.stdout, r.stderr)
	advice := strings.Join(hint, "\n")
	if !strings.Contains(advice, "Do not retry it without --txnid") {
		t.Errorf("advice %q: no warning against a retry under a new id", advice)
	}
	clnCmd := fmt.Sprintf("  mxn --host %s --port %d --set doubt cln", srv.Host(), srv.Port())
	rerunCmd := fmt.Sprintf("  mxn %s txn -u %s --amt 7 --lock-attempts 2 --txnid %s", strings.Join(conn, " "), ukey, out.TxnID)
	for _, want := range []string{clnCmd, rerunCmd} {
		if !strings.Contains("\n"+advice+"\n", "\n"+want+"\n") {
			t.Errorf("advice %q lacks the line %q", advice, want)
		}
	}

	// The rerun shown is safe: refused while the first run is pending, or
	// applied once.
	rerun := strings.Fields(rerunCmd)[1+len(conn):]
	first := at(rerun...)
	if first.code != exitOK && first.code != exitDuplicate {
		t.Fatalf("rerun: exit %d, stderr %q", first.code, first.stderr)
	}
	// Cleanup settles it, all or nothing, once its lock has expired; a
	// rerun after that applies nothing (duplicate, or aborted when cleanup
	// rolled the first run back).
	time.Sleep(400 * time.Millisecond)
	must("cln", "--min-age", "0")
	bal := balance(ukey)
	if bal != 0 && bal != 7 || first.code == exitOK && bal != 7 {
		t.Fatalf("bal %v after cleanup (rerun exit %d): want 0 or 7, 7 if the rerun committed", bal, first.code)
	}
	again := at(rerun...)
	if again.code != exitDuplicate && again.code != exitError {
		t.Fatalf("rerun after cleanup: exit %d, stderr %q", again.code, again.stderr)
	}
	if got := balance(ukey); got != bal {
		t.Fatalf("bal %v after a rerun, was %v", got, bal)
	}
	must("rcn", "-u", ukey)
}

func TestTxnUsageErrorsNameTheFlag(t *testing.T) {
	t.Parallel()
	port := strconv.Itoa(closedPort(t))
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"txn", "--amt", "1"}, "--ukey is required"},
		{[]string{"txn", "-u", "a", "--txnid", "a:b"}, `--txnid: transaction id "a:b" contains ':'`},
		{[]string{"xfer", "--legs", "a=1,a=2"}, `--legs "a=1,a=2": account "a" appears twice`},
		{[]string{"xfer", "--legs", "a=1,b"}, `--legs "a=1,b": "b" is not ukey=amount`},
		{[]string{"xfer", "--from", "a", "--to", "a", "--amt", "1"}, `--from "a" and --to "a" are the same account`},
		{[]string{"xfer", "--from", "a", "--to", "b", "--amt", "0"}, "--amt 0 must be positive for --from/--to"},
		{[]string{"xfer", "--from", "a", "--to", "b", "--legs", "a=1"}, "either --legs or --from/--to"},
		{[]string{"txn", "-u", "a", "--lock-ttl", "0s"}, "--lock-ttl 0s must be positive"},
		{[]string{"txn", "-u", "a", "--lock-grace", "-1s"}, "--lock-grace -1s must not be negative"},
		{[]string{"txn", "-u", "a", "--lock-wait", "-1ms"}, "--lock-wait -1ms must not be negative"},
		{[]string{"txn", "-u", "a", "--lock-attempts", "0"}, "--lock-attempts 0 must be at least 1"},
	}
	for _, tc := range cases {
		args := append([]string{"--port", port}, tc.args...)
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			wantFail(t, runEnv(t, nil, args...), exitUsage, tc.msg)
		})
	}
}

// outcomeError is what decides the exit code; every outcome maps to its
// own code and names itself.
func TestOutcomeErrorCodes(t *testing.T) {
	t.Parallel()
	cause := func(sentinel error) error { return fmt.Errorf("transaction t1: %w: detail", sentinel) }
	cases := []struct {
		outcome txn.Outcome
		err     error
		code    int
		msg     string
	}{
		{txn.OutcomeAborted, cause(txn.ErrAborted), exitError, "transaction t1 aborted, nothing applied: detail"},
		{txn.OutcomeInDoubt, cause(txn.ErrInDoubt), exitInDoubt, "transaction t1 is in doubt: it may or may not take effect: detail"},
		{txn.OutcomeConflict, cause(txn.ErrConflict), exitConflict, "transaction t1 not run, nothing applied: lock conflict: detail"},
		{txn.OutcomeDuplicate, cause(txn.ErrDuplicate), exitDuplicate, "transaction t1 refused, nothing applied: this transaction id was used before: detail"},
		{txn.OutcomeNoAccount, cause(txn.ErrNoAccount), exitNoAccount, "transaction t1 not run, nothing applied: account not found: detail"},
		{txn.Outcome("new-kind"), errors.New("boom"), exitError, `transaction t1 did not commit (outcome "new-kind"): boom`},
		{txn.OutcomeInDoubt, &txn.Error{TxnID: "t1", Outcome: txn.OutcomeInDoubt, Step: "commit", Cause: errors.New("timeout")},
			exitInDoubt, "transaction t1 is in doubt: it may or may not take effect (at commit): timeout"},
		{txn.OutcomeNoAccount, &txn.Error{TxnID: "t1", Outcome: txn.OutcomeNoAccount, Step: "lock a b", Cause: errors.New("record not found")},
			exitNoAccount, "transaction t1 not run, nothing applied: account not found (at lock a b): record not found"},
	}
	for _, tc := range cases {
		var stderr strings.Builder
		cfg := newGlobalConfig(&strings.Builder{}, &stderr, nil)
		cfg.args = []string{"txn", "-u", "a b", "--amt", "1"}
		err := outcomeError(cfg, &txnOutput{TxnID: "t1", Outcome: tc.outcome, Legs: []txn.Leg{{UKey: "a b", Amt: 1}}}, tc.err)
		code, hint, ok := exitCodeOf(err)
		if !ok || code != tc.code || err.Error() != tc.msg {
			t.Errorf("%s: code %d (%v), message %q; want %d, %q", tc.outcome, code, ok, err, tc.code, tc.msg)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: the cause is not in the chain", tc.outcome)
		}
		if tc.outcome == txn.OutcomeInDoubt && !strings.Contains(strings.Join(hint, "\n"), "  mxn txn -u 'a b' --amt 1 --txnid t1") {
			t.Errorf("in-doubt advice %q: no rerun command", hint)
		}
	}

	// Both committed outcomes succeed; a committed transaction with legs
	// left to cleanup says so on stderr.
	for _, o := range []txn.Outcome{txn.OutcomeCommitted, txn.OutcomeCommittedUnapplied} {
		var stderr strings.Builder
		cfg := newGlobalConfig(&strings.Builder{}, &stderr, nil)
		out := &txnOutput{TxnID: "t1", Outcome: o, Applied: 1, Legs: []txn.Leg{{UKey: "a", Amt: -1}, {UKey: "b", Amt: 1}}}
		if err := outcomeError(cfg, out, nil); err != nil {
			t.Errorf("%s: %v", o, err)
		}
		note := stderr.String()
		if o == txn.OutcomeCommitted && note != "" || o == txn.OutcomeCommittedUnapplied &&
			note != "mxn: transaction t1 committed; 1 of 2 legs applied so far, cleanup ('mxn cln') applies the rest\n" {
			t.Errorf("%s: stderr %q", o, note)
		}
	}
}

func TestExitCodesInHelp(t *testing.T) {
	t.Parallel()
	help := runEnv(t, nil, "--help").stdout
	for code := exitOK; code <= exitNoAccount; code++ {
		if !strings.Contains(help, fmt.Sprintf("\n  %d  ", code)) {
			t.Errorf("mxn --help does not document exit code %d", code)
		}
	}
	for _, cmd := range []string{"txn", "xfer"} {
		help := runEnv(t, nil, cmd, "--help").stdout
		for _, o := range []txn.Outcome{txn.OutcomeCommitted, txn.OutcomeCommittedUnapplied, txn.OutcomeAborted, txn.OutcomeInDoubt,
			txn.OutcomeConflict, txn.OutcomeDuplicate, txn.OutcomeNoAccount} {
			if !strings.Contains(help, "\n  "+string(o)+" ") {
				t.Errorf("mxn %s --help does not list outcome %s", cmd, o)
			}
		}
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	got := commandLine("--legs", "a=1,b=-1", "-u", "it's", "", "x y")
	if want := `mxn --legs a=1,b=-1 -u 'it'\''s' '' 'x y'`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
