package controllers

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/internal/jobstatus"
	"github.com/mxnlabs/mxn/internal/schedule"
	"github.com/mxnlabs/mxn/internal/shard"
	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/txn"
)

// AnnotationScheduled is the time a scheduled run was due.
const AnnotationScheduled = "mxn.mxnlabs.io/scheduled-time"

// AnnotationShards is the number of shard Jobs of a run: a run with fewer
// (their creation failed half-way) is not finished.
const AnnotationShards = "mxn.mxnlabs.io/shards"

// scheduler is what Reconciliation and Cleanup share: runs of shard Jobs,
// started once or on a cron schedule by CronJob's rules, with a history.
type scheduler struct {
	client.Client
	Scheme  *runtime.Scheme
	Clock   clock.PassiveClock
	Workers WorkerDefaults
	counted *runsSeen
}

// scheduledResource adapts a Reconciliation or a Cleanup.
type scheduledResource struct {
	Owner     client.Object
	Schedule  *mxnv1.ScheduleSpec
	Shards    mxnv1.ShardSpec
	Aerospike *mxnv1.AerospikeSpec
	Worker    *mxnv1.WorkerSpec
	// Args is a shard's mxn command line.
	Args func(pr txn.PartitionRange) []string
	// Ran judges a finished run from its shards' reports: whether the run
	// did its work, and what to say about it.
	Ran func(reports []*report.Report) (ok bool, msg string)

	LastScheduleTime **metav1.Time
	NextScheduleTime **metav1.Time
	Active           *[]string
	History          *[]mxnv1.RunRef
	Conditions       *[]metav1.Condition
}

// begin lets a resource being deleted go, its Jobs first (forget drops
// what the process keeps of it), or adds the finalizer. done: nothing else
// to do in this pass.
func (s *scheduler) begin(ctx context.Context, obj client.Object, forget func()) (done bool, err error) {
	if !obj.GetDeletionTimestamp().IsZero() {
		forget()
		return true, finalizeJobs(ctx, s.Client, obj)
	}
	if controllerutil.AddFinalizer(obj, finalizer) {
		if err := s.Update(ctx, obj); err != nil {
			return true, err
		}
	}
	return false, nil
}

// patchStatus writes obj's status once, at the end of a pass, if the pass
// changed it; observe sets observedGeneration, after a pass without error
// (*errp). A failed write becomes the pass's error.
func (s *scheduler) patchStatus(ctx context.Context, before, obj client.Object, observe func(), errp *error) {
	if *errp == nil {
		observe()
	}
	if equality.Semantic.DeepEqual(before, obj) {
		return
	}
	if err := s.Status().Patch(ctx, obj, client.MergeFrom(before)); err != nil && *errp == nil {
		*errp = fmt.Errorf("patch status: %w", err)
	}
}

// runView is one run, seen through its Jobs.
type runView struct {
	Ref     mxnv1.RunRef
	Jobs    []observedJob
	Reports []*report.Report
}

