package txn

import (
	"context"
	"errors"
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// commitTransfer finishes a transaction of several legs whose accounts are
// all locked: (1) every leg's log is created pending, in one batch; (2) the
// primary's log flips to committed, generation-checked: the commit point;
// (3) one batch applies every amount with its lock release and marks the
// secondary logs committed. K legs take K+3 round trips.
func (m *Manager) commitTransfer(ctx context.Context, res *Result, run *runState, locks []*lock.Lock) (*Result, error) {
	primary := res.Legs[0].UKey
	logs, err := m.createLogs(ctx, res, run, primary)
	if errors.Is(err, ErrDuplicate) {
		// An earlier run's logs: not ours to apply. That run can no longer
		// commit either (our logs stand in its way), so if the primary is
		// ours, decide it aborted; otherwise cleanup decides it from the
		// earlier run's entries.
		if own, _ := m.readLog(ctx, primary, res.TxnID); own != nil && own.Run == run.id {
			_, _ = m.abortAtPrimary(ctx, res.TxnID, primary)
		}
		m.dropLocks(ctx, locks)
		return res, fmt.Errorf("transaction %s: %w", res.TxnID, err)
	}
	if err != nil {
		return m.abortTransfer(ctx, res, run, locks, err)
	}
	if err := m.commitPoint(ctx, res.TxnID, primary, logs[0].Gen); err != nil {
		if errorsIsAborted(err) {
			return m.abortTransfer(ctx, res, run, locks, err)
		}
		return res, fmt.Errorf("transaction %s: %w: %v", res.TxnID, ErrInDoubt, err)
	}
	res.Committed = true
	res.Applied = m.applyCommitted(ctx, res, locks)
	return res, nil
}

// createLogs creates every leg's log (status pending) in one batch. A leg
// whose log already exists as a tombstone means cleanup fenced the
// transaction: it must abort.
func (m *Manager) createLogs(ctx context.Context, res *Result, run *runState, primary string) ([]*LogRecord, error) {
	logs := make([]*LogRecord, len(res.Legs))
	bins := make([]as.BinMap, len(res.Legs))
	keys := make([]*as.Key, len(res.Legs))
	for i, leg := range res.Legs {
		bins[i] = m.logBins(run, leg, res.TxnID, StatusPending, primary, res.Legs)
		k, err := m.logKey(leg.UKey, res.TxnID)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	wp := as.NewBatchWritePolicy()
	wp.RecordExistsAction = as.CREATE_ONLY
	wp.SendKey = true
	recs := make([]as.BatchRecordIfc, len(res.Legs))
	for i := range res.Legs {
		recs[i] = as.NewBatchWrite(wp, keys[i], putOps(bins[i])...)
	}
	berr := m.client.BatchOperate(m.cfg.batchPolicy(), recs)
	for i, r := range recs {
		br := r.BatchRec()
		if berr == nil && br.ResultCode == types.OK {
			logs[i], _ = decodeLog(&as.Record{Bins: bins[i], Generation: 1})
			if br.Record != nil {
				logs[i].Gen = br.Record.Generation
			}
			continue
		}
		// Failed, refused or in doubt: settle this leg alone.
		l, err := m.createLog(ctx, res.Legs[i].UKey, res.TxnID, bins[i])
		if err != nil {
			return nil, err
		}
		logs[i] = l
	}
	var duplicate error
	for _, l := range logs {
		if err := checkOwnLog(run, l, res.TxnID); err != nil {
			if errors.Is(err, ErrAborted) {
				return nil, err
			}
			duplicate = err
		}
	}
	if duplicate != nil {
		return nil, duplicate
	}
	return logs, nil
}

func putOps(b as.BinMap) []*as.Operation {
	ops := make([]*as.Operation, 0, len(b))
	for k, v := range b {
		ops = append(ops, as.PutOp(as.NewBin(k, v)))
	}
	return ops
}

// commitPoint flips the primary log from pending to committed, checked
// against the generation it was created with: if cleanup aborted the
// transaction first, the generation moved and the flip fails. An in-doubt
// flip is settled by reading the primary.
func (m *Manager) commitPoint(ctx context.Context, txnid, primary string, gen uint32) error {
	key, err := m.logKey(primary, txnid)
	if err != nil {
		return err
	}
	wp := m.cfg.writePolicy()
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	wp.Generation = gen
	wp.RecordExistsAction = as.UPDATE_ONLY
	var last error
	for i := 0; i < m.cfg.Retries; i++ {
		err := m.client.Put(wp, key, as.BinMap{LogStatus: string(StatusCommitted)})
		if err == nil {
			return nil
		}
		last = err
		if lock.HasCode(err, types.GENERATION_ERROR, types.KEY_NOT_FOUND_ERROR) || lock.IsInDoubt(err) {
			l, rerr := m.readLog(ctx, primary, txnid)
			if rerr != nil {
				return rerr
			}
			switch {
			case l == nil:
				return fmt.Errorf("%w: primary log vanished", ErrAborted)
			case l.Status == StatusCommitted:
				return nil
			case l.Status == StatusAborted:
				return fmt.Errorf("%w: aborted by cleanup", ErrAborted)
			case l.Gen != gen:
				return fmt.Errorf("%w: primary log changed", ErrAborted)
			}
			// Still pending at our generation: the write did not apply.
		} else if !lock.IsTransient(err) {
			return fmt.Errorf("commit %s: %w", txnid, err)
		}
		if err := m.cfg.Clock.Sleep(ctx, m.backoff.Delay(i)); err != nil {
			return err
		}
	}
	return fmt.Errorf("commit %s: %w", txnid, last)
}

// applyCommitted applies every leg of a committed transaction with its
// lock release, in one batch, and marks the secondary logs committed. Legs
// it cannot apply (lock lost, errors) keep their pending entries: cleanup
// rolls them forward. It returns the number of legs applied here.
func (m *Manager) applyCommitted(ctx context.Context, res *Result, locks []*lock.Lock) int {
	gp := func(gen uint32) *as.BatchWritePolicy {
		p := as.NewBatchWritePolicy()
		p.GenerationPolicy = as.EXPECT_GEN_EQUAL
		p.Generation = gen
		return p
	}
	var recs []as.BatchRecordIfc
	for i, lk := range locks {
		ops := lock.ReleaseOps(lk, as.AddOp(as.NewBin(BinBalance, res.Legs[i].Amt)))
		recs = append(recs, as.NewBatchWrite(gp(lk.Generation), lk.Key, ops...))
	}
	// Marking a secondary committed is always true from now on, whatever
	// happens to the account writes beside it.
	for _, leg := range res.Legs[1:] {
		if k, err := m.logKey(leg.UKey, res.TxnID); err == nil {
			recs = append(recs, as.NewBatchWrite(nil, k, as.PutOp(as.NewBin(LogStatus, string(StatusCommitted)))))
		}
	}
	berr := m.client.BatchOperate(m.cfg.batchPolicy(), recs)
	applied := 0
	for i, lk := range locks {
		br := recs[i].BatchRec()
		switch {
		case berr == nil && br.ResultCode == types.OK:
			m.locker.Released(lk)
			applied++
		case br.ResultCode == types.GENERATION_ERROR:
			// Lock lost: cleanup applies this leg.
		default:
			ok, err := m.locker.ResolveRelease(ctx, lk)
			if err == nil && !ok {
				// Not applied: apply it alone.
				_, err = m.locker.Release(ctx, lk, as.AddOp(as.NewBin(BinBalance, res.Legs[i].Amt)))
				ok = err == nil
			} else if ok {
				m.locker.Released(lk)
			}
			if ok {
				applied++
			}
		}
	}
	return applied
}

// abortTransfer decides the transaction aborted at its primary, then drops
// the pending entries. If the decision cannot be written, the entries stay
// and the outcome is left in doubt for cleanup.
func (m *Manager) abortTransfer(ctx context.Context, res *Result, run *runState, locks []*lock.Lock, cause error) (*Result, error) {
	st, err := m.abortAtPrimary(ctx, res.TxnID, res.Legs[0].UKey)
	switch {
	case err != nil:
		return res, fmt.Errorf("transaction %s: %w: %v (abort not recorded: %v)", res.TxnID, ErrInDoubt, cause, err)
	case st == StatusCommitted:
		// Committed after all: by this run (an in-doubt flip) only if the
		// primary carries our run id; otherwise by an earlier run of the
		// same txnid, whose legs are not ours to apply.
		p, err := m.readLog(ctx, res.Legs[0].UKey, res.TxnID)
		if err != nil || p == nil || p.Run != run.id {
			m.dropLocks(ctx, locks)
			return res, fmt.Errorf("transaction %s: %w: committed by an earlier run", res.TxnID, ErrDuplicate)
		}
		res.Committed = true
		res.Applied = m.applyCommitted(ctx, res, locks)
		return res, nil
	}
	m.dropLocks(ctx, locks)
	m.markLogs(ctx, res.TxnID, res.Legs[1:], StatusAborted)
	return res, fmt.Errorf("transaction %s: %w: %v", res.TxnID, ErrAborted, cause)
}

// markLogs sets the status of existing log records (best effort: the
// status of a decided transaction is only a shortcut for readers).
func (m *Manager) markLogs(_ context.Context, txnid string, legs []Leg, st Status) {
	if len(legs) == 0 {
		return
	}
	wp := as.NewBatchWritePolicy()
	wp.RecordExistsAction = as.UPDATE_ONLY
	var recs []as.BatchRecordIfc
	for _, leg := range legs {
		if k, err := m.logKey(leg.UKey, txnid); err == nil {
			recs = append(recs, as.NewBatchWrite(wp, k, as.PutOp(as.NewBin(LogStatus, string(st)))))
		}
	}
	_ = m.client.BatchOperate(m.cfg.batchPolicy(), recs)
}
