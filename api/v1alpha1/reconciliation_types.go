package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReconciliationSpec checks, once or on a schedule, that every account's
// balance is the sum of its committed logs.
type ReconciliationSpec struct {
	Aerospike AerospikeSpec `json:"aerospike"`

	ScheduleSpec `json:",inline"`
	ShardSpec    `json:",inline"`

	// MaxDriftedReported bounds the sample of drifted accounts in status.
	// +optional
	// +kubebuilder:default=20
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MaxDriftedReported int32 `json:"maxDriftedReported,omitempty"`

	// Lock tunes the locks reconciliation takes on each account.
	// +optional
	Lock *LockSpec `json:"lock,omitempty"`

	WorkerSpec `json:",inline"`
}

// ReconcileRun is one run of a Reconciliation.
type ReconcileRun struct {
	RunRef          `json:",inline"`
	ReconcileResult `json:",inline"`
}

// ReconciliationStatus is the observed state of a Reconciliation.
type ReconciliationStatus struct {
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`
	// +optional
	NextScheduleTime *metav1.Time `json:"nextScheduleTime,omitempty"`
	// Active runs.
	// +optional
	// +listType=atomic
	Active []string `json:"active,omitempty"`
	// LastRun is the last finished run, with what it found.
	// +optional
	LastRun *ReconcileRun `json:"lastRun,omitempty"`
	// History lists the runs kept, newest first.
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

// Reconciliation checks that no money was lost or duplicated: each
// account's balance against its committed logs.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rcn,categories=mxn
// +kubebuilder:printcolumn:name="Schedule",type=string,JSONPath=`.spec.schedule`
// +kubebuilder:printcolumn:name="Checked",type=integer,JSONPath=`.status.lastRun.accountsChecked`
// +kubebuilder:printcolumn:name="Drifted",type=integer,JSONPath=`.status.lastRun.drifted`
// +kubebuilder:printcolumn:name="Drift",type=integer,JSONPath=`.status.lastRun.totalDrift`
// +kubebuilder:printcolumn:name="Last",type=string,JSONPath=`.status.lastRun.phase`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Reconciliation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ReconciliationSpec   `json:"spec"`
	Status ReconciliationStatus `json:"status,omitempty"`
}

// ReconciliationList is a list of Reconciliations.
// +kubebuilder:object:root=true
type ReconciliationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Reconciliation `json:"items"`
}

func init() {
	knownTypes = append(knownTypes, &Reconciliation{}, &ReconciliationList{})
}
