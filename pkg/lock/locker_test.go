package lock_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/testenv"
)

type fixture struct {
	env   *testenv.Env
	set   string
	clock *lock.FakeClock
}

func newFixture(t *testing.T) *fixture {
	env := testenv.New(t)
	return &fixture{env: env, set: env.Set("lk"), clock: lock.NewFakeClock(time.UnixMilli(1_700_000_000_000))}
}

func (f *fixture) locker(seed int64) *lock.Locker {
	return lock.New(f.env.Client, lock.Config{Namespace: f.env.Namespace, Set: f.set, Clock: f.clock, Seed: seed})
}

func (f *fixture) account(t *testing.T, ukey string, bal int) *as.Key {
	t.Helper()
	k, err := as.NewKey(f.env.Namespace, f.set, ukey)
	if err != nil {
		t.Fatal(err)
	}
	wp := as.NewWritePolicy(0, 0)
	wp.SendKey = true
	if err := f.env.Client.Put(wp, k, as.BinMap{"name": ukey, "bal": bal}); err != nil {
		t.Fatal(err)
	}
	return k
}

func (f *fixture) get(t *testing.T, k *as.Key) as.BinMap {
	t.Helper()
	r, err := f.env.Client.Get(nil, k)
	if err != nil {
		t.Fatal(err)
	}
	return r.Bins
}

