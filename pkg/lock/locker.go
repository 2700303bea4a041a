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
	Key        *as.Key
	UKey       string
	TxnID      string
	Generation uint32    // the record's generation right after acquiring
	Deadline   time.Time // lckto
	// Record holds the results of the caller's extra operations (WithOps).
	Record map[string]any
	// PendingCount is the number of entries in ptxns right after acquiring.
	PendingCount int
	// AlreadyPending: the entry of this ukey and txnid was in ptxns before
	// this acquire (an earlier run of the same txnid). Release leaves it.
	AlreadyPending bool
	Stolen         bool
	Reentered      bool

	pending    bool // our entry is in ptxns
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
// for longer than the grace period (generation-checked), re-enters a lock
// txnid already holds, and fails fast with ErrWaitTooLong when the holder's
// deadline lies beyond the wait budget.
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
		switch {
		case err == nil:
			return lk, nil
		case HasCode(err, types.KEY_NOT_FOUND_ERROR):
			return nil, ErrNoRecord
		case IsInDoubt(err):
			lk, err := l.resolveAcquire(ctx, key, ukey, txnid, o)
			if err != nil || lk != nil {
				return lk, err
			}
			continue
		case IsBusy(err) || IsTransient(err):
			// Refused, or failed before it was sent: nothing applied.
			if err := l.cfg.Clock.Sleep(ctx, l.backoff.Delay(attempt)); err != nil {
				return nil, err
			}
			continue
		case !HasCode(err, types.BIN_EXISTS_ERROR, types.FAIL_ELEMENT_EXISTS):
			return nil, err
		}
		// The lock is held: look at it and decide.
		held, gen, err := l.readHeld(ctx, key)
		if err != nil {
			return nil, err
		}
		now := l.cfg.Clock.Now()
		budget := o.maxWait - now.Sub(start)
		act, wait := Decide(held, txnid, now, l.cfg.Grace, budget)
		switch act {
		case Retry:
			continue
		case Reenter, Steal:
			lk, err := l.takeOver(key, ukey, txnid, o, gen, act == Steal)
			if err == nil {
				return lk, nil
			}
			if HasCode(err, types.GENERATION_ERROR) || IsBusy(err) || (IsTransient(err) && !IsInDoubt(err)) {
				continue // someone moved first, or nothing was sent: look again
			}
			if IsInDoubt(err) {
				lk, err := l.resolveAcquire(ctx, key, ukey, txnid, o)
				if err != nil || lk != nil {
					return lk, err
				}
				continue
			}
			return nil, err
		case GiveUp:
			return nil, fmt.Errorf("%w: held by %s for another %v", ErrWaitTooLong, held.Holder, wait.Round(time.Millisecond))
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
		// owner tells this Acquire call's lock from one the same txnid took
		// in an earlier call (a rerun), when a lost reply must be resolved.
		as.MapPutItemsOp(mp, BinLock, map[any]any{"txnid": txnid, "ukey": ukey, "owner": o.owner}),
		as.PutOp(as.NewBin(BinDeadline, millis(deadline))),
	}
	// No reads of these bins here: the client folds several results for one
	// bin into a plain list, indistinguishable from a list value. The
	// append's result (the new size) says how many entries are pending.
	if appendEntry {
		// Count our entry before appending it (add-unique): an entry
		// already there belongs to an earlier run of the same txnid and
		// must be neither duplicated nor removed by this one. The two
		// results come back folded into one list, [count, size].
		e := Entry(ukey, txnid)
		ops = append(ops, as.ListGetByValueOp(BinPending, e, as.ListReturnTypeCount),
			as.ListAppendWithPolicyOp(as.NewListPolicy(as.ListOrderUnordered, as.ListWriteFlagsAddUnique|as.ListWriteFlagsNoFail), BinPending, e))
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
	return l.newLock(key, ukey, txnid, rec, deadline, !o.noPending), nil
}

