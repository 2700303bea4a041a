package report

import (
	"reflect"
	"testing"

	"github.com/mxnlabs/mxn/pkg/txn"
)

func TestFromCleanup(t *testing.T) {
	cases := []struct {
		name  string
		in    *txn.CleanupReport
		clean bool
		want  *Cleanup
	}{
		{"nil", nil, false, nil},
		{"single round", &txn.CleanupReport{Accounts: 3, RolledForward: 1, RolledBack: 2, Amount: 40, LogsFinalized: 3}, true,
			&Cleanup{Rounds: 1, Accounts: 3, RolledForward: 1, RolledBack: 2, Amount: 40, LogsFinalized: 3, Clean: true}},
		{"merged rounds with leftovers", &txn.CleanupReport{Rounds: 4, Accounts: 9, Undecided: 2, Busy: 1, StaleLocks: 5,
			LogsPending: 6, Errors: []string{"a", "b"}, DryRun: true}, false,
			&Cleanup{Rounds: 4, Accounts: 9, Undecided: 2, Busy: 1, StaleLocks: 5, LogsPending: 6, Errors: 2, DryRun: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromCleanup(tc.in, tc.clean); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFromReconcile(t *testing.T) {
	accounts := []txn.AccountReport{
		{UKey: "usr1", Balance: 10, Logged: 10, Balanced: true},
		{UKey: "usr2", Balance: 15, Logged: 10, Pending: 3},
		{UKey: "usr3", LockError: "held"},
		{UKey: "usr4", Balance: -7, Logged: 0},
	}
	rec := &txn.ReconcileReport{Checked: 4, Balanced: 1, Unbalanced: []string{"usr2", "usr4"}, LockFailed: []string{"usr3"},
		TotalBalance: 18, TotalLogged: 20, TotalPending: 3, NonFinalLogs: 1, Accounts: accounts}
	base := Reconcile{Checked: 4, Balanced: 1, Drifted: 2, LockFailed: 1, TotalDrift: 12, TotalBalance: 18, TotalLogged: 20,
		TotalPending: 3, NonFinalLogs: 1, Verdict: rec.Verdict()}
	both := []DriftedAccount{{UKey: "usr2", Balance: 15, Logged: 10, Pending: 3, Drift: 5}, {UKey: "usr4", Balance: -7, Drift: -7}}
	cases := []struct {
		name string
		in   *txn.ReconcileReport
		max  int
		want func() *Reconcile
	}{
		{"nil", nil, 20, func() *Reconcile { return nil }},
		{"all drifted", rec, 20, func() *Reconcile { r := base; r.Sample = both; return &r }},
		{"sample of one", rec, 1, func() *Reconcile { r := base; r.Sample = both[:1]; r.SampleTruncated = true; return &r }},
		{"no sample", rec, 0, func() *Reconcile { r := base; r.SampleTruncated = true; return &r }},
		{"clean", &txn.ReconcileReport{Checked: 2, Balanced: 2, TotalBalance: 5, TotalLogged: 5}, 20, func() *Reconcile {
			return &Reconcile{Checked: 2, Balanced: 2, TotalBalance: 5, TotalLogged: 5, Verdict: "Reconciled"}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := FromReconcile(tc.in, tc.max)
			if want := tc.want(); !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
	if r := FromReconcile(rec, 20); r.OK() {
		t.Error("drifted report OK")
	}
}
