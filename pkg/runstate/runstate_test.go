package runstate_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/runstate"
	"github.com/mxnlabs/mxn/pkg/testenv"
	"github.com/mxnlabs/mxn/pkg/workload"
)

type fixture struct {
	env *testenv.Env
	set string
}

func newFixture(t *testing.T) *fixture {
	env := testenv.New(t)
	return &fixture{env: env, set: runstate.SetName(env.Set("acc"))}
}

func TestSetName(t *testing.T) {
	if got := runstate.SetName("mxn"); got != "mxnrun" {
		t.Fatalf("SetName = %q", got)
	}
}

// N workers check in at different moments; none passes before the last
// has checked in, and all pass.
func TestBarrierAllPassTogether(t *testing.T) {
	f := newFixture(t)
	const n = 5
	ctx := context.Background()
	var lastIn atomic.Int64
	var wg sync.WaitGroup
	passed := make([]time.Time, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i == n-1 {
				time.Sleep(300 * time.Millisecond)
				lastIn.Store(time.Now().UnixNano())
			}
			passed[i], errs[i] = runstate.Barrier(ctx, f.env.Client, f.env.Namespace, f.set, "r1", i, n, 10*time.Second, nil)
		}(i)
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		if passed[i].UnixNano() < lastIn.Load() {
			t.Errorf("worker %d passed before the last worker checked in", i)
		}
	}
	ready, released, err := runstate.Ready(ctx, f.env.Client, f.env.Namespace, f.set, "r1")
	if err != nil || ready != n || released {
		t.Fatalf("Ready = %d, %v, %v", ready, released, err)
	}
	// Checking in again (a retry) does not count twice.
	if err := runstate.CheckIn(ctx, f.env.Client, f.env.Namespace, f.set, "r1", 2); err != nil {
		t.Fatal(err)
	}
	if ready, _, _ := runstate.Ready(ctx, f.env.Client, f.env.Namespace, f.set, "r1"); ready != n {
		t.Fatalf("after a repeated check-in: %d ready", ready)
	}
	// WaitReady (the controller's view) returns at once now.
	if err := runstate.WaitReady(ctx, f.env.Client, f.env.Namespace, f.set, "r1", n, nil); err != nil {
		t.Fatal(err)
	}
}

func TestReleaseFreesWaiters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = runstate.Barrier(ctx, f.env.Client, f.env.Namespace, f.set, "r2", i, 3, time.Minute, nil)
		}(i)
	}
	// Wait until both have checked in, then release: worker 2 died.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, _, err := runstate.Ready(ctx, f.env.Client, f.env.Namespace, f.set, "r2")
		if err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d checked in", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := runstate.Release(ctx, f.env.Client, f.env.Namespace, f.set, "r2"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	if n, released, err := runstate.Ready(ctx, f.env.Client, f.env.Namespace, f.set, "r2"); n != 2 || !released || err != nil {
		t.Fatalf("Ready = %d, %v, %v", n, released, err)
	}
}

// The timeout runs on the injected clock: no real waiting.
func TestBarrierTimeout(t *testing.T) {
	f := newFixture(t)
	clock := lock.NewFakeClock(time.Unix(1_700_000_000, 0))
	start := time.Now()
	_, err := runstate.Barrier(context.Background(), f.env.Client, f.env.Namespace, f.set, "r3", 0, 2, 10*time.Minute, clock)
	if !errors.Is(err, runstate.ErrBarrierTimeout) || !strings.Contains(err.Error(), "1 of 2 workers ready after 10m0s") {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("took %v of wall time", time.Since(start))
	}
	// WaitReady is bounded by its context.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = runstate.WaitReady(ctx, f.env.Client, f.env.Namespace, f.set, "r3", 2, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1 of 2 workers ready") {
		t.Fatalf("WaitReady: %v", err)
	}
	// Bad arguments.
	if _, err := runstate.Barrier(context.Background(), f.env.Client, f.env.Namespace, f.set, "r3", 2, 2, time.Second, clock); err == nil {
		t.Error("worker 2 of 2 accepted")
	}
	if err := runstate.CheckIn(context.Background(), f.env.Client, f.env.Namespace, f.set, "", 0); err == nil {
		t.Error("empty run id accepted")
	}
}

func TestProgressRoundTripAndDelete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c, ns := f.env.Client, f.env.Namespace
	got, err := runstate.ReadProgress(ctx, c, ns, f.set, "r4", 3)
	if err != nil || len(got) != 3 || got[0] != nil || got[1] != nil || got[2] != nil {
		t.Fatalf("before any flush: %v, %v", got, err)
	}
	s0 := &workload.Summary{Mode: "single", Legs: 1, Attempted: 10, Committed: 7, ElapsedSec: 1.5}
	s2 := &workload.Summary{Mode: "transfer", Legs: 3, Committed: 4}
	s2.Latency.Observe(3 * time.Millisecond)
	if err := runstate.FlushProgress(ctx, c, ns, f.set, "r4", 0, &workload.Summary{Committed: 1}, false); err != nil {
		t.Fatal(err)
	}
	for _, fl := range []struct {
		w    int
		s    *workload.Summary
		done bool
	}{{0, s0, false}, {2, s2, true}} {
		if err := runstate.FlushProgress(ctx, c, ns, f.set, "r4", fl.w, fl.s, fl.done); err != nil {
			t.Fatal(err)
		}
	}
	got, err = runstate.ReadProgress(ctx, c, ns, f.set, "r4", 3)
	if err != nil || len(got) != 3 || got[1] != nil || got[0] == nil || got[2] == nil {
		t.Fatalf("ReadProgress: %v, %v", got, err)
	}
	if got[0].Committed != 7 || got[0].Attempted != 10 || got[0].ElapsedSec != 1.5 || got[2].Mode != "transfer" || got[2].Latency.N != 1 {
		t.Fatalf("read %+v and %+v", got[0], got[2])
	}
	detail, err := runstate.ReadProgressDetail(ctx, c, ns, f.set, "r4", 3)
	if err != nil || detail[0].Done || !detail[2].Done || detail[2].TsUnixMs == 0 {
		t.Fatalf("detail: %+v, %v", detail, err)
	}
	if err := runstate.CheckIn(ctx, c, ns, f.set, "r4", 0); err != nil {
		t.Fatal(err)
	}
	if err := runstate.Delete(ctx, c, ns, f.set, "r4", 3); err != nil {
		t.Fatal(err)
	}
	got, err = runstate.ReadProgress(ctx, c, ns, f.set, "r4", 3)
	if err != nil || got[0] != nil || got[2] != nil {
		t.Fatalf("after Delete: %v, %v", got, err)
	}
	if n, rel, err := runstate.Ready(ctx, c, ns, f.set, "r4"); n != 0 || rel || err != nil {
		t.Fatalf("barrier after Delete: %d %v %v", n, rel, err)
	}
	// Deleting again is fine.
	if err := runstate.Delete(ctx, c, ns, f.set, "r4", 3); err != nil {
		t.Fatal(err)
	}
}
