package jobstatus

import (
	"fmt"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/mxnlabs/mxn/pkg/report"
)

// Outcome is what became of one worker Job.
type Outcome struct {
	// Finished: the Job will not run its worker again.
	Finished bool
	// Succeeded: finished, exit code 0, a readable report without Error,
	// and the Job did not fail.
	Succeeded bool
	// Report decoded from the termination message, if there was a
	// readable one (also when the worker failed: it may carry counts).
	Report *report.Report
	// Message says why the worker failed, or what it waits for.
	Message string
}

// defaultBackoffLimit is the Job API's default spec.backoffLimit.
const defaultBackoffLimit = 6

// JobOutcome decides the outcome of a worker Job from the Job (nil: it is
// gone) and its pods. A Job is finished when it has the condition Complete
// or Failed, or when its pod terminated and the Job will not retry (exit
// code 0, or its failures exceed the backoff limit), or when it is gone.
// The report is the terminated container's termination message (or its
// last termination's), decoded with report.Decode; a message that cannot
// be decoded fails the worker with a Message saying why.
func JobOutcome(job *batchv1.Job, pods []corev1.Pod) Outcome {
	cond := finalCondition(job)
	pod, term := reportingPod(pods)
	failures := failedPods(pods)
	if job != nil {
		failures = max(failures, job.Status.Failed)
	}
	noRetry := job == nil || failures > backoffLimit(job)

	finished := job == nil || cond != nil
	if term != nil && pod != nil && podTerminated(pod) && (term.ExitCode == 0 || noRetry) {
		finished = true
	}
	if !finished {
		if deleted := deletedPod(pods); deleted != nil && noRetryAfter(job, deleted, failures) {
			return Outcome{Finished: true, Message: podGone(deleted)}
		}
		return Outcome{Message: waiting(pods)}
	}

	jobFailed := cond != nil && cond.Type == batchv1.JobFailed
	if term == nil {
		switch {
		case jobFailed:
			return Outcome{Finished: true, Message: conditionMessage(cond)}
		case job == nil:
			return Outcome{Finished: true, Message: "job deleted"}
		}
		if deleted := deletedPod(pods); deleted != nil {
			return Outcome{Finished: true, Message: podGone(deleted)}
		}
		if len(pods) > 0 {
			// Complete, and its pod is there but not terminated yet as
			// seen: Jobs and pods come from two caches, and the Job's
			// update can be seen first. Its report is on its way.
			return Outcome{Message: "complete; waiting to see its pod's report"}
		}
		return Outcome{Finished: true, Message: "no report: the worker's pod is gone"}
	}

	out := Outcome{Finished: true}
	rep, problem := decode(term)
	out.Report = rep
	switch {
	case problem != "":
		out.Message = problem
	case rep.Error != "":
		out.Message = rep.Error
	case term.ExitCode != 0:
		out.Message = exitMessage(term)
	case jobFailed:
		out.Message = conditionMessage(cond)
	default:
		out.Succeeded = true
	}
	return out
}

// noRetryAfter: the failure of the deleted pod (counted already if its
// phase is Failed) exceeds the limit.
func noRetryAfter(job *batchv1.Job, deleted *corev1.Pod, failures int32) bool {
	if deleted.Status.Phase != corev1.PodFailed {
		failures++
	}
	return job == nil || failures > backoffLimit(job)
}

func backoffLimit(job *batchv1.Job) int32 {
	if job.Spec.BackoffLimit != nil {
		return *job.Spec.BackoffLimit
	}
	return defaultBackoffLimit
}

// finalCondition is the Job's Complete or Failed condition, if true.
func finalCondition(job *batchv1.Job) *batchv1.JobCondition {
	if job == nil {
		return nil
	}
	for i, c := range job.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return &job.Status.Conditions[i]
		}
	}
	return nil
}

func conditionMessage(c *batchv1.JobCondition) string {
	reason := c.Reason
	if reason == "" {
		reason = "job failed"
	}
	if c.Message != "" {
		return reason + ": " + c.Message
	}
	return reason
}

func exitMessage(t *corev1.ContainerStateTerminated) string {
	m := fmt.Sprintf("exit code %d", t.ExitCode)
	if t.Reason != "" {
		m += " (" + t.Reason + ")"
	}
	if t.Signal != 0 {
		m += fmt.Sprintf(", signal %d", t.Signal)
	}
	return m
}

// decode reads the report of a terminated container; problem says why
// there is none.
func decode(t *corev1.ContainerStateTerminated) (rep *report.Report, problem string) {
	msg := strings.TrimSpace(t.Message)
	if msg == "" {
		return nil, "no report in the termination message (" + exitMessage(t) + ")"
	}
	rep, err := report.Decode([]byte(msg))
	if err != nil {
		p := fmt.Sprintf("unreadable report (%s): %v", exitMessage(t), err)
		if !strings.HasPrefix(msg, "{") {
			// Not a report at all: likely the log tail of a crash.
			p += fmt.Sprintf("; message starts %q", clip(msg, 160))
		}
		return nil, p
	}
	return rep, ""
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
