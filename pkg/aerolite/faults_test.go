package aerolite_test

// Fault injection acceptance tests: what a client sees when aerolite drops
// a connection before or after applying a command, answers with a chosen
// result code, delays, or refuses a write for the pending limit.

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

// srvRP is a read policy without retries.
func srvRP() *as.BasePolicy {
	p := as.NewPolicy()
	p.MaxRetries = 0
	p.TotalTimeout = 5 * time.Second
	p.SocketTimeout = 5 * time.Second
	return p
}

func srvAsError(t *testing.T, err error) as.Error {
	t.Helper()
	var ae as.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an as.Error", err, err)
	}
	return ae
}

// TestFaultsDropAfterInDoubt is the acceptance test for in-doubt writes:
// the server applies the write and drops the connection instead of
// answering; the client reports an in-doubt error and the write is there.
func TestFaultsDropAfterInDoubt(t *testing.T) {
	srv, c := srvSetup(t)
	key := srvKey(t, srvNS, "faults", "after")
	other := srvKey(t, srvNS, "faults", "other")
	srvMustPut(t, c, srvWP(), other, as.BinMap{"v": 0})

	srv.Faults().Next(aerolite.DropAfter, 1, true)
	// A read is not a write: writesOnly leaves it alone.
	if _, err := c.Get(srvRP(), other); err != nil {
		t.Fatalf("Get with a pending writes-only fault: %v", err)
	}
	wp := srvWP()
	wp.MaxRetries = 0
	err := c.Put(wp, key, as.BinMap{"v": "stored", "n": 7})
	if err == nil {
		t.Fatal("Put succeeded although the connection was dropped after the write")
	}
	ae := srvAsError(t, err)
	if !ae.IsInDoubt() {
		t.Fatalf("Put error is not in doubt: %v", err)
	}
	if got := srv.Faults().Count(aerolite.DropAfter); got != 1 {
		t.Fatalf("Count(DropAfter) = %d, want 1", got)
	}
	rec, err := c.Get(srvRP(), key)
	if err != nil {
		t.Fatalf("Get after an in-doubt write: %v (the write must be stored)", err)
	}
	if rec.Bins["v"] != "stored" || rec.Bins["n"] != 7 || rec.Generation != 1 {
		t.Fatalf("record after the in-doubt write: %v gen %d", rec.Bins, rec.Generation)
	}

	// The fault was used up: the next write is answered normally.
	srvMustPut(t, c, wp, key, as.BinMap{"n": 8})

	// A non-idempotent operate: dropped after applying, it applied exactly
	// once (no retry with MaxRetries 0).
	srv.Faults().Next(aerolite.DropAfter, 1, true)
	_, err = c.Operate(wp, key, as.AddOp(as.NewBin("n", 10)), as.GetBinOp("n"))
	if err == nil || !srvAsError(t, err).IsInDoubt() {
		t.Fatalf("Operate with DropAfter: %v, want an in-doubt error", err)
	}
	if rec := srvMustGet(t, c, key); rec.Bins["n"] != 18 || rec.Generation != 3 {
		t.Fatalf("after an in-doubt add: n = %v gen %d, want 18 gen 3", rec.Bins["n"], rec.Generation)
	}
	// n > 1 drops several writes in a row; reads pass through.
	srv.Faults().Next(aerolite.DropAfter, 2, true)
	for i := 0; i < 2; i++ {
		if err := c.Put(wp, key, as.BinMap{"i": i}); err == nil || !srvAsError(t, err).IsInDoubt() {
			t.Fatalf("write %d of 2 with DropAfter: %v", i, err)
		}
		if rec := srvMustGet(t, c, key); rec.Bins["i"] != i {
			t.Fatalf("write %d of 2 not stored: %v", i, rec.Bins)
		}
	}
	srvMustPut(t, c, wp, key, as.BinMap{"i": 2})
	if got := srv.Faults().Count(aerolite.DropAfter); got != 4 {
		t.Fatalf("Count(DropAfter) = %d, want 4", got)
	}
}

