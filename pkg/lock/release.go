package lock

import (
	"context"
	"fmt"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

// Release frees the lock in one fenced Operate (generation and owner
// checked) that also removes the lock's pending entry and applies ops
// (e.g. as.AddOp(bal, amt)): all or nothing. It returns the results of
// ops. ErrLockLost means the lock was taken from the holder (stolen or
// broken) and nothing was applied.
func (l *Locker) Release(ctx context.Context, lk *Lock, ops ...*as.Operation) (map[string]any, error) {
	return l.release(ctx, lk, false, ops...)
}

func (l *Locker) release(ctx context.Context, lk *Lock, inDoubt bool, ops ...*as.Operation) (map[string]any, error) {
	fail := func(err error) (map[string]any, error) {
		return nil, fmt.Errorf("release lock on %s for %s: %w", lk.UKey, lk.TxnID, err)
	}
	all := ReleaseOps(lk, ops...)
	wp := ReleasePolicy(l.cfg.WritePolicy, lk)
	bo := NewBackoffer("release", l.cfg.Clock, l.backoff, l.cfg.BusyRetries)
	// inDoubt: an earlier try may still land.
	for {
		rec, err := l.client.Operate(wp, lk.Key, all...)
		if HasCode(err, types.KEY_NOT_FOUND_ERROR) {
			return fail(ErrNoRecord)
		}
		switch Classify(err) {
		case OK:
			l.released(lk)
			return callerBins(rec.Bins, false), nil
		case Conflict:
			if !inDoubt {
				return fail(ErrLockLost)
			}
			// Refused, but an earlier in-doubt try may be what moved
			// the record: look before calling it lost.
			fallthrough
		case InDoubt:
			inDoubt = true
			v, err := l.resolveRelease(ctx, lk)
			if err != nil {
				return fail(err)
			}
			switch v {
			case Released:
				l.released(lk)
				return nil, nil
			case ReleaseLost:
				return fail(ErrLockLost)
			case ReleaseUnknown:
				return fail(ErrReleaseUnknown)
			}
		case Fatal:
			return fail(err)
		}
		if err := bo.Backoff(ctx, err); err != nil {
			return fail(err)
		}
	}
}

// ReleaseOps returns the operations that release lk (to be sent with
// ReleasePolicy, or BatchWritePolicyOf it in a batch), followed by ops.
func ReleaseOps(lk *Lock, ops ...*as.Operation) []*as.Operation {
	all := []*as.Operation{as.PutOp(as.NewBin(BinLock, nil)), as.PutOp(as.NewBin(BinDeadline, nil))}
	if lk.pending {
		// The fence proves ptxns is as the acquire left it, so a count of
		// one is our entry alone.
		if lk.PendingCount == 1 {
			all = append(all, as.PutOp(as.NewBin(BinPending, nil)))
		} else {
			all = append(all, as.ListRemoveByValueOp(BinPending, lk.Entry(), as.ListReturnTypeNone))
		}
	}
	return append(all, ops...)
}

func (l *Locker) released(lk *Lock) {
	l.stats.released.Add(1)
	l.stats.durationMs.Add(l.cfg.Clock.Now().Sub(lk.acquiredAt).Milliseconds())
}

func (l *Locker) resolveRelease(ctx context.Context, lk *Lock) (ReleaseVerdict, error) {
	snap, err := l.readSnapshot(ctx, lk.Key)
	if err != nil {
		return ReleaseLost, err
	}
	return InDoubtRelease(snap, lk), nil
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
	bo := NewBackoffer("break lock on "+ukey, l.cfg.Clock, l.backoff, l.cfg.BusyRetries)
	for {
		snap, err := l.readSnapshot(ctx, key)
		if err != nil {
			return fmt.Errorf("break lock on %s: %w", ukey, err)
		}
		h := snap.Held
		if h.Holder == "" && !(clearPending && len(snap.Pending) > 0) {
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
		wp.Generation = snap.Gen
		if h.Holder != "" {
			wp.FilterExpression = heldBy(h)
		}
		_, err = l.client.Operate(&wp, key, ops...)
		switch Classify(err) {
		case OK:
			if h.Holder != "" {
				l.stats.broken.Add(1)
			}
			return nil
		case Fatal:
			return fmt.Errorf("break lock on %s: %w", ukey, err)
		}
		// Look again: the state decides (an in-doubt break that applied
		// shows up as no lock).
		if err := bo.Backoff(ctx, err); err != nil {
			return fmt.Errorf("break lock on %s: %w", ukey, err)
		}
	}
}
