package txn

import "errors"

// Outcomes a transaction reports as errors; check them with errors.Is.
var (
	// ErrConflict: a lock could not be taken in time. Nothing was decided;
	// the transaction may be retried (with a new txnid).
	ErrConflict = errors.New("lock conflict")
	// ErrAborted: the transaction was rolled back (e.g. fenced by cleanup,
	// or a write failed before the commit point). No leg was applied.
	ErrAborted = errors.New("transaction aborted")
	// ErrInDoubt: the transaction stopped before its outcome could be
	// confirmed; cleanup will drive it to all legs or none.
	ErrInDoubt = errors.New("transaction outcome in doubt")
	// ErrDuplicate: the txnid was used before (a retried or repeated run).
	// This run applied nothing; the earlier run's outcome stands (cleanup
	// finishes it if it is still pending). Use a new txnid for a new
	// transaction.
	ErrDuplicate = errors.New("transaction id already used")
	// ErrNoAccount: an account does not exist.
	ErrNoAccount = errors.New("account not found")
)
