package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LoadTestPhase is where a LoadTest is.
// +kubebuilder:validation:Enum=Pending;Initializing;Starting;Running;Verifying;Succeeded;Failed
type LoadTestPhase string

const (
	LoadTestPending      LoadTestPhase = "Pending"
	LoadTestInitializing LoadTestPhase = "Initializing"
	LoadTestStarting     LoadTestPhase = "Starting"
	LoadTestRunning      LoadTestPhase = "Running"
	LoadTestVerifying    LoadTestPhase = "Verifying"
	LoadTestSucceeded    LoadTestPhase = "Succeeded"
	LoadTestFailed       LoadTestPhase = "Failed"
)

// LoadTestSpec describes a load test: workers running random transactions
// in parallel pods, then (with verify) cleanup until nothing is pending and
// a reconciliation whose verdict decides the outcome.
// +kubebuilder:validation:XValidation:rule="has(self.transactionsPerWorker) || has(self.duration)",message="one of transactionsPerWorker or duration is required"
// +kubebuilder:validation:XValidation:rule="!has(self.legs) || self.mode == 'transfer'",message="legs is only valid with mode transfer",fieldPath=".legs"
type LoadTestSpec struct {
	Aerospike AerospikeSpec `json:"aerospike"`

	// Workers is the number of parallel worker pods.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	Workers int32 `json:"workers,omitempty"`

	// Records: the accounts usr0..usr<records-1>.
	// +optional
	// +kubebuilder:default=1000
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000000
	Records int64 `json:"records,omitempty"`

	// Init truncates the account and log sets, creates the accounts and the
	// log index before the run.
	// +optional
	Init bool `json:"init,omitempty"`

	// TransactionsPerWorker each worker runs (bounded by duration when both
	// are set).
	// +optional
	// +kubebuilder:validation:Minimum=1
	TransactionsPerWorker *int64 `json:"transactionsPerWorker,omitempty"`

	// Duration of the run (a Go duration: 90s, 10m, 1h30m).
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s')",message="must be a duration above 0, such as 90s or 10m"
	Duration *metav1.Duration `json:"duration,omitempty"`

	// Rate limits each worker to this many transactions started per second
	// (0: unlimited).
	// +optional
	// +kubebuilder:validation:Minimum=0
	Rate int32 `json:"rate,omitempty"`

	// Concurrency is the number of transactions in flight per worker.
	// +optional
	// +kubebuilder:default=8
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1024
	Concurrency int32 `json:"concurrency,omitempty"`

	// Mode: single (one account per transaction) or transfer (legs accounts
	// whose amounts sum to zero).
	// +optional
	// +kubebuilder:default=single
	// +kubebuilder:validation:Enum=single;transfer
	Mode string `json:"mode,omitempty"`

	// Legs per transfer (mode transfer; default 2).
	// +optional
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=16
	Legs *int32 `json:"legs,omitempty"`

	// Zipf skews the choice of accounts towards hot ones: a decimal
	// exponent above 1, or 0 for uniform.
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9]{1,3}(\.[0-9]{1,6})?$`
	// +kubebuilder:validation:XValidation:rule="double(self) == 0.0 || double(self) > 1.0",message="zipf must be 0 (uniform) or above 1"
	Zipf string `json:"zipf,omitempty"`

	// FailurePercent injects client failures before and after calls, in
	// tenths of a percent (50 = 5%).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	FailurePercent int32 `json:"failurePercent,omitempty"`

	// Lock tunes the record locks.
	// +optional
	Lock *LockSpec `json:"lock,omitempty"`

	// Verify: after the workers end, clean up until nothing is pending,
	// then reconcile; the verdict decides Succeeded or Failed.
	// +optional
	// +kubebuilder:default=true
	Verify *bool `json:"verify,omitempty"`

	// Seed of the workers' random choices (worker i uses seed+i).
	// +optional
	Seed int64 `json:"seed,omitempty"`

	WorkerSpec `json:",inline"`

	// TTLSecondsAfterFinished deletes the LoadTest this long after it ended.
	// +optional
	// +kubebuilder:validation:Minimum=0
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`

	// RunID names the run; changing it on a finished LoadTest runs it again.
	// +optional
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`
	RunID string `json:"runID,omitempty"`
}

// WorkerCounts counts worker pods by state.
type WorkerCounts struct {
	// +optional
	Active int32 `json:"active,omitempty"`
	// +optional
	Succeeded int32 `json:"succeeded,omitempty"`
	// +optional
	Failed int32 `json:"failed,omitempty"`
}

// Progress is the live view of a running LoadTest, from the workers'
// flushed summaries.
type Progress struct {
	Committed          int64 `json:"committed"`
	CommittedPerSecond int64 `json:"committedPerSecond"`
	// +optional
	UpdateTime *metav1.Time `json:"updateTime,omitempty"`
}

// LoadTestResults are the exact counters of a finished run, summed over the
// workers' summaries.
type LoadTestResults struct {
	Attempted          int64 `json:"attempted"`
	Committed          int64 `json:"committed"`
	CommittedUnapplied int64 `json:"committedUnapplied"`
	Aborted            int64 `json:"aborted"`
	Conflicts          int64 `json:"conflicts"`
	InDoubt            int64 `json:"inDoubt"`
	Duplicates         int64 `json:"duplicates"`
	NoAccount          int64 `json:"noAccount"`
	Errors             int64 `json:"errors"`
	Retries            int64 `json:"retries"`
	AmountCommitted    int64 `json:"amountCommitted"`
	FaultsBefore       int64 `json:"faultsBefore"`
	FaultsAfter        int64 `json:"faultsAfter"`
	// CommittedPerSecond from the common start to the last worker's end.
	CommittedPerSecond int64 `json:"committedPerSecond"`
	// ElapsedSeconds from the common start to the last worker's end.
	ElapsedSeconds int64 `json:"elapsedSeconds"`
	// Latency percentiles from the merged histogram buckets.
	Latency LatencySummary `json:"latency"`
	Lock    LockCounters   `json:"lock"`
	// Partial: some workers died; their last flushed progress is counted.
	// +optional
	Partial bool `json:"partial,omitempty"`
}

// LatencySummary holds percentiles of the transaction latency.
type LatencySummary struct {
	P50 metav1.Duration `json:"p50"`
	P95 metav1.Duration `json:"p95"`
	P99 metav1.Duration `json:"p99"`
	Max metav1.Duration `json:"max"`
}

// LockCounters are the lock statistics summed over the workers.
type LockCounters struct {
	Attempted int64 `json:"attempted"`
	Acquired  int64 `json:"acquired"`
	TimedOut  int64 `json:"timedOut"`
	Stolen    int64 `json:"stolen"`
	Broken    int64 `json:"broken"`
	Released  int64 `json:"released"`
	Retries   int64 `json:"retries"`
}

// Verification is what cleanup and reconcile found after the workers ended.
type Verification struct {
	Cleanup   CleanupResult   `json:"cleanup"`
	Reconcile ReconcileResult `json:"reconcile"`
	// Verdict is the reconcile's one-line verdict.
	Verdict string `json:"verdict"`
	// Passed: every account balanced and the total conserved.
	Passed bool `json:"passed"`
}

// LoadTestStatus is the observed state of a LoadTest.
type LoadTestStatus struct {
	// +optional
	Phase LoadTestPhase `json:"phase,omitempty"`
	// RunID of the run this status describes.
	// +optional
	RunID string `json:"runID,omitempty"`
	// +optional
	Workers WorkerCounts `json:"workers,omitempty"`
	// +optional
	Progress *Progress `json:"progress,omitempty"`
	// +optional
	Results *LoadTestResults `json:"results,omitempty"`
	// +optional
	Verification *Verification `json:"verification,omitempty"`
	// StartTime: the common start, when every worker was ready.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// Message says what the LoadTest is doing or why it failed.
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// LoadTest runs random transactions from parallel worker pods against an
// Aerospike cluster and verifies that no money was lost or duplicated.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=lt,categories=mxn
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Workers",type=integer,JSONPath=`.spec.workers`
// +kubebuilder:printcolumn:name="Committed",type=integer,JSONPath=`.status.results.committed`
// +kubebuilder:printcolumn:name="Committed/s",type=integer,JSONPath=`.status.results.committedPerSecond`
// +kubebuilder:printcolumn:name="Drift",type=integer,JSONPath=`.status.verification.reconcile.totalDrift`
// +kubebuilder:printcolumn:name="Verdict",type=string,JSONPath=`.status.verification.verdict`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.status) || !has(oldSelf.status.phase) || !(oldSelf.status.phase in ['Initializing','Starting','Running','Verifying']) || (has(self.spec.runID) == has(oldSelf.spec.runID) && (!has(self.spec.runID) || self.spec.runID == oldSelf.spec.runID) && self.spec.workers == oldSelf.spec.workers)",message="spec.runID and spec.workers cannot change while the LoadTest is running"
type LoadTest struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   LoadTestSpec   `json:"spec"`
	Status LoadTestStatus `json:"status,omitempty"`
}

// LoadTestList is a list of LoadTests.
// +kubebuilder:object:root=true
type LoadTestList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []LoadTest `json:"items"`
}

func init() {
	knownTypes = append(knownTypes, &LoadTest{}, &LoadTestList{})
}