func TestFaultsDropBeforeNotStored(t *testing.T) {
	srv, c := srvSetup(t)
	key := srvKey(t, srvNS, "faults", "before")
	wp := srvWP()

	srv.Faults().Next(aerolite.DropBefore, 1, true)
	if err := c.Put(wp, key, as.BinMap{"v": 1}); err == nil {
		t.Fatal("Put succeeded although the connection was dropped before the write")
	}
	if _, err := c.Get(srvRP(), key); !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("Get after a write dropped before applying: %v, want KEY_NOT_FOUND", err)
	}
	// An existing record is left unchanged.
	srvMustPut(t, c, wp, key, as.BinMap{"v": 2})
	srv.Faults().Next(aerolite.DropBefore, 1, true)
	if _, err := c.Operate(wp, key, as.AddOp(as.NewBin("v", 40))); err == nil {
		t.Fatal("Operate succeeded although dropped")
	}
	if rec := srvMustGet(t, c, key); rec.Bins["v"] != 2 || rec.Generation != 1 {
		t.Fatalf("record after a dropped operate: %v gen %d", rec.Bins, rec.Generation)
	}
	// Reads can be dropped too when writesOnly is false.
	srv.Faults().Next(aerolite.DropBefore, 1, false)
	if _, err := c.Get(srvRP(), key); err == nil {
		t.Fatal("Get succeeded although dropped")
	}
	srvMustGet(t, c, key)
	if got := srv.Faults().Count(aerolite.DropBefore); got != 3 {
		t.Fatalf("Count(DropBefore) = %d, want 3", got)
	}
}

func TestFaultsFailWithCode(t *testing.T) {
	srv, c := srvSetup(t)
	key := srvKey(t, srvNS, "faults", "code")
	srvMustPut(t, c, srvWP(), key, as.BinMap{"v": 1})

	srv.Faults().Set(aerolite.FaultConfig{FailPct: 100, FailCode: 14, Seed: 1})
	err := c.Put(srvWP(), key, as.BinMap{"v": 2, "new": true})
	if !srvIsCode(err, types.KEY_BUSY) {
		t.Fatalf("Put with FailPct 100: %v, want KEY_BUSY", err)
	}
	if srvAsError(t, err).IsInDoubt() {
		t.Fatalf("a KEY_BUSY answer is not in doubt: %v", err)
	}
	if _, err := c.Operate(srvWP(), key, as.AddOp(as.NewBin("v", 5))); !srvIsCode(err, types.KEY_BUSY) {
		t.Fatalf("Operate with FailPct 100: %v, want KEY_BUSY", err)
	}
	// Without WritesOnly, reads fail too.
	if _, err := c.Get(srvRP(), key); !srvIsCode(err, types.KEY_BUSY) {
		t.Fatalf("Get with FailPct 100: %v, want KEY_BUSY", err)
	}
	if got := srv.Faults().Count(aerolite.FailWithCode); got != 3 {
		t.Fatalf("Count(FailWithCode) = %d, want 3", got)
	}
	srv.Faults().Clear()
	if rec := srvMustGet(t, c, key); rec.Bins["v"] != 1 || len(rec.Bins) != 1 || rec.Generation != 1 {
		t.Fatalf("failed commands changed the record: %v gen %d", rec.Bins, rec.Generation)
	}

	// WritesOnly, another code, and batches: only writes fail.
	srv.Faults().Set(aerolite.FaultConfig{FailPct: 100, FailCode: 18, WritesOnly: true})
	if err := c.Put(srvWP(), key, as.BinMap{"v": 3}); !srvIsCode(err, types.DEVICE_OVERLOAD) {
		t.Fatalf("Put with FailCode 18: %v", err)
	}
	srvMustGet(t, c, key)
	srv.Faults().Clear()
	srvMustPut(t, c, srvWP(), key, as.BinMap{"v": 3})

	// The default code is KEY_BUSY.
	srv.Faults().Set(aerolite.FaultConfig{FailPct: 100})
	if err := c.Put(srvWP(), key, as.BinMap{"v": 4}); !srvIsCode(err, types.KEY_BUSY) {
		t.Fatalf("Put with the default FailCode: %v", err)
	}
	srv.Faults().Clear()
	srv.Faults().Next(aerolite.FailWithCode, 1, true)
	if err := c.Put(srvWP(), key, as.BinMap{"v": 4}); !srvIsCode(err, types.KEY_BUSY) {
		t.Fatalf("Put with Next(FailWithCode): %v", err)
	}
	if rec := srvMustGet(t, c, key); rec.Bins["v"] != 3 {
		t.Fatalf("failed writes changed the record: %v", rec.Bins)
	}
}

