package sim

import (
	"slices"
	"strings"
	"testing"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/txn"
)

// quiet is a world where the protocol's assumptions hold: no faults, no
// reruns, no missing accounts.
func quiet() Options {
	return Options{Faults: NoFaults(), RerunRate: -1, MissingRate: -1}
}

// TestSimulationQuietWorldsPass: without faults and reruns the harness
// reports nothing (no false positives from the scheduler or the audit).
func TestSimulationQuietWorldsPass(t *testing.T) {
	n := 30
	if testing.Short() {
		n = 5
	}
	for seed := int64(1); seed <= int64(n); seed++ {
		rep, err := Run(seed, quiet())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failed() {
			t.Errorf("%s", rep.Failure())
		}
	}
}

// TestAuditCatchesTampering tampers with a clean world's final state in
// the ways the audit must notice.
func TestAuditCatchesTampering(t *testing.T) {
	// A seed whose quiet world commits a transfer (for the per-run checks).
	var seed int64
	for s := int64(1); s < 50 && seed == 0; s++ {
		rep, err := Run(s, quiet())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range rep.Trace {
			if strings.Contains(l, "-> committed") && strings.Contains(l, "applied=") && !strings.Contains(l, "applied=1") {
				seed = s
				break
			}
		}
	}
	if seed == 0 {
		t.Fatal("no quiet world with a committed transfer")
	}
	put := func(w *world, set, key string, bins as.BinMap) {
		k, _ := as.NewKey(w.ns, set, key)
		if err := w.raw.Put(nil, k, bins); err != nil {
			t.Fatal(err)
		}
	}
	// firstCommitted returns a committed transfer (multi) or single-leg run.
	firstCommitted := func(w *world, multi bool) *runRecord {
		for _, r := range w.runs {
			if r.err == nil && r.res != nil && (len(r.legs) > 1) == multi {
				return r
			}
		}
		return nil
	}
	cases := []struct {
		name   string
		tamper func(*world)
		want   []string
	}{
		{"balance", func(w *world) {
			put(w, w.set, "usr0", as.BinMap{txn.BinBalance: 1_000_000})
		}, []string{"account-balance", "total-balance"}},
		{"lock", func(w *world) {
			put(w, w.set, "usr1", as.BinMap{"lckto": 1})
		}, []string{"account-locked"}},
		{"pending entry", func(w *world) {
			put(w, w.set, "usr1", as.BinMap{"ptxns": []any{"usr1:T999"}})
		}, []string{"account-pending"}},
		{"undecided log", func(w *world) {
			r := firstCommitted(w, true)
			put(w, w.logSet, txn.LogKey(r.res.Legs[0].UKey, r.txnid), as.BinMap{txn.LogStatus: "pending"})
		}, []string{"log-undecided", "outcome-truth"}},
		{"half aborted transfer", func(w *world) {
			r := firstCommitted(w, true)
			put(w, w.logSet, txn.LogKey(r.res.Legs[1].UKey, r.txnid), as.BinMap{txn.LogStatus: "aborted"})
		}, []string{"run-atomicity", "outcome-truth", "account-balance"}},
		{"aborted single", func(w *world) {
			r := firstCommitted(w, false)
			if r == nil {
				r = firstCommitted(w, true)
			}
			for _, l := range r.res.Legs {
				put(w, w.logSet, txn.LogKey(l.UKey, r.txnid), as.BinMap{txn.LogStatus: "aborted"})
			}
		}, []string{"outcome-truth", "account-balance"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := quiet()
			o.preAudit = c.tamper
			rep, err := Run(seed, o)
			if err != nil {
				t.Fatal(err)
			}
			got := rep.Checks()
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("seed %d tampered (%s): checks %v, want %s among them", seed, c.name, got, w)
				}
			}
		})
	}
}
