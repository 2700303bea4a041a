package aggregate

import (
	"testing"

	"github.com/mxnlabs/mxn/pkg/report"
)

func TestVerification(t *testing.T) {
	clean := cln(report.Cleanup{Rounds: 1, Accounts: 10, RolledForward: 2, Clean: true})
	good := rcn(balanced(10, 1000))
	bad := rcn(report.Reconcile{Checked: 10, Balanced: 9, Drifted: 1, TotalDrift: 5, TotalBalance: 1005, TotalLogged: 1000,
		Sample: []report.DriftedAccount{drifted("usr4", 5)}})
	lockFailed := rcn(report.Reconcile{Checked: 10, Balanced: 9, LockFailed: 1, TotalBalance: 900, TotalLogged: 900})
	notConserved := rcn(report.Reconcile{Checked: 10, Balanced: 10, TotalBalance: 900, TotalLogged: 901})
	failed := &report.Report{V: 1, Kind: report.KindReconcile, Error: "connect: no route to host"}
	tests := map[string]struct {
		cleanup, reconcile []*report.Report
		passed             bool
		verdict            string
	}{
		"all good": {
			cleanup: []*report.Report{clean, clean}, reconcile: []*report.Report{good, good},
			passed: true, verdict: "Reconciled",
		},
		"drift": {
			cleanup: []*report.Report{clean}, reconcile: []*report.Report{good, bad},
			verdict: "Unbalanced records found: [usr4]",
		},
		"a failed lock": {
			cleanup: []*report.Report{clean}, reconcile: []*report.Report{lockFailed},
			verdict: "Reconciled; except for failed locks (1)",
		},
		"not conserved": {
			cleanup: []*report.Report{clean}, reconcile: []*report.Report{notConserved},
			verdict: "Not conserved: balances total 900, committed logs 901",
		},
		"a missing reconcile shard": {
			cleanup: []*report.Report{clean}, reconcile: []*report.Report{good, nil},
			verdict: "Incomplete: reconcile shard 1 has no report",
		},
		"a failed reconcile shard": {
			cleanup: []*report.Report{clean}, reconcile: []*report.Report{failed, good},
			verdict: "Incomplete: reconcile shard 0 failed: connect: no route to host",
		},
		"a missing cleanup shard and drift": {
			cleanup: []*report.Report{nil, clean, nil}, reconcile: []*report.Report{bad},
			verdict: "Unbalanced records found: [usr4]; incomplete: cleanup shard 0 has no report (and 1 more)",
		},
		"a report of the wrong kind": {
			cleanup: []*report.Report{good}, reconcile: []*report.Report{good},
			verdict: `Incomplete: cleanup shard 0 reported no cleanup counts (kind "rcn")`,
		},
		"no reconcile at all": {
			cleanup: []*report.Report{clean},
			verdict: "Incomplete: no reconcile shard",
		},
		"no cleanup shards is fine": {
			reconcile: []*report.Report{good},
			passed:    true, verdict: "Reconciled",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Verification(tc.cleanup, tc.reconcile, 10)
			if got.Passed != tc.passed || got.Verdict != tc.verdict {
				t.Errorf("Verification: passed %v verdict %q, want %v %q", got.Passed, got.Verdict, tc.passed, tc.verdict)
			}
			if got.Cleanup != CleanupResult(tc.cleanup) {
				t.Errorf("cleanup %+v, want the sum %+v", got.Cleanup, CleanupResult(tc.cleanup))
			}
		})
	}
}