// srvFaultRun runs a fixed command sequence against a fresh server with
// cfg and returns the outcome of each command and the fault counts.
func srvFaultRun(t *testing.T, cfg aerolite.FaultConfig, n int) ([]string, map[aerolite.FaultKind]int) {
	t.Helper()
	srv := srvStart(t, aerolite.Options{})
	c := srvConnect(t, srv, nil)
	srv.Faults().Set(cfg)
	wp := srvWP()
	out := make([]string, n)
	for i := 0; i < n; i++ {
		key := srvKey(t, srvNS, "det", i%10)
		var err error
		switch i % 3 {
		case 0, 1:
			_, err = c.Operate(wp, key, as.AddOp(as.NewBin("n", 1)), as.GetBinOp("n"))
		case 2:
			_, err = c.Get(srvRP(), key)
		}
		switch {
		case err == nil:
			out[i] = "ok"
		case srvIsCode(err, types.KEY_BUSY):
			out[i] = "busy"
		case srvIsCode(err, types.KEY_NOT_FOUND_ERROR):
			out[i] = "notfound"
		default:
			out[i] = "dropped"
		}
	}
	srv.Faults().Clear()
	counts := map[aerolite.FaultKind]int{}
	for _, k := range []aerolite.FaultKind{aerolite.DropBefore, aerolite.DropAfter, aerolite.FailWithCode, aerolite.Delay} {
		counts[k] = srv.Faults().Count(k)
	}
	// The stored values are part of the outcome: drops before and after
	// applying leave different records.
	for k := 0; k < 10; k++ {
		rec, err := c.Get(srvRP(), srvKey(t, srvNS, "det", k))
		if err != nil {
			out = append(out, "final:"+err.Error())
		} else {
			out = append(out, fmt.Sprintf("final:%v", rec.Bins["n"]))
		}
	}
	return out, counts
}

func TestFaultsDeterministicSeed(t *testing.T) {
	cfg := aerolite.FaultConfig{Seed: 42, DropBeforePct: 5, DropAfterPct: 5, FailPct: 10, FailCode: 14, DelayPct: 5, Delay: time.Millisecond}
	const n = 240
	a, ca := srvFaultRun(t, cfg, n)
	b, cb := srvFaultRun(t, cfg, n)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different outcome at command %d: %q vs %q\n%v\n%v", i, a[i], b[i], a, b)
		}
	}
	for k, v := range ca {
		if cb[k] != v {
			t.Fatalf("fault counts differ: %v vs %v", ca, cb)
		}
		if v == 0 {
			t.Fatalf("no fault of kind %d in %d commands: %v", k, n, ca)
		}
	}
	faulted := func(o []string) []int {
		var idx []int
		for i, s := range o[:n] {
			if s == "busy" || s == "dropped" {
				idx = append(idx, i)
			}
		}
		return idx
	}
	t.Logf("faulted commands: %v, counts %v", faulted(a), ca)

	// Another seed gives another pattern.
	cfg.Seed = 43
	c, _ := srvFaultRun(t, cfg, n)
	if strings.Join(a, ",") == strings.Join(c, ",") {
		t.Fatal("seeds 42 and 43 injected identical faults")
	}

	// WritesOnly: reads are never faulted and draw nothing.
	cfg = aerolite.FaultConfig{Seed: 7, FailPct: 50, WritesOnly: true}
	w, cw := srvFaultRun(t, cfg, 60)
	for i := 0; i < 60; i++ {
		if i%3 == 2 && (w[i] == "busy" || w[i] == "dropped") {
			t.Fatalf("read %d faulted with WritesOnly: %q", i, w[i])
		}
	}
	if cw[aerolite.FailWithCode] == 0 {
		t.Fatal("no write faulted at FailPct 50")
	}
}

