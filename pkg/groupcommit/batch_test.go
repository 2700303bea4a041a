package groupcommit

import (
	"errors"
	"reflect"
	"runtime"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/aerolite"
	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// rewrite wraps a client and changes what its BatchOperate reports.
type rewrite struct {
	txn.Client
	// before, if set, answers instead of sending.
	before func(recs []as.BatchRecordIfc) as.Error
	// after changes the records and error of a batch that was sent.
	after func(recs []as.BatchRecordIfc, err as.Error) as.Error
}

func (r *rewrite) BatchOperate(p *as.BatchPolicy, recs []as.BatchRecordIfc) as.Error {
	if r.before != nil {
		return r.before(recs)
	}
	err := r.Client.BatchOperate(p, recs)
	if r.after != nil {
		err = r.after(recs, err)
	}
	return err
}

func userKey(r as.BatchRecordIfc) string { return r.BatchRec().Key.Value().String() }

func (e *env) putBins(t *testing.T, name string, bins as.BinMap) {
	t.Helper()
	if err := e.Client.Put(nil, e.key(t, e.set, name), bins); err != nil {
		t.Fatal(err)
	}
}

func (e *env) bal(t *testing.T, name string) any {
	t.Helper()
	r, err := e.Client.Get(nil, e.key(t, e.set, name))
	if err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	return r.Bins["bal"]
}

func wantCode(t *testing.T, what string, err error, code types.ResultCode, class lock.Class) {
	t.Helper()
	o := outcomeOf(nil, err)
	if err == nil || o.Code != code || o.Class != class || o.InDoubt != (class == lock.InDoubt) {
		t.Errorf("%s: %v, want %v (%v)", what, o, code, class)
	}
}

// TestMixedOutcomes sends calls that succeed and fail in one batch; each
// caller gets its own answer. A second call on a key already in the
// batch waits for the next one.
func TestMixedOutcomes(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"k1", "k2", "k3", "k5", "k6", "k7", "busy"} {
		e.putBins(t, n, as.BinMap{"bal": 1})
	}
	inner := &rewrite{Client: e.Client, after: func(recs []as.BatchRecordIfc, err as.Error) as.Error {
		for _, r := range recs {
			if userKey(r) == "busy" { // as the server answers a record with too many commands queued
				br := r.BatchRec()
				br.ResultCode, br.Record, br.Err = types.KEY_BUSY, nil, &as.AerospikeError{ResultCode: types.KEY_BUSY}
			}
		}
		return err
	}}
	gc := New(inner, oneInFlight)
	defer gc.Close()
	k := func(n string) *as.Key { return e.key(t, e.set, n) }
	genWrong := writePolicy()
	genWrong.GenerationPolicy, genWrong.Generation = as.EXPECT_GEN_EQUAL, 99
	createOnly := writePolicy()
	createOnly.RecordExistsAction = as.CREATE_ONLY
	filterOut := writePolicy()
	filterOut.FilterExpression = as.ExpLess(as.ExpIntBin("bal"), as.ExpIntVal(0))

	var ra, rf, rh *as.Record
	var ea, eb, ec, ed, ee, ef, eg, eh, ei error
	recs := []as.BatchRecordIfc{
		as.NewBatchWrite(nil, k("k6"), as.AddOp(as.NewBin("bal", 5)), as.GetBinOp("bal")),
		as.NewBatchRead(nil, k("k7"), nil),
	}
	together(t, gc, func() { _, _ = gc.Get(readPolicy(), k("pad")) },
		func() { ra, ea = gc.Operate(writePolicy(), k("k1"), as.AddOp(as.NewBin("bal", 1)), as.GetBinOp("bal")) },
		func() { _, eb = gc.Operate(genWrong, k("k2"), as.AddOp(as.NewBin("bal", 1))) },
		func() { ec = gc.Put(createOnly, k("k3"), as.BinMap{"x": 1}) },
		func() { _, ed = gc.Get(readPolicy(), k("k4")) },
		func() { _, ee = gc.Operate(filterOut, k("k5"), as.AddOp(as.NewBin("bal", 1))) },
		func() {
			rf, ef = gc.Operate(writePolicy(), k("k1"), as.AddOp(as.NewBin("bal", 10)), as.GetBinOp("bal"))
		},
		func() { eg = gc.BatchOperate(batchPolicy(), recs) },
		func() { rh, eh = gc.Get(readPolicy(), k("k3")) },
		func() { _, ei = gc.Operate(writePolicy(), k("busy"), as.AddOp(as.NewBin("bal", 1))) },
	)
	if ea != nil || ef != nil {
		t.Fatalf("adds on k1: %v, %v", ea, ef)
	}
	// The two adds on k1 went out in two batches, in either order.
	a, f := ra.Bins["bal"], rf.Bins["bal"]
	if !(a == 2 && f == 12 || a == 12 && f == 11) {
		t.Errorf("adds on k1 saw %v and %v", a, f)
	}
	wantCode(t, "generation", eb, types.GENERATION_ERROR, lock.Conflict)
	wantCode(t, "create-only put", ec, types.KEY_EXISTS_ERROR, lock.Conflict)
	wantCode(t, "get missing", ed, types.KEY_NOT_FOUND_ERROR, lock.Fatal)
	wantCode(t, "filtered", ee, types.FILTERED_OUT, lock.Conflict)
	wantCode(t, "busy", ei, types.KEY_BUSY, lock.Busy)
	if eg != nil {
		t.Errorf("caller's batch: %v", eg)
	}
	if br := recs[0].BatchRec(); br.ResultCode != types.OK || !reflect.DeepEqual(br.Record.Bins["bal"], as.OpResults{nil, 6}) {
		t.Errorf("caller's batch write: %v", br)
	}
	if br := recs[1].BatchRec(); br.ResultCode != types.OK || br.Record.Bins["bal"] != 1 {
		t.Errorf("caller's batch read: %v", br)
	}
	if eh != nil || rh.Bins["bal"] != 1 {
		t.Errorf("get k3: %v %v", rh, eh)
	}
	st := gc.Stats()
	t.Logf("stats %+v", st)
	// The blocker alone, 7 calls (8 records) together, then the two held
	// (the second add on k1, and the put or the get of k3).
	if st.Batches != 2 || st.BatchedCalls != 9 || st.BatchedRecords != 10 || st.Singles != 1 || st.Held != 2 {
		t.Errorf("stats %+v", st)
	}
}

