package aggregate

import (
	"reflect"
	"testing"

	"github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/pkg/report"
)

func rcn(c report.Reconcile) *report.Report {
	return &report.Report{V: report.Version, Kind: report.KindReconcile, Reconcile: &c}
}

func cln(c report.Cleanup) *report.Report {
	return &report.Report{V: report.Version, Kind: report.KindCleanup, Cleanup: &c}
}

func drifted(ukey string, drift int64) report.DriftedAccount {
	return report.DriftedAccount{UKey: ukey, Balance: 100 + drift, Logged: 100, Pending: 1, Drift: drift}
}

func apiDrifted(ukey string, drift int64) v1alpha1.DriftedAccount {
	return v1alpha1.DriftedAccount{UKey: ukey, Balance: 100 + drift, Logged: 100, Pending: 1, Drift: drift}
}

func balanced(checked, total int64) report.Reconcile {
	return report.Reconcile{Checked: checked, Balanced: checked, TotalBalance: total, TotalLogged: total, TotalPending: 3, NonFinalLogs: 1, Verdict: "Reconciled"}
}

func TestReconcileResult(t *testing.T) {
	shardA := report.Reconcile{Checked: 10, Balanced: 7, Drifted: 3, LockFailed: 0, TotalDrift: 60, TotalBalance: 1060, TotalLogged: 1000, TotalPending: 5, NonFinalLogs: 2,
		Sample: []report.DriftedAccount{drifted("usr3", 30), drifted("usr1", 10), drifted("usr2", 20)}}
	shardB := report.Reconcile{Checked: 20, Balanced: 18, Drifted: 1, LockFailed: 1, TotalDrift: 30, TotalBalance: 1970, TotalLogged: 2000, TotalPending: 7, NonFinalLogs: 0,
		Sample: []report.DriftedAccount{drifted("usr9", -30)}}
	tests := map[string]struct {
		shards    []*report.Report
		maxSample int
		want      v1alpha1.ReconcileResult
	}{
		"nothing": {want: v1alpha1.ReconcileResult{Conserved: true}},
		"one balanced shard": {
			shards: []*report.Report{rcn(balanced(5, 500))},
			want:   v1alpha1.ReconcileResult{AccountsChecked: 5, Balanced: 5, TotalBalance: 500, TotalLogged: 500, PendingAmount: 3, NonFinalLogs: 1, Conserved: true},
		},
		"sums, and the sample by |drift| then ukey": {
			shards:    []*report.Report{rcn(shardA), nil, rcn(shardB), {V: 1, Kind: report.KindReconcile, Error: "no cluster"}},
			maxSample: 20,
			want: v1alpha1.ReconcileResult{AccountsChecked: 30, Balanced: 25, Drifted: 4, LockFailed: 1, TotalDrift: 90,
				TotalBalance: 3030, TotalLogged: 3000, PendingAmount: 12, NonFinalLogs: 2, Conserved: false,
				DriftedAccounts: []v1alpha1.DriftedAccount{apiDrifted("usr3", 30), apiDrifted("usr9", -30), apiDrifted("usr2", 20), apiDrifted("usr1", 10)}},
		},
		"sample capped": {
			shards: []*report.Report{rcn(shardA), rcn(shardB)}, maxSample: 2,
			want: v1alpha1.ReconcileResult{AccountsChecked: 30, Balanced: 25, Drifted: 4, LockFailed: 1, TotalDrift: 90,
				TotalBalance: 3030, TotalLogged: 3000, PendingAmount: 12, NonFinalLogs: 2,
				DriftedAccounts: []v1alpha1.DriftedAccount{apiDrifted("usr3", 30), apiDrifted("usr9", -30)}},
		},
		"no sample asked": {
			shards: []*report.Report{rcn(shardB)}, maxSample: 0,
			want: v1alpha1.ReconcileResult{AccountsChecked: 20, Balanced: 18, Drifted: 1, LockFailed: 1, TotalDrift: 30,
				TotalBalance: 1970, TotalLogged: 2000, PendingAmount: 7},
		},
		"drifts that cancel out are conserved": {
			shards: []*report.Report{rcn(report.Reconcile{Checked: 2, Drifted: 2, TotalDrift: 10, TotalBalance: 200, TotalLogged: 200,
				Sample: []report.DriftedAccount{drifted("b", -5), drifted("a", 5)}})},
			maxSample: 5,
			want: v1alpha1.ReconcileResult{AccountsChecked: 2, Drifted: 2, TotalDrift: 10, TotalBalance: 200, TotalLogged: 200, Conserved: true,
				DriftedAccounts: []v1alpha1.DriftedAccount{apiDrifted("a", 5), apiDrifted("b", -5)}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ReconcileResult(tc.shards, tc.maxSample); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ReconcileResult =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	tests := map[string]struct {
		r    v1alpha1.ReconcileResult
		want string
	}{
		"reconciled": {r: v1alpha1.ReconcileResult{AccountsChecked: 3, Balanced: 3, Conserved: true}, want: "Reconciled"},
		"unbalanced, all in the sample, by ukey": {
			r:    v1alpha1.ReconcileResult{Drifted: 2, DriftedAccounts: []v1alpha1.DriftedAccount{apiDrifted("usr9", 50), apiDrifted("usr10", 1)}},
			want: "Unbalanced records found: [usr10 usr9]",
		},
		"unbalanced, more than the sample": {
			r:    v1alpha1.ReconcileResult{Drifted: 5, DriftedAccounts: []v1alpha1.DriftedAccount{apiDrifted("usr9", 50)}},
			want: "Unbalanced records found: [usr9] and 4 more",
		},
		"unbalanced, no sample":   {r: v1alpha1.ReconcileResult{Drifted: 5}, want: "Unbalanced records found: 5"},
		"every lock failed":       {r: v1alpha1.ReconcileResult{AccountsChecked: 4, LockFailed: 4, Conserved: true}, want: "Failed to lock some records: all 4"},
		"some locks failed":       {r: v1alpha1.ReconcileResult{AccountsChecked: 4, Balanced: 3, LockFailed: 1, Conserved: true}, want: "Reconciled; except for failed locks (1)"},
		"balanced, not conserved": {r: v1alpha1.ReconcileResult{AccountsChecked: 4, Balanced: 4, TotalBalance: 10, TotalLogged: 12}, want: "Not conserved: balances total 10, committed logs 12"},
		"drift wins over lock failures": {
			r:    v1alpha1.ReconcileResult{AccountsChecked: 4, Drifted: 1, LockFailed: 3, DriftedAccounts: []v1alpha1.DriftedAccount{apiDrifted("usr1", 1)}},
			want: "Unbalanced records found: [usr1]",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Verdict(tc.r); got != tc.want {
				t.Errorf("Verdict = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCleanupResult(t *testing.T) {
	a := report.Cleanup{Rounds: 2, Accounts: 10, RolledForward: 3, RolledBack: 2, Undecided: 1, Busy: 1, StaleLocks: 4, Amount: 300, LogsFinalized: 5, LogsPending: 9, Errors: 1, Clean: true}
	b := report.Cleanup{Rounds: 1, Accounts: 20, RolledForward: 1, RolledBack: 0, Undecided: 0, Busy: 2, StaleLocks: 0, Amount: 50, LogsFinalized: 1}
	tests := map[string]struct {
		shards []*report.Report
		want   v1alpha1.CleanupResult
	}{
		"nothing": {},
		"sums, skipping missing and foreign reports": {
			shards: []*report.Report{cln(a), nil, cln(b), rcn(balanced(1, 1))},
			want: v1alpha1.CleanupResult{Accounts: 30, RolledForward: 4, RolledBack: 2, Undecided: 1, Busy: 3, StaleLocks: 4,
				LogsFinalized: 6, AmountRolledForward: 350, Errors: 1},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := CleanupResult(tc.shards); got != tc.want {
				t.Errorf("CleanupResult = %+v, want %+v", got, tc.want)
			}
		})
	}
}
