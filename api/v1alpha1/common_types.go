package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WorkerSpec is what the pods of a resource's Jobs run on and with.
type WorkerSpec struct {
	// Image holds the mxn binary; defaults to the operator's --worker-image.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Image string `json:"image,omitempty"`

	// Resources of the worker container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// PodTemplate overrides where worker pods run.
	// +optional
	PodTemplate *PodOverrides `json:"podTemplate,omitempty"`
}

// PodOverrides are the parts of a worker pod a user may set. The default
// spreads a LoadTest's workers across zones and nodes.
type PodOverrides struct {
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`
	// +optional
	// +listType=atomic
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// TopologySpreadConstraints replace the default spread when set.
	// +optional
	// +listType=atomic
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`
	// ServiceAccountName runs the pods under that account (default: the
	// namespace's default, whose token is not mounted).
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// HostNetwork runs the pods in the node's network (clusters whose
	// Aerospike listens on the node's loopback, like the local cluster).
	// +optional
	HostNetwork bool `json:"hostNetwork,omitempty"`
}

// LockSpec tunes the record locks of the transactions.
type LockSpec struct {
	// TTL is how long a lock is held before others may take it over.
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s')",message="must be a duration above 0, such as 90s or 10m"
	TTL *metav1.Duration `json:"ttl,omitempty"`
	// Grace is added to the TTL before a lock is taken over.
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('0s')",message="must be a duration of 0 or more, such as 0s or 500ms"
	Grace *metav1.Duration `json:"grace,omitempty"`
	// Attempts to acquire a lock before giving up.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Attempts *int32 `json:"attempts,omitempty"`
}

// ConcurrencyPolicy says what a schedule does when a run is due while the
// previous one is still going, as a CronJob's does.
// +kubebuilder:validation:Enum=Allow;Forbid;Replace
type ConcurrencyPolicy string

const (
	AllowConcurrent   ConcurrencyPolicy = "Allow"
	ForbidConcurrent  ConcurrencyPolicy = "Forbid"
	ReplaceConcurrent ConcurrencyPolicy = "Replace"
)

// ScheduleSpec runs a resource on a cron schedule; without a schedule it
// runs once.
type ScheduleSpec struct {
	// Schedule in cron format ("*/5 * * * *", "@hourly"); absent: run once.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Schedule string `json:"schedule,omitempty"`

	// TimeZone of the schedule, an IANA name such as "Europe/Paris"
	// (default: the operator's local time zone, UTC in its image).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	TimeZone *string `json:"timeZone,omitempty"`

	// Suspend stops new runs; running ones go on.
	// +optional
	Suspend *bool `json:"suspend,omitempty"`

	// ConcurrencyPolicy: Allow, Forbid (default) or Replace.
	// +optional
	// +kubebuilder:default=Forbid
	ConcurrencyPolicy ConcurrencyPolicy `json:"concurrencyPolicy,omitempty"`

	// StartingDeadlineSeconds: a run that could not start within this long
	// of its scheduled time is skipped.
	// +optional
	// +kubebuilder:validation:Minimum=0
	StartingDeadlineSeconds *int64 `json:"startingDeadlineSeconds,omitempty"`

	// SuccessfulRunsHistoryLimit runs are kept (default 3).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	SuccessfulRunsHistoryLimit *int32 `json:"successfulRunsHistoryLimit,omitempty"`

	// FailedRunsHistoryLimit runs are kept (default 1).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	FailedRunsHistoryLimit *int32 `json:"failedRunsHistoryLimit,omitempty"`
}

// ShardSpec splits the 4096 partitions across Jobs.
type ShardSpec struct {
	// Shards is the number of Jobs of a run; each takes a range of the
	// 4096 partitions.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4096
	Shards int32 `json:"shards,omitempty"`

	// UKey limits the run to one account.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	UKey string `json:"ukey,omitempty"`
}

// RunPhase is where a run of a Reconciliation or Cleanup is.
// +kubebuilder:validation:Enum=Running;Succeeded;Failed
type RunPhase string

const (
	RunRunning   RunPhase = "Running"
	RunSucceeded RunPhase = "Succeeded"
	RunFailed    RunPhase = "Failed"
)

// RunRef is one run in a resource's history.
type RunRef struct {
	// Name of the run; its Jobs carry it in the label mxn.mxnlabs.io/run.
	Name string `json:"name"`
	// +optional
	ScheduledTime *metav1.Time `json:"scheduledTime,omitempty"`
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	Phase          RunPhase     `json:"phase"`
	// Message says why a run failed, or what it found.
	// +optional
	Message string `json:"message,omitempty"`
}

// Condition types.
const (
	ConditionReady       = "Ready"
	ConditionProgressing = "Progressing"
	ConditionDegraded    = "Degraded"
	ConditionVerified    = "Verified"
	ConditionDrifted     = "Drifted"
	// ConditionSpecChangePending: the spec changed while a run was going;
	// the change applies to the next run.
	ConditionSpecChangePending = "SpecChangePending"
)
