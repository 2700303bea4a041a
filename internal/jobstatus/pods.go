package jobstatus

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// terminated is the container state that holds a pod's report: the
// current termination, else the last one; containers with a message first.
func terminated(p *corev1.Pod) *corev1.ContainerStateTerminated {
	var found *corev1.ContainerStateTerminated
	for i := range p.Status.ContainerStatuses {
		cs := &p.Status.ContainerStatuses[i]
		t := cs.State.Terminated
		if t == nil {
			t = cs.LastTerminationState.Terminated
		}
		if t == nil {
			continue
		}
		if t.Message != "" {
			return t
		}
		if found == nil {
			found = t
		}
	}
	return found
}

// podTerminated: the pod will run nothing more.
func podTerminated(p *corev1.Pod) bool {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return true
	}
	if len(p.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Terminated == nil {
			return false
		}
	}
	return true
}

// reportingPod picks the pod whose termination tells the Job's outcome:
// a succeeded one, else the one that terminated last.
func reportingPod(pods []corev1.Pod) (*corev1.Pod, *corev1.ContainerStateTerminated) {
	var best *corev1.Pod
	var bestTerm *corev1.ContainerStateTerminated
	for i := range pods {
		p := &pods[i]
		t := terminated(p)
		if t == nil {
			continue
		}
		switch {
		case best == nil:
		case p.Status.Phase == corev1.PodSucceeded && best.Status.Phase != corev1.PodSucceeded:
		case p.Status.Phase != corev1.PodSucceeded && best.Status.Phase == corev1.PodSucceeded:
			continue
		case t.FinishedAt.After(bestTerm.FinishedAt.Time):
		case t.FinishedAt.Equal(&bestTerm.FinishedAt) && p.Name > best.Name:
		default:
			continue
		}
		best, bestTerm = p, t
	}
	return best, bestTerm
}

// failedPods counts the pods that failed: phase Failed, or terminated with
// a non-zero exit code.
func failedPods(pods []corev1.Pod) int32 {
	var n int32
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase == corev1.PodFailed {
			n++
			continue
		}
		if t := terminated(p); t != nil && t.ExitCode != 0 && podTerminated(p) {
			n++
		}
	}
	return n
}

// deletedPod is a pod being deleted, or evicted, before it terminated.
func deletedPod(pods []corev1.Pod) *corev1.Pod {
	for i := range pods {
		p := &pods[i]
		if terminated(p) != nil {
			continue
		}
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodFailed {
			return p
		}
	}
	return nil
}

// podGone says why a pod ended without terminating its worker.
func podGone(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue {
			if c.Message != "" {
				return fmt.Sprintf("pod deleted: %s: %s", c.Reason, c.Message)
			}
			return "pod deleted: " + c.Reason
		}
	}
	if p.Status.Reason != "" {
		if p.Status.Message != "" {
			return fmt.Sprintf("pod failed: %s: %s", p.Status.Reason, p.Status.Message)
		}
		return "pod failed: " + p.Status.Reason
	}
	if p.DeletionTimestamp != nil {
		return "pod deleted"
	}
	return "pod failed"
}

// waiting says what a worker that has not finished waits for, if anything
// notable (an image pull, a crash loop, an unschedulable pod).
func waiting(pods []corev1.Pod) string {
	for i := range pods {
		p := &pods[i]
		for _, cs := range p.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
				if w.Message != "" {
					return fmt.Sprintf("waiting: %s: %s", w.Reason, w.Message)
				}
				return "waiting: " + w.Reason
			}
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason != "" {
				if c.Message != "" {
					return fmt.Sprintf("pending: %s: %s", c.Reason, c.Message)
				}
				return "pending: " + c.Reason
			}
		}
	}
	return ""
}
