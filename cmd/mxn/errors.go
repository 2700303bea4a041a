package main

import (
	"errors"
	"fmt"
	"strings"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

// usageError marks errors in how mxn was invoked: bad flag values,
// malformed JSON arguments, a bad environment. run exits 2 for them and
// points at --help; nothing was done to the database.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func isUsageError(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// codedError is a failure with an exit code of its own (see the exit codes
// in root.go) and, optionally, lines of advice that run prints after the
// one-line error: how to settle an in-doubt transaction, say.
type codedError struct {
	code int
	err  error
	hint []string
}

func (e codedError) Error() string { return e.err.Error() }
func (e codedError) Unwrap() error { return e.err }

// exitCodeOf returns the exit code and advice err carries, if any.
func exitCodeOf(err error) (code int, hint []string, ok bool) {
	var c codedError
	if errors.As(err, &c) {
		return c.code, c.hint, true
	}
	return 0, nil, false
}

// clientError shortens an Aerospike client error to one readable line,
// "Key not found (KEY_NOT_FOUND_ERROR)", while keeping the original in the
// chain so errors.Is/As and as.Error.Matches still work on it.
type clientError struct{ err as.Error }

func (e clientError) Error() string { return describeClientError(e.err) }
func (e clientError) Unwrap() error { return e.err }

// asErr wraps a client error for display; nil stays nil (beware: a nil
// as.Error must not become a non-nil error interface).
func asErr(err as.Error) error {
	if err == nil {
		return nil
	}
	return clientError{err}
}

// describeClientError renders "<message> (<CODE>[, in doubt])[: <cause>]".
// The client's own Error() spans lines and repeats iteration and node
// details that only matter when debugging the client itself.
func describeClientError(err as.Error) string {
	var ae *as.AerospikeError
	if !errors.As(err, &ae) {
		return oneLine(err)
	}
	var b strings.Builder
	b.WriteString(clientMessage(ae))
	b.WriteString(" (")
	b.WriteString(ae.ResultCode.String())
	if ae.InDoubt {
		b.WriteString(", in doubt")
	}
	b.WriteString(")")
	if cause := rootCause(err); cause != nil {
		b.WriteString(": ")
		b.WriteString(oneLine(cause))
	}
	return b.String()
}

// clientMessage extracts the message part of an AerospikeError, whose
// Error() is "ResultCode: X, Iteration: N, InDoubt: B, Node: <node>: msg".
// The message field is unexported, hence the parsing.
func clientMessage(ae *as.AerospikeError) string {
	first, _, _ := strings.Cut(ae.Error(), "\n")
	if i := strings.Index(first, "Node: "); i >= 0 {
		if _, msg, ok := strings.Cut(first[i+len("Node: "):], ": "); ok {
			return msg
		}
	}
	return types.ResultCodeToString(ae.ResultCode)
}

// rootCause is the innermost error under err that is not an Aerospike
// error (a network or syscall error, say), or nil.
func rootCause(err error) error {
	var cause error
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		if _, isAS := e.(*as.AerospikeError); !isAS {
			cause = e
			break
		}
	}
	return cause
}

// oneLine flattens a possibly multi-line error message.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
