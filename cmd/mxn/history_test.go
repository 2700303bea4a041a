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
