package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestMputsGetPutDel(t *testing.T) {
	t.Parallel()
	set := []string{"-s", "acct"}
	cmd := func(args ...string) []string { return append(append([]string{}, set...), args...) }
	mustMxn(t, cmd("trunc")...) // start clean, also under -count=N

	out := mustMxn(t, cmd("mputs", "--count", "25", "--concurrency", "4")...)
	if !regexp.MustCompile(`^wrote 25 accounts \(usr0\.\.usr24\) to test\.acct in [0-9.]+[mµ]?s \([0-9]+/s\)\n$`).MatchString(out) {
		t.Fatalf("mputs said %q", out)
	}
	got := mustMxn(t, cmd("get", "-u", "usr24")...)
	if want := `{"ukey":"usr24","gen":1,"ttl":-1,"bins":{"bal":0,"name":"usr24"}}` + "\n"; got != want {
		t.Fatalf("get after mputs:\n got %s want %s", got, want)
	}

	// Ints stay ints, floats stay floats, lists and maps nest.
	mustMxn(t, cmd("put", "-u", "usr0", "--rec", `{"bal":5,"f":2.0,"tags":["a",1],"m":{"k":null}}`)...)
	rec := decodeRecord(t, mustMxn(t, cmd("get", "-u", "usr0")...))
	if rec.Gen != 2 || rec.Bins["bal"] != json.Number("5") || rec.Bins["f"] != json.Number("2.0") {
		t.Fatalf("after put: %+v", rec)
	}
	// null deletes a bin.
	mustMxn(t, cmd("put", "-u", "usr0", "--rec", `{"tags":null,"m":null}`)...)
	if rec := decodeRecord(t, mustMxn(t, cmd("get", "-u", "usr0")...)); rec.Bins["tags"] != nil || rec.Bins["m"] != nil || rec.Gen != 3 {
		t.Fatalf("after deleting bins: %+v", rec)
	}

	// Write conditions.
	wantFail(t, mxn(t, cmd("put", "-u", "usr0", "--rec", `{"bal":1}`, "--nx")...), exitError, "put usr0: ")
	wantFail(t, mxn(t, cmd("put", "-u", "usr0", "--rec", `{"bal":1}`, "--gen", "2")...), exitError, "GENERATION_ERROR")
	mustMxn(t, cmd("put", "-u", "usr0", "--rec", `{"bal":1}`, "--gen", "3")...)
	mustMxn(t, cmd("put", "-u", "new", "--rec", `{"bal":1}`, "--nx")...)

	wantFail(t, mxn(t, cmd("del", "-u", "usr1", "--gen", "7")...), exitError, "del usr1: ")
	mustMxn(t, cmd("del", "-u", "usr1", "--gen", "1")...)
	wantFail(t, mxn(t, cmd("del", "-u", "usr1")...), exitError, "del usr1: record not found")
	wantFail(t, mxn(t, cmd("get", "-u", "usr1")...), exitError, "get usr1: Key not found")
}

