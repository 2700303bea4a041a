package aerolite_test

// Direct access to the store (state.go), the manual clock (clock.go) and the
// exported result codes, checked against the real client.

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

func TestStateDigestMatchesClient(t *testing.T) {
	keys := []any{
		"", "alice", "ünïcødé", strings.Repeat("k", 300),
		0, 1, -1, 42, math.MaxInt64, math.MinInt64,
		int8(-7), int16(300), int32(-70000), int64(1 << 40), uint8(255), uint16(65535), uint32(1 << 31), uint(99),
		[]byte{}, []byte{0, 1, 2, 255},
	}
	for _, set := range []string{"", "users", strings.Repeat("s", 63)} {
		for _, k := range keys {
			want, err := as.NewKey(srvNS, set, k)
			if err != nil {
				t.Fatalf("NewKey(%q, %#v): %v", set, k, err)
			}
			got, derr := aerolite.Digest(set, k)
			if derr != nil {
				t.Fatalf("Digest(%q, %#v): %v", set, k, derr)
			}
			if !bytes.Equal(got[:], want.Digest()) {
				t.Errorf("Digest(%q, %#v) = %x, client %x", set, k, got, want.Digest())
			}
		}
	}
	for _, bad := range []any{nil, 1.5, true, []int{1}, uint64(math.MaxUint64)} {
		if _, err := aerolite.Digest("s", bad); err == nil {
			t.Errorf("Digest of %#v succeeded", bad)
		}
	}
}

// A record written directly reads the same through the client, in the same
// Go types, and a record written by the client reads the same directly.
func TestStateRoundTripWithClient(t *testing.T) {
	srv, c := srvSetup(t)
	bins := map[string]any{
		"int":   7,
		"i64":   int64(-1 << 40),
		"u16":   uint16(9),
		"str":   "hello",
		"float": 2.5,
		"blob":  []byte{1, 2, 3},
		"bool":  true,
		"list":  []any{1, "two", 3.5, []byte{4}, []any{5}},
		"ints":  []int{3, 1, 2},
		"map":   map[string]any{"a": 1, "b": []any{"x"}},
		"imap":  map[any]any{1: "one", "k": map[any]any{"n": 2}},
	}
	if err := srv.Put(srvNS, "rt", "direct", bins); err != nil {
		t.Fatal(err)
	}
	want := as.BinMap{
		"int": 7, "i64": -1 << 40, "u16": 9, "str": "hello", "float": 2.5,
		"blob": []byte{1, 2, 3}, "bool": true,
		"list": []any{1, "two", 3.5, []byte{4}, []any{5}},
		"ints": []any{3, 1, 2},
		"map":  map[any]any{"a": 1, "b": []any{"x"}},
		"imap": map[any]any{1: "one", "k": map[any]any{"n": 2}},
	}
	key := srvKey(t, srvNS, "rt", "direct")
	rec := srvMustGet(t, c, key)
	if !reflect.DeepEqual(rec.Bins, want) {
		t.Fatalf("client read of a direct write:\n got %#v\nwant %#v", rec.Bins, want)
	}
	if rec.Generation != 1 || rec.Expiration != as.TTLDontExpire {
		t.Fatalf("generation %d, expiration %d; want 1, never", rec.Generation, rec.Expiration)
	}
	e, ok := srv.Get(srvNS, "rt", "direct")
	if !ok || !reflect.DeepEqual(map[string]any(rec.Bins), e.Bins) {
		t.Fatalf("direct read %v, %#v; client %#v", ok, e.Bins, rec.Bins)
	}
	if e.Key != "direct" || e.Set != "rt" || e.Namespace != srvNS || !bytes.Equal(e.Digest[:], key.Digest()) ||
		e.Generation != 1 || e.TTL != 0 || !e.Expires.IsZero() || e.LastUpdate.IsZero() {
		t.Fatalf("entry %+v", e)
	}
	// The key is stored: a client scan returns it.
	recs := srvDrain(t)(c.ScanAll(nil, srvNS, "rt"))
	if len(recs) != 1 || recs[0].Key.Value() == nil || recs[0].Key.Value().GetObject() != "direct" {
		t.Fatalf("scan: %v", recs)
	}

	// The client writes, the server reads: same values, same types.
	wp := srvWP()
	wp.SendKey = true
	ck := srvKey(t, srvNS, "rt", 42)
	srvMustPut(t, c, wp, ck, as.BinMap{"a": 1, "l": []any{1, "x", []byte{9}}, "m": map[any]any{"k": 1.5, 2: []any{}}, "g": as.NewGeoJSONValue(`{"type":"Point","coordinates":[1,2]}`)})
	srvMustPut(t, c, wp, ck, as.BinMap{"b": "second"})
	rec = srvMustGet(t, c, ck)
	e, ok = srv.Get(srvNS, "rt", 42)
	if !ok || e.Key != 42 || e.Generation != 2 {
		t.Fatalf("direct read of a client write: %v %+v", ok, e)
	}
	if g, ok := e.Bins["g"].(aerolite.GeoJSON); !ok || string(g) != string(rec.Bins["g"].(as.GeoJSONValue)) {
		t.Fatalf("geojson bin %#v, client %#v", e.Bins["g"], rec.Bins["g"])
	}
	delete(e.Bins, "g")
	delete(rec.Bins, "g")
	if !reflect.DeepEqual(map[string]any(rec.Bins), e.Bins) {
		t.Fatalf("direct read %#v; client %#v", e.Bins, rec.Bins)
	}
	// Without SendKey the record has no stored key.
	nk := srvKey(t, srvNS, "rt", "nokey")
	srvMustPut(t, c, srvWP(), nk, as.BinMap{"v": 1})
	if e, ok := srv.Get(srvNS, "rt", "nokey"); !ok || e.Key != nil {
		t.Fatalf("record written without SendKey: %v %+v", ok, e)
	}
	if e, ok := srv.GetDigest(srvNS, nk.Digest()); !ok || e.Bins["v"] != 1 {
		t.Fatalf("GetDigest: %v %+v", ok, e)
	}
}

