package controllers

import (
	"context"
	"sort"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mxnlabs/mxn/internal/jobstatus"
)

// observedJob is a Job of a run with what its pod reported.
type observedJob struct {
	Job     *batchv1.Job
	Index   int
	Outcome jobstatus.Outcome
	// Started: one of its pods has run (its container started).
	Started bool
}

// runJobs are the Jobs of one run, by role, each sorted by index.
type runJobs map[string][]observedJob

// observeRun reads the Jobs of a run and their pods' outcomes.
func observeRun(ctx context.Context, c client.Client, owner client.Object, run string) (runJobs, error) {
	jobs, err := ownedJobs(ctx, c, owner, run)
	if err != nil {
		return nil, err
	}
	pods, err := podsByJob(ctx, c, owner)
	if err != nil {
		return nil, err
	}
	out := runJobs{}
	for i := range jobs {
		j := &jobs[i]
		idx, _ := strconv.Atoi(j.Labels[LabelIndex])
		role := j.Labels[LabelRole]
		out[role] = append(out[role], observedJob{Job: j, Index: idx, Outcome: jobstatus.JobOutcome(j, pods[j.Name]), Started: anyStarted(pods[j.Name])})
	}
	for _, js := range out {
		sort.Slice(js, func(a, b int) bool { return js[a].Index < js[b].Index })
	}
	return out, nil
}

// anyStarted reports whether one of the pods has started its container.
func anyStarted(pods []corev1.Pod) bool {
	for _, p := range pods {
		if p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			return true
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Running != nil || cs.State.Terminated != nil {
				return true
			}
		}
	}
	return false
}

// finished counts the finished Jobs and the failed ones among them.
func finished(js []observedJob) (done, failed int) {
	for _, j := range js {
		if j.Outcome.Finished {
			done++
			if !j.Outcome.Succeeded {
				failed++
			}
		}
	}
	return done, failed
}

// firstFailure is the message of the first failed Job, for status.
func firstFailure(js []observedJob) string {
	for _, j := range js {
		if j.Outcome.Finished && !j.Outcome.Succeeded {
			return j.Job.Name + ": " + j.Outcome.Message
		}
	}
	return ""
}