func TestOp(t *testing.T) {
	t.Parallel()
	set := []string{"-s", "ops", "-u", "r"}
	mustMxn(t, "-s", "ops", "trunc")
	op := func(ops string, extra ...string) result {
		return mxn(t, append(append(append([]string{}, set...), "op", "--ops", ops), extra...)...)
	}
	r := op(`[{"op":"put","bin":"bal","value":10},{"op":"put","bin":"s","value":"b"},{"op":"add","bin":"bal","value":5},
		{"op":"append","bin":"s","value":"c"},{"op":"prepend","bin":"s","value":"a"},{"op":"get","bin":"bal"},{"op":"get","bin":"s"}]`, "--nx")
	if r.code != 0 {
		t.Fatalf("op: exit %d, %s", r.code, r.stderr)
	}
	rec := decodeRecord(t, r.stdout)
	if rec.Bins["bal"] != json.Number("15") || rec.Bins["s"] != "abc" || rec.Gen != 1 {
		t.Fatalf("op result %s", r.stdout)
	}
	wantFail(t, op(`[{"op":"touch"}]`, "--nx"), exitError, "op r: ")
	wantFail(t, op(`[{"op":"add","bin":"bal","value":1}]`, "--gen", "5"), exitError, "GENERATION_ERROR")
	if r := op(`[{"op":"touch"},{"op":"put","bin":"s","value":null},{"op":"get"}]`, "--gen", "1"); r.code != 0 ||
		!strings.Contains(r.stdout, `"gen":2`) || !strings.Contains(r.stdout, `"bins":{"bal":15}`) {
		t.Fatalf("touch/delete-bin/get: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := op(`[{"op":"delete"}]`); r.code != 0 {
		t.Fatalf("delete op: exit %d, %s", r.code, r.stderr)
	}
	wantFail(t, mxn(t, append(set, "get")...), exitError, "Key not found")
}

func TestScanTruncAndSets(t *testing.T) {
	t.Parallel()
	mustMxn(t, "trunc", "scn", "scnlog", "other")
	mustMxn(t, "-s", "scn", "mputs", "--count", "12")
	mustMxn(t, "-s", "scnlog", "put", "-u", "usr0:t1", "--rec", `{"ukey":"usr0","amt":"5"}`)
	mustMxn(t, "-s", "other", "put", "-u", "keep", "--rec", `{"a":1}`)

	lines := scanLines(t, "scn")
	if len(lines) != 12 {
		t.Fatalf("scan: %d records, want 12", len(lines))
	}
	var keys []string
	for _, l := range lines {
		rec := decodeRecord(t, l)
		if rec.Bins["name"] != rec.UKey || rec.Bins["bal"] != json.Number("0") {
			t.Fatalf("scanned %s", l)
		}
		keys = append(keys, rec.UKey)
	}
	sort.Strings(keys)
	if keys[0] != "usr0" || keys[11] != "usr9" {
		t.Fatalf("scanned keys %v", keys)
	}

	sets := mustMxn(t, "-s", "*", "scan")
	for _, want := range []string{`{"set":"scn","objects":12}`, `{"set":"scnlog","objects":1}`, `{"set":"other","objects":1}`} {
		if !strings.Contains(sets, want+"\n") {
			t.Fatalf("set list %q lacks %s", sets, want)
		}
	}

	// trunc clears the set and its log set only ...
	mustMxn(t, "-s", "scn", "trunc")
	if n := len(scanLines(t, "scn")) + len(scanLines(t, "scnlog")); n != 0 {
		t.Fatalf("%d records left after trunc", n)
	}
	if n := len(scanLines(t, "other")); n != 1 {
		t.Fatalf("trunc touched another set: %d records", n)
	}
	// ... or the sets named.
	mustMxn(t, "trunc", "other")
	if n := len(scanLines(t, "other")); n != 0 {
		t.Fatalf("%d records left after trunc other", n)
	}
	wantFail(t, mxn(t, "trunc", "*"), exitUsage, "not a set name")
}

func scanLines(t *testing.T, set string) []string {
	t.Helper()
	out := mustMxn(t, "-s", set, "scan")
	if out == "" {
		return nil
	}
	return strings.Split(strings.TrimRight(out, "\n"), "\n")
}

func TestIdxIsIdempotentAndInfo(t *testing.T) {
	t.Parallel()
	set := fmt.Sprintf("ix%d", time.Now().UnixNano()%1e6) // a new index, also under -count=N
	idx := set + "log_ukey_idx"
	created := regexp.MustCompile(`^index ` + idx + ` on test\.` + set + `log\(ukey\): created and built in [0-9.]+[mµ]?s\n$`)
	if got := mustMxn(t, "-s", set, "idx"); !created.MatchString(got) {
		t.Fatalf("first idx said %q", got)
	}
	if got, want := mustMxn(t, "-s", set, "idx"), "index "+idx+" on test."+set+"log(ukey): already present, built\n"; got != want {
		t.Fatalf("second idx said %q, want %q", got, want)
	}
	if got := mustMxn(t, "info", "sindex/test/"+idx); !strings.Contains(got, "load_pct=100") {
		t.Fatalf("index status %q", got)
	}
	if got := mustMxn(t, "info", "namespaces", "sindex-exists:ns=test;indexname="+idx); got !=
		"namespaces\ttest\nsindex-exists:ns=test;indexname="+idx+"\ttrue\n" {
		t.Fatalf("info answers %q", got)
	}
}