// takeOver re-enters or steals the lock at generation gen.
func (l *Locker) takeOver(key *as.Key, ukey, txnid string, o *acquireOpts, gen uint32, steal bool) (*Lock, error) {
	var ops []*as.Operation
	deadline := l.cfg.Clock.Now().Add(o.ttl)
	if steal {
		// The old holder's entry stays in ptxns: cleanup resolves it.
		ops, deadline = l.lockOps(ukey, txnid, o, true, !o.noPending)
	} else {
		ops = append([]*as.Operation{as.PutOp(as.NewBin(BinDeadline, millis(deadline))),
			as.GetBinOp(BinPending)}, o.ops...)
	}
	wp := *l.cfg.WritePolicy
	wp.RecordExistsAction = as.UPDATE_ONLY
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	wp.Generation = gen
	rec, err := l.client.Operate(&wp, key, ops...)
	if err != nil {
		return nil, err
	}
	if steal {
		lk := l.newLock(key, ukey, txnid, rec, deadline, !o.noPending)
		lk.Stolen = true
		return lk, nil
	}
	pending := StringList(rec.Bins[BinPending])
	lk := &Lock{Key: key, UKey: ukey, TxnID: txnid, Generation: rec.Generation, Deadline: deadline,
		Record: callerBins(rec.Bins, false), PendingCount: len(pending), Reentered: true,
		pending: containsString(pending, Entry(ukey, txnid))}
	return lk, nil
}

func (l *Locker) newLock(key *as.Key, ukey, txnid string, rec *as.Record, deadline time.Time, appended bool) *Lock {
	lk := &Lock{Key: key, UKey: ukey, TxnID: txnid, Generation: rec.Generation, Deadline: deadline,
		Record: callerBins(rec.Bins, appended), pending: appended}
	if appended {
		if r, ok := rec.Bins[BinPending].([]any); ok && len(r) == 2 {
			before, _ := toInt64(r[0])
			size, _ := toInt64(r[1])
			lk.PendingCount = int(size)
			if before > 0 {
				lk.AlreadyPending, lk.pending = true, false
			}
		}
	}
	return lk
}

