package groupcommit

import (
	"errors"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// ErrClosed is matched (errors.Is) by the error of a call made after Close,
// or queued and not yet sent when Close was called. Nothing was sent: its
// result code is NETWORK_ERROR, not in doubt (lock.Classify: NotSent).
var ErrClosed = errors.New("groupcommit: client closed; the call was not sent")

// ErrExpired is matched (errors.Is) by the error of a call whose
// TotalTimeout passed while it waited in the queue. Nothing was sent: its
// result code is TIMEOUT, not in doubt (lock.Classify: NotSent).
var ErrExpired = errors.New("groupcommit: the call's timeout passed while it was queued; it was not sent")

// notSent is an as.Error for a call that was never sent: the embedded
// AerospikeError carries the result code for lock.Classify and errors.As,
// cause says why.
type notSent struct {
	*as.AerospikeError
	cause error
}

func (e *notSent) Error() string { return e.cause.Error() }

// Unwrap gives errors.As the AerospikeError (lock.HasCode looks for it).
func (e *notSent) Unwrap() error { return e.AerospikeError }

// Is matches the cause (ErrClosed, ErrExpired); the AerospikeError is
// matched through Unwrap.
func (e *notSent) Is(target error) bool { return target == e.cause }

func closedErr() as.Error {
	return &notSent{AerospikeError: &as.AerospikeError{ResultCode: types.NETWORK_ERROR}, cause: ErrClosed}
}

func expiredErr() as.Error {
	return &notSent{AerospikeError: &as.AerospikeError{ResultCode: types.TIMEOUT}, cause: ErrExpired}
}

// withDoubt returns a copy of err (the client's own error, message and
// node kept) whose InDoubt is inDoubt. Each caller gets its own copy.
func withDoubt(err as.Error, inDoubt bool) as.Error {
	var ae *as.AerospikeError
	if errors.As(err, &ae) {
		cp := *ae
		cp.InDoubt = inDoubt
		return &cp
	}
	return err
}

// codeOf is the result code of the command that failed with err (the
// outermost AerospikeError; the client chains earlier attempts behind it).
func codeOf(err error) types.ResultCode {
	var ae *as.AerospikeError
	if errors.As(err, &ae) {
		return ae.ResultCode
	}
	return types.COMMON_ERROR
}

// maySent reports whether a failed batch command may have reached the
// server, so that its writes may have been applied: the client marks such
// an error in doubt (setInDoubt: sent, and a timeout or network error or a
// retry); a timeout counts even when the client did not mark it (it marks
// only what it takes for a write command, and takes a batch for a read
// when its last record is one, batch_command_operate.go isRead).
//
// Every link of the error's chain counts (lock.MayHaveBeenSent): for a
// batch spanning several nodes the client returns the last node's error
// and chains the others' behind it, so another node's part may have been
// sent (and applied, its reply lost) although the outermost error says it
// was not.
func maySent(err as.Error) bool {
	return lock.MayHaveBeenSent(err)
}

// answered reports a record the batch settled on its own: the server's
// answer for it, or a client refusal before sending it (e.g. an unknown
// namespace). NO_RESPONSE (never answered), TIMEOUT (the server's or the
// client's: in doubt for a write, as for a single write) and the client's
// negative codes (network) are not.
func answered(br *as.BatchRecord) bool {
	rc := br.ResultCode
	return rc >= 0 && rc != types.TIMEOUT
}
