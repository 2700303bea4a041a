package lock

import (
	"context"
	"errors"
	"fmt"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

// ErrNotTaken: TryAcquireAll did not take this lock and applied nothing to
// the record (held by another holder, our entry already there, KEY_BUSY,
// or not sent). Acquire may try it again; it wraps the cause.
var ErrNotTaken = errors.New("lock not taken by the batch")

// TryAcquireAll tries to lock every ukey for txnid, each with its pending
// entry, in one batch call: Acquire's create-only first try for all the
// records at once, each with its own owner nonce. It never waits, steals
// or re-enters. Per ukey, in order, it returns the lock taken or nil and
// why not:
//   - ErrNotTaken (wrapping the cause): nothing applied; Acquire may try again;
//   - ErrNoRecord;
//   - ErrLockLost or ErrAcquireInDoubt: the record's reply was lost, and
//     reading it back gave InDoubtAcquire's verdict (as Acquire's own);
//   - anything else: the server refused the write.
//
// A record the batch answered OK holds our lock and our entry; an
// unanswered record of a batch that may have been sent is in doubt and is
// read back, never resent (ErrAcquireInDoubt explains why).
func (l *Locker) TryAcquireAll(ctx context.Context, ukeys []string, txnid string) ([]*Lock, []error) {
	locks, errs := make([]*Lock, len(ukeys)), make([]error, len(ukeys))
	if err := ValidateTxnID(txnid); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return locks, errs
	}
	opts := make([]acquireOpts, len(ukeys))
	recs := make([]as.BatchRecordIfc, len(ukeys))
	deadlines := make([]time.Time, len(ukeys))
	for i, ukey := range ukeys {
		key, err := l.Key(ukey)
		if err != nil {
			for j := range errs {
				errs[j] = err
			}
			return locks, errs
		}
		opts[i] = acquireOpts{maxWait: l.cfg.MaxWait, owner: shortID(l.cfg.IDs), ttl: l.cfg.TTL}
		ops, deadline := l.lockOps(ukey, txnid, &opts[i], false, true)
		deadlines[i] = deadline
		recs[i] = as.NewBatchWrite(l.batchWritePolicy(), key, ops...)
	}
	l.stats.attempted.Add(int64(len(ukeys)))
	start := l.cfg.Clock.Now()
	berr := l.client.BatchOperate(l.batchPolicy(), recs)
	for i, ukey := range ukeys {
		br := recs[i].BatchRec()
		switch batchOutcome(br, berr) {
		case batchApplied:
			locks[i] = l.newLock(br.Key, ukey, txnid, opts[i].owner, br.Record, deadlines[i], true)
		case batchInDoubt:
			locks[i], errs[i] = l.resolveAcquire(ctx, br.Key, ukey, txnid, &opts[i])
		case batchNotApplied:
			if br.ResultCode == types.KEY_NOT_FOUND_ERROR {
				errs[i] = ErrNoRecord
			} else {
				errs[i] = fmt.Errorf("%w: %w", ErrNotTaken, recordError(br, berr))
			}
		default:
			errs[i] = recordError(br, berr)
		}
		if errs[i] != nil {
			errs[i] = fmt.Errorf("acquire lock on %s for %s: %w", ukey, txnid, errs[i])
			continue
		}
		l.stats.acquired.Add(1)
		locks[i].acquiredAt = l.cfg.Clock.Now()
	}
	l.stats.waitMs.Add(l.cfg.Clock.Now().Sub(start).Milliseconds())
	return locks, errs
}

// batchResult is what one record of a batch write tells its caller.
type batchResult int

const (
	batchApplied    batchResult = iota // the server answered OK
	batchNotApplied                    // refused or never sent: nothing applied
	batchInDoubt                       // may have applied, or may still
	batchFailed                        // refused for a reason retrying will not change
)

// batchOutcome classifies one record of a batch write whose call returned
// berr. The client leaves a record the server never answered at
// NO_RESPONSE and does not mark it in doubt, so an unanswered record of a
// call that may have been sent is taken as in doubt here.
func batchOutcome(br *as.BatchRecord, berr as.Error) batchResult {
	// The whole chain counts: another node's part of the batch may have
	// been sent although the error returned says not sent.
	sentMaybe := berr != nil && (MayHaveBeenSent(berr) || Classify(berr) != NotSent && Classify(berr) != Busy)
	switch {
	case br.ResultCode == types.OK && br.Record != nil:
		return batchApplied
	case br.InDoubt:
		return batchInDoubt
	case br.ResultCode == types.KEY_NOT_FOUND_ERROR:
		return batchNotApplied
	case br.ResultCode == types.NO_RESPONSE || br.ResultCode == types.OK:
		if berr != nil && !sentMaybe {
			return batchNotApplied
		}
		return batchInDoubt
	}
	switch Classify(recordError(br, nil)) {
	case Conflict, Busy:
		return batchNotApplied // the server answered: it applied nothing
	case Fatal:
		return batchFailed
	}
	// A transient code (a timeout, a connection lost): applied nothing
	// only if the whole call never left.
	if berr != nil && !sentMaybe {
		return batchNotApplied
	}
	return batchInDoubt
}