func TestStatePutSemantics(t *testing.T) {
	srv, c := srvSetup(t)
	key := srvKey(t, srvNS, "put", "k")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(srv.Put(srvNS, "put", "k", map[string]any{"a": 1, "b": 2}))
	// Put merges, as the client's Put does; nil removes a bin.
	must(srv.Put(srvNS, "put", "k", map[string]any{"b": nil, "c": "x"}))
	srv.CheckGet(t, srvNS, "put", "k", map[string]any{"a": 1, "c": "x"})
	if g, ok := srv.KeyGeneration(srvNS, "put", "k"); !ok || g != 2 {
		t.Fatalf("generation after two Puts = %d, %v", g, ok)
	}
	// A client write goes on from the direct generation, and a generation
	// check sees it.
	wp := srvWP()
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	wp.Generation = 2
	srvMustPut(t, c, wp, key, as.BinMap{"d": 4})
	srv.CheckGet(t, srvNS, "put", "k", map[string]any{"a": 1, "c": "x", "d": 4})
	must(srv.Replace(srvNS, "put", "k", map[string]any{"only": []string{"z"}}))
	rec := srvMustGet(t, c, key)
	if rec.Generation != 4 || !reflect.DeepEqual(rec.Bins, as.BinMap{"only": []any{"z"}}) {
		t.Fatalf("after Replace: gen %d bins %v", rec.Generation, rec.Bins)
	}
	// Removing the last bin deletes the record.
	must(srv.Put(srvNS, "put", "k", map[string]any{"only": nil}))
	if _, err := c.Get(nil, key); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Get after removing every bin: %v", err)
	}
	// The generation wraps as the server's does.
	must(srv.Put(srvNS, "put", "w", map[string]any{"v": 1}))
	must(srv.SetKeyGeneration(srvNS, "put", "w", 65535))
	must(srv.Put(srvNS, "put", "w", map[string]any{"v": 2}))
	if g, _ := srv.KeyGeneration(srvNS, "put", "w"); g != 1 {
		t.Fatalf("generation after 65535 = %d, want 1", g)
	}
	// Errors.
	for name, err := range map[string]error{
		"namespace": srv.Put("nope", "put", "k", map[string]any{"v": 1}),
		"key":       srv.Put(srvNS, "put", 1.5, map[string]any{"v": 1}),
		"no bins":   srv.Put(srvNS, "put", "k", nil),
		"bin name":  srv.Put(srvNS, "put", "k", map[string]any{"sixteen-bytes-xx": 1}),
		"set name":  srv.Put(srvNS, strings.Repeat("s", 64), "k", map[string]any{"v": 1}),
		"value":     srv.Put(srvNS, "put", "k", map[string]any{"v": struct{}{}}),
		"too big":   srv.Put(srvNS, "put", "k", map[string]any{"v": make([]byte, 2<<20)}),
	} {
		if err == nil {
			t.Errorf("Put with a bad %s succeeded", name)
		}
	}
	if srv.Exists(srvNS, "put", "k") {
		t.Fatal("a failed Put created the record")
	}
}