// lostReplyCalls sends two writes, a caller's batch and two reads together
// through gc (the inner client losing the batch's reply) and checks that
// every write is in doubt and no read is.
func lostReplyCalls(t *testing.T, e *env, gc *Client, readClass lock.Class, arm func()) {
	t.Helper()
	k := func(n string) *as.Key { return e.key(t, e.set, n) }
	for _, n := range []string{"w1", "r1", "r2", "b1", "b2"} {
		e.putBins(t, n, as.BinMap{"bal": 1})
	}
	if arm != nil {
		arm()
	}
	var ew1, ew2, er1, er2, eb error
	var rr1, rr2 *as.Record
	recs := []as.BatchRecordIfc{
		as.NewBatchWrite(nil, k("b1"), as.AddOp(as.NewBin("bal", 1))),
		as.NewBatchRead(nil, k("b2"), nil),
	}
	together(t, gc, func() { _, _ = gc.Get(readPolicy(), k("pad")) },
		func() { _, ew1 = gc.Operate(writePolicy(), k("w1"), as.AddOp(as.NewBin("bal", 1)), as.GetBinOp("bal")) },
		func() { ew2 = gc.Put(writePolicy(), k("w2"), as.BinMap{"bal": 1}) },
		func() { rr1, er1 = gc.Get(readPolicy(), k("r1")) },
		func() { rr2, er2 = gc.Operate(writePolicy(), k("r2"), as.GetBinOp("bal")) },
		func() { eb = gc.BatchOperate(batchPolicy(), recs) },
	)
	for what, err := range map[string]error{"operate": ew1, "put": ew2, "caller's batch": eb} {
		if !lock.IsInDoubt(err) || lock.Classify(err) != lock.InDoubt {
			t.Errorf("%s: %v, want in doubt", what, err)
		}
	}
	for what, err := range map[string]error{"get": er1, "read operate": er2} {
		if err == nil || lock.IsInDoubt(err) || lock.Classify(err) != readClass {
			t.Errorf("%s: %v, want an error of class %v, not in doubt", what, err, readClass)
		}
	}
	if rr1 != nil || rr2 != nil {
		t.Errorf("reads returned records %v %v", rr1, rr2)
	}
	if br := recs[0].BatchRec(); !br.InDoubt || br.Err == nil || !br.Err.IsInDoubt() {
		t.Errorf("caller's batch write: %v, want in doubt", br)
	}
	if br := recs[1].BatchRec(); br.InDoubt || br.ResultCode == types.OK {
		t.Errorf("caller's batch read: %v, want failed, not in doubt", br)
	}
	if st := gc.Stats(); st.Batches != 1 || st.BatchedCalls != 5 {
		t.Errorf("stats %+v", st)
	}
}

