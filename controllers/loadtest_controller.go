package controllers

import (
	"context"
	"fmt"
	"strconv"
	"time"

	aero "github.com/aerospike/aerospike-client-go/v7"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/internal/aggregate"
	"github.com/mxnlabs/mxn/internal/shard"
	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/runstate"
	"github.com/mxnlabs/mxn/pkg/workload"
)

// finalizer lets the operator remove a resource's Jobs and its records in
// Aerospike before the resource goes.
const finalizer = "mxn.mxnlabs.io/cleanup"

// defaultRunID names the run of a LoadTest whose spec has no runID.
const defaultRunID = "0"

// maxVerifyShards bounds the verification Jobs of a LoadTest.
const maxVerifyShards = 4

// LoadTestReconciler runs LoadTests: an optional init Job, one Job per
// worker started together, then verification Jobs, with status computed from
// the Jobs, their pods' reports and the workers' live progress.
type LoadTestReconciler struct {
	client.Client
	Scheme    *runtime.Scheme
	Clock     clock.PassiveClock
	Recorder  events.EventRecorder
	Connector Connector
	// Workers are the defaults of worker pods.
	Workers WorkerDefaults
	// APIReader reads Secrets straight from the API server: through the
	// cache, the first read would watch every Secret of the cluster.
	APIReader client.Reader
	// StartTimeout is how long workers wait for each other at the common
	// start (their --barrier-timeout); a worker whose pod has not started
	// this long after the others did is lost (default 10 min).
	StartTimeout time.Duration
	// StatusInterval is the least time between two status writes of a
	// running LoadTest (default 1 s).
	StatusInterval time.Duration

	limiter statusLimiter
}

// +kubebuilder:rbac:groups=mxn.mxnlabs.io,resources=loadtests,verbs=get;list;watch;update;patch;delete
// +kubebuilder:rbac:groups=mxn.mxnlabs.io,resources=loadtests/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=mxn.mxnlabs.io,resources=loadtests/finalizers,verbs=update
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile moves a LoadTest through its phases.
func (r *LoadTestReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	var lt mxnv1.LoadTest
	if err := r.Get(ctx, req.NamespacedName, &lt); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !lt.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, &lt)
	}
	if controllerutil.AddFinalizer(&lt, finalizer) {
		if err := r.Update(ctx, &lt); err != nil {
			return ctrl.Result{}, err
		}
	}

	before := lt.DeepCopy()
	defer func() {
		result, err = r.writeStatus(ctx, before, &lt, result, err)
	}()

	if r.expired(ctx, &lt, &result) {
		return result, nil
	}
	if want := runIDOf(&lt); lt.Status.RunID != want {
		if err := r.newRun(ctx, &lt, want); err != nil {
			return ctrl.Result{}, err
		}
	}
	jobs, err := observeRun(ctx, r.Client, &lt, lt.Status.RunID)
	if err != nil {
		return ctrl.Result{}, err
	}
	r.noteSpecChange(&lt, jobs)

	switch lt.Status.Phase {
	case mxnv1.LoadTestPending:
		err = r.begin(ctx, &lt)
	case mxnv1.LoadTestInitializing:
		err = r.initializing(ctx, &lt, jobs)
	case mxnv1.LoadTestStarting, mxnv1.LoadTestRunning:
		result, err = r.running(ctx, &lt, jobs)
	case mxnv1.LoadTestVerifying:
		err = r.verifying(ctx, &lt, jobs)
	case mxnv1.LoadTestSucceeded, mxnv1.LoadTestFailed:
		r.expired(ctx, &lt, &result)
	}
	if err != nil {
		return result, err
	}
	lt.Status.ObservedGeneration = lt.Generation
	return result, nil
}

// runIDOf is the run the spec asks for.
func runIDOf(lt *mxnv1.LoadTest) string {
	if lt.Spec.RunID != "" {
		return lt.Spec.RunID
	}
	return defaultRunID
}

// runSpace is the Aerospike namespace and set of the run's barrier and
// progress records.
func runSpace(lt *mxnv1.LoadTest) (string, string) {
	return namespaceOf(&lt.Spec.Aerospike), runstate.SetName(setOf(&lt.Spec.Aerospike))
}

