package txn_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

func TestSingleRecordTransaction(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "usr0")
	m := f.manager(f.env.Client, 1)
	ctx := context.Background()
	for _, amt := range []int64{100, -30, 7} {
		res, err := m.Run(ctx, txn.NewTxnID(), txn.Leg{UKey: "usr0", Amt: amt})
		if err != nil || !res.Committed || res.Applied != 1 {
			t.Fatalf("run %d: %+v, %v", amt, res, err)
		}
	}
	if got := f.balance(t, "usr0"); got != 77 {
		t.Fatalf("bal = %d, want 77", got)
	}
	rep := f.checkClean(t, "usr0")
	if rep.TotalLogged != 77 {
		t.Fatalf("logged %d, want 77", rep.TotalLogged)
	}
}

func TestTransfer(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "a", "b", "c")
	m := f.manager(f.env.Client, 1)
	for _, u := range []string{"a", "b", "c"} {
		if _, err := m.Run(context.Background(), txn.NewTxnID(), txn.Leg{UKey: u, Amt: 100}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := m.Run(context.Background(), txn.NewTxnID(),
		txn.Leg{UKey: "c", Amt: 10}, txn.Leg{UKey: "a", Amt: -25}, txn.Leg{UKey: "b", Amt: 15})
	if err != nil || !res.Committed || res.Applied != 3 {
		t.Fatalf("transfer: %+v, %v", res, err)
	}
	if res.Legs[0].UKey != "a" {
		t.Fatalf("legs not in canonical order: %+v", res.Legs)
	}
	for u, want := range map[string]int64{"a": 75, "b": 115, "c": 110} {
		if got := f.balance(t, u); got != want {
			t.Errorf("%s: bal %d, want %d", u, got, want)
		}
	}
	f.checkClean(t, "a", "b", "c")
}

func TestRunRejectsBadInput(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "a")
	m := f.manager(f.env.Client, 1)
	ctx := context.Background()
	if _, err := m.Run(ctx, "bad:id", txn.Leg{UKey: "a", Amt: 1}); err == nil {
		t.Error("txnid with ':' accepted")
	}
	if _, err := m.Run(ctx, txn.NewTxnID()); err == nil {
		t.Error("no legs accepted")
	}
	if _, err := m.Run(ctx, txn.NewTxnID(), txn.Leg{UKey: "a", Amt: 1}, txn.Leg{UKey: "a", Amt: 2}); err == nil {
		t.Error("duplicate account accepted")
	}
	if _, err := m.Run(ctx, txn.NewTxnID(), txn.Leg{UKey: "a", Amt: 1}, txn.Leg{UKey: "ghost", Amt: -1}); !errors.Is(err, txn.ErrNoAccount) {
		t.Errorf("missing account: %v", err)
	}
	f.checkClean(t, "a")
}

// A writer stalled past its lock's expiry is fenced: cleanup rolls it back
// with a tombstone, and the late log write can never count.
func TestStaleWriterIsFenced(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "usr0")
	// The stalled writer dies after taking its lock, before its commit
	// point (calls: claim, lock, commit flip).
	stalled := txntest.NewCrashClient(f.env.Client, 3, false)
	m := f.manager(stalled, 1)
	id := txn.NewTxnID()
	if _, err := m.Run(context.Background(), id, txn.Leg{UKey: "usr0", Amt: 50}); err == nil {
		t.Fatal("crashed transaction reported success")
	}
	f.clock.Advance(time.Minute) // past every lock and the sweep age
	rep, err := f.manager(f.env.Client, 2).Cleanup(context.Background(), txn.CleanupOptions{})
	if err != nil || rep.RolledBack != 1 {
		t.Fatalf("cleanup: %+v, %v", rep, err)
	}
	// The caller retries the txnid through a live client: the first run's
	// log (aborted by cleanup) stops it before it touches the account.
	res, err := f.manager(f.env.Client, 3).Run(context.Background(), id, txn.Leg{UKey: "usr0", Amt: 50})
	if !errors.Is(err, txn.ErrDuplicate) || res.Committed {
		t.Fatalf("late writer: %+v, %v (want duplicate)", res, err)
	}
	if got := f.balance(t, "usr0"); got != 0 {
		t.Fatalf("bal = %d, want 0", got)
	}
	f.checkClean(t, "usr0")
}
