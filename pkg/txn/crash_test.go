package txn_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// TestCrashPoints enumerates every client call of a transaction and stops
// the transaction just before it is sent, and just after it is applied
// (the process dies; nothing else happens). Cleanup must then leave every
// account balanced, the total conserved, no lock and no pending entry, and
// the transaction all-or-nothing. Running cleanup a second time changes
// nothing.
func TestCrashPoints(t *testing.T) {
	shapes := []struct {
		name      string
		amts      map[string]int64
		wantCalls int64 // the round trips of an uncontended run
	}{
		{"single", map[string]int64{"usr0": 40}, 4},
		{"2-leg", map[string]int64{"usr0": -40, "usr1": 40}, 4},
		{"3-leg", map[string]int64{"usr0": -40, "usr1": 15, "usr2": 25}, 4},
		{"8-leg", spread(8), 4},
		{"16-leg", spread(16), 4},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			f := newFixture(t)
			ukeys := ukeysOf(len(sh.amts))
			// A clean run counts the calls and checks the round-trip budget.
			f.fund(t, ukeys)
			counter := txntest.NewCrashClient(f.env.Client, 0, false)
			if _, err := f.manager(counter, 1).Run(context.Background(), txn.NewTxnID(), legsOf(sh.amts)...); err != nil {
				t.Fatal(err)
			}
			n := counter.Calls.Load()
			if n != sh.wantCalls {
				t.Fatalf("clean run made %d calls, want %d", n, sh.wantCalls)
			}
			for k := int64(1); k <= n; k++ {
				for _, after := range []bool{false, true} {
					name := fmt.Sprintf("crash %s call %d", map[bool]string{false: "before", true: "after"}[after], k)
					t.Run(name, func(t *testing.T) {
						f.crashCase(t, ukeys, sh.amts, txntest.NewCrashClient(f.env.Client, k, after), k)
					})
				}
			}
		})
	}
}

func (f *fixture) fund(t *testing.T, ukeys []string) {
	t.Helper()
	f.accounts(t, 0, ukeys...)
	m := f.manager(f.env.Client, 7)
	for _, u := range ukeys {
		if _, err := m.Run(context.Background(), txn.NewTxnID(), txn.Leg{UKey: u, Amt: 1000}); err != nil {
			t.Fatal(err)
		}
	}
}

// spread is a transfer of n legs summing to 0.
func spread(n int) map[string]int64 {
	amts := map[string]int64{}
	for i, u := range ukeysOf(n) {
		amts[u] = int64(10 * (i + 1))
	}
	amts["usr0"] -= 10 * int64(n*(n+1)/2)
	return amts
}

// TestCrashPointsPartialBatches breaks every batch call of a transfer: for
// every subset of its records, only that subset reaches the server, and
// then the process dies (reply lost), or goes on with every record in
// doubt, with the others refused (KEY_BUSY), or with the others in doubt.
// Cleanup twice must leave the same state as in TestCrashPoints.
func TestCrashPointsPartialBatches(t *testing.T) {
	shapes := []struct {
		name string
		amts map[string]int64
	}{
		{"2-leg", map[string]int64{"usr0": -40, "usr1": 40}},
		{"3-leg", map[string]int64{"usr0": -40, "usr1": 15, "usr2": 25}},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			f := newFixture(t)
			ukeys := ukeysOf(len(sh.amts))
			f.fund(t, ukeys)
			if batches := f.breakEveryBatch(t, ukeys, sh.amts, 1, 4, nil); batches != 3 {
				t.Errorf("found %d batch calls, want 3 (claim, lock, apply)", batches)
			}
		})
	}
}

// breakEveryBatch finds the batch calls among calls from..to of the
// transfer amts (a probe sends each whole), and for each runs crashCaseOn
// for every subset of its records and every BatchFault. first, if not nil,
// wraps the client first (a fault that sends the run down a failure path).
// It returns the number of batch calls found.
func (f *fixture) breakEveryBatch(t *testing.T, ukeys []string, amts map[string]int64, from, to int64, first func(txn.Client) *txntest.PartialBatchClient) int {
	t.Helper()
	base := func() txn.Client {
		if first == nil {
			return f.env.Client
		}
		return first(f.env.Client)
	}
	batches := 0
	for k := from; k <= to; k++ {
		probe := txntest.NewPartialBatchClient(base(), k, ^uint64(0), txntest.BatchRefused)
		_, _ = f.manager(probe, 1).Run(context.Background(), txn.NewTxnID(), legsOf(amts)...)
		if !probe.Hit.Load() {
			continue
		}
		batches++
		size := probe.Size.Load()
		for subset := uint64(0); subset < 1<<size; subset++ {
			for _, fault := range txntest.BatchFaults {
				t.Run(fmt.Sprintf("call %d of %d records, sent %0*b, %s", k, size, size, subset, fault), func(t *testing.T) {
					f.crashCaseOn(t, ukeys, amts, txntest.NewPartialBatchClient(base(), k, subset, fault), k)
				})
			}
		}
	}
	return batches
}

