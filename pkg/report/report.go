// Package report is the contract between mxn's worker commands and the
// operator: each worker command (rtxns, init, cln, rcn, verify) ends by
// writing one Report as compact JSON to --summary-file, which in a pod is
// /dev/termination-log, so the report comes back as the container's
// termination message. Kubernetes keeps at most 4096 bytes of it: Encode
// drops the per-account detail and trims the drifted sample until the report
// fits, and says so.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/mxnlabs/mxn/pkg/workload"
)

// MaxBytes is the size of a termination message Kubernetes keeps.
const MaxBytes = 4096

// Version of the report format; Decode refuses others.
const Version = 1

// Kinds of report, one per worker command.
const (
	KindWorkload  = "rtxns"
	KindInit      = "init"
	KindCleanup   = "cln"
	KindReconcile = "rcn"
	KindVerify    = "verify"
)

// Report is what one worker command reports.
type Report struct {
	V    int    `json:"v"`
	Kind string `json:"kind"`
	// StartUnixMs and EndUnixMs bound the command's work (for rtxns: from
	// the common start the barrier released to the last transaction).
	StartUnixMs int64 `json:"start_ms,omitempty"`
	EndUnixMs   int64 `json:"end_ms,omitempty"`

	Workload  *workload.Summary `json:"workload,omitempty"`
	Init      *Init             `json:"init,omitempty"`
	Cleanup   *Cleanup          `json:"cleanup,omitempty"`
	Reconcile *Reconcile        `json:"reconcile,omitempty"`

	// Error is why the command failed, if it did (one line, no secrets).
	Error string `json:"error,omitempty"`
}

// Init reports the set-up of a load test's dataset.
type Init struct {
	Accounts int64 `json:"accounts"`
}

// Cleanup is a cleanup's counts, summed over its rounds.
type Cleanup struct {
	Rounds        int   `json:"rounds"`
	Accounts      int64 `json:"accounts"`
	RolledForward int64 `json:"rolled_forward"`
	RolledBack    int64 `json:"rolled_back"`
	Undecided     int64 `json:"undecided"`
	Busy          int64 `json:"busy"`
	StaleLocks    int64 `json:"stale_locks"`
	Amount        int64 `json:"amount_rolled_forward"`
	LogsFinalized int64 `json:"logs_finalized"`
	LogsPending   int64 `json:"logs_pending"`
	Errors        int64 `json:"errors"`
	DryRun        bool  `json:"dry_run,omitempty"`
	// Clean: the last round left nothing pending, busy or undecided.
	Clean bool `json:"clean"`
}

// Reconcile is a reconciliation's counts with a bounded sample of the
// drifted accounts.
type Reconcile struct {
	Checked      int64  `json:"checked"`
	Balanced     int64  `json:"balanced"`
	Drifted      int64  `json:"drifted"`
	LockFailed   int64  `json:"lock_failed"`
	TotalDrift   int64  `json:"total_drift"`
	TotalBalance int64  `json:"total_bal"`
	TotalLogged  int64  `json:"total_log_amt"`
	TotalPending int64  `json:"total_pend_amt"`
	NonFinalLogs int64  `json:"non_final_logs"`
	Verdict      string `json:"verdict"`
	// Sample of the drifted accounts, at most the --max-drifted asked for
	// and fewer when the report would not fit in MaxBytes; SampleTruncated
	// says some were left out.
	Sample          []DriftedAccount `json:"sample,omitempty"`
	SampleTruncated bool             `json:"sample_truncated,omitempty"`
}

// DriftedAccount is one account whose balance is not its committed logs.
type DriftedAccount struct {
	UKey    string `json:"ukey"`
	Balance int64  `json:"bal"`
	Logged  int64  `json:"log_amt"`
	Pending int64  `json:"pend_amt"`
	Drift   int64  `json:"drift"`
}

// Conserved reports that the balances sum to the committed log amounts.
func (r *Reconcile) Conserved() bool { return r.TotalBalance == r.TotalLogged }

// OK reports a clean reconciliation.
func (r *Reconcile) OK() bool { return r.Drifted == 0 && r.LockFailed == 0 && r.Conserved() }

// ErrTooBig: even without its sample the report exceeds MaxBytes.
var ErrTooBig = errors.New("report does not fit in a termination message")

// Encode returns the report as compact JSON of at most MaxBytes, dropping
// drifted accounts from the end of the sample as needed.
func (r *Report) Encode() ([]byte, error) {
	r.V = Version
	for {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode report: %w", err)
		}
		if len(b) <= MaxBytes {
			return b, nil
		}
		if r.Reconcile == nil || len(r.Reconcile.Sample) == 0 {
			return nil, fmt.Errorf("%w: %d bytes", ErrTooBig, len(b))
		}
		// Drop about enough in one go, by the sample's average entry size
		// (dropping by a smaller guessed size would drop too many).
		sb, _ := json.Marshal(r.Reconcile.Sample)
		per := max(1, len(sb)/len(r.Reconcile.Sample))
		drop := max(1, (len(b)-MaxBytes+per-1)/per)
		r.Reconcile.Sample = r.Reconcile.Sample[:max(0, len(r.Reconcile.Sample)-drop)]
		r.Reconcile.SampleTruncated = true
	}
}

// Decode parses a report written by Encode.
func Decode(b []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	if r.V != Version {
		return nil, fmt.Errorf("decode report: version %d, want %d", r.V, Version)
	}
	if r.Kind == "" {
		return nil, errors.New("decode report: no kind")
	}
	return &r, nil
}

// WriteFile encodes the report into path (a pod's /dev/termination-log).
func WriteFile(path string, r *Report) error {
	b, err := r.Encode()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