// runKey names the run's records in Aerospike: distinct across LoadTests
// (the whole UID) and runs.
func runKey(lt *mxnv1.LoadTest) string {
	return string(lt.UID) + "-" + lt.Status.RunID
}

// newRun forgets the previous run (its Jobs and records) and starts over.
func (r *LoadTestReconciler) newRun(ctx context.Context, lt *mxnv1.LoadTest, runID string) error {
	if old := lt.Status.RunID; old != "" {
		jobs, err := ownedJobs(ctx, r.Client, lt, old)
		if err != nil {
			return err
		}
		if err := deleteJobs(ctx, r.Client, jobs); err != nil {
			return err
		}
		r.forgetRecords(ctx, lt)
	}
	lt.Status = mxnv1.LoadTestStatus{
		Phase:      mxnv1.LoadTestPending,
		RunID:      runID,
		Message:    "run " + runID + " created",
		Conditions: lt.Status.Conditions,
	}
	meta.RemoveStatusCondition(&lt.Status.Conditions, mxnv1.ConditionVerified)
	meta.RemoveStatusCondition(&lt.Status.Conditions, mxnv1.ConditionSpecChangePending)
	return nil
}

// begin starts the run: the init Job, or the workers.
func (r *LoadTestReconciler) begin(ctx context.Context, lt *mxnv1.LoadTest) error {
	if lt.Spec.Init {
		job, err := r.job(lt, RoleInit, 0, []string{"init", "--records", strconv.FormatInt(recordsOf(lt), 10)}, false)
		if err != nil {
			return err
		}
		if _, err := createJobs(ctx, r.Client, []*batchv1.Job{job}); err != nil {
			return err
		}
		r.setPhase(lt, mxnv1.LoadTestInitializing, "creating accounts and the log index")
		return nil
	}
	return r.startWorkers(ctx, lt)
}

func (r *LoadTestReconciler) initializing(ctx context.Context, lt *mxnv1.LoadTest, jobs runJobs) error {
	init := jobs[RoleInit]
	if len(init) == 0 {
		// Created in an earlier pass and not in the cache yet, or deleted:
		// create it again (idempotent).
		return r.begin(ctx, lt)
	}
	o := init[0].Outcome
	switch {
	case !o.Finished:
		return nil
	case !o.Succeeded:
		r.fail(lt, "init failed: "+o.Message)
		return nil
	}
	return r.startWorkers(ctx, lt)
}

// startWorkers creates one Job per worker; they wait for each other at the
// common start.
func (r *LoadTestReconciler) startWorkers(ctx context.Context, lt *mxnv1.LoadTest) error {
	if err := r.createWorkers(ctx, lt); err != nil {
		return err
	}
	lt.Status.Workers = mxnv1.WorkerCounts{Active: workersOf(lt)}
	r.setPhase(lt, mxnv1.LoadTestStarting, fmt.Sprintf("%d workers waiting for each other", workersOf(lt)))
	return nil
}

// cacheGrace is how long a Job just created may take to reach the cache
// (well under a second in practice).
const cacheGrace = 5 * time.Second

// createdAt is when the worker Jobs were created (all in one pass): the
// oldest one seen, or, when none is, when the LoadTest last changed phase.
func createdAt(lt *mxnv1.LoadTest, workers []observedJob) time.Time {
	var t time.Time
	for _, w := range workers {
		if c := w.Job.CreationTimestamp.Time; t.IsZero() || c.Before(t) {
			t = c
		}
	}
	if t.IsZero() {
		if c := meta.FindStatusCondition(lt.Status.Conditions, mxnv1.ConditionProgressing); c != nil {
			t = c.LastTransitionTime.Time
		}
	}
	return t
}

// lostWorkers says how many worker Jobs went missing mid-run.
func lostWorkers(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; %d worker Jobs deleted mid-run", n)
}