// recordError is the error of one record of a batch, or the batch's own
// when the record has none.
func recordError(br *as.BatchRecord, berr as.Error) as.Error {
	if br.Err != nil {
		return br.Err
	}
	if berr != nil && (br.ResultCode == types.OK || br.ResultCode == types.NO_RESPONSE) {
		return berr
	}
	return &as.AerospikeError{ResultCode: br.ResultCode, InDoubt: br.InDoubt}
}

// batchWritePolicy is the per-record policy of the batched first try:
// tryCreate's, UPDATE_ONLY (a lock needs its account).
func (l *Locker) batchWritePolicy() *as.BatchWritePolicy {
	wp := *l.cfg.WritePolicy
	wp.RecordExistsAction = as.UPDATE_ONLY
	return BatchWritePolicyOf(&wp)
}

// batchPolicy carries the base write policy's timeouts; no client retries
// (an in-doubt record is read back, never resent).
func (l *Locker) batchPolicy() *as.BatchPolicy {
	base := l.cfg.WritePolicy
	p := as.NewBatchPolicy()
	p.TotalTimeout = base.TotalTimeout
	p.SocketTimeout = base.SocketTimeout
	p.MaxRetries = 0
	return p
}

// ReleaseAll releases several locks in one batch call: per lock the fenced
// write Release sends (ReleaseOps with ops(i), nil for none), followed by
// the records of extra (e.g. log status marks, answered in place). A lock
// whose record was not answered OK is settled as Release settles its own
// try: refused by the fence → ErrLockLost; KEY_BUSY or never sent → sent
// again alone; in doubt → read back (InDoubtRelease), and sent again with
// the same fence if it did not apply (at most one of the two applies). It
// returns one error per lock, nil for a lock released with its ops.
func (l *Locker) ReleaseAll(ctx context.Context, locks []*Lock, ops func(i int) []*as.Operation, extra ...as.BatchRecordIfc) []error {
	errs := make([]error, len(locks))
	opsOf := func(i int) []*as.Operation {
		if ops == nil {
			return nil
		}
		return ops(i)
	}
	if len(locks) == 1 && len(extra) == 0 {
		_, errs[0] = l.Release(ctx, locks[0], opsOf(0)...)
		return errs
	}
	recs := make([]as.BatchRecordIfc, 0, len(locks)+len(extra))
	for i, lk := range locks {
		p := BatchWritePolicyOf(ReleasePolicy(l.cfg.WritePolicy, lk))
		recs = append(recs, as.NewBatchWrite(p, lk.Key, ReleaseOps(lk, opsOf(i)...)...))
	}
	recs = append(recs, extra...)
	berr := l.client.BatchOperate(l.batchPolicy(), recs)
	for i, lk := range locks {
		br := recs[i].BatchRec()
		switch batchOutcome(br, berr) {
		case batchApplied:
			l.released(lk)
			continue
		case batchInDoubt:
			switch v, err := l.resolveRelease(ctx, lk); {
			case err != nil:
				errs[i] = err
			case v == Released:
				l.released(lk)
			case v == ReleaseLost:
				errs[i] = ErrLockLost
			case v == ReleaseUnknown:
				errs[i] = ErrReleaseUnknown
			default: // not applied yet: send again; the batch may still land
				_, errs[i] = l.release(ctx, lk, true, opsOf(i)...)
				continue
			}
		case batchNotApplied:
			switch Classify(recordError(br, berr)) {
			case Conflict:
				errs[i] = ErrLockLost
			default:
				if br.ResultCode == types.KEY_NOT_FOUND_ERROR {
					errs[i] = ErrNoRecord
				} else {
					_, errs[i] = l.release(ctx, lk, false, opsOf(i)...)
					continue
				}
			}
		default:
			errs[i] = recordError(br, berr)
		}
		if errs[i] != nil {
			errs[i] = fmt.Errorf("release lock on %s for %s: %w", lk.UKey, lk.TxnID, errs[i])
		}
	}
	return errs
}
