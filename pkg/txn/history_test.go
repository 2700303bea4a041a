package txn_test

import (
	"context"
	"testing"
	"time"

	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// TestHistory: an account's committed operations in log order with their
// running balance and the other legs of their transfers; with All, the
// aborted and undecided ones too; Since and Limit select; the verdict
// compares the running total with the stored balance, and shows drift.
func TestHistory(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "a", "b")
	m := f.manager(f.env.Client, 1)
	ctx := context.Background()
	run := func(txnid string, legs ...txn.Leg) {
		t.Helper()
		if _, err := m.Run(ctx, txnid, legs...); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Second)
	}
	run("t1", txn.Leg{UKey: "a", Amt: 100})
	run("t2", txn.Leg{UKey: "a", Amt: -30}, txn.Leg{UKey: "b", Amt: 30})
	// A run that claims its log and dies before locking: undecided, then
	// aborted by cleanup's sweep.
	_, _ = f.manager(txntest.NewCrashClient(f.env.Client, 2, false), 2).Run(ctx, "t3", txn.Leg{UKey: "a", Amt: 7})
	f.clock.Advance(time.Second)
	since := f.clock.Now()
	run("t4", txn.Leg{UKey: "a", Amt: 5})

	h, err := m.History(ctx, "a", txn.HistoryOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		txnid, status string
		amt, running  int64
		others        int
	}{{"t1", "committed", 100, 100, 0}, {"t2", "committed", -30, 70, 1}, {"t3", "undecided", 7, 70, 0}, {"t4", "committed", 5, 75, 0}}
	if len(h.Entries) != len(want) || h.Operations != 4 {
		t.Fatalf("entries %+v", h.Entries)
	}
	for i, w := range want {
		e := h.Entries[i]
		if e.TxnID != w.txnid || e.Status != w.status || e.Amount != w.amt || e.Running != w.running || len(e.Others) != w.others {
			t.Errorf("entry %d: %+v, want %+v", i, e, w)
		}
	}
	if o := h.Entries[1].Others; len(o) != 1 || o[0] != (txn.Leg{UKey: "b", Amt: 30}) {
		t.Errorf("t2's other legs %+v", o)
	}
	if !h.Balanced || h.Balance != 75 || h.Committed != 75 {
		t.Errorf("verdict: %+v", h)
	}

	// Committed only (the default), since t4, the latest one.
	h, _ = m.History(ctx, "a", txn.HistoryOptions{})
	if len(h.Entries) != 3 {
		t.Errorf("committed only: %+v", h.Entries)
	}
	h, _ = m.History(ctx, "a", txn.HistoryOptions{Since: since})
	if len(h.Entries) != 1 || h.Entries[0].TxnID != "t4" || h.Entries[0].Running != 75 {
		t.Errorf("since %v: %+v", since, h.Entries)
	}
	h, _ = m.History(ctx, "a", txn.HistoryOptions{Limit: 2})
	if len(h.Entries) != 2 || h.Entries[0].TxnID != "t2" {
		t.Errorf("limit 2: %+v", h.Entries)
	}

	// Cleanup aborts t3; drift planted by hand shows in the verdict.
	f.clock.Advance(time.Minute)
	if _, err := m.Cleanup(ctx, txn.CleanupOptions{}); err != nil {
		t.Fatal(err)
	}
	f.addBal(t, "a", 4)
	h, _ = m.History(ctx, "a", txn.HistoryOptions{All: true})
	if h.Entries[2].Status != "aborted" || h.Balanced || h.Balance-h.Committed != 4 {
		t.Errorf("after cleanup and drift: %+v", h)
	}
	if _, err := m.History(ctx, "a", txn.HistoryOptions{Limit: -1}); err == nil {
		t.Error("a negative limit is accepted")
	}
}