// createWorkers creates the worker Jobs that do not exist yet.
func (r *LoadTestReconciler) createWorkers(ctx context.Context, lt *mxnv1.LoadTest) error {
	jobs := make([]*batchv1.Job, 0, workersOf(lt))
	for i := range int(workersOf(lt)) {
		args := append(workerArgs(lt, runKey(lt), i), "--barrier-timeout", r.startTimeout().String())
		j, err := r.job(lt, RoleWorker, i, args, true)
		if err != nil {
			return err
		}
		jobs = append(jobs, j)
	}
	_, err := createJobs(ctx, r.Client, jobs)
	return err
}

// running follows the workers: the common start, live progress, and the
// end of every worker.
func (r *LoadTestReconciler) running(ctx context.Context, lt *mxnv1.LoadTest, jobs runJobs) (ctrl.Result, error) {
	workers := jobs[RoleWorker]
	expected := int(workersOf(lt))
	if len(workers) < expected && lt.Status.Phase == mxnv1.LoadTestStarting && r.Clock.Now().Sub(createdAt(lt, workers)) < cacheGrace {
		// Every worker Job was created before the phase became Starting:
		// one missing now is not in the cache yet. Past the grace, it was
		// deleted: a lost worker, counted below.
		return ctrl.Result{RequeueAfter: r.interval()}, nil
	}
	if err := r.dropUnstarted(ctx, lt, workers); err != nil {
		return ctrl.Result{}, err
	}
	done, failed := finished(workers)
	// A worker Job deleted once the run started is a lost worker, as when
	// its pod goes: never started again, since its index already passed the
	// common start.
	lost := max(0, expected-len(workers))
	done, failed = done+lost, failed+lost
	lt.Status.Workers = mxnv1.WorkerCounts{
		Active:    int32(expected - done),
		Succeeded: int32(done - failed),
		Failed:    int32(failed),
	}
	ac, connErr := r.Connector.Client(ctx, r.secrets(), lt.Namespace, &lt.Spec.Aerospike)
	if connErr != nil {
		lt.Status.Message = "cannot read progress: " + connErr.Error()
	}
	ns, runSet := runSpace(lt)
	ready, released := 0, false
	if connErr == nil && done < expected && (lt.Status.Phase == mxnv1.LoadTestStarting || failed > 0) {
		var err error
		if ready, released, err = runstate.Ready(ctx, ac, ns, runSet, runKey(lt)); err != nil {
			logf.FromContext(ctx).Info("read the barrier", "error", err.Error())
		}
		if failed > 0 && !released && err == nil {
			// A worker died, perhaps before the common start: let the others
			// go rather than wait for it until their barrier times out
			// (retried at every pass until it is written).
			if err := runstate.Release(ctx, ac, ns, runSet, runKey(lt)); err != nil {
				logf.FromContext(ctx).Info("release the barrier", "error", err.Error())
			}
		}
	}
	if lt.Status.Phase == mxnv1.LoadTestStarting && (ready >= expected || done > 0) {
		now := metav1.NewTime(r.Clock.Now())
		lt.Status.StartTime = &now
		r.setPhase(lt, mxnv1.LoadTestRunning, fmt.Sprintf("%d workers running", expected))
	}
	if done < expected {
		if connErr == nil && lt.Status.Phase == mxnv1.LoadTestRunning {
			r.progress(ctx, lt, ac)
		}
		return ctrl.Result{RequeueAfter: r.interval()}, nil
	}
	r.collect(ctx, lt, workers, ac, connErr)
	if verifyOf(lt) {
		return ctrl.Result{}, r.startVerification(ctx, lt)
	}
	if failed > 0 {
		r.fail(lt, fmt.Sprintf("%d of %d workers failed; first: %s", failed, expected, firstFailure(workers)+lostWorkers(lost)))
		return ctrl.Result{}, nil
	}
	r.succeed(lt, fmt.Sprintf("%d transactions committed by %d workers", lt.Status.Results.Committed, expected))
	return ctrl.Result{}, nil
}