// TestLostReply: the batch's reply is lost (txntest.Interceptor, as the
// fault wrappers of pkg/txn lose it).
func TestLostReply(t *testing.T) {
	e := newEnv(t)
	inner := &txntest.Interceptor{Next: e.Client, After: func(c txntest.Call, err as.Error) as.Error {
		if c.Name == "BatchOperate" {
			return txntest.ReplyLost(true)
		}
		return err
	}}
	gc := New(inner, oneInFlight)
	defer gc.Close()
	lostReplyCalls(t, e, gc, lock.NotSent, nil)
}

// TestConnectionDroppedAfterApplying: aerolite applies the batch and
// closes the connection instead of replying; the writes were applied and
// are reported in doubt.
func TestConnectionDroppedAfterApplying(t *testing.T) {
	e := newEnv(t)
	if e.Server == nil {
		t.Skip("needs aerolite's fault injection")
	}
	gc := New(e.Client, oneInFlight)
	defer gc.Close()
	lostReplyCalls(t, e, gc, lock.NotSent, func() { e.Server.Faults().Next(aerolite.DropAfter, 1, true) })
	if got := e.bal(t, "w1"); got != 2 {
		t.Errorf("w1: bal %v, want 2 (applied)", got)
	}
	if e.Server.Faults().Count(aerolite.DropAfter) != 1 {
		t.Error("no fault injected")
	}
}

// TestPartialReply: the connection is lost after some records were
// answered: they keep their answers; the writes without one are in doubt.
func TestPartialReply(t *testing.T) {
	e := newEnv(t)
	lost := map[string]bool{"w2": true, "r2": true}
	inner := &rewrite{Client: e.Client, after: func(recs []as.BatchRecordIfc, err as.Error) as.Error {
		for _, r := range recs {
			if lost[userKey(r)] {
				br := r.BatchRec()
				br.ResultCode, br.Record, br.Err, br.InDoubt = types.NO_RESPONSE, nil, nil, false
			}
		}
		return &as.AerospikeError{ResultCode: types.NETWORK_ERROR, InDoubt: true}
	}}
	gc := New(inner, oneInFlight)
	defer gc.Close()
	k := func(n string) *as.Key { return e.key(t, e.set, n) }
	for _, n := range []string{"w1", "w2", "r1", "r2"} {
		e.putBins(t, n, as.BinMap{"bal": 1})
	}
	var r1, r2, r3, r4 *as.Record
	var e1, e2, e3, e4 error
	together(t, gc, func() { _, _ = gc.Get(readPolicy(), k("pad")) },
		func() { r1, e1 = gc.Operate(writePolicy(), k("w1"), as.AddOp(as.NewBin("bal", 1)), as.GetBinOp("bal")) },
		func() { r2, e2 = gc.Operate(writePolicy(), k("w2"), as.AddOp(as.NewBin("bal", 1)), as.GetBinOp("bal")) },
		func() { r3, e3 = gc.Get(readPolicy(), k("r1")) },
		func() { r4, e4 = gc.Get(readPolicy(), k("r2")) },
	)
	if e1 != nil || r1.Bins["bal"] != 2 {
		t.Errorf("answered write: %v %v", r1, e1)
	}
	if e3 != nil || r3.Bins["bal"] != 1 {
		t.Errorf("answered read: %v %v", r3, e3)
	}
	if r2 != nil || !lock.IsInDoubt(e2) {
		t.Errorf("unanswered write: %v %v, want in doubt", r2, e2)
	}
	if r4 != nil || e4 == nil || lock.IsInDoubt(e4) || lock.Classify(e4) != lock.NotSent {
		t.Errorf("unanswered read: %v %v, want not in doubt", r4, e4)
	}
}