func (f *fixture) crashCase(t *testing.T, ukeys []string, amts map[string]int64, crash txn.Client, k int64) {
	f.crashCaseOn(t, ukeys, amts, crash, k)
}

// crashCaseOn runs the transfer amts through crash, then cleanup twice,
// and checks the accounts ukeys (a leg on a missing account is not
// among them: such a run can only abort).
func (f *fixture) crashCaseOn(t *testing.T, ukeys []string, amts map[string]int64, crash txn.Client, k int64) {
	ctx := context.Background()
	before := map[string]int64{}
	for _, u := range ukeys {
		before[u] = f.balance(t, u)
	}
	res, runErr := f.manager(crash, k).Run(ctx, txn.NewTxnID(), legsOf(amts)...)
	// The dead process's locks expire; then cleanup finishes its work.
	f.clock.Advance(time.Minute) // past every lock and the sweep age
	cleaner := f.manager(f.env.Client, 100+k)
	rep, err := cleaner.Cleanup(ctx, txn.CleanupOptions{})
	if err != nil || !rep.Clean() {
		t.Fatalf("cleanup: %+v, %v", rep, err)
	}
	again, err := cleaner.Cleanup(ctx, txn.CleanupOptions{})
	if err != nil || again.RolledForward+again.RolledBack != 0 || again.Amount != 0 {
		t.Fatalf("second cleanup changed something: %+v, %v", again, err)
	}
	applied, notApplied := 0, 0
	for _, u := range ukeys {
		switch f.balance(t, u) {
		case before[u] + amts[u]:
			applied++
		case before[u]:
			notApplied++
		default:
			t.Errorf("%s: bal %d, neither %d nor %d", u, f.balance(t, u), before[u], before[u]+amts[u])
		}
	}
	if applied != len(ukeys) && notApplied != len(ukeys) {
		t.Errorf("not all-or-nothing: %d legs applied, %d not (run: %+v, %v)", applied, notApplied, res, runErr)
	}
	t.Logf("outcome: applied=%v by-cleanup: forward=%d back=%d; run err: %v", applied == len(ukeys), rep.RolledForward, rep.RolledBack, runErr)
	if runErr == nil && res.Committed && applied != len(ukeys) {
		t.Errorf("reported committed, but not applied")
	}
	if rep := f.checkClean(t, ukeys...); rep.NonFinalLogs != 0 {
		t.Errorf("%d logs still pending after cleanup", rep.NonFinalLogs)
	}
}

// TestCrashPointsFailurePathBatches breaks the batches that only a
// failure path sends, for every subset of their records and every fault:
// the release of locks a contended lock batch took out of canonical order
// (the first leg refused with KEY_BUSY, the others taken), and abandon's
// batch of releases and aborted marks (the last leg's account missing).
func TestCrashPointsFailurePathBatches(t *testing.T) {
	scenarios := []struct {
		name    string
		missing string // an account that does not exist
		first   func(c txn.Client) *txntest.PartialBatchClient
	}{
		{"out-of-order release", "", func(c txn.Client) *txntest.PartialBatchClient {
			return txntest.NewPartialBatchClient(c, 2, 0b110, txntest.BatchRefused) // lock batch: leg 0 busy
		}},
		{"abandon", "usr2", func(c txn.Client) *txntest.PartialBatchClient {
			return txntest.NewPartialBatchClient(c, 0, 0, txntest.BatchRefused) // no first fault
		}},
	}
	amts := map[string]int64{"usr0": -40, "usr1": 15, "usr2": 25}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := newFixture(t)
			var ukeys []string
			for _, u := range ukeysOf(3) {
				if u != sc.missing {
					ukeys = append(ukeys, u)
				}
			}
			f.fund(t, ukeys)
			if batches := f.breakEveryBatch(t, ukeys, amts, 3, 8, sc.first); batches == 0 {
				t.Fatal("the failure path sent no batch to break")
			}
		})
	}
}
