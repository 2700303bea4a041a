package controllers

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/internal/aggregate"
	"github.com/mxnlabs/mxn/internal/shard"
	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/txn"
)

// CleanupReconciler runs Cleanups: once or on a schedule, one Job per
// shard running `mxn cln`, rolling failed transactions forward or back.
type CleanupReconciler struct {
	scheduler
	Recorder events.EventRecorder
}

// +kubebuilder:rbac:groups=mxn.mxnlabs.io,resources=cleanups,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mxn.mxnlabs.io,resources=cleanups/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=mxn.mxnlabs.io,resources=cleanups/finalizers,verbs=update

// Reconcile follows a Cleanup's runs and starts those due.
func (r *CleanupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	var cl mxnv1.Cleanup
	if err := r.Get(ctx, req.NamespacedName, &cl); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if done, err := r.begin(ctx, &cl, func() {}); done || err != nil {
		return ctrl.Result{}, err
	}
	before := cl.DeepCopy()
	defer r.patchStatus(ctx, before, &cl, func() { cl.Status.ObservedGeneration = cl.Generation }, &err)

	res := &scheduledResource{
		Owner: &cl, Schedule: &cl.Spec.ScheduleSpec, Shards: cl.Spec.ShardSpec,
		Aerospike: &cl.Spec.Aerospike, Worker: &cl.Spec.WorkerSpec,
		Args: func(pr txn.PartitionRange) []string { return cleanupArgs(&cl, pr) },
		Ran: func(reports []*report.Report) (bool, string) {
			ok, msg := allReports(reports, func(r *report.Report) bool { return r.Cleanup != nil && r.Error == "" })
			if !ok {
				return false, msg
			}
			c := aggregate.CleanupResult(reports)
			verb := "rolled"
			if cl.Spec.DryRun {
				verb = "would roll"
			}
			return true, fmt.Sprintf("%d accounts: %s %d forward, %d back; %d undecided, %d busy", c.Accounts, verb, c.RolledForward, c.RolledBack, c.Undecided, c.Busy)
		},
		LastScheduleTime: &cl.Status.LastScheduleTime, NextScheduleTime: &cl.Status.NextScheduleTime,
		Active: &cl.Status.Active, History: &cl.Status.History, Conditions: &cl.Status.Conditions,
	}
	runs, result, err := r.sync(ctx, res)
	if err != nil {
		return result, err
	}
	var lastRef *mxnv1.RunRef
	if cl.Status.LastRun != nil {
		lastRef = &cl.Status.LastRun.RunRef
	}
	if last := newerFinished(runs, lastRef); last != nil {
		lr := &mxnv1.CleanupRun{RunRef: last.Ref, DryRun: cl.Spec.DryRun}
		first := r.counted.first(&cl, last.Ref.Name)
		if last.Ref.Phase == mxnv1.RunSucceeded {
			lr.CleanupResult = aggregate.CleanupResult(last.Reports)
			if !cl.Spec.DryRun && first {
				cleanupRolledForward.WithLabelValues(cl.Namespace, cl.Name).Add(float64(lr.RolledForward))
				cleanupRolledBack.WithLabelValues(cl.Namespace, cl.Name).Add(float64(lr.RolledBack))
			}
		}
		cl.Status.LastRun = lr
		if r.Recorder != nil && first {
			kind, reason := corev1.EventTypeNormal, "RunSucceeded"
			if last.Ref.Phase != mxnv1.RunSucceeded {
				kind, reason = corev1.EventTypeWarning, "RunFailed"
			}
			r.Recorder.Eventf(&cl, nil, kind, reason, "Cleanup", "run %s: %s", last.Ref.Name, last.Ref.Message)
		}
	}
	return result, nil
}

// cleanupArgs is a shard's command line: one cleanup pass (or, with
// dryRun, what one pass would do). It is safe beside live traffic: runs
// younger than the sweep age are left to finish.
func cleanupArgs(cl *mxnv1.Cleanup, pr txn.PartitionRange) []string {
	args := []string{"cln"}
	if cl.Spec.DryRun {
		args = append(args, "--dry-run")
	}
	if cl.Spec.MinAge != nil {
		args = append(args, "--min-age", cl.Spec.MinAge.Duration.String())
	}
	if cl.Spec.UKey != "" {
		args = append(args, "--ukey", cl.Spec.UKey)
	} else {
		args = append(args, "--partitions", shard.Args(pr))
	}
	return append(args, lockArgs(cl.Spec.Lock)...)
}

// SetupWithManager registers the controller.
func (r *CleanupReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&mxnv1.Cleanup{}).
		Owns(&batchv1.Job{}).
		Watches(&corev1.Pod{}, podToOwner(mgr, "Cleanup")).
		Named("cleanup").
		Complete(r)
}