// sync brings the runs in line with the schedule: records the runs seen,
// prunes the history, starts a due run. It returns the runs by name.
func (s *scheduler) sync(ctx context.Context, res *scheduledResource) (map[string]*runView, ctrl.Result, error) {
	runs, err := s.observe(ctx, res)
	if err != nil {
		return nil, ctrl.Result{}, err
	}
	if err := s.completeRuns(ctx, res, runs); err != nil {
		return runs, ctrl.Result{}, err
	}
	if err := s.prune(ctx, res, runs); err != nil {
		return runs, ctrl.Result{}, err
	}
	var active []string
	for _, name := range sortedRuns(runs) {
		if runs[name].Ref.Phase == mxnv1.RunRunning {
			active = append(active, name)
		}
	}
	*res.Active = active

	spec, err := s.scheduleSpec(res, len(active) > 0)
	if err != nil {
		meta.SetStatusCondition(res.Conditions, metav1.Condition{Type: mxnv1.ConditionReady, Status: metav1.ConditionFalse, Reason: "InvalidSchedule", Message: err.Error()})
		return runs, ctrl.Result{}, nil // a spec error: wait for a new spec
	}
	d := schedule.Next(spec, s.Clock.Now())
	if d.Err != nil {
		meta.SetStatusCondition(res.Conditions, metav1.Condition{Type: mxnv1.ConditionReady, Status: metav1.ConditionFalse, Reason: "InvalidSchedule", Message: d.Err.Error()})
		return runs, ctrl.Result{}, nil
	}
	meta.SetStatusCondition(res.Conditions, metav1.Condition{Type: mxnv1.ConditionReady, Status: metav1.ConditionTrue, Reason: readyReason(d), Message: readyMessage(d)})
	if !d.NextScheduleTime.IsZero() {
		t := metav1.NewTime(d.NextScheduleTime)
		*res.NextScheduleTime = &t
	} else {
		*res.NextScheduleTime = nil
	}
	result := ctrl.Result{RequeueAfter: d.RequeueAfter}
	if !d.Start {
		return runs, result, nil
	}
	name := schedule.OnceRunName(res.Owner.GetName())
	if res.Schedule != nil && res.Schedule.Schedule != "" {
		name = schedule.RunName(res.Owner.GetName(), d.ScheduledTime)
	}
	if _, started := runs[name]; started {
		// This start's run exists: the status that records it was not read
		// back yet (a lagging cache) or not written. Record it again; never
		// replace or restart it.
		t := metav1.NewTime(d.ScheduledTime)
		*res.LastScheduleTime = &t
		return runs, result, nil
	}
	if d.ReplaceActive {
		for _, name := range active {
			if err := deleteJobs(ctx, s.Client, jobsOf(runs[name])); err != nil {
				return runs, result, err
			}
			delete(runs, name)
		}
		*res.Active = nil
	}
	if err := s.startRun(ctx, res, name, d.ScheduledTime); err != nil {
		return runs, result, err
	}
	t := metav1.NewTime(d.ScheduledTime)
	if d.ScheduledTime.IsZero() {
		t = metav1.NewTime(s.Clock.Now())
	}
	*res.LastScheduleTime = &t
	*res.Active = append(*res.Active, name)
	return runs, result, nil
}

func readyReason(d schedule.Decision) string {
	switch {
	case d.Suspended:
		return "Suspended"
	case d.MissedDeadline:
		return "MissedStartingDeadline"
	case d.SkipForbidden:
		return "ConcurrentRunForbidden"
	}
	return "Scheduled"
}

func readyMessage(d schedule.Decision) string {
	switch {
	case d.Suspended:
		return "suspended: no new runs start"
	case d.MissedDeadline:
		return fmt.Sprintf("the run due at %s was missed by more than startingDeadlineSeconds; skipped", d.ScheduledTime.Format(time.RFC3339))
	case d.SkipForbidden:
		return "a run is due but the previous one is still running (concurrencyPolicy Forbid)"
	case d.TooManyMissed:
		return fmt.Sprintf("%d starts missed (more than %d); started the most recent", d.Missed, schedule.ManyMissed)
	case !d.NextScheduleTime.IsZero():
		return "next run at " + d.NextScheduleTime.Format(time.RFC3339)
	}
	return "runs once"
}

func (s *scheduler) scheduleSpec(res *scheduledResource, active bool) (schedule.Spec, error) {
	spec := schedule.Spec{CreationTime: res.Owner.GetCreationTimestamp().Time, Active: active}
	if t := *res.LastScheduleTime; t != nil {
		tt := t.Time
		spec.LastScheduleTime = &tt
	}
	sc := res.Schedule
	if sc == nil || sc.Schedule == "" {
		if len(*res.History) > 0 || spec.LastScheduleTime != nil {
			// The one run has been started: never again.
			t := spec.CreationTime
			if spec.LastScheduleTime == nil {
				spec.LastScheduleTime = &t
			}
		}
		return spec, nil
	}
	cs, loc, err := schedule.Parse(sc.Schedule, sc.TimeZone)
	if err != nil {
		return spec, fmt.Errorf("spec.schedule: %w", err)
	}
	spec.Schedule, spec.Location = cs, loc
	spec.StartingDeadlineSeconds = sc.StartingDeadlineSeconds
	spec.Suspend = sc.Suspend != nil && *sc.Suspend
	spec.ConcurrencyPolicy = sc.ConcurrencyPolicy
	return spec, nil
}

