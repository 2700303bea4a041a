package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// rcn proves quiet accounts by its first pass and says so; --exact locks
// every account; both find the same drift.
func TestRcnFirstPassAndExact(t *testing.T) {
	t.Parallel()
	set := []string{"-s", "rcnfp"}
	mustMxn(t, append(set, "init", "--records", "12")...)
	type out struct {
		Checked    int      `json:"checked"`
		Proved     int      `json:"proved"`
		Exact      int      `json:"exact"`
		Unbalanced []string `json:"unbalanced"`
		Verdict    string   `json:"verdict"`
	}
	rcn := func(args ...string) (result, out) {
		t.Helper()
		res := mxn(t, append(append(set, "rcn"), args...)...)
		var o out
		if err := json.Unmarshal([]byte(res.stdout), &o); err != nil {
			t.Fatalf("rcn %v: %v in %q (stderr %q)", args, err, res.stdout, res.stderr)
		}
		return res, o
	}
	res, o := rcn()
	if res.code != 0 || o.Checked != 12 || o.Proved != 12 || o.Exact != 0 || !strings.Contains(res.stderr, "12 of 12 accounts proved balanced by the first pass, 0 checked exactly") {
		t.Fatalf("rcn: exit %d %+v stderr %q", res.code, o, res.stderr)
	}
	res, o = rcn("--exact")
	if res.code != 0 || o.Checked != 12 || o.Proved != 0 || o.Exact != 12 || strings.Contains(res.stderr, "first pass") {
		t.Fatalf("rcn --exact: exit %d %+v stderr %q", res.code, o, res.stderr)
	}
	mustMxn(t, append(set, "put", "-u", "usr5", "--rec", `{"bal":77}`)...)
	for _, args := range [][]string{nil, {"--exact"}} {
		res, o = rcn(args...)
		if res.code != exitError || len(o.Unbalanced) != 1 || o.Unbalanced[0] != "usr5" || o.Checked != 12 {
			t.Errorf("rcn %v after drift: exit %d %+v", args, res.code, o)
		}
	}
	if o.Proved != 0 {
		t.Errorf("rcn --exact proved %d", o.Proved)
	}
}