// readHeld reads the lock currently on the record.
func (l *Locker) readHeld(ctx context.Context, key *as.Key) (Held, uint32, error) {
	rec, err := l.read(ctx, key)
	if err != nil {
		return Held{}, 0, err
	}
	if rec == nil {
		return Held{}, 0, ErrNoRecord
	}
	return heldFrom(rec.Bins), rec.Generation, nil
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

// read gets the lock bins of a record (nil if it does not exist), retrying
// transient failures: reads are always safe to repeat.
func (l *Locker) read(ctx context.Context, key *as.Key) (*as.Record, error) {
	return l.readBins(ctx, key, BinLock, BinDeadline, BinPending)
}

// readAll reads every bin of a record (nil if it does not exist).
func (l *Locker) readAll(ctx context.Context, key *as.Key) (*as.Record, error) {
	rec, err := l.readBins(ctx, key)
	if err == nil && rec == nil {
		return nil, ErrNoRecord
	}
	return rec, err
}

func (l *Locker) readBins(ctx context.Context, key *as.Key, bins ...string) (*as.Record, error) {
	var lastErr error
	for i := 0; i < l.cfg.BusyRetries; i++ {
		rec, err := l.client.Get(&l.cfg.WritePolicy.BasePolicy, key, bins...)
		if err == nil {
			return rec, nil
		}
		if HasCode(err, types.KEY_NOT_FOUND_ERROR) {
			return nil, nil
		}
		if !IsTransient(err) {
			return nil, err
		}
		lastErr = err
		if err := l.cfg.Clock.Sleep(ctx, l.backoff.Delay(i)); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("read %v: %w", key.Value(), lastErr)
}

// resolveAcquire settles an acquire whose outcome is in doubt by reading
// the record: the lock if it applied, ErrAcquireInDoubt if no trace shows.
func (l *Locker) resolveAcquire(ctx context.Context, key *as.Key, ukey, txnid string, o *acquireOpts) (*Lock, error) {
	rec, err := l.read(ctx, key)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, ErrNoRecord
	}
	h := heldFrom(rec.Bins)
	entry := Entry(ukey, txnid)
	pending := StringList(rec.Bins[BinPending])
	if h.Holder == txnid && h.Owner != o.owner {
		// The same txnid holds it from an earlier call: not this acquire.
		return nil, ErrAcquireInDoubt
	}
	if h.Holder == txnid {
		lk := &Lock{Key: key, UKey: ukey, TxnID: txnid, Generation: rec.Generation, Deadline: h.Deadline,
			PendingCount: len(pending), pending: containsString(pending, entry)}
		if len(o.ops) > 0 {
			// The replies to the caller's extra operations were lost; give
			// it the whole record instead (read while we hold the lock).
			r, err := l.readAll(ctx, key)
			if err != nil {
				_, _ = l.Release(ctx, lk)
				return nil, fmt.Errorf("read record after in-doubt acquire: %w", err)
			}
			lk.Record = callerBins(r.Bins, false)
		}
		return lk, nil
	}
	if !o.noPending && containsString(pending, entry) {
		// Our acquire applied, then the lock was stolen from us at once.
		return nil, ErrLockLost
	}
	return nil, ErrAcquireInDoubt
}

// Release frees the lock in one generation-checked Operate that also removes
// the lock's pending entry and applies ops (e.g. as.AddOp(bal, amt)): all or
// nothing. It returns the results of ops. ErrLockLost means the record
// changed since the lock was taken (it was stolen or broken) and nothing was
// applied.
func (l *Locker) Release(ctx context.Context, lk *Lock, ops ...*as.Operation) (map[string]any, error) {
	all := ReleaseOps(lk, ops...)
	wp := *l.cfg.WritePolicy
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	wp.Generation = lk.Generation
	for i := 0; i < l.cfg.BusyRetries; i++ {
		rec, err := l.client.Operate(&wp, lk.Key, all...)
		switch {
		case err == nil:
			l.released(lk)
			return callerBins(rec.Bins, false), nil
		case HasCode(err, types.GENERATION_ERROR):
			return nil, fmt.Errorf("release lock on %s for %s: %w", lk.UKey, lk.TxnID, ErrLockLost)
		case HasCode(err, types.KEY_NOT_FOUND_ERROR):
			return nil, fmt.Errorf("release lock on %s for %s: %w", lk.UKey, lk.TxnID, ErrNoRecord)
		case IsInDoubt(err):
			applied, err := l.resolveRelease(ctx, lk)
			if err != nil {
				return nil, fmt.Errorf("release lock on %s for %s: %w", lk.UKey, lk.TxnID, err)
			}
			if applied {
				l.released(lk)
				return nil, nil
			}
		case IsBusy(err) || IsTransient(err):
			// Refused, or failed before it was sent: generation-checked, so
			// trying again is safe.
		default:
			return nil, fmt.Errorf("release lock on %s for %s: %w", lk.UKey, lk.TxnID, err)
		}
		if err := l.cfg.Clock.Sleep(ctx, l.backoff.Delay(i)); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("release lock on %s for %s: record stayed busy", lk.UKey, lk.TxnID)
}

// ReleaseOps returns the operations that release lk (to be sent with a
// generation check against lk.Generation), followed by ops. Callers that
// release several locks in one batch use it with ResolveRelease and
// Released.
func ReleaseOps(lk *Lock, ops ...*as.Operation) []*as.Operation {
	all := []*as.Operation{as.PutOp(as.NewBin(BinLock, nil)), as.PutOp(as.NewBin(BinDeadline, nil))}
	if lk.pending {
		if lk.PendingCount == 1 {
			all = append(all, as.PutOp(as.NewBin(BinPending, nil)))
		} else {
			all = append(all, as.ListRemoveByValueOp(BinPending, lk.Entry(), as.ListReturnTypeNone))
		}
	}
	return append(all, ops...)
}

// Released records a release done outside Release (e.g. in a batch).
func (l *Locker) Released(lk *Lock) { l.released(lk) }

// ResolveRelease settles a release (made outside Release) whose outcome is
// in doubt: true if it applied, false if not; ErrLockLost if the lock is gone.
func (l *Locker) ResolveRelease(ctx context.Context, lk *Lock) (bool, error) {
	return l.resolveRelease(ctx, lk)
}

func (l *Locker) released(lk *Lock) {
	l.stats.released.Add(1)
	l.stats.durationMs.Add(l.cfg.Clock.Now().Sub(lk.acquiredAt).Milliseconds())
}

// resolveRelease settles a release whose reply was lost. The record's
// generation moves only with a write: unchanged means not applied (retry);
// changed with our pending entry gone means applied, since the entry is
// only ever removed together with the release (or by a cleaner acting for
// us, with the same effect); otherwise the lock was lost.
func (l *Locker) resolveRelease(ctx context.Context, lk *Lock) (bool, error) {
	rec, err := l.read(ctx, lk.Key)
	if err != nil {
		return false, err
	}
	if rec == nil {
		return false, ErrNoRecord
	}
	if rec.Generation == lk.Generation {
		return false, nil
	}
	if lk.pending {
		if !containsString(StringList(rec.Bins[BinPending]), lk.Entry()) {
			return true, nil
		}
		return false, ErrLockLost
	}
	// No entry to tell by: our release is exactly one write that leaves
	// no lock. A steal also is one write, but leaves the stealer's lock.
	if nextGeneration(lk.Generation) == rec.Generation && heldFrom(rec.Bins).Holder == "" {
		return true, nil
	}
	return false, ErrLockLost
}

// nextGeneration is the generation after one write (16-bit, skipping 0).
func nextGeneration(g uint32) uint32 {
	g = (g + 1) & 0xffff
	if g == 0 {
		g = 1
	}
	return g
}

// Break removes the lock of ukey (lck and lckto), keeping ptxns. Without
// force, only a lock whose deadline has passed may be broken.
func (l *Locker) Break(ctx context.Context, ukey string, force bool) error {
	return l.breakLock(ctx, ukey, force, false)
}

// Clear is a forced break that also drops every pending entry.
func (l *Locker) Clear(ctx context.Context, ukey string) error {
	return l.breakLock(ctx, ukey, true, true)
}

func (l *Locker) breakLock(ctx context.Context, ukey string, force, clearPending bool) error {
	key, err := l.Key(ukey)
	if err != nil {
		return err
	}
	for i := 0; i < l.cfg.BusyRetries; i++ {
		rec, err := l.read(ctx, key)
		if err != nil {
			return fmt.Errorf("break lock on %s: %w", ukey, err)
		}
		if rec == nil {
			return fmt.Errorf("break lock on %s: %w", ukey, ErrNoRecord)
		}
		h := heldFrom(rec.Bins)
		if h.Holder == "" && !(clearPending && rec.Bins[BinPending] != nil) {
			return fmt.Errorf("break lock on %s: %w", ukey, ErrNotLocked)
		}
		if !force && l.cfg.Clock.Now().Before(h.Deadline) {
			return fmt.Errorf("break lock on %s held by %s until %s: %w", ukey, h.Holder,
				h.Deadline.Format(time.RFC3339Nano), ErrNotExpired)
		}
		ops := []*as.Operation{as.PutOp(as.NewBin(BinLock, nil)), as.PutOp(as.NewBin(BinDeadline, nil))}
		if clearPending {
			ops = append(ops, as.PutOp(as.NewBin(BinPending, nil)))
		}
		wp := *l.cfg.WritePolicy
		wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
		wp.Generation = rec.Generation
		_, err = l.client.Operate(&wp, key, ops...)
		switch {
		case err == nil:
			if h.Holder != "" {
				l.stats.broken.Add(1)
			}
			return nil
		case HasCode(err, types.GENERATION_ERROR) || IsBusy(err) || IsInDoubt(err):
			// Look again: the state decides (an in-doubt break that applied
			// shows up as no lock).
			if err := l.cfg.Clock.Sleep(ctx, l.backoff.Delay(i)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("break lock on %s: %w", ukey, err)
		}
	}
	return fmt.Errorf("break lock on %s: record kept changing", ukey)
}
