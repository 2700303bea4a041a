// Package jobrunner stands in, for envtest, for the parts of Kubernetes that
// envtest does not run: the Job controller and the kubelet. For each Job it
// makes the Pod, runs the Job's real container command line (the args of the
// pod template, executed by a built mxn binary on this machine), and writes
// the real output back: the summary file as the container's termination
// message, the exit code, then the Job's conditions as the Job controller
// would set them. Deleting a running pod kills its process and fails its Job
// (a worker lost mid-run); deleting a Job kills its process and deletes its
// pods (what the garbage collector would do).
package jobrunner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Runner runs Jobs' pods as local processes.
type Runner struct {
	// Client must read through to the API server (not a cache).
	Client client.Client
	// Binaries maps a container's command (e.g. "/mxn") to a local binary.
	Binaries map[string]string
	// Env is added to every process (e.g. nothing secret; secretKeyRef env
	// is resolved from the Secret, as the kubelet would).
	Env []string
	// Selector picks the Jobs to run (default: all).
	Selector client.MatchingLabels
	// Nodes are assigned to pods round-robin (default: one node "node-a").
	Nodes []string
	// Poll is the interval between scans (default 50 ms).
	Poll time.Duration
	// Hold, when set, is called before a Job's process starts; it blocks
	// until the test lets the Job go (to act while pods are pending).
	Hold func(job *batchv1.Job)

	mu      sync.Mutex
	jobs    map[types.UID]*run
	node    int
	dir     string
	stopped chan struct{}
}

type run struct {
	job     types.NamespacedName
	pod     types.NamespacedName
	cmd     *exec.Cmd
	done    chan struct{}
	killed  bool // the pod was deleted while it ran
	started bool
}

// Start scans for Jobs until ctx ends.
func (r *Runner) Start(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "jobrunner-")
	if err != nil {
		return err
	}
	r.dir = dir
	r.jobs = map[types.UID]*run{}
	r.stopped = make(chan struct{})
	go func() {
		defer close(r.stopped)
		poll := r.Poll
		if poll <= 0 {
			poll = 50 * time.Millisecond
		}
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				r.killAll()
				return
			case <-t.C:
				r.scan(ctx)
			}
		}
	}()
	return nil
}

// Wait waits for Start's loop to end, then removes its files.
func (r *Runner) Wait() {
	if r.stopped != nil {
		<-r.stopped
	}
	if r.dir != "" {
		_ = os.RemoveAll(r.dir)
	}
}

// Running is the number of processes running now.
func (r *Runner) Running() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, j := range r.jobs {
		select {
		case <-j.done:
		default:
			if j.started {
				n++
			}
		}
	}
	return n
}

func (r *Runner) scan(ctx context.Context) {
	var jobs batchv1.JobList
	if err := r.Client.List(ctx, &jobs, r.Selector); err != nil {
		return
	}
	live := map[types.UID]bool{}
	for i := range jobs.Items {
		j := &jobs.Items[i]
		live[j.UID] = true
		r.mu.Lock()
		known := r.jobs[j.UID]
		r.mu.Unlock()
		switch {
		case known == nil && j.DeletionTimestamp.IsZero() && !finished(j):
			r.startJob(ctx, j)
		case known != nil:
			r.checkPod(ctx, known)
		}
	}
	// Jobs deleted: kill their processes, delete their pods (the garbage
	// collector's part).
	r.mu.Lock()
	var gone []*run
	for uid, j := range r.jobs {
		if !live[uid] {
			gone = append(gone, j)
			delete(r.jobs, uid)
		}
	}
	r.mu.Unlock()
	for _, j := range gone {
		r.kill(j)
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: j.pod.Namespace, Name: j.pod.Name}}
		_ = r.Client.Delete(ctx, pod, client.GracePeriodSeconds(0))
	}
}

