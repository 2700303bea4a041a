package txn

import "time"

// This file holds the protocol's decisions as pure functions of the
// records read (docs/protocol.md §8, §9): the I/O around them reads, calls
// one of these, and writes what it says. Cleanup, reconciliation, the
// simulation's oracle and a dry run all share them.

// Decision is the outcome of a transaction run as far as one log is
// concerned.
type Decision int

// Decisions.
const (
	// Undecided: the run may still commit.
	Undecided Decision = iota
	Committed
	Aborted
)

func (d Decision) String() string { return [...]string{"undecided", "committed", "aborted"}[d] }

// status is the log status recording the decision.
func (d Decision) status() Status {
	switch d {
	case Committed:
		return StatusCommitted
	case Aborted:
		return StatusAborted
	}
	return StatusPending
}

// Fate decides the run that wrote log l from l and its primary log p (p is
// l itself for a primary; nil when the primary does not exist). A log is
// decided by its own final status; a pending one by its primary, but only
// when the primary was written by the same run: a primary of another run
// of the txnid (or a tombstone) means this run never created its commit
// point, and it never will (logs are create-only and never deleted).
func Fate(l, p *LogRecord) Decision {
	switch l.Status {
	case StatusCommitted:
		return Committed
	case StatusAborted:
		return Aborted
	}
	if l.IsPrimary() || p == nil {
		return Undecided
	}
	if p.TxnID != l.TxnID || p.Run != l.Run || !p.IsPrimary() {
		return Aborted
	}
	switch p.Status {
	case StatusCommitted:
		return Committed
	case StatusAborted:
		return Aborted
	}
	return Undecided
}

// AbortStep is what a cleaner does to decide an undecided run aborted.
type AbortStep int

// Abort steps.
const (
	// FlipPrimary: flip the pending primary to aborted, generation-checked
	// against the generation read (a commit flip of the run then fails).
	FlipPrimary AbortStep = iota
	// TombstonePrimary: create the missing primary as an aborted
	// tombstone (create-only: the run can then never create it).
	TombstonePrimary
)

// abortStep returns how to abort the run of the undecided log l whose
// primary read as p.
func abortStep(p *LogRecord) AbortStep {
	if p == nil {
		return TombstonePrimary
	}
	return FlipPrimary
}

// oldEnough reports whether a pending log may be decided by a cleaner:
// older than minAge by the cleaner's clock (logs without a time are).
func oldEnough(l *LogRecord, now time.Time, minAge time.Duration) bool {
	return l.Time <= 0 || now.Sub(time.UnixMilli(l.Time)) >= minAge
}

// ownLog reports whether a log found at one of this run's keys is this
// run's own and still usable: written by this run and still pending (every
// write after the creation makes a log final, so pending means it is at
// the generation the run gave it).
func ownLog(l *LogRecord, txnid, run string) bool {
	return l != nil && l.TxnID == txnid && l.Run == run && l.Status == StatusPending
}

// claimVerdict classifies the logs a run found at its keys when it
// claimed them (nil: could not be settled).
type claimVerdict int

const (
	claimed      claimVerdict = iota // every log is the run's own and pending
	claimFenced                      // a log is ours but decided aborted, or a tombstone: cleanup fenced the run
	claimForeign                     // a log of another run of the txnid
	claimUnknown                     // some log could not be settled
)

func judgeClaim(logs []*LogRecord, txnid, run string) claimVerdict {
	v := claimed
	for _, l := range logs {
		switch {
		case l == nil:
			v = max(v, claimUnknown)
		case ownLog(l, txnid, run):
		case l.Run == run || (l.Run == "" && l.Status == StatusAborted && l.Amt == 0):
			v = max(v, claimFenced)
		default:
			v = max(v, claimForeign)
		}
	}
	return v
}

// flipVerdict settles a commit flip whose reply was lost (or refused),
// from the primary read afterwards.
type flipVerdict int

const (
	flipApplied flipVerdict = iota // committed by this run
	flipResend                     // still pending at our generation: not applied; resend
	flipAborted                    // decided aborted, or no longer ours
)

func judgeFlip(p *LogRecord, run string, gen uint32) flipVerdict {
	switch {
	case p == nil || p.Run != run:
		return flipAborted
	case p.Status == StatusCommitted:
		return flipApplied
	case p.Status == StatusPending && p.Gen == gen:
		return flipResend
	}
	return flipAborted
}

// entryDecision is a cleaner's decision on one pending entry of an account.
type entryDecision struct {
	entry string
	dec   Decision
	amt   int64 // the leg's amount (rolled forward when committed)
}

// releasePlan is what a cleaner's release of an account writes.
type releasePlan struct {
	remove    []any // decided entries to remove from ptxns
	removeAll bool  // every entry is decided: delete ptxns
	forward   int64 // sum of committed amounts, added to bal
}

// planRelease turns a cleaner's decisions on an account's entries (total:
// how many entries it found) into its release.
func planRelease(decs []entryDecision, total int) releasePlan {
	var p releasePlan
	for _, d := range decs {
		switch d.dec {
		case Committed:
			p.forward += d.amt
		case Aborted:
		default:
			continue
		}
		p.remove = append(p.remove, d.entry)
	}
	p.removeAll = len(p.remove) > 0 && len(p.remove) == total
	return p
}

// countLog adds one log of an account to its reconciliation: pending when
// its entry is in the snapshot (not applied yet), counted when its run is
// committed and its entry gone (applied), ignored otherwise (aborted, or
// undecided without entry: not applied).
func countLog(a *AccountReport, l *LogRecord, entryPending bool, fate Decision) {
	a.Logs++
	if l.Status == StatusPending {
		a.NonFinal++
	}
	switch {
	case entryPending:
		a.Pending += l.Amt
	case fate == Committed:
		a.Logged += l.Amt
	}
}
