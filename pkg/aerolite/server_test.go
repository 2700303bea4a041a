package aerolite_test

// Acceptance tests for aerolite with the real client
// (aerospike-client-go v7) against in-process servers on 127.0.0.1.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

const srvNS = "test"

// srvStart starts a server with opts and closes it when the test ends.
func srvStart(tb testing.TB, opts aerolite.Options) *aerolite.Server {
	tb.Helper()
	srv, err := aerolite.NewServer(opts)
	if err != nil {
		tb.Fatalf("start aerolite: %v", err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv
}

// srvClientPolicy is the client policy the tests use: short enough timeouts
// that a broken server fails a test instead of hanging it.
func srvClientPolicy() *as.ClientPolicy {
	cp := as.NewClientPolicy()
	cp.Timeout = 5 * time.Second
	cp.ConnectionQueueSize = 128
	return cp
}

// srvConnect connects a client with cp (nil: srvClientPolicy) to srv and
// closes it when the test ends.
func srvConnect(tb testing.TB, srv *aerolite.Server, cp *as.ClientPolicy) *as.Client {
	tb.Helper()
	if cp == nil {
		cp = srvClientPolicy()
	}
	c, err := as.NewClientWithPolicy(cp, srv.Host(), srv.Port())
	if err != nil {
		tb.Fatalf("connect to aerolite at %s: %v", srv.Addr(), err)
	}
	tb.Cleanup(c.Close)
	return c
}

// srvSetup starts a default server and connects a client.
func srvSetup(tb testing.TB) (*aerolite.Server, *as.Client) {
	tb.Helper()
	srv := srvStart(tb, aerolite.Options{})
	return srv, srvConnect(tb, srv, nil)
}

func srvKey(tb testing.TB, ns, set string, k any) *as.Key {
	tb.Helper()
	key, err := as.NewKey(ns, set, k)
	if err != nil {
		tb.Fatalf("NewKey(%s, %s, %v): %v", ns, set, k, err)
	}
	return key
}

// srvWP is a write policy without retries (a test sees the first outcome).
func srvWP() *as.WritePolicy {
	wp := as.NewWritePolicy(0, 0)
	wp.MaxRetries = 0
	wp.TotalTimeout = 5 * time.Second
	wp.SocketTimeout = 5 * time.Second
	return wp
}

func srvMustPut(tb testing.TB, c *as.Client, wp *as.WritePolicy, key *as.Key, bins as.BinMap) {
	tb.Helper()
	if err := c.Put(wp, key, bins); err != nil {
		tb.Fatalf("Put(%v): %v", key, err)
	}
}

func srvMustGet(tb testing.TB, c *as.Client, key *as.Key, bins ...string) *as.Record {
	tb.Helper()
	rec, err := c.Get(nil, key, bins...)
	if err != nil {
		tb.Fatalf("Get(%v): %v", key, err)
	}
	return rec
}

// srvIsCode reports whether err is an Aerospike error with one of rcs.
func srvIsCode(err error, rcs ...types.ResultCode) bool {
	var ae as.Error
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Matches(rcs...)
}

// srvPartition is the partition a key belongs to, as client and server
// compute it.
func srvPartition(k *as.Key) int {
	return int(binary.LittleEndian.Uint16(k.Digest()[0:2]) & 4095)
}

func srvInfo(tb testing.TB, c *as.Client, names ...string) map[string]string {
	tb.Helper()
	nodes := c.GetNodes()
	if len(nodes) != 1 {
		tb.Fatalf("client sees %d nodes, want 1", len(nodes))
	}
	m, err := nodes[0].RequestInfo(as.NewInfoPolicy(), names...)
	if err != nil {
		tb.Fatalf("info %v: %v", names, err)
	}
	return m
}

// srvDrain returns a function that reads a recordset to its end:
// srvDrain(t)(c.ScanAll(...)).
func srvDrain(tb testing.TB) func(*as.Recordset, as.Error) []*as.Record {
	return func(rs *as.Recordset, err as.Error) []*as.Record {
		tb.Helper()
		if err != nil {
			tb.Fatalf("query: %v", err)
		}
		var out []*as.Record
		for res := range rs.Results() {
			if res.Err != nil {
				tb.Fatalf("query result: %v", res.Err)
			}
			out = append(out, res.Record)
		}
		return out
	}
}

// srvDigests returns the digests of recs as strings, failing on duplicates.
func srvDigests(tb testing.TB, recs []*as.Record) map[string]*as.Record {
	tb.Helper()
	m := make(map[string]*as.Record, len(recs))
	for _, r := range recs {
		d := string(r.Key.Digest())
		if _, dup := m[d]; dup {
			tb.Fatalf("record %v returned twice", r.Key)
		}
		m[d] = r
	}
	return m
}

func TestServerPutGetAllParticleTypes(t *testing.T) {
	_, c := srvSetup(t)
	key := srvKey(t, srvNS, "types", "all")
	geo := `{"type":"Point","coordinates":[-122.0,37.5]}`
	bins := as.BinMap{
		"int":    42,
		"negint": -7,
		"maxint": math.MaxInt64,
		"minint": math.MinInt64,
		"float":  3.25,
		"tiny":   -1.5e-300,
		"str":    "héllo wörld",
		"empty":  "",
		"blob":   []byte{0, 1, 2, 0xff},
		"bool":   true,
		"boolf":  false,
		"list":   []any{1, "two", 3.5, []byte{9}, []any{"nested", 1}, map[any]any{"k": "v"}},
		"map":    map[any]any{"a": 1, 2: "b", "nested": map[any]any{"x": []any{1, 2}}},
		"emptyl": []any{},
		"geo":    as.NewGeoJSONValue(geo),
	}
	srvMustPut(t, c, srvWP(), key, bins)
	rec := srvMustGet(t, c, key)
	want := map[string]any{
		"int":    42,
		"negint": -7,
		"maxint": math.MaxInt64,
		"minint": math.MinInt64,
		"float":  3.25,
		"tiny":   -1.5e-300,
		"str":    "héllo wörld",
		"empty":  "",
		"blob":   []byte{0, 1, 2, 0xff},
		"bool":   true,
		"boolf":  false,
		"list":   []any{1, "two", 3.5, []byte{9}, []any{"nested", 1}, map[any]any{"k": "v"}},
		"map":    map[any]any{"a": 1, 2: "b", "nested": map[any]any{"x": []any{1, 2}}},
		"emptyl": []any{},
		"geo":    as.GeoJSONValue(geo),
	}
	if len(rec.Bins) != len(want) {
		t.Errorf("got %d bins, want %d: %v", len(rec.Bins), len(want), rec.Bins)
	}
	for name, w := range want {
		if got := rec.Bins[name]; !reflect.DeepEqual(got, w) {
			t.Errorf("bin %s: got %#v (%T), want %#v (%T)", name, got, got, w, w)
		}
	}
	if rec.Generation != 1 {
		t.Errorf("generation %d, want 1", rec.Generation)
	}

	// Selected bins only.
	rec = srvMustGet(t, c, key, "int", "str", "missing")
	if len(rec.Bins) != 2 || rec.Bins["int"] != 42 || rec.Bins["str"] != "héllo wörld" {
		t.Errorf("Get(int, str, missing) = %v", rec.Bins)
	}

	// Header only.
	hdr, err := c.GetHeader(nil, key)
	if err != nil || hdr.Generation != 1 || len(hdr.Bins) != 0 {
		t.Errorf("GetHeader = %v, %v", hdr, err)
	}

	// A nil bin deletes the bin; the others stay.
	srvMustPut(t, c, srvWP(), key, as.BinMap{"int": nil})
	rec = srvMustGet(t, c, key)
	if _, ok := rec.Bins["int"]; ok || rec.Bins["str"] != "héllo wörld" || rec.Generation != 2 {
		t.Errorf("after deleting bin int: gen %d bins %v", rec.Generation, rec.Bins)
	}

	// Keys of every key type address distinct records and the user key is
	// stored with SendKey.
	wp := srvWP()
	wp.SendKey = true
	for i, k := range []any{int64(-5), "s", []byte{1, 2, 3}} {
		kk := srvKey(t, srvNS, "types", k)
		srvMustPut(t, c, wp, kk, as.BinMap{"i": i})
		rs := srvDrain(t)(c.ScanPartitions(nil, as.NewPartitionFilterById(srvPartition(kk)), srvNS, "types"))
		found := false
		for _, r := range rs {
			if bytes.Equal(r.Key.Digest(), kk.Digest()) {
				found = true
				if r.Key.Value() == nil || !reflect.DeepEqual(r.Key.Value().GetObject(), kk.Value().GetObject()) {
					t.Errorf("scan returned user key %v, want %v", r.Key.Value(), kk.Value())
				}
			}
		}
		if !found {
			t.Errorf("record with key %v not found by a scan of its partition", k)
		}
	}

	// HLL is not modelled: a write of one must fail as a whole or round-trip,
	// never store a partial record.
	hk := srvKey(t, srvNS, "types", "hll")
	err = c.Put(srvWP(), hk, as.BinMap{"a": 1, "h": as.NewHLLValue([]byte{1, 2, 3})})
	if err != nil {
		if exists, _ := c.Exists(nil, hk); exists {
			t.Errorf("failed HLL write (%v) left a record", err)
		}
	}
}

func TestServerSimpleCommands(t *testing.T) {
	_, c := srvSetup(t)
	key := srvKey(t, srvNS, "simple", 1)

	if _, err := c.Get(nil, key); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Get of a missing record: %v, want KEY_NOT_FOUND", err)
	}
	if ok, err := c.Exists(nil, key); ok || err != nil {
		t.Fatalf("Exists of missing = %v, %v", ok, err)
	}
	srvMustPut(t, c, srvWP(), key, as.BinMap{"s": "mid", "n": 1, "b": []byte("x")})
	if ok, err := c.Exists(nil, key); !ok || err != nil {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
	if err := c.Append(srvWP(), key, as.BinMap{"s": "-end", "b": []byte("y")}); err != nil {
		t.Fatal(err)
	}
	if err := c.Prepend(srvWP(), key, as.BinMap{"s": "start-"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(srvWP(), key, as.BinMap{"n": 41}); err != nil {
		t.Fatal(err)
	}
	rec := srvMustGet(t, c, key)
	if rec.Bins["s"] != "start-mid-end" || rec.Bins["n"] != 42 || !bytes.Equal(rec.Bins["b"].([]byte), []byte("xy")) {
		t.Fatalf("after append/prepend/add: %v", rec.Bins)
	}
	if err := c.Add(srvWP(), key, as.BinMap{"s": 1}); !srvIsCode(err, types.BIN_TYPE_ERROR) {
		t.Fatalf("Add to a string bin: %v, want BIN_TYPE_ERROR", err)
	}
	if err := c.Touch(srvWP(), key); err != nil {
		t.Fatal(err)
	}
	if rec := srvMustGet(t, c, key); rec.Generation != 5 {
		t.Fatalf("generation after put, append, prepend, add, touch = %d, want 5", rec.Generation)
	}
	if err := c.Touch(srvWP(), srvKey(t, srvNS, "simple", "nope")); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Touch of a missing record: %v", err)
	}
	existed, err := c.Delete(srvWP(), key)
	if !existed || err != nil {
		t.Fatalf("Delete = %v, %v", existed, err)
	}
	existed, err = c.Delete(srvWP(), key)
	if existed || err != nil {
		t.Fatalf("second Delete = %v, %v", existed, err)
	}
	if _, err := c.Get(nil, key); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Get after delete: %v", err)
	}

	// Record-exists actions.
	wp := srvWP()
	wp.RecordExistsAction = as.UPDATE_ONLY
	if err := c.Put(wp, key, as.BinMap{"a": 1}); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("UPDATE_ONLY of missing: %v", err)
	}
	wp.RecordExistsAction = as.CREATE_ONLY
	srvMustPut(t, c, wp, key, as.BinMap{"a": 1, "b": 2})
	if err := c.Put(wp, key, as.BinMap{"a": 1}); !srvIsCode(err, types.KEY_EXISTS_ERROR) {
		t.Fatalf("CREATE_ONLY of existing: %v", err)
	}
	wp.RecordExistsAction = as.REPLACE
	srvMustPut(t, c, wp, key, as.BinMap{"c": 3})
	if rec := srvMustGet(t, c, key); !reflect.DeepEqual(rec.Bins, as.BinMap{"c": 3}) {
		t.Fatalf("after REPLACE: %v", rec.Bins)
	}
	wp.RecordExistsAction = as.REPLACE_ONLY
	if err := c.Put(wp, srvKey(t, srvNS, "simple", "nope"), as.BinMap{"a": 1}); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("REPLACE_ONLY of missing: %v", err)
	}

	// Bin names longer than 15 bytes are refused (the client may refuse
	// them first; either way nothing is stored).
	long := srvKey(t, srvNS, "simple", "long")
	if err := c.Put(srvWP(), long, as.BinMap{strings.Repeat("x", 16): 1}); err == nil {
		t.Fatal("a 16-byte bin name was accepted")
	}
	if ok, _ := c.Exists(nil, long); ok {
		t.Fatal("a refused write stored a record")
	}
}