func finished(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// startJob creates the Job's pod and starts its process.
func (r *Runner) startJob(ctx context.Context, job *batchv1.Job) {
	r.mu.Lock()
	nodes := r.Nodes
	if len(nodes) == 0 {
		nodes = []string{"node-a"}
	}
	node := nodes[r.node%len(nodes)]
	r.node++
	rn := &run{job: client.ObjectKeyFromObject(job), done: make(chan struct{})}
	r.jobs[job.UID] = rn
	r.mu.Unlock()

	labels := map[string]string{}
	for k, v := range job.Spec.Template.Labels {
		labels[k] = v
	}
	labels[batchv1.JobNameLabel] = job.Name
	labels[batchv1.ControllerUidLabel] = string(job.UID)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:    job.Namespace,
			GenerateName: job.Name + "-",
			Labels:       labels,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID,
				Controller: ptr(true), BlockOwnerDeletion: ptr(true),
			}},
		},
		Spec: *job.Spec.Template.Spec.DeepCopy(),
	}
	pod.Spec.NodeName = node
	if err := r.Client.Create(ctx, pod); err != nil {
		r.mu.Lock()
		delete(r.jobs, job.UID)
		r.mu.Unlock()
		return
	}
	rn.pod = client.ObjectKeyFromObject(pod)
	now := metav1.Now()
	job.Status.StartTime = &now
	job.Status.Active = 1
	_ = r.Client.Status().Update(ctx, job)

	go r.runPod(ctx, job.DeepCopy(), pod, rn)
}

func (r *Runner) runPod(ctx context.Context, job *batchv1.Job, pod *corev1.Pod, rn *run) {
	defer close(rn.done)
	if r.Hold != nil {
		r.Hold(job)
		// Deleted while held: a pod that never started runs nothing.
		r.mu.Lock()
		killed := rn.killed
		_, live := r.jobs[job.UID]
		r.mu.Unlock()
		switch {
		case !live || ctx.Err() != nil:
			return
		case killed:
			r.finishJob(ctx, rn.job, false, true)
			return
		}
	}
	ctr := pod.Spec.Containers[0]
	summary := filepath.Join(r.dir, string(pod.UID)+".summary")
	args := make([]string, len(ctr.Args))
	for i, a := range ctr.Args {
		if a == ctr.TerminationMessagePath || (ctr.TerminationMessagePath == "" && a == "/dev/termination-log") {
			a = summary
		}
		args[i] = a
	}
	env, envErr := r.resolveEnv(ctx, pod.Namespace, ctr.Env)
	bin := ""
	if len(ctr.Command) > 0 {
		bin = r.Binaries[ctr.Command[0]]
	}
	var exitCode int32
	var message, reason string
	startedAt := metav1.Now()
	switch {
	case envErr != nil:
		exitCode, reason, message = 128, "CreateContainerConfigError", envErr.Error()
	case bin == "":
		exitCode, reason, message = 127, "ContainerCannotRun", fmt.Sprintf("no local binary for command %v", ctr.Command)
	default:
		cmd := exec.Command(bin, args...)
		cmd.Env = append(append(os.Environ(), r.Env...), env...)
		var logs strings.Builder
		cmd.Stdout, cmd.Stderr = &logs, &logs
		r.mu.Lock()
		rn.cmd = cmd
		rn.started = true
		err := cmd.Start()
		r.mu.Unlock()
		if err == nil {
			r.setPodRunning(ctx, pod, startedAt)
			err = cmd.Wait()
		}
		var exitErr *exec.ExitError
		switch {
		case err == nil:
			reason = "Completed"
		case errors.As(err, &exitErr):
			exitCode, reason = int32(exitErr.ExitCode()), "Error"
			if exitCode < 0 {
				exitCode, reason = 137, "Killed"
			}
		default:
			exitCode, reason, message = 128, "StartError", err.Error()
		}
		if b, rerr := os.ReadFile(summary); rerr == nil {
			message = string(b)
			if len(message) > 4096 {
				message = message[:4096] // the kubelet's limit
			}
		}
		_ = os.Remove(summary)
	}
	r.mu.Lock()
	killed := rn.killed
	r.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	if !killed {
		r.setPodTerminated(ctx, pod, startedAt, exitCode, reason, message)
	}
	r.finishJob(ctx, rn.job, exitCode == 0 && !killed, killed)
}