// Bins returned are copies, and so are the values given to Put.
func TestStateCopies(t *testing.T) {
	srv, c := srvSetup(t)
	list := []any{1, []byte{1}}
	blob := []byte{7, 7}
	m := map[string]any{"k": []any{1}}
	if err := srv.Put(srvNS, "cp", "k", map[string]any{"l": list, "b": blob, "m": m}); err != nil {
		t.Fatal(err)
	}
	list[0] = 99
	list[1].([]byte)[0] = 99
	blob[0] = 99
	m["k"] = "changed"
	e, _ := srv.Get(srvNS, "cp", "k")
	e.Bins["l"].([]any)[0] = 100
	e.Bins["l"].([]any)[1].([]byte)[0] = 100
	e.Bins["b"].([]byte)[1] = 100
	e.Bins["m"].(map[any]any)["k"].([]any)[0] = 100
	e.Bins["new"] = 1
	want := as.BinMap{"l": []any{1, []byte{1}}, "b": []byte{7, 7}, "m": map[any]any{"k": []any{1}}}
	if rec := srvMustGet(t, c, srvKey(t, srvNS, "cp", "k")); !reflect.DeepEqual(rec.Bins, want) {
		t.Fatalf("store changed through copies: %#v", rec.Bins)
	}
	if e2, _ := srv.Get(srvNS, "cp", "k"); !reflect.DeepEqual(map[string]any(want), e2.Bins) {
		t.Fatalf("second Get: %#v", e2.Bins)
	}
}

func TestStateDeleteKeysScanTruncate(t *testing.T) {
	srv, c := srvSetup(t)
	for _, k := range []any{"b", 2, "a", []byte{1}, 10} {
		if err := srv.Put(srvNS, "ks", k, map[string]any{"v": fmt.Sprint(k)}); err != nil {
			t.Fatal(err)
		}
	}
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "ks", "unkeyed"), as.BinMap{"v": "u"})
	if err := srv.Put(srvNS, "other", "x", map[string]any{"v": 1}); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.Keys(srvNS, "ks"), []any{2, 10, "a", "b", []byte{1}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Keys = %#v, want %#v", got, want)
	}
	scan := srv.Scan(srvNS, "ks")
	if len(scan) != 6 || scan[5].Key != nil || scan[5].Bins["v"] != "u" || scan[0].Key != 2 {
		t.Fatalf("Scan = %+v", scan)
	}
	if n := len(srv.Scan(srvNS, "")); n != 7 {
		t.Fatalf("Scan of the namespace: %d records, want 7", n)
	}
	if got := srvSetObjects(t, c, srvNS, "ks"); got != 6 {
		t.Fatalf("objects = %d, want 6", got)
	}
	if !srv.Delete(srvNS, "ks", "a") || srv.Delete(srvNS, "ks", "a") || srv.Delete(srvNS, "ks", 1.5) {
		t.Fatal("Delete results")
	}
	if _, err := c.Get(nil, srvKey(t, srvNS, "ks", "a")); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("client Get after Delete: %v", err)
	}
	srv.CheckNotFound(t, srvNS, "ks", "a")
	if got := srvSetObjects(t, c, srvNS, "ks"); got != 5 {
		t.Fatalf("objects after Delete = %d, want 5", got)
	}
	if err := srv.Truncate(srvNS, "ks"); err != nil {
		t.Fatal(err)
	}
	if n, m := len(srv.Scan(srvNS, "ks")), len(srv.Scan(srvNS, "other")); n != 0 || m != 1 {
		t.Fatalf("after Truncate: %d records in ks, %d in other", n, m)
	}
	if err := srv.Truncate(srvNS, ""); err != nil || len(srv.Scan(srvNS, "")) != 0 {
		t.Fatalf("Truncate of the namespace: %v, %d left", err, len(srv.Scan(srvNS, "")))
	}
	if srv.Scan("nope", "") != nil || srv.Keys("nope", "") != nil || srv.Dump("nope", "") != "" {
		t.Fatal("an unknown namespace has records")
	}
}