func TestServerGeneration(t *testing.T) {
	_, c := srvSetup(t)
	key := srvKey(t, srvNS, "gen", "k")
	for i := 1; i <= 3; i++ {
		srvMustPut(t, c, srvWP(), key, as.BinMap{"v": i})
		if rec := srvMustGet(t, c, key); rec.Generation != uint32(i) {
			t.Fatalf("after %d puts generation is %d", i, rec.Generation)
		}
	}
	wp := srvWP()
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	wp.Generation = 2
	if err := c.Put(wp, key, as.BinMap{"v": 100}); !srvIsCode(err, types.GENERATION_ERROR) {
		t.Fatalf("EXPECT_GEN_EQUAL with a stale generation: %v", err)
	}
	if rec := srvMustGet(t, c, key); rec.Bins["v"] != 3 || rec.Generation != 3 {
		t.Fatalf("a failed generation check changed the record: %v gen %d", rec.Bins, rec.Generation)
	}
	wp.Generation = 3
	srvMustPut(t, c, wp, key, as.BinMap{"v": 4})
	wp.GenerationPolicy = as.EXPECT_GEN_GT
	wp.Generation = 4
	if err := c.Put(wp, key, as.BinMap{"v": 5}); !srvIsCode(err, types.GENERATION_ERROR) {
		t.Fatalf("EXPECT_GEN_GT with an equal generation: %v", err)
	}
	wp.Generation = 9
	srvMustPut(t, c, wp, key, as.BinMap{"v": 5})
	if rec := srvMustGet(t, c, key); rec.Bins["v"] != 5 || rec.Generation != 5 {
		t.Fatalf("after EXPECT_GEN_GT: %v gen %d", rec.Bins, rec.Generation)
	}
	// A generation-checked delete.
	wp = srvWP()
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	wp.Generation = 1
	if _, err := c.Delete(wp, key); !srvIsCode(err, types.GENERATION_ERROR) {
		t.Fatalf("generation-checked delete with a stale generation: %v", err)
	}
	wp.Generation = 5
	if ok, err := c.Delete(wp, key); !ok || err != nil {
		t.Fatalf("generation-checked delete = %v, %v", ok, err)
	}
}

// srvFuncClock is a settable clock given as Options.Now (a Clock with Now
// alone, as pkg/sim gives its simulated time).
type srvFuncClock struct{ ns atomic.Int64 }

func newSrvFuncClock() *srvFuncClock {
	c := &srvFuncClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}
