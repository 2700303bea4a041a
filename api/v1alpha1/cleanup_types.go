package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CleanupSpec finishes transactions that failed mid-way: rolls forward
// those that committed, back those that did not, once or on a schedule.
type CleanupSpec struct {
	Aerospike AerospikeSpec `json:"aerospike"`

	// MinAge leaves pending transactions younger than this alone
	// (default 1s); a run whose logs stay pending for 20 lock lifetimes is
	// presumed dead and aborted.
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('0s')",message="must be a duration of 0 or more, such as 0s or 500ms"
	MinAge *metav1.Duration `json:"minAge,omitempty"`

	// DryRun reports what cleanup would do and changes nothing.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`

	ScheduleSpec `json:",inline"`
	ShardSpec    `json:",inline"`

	// Lock tunes the locks cleanup takes on each account.
	// +optional
	Lock *LockSpec `json:"lock,omitempty"`

	WorkerSpec `json:",inline"`
}

// CleanupRun is one run of a Cleanup.
type CleanupRun struct {
	RunRef        `json:",inline"`
	CleanupResult `json:",inline"`
	// DryRun: nothing was changed; the counts say what would have been.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
}

// CleanupStatus is the observed state of a Cleanup.
type CleanupStatus struct {
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`
	// +optional
	NextScheduleTime *metav1.Time `json:"nextScheduleTime,omitempty"`
	// +optional
	// +listType=atomic
	Active []string `json:"active,omitempty"`
	// +optional
	LastRun *CleanupRun `json:"lastRun,omitempty"`
	// +optional
	// +listType=atomic
	History []RunRef `json:"history,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// Cleanup finishes failed pending transactions.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cln,categories=mxn
// +kubebuilder:printcolumn:name="Schedule",type=string,JSONPath=`.spec.schedule`
// +kubebuilder:printcolumn:name="Forward",type=integer,JSONPath=`.status.lastRun.rolledForward`
// +kubebuilder:printcolumn:name="Back",type=integer,JSONPath=`.status.lastRun.rolledBack`
// +kubebuilder:printcolumn:name="Last",type=string,JSONPath=`.status.lastRun.phase`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Cleanup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   CleanupSpec   `json:"spec"`
	Status CleanupStatus `json:"status,omitempty"`
}

// CleanupList is a list of Cleanups.
// +kubebuilder:object:root=true
type CleanupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Cleanup `json:"items"`
}

func init() {
	knownTypes = append(knownTypes, &Cleanup{}, &CleanupList{})
}