func TestStateDump(t *testing.T) {
	clk := aerolite.NewManualClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := srvStart(t, aerolite.Options{Clock: clk})
	c := srvConnect(t, srv, nil)
	put := func(set string, key any, bins map[string]any) {
		t.Helper()
		if err := srv.Put(srvNS, set, key, bins); err != nil {
			t.Fatal(err)
		}
	}
	put("users", "bob", map[string]any{"name": "Bob", "age": 31})
	put("users", "bob", map[string]any{"tags": []any{"a", 1, 2.0, nil, true}})
	put("users", 7, map[string]any{"m": map[any]any{"k": 1.5, 3: []byte{1, 2}, "z": map[string]any{}}, "f": 1e21})
	put("users", []byte{0xca, 0xfe}, map[string]any{"g": aerolite.GeoJSON(`{"type":"Point"}`), "s": "q\"uote\n"})
	put("", "nullset", map[string]any{"v": -1})
	wp := srvWP()
	wp.Expiration = 10
	srvMustPut(t, c, wp, srvKey(t, srvNS, "users", "unkeyed"), as.BinMap{"x": 0})
	if err := srv.SetTTL(srvNS, "users", "bob", 90*time.Second); err != nil {
		t.Fatal(err)
	}
	clk.Add(4 * time.Second)
	d, _ := aerolite.Digest("users", "unkeyed")
	want := `test "nullset" gen=1 ttl=never
  v: -1
test/users 7 gen=1 ttl=never
  f: 1e+21
  m: {3: 0x0102, "k": 1.5, "z": {}}
test/users "bob" gen=2 ttl=1m26s
  age: 31
  name: "Bob"
  tags: ["a", 1, 2.0, nil, true]
test/users 0xcafe gen=1 ttl=never
  g: geojson("{\"type\":\"Point\"}")
  s: "q\"uote\n"
test/users digest=` + fmt.Sprintf("%x", d) + ` gen=1 ttl=6s
  x: 0
`
	if got := srv.Dump(srvNS, ""); got != want {
		t.Fatalf("Dump:\n%s\nwant:\n%s", got, want)
	}
	if got := srv.Dump(srvNS, "users"); got != strings.SplitN(want, "\n", 3)[2] {
		t.Fatalf("Dump of a set:\n%s", got)
	}
	if ttl, ok := srv.TTL(srvNS, "users", "bob"); !ok || ttl != 86*time.Second {
		t.Fatalf("TTL = %v, %v", ttl, ok)
	}
	if e, _ := srv.Get(srvNS, "users", "bob"); !e.Expires.Equal(clk.Now().Add(86*time.Second)) || e.Generation != 2 {
		t.Fatalf("entry %+v", e)
	}
}