// resolveEnv turns secretKeyRef env into values, as the kubelet does.
func (r *Runner) resolveEnv(ctx context.Context, ns string, vars []corev1.EnvVar) ([]string, error) {
	var out []string
	for _, v := range vars {
		switch {
		case v.ValueFrom == nil:
			out = append(out, v.Name+"="+v.Value)
		case v.ValueFrom.SecretKeyRef != nil:
			ref := v.ValueFrom.SecretKeyRef
			var s corev1.Secret
			if err := r.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, &s); err != nil {
				return nil, fmt.Errorf("secret %q not found", ref.Name)
			}
			val, ok := s.Data[ref.Key]
			if !ok {
				return nil, fmt.Errorf("couldn't find key %s in Secret %s/%s", ref.Key, ns, ref.Name)
			}
			out = append(out, v.Name+"="+string(val))
		}
	}
	return out, nil
}

func (r *Runner) setPodRunning(ctx context.Context, pod *corev1.Pod, at metav1.Time) {
	r.updatePod(ctx, client.ObjectKeyFromObject(pod), func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodRunning
		p.Status.StartTime = &at
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: p.Spec.Containers[0].Name, Image: p.Spec.Containers[0].Image, Ready: true, Started: ptr(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at}},
		}}
	})
}

func (r *Runner) setPodTerminated(ctx context.Context, pod *corev1.Pod, started metav1.Time, code int32, reason, message string) {
	r.updatePod(ctx, client.ObjectKeyFromObject(pod), func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodSucceeded
		if code != 0 {
			p.Status.Phase = corev1.PodFailed
		}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: p.Spec.Containers[0].Name, Image: p.Spec.Containers[0].Image, Started: ptr(false),
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: code, Reason: reason, Message: message, StartedAt: started, FinishedAt: metav1.Now(),
			}},
		}}
	})
}

func (r *Runner) updatePod(ctx context.Context, key types.NamespacedName, mutate func(*corev1.Pod)) {
	for range 10 {
		var p corev1.Pod
		if err := r.Client.Get(ctx, key, &p); err != nil {
			return
		}
		mutate(&p)
		err := r.Client.Status().Update(ctx, &p)
		if err == nil || !apierrors.IsConflict(err) {
			return
		}
	}
}

// finishJob sets the Job's terminal conditions as the Job controller does
// (backoffLimit 0: one failed pod fails the Job).
func (r *Runner) finishJob(ctx context.Context, key types.NamespacedName, ok, podDeleted bool) {
	for range 10 {
		var j batchv1.Job
		if err := r.Client.Get(ctx, key, &j); err != nil {
			return
		}
		now := metav1.Now()
		if j.Status.StartTime == nil {
			j.Status.StartTime = &now
		}
		j.Status.Active = 0
		if ok {
			j.Status.Succeeded = 1
			j.Status.CompletionTime = &now
			j.Status.Conditions = append(j.Status.Conditions,
				batchv1.JobCondition{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now, LastProbeTime: now},
				batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now, LastProbeTime: now})
		} else {
			j.Status.Failed = 1
			msg := "Job has reached the specified backoff limit"
			if podDeleted {
				msg += " (its pod was deleted)"
			}
			j.Status.Conditions = append(j.Status.Conditions,
				batchv1.JobCondition{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: msg, LastTransitionTime: now, LastProbeTime: now},
				batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: msg, LastTransitionTime: now, LastProbeTime: now})
		}
		err := r.Client.Status().Update(ctx, &j)
		if err == nil || !apierrors.IsConflict(err) {
			return
		}
	}
}

// checkPod notices a pod deleted while its process runs: the worker is
// lost, as when a node goes.
func (r *Runner) checkPod(ctx context.Context, rn *run) {
	select {
	case <-rn.done:
		return
	default:
	}
	if rn.pod.Name == "" {
		return
	}
	var p corev1.Pod
	err := r.Client.Get(ctx, rn.pod, &p)
	if apierrors.IsNotFound(err) || (err == nil && !p.DeletionTimestamp.IsZero()) {
		r.mu.Lock()
		rn.killed = true
		r.mu.Unlock()
		r.kill(rn)
	}
}

func (r *Runner) kill(rn *run) {
	r.mu.Lock()
	cmd := rn.cmd
	r.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func (r *Runner) killAll() {
	r.mu.Lock()
	var all []*run
	for _, j := range r.jobs {
		all = append(all, j)
	}
	r.mu.Unlock()
	for _, j := range all {
		r.kill(j)
		<-j.done
	}
}

func ptr[T any](v T) *T { return &v }
