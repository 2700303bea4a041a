package lock

import (
	"errors"
	"slices"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

// Errors returned by the locker; check them with errors.Is.
var (
	// ErrNoRecord: the record to lock does not exist.
	ErrNoRecord = errors.New("record not found")
	// ErrHeld: another transaction kept the lock through every attempt.
	ErrHeld = errors.New("lock held by another transaction")
	// ErrWaitTooLong: the lock will not expire within the caller's budget.
	ErrWaitTooLong = errors.New("wait for lock would exceed budget")
	// ErrLockLost: the record changed since the lock was taken (stolen or
	// broken): the generation-checked release did not apply.
	ErrLockLost = errors.New("lock lost")
	// ErrNotExpired: break without force on a lock that has not expired.
	ErrNotExpired = errors.New("lock has not expired")
	// ErrNotLocked: break or clear found no lock.
	ErrNotLocked = errors.New("record is not locked")
	// ErrAcquireInDoubt: an acquire's reply was lost and the record shows
	// no trace of it. It is not retried under the same txnid: the lost
	// request may still land later, after a retry has finished, and leave
	// a lock and a pending entry behind. Start over with a new txnid;
	// cleanup rolls back whatever lands late.
	ErrAcquireInDoubt = errors.New("acquire in doubt")
	// ErrReleaseUnknown: a release without a pending entry was in doubt and
	// the lock is gone: whether it applied cannot be read off the record.
	// It can no longer apply (fenced). Callers judge by what their own
	// operations changed, or redo the work.
	ErrReleaseUnknown = errors.New("release outcome unknown")
	// ErrAlreadyPending: the entry "<ukey>:<txnid>" is already in ptxns,
	// left by another acquire of the same txnid; nothing was applied.
	ErrAlreadyPending = errors.New("entry already pending")
)

// HasCode reports whether the command that failed with err ended with one
// of the result codes. Only the command's own code counts: the client
// chains the errors of its earlier internal attempts (e.g. a connection
// it could not open) behind it, and those say nothing about the outcome.
func HasCode(err error, codes ...types.ResultCode) bool {
	var ae *as.AerospikeError
	if errors.As(err, &ae) {
		return slices.Contains(codes, ae.ResultCode)
	}
	return false
}

// IsBusy reports a KEY_BUSY refusal: nothing was applied, retrying is safe.
func IsBusy(err error) bool { return HasCode(err, types.KEY_BUSY) }

// IsInDoubt reports an error after which a write may or may not have been
// applied (timeouts, dropped connections): resolve it by reading state,
// never by blindly writing again.
func IsInDoubt(err error) bool {
	var ae as.Error
	if errors.As(err, &ae) {
		return ae.IsInDoubt()
	}
	return false
}

// MayHaveBeenSent reports whether a failed call may have reached a server:
// some link of the error's chain is in doubt or a timeout. The client
// returns one error for a batch that spans several nodes and chains the
// other nodes' errors (and earlier attempts) behind it, so the outermost
// error alone may say "not sent" for a batch of which a part was sent.
func MayHaveBeenSent(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ae, ok := e.(as.Error); ok && (ae.IsInDoubt() || ae.Matches(types.TIMEOUT)) {
			return true
		}
	}
	return false
}

// IsTransient reports errors after which a read may simply be retried.
func IsTransient(err error) bool {
	return IsBusy(err) || HasCode(err, types.TIMEOUT, types.NETWORK_ERROR, types.NO_RESPONSE,
		types.SERVER_NOT_AVAILABLE, types.MAX_RETRIES_EXCEEDED, types.INVALID_NODE_ERROR, types.NO_AVAILABLE_CONNECTIONS_TO_NODE) || IsInDoubt(err)
}