// fakeTB records CheckGet's failures.
type fakeTB struct{ errs []string }

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func TestStateCheckGet(t *testing.T) {
	srv := srvStart(t, aerolite.Options{})
	if err := srv.Put(srvNS, "chk", "k", map[string]any{"n": 1, "l": []any{"a"}, "m": map[string]int{"x": 1}}); err != nil {
		t.Fatal(err)
	}
	if !srv.CheckGet(t, srvNS, "chk", "k", map[string]any{"n": int64(1), "l": []string{"a"}, "m": map[any]any{"x": 1}}) {
		t.Fatal("CheckGet of equal bins failed")
	}
	var f fakeTB
	if srv.CheckGet(&f, srvNS, "chk", "k", map[string]any{"n": 2, "l": []string{"a"}, "m": map[string]int{"x": 1}}) ||
		len(f.errs) != 1 || !strings.Contains(f.errs[0], "n: 1\n") || !strings.Contains(f.errs[0], "n: 2\n") {
		t.Fatalf("CheckGet of a different value: %q", f.errs)
	}
	f.errs = nil
	if srv.CheckGet(&f, srvNS, "chk", "k", map[string]any{"n": 1}) || len(f.errs) != 1 {
		t.Fatalf("CheckGet with bins missing: %q", f.errs)
	}
	f.errs = nil
	if srv.CheckGet(&f, srvNS, "chk", "missing", map[string]any{"n": 1}) || len(f.errs) != 1 || !strings.Contains(f.errs[0], "not found") {
		t.Fatalf("CheckGet of a missing record: %q", f.errs)
	}
	f.errs = nil
	if srv.CheckNotFound(&f, srvNS, "chk", "k") || len(f.errs) != 1 {
		t.Fatalf("CheckNotFound of a record: %q", f.errs)
	}
}

// A record written with TTL 10s disappears for the client once a manual
// clock is moved 11s on, and the reaper has already removed it from the
// set counts: no sleeping anywhere.
func TestStateManualClockTTL(t *testing.T) {
	clk := aerolite.NewManualClock(time.Now())
	srv := srvStart(t, aerolite.Options{Clock: clk, ReapInterval: time.Hour})
	c := srvConnect(t, srv, nil)
	wp := srvWP()
	wp.Expiration = 10
	short := srvKey(t, srvNS, "mttl", "short")
	srvMustPut(t, c, wp, short, as.BinMap{"v": 1})
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "mttl", "long"), as.BinMap{"v": 1})
	if err := srv.Put(srvNS, "mttl", "direct", map[string]any{"v": 1}); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetTTL(srvNS, "mttl", "direct", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	srvWantTTL(t, srv, "mttl", "short", 10*time.Second, "TTL 10")
	// The client computes Expiration from the void time on its own wall
	// clock, which may have passed a second boundary since the manual
	// clock was started.
	if rec := srvMustGet(t, c, short); rec.Expiration != 10 && rec.Expiration != 9 {
		t.Fatalf("expiration = %d, want 10 (9 past a second boundary)", rec.Expiration)
	}
	srv.FastForward(9 * time.Second)
	srvMustGet(t, c, short) // (the client computes Expiration on its own clock)
	if ttl, ok := srv.TTL(srvNS, "mttl", "short"); !ok || ttl != time.Second {
		t.Fatalf("TTL after 9s = %v, %v; want 1s", ttl, ok)
	}
	if srv.Exists(srvNS, "mttl", "direct") {
		t.Fatal("direct record with TTL 5s alive after 9s")
	}
	if got := srvSetObjects(t, c, srvNS, "mttl"); got != 2 {
		t.Fatalf("objects after 9s = %d, want 2 (reaped at once)", got)
	}
	srv.FastForward(2 * time.Second)
	if _, err := c.Get(nil, short); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Get after 11s: %v", err)
	}
	if got := srvSetObjects(t, c, srvNS, "mttl"); got != 1 {
		t.Fatalf("objects after 11s = %d, want 1", got)
	}
	if got := srv.Keys(srvNS, "mttl"); len(got) != 0 {
		t.Fatalf("Keys = %v (only the unkeyed record is left)", got)
	}
	// Moving the clock itself reaps too; SetTime jumps.
	srvMustPut(t, c, wp, short, as.BinMap{"v": 2})
	clk.Add(10 * time.Second)
	if got := srvSetObjects(t, c, srvNS, "mttl"); got != 1 {
		t.Fatalf("objects after clk.Add = %d, want 1", got)
	}
	srvMustPut(t, c, wp, short, as.BinMap{"v": 3})
	srv.SetTime(clk.Now().Add(time.Hour))
	if !srv.Now().Equal(clk.Now()) || srv.Exists(srvNS, "mttl", "short") {
		t.Fatalf("SetTime: now %v, clock %v", srv.Now(), clk.Now())
	}
	// Last-update times come from the clock.
	if err := srv.Put(srvNS, "mttl", "lut", map[string]any{"v": 1}); err != nil {
		t.Fatal(err)
	}
	if e, _ := srv.Get(srvNS, "mttl", "lut"); !e.LastUpdate.Equal(clk.Now()) {
		t.Fatalf("last update %v, clock %v", e.LastUpdate, clk.Now())
	}
}