// srvAsync makes a client call in a goroutine; its error arrives on the
// channel.
func srvAsync(fn func() error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	return done
}

// srvWaitHeld waits until the server holds a delayed reply on clk. done,
// if not nil, is the call's channel: the call returning first means its
// reply was not held.
func srvWaitHeld(t *testing.T, clk *aerolite.ManualClock, done <-chan error) {
	t.Helper()
	held := make(chan struct{})
	go func() { clk.BlockUntil(1); close(held) }()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("reply not held by the Delay fault (the call returned %v)", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no reply held by the Delay fault after 10s")
	}
}

// srvHeldFor checks that the server holds the reply of the call behind
// done for exactly d of the manual clock: the reply is held until the
// clock is a millisecond short of d, and released at d. It returns the
// call's error.
func srvHeldFor(t *testing.T, srv *aerolite.Server, clk *aerolite.ManualClock, done <-chan error, d time.Duration) error {
	t.Helper()
	srvWaitHeld(t, clk, done)
	srv.FastForward(d - time.Millisecond)
	if n := clk.Waiters(); n != 1 {
		t.Fatalf("%d replies held %v into a delay of %v, want 1", n, d-time.Millisecond, d)
	}
	select {
	case err := <-done:
		t.Fatalf("reply released %v into a delay of %v (%v)", d-time.Millisecond, d, err)
	default:
	}
	srv.FastForward(time.Millisecond)
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("reply still held once the delay of %v passed", d)
		return nil
	}
}

// The Delay fault on a manual clock: replies are held for exactly the
// configured delay of the server's time, only for the commands it picks,
// and after the command has been applied. No sleeping and no measuring of
// real time.
func TestFaultsDelay(t *testing.T) {
	clk := aerolite.NewManualClock(time.Now())
	srv := srvStart(t, aerolite.Options{Clock: clk})
	c := srvConnect(t, srv, nil)
	key := srvKey(t, srvNS, "faults", "delay")
	srvMustPut(t, c, srvWP(), key, as.BinMap{"v": 1})
	get := func() error { _, err := c.Get(srvRP(), key); return err }

	// Next(Delay) without a configured delay: 50ms.
	srv.Faults().Next(aerolite.Delay, 1, false)
	if err := srvHeldFor(t, srv, clk, srvAsync(get), 50*time.Millisecond); err != nil {
		t.Fatalf("delayed Get: %v", err)
	}
	// The configured delay, and only for the next command: the Get after
	// it answers with the clock standing still (a held reply would time
	// out).
	srv.Faults().Set(aerolite.FaultConfig{Delay: 300 * time.Millisecond})
	srv.Faults().Next(aerolite.Delay, 1, false)
	if err := srvHeldFor(t, srv, clk, srvAsync(get), 300*time.Millisecond); err != nil {
		t.Fatalf("delayed Get: %v", err)
	}
	if err := get(); err != nil {
		t.Fatalf("Get after the delay fault: %v", err)
	}
	if n := clk.Waiters(); n != 0 {
		t.Fatalf("%d replies held after the Get that follows the delay fault", n)
	}

	// A delay longer than the client's timeout: the write times out in
	// doubt, yet it was applied (the delay comes after the command) while
	// its reply is still held.
	srv.Faults().Next(aerolite.Delay, 1, true)
	wp := srvWP()
	wp.TotalTimeout = 60 * time.Millisecond
	wp.SocketTimeout = 60 * time.Millisecond
	err := c.Put(wp, key, as.BinMap{"v": 2})
	if err == nil {
		t.Fatal("Put slower than its timeout succeeded")
	}
	if !srvAsError(t, err).IsInDoubt() {
		t.Fatalf("timed-out write is not in doubt: %v", err)
	}
	srvWaitHeld(t, clk, nil)
	srv.CheckGet(t, srvNS, "faults", "delay", map[string]any{"v": 2})
	if rec := srvMustGet(t, c, key); rec.Bins["v"] != 2 {
		t.Fatalf("delayed write not applied: %v", rec.Bins)
	}
	srv.FastForward(300 * time.Millisecond) // the held reply goes to a closed connection
	if n := clk.Waiters(); n != 0 {
		t.Fatalf("%d replies held after the delay passed", n)
	}

	// Random delays with WritesOnly: reads are not held, writes are.
	srv.Faults().Set(aerolite.FaultConfig{DelayPct: 100, Delay: 300 * time.Millisecond, WritesOnly: true})
	if err := get(); err != nil {
		t.Fatalf("read with WritesOnly delays: %v", err)
	}
	put := func() error { return c.Put(srvWP(), key, as.BinMap{"v": 3}) }
	if err := srvHeldFor(t, srv, clk, srvAsync(put), 300*time.Millisecond); err != nil {
		t.Fatalf("delayed Put: %v", err)
	}
	srv.CheckGet(t, srvNS, "faults", "delay", map[string]any{"v": 3})
	if got := srv.Faults().Count(aerolite.Delay); got != 4 {
		t.Fatalf("Count(Delay) = %d, want 4", got)
	}
	srv.Faults().Clear()
}

