package txn_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// TestConcurrentTransfersWithFaultsAndCleaner runs many goroutines of
// transfers and single-record transactions on a few accounts, with 5%
// injected client failures and a cleaner running beside them on real time;
// then a final cleanup and reconcile must find zero drift.
func TestConcurrentTransfersWithFaultsAndCleaner(t *testing.T) {
	f := newFixture(t)
	f.clock = nil // real time: locks expire and cleaners steal them for real
	accounts := ukeysOf(4)
	f.accounts(t, 0, accounts...)
	const ttl, grace = 50 * time.Millisecond, 50 * time.Millisecond
	cfg := func(seed int64) txn.Config {
		return txn.Config{Namespace: f.env.Namespace, Set: f.set, Seed: seed, Retries: 10,
			Lock: lock.Config{TTL: ttl, Grace: grace, MaxWait: time.Second, Attempts: 200}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cleanerCtx, stopCleaner := context.WithCancel(ctx)
	cleanerDone := make(chan struct{})
	go func() {
		defer close(cleanerDone)
		m := txn.NewManager(f.env.Client, cfg(1000))
		_ = m.CleanupService(cleanerCtx, txn.CleanupOptions{MinAge: 200 * time.Millisecond}, 20*time.Millisecond, nil)
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	var injected int64
	for g := 0; g < 12; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			faulty, err := txntest.NewFaultyClient(f.env.Client, 50, int64(g))
			if err != nil {
				t.Error(err)
				return
			}
			m := txn.NewManager(faulty, cfg(int64(g)))
			defer func() {
				mu.Lock()
				injected += faulty.NotSent.Load() + faulty.RepliesLost.Load()
				mu.Unlock()
			}()
			for i := 0; i < 30 && ctx.Err() == nil; i++ {
				a, b := accounts[(g+i)%4], accounts[(g+i+1+i%3)%4]
				legs := []txn.Leg{{UKey: a, Amt: int64(-i - 1)}, {UKey: b, Amt: int64(i + 1)}}
				if a == b || i%5 == 0 {
					legs = []txn.Leg{{UKey: a, Amt: int64(10 + i)}}
				}
				_, err := m.Run(ctx, txn.NewTxnID(), legs...)
				key := string(txn.OutcomeOf(err)) // "committed", "conflict", "aborted", "in-doubt", …
				mu.Lock()
				outcomes[key]++
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	stopCleaner()
	<-cleanerDone
	// The final cleanup runs on a wall clock ahead by the sweep age and a
	// little: every lock taken so far has expired past its grace, and every
	// run left undecided is old enough for the sweep to abort it (as after
	// a sleep of over 2 s, without the sleep; a run of this test used to
	// fail now and then with LogsPending, its cleanup rounds over in less
	// time than the sweep age).
	final := cfg(2000)
	final.Clock = aheadClock{txn.DefaultSweepAge(ttl, grace) + ttl + grace}
	m := txn.NewManager(f.env.Client, final)
	cleanUntilQuiet(t, ctx, m)
	t.Logf("outcomes: %v; %d failures injected", outcomes, injected)
	if injected == 0 {
		t.Error("no failure was injected")
	}
	for k := range outcomes {
		if len(k) > 6 && k[:6] == "error:" {
			t.Errorf("unexpected outcome %s", k)
		}
	}
	rep := f.checkClean(t, accounts...)
	var total int64
	for _, a := range accounts {
		total += f.balance(t, a)
	}
	if total != rep.TotalLogged {
		t.Errorf("balances sum to %d, committed logs to %d", total, rep.TotalLogged)
	}
}
