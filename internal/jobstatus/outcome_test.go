package jobstatus

import (
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/pkg/report"
	"github.com/mxnlabs/mxn/pkg/workload"
)

var t0 = time.Date(2026, time.March, 2, 10, 0, 0, 0, time.UTC)

func encoded(t *testing.T, r *report.Report) string {
	t.Helper()
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func goodReport() *report.Report {
	return &report.Report{Kind: report.KindWorkload, StartUnixMs: 1, EndUnixMs: 1001, Workload: &workload.Summary{Committed: 42}}
}

func job(backoff *int32, failed int32, conds ...batchv1.JobCondition) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "w-s0000"},
		Spec:       batchv1.JobSpec{BackoffLimit: backoff},
		Status:     batchv1.JobStatus{Failed: failed, Conditions: conds},
	}
}

func cond(typ batchv1.JobConditionType, reason, msg string) batchv1.JobCondition {
	return batchv1.JobCondition{Type: typ, Status: corev1.ConditionTrue, Reason: reason, Message: msg}
}

func ptr[T any](v T) *T { return &v }

type podOpt func(*corev1.Pod)

func pod(name string, opts ...podOpt) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
		ContainerStatuses: []corev1.ContainerStatus{{Name: "mxn", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}}
	for _, o := range opts {
		o(&p)
	}
	return p
}

// exited: the container terminated with code and message, at minute min.
func exited(code int32, msg string, min int) podOpt {
	return func(p *corev1.Pod) {
		reason, phase := "Completed", corev1.PodSucceeded
		if code != 0 {
			reason, phase = "Error", corev1.PodFailed
		}
		p.Status.Phase = phase
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: code, Reason: reason, Message: msg, FinishedAt: metav1.NewTime(t0.Add(time.Duration(min) * time.Minute))}}
	}
}

func waitingFor(reason, msg string) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
	}
}

func deleting(p *corev1.Pod) { p.DeletionTimestamp = ptr(metav1.NewTime(t0)) }

