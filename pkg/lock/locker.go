package lock

import (
	"context"
	"errors"
	"fmt"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

// Locker takes and releases record locks. Safe for concurrent use.
type Locker struct {
	client  Client
	cfg     Config
	backoff *Backoff
	stats   Stats
}

// New returns a Locker using client.
func New(client Client, cfg Config) *Locker {
	cfg = cfg.withDefaults()
	return &Locker{client: client, cfg: cfg, backoff: NewBackoff(cfg.BackoffMin, cfg.BackoffMax, cfg.Seed)}
}

// Config returns the effective configuration.
func (l *Locker) Config() Config { return l.cfg }

// Stats returns the locker's counters.
func (l *Locker) Stats() *Stats { return &l.stats }

// Key returns the key of the record with user key ukey.
func (l *Locker) Key(ukey string) (*as.Key, error) {
	k, err := as.NewKey(l.cfg.Namespace, l.cfg.Set, ukey)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", ukey, err)
	}
	return k, nil
}

// Lock is a held lock.
type Lock struct {
	Key   *as.Key
	UKey  string
	TxnID string
	// Owner is the nonce of the Acquire call that took the lock (lck.owner):
	// every later write of the holder is conditioned on it (the fence),
	// since the 16-bit record generation alone can wrap back.
	Owner      string
	Generation uint32    // the record's generation right after acquiring
	Deadline   time.Time // lckto
	// Record holds the results of the caller's extra operations (WithOps).
	Record map[string]any
	// PendingCount is the number of entries in ptxns right after acquiring.
	PendingCount int
	Stolen       bool
	Reentered    bool

	pending    bool // our entry is in ptxns (appended by this acquire)
	acquiredAt time.Time
}

// Entry is the lock's pending entry.
func (lk *Lock) Entry() string { return Entry(lk.UKey, lk.TxnID) }

// AcquireOption adjusts one Acquire.
type AcquireOption func(*acquireOpts)

type acquireOpts struct {
	ops       []*as.Operation
	noPending bool
	maxWait   time.Duration
	owner     string // nonce of this Acquire call, stored in lck.owner
	ttl       time.Duration
}

// WithOps adds operations executed atomically with the acquire (e.g. a read of bal).
func WithOps(ops ...*as.Operation) AcquireOption {
	return func(o *acquireOpts) { o.ops = append(o.ops, ops...) }
}

// WithoutPending takes the lock without adding a pending entry (for
// reconciliation and cleanup, which leave nothing to clean up behind them).
func WithoutPending() AcquireOption { return func(o *acquireOpts) { o.noPending = true } }

// WithTTL overrides the lock duration for this acquire (maintenance work
// such as cleanup or reconciliation takes several round trips under one lock).
func WithTTL(d time.Duration) AcquireOption { return func(o *acquireOpts) { o.ttl = d } }

// WithMaxWait overrides the configured MaxWait.
func WithMaxWait(d time.Duration) AcquireOption { return func(o *acquireOpts) { o.maxWait = d } }

// Acquire locks the record ukey for txnid. It retries with jittered
// backoff while another transaction holds the lock, steals a lock expired
// for longer than the grace period (fenced by the generation and the
// holder's owner nonce), re-enters a lock txnid already holds, and fails
// fast with ErrWaitTooLong when the holder's deadline lies beyond the wait
// budget. Unless WithoutPending, the entry "<ukey>:<txnid>" is appended to
// ptxns with the lock, and the acquire applies only if that entry was not
// there yet (ErrAlreadyPending otherwise): so a lock this call holds always
// owns its entry, even when the reply was lost.
func (l *Locker) Acquire(ctx context.Context, ukey, txnid string, opts ...AcquireOption) (*Lock, error) {
	if err := ValidateTxnID(txnid); err != nil {
		return nil, fmt.Errorf("acquire lock on %s: %w", ukey, err)
	}
	o := acquireOpts{maxWait: l.cfg.MaxWait, owner: shortID(l.cfg.IDs), ttl: l.cfg.TTL}
	for _, f := range opts {
		f(&o)
	}
	key, err := l.Key(ukey)
	if err != nil {
		return nil, err
	}
	l.stats.attempted.Add(1)
	start := l.cfg.Clock.Now()
	lk, err := l.acquire(ctx, key, ukey, txnid, &o, start)
	l.stats.waitMs.Add(l.cfg.Clock.Now().Sub(start).Milliseconds())
	if err != nil {
		if errors.Is(err, ErrHeld) || errors.Is(err, ErrWaitTooLong) {
			l.stats.timedout.Add(1)
		}
		return nil, fmt.Errorf("acquire lock on %s for %s: %w", ukey, txnid, err)
	}
	l.stats.acquired.Add(1)
	if lk.Stolen {
		l.stats.stolen.Add(1)
	}
	lk.acquiredAt = l.cfg.Clock.Now()
	return lk, nil
}