// FastForward works on the default wall clock too: it shifts the server's
// time.
func TestStateFastForwardWallClock(t *testing.T) {
	srv, c := srvSetup(t)
	wp := srvWP()
	wp.Expiration = 10
	key := srvKey(t, srvNS, "wttl", "k")
	srvMustPut(t, c, wp, key, as.BinMap{"v": 1})
	before := time.Now()
	srv.FastForward(11 * time.Second)
	if srv.Now().Sub(before) < 11*time.Second {
		t.Fatalf("server time %v not moved 11s past %v", srv.Now(), before)
	}
	if _, err := c.Get(nil, key); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Get after FastForward(11s): %v", err)
	}
	if got := srvSetObjects(t, c, srvNS, "wttl"); got != 0 {
		t.Fatalf("objects = %d, want 0", got)
	}
	target := time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)
	srv.SetTime(target)
	if d := srv.Now().Sub(target); d < 0 || d > time.Minute {
		t.Fatalf("after SetTime: %v", srv.Now())
	}
}

// The Delay fault waits on the manual clock: the reply is held, without a
// real sleep, until the clock is moved past the delay.
func TestStateDelayFaultManualClock(t *testing.T) {
	clk := aerolite.NewManualClock(time.Now())
	srv := srvStart(t, aerolite.Options{Clock: clk})
	c := srvConnect(t, srv, nil)
	key := srvKey(t, srvNS, "mdelay", "k")
	srvMustPut(t, c, srvWP(), key, as.BinMap{"v": 1})

	srv.Faults().Set(aerolite.FaultConfig{Delay: time.Hour})
	srv.Faults().Next(aerolite.Delay, 1, true)
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- c.Put(srvWP(), key, as.BinMap{"v": 2}) }()
	clk.BlockUntil(1)
	// The write is applied; its reply is held.
	srv.CheckGet(t, srvNS, "mdelay", "k", map[string]any{"v": 2})
	srv.FastForward(59 * time.Minute)
	select {
	case err := <-done:
		t.Fatalf("reply released before the delay passed: %v", err)
	default:
	}
	if n := clk.Waiters(); n != 1 {
		t.Fatalf("waiters after 59m = %d, want 1", n)
	}
	srv.FastForward(time.Minute)
	if err := <-done; err != nil {
		t.Fatalf("delayed Put: %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("an hour's delay took %v of real time", d)
	}
	if n := srv.Faults().Count(aerolite.Delay); n != 1 {
		t.Fatalf("Count(Delay) = %d", n)
	}

	// Closing the server drops a held reply instead of hanging.
	srv.Faults().Next(aerolite.Delay, 1, false)
	go func() { _, err := c.Get(nil, key); done <- err }()
	clk.BlockUntil(1)
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs on a held reply")
	}
	if err := <-done; err == nil {
		t.Fatal("Get whose reply was dropped succeeded")
	}
	if n := clk.Waiters(); n != 0 {
		t.Fatalf("waiters after Close = %d", n)
	}
}

func TestStateManualClockAfter(t *testing.T) {
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := aerolite.NewManualClock(t0)
	a := clk.After(time.Second)
	b := clk.After(2 * time.Second)
	if got := <-clk.After(0); !got.Equal(t0) {
		t.Fatalf("After(0) = %v", got)
	}
	clk.Add(time.Second)
	if got := <-a; !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("After(1s) fired at %v", got)
	}
	select {
	case <-b:
		t.Fatal("After(2s) fired at 1s")
	default:
	}
	clk.Set(t0.Add(time.Minute))
	<-b
	if clk.Waiters() != 0 {
		t.Fatalf("waiters = %d", clk.Waiters())
	}
}