func TestJobOutcome(t *testing.T) {
	good := encoded(t, goodReport())
	withError := encoded(t, &report.Report{Kind: report.KindReconcile, Reconcile: &report.Reconcile{Checked: 3}, Error: "lock: 3 accounts timed out"})
	older := `{"v":0,"kind":"rtxns","workload":{"committed":42}}`
	newer := `{"v":2,"kind":"rtxns"}`
	noKind := `{"v":1}`
	truncated := good[:len(good)/2]
	logTail := "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.main()"

	tests := map[string]struct {
		job       *batchv1.Job
		pods      []corev1.Pod
		finished  bool
		succeeded bool
		report    bool   // a report is returned
		message   string // substring of Message ("" : Message must be empty)
	}{
		"running": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p")},
		},
		"not created yet": {
			job: job(ptr(int32(0)), 0),
		},
		"image pull": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", waitingFor("ImagePullBackOff", `Back-off pulling image "mxn:nope"`))},
			message: `waiting: ImagePullBackOff: Back-off pulling image "mxn:nope"`,
		},
		"container creating is not news": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", waitingFor("ContainerCreating", ""))},
		},
		"unschedulable": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", func(p *corev1.Pod) {
				p.Status.Phase, p.Status.ContainerStatuses = corev1.PodPending, nil
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/3 nodes are available"}}
			})},
			message: "pending: Unschedulable: 0/3 nodes are available",
		},
		"complete with a report": {
			job: job(ptr(int32(0)), 0, cond(batchv1.JobComplete, "CompletionsReached", "")), pods: []corev1.Pod{pod("p", exited(0, good, 1))},
			finished: true, succeeded: true, report: true,
		},
		"pod succeeded before the Job says so": {
			job: job(nil, 0), pods: []corev1.Pod{pod("p", exited(0, good, 1))},
			finished: true, succeeded: true, report: true,
		},
		"truncated message": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", exited(0, truncated, 1))},
			finished: true, message: "unreadable report (exit code 0 (Completed)): decode report: unexpected end of JSON input",
		},
		"message from an older version": {
			job: job(ptr(int32(0)), 0, cond(batchv1.JobComplete, "", "")), pods: []corev1.Pod{pod("p", exited(0, older, 1))},
			finished: true, message: "decode report: version 0, want 1",
		},
		"message from a newer version": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", exited(0, newer, 1))},
			finished: true, message: "version 2, want 1",
		},
		"report without a kind": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", exited(0, noKind, 1))},
			finished: true, message: "no kind",
		},
		"exit 1 with a report carrying its error": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", exited(1, withError, 1))},
			finished: true, report: true, message: "lock: 3 accounts timed out",
		},
		"exit 1 with a report and no error": {
			job: job(ptr(int32(0)), 1), pods: []corev1.Pod{pod("p", exited(1, good, 1))},
			finished: true, report: true, message: "exit code 1 (Error)",
		},
		"exit 0 with no message": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", exited(0, "", 1))},
			finished: true, message: "no report in the termination message (exit code 0 (Completed))",
		},
		"crash log as the message": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", exited(2, logTail, 1))},
			finished: true, message: `unreadable report (exit code 2 (Error)): decode report: invalid character 'p'`,
		},
		"not JSON at all": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", exited(0, "\xff\xfe\x00", 1))},
			finished: true, message: "unreadable report",
		},
		"exit 1, the Job retries": {
			job: job(nil, 1), pods: []corev1.Pod{pod("p", exited(1, withError, 1))},
		},
		"exit 1, the Job retries: a new pod runs": {
			job: job(ptr(int32(2)), 1), pods: []corev1.Pod{pod("p1", exited(1, withError, 1)), pod("p2")},
		},
		"exit 1, the backoff limit is reached": {
			job: job(ptr(int32(2)), 2), pods: []corev1.Pod{pod("p1", exited(1, withError, 1)), pod("p2", exited(1, withError, 2)), pod("p3", exited(1, withError, 3))},
			finished: true, report: true, message: "lock: 3 accounts timed out",
		},
		"retried, then succeeded: the succeeded pod reports": {
			job:      job(ptr(int32(3)), 1, cond(batchv1.JobComplete, "", "")),
			pods:     []corev1.Pod{pod("p2", exited(0, good, 2)), pod("p3", exited(1, withError, 3))},
			finished: true, succeeded: true, report: true,
		},
		"deadline exceeded without a message": {
			job:      job(ptr(int32(0)), 1, cond(batchv1.JobFailed, "DeadlineExceeded", "Job was active longer than specified deadline")),
			finished: true, message: "DeadlineExceeded: Job was active longer than specified deadline",
		},
		"deadline exceeded with a running pod being killed": {
			job:      job(ptr(int32(0)), 1, cond(batchv1.JobFailed, "DeadlineExceeded", "")),
			pods:     []corev1.Pod{pod("p", deleting)},
			finished: true, message: "DeadlineExceeded",
		},
		"job failed although the pod reported success": {
			job:      job(ptr(int32(0)), 0, cond(batchv1.JobFailed, "DeadlineExceeded", "")),
			pods:     []corev1.Pod{pod("p", exited(0, good, 1))},
			finished: true, report: true, message: "DeadlineExceeded",
		},
		"job failed, report in the last termination state": {
			job: job(ptr(int32(0)), 1, cond(batchv1.JobFailed, "BackoffLimitExceeded", "")),
			pods: []corev1.Pod{pod("p", func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodFailed
				p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
				p.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Message: withError}}
			})},
			finished: true, report: true, message: "lock: 3 accounts timed out",
		},
		"job deleted": {
			finished: true, message: "job deleted",
		},
		"job deleted, its pod's report still readable": {
			pods:     []corev1.Pod{pod("p", exited(0, good, 1))},
			finished: true, succeeded: true, report: true,
		},
		"complete, its pod not seen terminated yet (two caches)": {
			job:     job(ptr(int32(0)), 0, cond(batchv1.JobComplete, "", "")),
			pods:    []corev1.Pod{pod("p")}, // running, as the pod cache still says
			message: "complete; waiting to see its pod's report",
		},
		"complete but the pod is gone": {
			job:      job(ptr(int32(0)), 0, cond(batchv1.JobComplete, "", "")),
			finished: true, message: "no report: the worker's pod is gone",
		},
		"pod deleted, no retry": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", deleting)},
			finished: true, message: "pod deleted",
		},
		"pod deleted, the Job will retry": {
			job: job(nil, 0), pods: []corev1.Pod{pod("p", deleting)},
		},
		"pod deleted by a taint": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", deleting, func(p *corev1.Pod) {
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "DeletionByTaintManager", Message: "Taint manager: deleting due to NoExecute taint"}}
			})},
			finished: true, message: "pod deleted: DeletionByTaintManager: Taint manager: deleting due to NoExecute taint",
		},
		"pod evicted": {
			job: job(ptr(int32(0)), 0), pods: []corev1.Pod{pod("p", func(p *corev1.Pod) {
				p.Status.Phase, p.Status.Reason, p.Status.Message = corev1.PodFailed, "Evicted", "The node was low on resource: memory."
				p.Status.ContainerStatuses = nil
			})},
			finished: true, message: "pod failed: Evicted: The node was low on resource: memory.",
		},
		"pod evicted, counted by the Job already, which retries": {
			job: job(ptr(int32(1)), 1), pods: []corev1.Pod{pod("p", func(p *corev1.Pod) {
				p.Status.Phase, p.Status.Reason = corev1.PodFailed, "Evicted"
				p.Status.ContainerStatuses = nil
			})},
		},
		"condition not true is ignored": {
			job: job(ptr(int32(0)), 0, batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionFalse}), pods: []corev1.Pod{pod("p")},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := JobOutcome(tc.job, tc.pods)
			if got.Finished != tc.finished || got.Succeeded != tc.succeeded || (got.Report != nil) != tc.report {
				t.Errorf("JobOutcome = finished %v succeeded %v report %v (%q), want %v %v %v",
					got.Finished, got.Succeeded, got.Report != nil, got.Message, tc.finished, tc.succeeded, tc.report)
			}
			if tc.message == "" && got.Message != "" || !strings.Contains(got.Message, tc.message) {
				t.Errorf("Message = %q, want one containing %q", got.Message, tc.message)
			}
			if got.Succeeded && (got.Report == nil || got.Report.Workload == nil || got.Report.Workload.Committed != 42) {
				t.Errorf("succeeded without the report: %+v", got.Report)
			}
		})
	}
}