func (l *Locker) acquire(ctx context.Context, key *as.Key, ukey, txnid string, o *acquireOpts, start time.Time) (*Lock, error) {
	for attempt := 0; attempt < l.cfg.Attempts; attempt++ {
		if attempt > 0 {
			l.stats.retries.Add(1)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lk, err := l.tryCreate(key, ukey, txnid, o)
		if HasCode(err, types.KEY_NOT_FOUND_ERROR) {
			return nil, ErrNoRecord
		}
		switch Classify(err) {
		case OK:
			return lk, nil
		case InDoubt:
			return l.resolveAcquire(ctx, key, ukey, txnid, o)
		case NotSent, Busy:
			if err := l.cfg.Clock.Sleep(ctx, l.backoff.Delay(attempt)); err != nil {
				return nil, err
			}
			continue
		case Fatal:
			return nil, err
		}
		// Conflict: the lock is held, or our entry is already pending.
		snap, err := l.readSnapshot(ctx, key)
		if err != nil {
			return nil, err
		}
		if !o.noPending && snap.Held.Holder != txnid && containsString(snap.Pending, Entry(ukey, txnid)) {
			return nil, ErrAlreadyPending
		}
		now := l.cfg.Clock.Now()
		budget := o.maxWait - now.Sub(start)
		act, wait := Decide(snap.Held, txnid, now, l.cfg.Grace, budget)
		switch act {
		case Retry:
			continue
		case Reenter, Steal:
			lk, err := l.takeOver(key, ukey, txnid, o, snap, act == Steal)
			switch Classify(err) {
			case OK:
				return lk, nil
			case InDoubt:
				return l.resolveAcquire(ctx, key, ukey, txnid, o)
			case Fatal:
				return nil, err
			}
			continue // someone moved first, or nothing was sent: look again
		case GiveUp:
			return nil, fmt.Errorf("%w: held by %s for another %v", ErrWaitTooLong, snap.Held.Holder, wait.Round(time.Millisecond))
		case Wait:
			d := min(wait, l.backoff.Delay(attempt))
			if err := l.cfg.Clock.Sleep(ctx, d); err != nil {
				return nil, err
			}
		}
	}
	return nil, ErrHeld
}

// lockOps are the writes that take the lock; overwrite is false for the
// create-only first try.
func (l *Locker) lockOps(ukey, txnid string, o *acquireOpts, overwrite, appendEntry bool) ([]*as.Operation, time.Time) {
	deadline := l.cfg.Clock.Now().Add(o.ttl)
	flags := as.MapWriteFlagsCreateOnly
	if overwrite {
		flags = as.MapWriteFlagsDefault
	}
	mp := as.NewMapPolicyWithFlags(as.MapOrder.KEY_ORDERED, flags)
	ops := []*as.Operation{
		// owner tells this Acquire call's lock from any other, and fences
		// every later write of the holder (FenceExpression).
		as.MapPutItemsOp(mp, BinLock, map[any]any{"txnid": txnid, "ukey": ukey, "owner": o.owner}),
		as.PutOp(as.NewBin(BinDeadline, millis(deadline))),
	}
	if appendEntry {
		// Add-unique without NO_FAIL: if the entry is already pending the
		// whole Operate fails and nothing is applied. So an acquire that
		// applied always appended the entry itself, and the lock owns it.
		// The append's result, the list's new size, is the only result
		// for ptxns (the client folds several results for one bin into a
		// list, indistinguishable from a list value).
		ops = append(ops, as.ListAppendWithPolicyOp(as.NewListPolicy(as.ListOrderUnordered, as.ListWriteFlagsAddUnique),
			BinPending, Entry(ukey, txnid)))
	}
	return append(ops, o.ops...), deadline
}

func (l *Locker) tryCreate(key *as.Key, ukey, txnid string, o *acquireOpts) (*Lock, error) {
	ops, deadline := l.lockOps(ukey, txnid, o, false, !o.noPending)
	wp := *l.cfg.WritePolicy
	wp.RecordExistsAction = as.UPDATE_ONLY
	rec, err := l.client.Operate(&wp, key, ops...)
	if err != nil {
		return nil, err
	}
	return l.newLock(key, ukey, txnid, o.owner, rec, deadline, !o.noPending), nil
}

// takeOver re-enters or steals the lock seen in snap. The write is fenced
// by the generation seen and by the holder seen (its owner nonce), so of
// several contenders at most one succeeds, and a contender that stalled
// while the generation wrapped cannot take a newer holder's lock.
func (l *Locker) takeOver(key *as.Key, ukey, txnid string, o *acquireOpts, snap Snapshot, steal bool) (*Lock, error) {
	var ops []*as.Operation
	deadline := l.cfg.Clock.Now().Add(o.ttl)
	if steal {
		// The old holder's entry stays in ptxns: cleanup resolves it.
		ops, deadline = l.lockOps(ukey, txnid, o, true, !o.noPending)
	} else {
		// Re-entry is the same holder again: it keeps the lock's owner
		// (the fence) and owns the txnid's entry if there is one.
		ops = append([]*as.Operation{as.PutOp(as.NewBin(BinDeadline, millis(deadline))),
			as.GetBinOp(BinPending)}, o.ops...)
	}
	wp := *l.cfg.WritePolicy
	wp.RecordExistsAction = as.UPDATE_ONLY
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	wp.Generation = snap.Gen
	wp.FilterExpression = heldBy(snap.Held)
	rec, err := l.client.Operate(&wp, key, ops...)
	if err != nil {
		return nil, err
	}
	if steal {
		lk := l.newLock(key, ukey, txnid, o.owner, rec, deadline, !o.noPending)
		lk.Stolen = true
		return lk, nil
	}
	pending := StringList(rec.Bins[BinPending])
	return &Lock{Key: key, UKey: ukey, TxnID: txnid, Owner: snap.Held.Owner, Generation: rec.Generation,
		Deadline: deadline, Record: callerBins(rec.Bins, false), PendingCount: len(pending), Reentered: true,
		pending: containsString(pending, Entry(ukey, txnid))}, nil
}

func (l *Locker) newLock(key *as.Key, ukey, txnid, owner string, rec *as.Record, deadline time.Time, appended bool) *Lock {
	lk := &Lock{Key: key, UKey: ukey, TxnID: txnid, Owner: owner, Generation: rec.Generation, Deadline: deadline,
		Record: callerBins(rec.Bins, appended), pending: appended}
	if appended {
		size, _ := toInt64(rec.Bins[BinPending])
		lk.PendingCount = int(size)
	}
	return lk
}

// readSnapshot reads the lock bins of a record.
func (l *Locker) readSnapshot(ctx context.Context, key *as.Key) (Snapshot, error) {
	rec, err := l.read(ctx, key)
	if err != nil {
		return Snapshot{}, err
	}
	if rec == nil {
		return Snapshot{}, ErrNoRecord
	}
	return snapshotOf(rec), nil
}

// read gets the lock bins of a record (nil if it does not exist), retrying
// transient failures: reads are always safe to repeat.
func (l *Locker) read(ctx context.Context, key *as.Key) (*as.Record, error) {
	return l.readBins(ctx, key, BinLock, BinDeadline, BinPending)
}

// readAll reads every bin of a record.
func (l *Locker) readAll(ctx context.Context, key *as.Key) (*as.Record, error) {
	rec, err := l.readBins(ctx, key)
	if err == nil && rec == nil {
		return nil, ErrNoRecord
	}
	return rec, err
}

func (l *Locker) readBins(ctx context.Context, key *as.Key, bins ...string) (*as.Record, error) {
	bo := NewBackoffer(fmt.Sprintf("read %v", key.Value()), l.cfg.Clock, l.backoff, l.cfg.BusyRetries)
	for {
		rec, err := l.client.Get(&l.cfg.WritePolicy.BasePolicy, key, bins...)
		if HasCode(err, types.KEY_NOT_FOUND_ERROR) {
			return nil, nil
		}
		switch Classify(err) {
		case OK:
			return rec, nil
		case Fatal, Conflict:
			return nil, err
		}
		if err := bo.Backoff(ctx, err); err != nil {
			return nil, err
		}
	}
}

// resolveAcquire settles an acquire whose outcome is in doubt by reading
// the record (ResolveAcquire decides).
func (l *Locker) resolveAcquire(ctx context.Context, key *as.Key, ukey, txnid string, o *acquireOpts) (*Lock, error) {
	rec, err := l.read(ctx, key)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, ErrNoRecord
	}
	snap := snapshotOf(rec)
	switch InDoubtAcquire(snap, ukey, txnid, o.owner, !o.noPending) {
	case AcquireLost:
		return nil, ErrLockLost
	case AcquireNoTrace:
		return nil, ErrAcquireInDoubt
	}
	lk := &Lock{Key: key, UKey: ukey, TxnID: txnid, Owner: o.owner, Generation: rec.Generation,
		Deadline: snap.Held.Deadline, PendingCount: len(snap.Pending), pending: !o.noPending}
	if len(o.ops) > 0 {
		// The replies to the caller's extra operations were lost; give it
		// the whole record instead (read while we hold the lock).
		r, err := l.readAll(ctx, key)
		if err != nil {
			_, _ = l.Release(ctx, lk)
			return nil, fmt.Errorf("read record after in-doubt acquire: %w", err)
		}
		lk.Record = callerBins(r.Bins, false)
	}
	return lk, nil
}