func (c *srvFuncClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *srvFuncClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// srvWantTTL checks the TTL the server holds for key (exact, on a manual
// clock; 0: never expires).
func srvWantTTL(tb testing.TB, srv *aerolite.Server, set string, key any, want time.Duration, what string) {
	tb.Helper()
	got, ok := srv.TTL(srvNS, set, key)
	if !ok || got != want {
		tb.Fatalf("%s: TTL %v (found %v), want %v", what, got, ok, want)
	}
}

// The TTLs that writes and touches give, on a manual clock: the server's
// TTL is exact, and the client's Expiration (computed from the void time on
// the client's own wall clock, which the manual clock started at) agrees
// while the manual clock has not moved.
func TestServerTTL(t *testing.T) {
	clk := aerolite.NewManualClock(time.Now())
	srv := srvStart(t, aerolite.Options{Clock: clk})
	c := srvConnect(t, srv, nil)
	key := srvKey(t, srvNS, "ttl", "k")

	// TTLServerDefault with the default default-ttl 0: never expires.
	srvMustPut(t, c, srvWP(), key, as.BinMap{"v": 1})
	if rec := srvMustGet(t, c, key); rec.Expiration != as.TTLDontExpire {
		t.Fatalf("expiration with TTL 0 and default-ttl 0 = %d, want never", rec.Expiration)
	}
	srvWantTTL(t, srv, "ttl", "k", 0, "TTL 0, default-ttl 0")
	wp := srvWP()
	wp.Expiration = 100
	srvMustPut(t, c, wp, key, as.BinMap{"v": 2})
	srvWantTTL(t, srv, "ttl", "k", 100*time.Second, "TTL 100")
	if rec := srvMustGet(t, c, key); rec.Expiration < 98 || rec.Expiration > 100 {
		t.Fatalf("client's expiration after TTL 100 = %d", rec.Expiration)
	}
	// TTLDontUpdate keeps the void time: 30s later 70s are left (a write
	// that set the TTL anew would leave 100s, one that cleared it none).
	clk.Add(30 * time.Second)
	wp.Expiration = as.TTLDontUpdate
	srvMustPut(t, c, wp, key, as.BinMap{"v": 3})
	srvWantTTL(t, srv, "ttl", "k", 70*time.Second, "TTLDontUpdate 30s after TTL 100")
	srv.CheckGet(t, srvNS, "ttl", "k", map[string]any{"v": 3})
	// TTLDontExpire clears it.
	wp.Expiration = as.TTLDontExpire
	srvMustPut(t, c, wp, key, as.BinMap{"v": 4})
	srvWantTTL(t, srv, "ttl", "k", 0, "TTLDontExpire")
	if rec := srvMustGet(t, c, key); rec.Expiration != as.TTLDontExpire {
		t.Fatalf("client's expiration after TTLDontExpire = %d", rec.Expiration)
	}
	// Touch with a TTL sets it, from the server's now.
	wp.Expiration = 50
	if err := c.Touch(wp, key); err != nil {
		t.Fatal(err)
	}
	srvWantTTL(t, srv, "ttl", "k", 50*time.Second, "Touch(50)")
	clk.Add(49 * time.Second)
	srvMustGet(t, c, key)
	clk.Add(time.Second)
	if _, err := c.Get(nil, key); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Get 50s after Touch(50): %v", err)
	}
}

// Records expire on the server's clock, for reads, writes and scans, and
// are reaped from the set counts as soon as the clock moves (the periodic
// reaper is held off for an hour): no sleeping and no polling.
func TestServerTTLExpiryWithClock(t *testing.T) {
	// On a whole second: void times are whole seconds, so a TTL of 10s
	// then runs out exactly 10s later.
	clk := aerolite.NewManualClock(time.Now().Truncate(time.Second))
	srv := srvStart(t, aerolite.Options{Clock: clk, DefaultTTL: 1000, ReapInterval: time.Hour})
	c := srvConnect(t, srv, nil)

	short := srvKey(t, srvNS, "exp", "short")
	dflt := srvKey(t, srvNS, "exp", "default")
	never := srvKey(t, srvNS, "exp", "never")
	wp := srvWP()
	wp.Expiration = 10
	srvMustPut(t, c, wp, short, as.BinMap{"v": 1})
	srvMustPut(t, c, srvWP(), dflt, as.BinMap{"v": 1}) // default-ttl 1000
	wp.Expiration = as.TTLDontExpire
	srvMustPut(t, c, wp, never, as.BinMap{"v": 1})
	if got := srvSetObjects(t, c, srvNS, "exp"); got != 3 {
		t.Fatalf("objects = %d, want 3", got)
	}
	srvWantTTL(t, srv, "exp", "default", 1000*time.Second, "default-ttl 1000")

	clk.Add(10*time.Second - time.Nanosecond)
	srvMustGet(t, c, short)
	clk.Add(time.Nanosecond)
	if _, err := c.Get(nil, short); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Get of a record at its void time: %v", err)
	}
	if ok, _ := c.Exists(nil, short); ok {
		t.Fatal("Exists of an expired record is true")
	}
	if got := srvSetObjects(t, c, srvNS, "exp"); got != 2 {
		t.Fatalf("objects once short expired = %d, want 2 (reaped when the clock moved)", got)
	}
	srvMustGet(t, c, dflt)
	// An expired record is gone for writes too: UPDATE_ONLY fails and a
	// plain write starts at generation 1.
	uwp := srvWP()
	uwp.RecordExistsAction = as.UPDATE_ONLY
	if err := c.Put(uwp, short, as.BinMap{"v": 2}); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("UPDATE_ONLY of an expired record: %v", err)
	}
	wp.Expiration = 10
	srvMustPut(t, c, wp, short, as.BinMap{"v": 3})
	if rec := srvMustGet(t, c, short); rec.Generation != 1 {
		t.Fatalf("write after expiry: generation %d, want 1", rec.Generation)
	}

	clk.Add(1000 * time.Second)
	if _, err := c.Get(nil, dflt); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Get of a record past default-ttl: %v", err)
	}
	srvMustGet(t, c, never)
	// Scans skip expired records, and the set counts no longer count them.
	recs := srvDrain(t)(c.ScanAll(nil, srvNS, "exp"))
	if len(recs) != 1 || !bytes.Equal(recs[0].Key.Digest(), never.Digest()) {
		t.Fatalf("scan after expiry returned %d records", len(recs))
	}
	if got := srvSetObjects(t, c, srvNS, "exp"); got != 1 {
		t.Fatalf("objects after expiry = %d, want 1", got)
	}
}

// Options.Now (a clock with Now alone, as pkg/sim's simulated time) decides
// expiry too, and FastForward reaps on it at once.
func TestServerTTLExpiryWithNowFunc(t *testing.T) {
	clk := newSrvFuncClock()
	srv := srvStart(t, aerolite.Options{Now: clk.Now, ReapInterval: time.Hour})
	c := srvConnect(t, srv, nil)
	wp := srvWP()
	wp.Expiration = 10
	key := srvKey(t, srvNS, "fexp", "k")
	srvMustPut(t, c, wp, key, as.BinMap{"v": 1})
	srvWantTTL(t, srv, "fexp", "k", 10*time.Second, "TTL 10")
	clk.Advance(9 * time.Second)
	srvMustGet(t, c, key)
	clk.Advance(time.Second)
	if _, err := c.Get(nil, key); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Get past the TTL on Options.Now: %v", err)
	}
	// Expired but not reaped yet: the periodic reaper waits an hour, and
	// the function clock cannot tell the server it moved.
	if got := srvSetObjects(t, c, srvNS, "fexp"); got != 1 {
		t.Fatalf("objects before a reap = %d, want 1", got)
	}
	srv.FastForward(0)
	if got := srvSetObjects(t, c, srvNS, "fexp"); got != 0 {
		t.Fatalf("objects after FastForward(0) = %d, want 0", got)
	}
}