// dropUnstarted deletes the Job of a worker whose pod has not started
// (it cannot be scheduled, its image cannot be pulled) half the workers'
// wait at the common start after it was created: the worker is lost, the
// others are let go (the barrier is released once a worker has failed)
// before they give up, and the lost one can never start alone later. The
// next pass counts it so.
func (r *LoadTestReconciler) dropUnstarted(ctx context.Context, lt *mxnv1.LoadTest, workers []observedJob) error {
	for _, w := range workers {
		if w.Started || w.Outcome.Finished || r.Clock.Now().Sub(w.Job.CreationTimestamp.Time) < r.startTimeout()/2 {
			continue
		}
		logf.FromContext(ctx).Info("worker never started: deleting its Job", "job", w.Job.Name, "waiting", w.Outcome.Message)
		if r.Recorder != nil {
			r.Recorder.Eventf(lt, nil, corev1.EventTypeWarning, "WorkerLost", "Run", "worker %d did not start (%s); counted failed", w.Index, w.Outcome.Message)
		}
		if err := deleteJobs(ctx, r.Client, []batchv1.Job{*w.Job}); err != nil {
			return err
		}
	}
	return nil
}

func (r *LoadTestReconciler) startTimeout() time.Duration {
	if r.StartTimeout > 0 {
		return r.StartTimeout
	}
	return 10 * time.Minute
}

// progress reads the workers' flushed summaries (one batch read) into
// status.progress.
func (r *LoadTestReconciler) progress(ctx context.Context, lt *mxnv1.LoadTest, c aero.ClientIfc) {
	ns, set := runSpace(lt)
	sums, err := runstate.ReadProgress(ctx, c, ns, set, runKey(lt), int(workersOf(lt)))
	if err != nil {
		lt.Status.Message = "cannot read progress: " + err.Error()
		return
	}
	start := r.Clock.Now()
	if lt.Status.StartTime != nil {
		start = lt.Status.StartTime.Time
	}
	p := aggregate.Progress(sums, start, r.Clock.Now())
	lt.Status.Progress = &p
}

// collect sums the workers' reports into status.results; a worker without
// a report (killed, or its Job deleted) counts with its last flushed
// progress, marked partial.
func (r *LoadTestReconciler) collect(ctx context.Context, lt *mxnv1.LoadTest, workers []observedJob, c aero.ClientIfc, connErr error) {
	expected := int(workersOf(lt))
	byIndex := make([]*report.Report, expected)
	for _, w := range workers {
		if w.Index >= 0 && w.Index < expected && w.Outcome.Report != nil && w.Outcome.Report.Workload != nil {
			byIndex[w.Index] = w.Outcome.Report
		}
	}
	var reports []*report.Report
	missing := false
	for _, rep := range byIndex {
		reports = append(reports, rep)
		missing = missing || rep == nil
	}
	var partial []*workload.Summary
	if missing && connErr == nil {
		ns, set := runSpace(lt)
		flushed, err := runstate.ReadProgress(ctx, c, ns, set, runKey(lt), expected)
		if err == nil {
			for i, rep := range byIndex {
				if rep == nil && i < len(flushed) && flushed[i] != nil {
					partial = append(partial, flushed[i])
				}
			}
		}
	}
	res := aggregate.LoadTestResults(reports, partial)
	res.Partial = res.Partial || missing
	lt.Status.Results = &res
	lt.Status.Progress = &mxnv1.Progress{Committed: res.Committed, CommittedPerSecond: res.CommittedPerSecond}
	if start := earliestStart(reports); !start.IsZero() {
		t := metav1.NewTime(start)
		lt.Status.StartTime = &t
	}
}