func TestAcquireReleaseCarriesOps(t *testing.T) {
	f := newFixture(t)
	k := f.account(t, "usr0", 10)
	l := f.locker(1)
	ctx := context.Background()
	lk, err := l.Acquire(ctx, "usr0", "t1", lock.WithOps(as.GetBinOp("bal")))
	if err != nil {
		t.Fatal(err)
	}
	if lk.Record["bal"] != 10 {
		t.Fatalf("acquire read bal = %v", lk.Record["bal"])
	}
	bins := f.get(t, k)
	if bins["lckto"] == nil || fmt.Sprint(bins["ptxns"]) != "[usr0:t1]" {
		t.Fatalf("locked record = %v", bins)
	}
	if _, err := l.Release(ctx, lk, as.AddOp(as.NewBin("bal", 5))); err != nil {
		t.Fatal(err)
	}
	bins = f.get(t, k)
	if bins["bal"] != 15 || bins["lck"] != nil || bins["lckto"] != nil || bins["ptxns"] != nil {
		t.Fatalf("released record = %v", bins)
	}
	s := l.Stats().Snapshot()
	if s.Attempted != 1 || s.Acquired != 1 || s.Released != 1 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestAcquireMissingRecord(t *testing.T) {
	f := newFixture(t)
	_, err := f.locker(1).Acquire(context.Background(), "nobody", "t1")
	if !errors.Is(err, lock.ErrNoRecord) {
		t.Fatalf("err = %v, want ErrNoRecord", err)
	}
}

func TestReentrant(t *testing.T) {
	f := newFixture(t)
	k := f.account(t, "usr0", 0)
	l := f.locker(1)
	ctx := context.Background()
	if _, err := l.Acquire(ctx, "usr0", "t1"); err != nil {
		t.Fatal(err)
	}
	lk, err := l.Acquire(ctx, "usr0", "t1")
	if err != nil {
		t.Fatal(err)
	}
	if !lk.Reentered {
		t.Fatal("second acquire by the same txnid did not re-enter")
	}
	if got := fmt.Sprint(f.get(t, k)["ptxns"]); got != "[usr0:t1]" {
		t.Fatalf("re-entry appended a second entry: %s", got)
	}
	if _, err := l.Release(ctx, lk); err != nil {
		t.Fatal(err)
	}
	if b := f.get(t, k); b["lck"] != nil || b["ptxns"] != nil {
		t.Fatalf("after release: %v", b)
	}
}

func TestHeldLockGivesUpOrWaits(t *testing.T) {
	f := newFixture(t)
	f.account(t, "usr0", 0)
	l := f.locker(1)
	ctx := context.Background()
	if _, err := l.Acquire(ctx, "usr0", "holder"); err != nil {
		t.Fatal(err)
	}
	// The holder's lock lasts 100ms + 200ms grace: a 50ms budget fails fast.
	_, err := l.Acquire(ctx, "usr0", "other", lock.WithMaxWait(50*time.Millisecond))
	if !errors.Is(err, lock.ErrWaitTooLong) {
		t.Fatalf("err = %v, want ErrWaitTooLong", err)
	}
	// With the default budget the contender waits (fake time) and steals.
	lk, err := l.Acquire(ctx, "usr0", "other")
	if err != nil {
		t.Fatal(err)
	}
	if !lk.Stolen {
		t.Fatal("lock was not stolen")
	}
	if lk.PendingCount != 2 {
		t.Fatalf("pending after steal = %d (old entry must stay for cleanup)", lk.PendingCount)
	}
}

func TestReleaseAfterStealIsLockLost(t *testing.T) {
	f := newFixture(t)
	k := f.account(t, "usr0", 100)
	slow, thief := f.locker(1), f.locker(2)
	ctx := context.Background()
	lk, err := slow.Acquire(ctx, "usr0", "slow")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(301 * time.Millisecond)
	if _, err := thief.Acquire(ctx, "usr0", "thief"); err != nil {
		t.Fatal(err)
	}
	_, err = slow.Release(ctx, lk, as.AddOp(as.NewBin("bal", 1)))
	if !errors.Is(err, lock.ErrLockLost) {
		t.Fatalf("stale release: err = %v, want ErrLockLost", err)
	}
	if b := f.get(t, k); b["bal"] != 100 {
		t.Fatalf("stale release applied its ops: %v", b)
	}
}

// Two contenders find the same expired lock: the generation check lets
// exactly one of them steal it.
func TestConcurrentStealOneWinner(t *testing.T) {
	for round := 0; round < 20; round++ {
		f := newFixture(t)
		f.account(t, "usr0", 0)
		ctx := context.Background()
		if _, err := f.locker(1).Acquire(ctx, "usr0", "dead"); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Second)
		const n = 4
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners := 0
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				l := f.locker(int64(10 + i))
				_, err := l.Acquire(ctx, "usr0", fmt.Sprintf("c%d", i), lock.WithMaxWait(time.Millisecond))
				if err == nil {
					mu.Lock()
					winners++
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		if winners != 1 {
			t.Fatalf("round %d: %d contenders hold the lock, want 1", round, winners)
		}
	}
}

func TestBreakAndClear(t *testing.T) {
	f := newFixture(t)
	k := f.account(t, "usr0", 0)
	l := f.locker(1)
	ctx := context.Background()
	if _, err := l.Acquire(ctx, "usr0", "t1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Break(ctx, "usr0", false); !errors.Is(err, lock.ErrNotExpired) {
		t.Fatalf("break live lock: err = %v", err)
	}
	f.clock.Advance(101 * time.Millisecond)
	if err := l.Break(ctx, "usr0", false); err != nil {
		t.Fatal(err)
	}
	b := f.get(t, k)
	if b["lck"] != nil || fmt.Sprint(b["ptxns"]) != "[usr0:t1]" {
		t.Fatalf("after break: %v (ptxns must stay)", b)
	}
	if err := l.Break(ctx, "usr0", true); !errors.Is(err, lock.ErrNotLocked) {
		t.Fatalf("break unlocked: err = %v", err)
	}
	if err := l.Clear(ctx, "usr0"); err != nil {
		t.Fatal(err)
	}
	if b := f.get(t, k); b["ptxns"] != nil {
		t.Fatalf("after clear: %v", b)
	}
}

func TestStatsSaveLoad(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := lock.StatsSnapshot{Attempted: 3, Acquired: 2, Stolen: 1, Released: 2, Retries: 4}
	for i := 0; i < 2; i++ {
		if err := lock.SaveStats(ctx, f.env.Client, f.env.Namespace, f.set, s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := lock.LoadStats(f.env.Client, f.env.Namespace, f.set)
	if err != nil {
		t.Fatal(err)
	}
	if got != s.Add(s) {
		t.Fatalf("loaded %+v, want %+v", got, s.Add(s))
	}
}

// Many goroutines increment few accounts under their locks with real time:
// every increment that reports success is applied exactly once.
func TestMutualExclusionRace(t *testing.T) {
	f := newFixture(t)
	accounts := []string{"a0", "a1", "a2"}
	keys := map[string]*as.Key{}
	for _, a := range accounts {
		keys[a] = f.account(t, a, 0)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	done := map[string]int{}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			l := lock.New(f.env.Client, lock.Config{Namespace: f.env.Namespace, Set: f.set, Seed: int64(g),
				TTL: 2 * time.Second, MaxWait: 10 * time.Second, Attempts: 1000})
			for i := 0; i < 25; i++ {
				a := accounts[(g+i)%len(accounts)]
				lk, err := l.Acquire(ctx, a, fmt.Sprintf("g%d-%d", g, i), lock.WithOps(as.GetBinOp("bal")))
				if err != nil {
					t.Errorf("acquire: %v", err)
					return
				}
				// A read-modify-write that is only safe under the lock.
				bal := lk.Record["bal"].(int)
				if _, err := l.Release(ctx, lk, as.PutOp(as.NewBin("bal", bal+1))); err != nil {
					t.Errorf("release: %v", err)
					return
				}
				mu.Lock()
				done[a]++
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	for _, a := range accounts {
		if got := f.get(t, keys[a])["bal"]; got != done[a] {
			t.Errorf("%s: bal %v, %d increments committed", a, got, done[a])
		}
	}
}