func TestServerOperate(t *testing.T) {
	_, c := srvSetup(t)
	key := srvKey(t, srvNS, "op", "k")
	rec, err := c.Operate(srvWP(), key,
		as.AddOp(as.NewBin("n", 5)),
		as.PutOp(as.NewBin("s", "a")),
		as.AppendOp(as.NewBin("s", "b")),
		as.PrependOp(as.NewBin("s", "z")),
		as.ListAppendOp("l", 1, 2, 3),
		as.MapPutOp(as.DefaultMapPolicy(), "m", "k1", "v1"),
		as.GetBinOp("n"),
		as.GetBinOp("s"),
	)
	if err != nil {
		t.Fatal(err)
	}
	// With a CDT op in the command the client asks for one result per op
	// (INFO2_RESPOND_ALL_OPS), so writes answer nil and bins with several
	// results come back as lists, as from the real server.
	want := as.BinMap{"n": []any{nil, 5}, "s": []any{nil, nil, nil, "zab"}, "l": 3, "m": 1}
	if !reflect.DeepEqual(rec.Bins, want) {
		t.Fatalf("operate results: %v, want %v", rec.Bins, want)
	}
	if rec.Generation != 1 {
		t.Fatalf("operate generation %d", rec.Generation)
	}
	// Read-only operate, including CDT reads.
	rec, err = c.Operate(nil, key,
		as.ListSizeOp("l"),
		as.ListGetByIndexOp("l", -1, as.ListReturnTypeValue),
		as.MapGetByKeyOp("m", "k1", as.MapReturnType.VALUE),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rec.Bins["l"], []any{3, 3}) {
		t.Fatalf("list reads: %#v", rec.Bins["l"])
	}
	if rec.Bins["m"] != "v1" {
		t.Fatalf("map read: %#v", rec.Bins["m"])
	}
	// Add then read in one command: atomic.
	for i := 1; i <= 3; i++ {
		rec, err = c.Operate(srvWP(), key, as.AddOp(as.NewBin("n", 10)), as.GetBinOp("n"))
		if err != nil {
			t.Fatal(err)
		}
		if rec.Bins["n"] != 5+10*i {
			t.Fatalf("add+get #%d = %v", i, rec.Bins["n"])
		}
	}
	// GetOp returns every bin.
	rec, err = c.Operate(srvWP(), key, as.TouchOp(), as.GetOp())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Bins) != 4 || rec.Bins["s"] != "zab" {
		t.Fatalf("touch+get all: %v", rec.Bins)
	}
	// A failing op applies nothing.
	before := srvMustGet(t, c, key)
	_, err = c.Operate(srvWP(), key, as.PutOp(as.NewBin("x", 1)), as.AddOp(as.NewBin("s", 1)))
	if !srvIsCode(err, types.BIN_TYPE_ERROR) {
		t.Fatalf("operate with a bad add: %v", err)
	}
	after := srvMustGet(t, c, key)
	if after.Generation != before.Generation || !reflect.DeepEqual(after.Bins, before.Bins) {
		t.Fatalf("a failed operate changed the record: %v -> %v", before.Bins, after.Bins)
	}
	// Generation-checked operate, and delete inside operate.
	wp := srvWP()
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	wp.Generation = after.Generation + 1
	if _, err := c.Operate(wp, key, as.PutOp(as.NewBin("x", 1))); !srvIsCode(err, types.GENERATION_ERROR) {
		t.Fatalf("operate with a wrong generation: %v", err)
	}
	if _, err := c.Operate(srvWP(), key, as.DeleteOp()); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Exists(nil, key); ok {
		t.Fatal("record survived DeleteOp")
	}
	// Operate on a missing record: reads fail, UPDATE_ONLY writes fail.
	if _, err := c.Operate(nil, key, as.GetBinOp("n")); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("read operate of missing: %v", err)
	}
	wp = srvWP()
	wp.RecordExistsAction = as.UPDATE_ONLY
	if _, err := c.Operate(wp, key, as.AddOp(as.NewBin("n", 1))); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("UPDATE_ONLY operate of missing: %v", err)
	}
	// Expression filter on a write.
	srvMustPut(t, c, srvWP(), key, as.BinMap{"n": 1})
	wp = srvWP()
	wp.FilterExpression = as.ExpGreater(as.ExpIntBin("n"), as.ExpIntVal(5))
	if _, err := c.Operate(wp, key, as.AddOp(as.NewBin("n", 1))); !srvIsCode(err, types.FILTERED_OUT) {
		t.Fatalf("filtered operate: %v", err)
	}
	wp.FilterExpression = as.ExpLess(as.ExpIntBin("n"), as.ExpIntVal(5))
	rec, err = c.Operate(wp, key, as.AddOp(as.NewBin("n", 1)), as.GetBinOp("n"))
	if err != nil || rec.Bins["n"] != 2 {
		t.Fatalf("matching filtered operate: %v, %v", rec, err)
	}
}

func TestServerBatch(t *testing.T) {
	_, c := srvSetup(t)
	var keys []*as.Key
	for i := 0; i < 40; i++ {
		k := srvKey(t, srvNS, "batch", i)
		keys = append(keys, k)
		if i%4 != 3 { // every fourth is missing
			srvMustPut(t, c, srvWP(), k, as.BinMap{"i": i, "sq": i * i})
		}
	}
	recs, err := c.BatchGet(nil, keys)
	if err != nil && !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("BatchGet: %v", err)
	}
	for i, r := range recs {
		if i%4 == 3 {
			if r != nil {
				t.Errorf("BatchGet[%d] of a missing key = %v", i, r.Bins)
			}
			continue
		}
		if r == nil || r.Bins["i"] != i || r.Bins["sq"] != i*i {
			t.Errorf("BatchGet[%d] = %v", i, r)
		}
	}
	recs, err = c.BatchGet(nil, keys, "sq")
	if err != nil && !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("BatchGet(sq): %v", err)
	}
	for i, r := range recs {
		if i%4 != 3 && (r == nil || len(r.Bins) != 1 || r.Bins["sq"] != i*i) {
			t.Errorf("BatchGet(sq)[%d] = %v", i, r)
		}
	}
	hdrs, err := c.BatchGetHeader(nil, keys)
	if err != nil && !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("BatchGetHeader: %v", err)
	}
	for i, r := range hdrs {
		if i%4 != 3 && (r == nil || r.Generation != 1 || len(r.Bins) != 0) {
			t.Errorf("BatchGetHeader[%d] = %v", i, r)
		}
	}
	exists, err := c.BatchExists(nil, keys)
	if err != nil {
		t.Fatalf("BatchExists: %v", err)
	}
	for i, e := range exists {
		if e != (i%4 != 3) {
			t.Errorf("BatchExists[%d] = %v", i, e)
		}
	}

	// BatchOperate: writes, reads and deletes in one call, results per key.
	ops := []as.BatchRecordIfc{
		as.NewBatchWrite(nil, keys[0], as.AddOp(as.NewBin("i", 100)), as.GetBinOp("i")),
		as.NewBatchRead(nil, keys[1], []string{"sq"}),
		as.NewBatchDelete(nil, keys[2]),
		as.NewBatchWrite(nil, keys[3], as.PutOp(as.NewBin("new", "yes"))),
		as.NewBatchRead(nil, srvKey(t, srvNS, "batch", "missing"), nil),
		as.NewBatchWrite(nil, keys[5], as.AddOp(as.NewBin("sq", "bad"))),
	}
	if err := c.BatchOperate(nil, ops); err != nil && !srvIsCode(err, types.KEY_NOT_FOUND_ERROR, types.BIN_TYPE_ERROR, types.PARAMETER_ERROR) {
		t.Fatalf("BatchOperate: %v", err)
	}
	wantRC := []types.ResultCode{types.OK, types.OK, types.OK, types.OK, types.KEY_NOT_FOUND_ERROR, types.BIN_TYPE_ERROR}
	for i, op := range ops {
		br := op.BatchRec()
		if br.ResultCode != wantRC[i] {
			t.Errorf("BatchOperate[%d] result code %v, want %v (err %v)", i, br.ResultCode, wantRC[i], br.Err)
		}
	}
	// Batch writes always ask for one result per op.
	if r := ops[0].BatchRec().Record; r == nil || !reflect.DeepEqual(r.Bins["i"], as.OpResults{nil, 100}) {
		t.Errorf("BatchOperate write+read result: %#v", r.Bins["i"])
	}
	if r := ops[1].BatchRec().Record; r == nil || r.Bins["sq"] != 1 {
		t.Errorf("BatchOperate read result: %v", r)
	}
	if ok, _ := c.Exists(nil, keys[2]); ok {
		t.Error("BatchDelete left the record")
	}
	if r := srvMustGet(t, c, keys[3]); r.Bins["new"] != "yes" {
		t.Errorf("BatchWrite to a missing key: %v", r.Bins)
	}
	if r := srvMustGet(t, c, keys[5]); r.Bins["sq"] != 25 || r.Generation != 1 {
		t.Errorf("failed batch write changed the record: %v", r)
	}
}

