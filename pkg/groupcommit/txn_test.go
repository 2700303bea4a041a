package groupcommit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

func (e *env) accounts(t testing.TB, n int) []string {
	t.Helper()
	wp := as.NewWritePolicy(0, 0)
	wp.SendKey, wp.RecordExistsAction = true, as.REPLACE
	ukeys := make([]string, n)
	for i := range ukeys {
		ukeys[i] = fmt.Sprintf("acct%03d", i)
		if err := e.Client.Put(wp, e.key(t, e.set, ukeys[i]), as.BinMap{"name": ukeys[i], "bal": 0}); err != nil {
			t.Fatal(err)
		}
	}
	return ukeys
}

// TestTransactions runs many concurrent transactions (single-record and
// transfers) through txn.Manager over a Client, without and with faults
// injected under it (whole batches failing unsent or losing their
// reply), then cleanup and reconciliation through a Client too: every
// account must be balanced and the total conserved.
func TestTransactions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		permille int
	}{{"clean", 0}, {"faults", 40}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ukeys := e.accounts(t, 48)
			var inner txn.Client = e.Client
			var faulty *txntest.FaultyClient
			if tc.permille > 0 {
				var err error
				if faulty, err = txntest.NewFaultyClient(e.Client, tc.permille, 7); err != nil {
					t.Fatal(err)
				}
				inner = faulty
			}
			gc := New(inner, Options{})
			cfg := func(seed int64) txn.Config {
				return txn.Config{Namespace: e.Namespace, Set: e.set, Seed: seed, Retries: 10,
					Lock: lock.Config{TTL: 100 * time.Millisecond, Grace: 100 * time.Millisecond, MaxWait: time.Second, Attempts: 200}}
			}
			m := txn.NewManager(gc, cfg(1))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := m.EnsureIndex(ctx); err != nil {
				t.Fatal(err)
			}
			const workers, each = 32, 15
			var wg sync.WaitGroup
			var mu sync.Mutex
			outcomes := map[string]int{}
			for g := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each && ctx.Err() == nil; i++ {
						a, b := ukeys[(g*7+i*5)%len(ukeys)], ukeys[(g*11+i*3+1)%len(ukeys)]
						legs := []txn.Leg{{UKey: a, Amt: int64(i + 1)}}
						if i%3 != 0 && a != b {
							legs = []txn.Leg{{UKey: a, Amt: -int64(i + 1)}, {UKey: b, Amt: int64(i + 1)}}
						}
						_, err := m.Run(ctx, txn.NewTxnID(), legs...)
						key := string(txn.OutcomeOf(err)) // "committed", "conflict", "aborted", "in-doubt", …
						mu.Lock()
						outcomes[key]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			st := gc.Stats()
			gc.Close()
			t.Logf("outcomes %v; stats %+v", outcomes, st)
			for k := range outcomes {
				if len(k) > 6 && k[:6] == "error:" {
					t.Errorf("unexpected outcome %s", k)
				}
			}
			if outcomes["committed"] < workers*each/2 {
				t.Errorf("only %d of %d committed", outcomes["committed"], workers*each)
			}
			if st.Batches == 0 || st.BatchedRecords < 2*st.Batches {
				t.Errorf("nothing was batched: %+v", st)
			}
			if faulty != nil && faulty.NotSent.Load()+faulty.RepliesLost.Load() == 0 {
				t.Error("no fault injected")
			}
			// Cleanup and reconciliation, through a Client too (their
			// queries pass through), on a clock ahead by the sweep age so
			// that every run left undecided is old enough to abort.
			vc := New(e.Client, Options{})
			defer vc.Close()
			final := cfg(2)
			final.Clock = aheadClock{txn.DefaultSweepAge(final.Lock.TTL, final.Lock.Grace) + time.Second}
			rep, err := txn.NewManager(vc, final).Verify(ctx, txn.VerifyOptions{Wait: -1, MaxRounds: 30})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() || rep.Reconcile == nil {
				t.Fatalf("verify: %+v, reconcile %+v", rep, rep.Reconcile)
			}
			var total int64
			for _, u := range ukeys {
				r, err := e.Client.Get(nil, e.key(t, e.set, u))
				if err != nil {
					t.Fatal(err)
				}
				bal, ok := r.Bins["bal"].(int)
				if !ok {
					t.Fatalf("%s: bal %#v", u, r.Bins["bal"])
				}
				total += int64(bal)
				if r.Bins["lck"] != nil || r.Bins["ptxns"] != nil && len(r.Bins["ptxns"].([]any)) > 0 {
					t.Errorf("%s left locked or pending: %v", u, r.Bins)
				}
			}
			if total != rep.Reconcile.TotalLogged || !rep.Reconcile.Conserved() {
				t.Errorf("balances sum to %d, committed logs to %d", total, rep.Reconcile.TotalLogged)
			}
			t.Logf("reconciled %d accounts, total %d", rep.Reconcile.Checked, total)
		})
	}
}

// aheadClock is the wall clock d ahead (as pkg/txn's tests use it).
type aheadClock struct{ d time.Duration }

func (c aheadClock) Now() time.Time { return time.Now().Add(c.d) }
func (c aheadClock) Sleep(ctx context.Context, d time.Duration) error {
	return lock.SystemClock{}.Sleep(ctx, d)
}
