package controllers

import (
	"context"
	"fmt"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/internal/aggregate"
	"github.com/mxnlabs/mxn/internal/shard"
	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/txn"
)

// ReconciliationReconciler runs Reconciliations: once or on a schedule,
// one Job per shard running `mxn rcn`, and the last run's findings in
// status, the Drifted condition, events and gauges.
type ReconciliationReconciler struct {
	scheduler
	Recorder events.EventRecorder
}

// +kubebuilder:rbac:groups=mxn.mxnlabs.io,resources=reconciliations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mxn.mxnlabs.io,resources=reconciliations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=mxn.mxnlabs.io,resources=reconciliations/finalizers,verbs=update

// Reconcile follows a Reconciliation's runs and starts those due.
func (r *ReconciliationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	var rc mxnv1.Reconciliation
	if err := r.Get(ctx, req.NamespacedName, &rc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if done, err := r.begin(ctx, &rc, func() {
		reconciliationDrifted.DeleteLabelValues(rc.Namespace, rc.Name)
		reconciliationDrift.DeleteLabelValues(rc.Namespace, rc.Name)
	}); done || err != nil {
		return ctrl.Result{}, err
	}
	before := rc.DeepCopy()
	defer r.patchStatus(ctx, before, &rc, func() { rc.Status.ObservedGeneration = rc.Generation }, &err)

	maxSample := int(rc.Spec.MaxDriftedReported)
	res := &scheduledResource{
		Owner: &rc, Schedule: &rc.Spec.ScheduleSpec, Shards: rc.Spec.ShardSpec,
		Aerospike: &rc.Spec.Aerospike, Worker: &rc.Spec.WorkerSpec,
		Args: func(pr txn.PartitionRange) []string {
			args := []string{"rcn", "--max-drifted", strconv.Itoa(maxSample)}
			if rc.Spec.UKey != "" {
				args = append(args, "--ukey", rc.Spec.UKey)
			} else {
				args = append(args, "--partitions", shard.Args(pr))
			}
			return append(args, lockArgs(rc.Spec.Lock)...)
		},
		Ran: func(reports []*report.Report) (bool, string) {
			ok, msg := allReports(reports, func(r *report.Report) bool { return r.Reconcile != nil })
			if !ok {
				return false, msg
			}
			return true, aggregate.Verdict(aggregate.ReconcileResult(reports, maxSample))
		},
		LastScheduleTime: &rc.Status.LastScheduleTime, NextScheduleTime: &rc.Status.NextScheduleTime,
		Active: &rc.Status.Active, History: &rc.Status.History, Conditions: &rc.Status.Conditions,
	}
	runs, result, err := r.sync(ctx, res)
	if err != nil {
		return result, err
	}
	var lastRef *mxnv1.RunRef
	if rc.Status.LastRun != nil {
		lastRef = &rc.Status.LastRun.RunRef
	}
	if last := newerFinished(runs, lastRef); last != nil {
		r.recordRun(&rc, last, maxSample)
	}
	if lr := rc.Status.LastRun; lr != nil {
		reconciliationDrifted.WithLabelValues(rc.Namespace, rc.Name).Set(float64(lr.Drifted))
		reconciliationDrift.WithLabelValues(rc.Namespace, rc.Name).Set(float64(lr.TotalDrift))
	}
	return result, nil
}

// recordRun makes a newly finished run the last one: its findings, the
// Drifted condition, and an event when drift appears or clears.
func (r *ReconciliationReconciler) recordRun(rc *mxnv1.Reconciliation, run *runView, maxSample int) {
	lr := &mxnv1.ReconcileRun{RunRef: run.Ref}
	if run.Ref.Phase == mxnv1.RunSucceeded {
		lr.ReconcileResult = aggregate.ReconcileResult(run.Reports, maxSample)
	}
	rc.Status.LastRun = lr
	announce := r.Recorder != nil && r.counted.first(rc, run.Ref.Name)
	if run.Ref.Phase != mxnv1.RunSucceeded {
		if announce {
			r.Recorder.Eventf(rc, nil, corev1.EventTypeWarning, "RunFailed", "Reconcile", "run %s failed: %s", run.Ref.Name, run.Ref.Message)
		}
		return
	}
	res := lr.ReconcileResult
	wasDrifted := meta.IsStatusConditionTrue(rc.Status.Conditions, mxnv1.ConditionDrifted)
	drifted := res.Drifted > 0 || !res.Conserved
	if drifted {
		meta.SetStatusCondition(&rc.Status.Conditions, metav1.Condition{Type: mxnv1.ConditionDrifted, Status: metav1.ConditionTrue, Reason: "DriftFound",
			Message: fmt.Sprintf("run %s: %d of %d accounts drifted, total drift %d", run.Ref.Name, res.Drifted, res.AccountsChecked, res.TotalDrift)})
		if announce {
			r.Recorder.Eventf(rc, nil, corev1.EventTypeWarning, "DriftFound", "Reconcile", "run %s: %d of %d accounts drifted, total drift %d; %s",
				run.Ref.Name, res.Drifted, res.AccountsChecked, res.TotalDrift, run.Ref.Message)
		}
		return
	}
	meta.SetStatusCondition(&rc.Status.Conditions, metav1.Condition{Type: mxnv1.ConditionDrifted, Status: metav1.ConditionFalse, Reason: "Balanced",
		Message: fmt.Sprintf("run %s: %d accounts balanced", run.Ref.Name, res.Balanced)})
	if wasDrifted && announce {
		r.Recorder.Eventf(rc, nil, corev1.EventTypeNormal, "DriftCleared", "Reconcile", "run %s: every account balanced again (%d checked)", run.Ref.Name, res.AccountsChecked)
	}
}

// SetupWithManager registers the controller.
func (r *ReconciliationReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&mxnv1.Reconciliation{}).
		Owns(&batchv1.Job{}).
		Watches(&corev1.Pod{}, podToOwner(mgr, "Reconciliation")).
		Named("reconciliation").
		Complete(r)
}

// finalizeJobs deletes a resource's Jobs and lets it go.
func finalizeJobs(ctx context.Context, c client.Client, obj client.Object) error {
	if !controllerutil.ContainsFinalizer(obj, finalizer) {
		return nil
	}
	jobs, err := ownedJobs(ctx, c, obj, "")
	if err != nil {
		return err
	}
	if err := deleteJobs(ctx, c, jobs); err != nil {
		return err
	}
	controllerutil.RemoveFinalizer(obj, finalizer)
	return c.Update(ctx, obj)
}