func TestServerSecondaryIndexQuery(t *testing.T) {
	_, c := srvSetup(t)
	const set = "people"
	names := []string{"ann", "bob", "cy", "dee"}
	for i := 0; i < 200; i++ {
		srvMustPut(t, c, srvWP(), srvKey(t, srvNS, set, i), as.BinMap{"age": i % 50, "name": names[i%4], "i": i})
	}
	// A record in another set with a matching value is not indexed.
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "other", 1), as.BinMap{"age": 10, "name": "bob"})
	// Records with the wrong type are not indexed.
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, set, "strage"), as.BinMap{"age": "ten", "name": 7})

	task, err := c.CreateIndex(nil, srvNS, set, "idx_age", "age", as.NUMERIC)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-task.OnComplete(); err != nil {
		t.Fatal(err)
	}
	task, err = c.CreateIndex(nil, srvNS, set, "idx_name", "name", as.STRING)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-task.OnComplete(); err != nil {
		t.Fatal(err)
	}

	// Written after index creation: indexed too.
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, set, "late"), as.BinMap{"age": 12, "name": "ann", "i": -1})
	// Updates move index entries.
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, set, 0), as.BinMap{"age": 1000})

	count := func(stmt *as.Statement, pf *as.PartitionFilter) map[string]*as.Record {
		if pf == nil {
			return srvDigests(t, srvDrain(t)(c.Query(nil, stmt)))
		}
		return srvDigests(t, srvDrain(t)(c.QueryPartitions(nil, stmt, pf)))
	}

	stmt := as.NewStatement(srvNS, set)
	stmt.SetFilter(as.NewRangeFilter("age", 10, 14))
	got := count(stmt, nil)
	// i%50 in [10,14]: 5 values x 4 = 20 records, plus "late".
	if len(got) != 21 {
		t.Fatalf("range query returned %d records, want 21", len(got))
	}
	for _, r := range got {
		if a := r.Bins["age"].(int); a < 10 || a > 14 {
			t.Fatalf("range query returned age %d", a)
		}
	}
	stmt = as.NewStatement(srvNS, set, "i")
	stmt.SetFilter(as.NewEqualFilter("name", "bob"))
	got = count(stmt, nil)
	if len(got) != 50 {
		t.Fatalf("equality query returned %d records, want 50", len(got))
	}
	for _, r := range got {
		if len(r.Bins) != 1 || r.Bins["i"].(int)%4 != 1 {
			t.Fatalf("equality query returned %v", r.Bins)
		}
	}
	stmt = as.NewStatement(srvNS, set)
	stmt.SetFilter(as.NewEqualFilter("age", 0))
	if got := count(stmt, nil); len(got) != 3 { // i = 50, 100, 150; 0 moved to 1000
		t.Fatalf("age == 0 returned %d records, want 3", len(got))
	}
	// Index query by partition ranges: the union is the full query.
	stmt = as.NewStatement(srvNS, set)
	stmt.SetFilter(as.NewRangeFilter("age", 0, 1000))
	all := count(stmt, nil)
	if len(all) != 201 {
		t.Fatalf("full range query returned %d records, want 201", len(all))
	}
	union := map[string]bool{}
	for _, r := range srvRanges(4096, 5) {
		part := count(stmt, as.NewPartitionFilterByRange(r[0], r[1]))
		for d := range part {
			if union[d] {
				t.Fatalf("record in two partition ranges")
			}
			union[d] = true
		}
	}
	if len(union) != len(all) {
		t.Fatalf("partition ranges of the index query returned %d records, want %d", len(union), len(all))
	}
	// An expression filter combines with the index.
	qp := as.NewQueryPolicy()
	qp.FilterExpression = as.ExpEq(as.ExpStringBin("name"), as.ExpStringVal("cy"))
	stmt = as.NewStatement(srvNS, set)
	stmt.SetFilter(as.NewRangeFilter("age", 10, 14))
	want := 0
	for i := 0; i < 200; i++ {
		if i%50 >= 10 && i%50 <= 14 && names[i%4] == "cy" {
			want++
		}
	}
	got = srvDigests(t, srvDrain(t)(c.Query(qp, stmt)))
	if len(got) != want {
		t.Fatalf("index + expression query returned %d, want %d", len(got), want)
	}
	for _, r := range got {
		if r.Bins["name"] != "cy" {
			t.Fatalf("index + expression query returned %v", r.Bins)
		}
	}
	// No index on the bin.
	stmt = as.NewStatement(srvNS, set)
	stmt.SetFilter(as.NewEqualFilter("i", 3))
	rs, err := c.Query(nil, stmt)
	if err == nil {
		for res := range rs.Results() {
			if res.Err != nil {
				err = res.Err
			}
		}
	}
	if !srvIsCode(err, types.INDEX_NOTFOUND) {
		t.Fatalf("query without an index: %v, want INDEX_NOT_FOUND", err)
	}
	// Dropping the index.
	if err := c.DropIndex(nil, srvNS, set, "idx_name"); err != nil {
		t.Fatal(err)
	}
	info := srvInfo(t, c, "sindex-list:ns="+srvNS)
	if l := info["sindex-list:ns="+srvNS]; !strings.Contains(l, "indexname=idx_age") || strings.Contains(l, "idx_name") {
		t.Fatalf("sindex-list after drop: %q", l)
	}
}

// srvRanges splits [0,n) into k consecutive ranges (begin, count) of
// nearly equal size, the way the mxn tools split the 4096 partitions.
func srvRanges(n, k int) [][2]int {
	var out [][2]int
	for i := 0; i < k; i++ {
		begin, end := i*n/k, (i+1)*n/k
		out = append(out, [2]int{begin, end - begin})
	}
	return out
}

func TestServerPartitionRangesCoverScan(t *testing.T) {
	_, c := srvSetup(t)
	const set = "parts"
	const n = 3000
	for i := 0; i < n; i++ {
		srvMustPut(t, c, srvWP(), srvKey(t, srvNS, set, i), as.BinMap{"i": i})
	}
	// Another set does not leak into scans of this one.
	for i := 0; i < 50; i++ {
		srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "noise", i), as.BinMap{"i": i})
	}
	full := srvDigests(t, srvDrain(t)(c.ScanAll(nil, srvNS, set)))
	if len(full) != n {
		t.Fatalf("full scan returned %d records, want %d", len(full), n)
	}

	for _, k := range []int{1, 2, 7, 16, 4096} {
		ranges := srvRanges(4096, k)
		union := map[string]bool{}
		for _, r := range ranges {
			var recs []*as.Record
			if k%2 == 0 {
				recs = srvDrain(t)(c.ScanPartitions(nil, as.NewPartitionFilterByRange(r[0], r[1]), srvNS, set))
			} else {
				recs = srvDrain(t)(c.QueryPartitions(nil, as.NewStatement(srvNS, set), as.NewPartitionFilterByRange(r[0], r[1])))
			}
			for _, rec := range recs {
				if p := srvPartition(rec.Key); p < r[0] || p >= r[0]+r[1] {
					t.Fatalf("range %v returned a record of partition %d", r, p)
				}
				d := string(rec.Key.Digest())
				if union[d] {
					t.Fatalf("%d ranges: record %v returned twice", k, rec.Key)
				}
				if full[d] == nil {
					t.Fatalf("%d ranges: record %v not in the full scan", k, rec.Key)
				}
				union[d] = true
			}
		}
		if len(union) != len(full) {
			t.Fatalf("%d ranges returned %d records, the full scan %d", k, len(union), len(full))
		}
		if k == 16 { // keep the 4096-range case quick to skip under -short
			if testing.Short() {
				break
			}
		}
	}

	// Paginated query with MaxRecords, resumed with the same partition
	// filter: pages are disjoint and together the full scan.
	qp := as.NewQueryPolicy()
	qp.MaxRecords = 250
	pf := as.NewPartitionFilterAll()
	seen := map[string]bool{}
	for page := 0; !pf.IsDone(); page++ {
		if page > n/10 {
			t.Fatalf("pagination did not finish after %d pages", page)
		}
		recs := srvDrain(t)(c.QueryPartitions(qp, as.NewStatement(srvNS, set), pf))
		if len(recs) > 250 {
			t.Fatalf("page of %d records exceeds MaxRecords 250", len(recs))
		}
		for _, rec := range recs {
			d := string(rec.Key.Digest())
			if seen[d] {
				t.Fatalf("record %v on two pages", rec.Key)
			}
			seen[d] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("pages returned %d records, want %d", len(seen), n)
	}

	// Bin selection and no-bin scans.
	recs := srvDrain(t)(c.ScanPartitions(nil, as.NewPartitionFilterByRange(0, 512), srvNS, set, "i"))
	for _, r := range recs {
		if len(r.Bins) != 1 {
			t.Fatalf("scan with bin list returned %v", r.Bins)
		}
	}
	sp := as.NewScanPolicy()
	sp.IncludeBinData = false
	recs = srvDrain(t)(c.ScanPartitions(sp, as.NewPartitionFilterByRange(0, 512), srvNS, set))
	for _, r := range recs {
		if len(r.Bins) != 0 || r.Generation != 1 {
			t.Fatalf("scan without bin data returned %v gen %d", r.Bins, r.Generation)
		}
	}
}