// srvPendingRun hammers one hot key with concurrent adds while pairs of
// writers update other keys. It returns the KEY_BUSY counts (hot, others)
// after checking that every successful add, and nothing else, is counted.
func srvPendingRun(t *testing.T, limit int) (hotBusy, otherBusy int64) {
	t.Helper()
	srv := srvStart(t, aerolite.Options{PendingLimit: limit})
	c := srvConnect(t, srv, nil)
	hot := srvKey(t, srvNS, "pending", "hot")
	// A large bin makes every write of the hot record take a while (the
	// server re-encodes the record to check its size), so writers queue.
	big := make([]any, 20000)
	for i := range big {
		big[i] = i
	}
	srvMustPut(t, c, srvWP(), hot, as.BinMap{"big": big, "n": 0})

	const hotWriters, perWriter, otherKeys = 32, 15, 4
	var hotOK, hotBusyN, otherBusyN atomic.Int64
	otherOK := make([]atomic.Int64, otherKeys)
	var unexpected atomic.Value
	var wg sync.WaitGroup
	stopOthers := make(chan struct{})
	var othersWG sync.WaitGroup
	for k := 0; k < otherKeys; k++ {
		for w := 0; w < 2; w++ { // two writers per key: within the limit
			othersWG.Add(1)
			key := srvKey(t, srvNS, "pending", k)
			go func(k int) {
				defer othersWG.Done()
				for i := 0; i < 2000; i++ {
					select {
					case <-stopOthers:
						return
					default:
					}
					_, err := c.Operate(srvWP(), key, as.AddOp(as.NewBin("n", 1)))
					switch {
					case err == nil:
						otherOK[k].Add(1)
					case srvIsCode(err, types.KEY_BUSY):
						otherBusyN.Add(1)
					default:
						unexpected.CompareAndSwap(nil, fmt.Sprintf("other key %d: %v", k, err))
					}
				}
			}(k)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for round := 0; round < 5 && time.Now().Before(deadline); round++ {
		for w := 0; w < hotWriters; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < perWriter; i++ {
					_, err := c.Operate(srvWP(), hot, as.AddOp(as.NewBin("n", 1)))
					switch {
					case err == nil:
						hotOK.Add(1)
					case srvIsCode(err, types.KEY_BUSY):
						var ae as.Error
						if errors.As(err, &ae) && ae.IsInDoubt() {
							unexpected.CompareAndSwap(nil, "KEY_BUSY in doubt: "+err.Error())
						}
						hotBusyN.Add(1)
					default:
						unexpected.CompareAndSwap(nil, "hot key: "+err.Error())
					}
				}
			}()
		}
		wg.Wait()
		// With a limit, repeat until contention produced a KEY_BUSY (the
		// first round nearly always does); without one, a round suffices.
		if limit <= 0 || hotBusyN.Load() > 0 {
			break
		}
	}
	close(stopOthers)
	othersWG.Wait()
	if u := unexpected.Load(); u != nil {
		t.Fatalf("unexpected error: %v", u)
	}
	rec := srvMustGet(t, c, hot, "n")
	if got := int64(rec.Bins["n"].(int)); got != hotOK.Load() {
		t.Fatalf("hot key: %d successful adds but n = %d (a refused write left a trace)", hotOK.Load(), got)
	}
	for k := 0; k < otherKeys; k++ {
		rec := srvMustGet(t, c, srvKey(t, srvNS, "pending", k), "n")
		if got := int64(rec.Bins["n"].(int)); got != otherOK[k].Load() {
			t.Fatalf("key %d: %d successful adds but n = %d", k, otherOK[k].Load(), got)
		}
	}
	t.Logf("limit %d: hot key %d ok, %d KEY_BUSY; other keys %d KEY_BUSY", limit, hotOK.Load(), hotBusyN.Load(), otherBusyN.Load())
	return hotBusyN.Load(), otherBusyN.Load()
}