func TestStateResultCodesMatchClient(t *testing.T) {
	for code, want := range map[aerolite.ResultCode]types.ResultCode{
		aerolite.OK: types.OK, aerolite.ServerError: types.SERVER_ERROR,
		aerolite.KeyNotFound: types.KEY_NOT_FOUND_ERROR, aerolite.GenerationError: types.GENERATION_ERROR,
		aerolite.ParameterError: types.PARAMETER_ERROR, aerolite.KeyExists: types.KEY_EXISTS_ERROR,
		aerolite.BinExists: types.BIN_EXISTS_ERROR, aerolite.ClusterKeyMismatch: types.CLUSTER_KEY_MISMATCH,
		aerolite.ServerMemError: types.SERVER_MEM_ERROR, aerolite.Timeout: types.TIMEOUT,
		aerolite.AlwaysForbidden: types.ALWAYS_FORBIDDEN, aerolite.PartitionUnavailable: types.PARTITION_UNAVAILABLE,
		aerolite.BinTypeError: types.BIN_TYPE_ERROR, aerolite.RecordTooBig: types.RECORD_TOO_BIG,
		aerolite.KeyBusy: types.KEY_BUSY, aerolite.ScanAbort: types.SCAN_ABORT,
		aerolite.UnsupportedFeature: types.UNSUPPORTED_FEATURE, aerolite.BinNotFound: types.BIN_NOT_FOUND,
		aerolite.DeviceOverload: types.DEVICE_OVERLOAD, aerolite.KeyMismatch: types.KEY_MISMATCH,
		aerolite.InvalidNamespace: types.INVALID_NAMESPACE, aerolite.BinNameTooLong: types.BIN_NAME_TOO_LONG,
		aerolite.FailForbidden: types.FAIL_FORBIDDEN, aerolite.ElementNotFound: types.FAIL_ELEMENT_NOT_FOUND,
		aerolite.ElementExists: types.FAIL_ELEMENT_EXISTS, aerolite.EnterpriseOnly: types.ENTERPRISE_ONLY,
		aerolite.OpNotApplicable: types.OP_NOT_APPLICABLE, aerolite.FilteredOut: types.FILTERED_OUT,
		aerolite.LostConflict: types.LOST_CONFLICT, aerolite.QueryEnd: types.QUERY_END,
		aerolite.IndexFound: types.INDEX_FOUND, aerolite.IndexNotFound: types.INDEX_NOTFOUND,
		aerolite.IndexOOM: types.INDEX_OOM, aerolite.IndexNotReadable: types.INDEX_NOTREADABLE,
		aerolite.IndexGeneric: types.INDEX_GENERIC, aerolite.IndexNameMaxLen: types.INDEX_NAME_MAXLEN,
		aerolite.IndexMaxCount: types.INDEX_MAXCOUNT, aerolite.QueryAborted: types.QUERY_ABORTED,
		aerolite.QueryQueueFull: types.QUERY_QUEUEFULL, aerolite.QueryTimeout: types.QUERY_TIMEOUT,
		aerolite.QueryGeneric: types.QUERY_GENERIC,
	} {
		if int(code) != int(want) {
			t.Errorf("%v = %d, client %d", code, code, want)
		}
	}
	if aerolite.KeyNotFound.String() != "KEY_NOT_FOUND_ERROR" || aerolite.ResultCode(99).String() != "RESULT_CODE_99" {
		t.Fatalf("String: %s %s", aerolite.KeyNotFound, aerolite.ResultCode(99))
	}
	// An exported code works as a fault's code, and the client sees it.
	srv, c := srvSetup(t)
	srv.Faults().Set(aerolite.FaultConfig{FailCode: aerolite.FilteredOut})
	srv.Faults().Next(aerolite.FailWithCode, 1, false)
	if _, err := c.Get(nil, srvKey(t, srvNS, "rc", "k")); !srvIsCode(err, types.FILTERED_OUT) {
		t.Fatalf("FailCode FilteredOut: %v", err)
	}
}