func TestServerTruncate(t *testing.T) {
	clk := aerolite.NewManualClock(time.Now())
	srv := srvStart(t, aerolite.Options{Clock: clk})
	c := srvConnect(t, srv, nil)
	for i := 0; i < 30; i++ {
		srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "trunc", i), as.BinMap{"i": i})
		srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "keep", i), as.BinMap{"i": i})
	}
	if err := c.Truncate(nil, srvNS, "trunc", nil); err != nil {
		t.Fatal(err)
	}
	if recs := srvDrain(t)(c.ScanAll(nil, srvNS, "trunc")); len(recs) != 0 {
		t.Fatalf("truncated set still has %d records", len(recs))
	}
	if recs := srvDrain(t)(c.ScanAll(nil, srvNS, "keep")); len(recs) != 30 {
		t.Fatalf("other set has %d records after truncate, want 30", len(recs))
	}
	if got := srvSetObjects(t, c, srvNS, "trunc"); got != 0 {
		t.Fatalf("objects of truncated set = %d", got)
	}
	if _, err := c.Get(nil, srvKey(t, srvNS, "trunc", 1)); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Get after truncate: %v", err)
	}

	// With a last-update cut-off (on the server's clock, moved a
	// millisecond, the precision of Aerospike's last-update times, on
	// either side of it): records written after it stay.
	for i := 0; i < 10; i++ {
		srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "trunc", i), as.BinMap{"old": i})
	}
	clk.Add(time.Millisecond)
	cut := clk.Now()
	clk.Add(time.Millisecond)
	for i := 10; i < 15; i++ {
		srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "trunc", i), as.BinMap{"new": i})
	}
	if err := c.Truncate(nil, srvNS, "trunc", &cut); err != nil {
		t.Fatal(err)
	}
	recs := srvDrain(t)(c.ScanAll(nil, srvNS, "trunc"))
	if len(recs) != 5 {
		t.Fatalf("truncate with cut-off left %d records, want 5", len(recs))
	}
	for _, r := range recs {
		if _, ok := r.Bins["new"]; !ok {
			t.Fatalf("truncate with cut-off kept an old record: %v", r.Bins)
		}
	}
	// A cut-off in the future of the server's clock is refused, and
	// truncates nothing.
	future := clk.Now().Add(time.Millisecond)
	if err := c.Truncate(nil, srvNS, "trunc", &future); err == nil {
		t.Fatal("truncate with a future cut-off succeeded")
	}
	if recs := srv.Scan(srvNS, "trunc"); len(recs) != 5 {
		t.Fatalf("a refused truncate left %d records, want 5", len(recs))
	}
	// The whole namespace.
	if err := c.Truncate(nil, srvNS, "", nil); err != nil {
		t.Fatal(err)
	}
	if recs := srvDrain(t)(c.ScanAll(nil, srvNS, "")); len(recs) != 0 {
		t.Fatalf("truncated namespace still has %d records", len(recs))
	}
}

// srvSetObjects reads objects= from info sets/<ns>/<set>.
func srvSetObjects(tb testing.TB, c *as.Client, ns, set string) int {
	tb.Helper()
	name := "sets/" + ns + "/" + set
	v := srvInfo(tb, c, name)[name]
	if v == "" {
		return 0
	}
	for _, kv := range strings.Split(strings.TrimSuffix(v, ";"), ":") {
		if k, val, ok := strings.Cut(kv, "="); ok && k == "objects" {
			n, err := strconv.Atoi(val)
			if err != nil {
				tb.Fatalf("bad objects in %q", v)
			}
			return n
		}
	}
	tb.Fatalf("no objects in %q", v)
	return 0
}

func TestServerInfo(t *testing.T) {
	srv, c := srvSetup(t)
	for i := 0; i < 7; i++ {
		srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "infoset", i), as.BinMap{"i": i})
	}
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "other", 1), as.BinMap{"i": 1})
	m := srvInfo(t, c, "namespaces", "sets/test/infoset", "build", "cluster-name", "partitions", "node", "namespace/test", "no-such-command")
	if m["namespaces"] != "test" {
		t.Errorf("namespaces = %q", m["namespaces"])
	}
	sets := m["sets/test/infoset"]
	if !strings.HasPrefix(sets, "ns=test:set=infoset:objects=7:") || strings.Contains(sets, "set=other") {
		t.Errorf("sets/test/infoset = %q", sets)
	}
	if m["build"] == "" || m["cluster-name"] != "aerolite" || m["partitions"] != "4096" || m["node"] == "" {
		t.Errorf("info: %v", m)
	}
	if !strings.Contains(m["namespace/test"], "objects=8") {
		t.Errorf("namespace/test = %q", m["namespace/test"])
	}
	if !strings.HasPrefix(m["no-such-command"], "ERROR") {
		t.Errorf("unknown info command answered %q", m["no-such-command"])
	}
	// Deletes update the set counts.
	if _, err := c.Delete(srvWP(), srvKey(t, srvNS, "infoset", 0)); err != nil {
		t.Fatal(err)
	}
	if got := srvSetObjects(t, c, srvNS, "infoset"); got != 6 {
		t.Errorf("objects after delete = %d", got)
	}
	all := srvInfo(t, c, "sets")["sets"]
	if !strings.Contains(all, "set=infoset:objects=6") || !strings.Contains(all, "set=other:objects=1") {
		t.Errorf("sets = %q", all)
	}
	// Info requests are answered over a raw connection too (several names,
	// one per line).
	conn := srvDial(t, srv)
	srvSendFrame(t, conn, 1, []byte("namespaces\nbuild\n"))
	typ, body := srvReadFrame(t, conn)
	if typ != 1 || !strings.Contains(string(body), "namespaces\ttest\n") || !strings.Contains(string(body), "build\t") {
		t.Errorf("raw info answered type %d %q", typ, body)
	}
	if srv.Stats().Commands.Load() == 0 || srv.Stats().Connections.Load() == 0 {
		t.Errorf("stats not counted: %+v", srv.Stats())
	}
}

// srvDial opens a raw TCP connection to srv.
func srvDial(tb testing.TB, srv *aerolite.Server) net.Conn {
	tb.Helper()
	conn, err := net.DialTimeout("tcp", srv.Addr(), 2*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

func srvFrame(typ byte, body []byte) []byte {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], uint64(len(body)))
	h[0], h[1] = 2, typ
	return append(h[:], body...)
}

func srvSendFrame(tb testing.TB, conn net.Conn, typ byte, body []byte) {
	tb.Helper()
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(srvFrame(typ, body)); err != nil {
		tb.Fatalf("write frame: %v", err)
	}
}

// srvReadFrame reads one response frame.
func srvReadFrame(tb testing.TB, conn net.Conn) (byte, []byte) {
	tb.Helper()
	typ, body, err := srvTryReadFrame(conn, 5*time.Second)
	if err != nil {
		tb.Fatalf("read frame: %v", err)
	}
	return typ, body
}

