package controllers

import (
	"context"
	"fmt"
	"maps"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

// SummaryPath is where worker commands write their report: the container's
// termination message.
const SummaryPath = "/dev/termination-log"

// mxnPath is the mxn binary in the project image.
const mxnPath = "/mxn"

// jobRequest describes one Job running `mxn <args>`.
type jobRequest struct {
	Name      string
	Role      string
	Run       string
	Index     int
	Args      []string // the mxn command and its flags, without connection flags
	Aerospike *mxnv1.AerospikeSpec
	Worker    *mxnv1.WorkerSpec
	// Spread adds the default spread across zones and nodes (LoadTest
	// workers) unless the user gave their own constraints.
	Spread bool
	// Generation of the owner when the run started.
	Generation int64
}

// WorkerDefaults apply to worker pods whose resource does not say.
type WorkerDefaults struct {
	// Image holds /mxn.
	Image string
	// PullPolicy of the image (default IfNotPresent; Never for images
	// imported into the nodes, as in the local cluster).
	PullPolicy corev1.PullPolicy
	// HostNetwork runs every worker pod in its node's network (clusters
	// whose Aerospike listens on the nodes' loopback).
	HostNetwork bool
	// Env is added to every worker container.
	Env []corev1.EnvVar
}

// buildJob returns the Job for req, owned by owner. Pure: no API calls.
func buildJob(owner client.Object, scheme *runtime.Scheme, req jobRequest, defaults WorkerDefaults) (*batchv1.Job, error) {
	conn := connectionFor(req.Aerospike, owner.GetNamespace())
	labels := map[string]string{
		LabelManagedBy: managedBy,
		LabelOwnerUID:  string(owner.GetUID()),
		LabelRun:       req.Run,
		LabelRole:      req.Role,
		LabelIndex:     strconv.Itoa(req.Index),
	}
	image := defaults.Image
	if req.Worker != nil && req.Worker.Image != "" {
		image = req.Worker.Image
	}
	args := append([]string{}, req.Args...)
	args = append(args, conn.Args...)
	args = append(args, "--summary-file", SummaryPath, "--log-level", "wrn")

	container := corev1.Container{
		Name:                     "mxn",
		Image:                    image,
		ImagePullPolicy:          pullPolicy(defaults.PullPolicy),
		Command:                  []string{mxnPath},
		Args:                     args,
		Env:                      append(conn.Env, defaults.Env...),
		VolumeMounts:             conn.Mounts,
		TerminationMessagePath:   SummaryPath,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptrTo(false),
			ReadOnlyRootFilesystem:   ptrTo(true),
			RunAsNonRoot:             ptrTo(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	pod := corev1.PodSpec{
		RestartPolicy:                corev1.RestartPolicyNever,
		AutomountServiceAccountToken: ptrTo(false),
		Containers:                   []corev1.Container{container},
		Volumes:                      conn.Volumes,
		HostNetwork:                  defaults.HostNetwork,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptrTo(true),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
	if req.Worker != nil {
		pod.Containers[0].Resources = req.Worker.Resources
		if o := req.Worker.PodTemplate; o != nil {
			pod.NodeSelector = maps.Clone(o.NodeSelector)
			pod.Affinity = o.Affinity.DeepCopy()
			pod.Tolerations = append(pod.Tolerations, o.Tolerations...)
			pod.TopologySpreadConstraints = append(pod.TopologySpreadConstraints, o.TopologySpreadConstraints...)
			pod.ServiceAccountName = o.ServiceAccountName
			pod.HostNetwork = pod.HostNetwork || o.HostNetwork

		}
	}
	if pod.HostNetwork {
		pod.DNSPolicy = corev1.DNSClusterFirstWithHostNet
	}
	if req.Spread && len(pod.TopologySpreadConstraints) == 0 {
		pod.TopologySpreadConstraints = defaultSpread(map[string]string{LabelRun: req.Run, LabelRole: req.Role, LabelOwnerUID: string(owner.GetUID())})
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:        req.Name,
			Namespace:   owner.GetNamespace(),
			Labels:      labels,
			Annotations: map[string]string{AnnotationGeneration: strconv.FormatInt(req.Generation, 10)},
		},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptrTo(int32(0)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(labels)},
				Spec:       pod,
			},
		},
	}
	if err := controllerutil.SetControllerReference(owner, job, scheme); err != nil {
		return nil, fmt.Errorf("own job %s: %w", req.Name, err)
	}
	return job, nil
}

func pullPolicy(p corev1.PullPolicy) corev1.PullPolicy {
	if p == "" {
		return corev1.PullIfNotPresent
	}
	return p
}

// defaultSpread spreads a run's pods across zones, then nodes, as a
// preference: clusters without zone labels still schedule them.
func defaultSpread(selector map[string]string) []corev1.TopologySpreadConstraint {
	sel := &metav1.LabelSelector{MatchLabels: selector}
	return []corev1.TopologySpreadConstraint{
		{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel},
		{MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel.DeepCopy()},
	}
}

// createJobs creates the Jobs that do not exist yet. Names are
// deterministic, so a restarted operator finds its Jobs and creates none
// twice.
func createJobs(ctx context.Context, c client.Client, jobs []*batchv1.Job) (created int, err error) {
	for _, j := range jobs {
		if err := c.Create(ctx, j); err != nil {
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			return created, fmt.Errorf("create job %s: %w", j.Name, err)
		}
		created++
	}
	return created, nil
}

// ownedJobs lists the Jobs of an owner (optionally of one run).
func ownedJobs(ctx context.Context, c client.Client, owner client.Object, run string) ([]batchv1.Job, error) {
	sel := client.MatchingLabels{LabelOwnerUID: string(owner.GetUID())}
	if run != "" {
		sel[LabelRun] = run
	}
	var list batchv1.JobList
	if err := c.List(ctx, &list, client.InNamespace(owner.GetNamespace()), sel); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return list.Items, nil
}

// podsOf lists the pods of the given Jobs, by the job-name label.
func podsByJob(ctx context.Context, c client.Client, owner client.Object) (map[string][]corev1.Pod, error) {
	var list corev1.PodList
	if err := c.List(ctx, &list, client.InNamespace(owner.GetNamespace()), client.MatchingLabels{LabelOwnerUID: string(owner.GetUID())}); err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	byJob := map[string][]corev1.Pod{}
	for _, p := range list.Items {
		byJob[p.Labels[batchv1.JobNameLabel]] = append(byJob[p.Labels[batchv1.JobNameLabel]], p)
	}
	return byJob, nil
}

// deleteJobs deletes Jobs with their pods.
func deleteJobs(ctx context.Context, c client.Client, jobs []batchv1.Job) error {
	for i := range jobs {
		err := c.Delete(ctx, &jobs[i], client.PropagationPolicy(metav1.DeletePropagationBackground))
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete job %s: %w", jobs[i].Name, err)
		}
	}
	return nil
}
