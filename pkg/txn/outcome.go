package txn

import (
	"errors"
	"fmt"
)

// Outcome is how a transaction run ended, as the workload, the CLI and the
// operator's metrics report it.
type Outcome string

// Outcomes of Run.
const (
	// OutcomeCommitted: committed, every leg applied by this run.
	OutcomeCommitted Outcome = "committed"
	// OutcomeCommittedUnapplied: committed; some legs could not be applied
	// here and stay pending for cleanup to roll forward.
	OutcomeCommittedUnapplied Outcome = "committed-unapplied"
	// OutcomeAborted: rolled back; nothing was or will be applied.
	OutcomeAborted Outcome = "aborted"
	// OutcomeConflict: a lock could not be taken in time; nothing applied.
	OutcomeConflict Outcome = "conflict"
	// OutcomeDuplicate: the txnid was already used by another run; this
	// run applied nothing and the other run's outcome stands.
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeInDoubt: stopped before the outcome was known; cleanup drives
	// it to all legs or none. Rerunning with the same txnid is safe.
	OutcomeInDoubt Outcome = "in-doubt"
	// OutcomeNoAccount: an account does not exist; nothing applied.
	OutcomeNoAccount Outcome = "no-account"
)

// IsCommitted reports a committed outcome (applied or left to cleanup).
func (o Outcome) IsCommitted() bool {
	return o == OutcomeCommitted || o == OutcomeCommittedUnapplied
}

// Final reports whether the outcome is known: everything but in-doubt.
func (o Outcome) Final() bool { return o != OutcomeInDoubt && o != "" }

// sentinel is the error errors.Is matches for the outcome.
func (o Outcome) sentinel() error {
	switch o {
	case OutcomeAborted:
		return ErrAborted
	case OutcomeConflict:
		return ErrConflict
	case OutcomeDuplicate:
		return ErrDuplicate
	case OutcomeInDoubt:
		return ErrInDoubt
	case OutcomeNoAccount:
		return ErrNoAccount
	}
	return nil
}

// Error is the error of a run that did not commit: which transaction,
// how it ended, at which step, and the underlying cause (an Aerospike
// error, a lock error, ...), kept for errors.Is and errors.As.
type Error struct {
	TxnID   string
	Outcome Outcome
	Step    string
	Cause   error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("transaction %s: %s", e.TxnID, e.Outcome)
	if s := e.Outcome.sentinel(); s != nil {
		msg = fmt.Sprintf("transaction %s: %v", e.TxnID, s)
	}
	if e.Step != "" {
		msg += " at " + e.Step
	}
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is matches the sentinel of the outcome (ErrAborted, ErrInDoubt, ...).
func (e *Error) Is(target error) bool {
	s := e.Outcome.sentinel()
	return s != nil && target == s
}

// OutcomeOf returns the outcome an error of Run stands for (committed for
// nil).
func OutcomeOf(err error) Outcome {
	var te *Error
	switch {
	case err == nil:
		return OutcomeCommitted
	case errors.As(err, &te):
		return te.Outcome
	case errors.Is(err, ErrConflict):
		return OutcomeConflict
	case errors.Is(err, ErrDuplicate):
		return OutcomeDuplicate
	case errors.Is(err, ErrNoAccount):
		return OutcomeNoAccount
	case errors.Is(err, ErrInDoubt):
		return OutcomeInDoubt
	}
	return OutcomeAborted
}
