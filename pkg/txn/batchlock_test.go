package txn_test

import (
	"context"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// TestBatchedLocksNoDeadlockWithoutExpiry runs overlapping transfers of 2
// to 8 legs on a few hot accounts with locks that never expire within the
// test (TTL one hour) and patient waits: two runs whose batches took each
// other's legs must never wait on each other in a cycle. Every transfer
// must commit, and the locks taken one by one after a partial batch must
// show up (the contended path ran).
func TestBatchedLocksNoDeadlockWithoutExpiry(t *testing.T) {
	f := newFixture(t)
	f.clock = nil // real time
	accounts := ukeysOf(6)
	f.accounts(t, 0, accounts...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var committed, fallbacks int
	counters := make([]*txntest.CountingClient, 8)
	for g := range counters {
		counters[g] = txntest.NewCountingClient(f.env.Client)
		m := txn.NewManager(counters[g], txn.Config{Namespace: f.env.Namespace, Set: f.set, Seed: int64(g), Retries: 10,
			Lock: lock.Config{TTL: time.Hour, MaxWait: 2 * time.Hour, Attempts: 1 << 30, BackoffMax: 5 * time.Millisecond}})
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(g)))
			for i := 0; i < 40 && ctx.Err() == nil; i++ {
				k := 2 + rng.Intn(5)
				perm := rng.Perm(len(accounts))[:k]
				legs := make([]txn.Leg, k)
				for j, a := range perm {
					legs[j] = txn.Leg{UKey: accounts[a], Amt: int64(j + 1)}
				}
				legs[0].Amt = -int64(k*(k+1)/2 - 1)
				before := counters[g].Calls.Load()
				res, err := m.Run(ctx, txn.NewTxnID(), legs...)
				if err != nil {
					t.Errorf("worker %d transfer %d: %v", g, i, err)
					return
				}
				mu.Lock()
				if res.Committed {
					committed++
				}
				if counters[g].Calls.Load()-before > 4 {
					fallbacks++
				}
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("transfers still waiting after 60 s: deadlock? (%d committed)", committed)
	}
	if committed != 8*40 {
		t.Fatalf("%d of %d transfers committed", committed, 8*40)
	}
	if fallbacks == 0 {
		t.Errorf("no transfer took more than 4 round trips: the contended path never ran")
	}
	t.Logf("%d transfers committed, %d through the contended path", committed, fallbacks)
	f.checkClean(t, accounts...)
}
