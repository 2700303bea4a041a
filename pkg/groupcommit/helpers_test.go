package groupcommit

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/testenv"
)

// env is a test's server (aerolite unless AEROSPIKE_HOSTS says otherwise)
// and a set of its own.
type env struct {
	*testenv.Env
	set string
}

func newEnv(t testing.TB) *env {
	e := testenv.New(t)
	return &env{Env: e, set: e.Set("gc")}
}

func (e *env) key(t testing.TB, set, name string) *as.Key {
	t.Helper()
	k, err := as.NewKey(e.Namespace, set, name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Policies of one lane: every call made with them can share a batch.
func writePolicy() *as.WritePolicy {
	wp := as.NewWritePolicy(0, 0)
	wp.TotalTimeout, wp.SocketTimeout, wp.MaxRetries = 2*time.Second, 2*time.Second, 0
	return wp
}

func readPolicy() *as.BasePolicy { p := writePolicy().BasePolicy; return &p }

func batchPolicy() *as.BatchPolicy {
	bp := as.NewBatchPolicy()
	bp.BasePolicy = *readPolicy()
	return bp
}

// gate holds the first command a Client sends until released, so that the
// calls made meanwhile queue and go out together in the next batch.
type gate struct {
	first, release chan struct{}
	held           atomic.Bool
}

func newGate(c *Client) *gate {
	g := &gate{first: make(chan struct{}), release: make(chan struct{})}
	c.beforeSend = func(int) {
		if g.held.CompareAndSwap(false, true) { // only the first; the others pass
			close(g.first)
			<-g.release
		}
	}
	return g
}

// queued is the number of calls waiting in c's queues.
func (c *Client) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, l := range c.lanes {
		n += len(l.queue)
	}
	return n
}

func waitQueued(t testing.TB, c *Client, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.queued() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", c.queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// together runs the blocker (a call sent alone, held by the gate), then
// the calls while it is held, releases it once they are all queued and
// waits for them: the calls go out in the batches after the blocker.
func together(t testing.TB, c *Client, blocker func(), calls ...func()) {
	t.Helper()
	if c.opts.MaxInFlight != 1 {
		t.Fatalf("together needs one command in flight (oneInFlight), not %d", c.opts.MaxInFlight)
	}
	g := newGate(c)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); blocker() }()
	<-g.first
	for _, f := range calls {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	waitQueued(t, c, len(calls))
	close(g.release)
	wg.Wait()
	c.beforeSend = nil
}

// outcome is what a caller can tell of a result.
type outcome struct {
	Code    types.ResultCode
	Err     bool
	InDoubt bool
	Class   lock.Class
	Bins    as.BinMap
	Gen     uint32
	Exp     uint32
	Nil     bool // no record
}

func outcomeOf(rec *as.Record, err error) outcome {
	o := outcome{Class: lock.Classify(err), Nil: rec == nil, Err: err != nil}
	if err != nil {
		var ae *as.AerospikeError
		if errors.As(err, &ae) {
			o.Code = ae.ResultCode
		}
		o.InDoubt = lock.IsInDoubt(err)
	}
	if rec != nil {
		o.Bins, o.Gen, o.Exp = rec.Bins, rec.Generation, rec.Expiration
	}
	return o
}

func (o outcome) String() string {
	if o.Err {
		return fmt.Sprintf("err %v in-doubt=%v class=%v", o.Code, o.InDoubt, o.Class)
	}
	if o.Nil {
		return "ok, no record"
	}
	return fmt.Sprintf("ok gen=%d exp=%d bins=%#v", o.Gen, o.Exp, o.Bins)
}

// sameOutcome compares two outcomes; expirations may differ by a second
// (the two calls may straddle one).
func sameOutcome(a, b outcome) bool {
	d := int64(a.Exp) - int64(b.Exp)
	if d == 1 || d == -1 {
		b.Exp = a.Exp
	}
	return reflect.DeepEqual(a, b)
}

// oneInFlight are the options of the tests that hold the one command in
// flight (together) so that the calls after it queue into one batch.
var oneInFlight = Options{MaxInFlight: 1}