// TestNotSent: the batch fails before it is sent: nobody is in doubt.
func TestNotSent(t *testing.T) {
	e := newEnv(t)
	inner := &txntest.Interceptor{Next: e.Client, Before: func(c txntest.Call) as.Error {
		if c.Name == "BatchOperate" {
			return txntest.NotSent()
		}
		return nil
	}}
	gc := New(inner, oneInFlight)
	defer gc.Close()
	k := func(n string) *as.Key { return e.key(t, e.set, n) }
	e.putBins(t, "w", as.BinMap{"bal": 1})
	var ew, ep, er error
	recs := []as.BatchRecordIfc{
		as.NewBatchWrite(nil, k("b1"), as.PutOp(as.NewBin("bal", 1))),
		as.NewBatchWrite(nil, k("b2"), as.PutOp(as.NewBin("bal", 1))),
	}
	var eb error
	together(t, gc, func() { _, _ = gc.Get(readPolicy(), k("pad")) },
		func() { _, ew = gc.Operate(writePolicy(), k("w"), as.AddOp(as.NewBin("bal", 1))) },
		func() { ep = gc.Put(writePolicy(), k("p"), as.BinMap{"bal": 1}) },
		func() { _, er = gc.Get(readPolicy(), k("g")) },
		func() { eb = gc.BatchOperate(batchPolicy(), recs) },
	)
	for what, err := range map[string]error{"operate": ew, "put": ep, "get": er, "caller's batch": eb} {
		wantCode(t, what, err, types.NETWORK_ERROR, lock.NotSent)
	}
	for _, r := range recs {
		if br := r.BatchRec(); br.InDoubt || br.ResultCode == types.OK {
			t.Errorf("caller's batch record: %v", br)
		}
	}
	if got := e.bal(t, "w"); got != 1 {
		t.Errorf("w: bal %v, want 1", got)
	}
}

