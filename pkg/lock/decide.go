package lock

import "time"

// Held describes a lock found on a record when acquiring failed.
type Held struct {
	Holder   string    // lck.txnid; "" when the lock has vanished meanwhile
	Owner    string    // lck.owner: the nonce of the Acquire call that took it
	Deadline time.Time // lckto
}

// Action is what an acquirer does next.
type Action int

// Actions decided by Decide.
const (
	// Retry at once: the lock vanished between the failed put and the read.
	Retry Action = iota
	// Reenter: the caller already holds the lock.
	Reenter
	// Steal: the lock expired more than the grace period ago.
	Steal
	// Wait, then try again.
	Wait
	// GiveUp: the lock will not expire within the caller's budget.
	GiveUp
)

func (a Action) String() string {
	return [...]string{"retry", "reenter", "steal", "wait", "give-up"}[a]
}

// Decide is the pure core of acquiring: given the lock found on the record,
// the caller's txnid, the time, the grace period and how long the caller
// may still wait, it returns the next action and, for Wait, for how long.
func Decide(h Held, txnid string, now time.Time, grace, budget time.Duration) (Action, time.Duration) {
	if h.Holder == "" {
		return Retry, 0
	}
	if h.Holder == txnid {
		return Reenter, 0
	}
	wait := h.Deadline.Add(grace).Sub(now)
	if wait <= 0 {
		return Steal, 0
	}
	if wait > budget {
		return GiveUp, wait
	}
	return Wait, wait
}