// startRun creates a run's shard Jobs.
func (s *scheduler) startRun(ctx context.Context, res *scheduledResource, name string, scheduled time.Time) error {
	ranges, err := shardRanges(res)
	if err != nil {
		return fmt.Errorf("spec.shards: %w", err)
	}
	jobs := make([]*batchv1.Job, 0, len(ranges))
	for i, pr := range ranges {
		j, err := buildJob(res.Owner, s.Scheme, jobRequest{
			Name: schedule.JobName(name, int32(i)), Role: RoleShard, Run: name, Index: i,
			Args: res.Args(pr), Aerospike: res.Aerospike, Worker: res.Worker, Generation: res.Owner.GetGeneration(),
		}, s.Workers)
		if err != nil {
			return err
		}
		if !scheduled.IsZero() {
			j.Annotations[AnnotationScheduled] = scheduled.UTC().Format(time.RFC3339)
		}
		j.Annotations[AnnotationShards] = strconv.Itoa(len(ranges))
		jobs = append(jobs, j)
	}
	_, err = createJobs(ctx, s.Client, jobs)
	return err
}

// observe reads the runs from the owner's Jobs.
func (s *scheduler) observe(ctx context.Context, res *scheduledResource) (map[string]*runView, error) {
	jobs, err := ownedJobs(ctx, s.Client, res.Owner, "")
	if err != nil {
		return nil, err
	}
	pods, err := podsByJob(ctx, s.Client, res.Owner)
	if err != nil {
		return nil, err
	}
	runs := map[string]*runView{}
	for i := range jobs {
		j := &jobs[i]
		name := j.Labels[LabelRun]
		rv := runs[name]
		if rv == nil {
			rv = &runView{Ref: mxnv1.RunRef{Name: name}}
			runs[name] = rv
		}
		idx, _ := strconv.Atoi(j.Labels[LabelIndex])
		rv.Jobs = append(rv.Jobs, observedJob{Job: j, Index: idx, Outcome: jobstatus.JobOutcome(j, pods[j.Name])})
	}
	for _, rv := range runs {
		s.summarize(res, rv)
	}
	return runs, nil
}

// summarize fills a run's reference from its Jobs.
func (s *scheduler) summarize(res *scheduledResource, rv *runView) {
	sort.Slice(rv.Jobs, func(a, b int) bool { return rv.Jobs[a].Index < rv.Jobs[b].Index })
	var start, end time.Time
	done := 0
	rv.Reports = rv.Reports[:0]
	for _, j := range rv.Jobs {
		if t := j.Job.CreationTimestamp.Time; start.IsZero() || t.Before(start) {
			start = t
		}
		if j.Outcome.Finished {
			done++
			if t := finishTime(j.Job); t.After(end) {
				end = t
			}
		}
		rv.Reports = append(rv.Reports, j.Outcome.Report)
		if at, ok := j.Job.Annotations[AnnotationScheduled]; ok && rv.Ref.ScheduledTime == nil {
			if t, err := time.Parse(time.RFC3339, at); err == nil {
				mt := metav1.NewTime(t)
				rv.Ref.ScheduledTime = &mt
			}
		}
	}
	st := metav1.NewTime(start)
	rv.Ref.StartTime = &st
	if done < len(rv.Jobs) || len(rv.Jobs) < expectedShards(rv) {
		rv.Ref.Phase = mxnv1.RunRunning
		return
	}
	if end.IsZero() {
		end = s.Clock.Now()
	}
	et := metav1.NewTime(end)
	rv.Ref.CompletionTime = &et
	ok, msg := res.Ran(rv.Reports)
	if f := firstFailure(rv.Jobs); f != "" && !ok {
		msg = msg + "; " + f
	}
	rv.Ref.Phase, rv.Ref.Message = mxnv1.RunSucceeded, msg
	if !ok {
		rv.Ref.Phase = mxnv1.RunFailed
	}
}

// expectedShards is the number of shard Jobs a run was created with.
func expectedShards(rv *runView) int {
	n := 0
	for _, j := range rv.Jobs {
		if v, err := strconv.Atoi(j.Job.Annotations[AnnotationShards]); err == nil {
			n = max(n, v)
		}
	}
	return n
}

