package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// history lists an account's committed operations with the running
// balance and ends with the verdict; drift makes it exit 1; bad flags name
// themselves.
func TestHistoryCommand(t *testing.T) {
	t.Parallel()
	set := []string{"-s", "hist"}
	mustMxn(t, append(set, "init", "--records", "3")...)
	mustMxn(t, append(set, "txn", "-u", "usr0", "--amt", "40")...)
	mustMxn(t, append(set, "xfer", "--from", "usr0", "--to", "usr1", "--amt", "15")...)
	out := mustMxn(t, append(set, "history", "-u", "usr0")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || !strings.Contains(lines[len(lines)-1], "equals the stored balance") {
		t.Fatalf("history: %q", out)
	}
	if !strings.Contains(out, "usr1=15") || !strings.Contains(out, "+40") {
		t.Errorf("history misses the transfer's other leg or the credit: %q", out)
	}
	var h struct {
		Balance   int64 `json:"bal"`
		Committed int64 `json:"committed"`
		Balanced  bool  `json:"balanced"`
		Entries   []struct {
			Amount  int64 `json:"amt"`
			Running int64 `json:"running"`
		}
	}
	out = mustMxn(t, append(set, "history", "-u", "usr0", "--json")...)
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	if last := h.Entries[len(h.Entries)-1]; !h.Balanced || last.Running != h.Balance || h.Balance != h.Committed {
		t.Errorf("history --json: %+v", h)
	}
	mustMxn(t, append(set, "put", "-u", "usr0", "--rec", `{"bal":1}`)...)
	res := mxn(t, append(set, "history", "-u", "usr0")...)
	if res.code != exitError || !strings.Contains(res.stdout, "differs from the stored balance 1") {
		t.Errorf("history after drift: exit %d %q", res.code, res.stdout)
	}
	for _, c := range []struct{ args []string }{{[]string{"history"}}, {[]string{"history", "-u", "usr0", "--since", "yesterday"}}, {[]string{"history", "-u", "usr0", "--limit", "-1"}}} {
		res := mxn(t, append(set, c.args...)...)
		if res.code != exitUsage {
			t.Errorf("%v: exit %d %q", c.args, res.code, res.stderr)
		}
	}
	if res := mxn(t, append(set, "history", "-u", "nobody")...); res.code == 0 || !strings.Contains(res.stderr, "no such account") {
		t.Errorf("missing account: exit %d %q", res.code, res.stderr)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{"": {}, "1h": now.Add(-time.Hour), "2026-11-30T08:00:00Z": time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"-1h", "0s", "yesterday"} {
		if _, err := parseSince(bad, now); err == nil || !strings.Contains(err.Error(), "--since") {
			t.Errorf("parseSince(%q): %v", bad, err)
		}
	}
}

// xfer --or runs alternatives until one commits; rerunning the request
// (same --txnid) finds that one and commits nothing more; no alternative
// possible exits 1.
func TestXferAlternatives(t *testing.T) {
	t.Parallel()
	set := []string{"-s", "xor"}
	mustMxn(t, append(set, "init", "--records", "3")...)
	type out struct {
		Committed    int `json:"committed"`
		Alternatives []struct {
			Outcome string `json:"outcome"`
		} `json:"alternatives"`
	}
	args := append(set, "xfer", "--txnid", "pay1", "--legs", "usr0=-10,nosuch=10", "--or", "usr1=-10,usr2=10", "--or", "usr2=1")
	for i := 0; i < 2; i++ {
		var o out
		if err := json.Unmarshal([]byte(mustMxn(t, args...)), &o); err != nil {
			t.Fatal(err)
		}
		if o.Committed != 2 || len(o.Alternatives) != 2 || o.Alternatives[1].Outcome != "committed" {
			t.Errorf("run %d: %+v", i, o)
		}
	}
	if res := mxn(t, append(set, "xfer", "--legs", "x=-1", "--or", "y=1")...); res.code != exitError || !strings.Contains(res.stderr, "no alternative committed") {
		t.Errorf("no alternative: exit %d %q", res.code, res.stderr)
	}
	if res := mxn(t, append(set, "xfer", "--legs", "usr0=1", "--or", "usr1")...); res.code != exitUsage || !strings.Contains(res.stderr, "--or") {
		t.Errorf("bad --or: exit %d %q", res.code, res.stderr)
	}
	if res := mxn(t, append(set, "rcn")...); res.code != 0 || !strings.Contains(res.stdout, `"balanced":3`) {
		t.Errorf("rcn after alternatives: exit %d %s", res.code, res.stdout)
	}
}