func TestFaultsPendingLimitKeyBusy(t *testing.T) {
	hotBusy, otherBusy := srvPendingRun(t, 2)
	if hotBusy == 0 {
		t.Fatal("32 concurrent writers on one key with PendingLimit 2 never saw KEY_BUSY")
	}
	if otherBusy != 0 {
		t.Fatalf("keys with two writers each saw %d KEY_BUSY with PendingLimit 2", otherBusy)
	}
}

func TestFaultsPendingLimitDisabled(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	hotBusy, otherBusy := srvPendingRun(t, -1)
	if hotBusy != 0 || otherBusy != 0 {
		t.Fatalf("PendingLimit -1 still answered KEY_BUSY (%d, %d)", hotBusy, otherBusy)
	}
}

// Regression: writes-only faults never hit batch writes. The client sends a
// batch with INFO2 = 0 in the message header (the write flags are in each
// entry), and Faults.decide classifies commands by the header alone, so
// Next(kind, n, true) and FaultConfig.WritesOnly skip BatchOperate writes.
// (A BatchOperate of one key is sent as a single-record command, so this
// needs two keys.)
func TestFaultsWritesOnlyCoversBatchWrites(t *testing.T) {
	srv, c := srvSetup(t)
	key := srvKey(t, srvNS, "faults", "batch")
	srv.Faults().Next(aerolite.DropAfter, 1, true)
	bp := as.NewBatchPolicy()
	bp.MaxRetries = 0
	key2 := srvKey(t, srvNS, "faults", "batch2")
	err := c.BatchOperate(bp, []as.BatchRecordIfc{
		as.NewBatchWrite(nil, key, as.PutOp(as.NewBin("v", 1))),
		as.NewBatchWrite(nil, key2, as.PutOp(as.NewBin("v", 1))),
	})
	if err == nil {
		t.Fatalf("batch write with a pending writes-only DropAfter succeeded (faults injected: %d)",
			srv.Faults().Count(aerolite.DropAfter))
	}
	// A batch of reads only is still not a write.
	srv.Faults().Clear()
	srv.Faults().Next(aerolite.DropBefore, 1, true)
	if _, err := c.BatchGet(nil, []*as.Key{key, key2}); err != nil && !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Fatalf("batch read hit a writes-only fault: %v", err)
	}
}

// Regression: Next(kind, 0, ...) injects one fault instead of none.
func TestFaultsNextZeroIsNoop(t *testing.T) {
	srv, c := srvSetup(t)
	srv.Faults().Next(aerolite.FailWithCode, 0, false)
	if err := c.Put(srvWP(), srvKey(t, srvNS, "faults", "zero"), as.BinMap{"v": 1}); err != nil {
		t.Fatalf("Put after Next(FailWithCode, 0): %v", err)
	}
}