// completeRuns creates the shard Jobs missing from runs whose creation
// stopped half-way (a quota, an API error), with the spec they started
// with; a run whose spec's shard count changed since cannot be completed
// and is left to fail.
func (s *scheduler) completeRuns(ctx context.Context, res *scheduledResource, runs map[string]*runView) error {
	for name, rv := range runs {
		want := expectedShards(rv)
		if len(rv.Jobs) >= want {
			continue
		}
		if got, err := shardRanges(res); err != nil || len(got) != want {
			rv.Ref.Phase = mxnv1.RunFailed
			rv.Ref.Message = fmt.Sprintf("only %d of its %d shard Jobs exist, and spec.shards changed since", len(rv.Jobs), want)
			continue
		}
		var scheduled time.Time
		if rv.Ref.ScheduledTime != nil {
			scheduled = rv.Ref.ScheduledTime.Time
		}
		if err := s.startRun(ctx, res, name, scheduled); err != nil {
			return err
		}
	}
	return nil
}

// shardRanges are the partition ranges of a run's shards (one for a
// single account).
func shardRanges(res *scheduledResource) ([]txn.PartitionRange, error) {
	shards := res.Shards.Shards
	if res.Shards.UKey != "" || shards < 1 {
		shards = 1
	}
	return shard.Ranges(shards)
}

func finishTime(j *batchv1.Job) time.Time {
	if j.Status.CompletionTime != nil {
		return j.Status.CompletionTime.Time
	}
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobFailed || c.Type == batchv1.JobComplete) && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}

// prune keeps the history limits: the Jobs of older finished runs go.
func (s *scheduler) prune(ctx context.Context, res *scheduledResource, runs map[string]*runView) error {
	refs := make([]mxnv1.RunRef, 0, len(runs))
	for _, name := range sortedRuns(runs) {
		refs = append(refs, runs[name].Ref)
	}
	var okLimit, failLimit *int32
	if res.Schedule != nil {
		okLimit, failLimit = res.Schedule.SuccessfulRunsHistoryLimit, res.Schedule.FailedRunsHistoryLimit
	}
	keep, del := schedule.Prune(refs, okLimit, failLimit)
	for _, ref := range del {
		if err := deleteJobs(ctx, s.Client, jobsOf(runs[ref.Name])); err != nil {
			return err
		}
	}
	*res.History = keep
	return nil
}

// newerFinished is the finished run that started last, if it is newer than
// the one status already reports (last): the last run never goes back to an
// older one, e.g. once the newest run's Jobs were pruned.
func newerFinished(runs map[string]*runView, last *mxnv1.RunRef) *runView {
	rv := latestFinished(runs)
	switch {
	case rv == nil:
		return nil
	case last == nil || last.StartTime == nil || rv.Ref.StartTime == nil:
		return rv
	case rv.Ref.Name == last.Name || rv.Ref.StartTime.Before(last.StartTime):
		return nil
	}
	return rv
}

// runsSeen remembers which finished runs this process has already counted
// in its metrics and announced in events: a status read back from a lagging
// cache must not count a run twice.
type runsSeen struct {
	mu   sync.Mutex
	seen map[string]bool
}

// first reports whether run of owner is seen for the first time.
func (r *runsSeen) first(owner client.Object, run string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	k := string(owner.GetUID()) + "/" + run
	if r.seen[k] {
		return false
	}
	r.seen[k] = true
	return true
}

// latestFinished is the finished run that started last.
func latestFinished(runs map[string]*runView) *runView {
	var last *runView
	for _, rv := range runs {
		if rv.Ref.Phase == mxnv1.RunRunning {
			continue
		}
		if last == nil || rv.Ref.StartTime.After(last.Ref.StartTime.Time) ||
			(rv.Ref.StartTime.Equal(last.Ref.StartTime) && rv.Ref.Name > last.Ref.Name) {
			last = rv
		}
	}
	return last
}

func sortedRuns(runs map[string]*runView) []string {
	names := make([]string, 0, len(runs))
	for n := range runs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func jobsOf(rv *runView) []batchv1.Job {
	if rv == nil {
		return nil
	}
	out := make([]batchv1.Job, len(rv.Jobs))
	for i, j := range rv.Jobs {
		out[i] = *j.Job
	}
	return out
}

// allReports: every shard reported, of the wanted kind, without error.
func allReports(reports []*report.Report, ok func(*report.Report) bool) (bool, string) {
	for i, r := range reports {
		switch {
		case r == nil:
			return false, fmt.Sprintf("shard %d sent no report", i)
		case !ok(r):
			msg := r.Error
			if msg == "" {
				msg = "incomplete report of kind " + r.Kind
			}
			return false, fmt.Sprintf("shard %d: %s", i, msg)
		}
	}
	return true, ""
}