func srvTryReadFrame(conn net.Conn, timeout time.Duration) (byte, []byte, error) {
	conn.SetReadDeadline(time.Now().Add(timeout))
	var h [8]byte
	if _, err := io.ReadFull(conn, h[:]); err != nil {
		return 0, nil, err
	}
	if h[0] != 2 {
		return 0, nil, fmt.Errorf("response with proto version %d", h[0])
	}
	size := binary.BigEndian.Uint64(h[:]) & 0xffffffffffff
	if size > 64<<20 {
		return 0, nil, fmt.Errorf("response of %d bytes", size)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(conn, body); err != nil {
		return 0, nil, err
	}
	return h[1], body, nil
}

// srvMsg builds an AS_MSG body: header, fields (type, data) and ops.
type srvField struct {
	typ  byte
	data []byte
}

type srvOp struct {
	typ, particle byte
	name          string
	value         []byte
}

func srvMsg(info1, info2, info3 byte, fields []srvField, ops []srvOp) []byte {
	b := make([]byte, 22)
	b[0] = 22
	b[1], b[2], b[3] = info1, info2, info3
	binary.BigEndian.PutUint16(b[18:], uint16(len(fields)))
	binary.BigEndian.PutUint16(b[20:], uint16(len(ops)))
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f.data)+1))
		b = append(b, f.typ)
		b = append(b, f.data...)
	}
	for _, o := range ops {
		b = binary.BigEndian.AppendUint32(b, uint32(4+len(o.name)+len(o.value)))
		b = append(b, o.typ, o.particle, 0, byte(len(o.name)))
		b = append(b, o.name...)
		b = append(b, o.value...)
	}
	return b
}

// srvResultCode returns the result code of the first message in an AS_MSG
// response body.
func srvResultCode(tb testing.TB, body []byte) types.ResultCode {
	tb.Helper()
	if len(body) < 22 || body[0] != 22 {
		tb.Fatalf("bad response message %x", body)
	}
	return types.ResultCode(body[5])
}

func TestServerUnknownNamespace(t *testing.T) {
	srv, c := srvSetup(t)
	key := srvKey(t, "nope", "s", 1)
	if err := c.Put(srvWP(), key, as.BinMap{"a": 1}); !srvIsCode(err, types.INVALID_NAMESPACE) {
		t.Fatalf("Put to an unknown namespace: %v", err)
	}
	if _, err := c.Get(nil, key); !srvIsCode(err, types.INVALID_NAMESPACE) {
		t.Fatalf("Get from an unknown namespace: %v", err)
	}
	if _, err := c.Operate(srvWP(), key, as.AddOp(as.NewBin("a", 1))); !srvIsCode(err, types.INVALID_NAMESPACE) {
		t.Fatalf("Operate on an unknown namespace: %v", err)
	}
	if rs, err := c.ScanAll(nil, "nope", "s"); err == nil {
		for res := range rs.Results() {
			if res.Err != nil {
				err = res.Err
			}
		}
		if err == nil {
			t.Fatal("scan of an unknown namespace succeeded")
		}
	}

	// The client refuses most of these itself (the namespace is not in the
	// partition map); the server answers INVALID_NAMESPACE when asked.
	conn := srvDial(t, srv)
	digest := key.Digest()
	fields := []srvField{{0, []byte("nope")}, {1, []byte("s")}, {4, digest}}
	srvSendFrame(t, conn, 3, srvMsg(1|2, 0, 0, fields, nil)) // read, get all
	if _, body := srvReadFrame(t, conn); srvResultCode(t, body) != types.INVALID_NAMESPACE {
		t.Fatalf("raw get from an unknown namespace answered %d", srvResultCode(t, body))
	}
	put := []srvOp{{2, 1, "a", []byte{0, 0, 0, 0, 0, 0, 0, 1}}}
	srvSendFrame(t, conn, 3, srvMsg(0, 1, 0, fields, put))
	if _, body := srvReadFrame(t, conn); srvResultCode(t, body) != types.INVALID_NAMESPACE {
		t.Fatalf("raw put to an unknown namespace answered %d", srvResultCode(t, body))
	}
	scan := []srvField{{0, []byte("nope")}, {1, []byte("s")}}
	srvSendFrame(t, conn, 3, srvMsg(1, 0, 0, scan, nil))
	if _, body := srvReadFrame(t, conn); srvResultCode(t, body) != types.INVALID_NAMESPACE {
		t.Fatalf("raw scan of an unknown namespace answered %d", srvResultCode(t, body))
	}
	m := srvInfo(t, c, "namespace/nope")
	if !strings.HasPrefix(m["namespace/nope"], "ERROR:20") {
		t.Fatalf("info namespace/nope = %q", m["namespace/nope"])
	}
	// The same connection still serves the known namespace.
	fields[0].data = []byte(srvNS)
	srvSendFrame(t, conn, 3, srvMsg(0, 1, 0, fields, put))
	if _, body := srvReadFrame(t, conn); srvResultCode(t, body) != types.OK {
		t.Fatalf("raw put answered %d", srvResultCode(t, body))
	}
	if rec := srvMustGet(t, c, srvKey(t, srvNS, "s", 1)); rec.Bins["a"] != 1 {
		t.Fatalf("raw put stored %v", rec.Bins)
	}
}

func TestServerOptionsNamespacesAndClusterName(t *testing.T) {
	srv := srvStart(t, aerolite.Options{Namespaces: []string{"alpha", "beta"}, ClusterName: "mxn-ci", NodeName: "N1"})
	cp := srvClientPolicy()
	cp.ClusterName = "mxn-ci"
	c := srvConnect(t, srv, cp)

	ka := srvKey(t, "alpha", "s", "k")
	kb := srvKey(t, "beta", "s", "k")
	srvMustPut(t, c, srvWP(), ka, as.BinMap{"v": "a"})
	srvMustPut(t, c, srvWP(), kb, as.BinMap{"v": "b"})
	if r := srvMustGet(t, c, ka); r.Bins["v"] != "a" {
		t.Fatalf("alpha: %v", r.Bins)
	}
	if r := srvMustGet(t, c, kb); r.Bins["v"] != "b" {
		t.Fatalf("beta: %v", r.Bins)
	}
	if _, err := c.Get(nil, srvKey(t, srvNS, "s", "k")); !srvIsCode(err, types.INVALID_NAMESPACE) {
		t.Fatalf("default namespace served although not configured: %v", err)
	}
	m := srvInfo(t, c, "namespaces", "cluster-name", "node")
	if m["namespaces"] != "alpha;beta" || m["cluster-name"] != "mxn-ci" || m["node"] != "N1" {
		t.Fatalf("info = %v", m)
	}
	if err := c.Truncate(nil, "alpha", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(nil, ka); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("alpha record survived truncate: %v", err)
	}
	srvMustGet(t, c, kb)

	// No cluster name in the policy: connects to any cluster.
	srvConnect(t, srv, nil)

	// The wrong cluster name: the client must not connect.
	bad := srvClientPolicy()
	bad.ClusterName = "other-cluster"
	bad.Timeout = time.Second
	if bc, err := as.NewClientWithPolicy(bad, srv.Host(), srv.Port()); err == nil {
		bc.Close()
		t.Fatal("client with the wrong cluster name connected")
	}

	// Invalid options.
	if _, err := aerolite.NewServer(aerolite.Options{Namespaces: []string{strings.Repeat("n", 32)}}); err == nil {
		t.Fatal("a 32-byte namespace name was accepted")
	}
	if _, err := aerolite.NewServer(aerolite.Options{Namespaces: []string{""}}); err == nil {
		t.Fatal("an empty namespace name was accepted")
	}
	if s2, err := aerolite.NewServer(aerolite.Options{Listen: srv.Addr()}); err == nil {
		s2.Close()
		t.Fatal("a second server listened on a used address")
	}
}

func TestServerMaxRecordSize(t *testing.T) {
	srv := srvStart(t, aerolite.Options{MaxRecordSize: 4096})
	c := srvConnect(t, srv, nil)
	key := srvKey(t, srvNS, "big", 1)
	srvMustPut(t, c, srvWP(), key, as.BinMap{"b": make([]byte, 1000)})
	if err := c.Put(srvWP(), key, as.BinMap{"c": make([]byte, 5000)}); !srvIsCode(err, types.RECORD_TOO_BIG) {
		t.Fatalf("oversized put: %v", err)
	}
	if r := srvMustGet(t, c, key); len(r.Bins) != 1 || r.Generation != 1 {
		t.Fatalf("a refused oversized write changed the record: %d bins, gen %d", len(r.Bins), r.Generation)
	}
}

