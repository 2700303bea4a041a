package txn_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// A rerun of a committed txnid that stops after any of its first calls
// (before or after each is applied) must leave nothing that cleanup could
// take for the earlier run's pending leg: the earlier run is applied once.
// (A rerun that locked the account before claiming its log would leave an
// entry named like the earlier run's, and cleanup would apply it again.)
func TestRerunCrashPointsApplyOnce(t *testing.T) {
	for k := int64(1); k <= 3; k++ {
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("crash %d after=%v", k, after), func(t *testing.T) {
				f := newFixture(t)
				f.accounts(t, 0, "usr0", "usr1")
				ctx := context.Background()
				id := txn.NewTxnID()
				legs := []txn.Leg{{UKey: "usr0", Amt: 50}}
				if k%2 == 0 {
					legs = []txn.Leg{{UKey: "usr0", Amt: -50}, {UKey: "usr1", Amt: 50}}
				}
				if _, err := f.manager(f.env.Client, 1).Run(ctx, id, legs...); err != nil {
					t.Fatal(err)
				}
				crash := txntest.NewCrashClient(f.env.Client, k, after)
				res, err := f.manager(crash, 2).Run(ctx, id, legs...)
				if err == nil || res.Committed {
					t.Fatalf("rerun of a committed txnid: %+v, %v", res, err)
				}
				f.clock.Advance(time.Minute) // past every lock and the sweep age
				if _, err := f.manager(f.env.Client, 3).Cleanup(ctx, txn.CleanupOptions{}); err != nil {
					t.Fatal(err)
				}
				for _, l := range legs {
					if got := f.balance(t, l.UKey); got != l.Amt {
						t.Errorf("%s: bal %d, want %d (applied once)", l.UKey, got, l.Amt)
					}
				}
				f.checkClean(t, "usr0", "usr1")
			})
		}
	}
}

func TestValidateTxnIDBound(t *testing.T) {
	if err := txn.ValidateTxnID(strings.Repeat("x", txn.MaxTxnIDLen)); err != nil {
		t.Errorf("%d bytes: %v", txn.MaxTxnIDLen, err)
	}
	for _, id := range []string{strings.Repeat("x", txn.MaxTxnIDLen+1), "", "a:b"} {
		if txn.ValidateTxnID(id) == nil {
			t.Errorf("txnid of %d bytes %.10q accepted", len(id), id)
		}
	}
	f := newFixture(t)
	f.accounts(t, 0, "a")
	if _, err := f.manager(f.env.Client, 1).Run(context.Background(), strings.Repeat("x", 200), txn.Leg{UKey: "a", Amt: 1}); err == nil {
		t.Error("Run accepted a 200-byte txnid")
	}
}
