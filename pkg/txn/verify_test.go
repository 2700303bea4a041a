package txn_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// sleeper is an injected Sleep on the fixture's fake clock that counts
// the time slept: Verify must never sleep on the wall clock.
type sleeper struct {
	f     *fixture
	slept time.Duration
	calls int
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.slept += d
	s.calls++
	return s.f.clock.Sleep(ctx, d)
}

// Crashed transfers leave locks, pending entries and pending logs; Verify
// waits (on the fake clock) for the locks to expire, cleans until nothing
// is left and reconciles.
func TestVerifyCleansCrashedRunsAndReconciles(t *testing.T) {
	f := newFixture(t)
	ukeys := ukeysOf(4)
	f.accounts(t, 0, ukeys...)
	ctx := context.Background()
	for k := int64(2); k <= 9; k++ {
		crash := txntest.NewCrashClient(f.env.Client, k, k%2 == 0)
		_, _ = f.manager(crash, k).Run(ctx, txn.NewTxnID(), legsOf(map[string]int64{"usr0": -5, "usr1": 3, "usr2": 2})...)
	}
	m := f.manager(f.env.Client, 50)
	s := &sleeper{f: f}
	start := time.Now()
	rep, err := m.Verify(ctx, txn.VerifyOptions{Sleep: s.sleep, Now: f.clock.Now, Concurrency: 2})
	if err != nil {
		t.Fatalf("verify: %v (%+v)", err, rep)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("verify took %v of wall time", time.Since(start))
	}
	lc := m.Locker().Config()
	if s.slept < lc.TTL+lc.Grace {
		t.Errorf("slept %v, want at least TTL+grace %v first", s.slept, lc.TTL+lc.Grace)
	}
	if !rep.Clean || !rep.OK() || rep.Reconcile == nil || !rep.Reconcile.OK() {
		t.Fatalf("not OK: %+v, reconcile %+v", rep, rep.Reconcile)
	}
	c := rep.Cleanup
	if c.Rounds < 2 || c.RolledForward+c.RolledBack == 0 {
		t.Errorf("cleanup %+v: want work done over at least two rounds (the last changing nothing)", c)
	}
	f.checkClean(t, ukeys...)

	// Nothing left: one round, no changes.
	again, err := m.Verify(ctx, txn.VerifyOptions{Sleep: s.sleep, Now: f.clock.Now})
	if err != nil || again.Cleanup.Rounds != 1 || again.Cleanup.Changed() || !again.OK() {
		t.Fatalf("second verify: %+v, %v", again, err)
	}
	// SkipReconcile stops after cleanup; a negative Wait does not wait.
	calls := s.calls
	only, err := m.Verify(ctx, txn.VerifyOptions{Sleep: s.sleep, Now: f.clock.Now, SkipReconcile: true, Wait: -1})
	if err != nil || only.Reconcile != nil || !only.Clean || s.calls != calls {
		t.Fatalf("cleanup only: %+v, %v, %d sleeps", only, err, s.calls-calls)
	}
}

// A round that never comes clean (a malformed pending entry is an error
// every round) ends at MaxRounds or Timeout with an error saying how far
// it got, the rounds summed into the report.
func TestVerifyBoundedByRoundsAndTimeout(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "usr0")
	k, _ := as.NewKey(f.env.Namespace, f.set, "usr0")
	if err := f.env.Client.Put(nil, k, as.BinMap{"ptxns": []any{"garbage"}}); err != nil {
		t.Fatal(err)
	}
	m := f.manager(f.env.Client, 1)
	s := &sleeper{f: f}
	rep, err := m.Verify(context.Background(), txn.VerifyOptions{Sleep: s.sleep, Now: f.clock.Now, MaxRounds: 3})
	if err == nil || !strings.Contains(err.Error(), "after 3 rounds") || !strings.Contains(err.Error(), "malformed pending entry") {
		t.Fatalf("err %v: want the rounds and the first error", err)
	}
	if rep.Clean || rep.Reconcile != nil || rep.Cleanup.Rounds != 3 || len(rep.Cleanup.Errors) != 3 || rep.Cleanup.Accounts != 3 {
		t.Fatalf("report %+v", rep)
	}
	// Timeout on the injected clock: the pauses between rounds move it.
	rep, err = m.Verify(context.Background(), txn.VerifyOptions{Sleep: s.sleep, Now: f.clock.Now, Timeout: 120 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "cleanup not finished") || rep.Cleanup.Rounds < 2 || rep.Cleanup.Rounds > 4 {
		t.Fatalf("timeout: %v, %d rounds", err, rep.Cleanup.Rounds)
	}
	// A cancelled context stops it in the first wait.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Verify(ctx, txn.VerifyOptions{Sleep: s.sleep, Now: f.clock.Now}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestCleanupReportMergeSumsEverything(t *testing.T) {
	a := &txn.CleanupReport{Accounts: 1, RolledForward: 2, RolledBack: 3, Undecided: 4, Busy: 5, StaleLocks: 6, Amount: 7, LogsFinalized: 8, LogsPending: 9, Errors: []string{"x"}, Rounds: 1}
	b := *a
	b.Errors = []string{"y"}
	a.Merge(&b)
	want := txn.CleanupReport{Accounts: 2, RolledForward: 4, RolledBack: 6, Undecided: 8, Busy: 10, StaleLocks: 12, Amount: 14, LogsFinalized: 16, LogsPending: 18, Errors: []string{"x", "y"}, Rounds: 2}
	if a.Accounts != want.Accounts || a.RolledForward != want.RolledForward || a.RolledBack != want.RolledBack ||
		a.Undecided != want.Undecided || a.Busy != want.Busy || a.StaleLocks != want.StaleLocks || a.Amount != want.Amount ||
		a.LogsFinalized != want.LogsFinalized || a.LogsPending != want.LogsPending || len(a.Errors) != 2 || a.Rounds != 2 {
		t.Fatalf("merged %+v, want %+v", a, want)
	}
	a.Merge(nil)
}
