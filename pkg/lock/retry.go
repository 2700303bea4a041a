package lock

import (
	"context"
	"errors"
	"fmt"

	"github.com/aerospike/aerospike-client-go/v7/types"
)

// Class is what an error of one client call means for the caller: the one
// classification every retry loop of pkg/lock and pkg/txn uses.
type Class int

// Error classes.
const (
	// OK: no error.
	OK Class = iota
	// NotSent: the call failed before it reached the server (or was
	// refused before anything was applied, other than KEY_BUSY): nothing
	// was applied; retrying is safe.
	NotSent
	// Busy: KEY_BUSY, too many commands queued on the record; nothing was
	// applied; retry after a pause.
	Busy
	// InDoubt: the call was sent and its reply lost: a write may have
	// applied, or may still apply. Settle it by reading, never by writing
	// blindly.
	InDoubt
	// Conflict: the server refused a conditional write (generation,
	// filter expression, create-only, element exists): someone else moved
	// first. Look again.
	Conflict
	// Fatal: anything else; retrying will not help.
	Fatal
)

func (c Class) String() string {
	return [...]string{"ok", "not-sent", "busy", "in-doubt", "conflict", "fatal"}[c]
}

// Classify returns the class of an error of one client call.
func Classify(err error) Class {
	switch {
	case err == nil:
		return OK
	case IsInDoubt(err):
		return InDoubt
	case IsBusy(err):
		return Busy
	case HasCode(err, types.GENERATION_ERROR, types.FILTERED_OUT, types.KEY_EXISTS_ERROR,
		types.BIN_EXISTS_ERROR, types.FAIL_ELEMENT_EXISTS):
		return Conflict
	case IsTransient(err):
		return NotSent
	}
	return Fatal
}

// Retryable reports a class worth trying again after a pause (the caller
// settles InDoubt by reading first).
func (c Class) Retryable() bool { return c == NotSent || c == Busy || c == InDoubt }

// ErrBudget is returned (wrapped, with the last cause) when a Backoffer's
// tries are used up.
var ErrBudget = errors.New("retry budget exhausted")

// Backoffer paces the retries of one protocol step: jittered exponential
// delays on the injected clock, and a budget of tries (as tikv's
// Backoffer). Not safe for concurrent use; make one per step.
type Backoffer struct {
	step    string
	clock   Clock
	backoff *Backoff
	budget  int
	tries   int
}

// NewBackoffer returns a Backoffer for step allowing budget retries.
func NewBackoffer(step string, clock Clock, b *Backoff, budget int) *Backoffer {
	return &Backoffer{step: step, clock: clock, backoff: b, budget: budget}
}

// Tries is the number of pauses taken so far.
func (b *Backoffer) Tries() int { return b.tries }

// Backoff pauses before the next try because of cause. It returns an error
// wrapping ErrBudget and cause when the budget is used up, or the
// context's error.
func (b *Backoffer) Backoff(ctx context.Context, cause error) error {
	if b.tries >= b.budget {
		return fmt.Errorf("%s: %w after %d tries: %w", b.step, ErrBudget, b.tries+1, cause)
	}
	d := b.backoff.Delay(b.tries)
	b.tries++
	return b.clock.Sleep(ctx, d)
}

// SetBudget changes the number of retries allowed.
func (b *Backoffer) SetBudget(n int) { b.budget = n }