// Every truncation of a valid report fails cleanly, without a panic.
func TestJobOutcomeEveryTruncation(t *testing.T) {
	full := encoded(t, &report.Report{Kind: report.KindReconcile, Reconcile: &report.Reconcile{Checked: 2, Drifted: 1,
		Sample: []report.DriftedAccount{{UKey: "usr1", Balance: 3, Logged: 2, Drift: 1}}}})
	for n := 0; n < len(full); n++ {
		got := JobOutcome(job(ptr(int32(0)), 0), []corev1.Pod{pod("p", exited(0, full[:n], 1))})
		if !got.Finished || got.Succeeded || got.Report != nil || got.Message == "" {
			t.Fatalf("cut at %d of %d: %+v", n, len(full), got)
		}
	}
	if got := JobOutcome(job(ptr(int32(0)), 0), []corev1.Pod{pod("p", exited(0, full, 1))}); !got.Succeeded || got.Report.Reconcile.Drifted != 1 {
		t.Fatalf("full report: %+v", got)
	}
}

func TestCount(t *testing.T) {
	tests := map[string]struct {
		outcomes []Outcome
		running  int
		want     v1alpha1.WorkerCounts
	}{
		"none": {},
		"mixed": {
			outcomes: []Outcome{{}, {Finished: true, Succeeded: true}, {Finished: true}, {Finished: true, Succeeded: true}, {Message: "waiting"}},
			running:  2,
			want:     v1alpha1.WorkerCounts{Active: 2, Succeeded: 2, Failed: 1},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Count(tc.outcomes, tc.running); got != tc.want {
				t.Errorf("Count = %+v, want %+v", got, tc.want)
			}
		})
	}
}
