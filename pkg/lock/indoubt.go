package lock

import (
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
)

// Snapshot is a record's lock state as read: the pure decisions below
// take it as their only input.
type Snapshot struct {
	Gen     uint32
	Held    Held
	Pending []string // ptxns
}

func snapshotOf(rec *as.Record) Snapshot {
	return Snapshot{Gen: rec.Generation, Held: heldFrom(rec.Bins), Pending: StringList(rec.Bins[BinPending])}
}

func heldFrom(bins as.BinMap) Held {
	var h Held
	field := func(k any, v any) {
		switch k {
		case "txnid":
			h.Holder, _ = v.(string)
		case "owner":
			h.Owner, _ = v.(string)
		}
	}
	if m, ok := bins[BinLock].(map[any]any); ok {
		for k, v := range m {
			field(k, v)
		}
	} else if pairs, ok := bins[BinLock].([]as.MapPair); ok {
		for _, p := range pairs {
			field(p.Key, p.Value)
		}
	}
	if ms, ok := toInt64(bins[BinDeadline]); ok {
		h.Deadline = time.UnixMilli(ms)
	}
	return h
}

// AcquireVerdict settles an acquire whose reply was lost.
type AcquireVerdict int

// Acquire verdicts.
const (
	// Acquired: the lock on the record is this call's (its owner nonce).
	Acquired AcquireVerdict = iota
	// AcquireLost: the acquire may have applied and the lock was taken
	// from it at once (its entry is pending under another holder).
	AcquireLost
	// AcquireNoTrace: nothing shows the acquire applied. It is not resent:
	// the lost request may still land later (ErrAcquireInDoubt).
	AcquireNoTrace
)

// InDoubtAcquire decides an in-doubt acquire of ukey for txnid by the call
// with nonce owner, from the record read afterwards. The owner nonce is
// unique to the call, so finding it proves the call applied; and since an
// acquire with an entry applies only if the entry was absent, it then owns
// the entry too.
func InDoubtAcquire(s Snapshot, ukey, txnid, owner string, withEntry bool) AcquireVerdict {
	switch {
	case s.Held.Holder == txnid && s.Held.Owner == owner:
		return Acquired
	case withEntry && s.Held.Holder != txnid && containsString(s.Pending, Entry(ukey, txnid)):
		return AcquireLost
	}
	return AcquireNoTrace
}

// ReleaseVerdict settles a release whose reply was lost.
type ReleaseVerdict int

// Release verdicts.
const (
	// Released: the release applied (or a cleaner did the same for us).
	Released ReleaseVerdict = iota
	// NotReleased: it did not apply (yet); resending is safe, since the
	// resend and the original carry the same fence and at most one applies.
	NotReleased
	// ReleaseLost: the lock was taken from the holder; nothing applied.
	ReleaseLost
	// ReleaseUnknown: the lock is gone and nothing on the record tells
	// whether this release removed it (a lock without a pending entry);
	// it cannot apply any more (fenced). The caller decides from what its
	// own operations changed, or treats the work as void.
	ReleaseUnknown
)

// InDoubtRelease decides an in-doubt release of lk from the record read
// afterwards: the holder's own lock still there means not applied (and a
// resend, carrying the same fence, applies at most once with it); gone,
// with the holder's entry gone too, means applied (the entry is removed
// only with the release, or by a cleaner that decided the transaction,
// which has the same effect; it never comes back, since only its run's
// one acquire appends it); gone with the entry still there means lost. A
// lock without an entry leaves nothing to tell by: the generation cannot
// (it wraps, and other writers move it), so the verdict is unknown.
func InDoubtRelease(s Snapshot, lk *Lock) ReleaseVerdict {
	if s.Held.Owner == lk.Owner && s.Held.Holder == lk.TxnID {
		return NotReleased
	}
	if !lk.pending {
		return ReleaseUnknown
	}
	if containsString(s.Pending, lk.Entry()) {
		return ReleaseLost
	}
	return Released
}