// TestRefusedBatchFallsBack: a batch refused as a whole before anything
// was applied (here as the client refuses a value it cannot encode) is
// sent again call by call, and each caller gets its own answer.
func TestRefusedBatchFallsBack(t *testing.T) {
	e := newEnv(t)
	inner := &rewrite{Client: e.Client, before: func([]as.BatchRecordIfc) as.Error {
		return &as.AerospikeError{ResultCode: types.PARAMETER_ERROR}
	}}
	gc := New(inner, oneInFlight)
	defer gc.Close()
	k := func(n string) *as.Key { return e.key(t, e.set, n) }
	e.putBins(t, "w", as.BinMap{"bal": 1})
	var rw, rg *as.Record
	var ew, eg, ep error
	together(t, gc, func() { _, _ = gc.Get(readPolicy(), k("pad")) },
		func() { rw, ew = gc.Operate(writePolicy(), k("w"), as.AddOp(as.NewBin("bal", 1)), as.GetBinOp("bal")) },
		func() { rg, eg = gc.Get(readPolicy(), k("w"), "bal") },
		func() { _, ep = gc.Operate(writePolicy(), k("missing"), as.GetBinOp("bal")) },
	)
	if ew != nil || rw.Bins["bal"] != 2 {
		t.Errorf("operate: %v %v", rw, ew)
	}
	if eg != nil || (rg.Bins["bal"] != 1 && rg.Bins["bal"] != 2) {
		t.Errorf("get: %v %v", rg, eg)
	}
	wantCode(t, "read of a missing record", ep, types.KEY_NOT_FOUND_ERROR, lock.Fatal)
	if st := gc.Stats(); st.Fallbacks != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestClose: Close fails the queued calls at once (not sent), lets the
// call in flight finish with its real result, and leaves no goroutine.
func TestClose(t *testing.T) {
	e := newEnv(t)
	k := func(n string) *as.Key { return e.key(t, e.set, n) }
	e.putBins(t, "w", as.BinMap{"bal": 1})
	base := runtime.NumGoroutine()
	gc := New(e.Client, oneInFlight)
	g := newGate(gc)
	type res struct {
		rec *as.Record
		err error
	}
	inflight := make(chan res, 1)
	go func() {
		r, err := gc.Operate(writePolicy(), k("w"), as.AddOp(as.NewBin("bal", 1)), as.GetBinOp("bal"))
		inflight <- res{r, err}
	}()
	<-g.first
	queued := make(chan error, 3)
	go func() { _, err := gc.Operate(writePolicy(), k("w"), as.AddOp(as.NewBin("bal", 100))); queued <- err }()
	go func() { _, err := gc.Get(readPolicy(), k("w")); queued <- err }()
	go func() {
		queued <- gc.BatchOperate(batchPolicy(), []as.BatchRecordIfc{
			as.NewBatchWrite(nil, k("x"), as.PutOp(as.NewBin("bal", 1))), as.NewBatchRead(nil, k("w"), nil)})
	}()
	waitQueued(t, gc, 3)
	closed := make(chan struct{})
	go func() { gc.Close(); close(closed) }()
	for range 3 {
		select {
		case err := <-queued:
			if !errors.Is(err, ErrClosed) {
				t.Errorf("queued call: %v, want ErrClosed", err)
			}
			wantCode(t, "queued call", err, types.NETWORK_ERROR, lock.NotSent)
		case <-time.After(2 * time.Second):
			t.Fatal("a queued call did not return after Close")
		}
	}
	select {
	case <-closed:
		t.Error("Close returned with a command in flight")
	case <-time.After(20 * time.Millisecond):
	}
	close(g.release)
	select {
	case r := <-inflight:
		if r.err != nil || r.rec.Bins["bal"] != 2 {
			t.Errorf("call in flight: %v %v, want bal 2", r.rec, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the call in flight did not return")
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if got := e.bal(t, "w"); got != 2 {
		t.Errorf("bal %v: a queued write was applied", got)
	}
	_, err := gc.Operate(writePolicy(), k("w"), as.AddOp(as.NewBin("bal", 1)))
	if !errors.Is(err, ErrClosed) {
		t.Errorf("operate after Close: %v", err)
	}
	if _, err := gc.Query(nil, as.NewStatement(e.Namespace, e.set)); !errors.Is(err, ErrClosed) {
		t.Errorf("query after Close: %v", err)
	}
	gc.Close() // twice is fine
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestExpiredInQueue: a call whose timeout passes while it is queued
// fails unsent.
func TestExpiredInQueue(t *testing.T) {
	e := newEnv(t)
	gc := New(e.Client, oneInFlight)
	defer gc.Close()
	k := func(n string) *as.Key { return e.key(t, e.set, n) }
	short := writePolicy()
	short.TotalTimeout = 50 * time.Millisecond
	g := newGate(gc)
	done := make(chan struct{})
	go func() { defer close(done); _, _ = gc.Get(&short.BasePolicy, k("pad")) }()
	<-g.first
	errc := make(chan error, 1)
	go func() { _, err := gc.Operate(short, k("w"), as.AddOp(as.NewBin("bal", 1))); errc <- err }()
	waitQueued(t, gc, 1)
	time.Sleep(100 * time.Millisecond)
	close(g.release)
	err := <-errc
	<-done
	if !errors.Is(err, ErrExpired) {
		t.Errorf("%v, want ErrExpired", err)
	}
	wantCode(t, "expired", err, types.TIMEOUT, lock.NotSent)
	if st := gc.Stats(); st.Expired != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestPassThrough: calls a batch cannot express exactly are not queued.
func TestPassThrough(t *testing.T) {
	e := newEnv(t)
	gc := New(e.Client, oneInFlight)
	defer gc.Close()
	k := e.key(t, e.set, "k")
	retried := writePolicy()
	retried.MaxRetries = 2
	if err := gc.Put(retried, k, as.BinMap{"bal": 1}); err != nil { // a retried batch resends answered writes
		t.Fatal(err)
	}
	if _, err := gc.Operate(writePolicy(), k, as.GetHeaderOp()); err != nil {
		t.Fatal(err)
	}
	if _, err := gc.Operate(writePolicy(), k, as.MapSizeOp("m")); err != nil {
		t.Fatal(err)
	}
	if err := gc.BatchOperate(batchPolicy(), []as.BatchRecordIfc{as.NewBatchRead(nil, k, nil)}); err != nil {
		t.Fatal(err)
	}
	bp := batchPolicy()
	bp.RespondAllKeys = false
	if err := gc.BatchOperate(bp, []as.BatchRecordIfc{as.NewBatchRead(nil, k, nil), as.NewBatchRead(nil, k, nil)}); err != nil {
		t.Fatal(err)
	}
	if st := gc.Stats(); st.PassedThrough != 5 || st.Singles != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestLanes: calls whose batch-level policies differ do not share a
// batch nor wait for each other; idle lanes are not kept forever.
func TestLanes(t *testing.T) {
	e := newEnv(t)
	gc := New(e.Client, oneInFlight)
	defer gc.Close()
	k := func(n string) *as.Key { return e.key(t, e.set, n) }
	g := newGate(gc)
	done := make(chan struct{})
	go func() { defer close(done); _, _ = gc.Get(readPolicy(), k("pad")) }()
	<-g.first
	other := writePolicy()
	other.SocketTimeout = time.Second // another lane: not held behind the first
	if err := gc.Put(other, k("x"), as.BinMap{"bal": 1}); err != nil {
		t.Fatal(err)
	}
	close(g.release)
	<-done
	gc.beforeSend = nil
	for i := range 3 * maxIdleLanes {
		p := readPolicy()
		p.TotalTimeout = time.Second + time.Duration(i)*time.Millisecond
		if _, err := gc.Get(p, k("x")); err != nil {
			t.Fatal(err)
		}
	}
	gc.mu.Lock()
	n := len(gc.lanes)
	gc.mu.Unlock()
	if n > maxIdleLanes+1 {
		t.Errorf("%d lanes kept", n)
	}
}
