package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

// The project's metrics, served on the manager's metrics endpoint next to
// controller-runtime's own.
var (
	loadTestCommitted = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mxn_loadtest_committed_total",
		Help: "Transactions committed by the current run of a LoadTest (live progress while it runs, exact once it ended).",
	}, []string{"namespace", "name"})
	loadTestPhase = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mxn_loadtest_phase",
		Help: "1 for the phase a LoadTest is in, 0 for the others.",
	}, []string{"namespace", "name", "phase"})
	reconciliationDrifted = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mxn_reconciliation_drifted_accounts",
		Help: "Accounts whose balance is not their committed logs, at the last finished run of a Reconciliation.",
	}, []string{"namespace", "name"})
	reconciliationDrift = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mxn_reconciliation_total_drift",
		Help: "Sum of |balance - committed logs| over drifted accounts, at the last finished run of a Reconciliation.",
	}, []string{"namespace", "name"})
	cleanupRolledForward = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mxn_cleanup_rolled_forward_total",
		Help: "Pending transactions a Cleanup rolled forward (finished runs seen by this operator process).",
	}, []string{"namespace", "name"})
	cleanupRolledBack = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mxn_cleanup_rolled_back_total",
		Help: "Pending transactions a Cleanup rolled back (finished runs seen by this operator process).",
	}, []string{"namespace", "name"})
)

func init() {
	metrics.Registry.MustRegister(loadTestCommitted, loadTestPhase, reconciliationDrifted, reconciliationDrift, cleanupRolledForward, cleanupRolledBack)
}

var loadTestPhases = []mxnv1.LoadTestPhase{
	mxnv1.LoadTestPending, mxnv1.LoadTestInitializing, mxnv1.LoadTestStarting, mxnv1.LoadTestRunning,
	mxnv1.LoadTestVerifying, mxnv1.LoadTestSucceeded, mxnv1.LoadTestFailed,
}

func recordLoadTestMetrics(lt *mxnv1.LoadTest) {
	var committed int64
	switch {
	case lt.Status.Results != nil:
		committed = lt.Status.Results.Committed
	case lt.Status.Progress != nil:
		committed = lt.Status.Progress.Committed
	}
	loadTestCommitted.WithLabelValues(lt.Namespace, lt.Name).Set(float64(committed))
	for _, p := range loadTestPhases {
		v := 0.0
		if lt.Status.Phase == p {
			v = 1
		}
		loadTestPhase.WithLabelValues(lt.Namespace, lt.Name, string(p)).Set(v)
	}
}

func forgetLoadTestMetrics(lt *mxnv1.LoadTest) {
	loadTestCommitted.DeleteLabelValues(lt.Namespace, lt.Name)
	for _, p := range loadTestPhases {
		loadTestPhase.DeleteLabelValues(lt.Namespace, lt.Name, string(p))
	}
}