func TestServerRunTwiceDifferentPorts(t *testing.T) {
	a, err := aerolite.Run()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := aerolite.Run()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Port() == b.Port() || a.Addr() == b.Addr() {
		t.Fatalf("two servers on the same address %s", a.Addr())
	}
	if a.Host() != "127.0.0.1" || b.Host() != "127.0.0.1" {
		t.Fatalf("servers listen on %s and %s, want 127.0.0.1", a.Host(), b.Host())
	}
	// Independent stores.
	ca, cb := srvConnect(t, a, nil), srvConnect(t, b, nil)
	key := srvKey(t, srvNS, "s", 1)
	srvMustPut(t, ca, srvWP(), key, as.BinMap{"v": 1})
	if _, err := cb.Get(nil, key); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("second server sees the first one's record: %v", err)
	}
}

// srvServerGoroutines counts goroutines running aerolite server code.
func srvServerGoroutines() (int, string) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	var sample string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "pkg/aerolite.(*Server)") {
			n++
			if sample == "" {
				sample = g
			}
		}
	}
	return n, sample
}

func TestServerCloseNoLeak(t *testing.T) {
	// Other tests' servers close in their cleanups; wait for them to go.
	srvWaitGoroutines(t, 0)

	srv, err := aerolite.Run()
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	c, err := as.NewClientWithPolicy(srvClientPolicy(), srv.Host(), srv.Port())
	if err != nil {
		t.Fatal(err)
	}
	key := srvKey(t, srvNS, "close", 1)
	srvMustPut(t, c, srvWP(), key, as.BinMap{"v": 1})
	if _, err := c.WarmUp(8); err != nil {
		t.Fatal(err)
	}
	// An idle raw connection, and one stuck in the middle of a frame. An
	// info request answered on each first shows that the server accepted
	// both and serves them.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	half, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	for _, conn := range []net.Conn{idle, half} {
		srvSendFrame(t, conn, 1, []byte("build\n"))
		srvReadFrame(t, conn)
	}
	if _, err := half.Write(srvFrame(3, make([]byte, 100))[:20]); err != nil {
		t.Fatal(err)
	}
	if n, _ := srvServerGoroutines(); n < 4 { // accept, reap, >= 2 connections
		t.Fatalf("%d server goroutines before Close", n)
	}

	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	// Close waited for every server goroutine; allow the last ones a moment
	// to return after their final wg.Done.
	srvWaitGoroutines(t, 0)
	// Connections were closed by the server.
	for name, conn := range map[string]net.Conn{"idle": idle, "half": half} {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Read(make([]byte, 1)); err == nil || srvIsTimeout(err) {
			t.Fatalf("%s connection still open after Close: %v", name, err)
		}
	}
	// The listener is closed.
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("listener still accepts after Close")
	}
	// The client's commands fail, without hanging.
	rp := as.NewPolicy()
	rp.TotalTimeout = 2 * time.Second
	if _, err := c.Get(rp, key); err == nil {
		t.Fatal("Get succeeded after Close")
	}
	c.Close()
	// Close is idempotent.
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// srvIsTimeout reports whether err is a network timeout (a read that times
// out means the server left the connection open).
func srvIsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// srvWaitGoroutines waits until at most n goroutines run server code.
func srvWaitGoroutines(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		got, sample := srvServerGoroutines()
		if got <= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d server goroutines still running, e.g.\n%s", got, sample)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServerCloseUnderLoad closes a server under load: Close returns,
// every server goroutine ends, and the clients see errors, not hangs.
func TestServerCloseUnderLoad(t *testing.T) {
	srv, err := aerolite.Run()
	if err != nil {
		t.Fatal(err)
	}
	c, err := as.NewClientWithPolicy(srvClientPolicy(), srv.Host(), srv.Port())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stop := make(chan struct{})
	var ops atomic.Int64
	loaded := make(chan struct{}) // closed at the 200th successful write
	done := make(chan struct{})
	const workers = 8
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			wp := srvWP()
			wp.TotalTimeout = time.Second
			key := srvKey(t, srvNS, "load", w)
			for i := 0; i < 100000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := c.Put(wp, key, as.BinMap{"i": i}); err == nil && ops.Add(1) == 200 {
					close(loaded)
				}
			}
		}(w)
	}
	select {
	case <-loaded:
	case <-time.After(5 * time.Second): // close anyway; at least one write must have succeeded
	}
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close under load did not return")
	}
	close(stop)
	for w := 0; w < workers; w++ {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("a client worker hung after Close")
		}
	}
	srvWaitGoroutines(t, 0)
	if ops.Load() == 0 {
		t.Fatal("no writes succeeded before Close")
	}
}

// The server reuses a connection's read buffer for the next frame: stored
// values must not alias it. One raw connection carries every write (string,
// blob and user key values), then later frames overwrite the buffer and the
// records are read back with the client.
func TestServerStoredValuesDoNotAliasFrames(t *testing.T) {
	srv, c := srvSetup(t)
	conn := srvDial(t, srv)
	const n = 100
	put := func(set string, i, v int) *as.Key {
		t.Helper()
		uk := fmt.Sprintf("user-key-%04d", i)
		key := srvKey(t, srvNS, set, uk)
		fields := []srvField{{0, []byte(srvNS)}, {1, []byte(set)}, {4, key.Digest()}, {2, append([]byte{3}, uk...)}}
		ops := []srvOp{
			{2, 3, "s", []byte(fmt.Sprintf("string-%04d", v))},
			{2, 4, "b", []byte(fmt.Sprintf("blob-%04d", v))},
		}
		srvSendFrame(t, conn, 3, srvMsg(0, 1, 0, fields, ops))
		if _, body := srvReadFrame(t, conn); srvResultCode(t, body) != types.OK {
			t.Fatalf("raw put answered %d", srvResultCode(t, body))
		}
		return key
	}
	keys := make([]*as.Key, n)
	for i := range keys {
		keys[i] = put("alias", i, i)
	}
	for i := 0; i < n; i++ { // same sizes, other contents
		put("other", i, n+i)
	}
	for i, key := range keys {
		rec := srvMustGet(t, c, key)
		if rec.Bins["s"] != fmt.Sprintf("string-%04d", i) || string(rec.Bins["b"].([]byte)) != fmt.Sprintf("blob-%04d", i) {
			t.Fatalf("record %d changed after later frames: %v", i, rec.Bins)
		}
	}
	for _, r := range srvDrain(t)(c.ScanAll(nil, srvNS, "alias")) {
		k, _ := r.Key.Value().GetObject().(string)
		if !bytes.Equal(srvKey(t, srvNS, "alias", k).Digest(), r.Key.Digest()) {
			t.Fatalf("stored user key %q does not match its digest", k)
		}
	}
}

// Regression: the client sends an empty SET field for ScanAll(ns, "") (and
// any scan with set ""), which the server reads as "the whole namespace"
// (aerolite once read it as "records without a set").
func TestServerScanEmptySetIsWholeNamespace(t *testing.T) {
	_, c := srvSetup(t)
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "a", 1), as.BinMap{"v": 1})
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "b", 1), as.BinMap{"v": 1})
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "", 1), as.BinMap{"v": 1})
	if got := len(srvDrain(t)(c.ScanAll(nil, srvNS, ""))); got != 3 {
		t.Fatalf("ScanAll(%q, \"\") returned %d records, want 3 (every set)", srvNS, got)
	}
	got := 0
	for _, r := range srvRanges(4096, 4) {
		got += len(srvDrain(t)(c.ScanPartitions(nil, as.NewPartitionFilterByRange(r[0], r[1]), srvNS, "")))
	}
	if got != 3 {
		t.Fatalf("partition-range scans with set \"\" returned %d records, want 3", got)
	}
}

// Regression: a secondary index created without a set covers the whole
// namespace on the server; aerolite indexes only records without a set.
func TestServerNamespaceIndexCoversAllSets(t *testing.T) {
	_, c := srvSetup(t)
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "a", 1), as.BinMap{"v": 1})
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "b", 1), as.BinMap{"v": 1})
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "", 1), as.BinMap{"v": 1})
	task, err := c.CreateIndex(nil, srvNS, "", "ns_wide_v", "v", as.NUMERIC)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-task.OnComplete(); err != nil {
		t.Fatal(err)
	}
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "c", 1), as.BinMap{"v": 1}) // after creation
	stmt := as.NewStatement(srvNS, "")
	stmt.SetFilter(as.NewEqualFilter("v", 1))
	if got := len(srvDrain(t)(c.Query(nil, stmt))); got != 4 {
		t.Fatalf("namespace-wide index query returned %d records, want 4 (every set)", got)
	}
}
