package txn

import (
	"context"
	"errors"
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// runState is one Run call: its id (written into its logs as run), its
// logs as created (by leg, canonical order; the first is the primary) and
// the locks it holds.
type runState struct {
	m     *Manager
	res   *Result
	id    string
	logs  []*LogRecord
	locks []*lock.Lock
}

func (r *runState) txnid() string { return r.res.TxnID }

func (r *runState) fail(o Outcome, step string, cause error) error {
	return &Error{TxnID: r.txnid(), Outcome: o, Step: step, Cause: cause}
}

// run is the protocol of docs/protocol.md §3: claim the logs, lock the
// accounts, commit at the primary, apply: 4 round trips uncontended, for
// one leg or many.
func (r *runState) run(ctx context.Context) error {
	if err := r.claim(ctx); err != nil {
		return err
	}
	if err := r.lockAll(ctx); err != nil {
		return err
	}
	if err := r.commit(ctx); err != nil {
		return err
	}
	r.apply(ctx)
	return nil
}

// claim creates every leg's log, pending, create-only, before any account
// is touched: a log key "<ukey>:<txnid>" can be created once, so the run
// that creates it owns it, and an entry "<ukey>:<txnid>" on an account can
// only ever be that run's (it locks an account only after claiming all its
// logs). A run that finds another run's log at one of its keys is refused
// here, having changed nothing but its own new logs, which it aborts.
func (r *runState) claim(ctx context.Context) error {
	m, legs := r.m, r.res.Legs
	bins := make([]as.BinMap, len(legs))
	for i, leg := range legs {
		bins[i] = m.logBins(r.id, leg, r.txnid(), legs)
	}
	r.logs = make([]*LogRecord, len(legs))
	var settleErr error
	if len(legs) == 1 {
		r.logs[0], settleErr = m.createLog(ctx, legs[0].UKey, r.txnid(), bins[0])
	} else {
		settleErr = m.createLogs(ctx, r.txnid(), legs, bins, r.logs)
	}
	switch judgeClaim(r.logs, r.txnid(), r.id) {
	case claimed:
		return nil
	case claimForeign:
		return r.abandon(ctx, OutcomeDuplicate, "claim", fmt.Errorf("another run of the txnid logged %s", r.foreign()))
	case claimFenced:
		return r.abandon(ctx, OutcomeAborted, "claim", fmt.Errorf("fenced by cleanup at %s", r.foreign()))
	}
	return r.abandon(ctx, OutcomeAborted, "claim", settleErr)
}

// foreign names the first log that is not this run's own.
func (r *runState) foreign() string {
	for _, l := range r.logs {
		if l != nil && !ownLog(l, r.txnid(), r.id) {
			return fmt.Sprintf("log %s:%s (run %q, %s)", l.UKey, l.TxnID, l.Run, l.Status)
		}
	}
	return "?"
}

// lockAll locks every account, each with its pending entry. A transfer
// tries its legs in one batch call; if the batch took them all, that is
// all (one round trip). Otherwise, with f the first leg in canonical order
// the batch did not take, it keeps the locks on the legs before f,
// releases those it took after f (in one batch), waits for leg f alone
// (Acquire), and tries the legs after f in one batch again; after
// batchLockTries batches it takes the rest one by one. A run waits for a
// lock only while it holds nothing but locks earlier in canonical order,
// so two runs never wait on each other in a cycle, and no progress
// depends on a lock expiring (docs/protocol.md §3).
func (r *runState) lockAll(ctx context.Context) error {
	legs := r.res.Legs
	if len(legs) == 1 || r.m.cfg.Unbatched {
		return r.lockInOrder(ctx, 0, len(legs))
	}
	next := 0 // legs[:next] are locked, in r.locks
	for try := 0; try < batchLockTries && len(legs)-next >= 2; try++ {
		f, err := r.lockBatch(ctx, next)
		if err != nil || f == len(legs) {
			return err
		}
		if err := r.lockInOrder(ctx, f, f+1); err != nil {
			return err
		}
		next = f + 1
	}
	return r.lockInOrder(ctx, next, len(legs))
}

// batchLockTries bounds the lock batches of one run: under contention each
// failed batch costs a batch, its releases and a wait, so after that many
// the rest are taken one by one.
const batchLockTries = 2

// lockBatch tries to lock legs[from:] in one batch call. It returns the
// first leg (canonical order) it did not take, len(legs) if it took them
// all; it keeps the locks before that leg and releases the others.
func (r *runState) lockBatch(ctx context.Context, from int) (int, error) {
	legs := r.res.Legs[from:]
	ukeys := make([]string, len(legs))
	for i, leg := range legs {
		ukeys[i] = leg.UKey
	}
	locks, errs := r.m.locker.TryAcquireAll(ctx, ukeys, r.txnid())
	first := len(legs)
	for i := range legs {
		if locks[i] == nil {
			first = i
			break
		}
	}
	for i, err := range errs {
		if err != nil && !errors.Is(err, lock.ErrNotTaken) {
			// No account, lost, in doubt without trace, refused: the run
			// ends; abandon releases every lock it took.
			for _, lk := range locks {
				if lk != nil {
					r.locks = append(r.locks, lk)
				}
			}
			return 0, r.lockFailed(ctx, legs[i].UKey, err)
		}
	}
	r.locks = append(r.locks, locks[:first]...)
	var outOfOrder []*lock.Lock
	for _, lk := range locks[first:] {
		if lk != nil {
			outOfOrder = append(outOfOrder, lk)
		}
	}
	if len(outOfOrder) > 0 {
		for i, err := range r.m.locker.ReleaseAll(ctx, outOfOrder, nil) {
			if err != nil {
				r.locks = append(r.locks, outOfOrder[i]) // abandon tries again, or cleanup drops it
				return 0, r.abandon(ctx, OutcomeAborted, "lock "+outOfOrder[i].UKey, err)
			}
		}
	}
	return from + first, nil
}

// lockInOrder takes the locks of legs[from:to] one by one in canonical
// order, after the run's locks on the legs before from.
func (r *runState) lockInOrder(ctx context.Context, from, to int) error {
	for _, leg := range r.res.Legs[from:to] {
		lk, err := r.m.locker.Acquire(ctx, leg.UKey, r.txnid())
		if err == nil && lk.Reentered {
			// Another Acquire of this txnid holds it: not ours to use or
			// release. (Unreachable when every run claims its logs first.)
			return r.abandon(ctx, OutcomeDuplicate, "lock "+leg.UKey, errors.New("another run of the txnid holds the lock"))
		}
		if err != nil {
			return r.lockFailed(ctx, leg.UKey, err)
		}
		r.locks = append(r.locks, lk)
	}
	return nil
}

// lockFailed abandons the run after the lock on ukey could not be taken,
// with the outcome the cause says.
func (r *runState) lockFailed(ctx context.Context, ukey string, err error) error {
	step := "lock " + ukey
	switch {
	case errors.Is(err, lock.ErrNoRecord):
		return r.abandon(ctx, OutcomeNoAccount, step, err)
	case errors.Is(err, lock.ErrHeld), errors.Is(err, lock.ErrWaitTooLong):
		return r.abandon(ctx, OutcomeConflict, step, err)
	case errors.Is(err, lock.ErrAlreadyPending):
		return r.abandon(ctx, OutcomeDuplicate, step, err)
	}
	// In doubt without trace, lost at once, or failing: the run will
	// not commit; whatever of it lands late is rolled back by cleanup.
	return r.abandon(ctx, OutcomeAborted, step, err)
}

// commit flips the primary log from pending to committed, checked against
// the generation the run created it with: the commit point. A cleaner that
// aborted the run first moved that generation, so the flip cannot apply.
func (r *runState) commit(ctx context.Context) error {
	m, p := r.m, r.logs[0]
	key, err := m.logKey(p.UKey, r.txnid())
	if err != nil {
		return r.abandon(ctx, OutcomeAborted, "commit", err)
	}
	wp := m.cfg.writePolicy()
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	wp.Generation = p.Gen
	wp.FilterExpression = stillPending(r.id)
	wp.RecordExistsAction = as.UPDATE_ONLY
	bo := m.backoffer("commit")
	sent := false // a try may have reached the server and may still land
	for {
		err := m.client.Put(wp, key, as.BinMap{LogStatus: string(StatusCommitted)})
		c := lock.Classify(err)
		if c == lock.OK {
			return nil
		}
		if c == lock.InDoubt || c == lock.Conflict || lock.HasCode(err, types.KEY_NOT_FOUND_ERROR) {
			sent = sent || c == lock.InDoubt
			got, rerr := m.readLog(ctx, p.UKey, r.txnid())
			if rerr != nil {
				return r.fail(OutcomeInDoubt, "commit", fmt.Errorf("%w (then reading the primary: %w)", err, rerr))
			}
			switch judgeFlip(got, r.id, p.Gen) {
			case flipApplied:
				return nil
			case flipAborted:
				return r.abandon(ctx, OutcomeAborted, "commit", errors.New("aborted by cleanup before the commit point"))
			}
		} else if c == lock.Fatal {
			if sent {
				return r.fail(OutcomeInDoubt, "commit", err)
			}
			return r.abandon(ctx, OutcomeAborted, "commit", err)
		}
		if berr := bo.Backoff(ctx, err); berr != nil {
			if sent {
				return r.fail(OutcomeInDoubt, "commit", berr)
			}
			// Never reached the server: it never will.
			return r.abandon(ctx, OutcomeAborted, "commit", berr)
		}
	}
}

// apply applies every leg of the committed run with its lock release and
// marks the secondary logs committed, in one call (one batch for a
// transfer). Legs it cannot apply keep their pending entries: cleanup
// rolls them forward.
func (r *runState) apply(ctx context.Context) {
	amount := func(i int) []*as.Operation {
		return []*as.Operation{as.AddOp(as.NewBin(BinBalance, r.res.Legs[i].Amt))}
	}
	for _, err := range r.m.locker.ReleaseAll(ctx, r.locks, amount, r.m.markOwnLogs(r.logs[1:], StatusCommitted)...) {
		if err == nil {
			r.res.Applied++
		}
	}
}

// abandon ends a run that will not commit: in one batch it releases its
// locks without amounts (removing its entries) and records the abort on
// its own logs, each mark checked against the generation the run created
// it with (the order of the two does not matter: the run never commits). Only this run can commit its primary, and it never will now, so
// the outcome is final even if these writes fail: cleanup's sweep records
// the abort later.
func (r *runState) abandon(ctx context.Context, o Outcome, step string, cause error) error {
	m := r.m
	var own []*LogRecord
	for _, l := range r.logs {
		if ownLog(l, r.txnid(), r.id) {
			own = append(own, l)
		}
	}
	marks := m.markOwnLogs(own, StatusAborted)
	switch {
	case len(r.locks) > 0:
		_ = m.locker.ReleaseAll(ctx, r.locks, nil, marks...)
	case len(marks) > 0:
		_ = m.client.BatchOperate(m.cfg.batchPolicy(), marks)
	}
	r.locks = nil
	return r.fail(o, step, cause)
}