func earliestStart(reports []*report.Report) time.Time {
	var ms int64
	for _, rep := range reports {
		if rep != nil && rep.StartUnixMs > 0 && (ms == 0 || rep.StartUnixMs < ms) {
			ms = rep.StartUnixMs
		}
	}
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// startVerification creates the verification Jobs: each cleans up its
// share of the partitions until nothing is pending, then reconciles it.
func (r *LoadTestReconciler) startVerification(ctx context.Context, lt *mxnv1.LoadTest) error {
	ranges, err := shard.Ranges(verifyShardsOf(lt))
	if err != nil {
		return err
	}
	jobs := make([]*batchv1.Job, 0, len(ranges))
	for i, pr := range ranges {
		args := append([]string{"verify", "--partitions", shard.Args(pr)}, lockArgs(lt.Spec.Lock)...)
		j, err := r.job(lt, RoleVerify, i, args, false)
		if err != nil {
			return err
		}
		jobs = append(jobs, j)
	}
	if _, err := createJobs(ctx, r.Client, jobs); err != nil {
		return err
	}
	r.setPhase(lt, mxnv1.LoadTestVerifying, "cleaning up, then reconciling")
	return nil
}

func (r *LoadTestReconciler) verifying(ctx context.Context, lt *mxnv1.LoadTest, jobs runJobs) error {
	verify := jobs[RoleVerify]
	if len(verify) < int(verifyShardsOf(lt)) {
		return r.startVerification(ctx, lt)
	}
	done, _ := finished(verify)
	if done < len(verify) {
		return nil
	}
	reports := make([]*report.Report, len(verify))
	for i, v := range verify {
		reports[i] = v.Outcome.Report
	}
	ver := aggregate.Verification(reports, reports, 20)
	lt.Status.Verification = &ver
	if msg := firstFailure(verify); msg != "" && ver.Passed {
		ver.Passed = false
		ver.Verdict = "verification failed: " + msg
	}
	if ver.Passed {
		meta.SetStatusCondition(&lt.Status.Conditions, metav1.Condition{Type: mxnv1.ConditionVerified, Status: metav1.ConditionTrue, Reason: "Balanced", Message: ver.Verdict})
		r.succeed(lt, ver.Verdict)
		return nil
	}
	meta.SetStatusCondition(&lt.Status.Conditions, metav1.Condition{Type: mxnv1.ConditionVerified, Status: metav1.ConditionFalse, Reason: "NotBalanced", Message: ver.Verdict})
	r.fail(lt, ver.Verdict)
	return nil
}

// expired deletes a finished LoadTest past ttlSecondsAfterFinished, or
// asks to be woken when it will be.
func (r *LoadTestReconciler) expired(ctx context.Context, lt *mxnv1.LoadTest, result *ctrl.Result) bool {
	ttl := lt.Spec.TTLSecondsAfterFinished
	if ttl == nil || lt.Status.CompletionTime == nil || !isFinished(lt.Status.Phase) {
		return false
	}
	at := lt.Status.CompletionTime.Add(time.Duration(*ttl) * time.Second)
	if wait := at.Sub(r.Clock.Now()); wait > 0 {
		result.RequeueAfter = wait
		return false
	}
	if err := r.Delete(ctx, lt); err != nil && !apierrors.IsNotFound(err) {
		logf.FromContext(ctx).Error(err, "delete expired LoadTest")
		result.RequeueAfter = time.Second
	}
	return true
}

// noteSpecChange says when the spec changed after the run started: the
// change applies to the next run only.
func (r *LoadTestReconciler) noteSpecChange(lt *mxnv1.LoadTest, jobs runJobs) {
	if !isActive(lt.Status.Phase) {
		meta.RemoveStatusCondition(&lt.Status.Conditions, mxnv1.ConditionSpecChangePending)
		return
	}
	for _, role := range []string{RoleInit, RoleWorker} {
		if js := jobs[role]; len(js) > 0 {
			started, _ := strconv.ParseInt(js[0].Job.Annotations[AnnotationGeneration], 10, 64)
			if started > 0 && lt.Generation > started {
				meta.SetStatusCondition(&lt.Status.Conditions, metav1.Condition{
					Type: mxnv1.ConditionSpecChangePending, Status: metav1.ConditionTrue, Reason: "RunInProgress",
					Message: fmt.Sprintf("spec changed (generation %d) after run %s started with generation %d: not applied to this run; set a new spec.runID to run with it", lt.Generation, lt.Status.RunID, started),
				})
			}
			return
		}
	}
}

// finalize removes the LoadTest's Jobs, their pods and its records.
func (r *LoadTestReconciler) finalize(ctx context.Context, lt *mxnv1.LoadTest) error {
	if !controllerutil.ContainsFinalizer(lt, finalizer) {
		return nil
	}
	r.forgetRecords(ctx, lt)
	r.limiter.forget(client.ObjectKeyFromObject(lt))
	forgetLoadTestMetrics(lt)
	return finalizeJobs(ctx, r.Client, lt)
}

// forgetRecords deletes the run's barrier and progress records (best
// effort: they are small, and a new run uses new keys).
func (r *LoadTestReconciler) forgetRecords(ctx context.Context, lt *mxnv1.LoadTest) {
	if lt.Status.RunID == "" {
		return
	}
	c, err := r.Connector.Client(ctx, r.secrets(), lt.Namespace, &lt.Spec.Aerospike)
	if err == nil {
		ns, set := runSpace(lt)
		err = runstate.Delete(ctx, c, ns, set, runKey(lt), int(workersOf(lt)))
	}
	if err != nil {
		logf.FromContext(ctx).Info("could not delete the run's records", "run", lt.Status.RunID, "error", err.Error())
	}
}

// job builds one Job of the current run.
func (r *LoadTestReconciler) job(lt *mxnv1.LoadTest, role string, index int, args []string, spread bool) (*batchv1.Job, error) {
	var name string
	switch role {
	case RoleInit:
		name = jobName(lt.Name, lt.Status.RunID, "init")
	case RoleWorker:
		name = jobName(lt.Name, lt.Status.RunID, "w"+strconv.Itoa(index))
	default:
		name = jobName(lt.Name, lt.Status.RunID, "v"+strconv.Itoa(index))
	}
	return buildJob(lt, r.Scheme, jobRequest{
		Name: name, Role: role, Run: lt.Status.RunID, Index: index, Args: args,
		Aerospike: &lt.Spec.Aerospike, Worker: &lt.Spec.WorkerSpec, Spread: spread, Generation: lt.Generation,
	}, r.Workers)
}

// workerArgs is worker i's mxn command line.
func workerArgs(lt *mxnv1.LoadTest, key string, i int) []string {
	s := &lt.Spec
	args := []string{"rtxns",
		"--records", strconv.FormatInt(recordsOf(lt), 10),
		"--concurrency", strconv.Itoa(int(max(s.Concurrency, 1))),
		"--mode", modeOf(lt),
		"--fpct", strconv.Itoa(int(s.FailurePercent)),
		"--seed", strconv.FormatInt(s.Seed+int64(i)+1, 10),
		"--run-id", key, "--worker", strconv.Itoa(i), "--workers", strconv.Itoa(int(workersOf(lt))),
		"--progress", "0",
	}
	if s.TransactionsPerWorker != nil {
		args = append(args, "--count", strconv.FormatInt(*s.TransactionsPerWorker, 10))
	}
	if s.Duration != nil {
		args = append(args, "--duration", s.Duration.Duration.String())
	}
	if s.Rate > 0 {
		args = append(args, "--rate", strconv.Itoa(int(s.Rate)))
	}
	if s.Legs != nil {
		args = append(args, "--legs", strconv.Itoa(int(*s.Legs)))
	}
	if s.Zipf != "" {
		args = append(args, "--zipf", s.Zipf)
	}
	return append(args, lockArgs(s.Lock)...)
}

func workersOf(lt *mxnv1.LoadTest) int32 { return max(lt.Spec.Workers, 1) }

func recordsOf(lt *mxnv1.LoadTest) int64 {
	if lt.Spec.Records <= 0 {
		return 1000
	}
	return lt.Spec.Records
}

func modeOf(lt *mxnv1.LoadTest) string {
	if lt.Spec.Mode == "" {
		return "single"
	}
	return lt.Spec.Mode
}

func verifyOf(lt *mxnv1.LoadTest) bool { return lt.Spec.Verify == nil || *lt.Spec.Verify }

func verifyShardsOf(lt *mxnv1.LoadTest) int32 { return min(workersOf(lt), maxVerifyShards) }

func isFinished(p mxnv1.LoadTestPhase) bool {
	return p == mxnv1.LoadTestSucceeded || p == mxnv1.LoadTestFailed
}

func isActive(p mxnv1.LoadTestPhase) bool {
	switch p {
	case mxnv1.LoadTestInitializing, mxnv1.LoadTestStarting, mxnv1.LoadTestRunning, mxnv1.LoadTestVerifying:
		return true
	}
	return false
}

// secrets is the reader of auth and TLS Secrets.
func (r *LoadTestReconciler) secrets() client.Reader {
	if r.APIReader != nil {
		return r.APIReader
	}
	return r.Client
}

func (r *LoadTestReconciler) interval() time.Duration {
	if r.StatusInterval > 0 {
		return r.StatusInterval
	}
	return time.Second
}

// setPhase moves to a phase and records the transition in conditions and
// an event.
func (r *LoadTestReconciler) setPhase(lt *mxnv1.LoadTest, phase mxnv1.LoadTestPhase, msg string) {
	changed := lt.Status.Phase != phase
	lt.Status.Phase = phase
	lt.Status.Message = msg
	progressing := metav1.ConditionTrue
	if isFinished(phase) {
		progressing = metav1.ConditionFalse
	}
	meta.SetStatusCondition(&lt.Status.Conditions, metav1.Condition{Type: mxnv1.ConditionProgressing, Status: progressing, Reason: string(phase), Message: msg})
	ready := metav1.ConditionFalse
	if phase == mxnv1.LoadTestSucceeded {
		ready = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&lt.Status.Conditions, metav1.Condition{Type: mxnv1.ConditionReady, Status: ready, Reason: string(phase), Message: msg})
	if changed && r.Recorder != nil {
		kind := corev1.EventTypeNormal
		if phase == mxnv1.LoadTestFailed {
			kind = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(lt, nil, kind, string(phase), "Phase", "%s", msg)
	}
}

func (r *LoadTestReconciler) succeed(lt *mxnv1.LoadTest, msg string) {
	r.finish(lt, mxnv1.LoadTestSucceeded, msg)
}

func (r *LoadTestReconciler) fail(lt *mxnv1.LoadTest, msg string) {
	r.finish(lt, mxnv1.LoadTestFailed, msg)
}

func (r *LoadTestReconciler) finish(lt *mxnv1.LoadTest, phase mxnv1.LoadTestPhase, msg string) {
	now := metav1.NewTime(r.Clock.Now())
	lt.Status.CompletionTime = &now
	if w := lt.Status.Workers; w.Failed > 0 {
		meta.SetStatusCondition(&lt.Status.Conditions, metav1.Condition{Type: mxnv1.ConditionDegraded, Status: metav1.ConditionTrue, Reason: "WorkersFailed",
			Message: fmt.Sprintf("%d of %d workers failed; their last flushed progress is counted (partial)", w.Failed, w.Failed+w.Succeeded+w.Active)})
	} else {
		meta.SetStatusCondition(&lt.Status.Conditions, metav1.Condition{Type: mxnv1.ConditionDegraded, Status: metav1.ConditionFalse, Reason: "AllWorkersSucceeded", Message: "no worker failed"})
	}
	r.setPhase(lt, phase, msg)
}

// writeStatus patches the status once per pass, when it changed; while a
// LoadTest runs, at most once per StatusInterval unless the phase changed.
func (r *LoadTestReconciler) writeStatus(ctx context.Context, before, lt *mxnv1.LoadTest, result ctrl.Result, err error) (ctrl.Result, error) {
	if err != nil {
		// Keep what was learnt, but do not claim this generation observed.
		lt.Status.ObservedGeneration = before.Status.ObservedGeneration
	}
	recordLoadTestMetrics(lt)
	if equality.Semantic.DeepEqual(before.Status, lt.Status) {
		return result, err
	}
	key := client.ObjectKeyFromObject(lt)
	if before.Status.Phase == lt.Status.Phase {
		if wait := r.limiter.wait(key, r.Clock.Now(), r.interval()); wait > 0 {
			if result.RequeueAfter == 0 || result.RequeueAfter > wait {
				result.RequeueAfter = wait
			}
			return result, err
		}
	}
	if perr := r.Status().Patch(ctx, lt, client.MergeFrom(before)); perr != nil {
		if err == nil {
			err = fmt.Errorf("patch status: %w", perr)
		}
		return result, err
	}
	r.limiter.wrote(key, r.Clock.Now())
	return result, err
}

// SetupWithManager registers the controller, woken by its Jobs and their
// pods.
func (r *LoadTestReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&mxnv1.LoadTest{}).
		Owns(&batchv1.Job{}).
		Watches(&corev1.Pod{}, podToOwner(mgr, "LoadTest")).
		Named("loadtest").
		Complete(r)
}
