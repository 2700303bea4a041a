package txn_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/testenv"
	"github.com/mxnlabs/mxn/pkg/txn"
)

type fixture struct {
	env   *testenv.Env
	set   string
	clock *lock.FakeClock
	// ahead, with clock nil, moves the managers' wall clock forward (see
	// aheadClock): the managers made from then on see locks as if they had
	// slept that long.
	ahead time.Duration
}

// aheadClock is the wall clock d ahead: for a real-time test, managers on
// it see every lock taken on the wall clock d older than it is, as after a
// sleep of d, while their own time still passes, and they still sleep, in
// real time.
type aheadClock struct{ d time.Duration }

func (c aheadClock) Now() time.Time { return time.Now().Add(c.d) }
func (c aheadClock) Sleep(ctx context.Context, d time.Duration) error {
	return lock.SystemClock{}.Sleep(ctx, d)
}

func newFixture(t testing.TB) *fixture {
	env := testenv.New(t)
	f := &fixture{env: env, set: env.Set("tx"), clock: lock.NewFakeClock(time.UnixMilli(1_700_000_000_000))}
	if err := f.manager(f.env.Client, 0).EnsureIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) manager(c txn.Client, seed int64) *txn.Manager {
	var clock lock.Clock // nil: the wall clock (a nil *FakeClock would not be nil here)
	switch {
	case f.clock != nil:
		clock = f.clock
	case f.ahead != 0:
		clock = aheadClock{f.ahead}
	}
	return txn.NewManager(c, txn.Config{Namespace: f.env.Namespace, Set: f.set, Clock: clock, Seed: seed, Retries: 5})
}

func (f *fixture) accounts(t testing.TB, bal int, ukeys ...string) {
	t.Helper()
	wp := as.NewWritePolicy(0, 0)
	wp.SendKey = true
	wp.RecordExistsAction = as.REPLACE
	for _, u := range ukeys {
		k, _ := as.NewKey(f.env.Namespace, f.set, u)
		if err := f.env.Client.Put(wp, k, as.BinMap{"name": u, "bal": bal}); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) record(t testing.TB, ukey string) as.BinMap {
	t.Helper()
	k, _ := as.NewKey(f.env.Namespace, f.set, ukey)
	r, err := f.env.Client.Get(nil, k)
	if err != nil {
		t.Fatalf("get %s: %v", ukey, err)
	}
	return r.Bins
}

func (f *fixture) balance(t testing.TB, ukey string) int64 {
	v := f.record(t, ukey)["bal"]
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	}
	t.Fatalf("%s: bal is %T", ukey, v)
	return 0
}

// checkClean asserts the invariants every test ends with: no lock, no
// pending entry, every account balanced, the total conserved.
func (f *fixture) checkClean(t testing.TB, ukeys ...string) *txn.ReconcileReport {
	t.Helper()
	for _, u := range ukeys {
		b := f.record(t, u)
		if b["lck"] != nil || b["lckto"] != nil {
			t.Errorf("%s: lock left behind: %v", u, b)
		}
		if p, ok := b["ptxns"].([]any); ok && len(p) > 0 {
			t.Errorf("%s: pending entries left behind: %v", u, p)
		}
	}
	rep, err := f.manager(f.env.Client, 99).Reconcile(context.Background(), txn.ReconcileOptions{KeepBalanced: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("reconcile: %s; total bal %d, total logged %d; accounts %+v", rep.Verdict(), rep.TotalBalance, rep.TotalLogged, rep.Accounts)
	}
	return rep
}

func legsOf(amts map[string]int64) []txn.Leg {
	var legs []txn.Leg
	for u, a := range amts {
		legs = append(legs, txn.Leg{UKey: u, Amt: a})
	}
	return legs
}

func ukeysOf(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("usr%d", i)
	}
	return out
}

type atomicInt struct{ n atomic.Int64 }

func (a *atomicInt) next() int { return int(a.n.Add(1)) }

// cleanUntilQuiet runs cleanup with m until a round is clean and changes
// nothing (at most 20 rounds).
func cleanUntilQuiet(t testing.TB, ctx context.Context, m *txn.Manager) {
	t.Helper()
	for round := 0; ; round++ {
		rep, err := m.Cleanup(ctx, txn.CleanupOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Clean() && rep.RolledForward+rep.RolledBack == 0 {
			return
		}
		if round > 20 {
			t.Fatalf("cleanup does not converge: %+v", rep)
		}
	}
}
