package txn

import (
	"context"
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// logBins are the bins of a leg's log record as its run creates it.
func (m *Manager) logBins(run string, leg Leg, txnid string, legs []Leg) as.BinMap {
	b := as.BinMap{
		LogTxnID: txnid, LogUKey: leg.UKey, LogAmount: leg.Amt, LogStatus: string(StatusPending),
		LogPrimary: legs[0].UKey, LogTime: m.cfg.Clock.Now().UnixMilli(), LogSet: m.cfg.Set, LogRun: run,
		LogAccountPartition: m.accountPartition(leg.UKey),
	}
	if len(legs) > 1 {
		b[LogLegs] = formatLegs(legs)
	}
	return b
}

// readLog reads a log record; nil if it does not exist.
func (m *Manager) readLog(ctx context.Context, ukey, txnid string) (*LogRecord, error) {
	key, err := m.logKey(ukey, txnid)
	if err != nil {
		return nil, err
	}
	rec, err := m.get(ctx, key)
	if err != nil || rec == nil {
		if err != nil {
			err = fmt.Errorf("read log %s:%s: %w", ukey, txnid, err)
		}
		return nil, err
	}
	return decodeLog(rec)
}

// get reads a record (nil if it does not exist), retrying what failed
// without effect: reads are always safe to repeat.
func (m *Manager) get(ctx context.Context, key *as.Key, bins ...string) (*as.Record, error) {
	bo := m.backoffer("read")
	for {
		rec, err := m.client.Get(m.cfg.readPolicy(), key, bins...)
		if lock.HasCode(err, types.KEY_NOT_FOUND_ERROR) {
			return nil, nil
		}
		switch lock.Classify(err) {
		case lock.OK:
			return rec, nil
		case lock.Fatal, lock.Conflict:
			return nil, err
		}
		if err := bo.Backoff(ctx, err); err != nil {
			return nil, err
		}
	}
}

// createLog writes a log record with CREATE_ONLY, so that it can never
// overwrite another run's log or a tombstone left by cleanup. It returns
// the log as stored: ours, or the one that was there first. An in-doubt
// write is settled by reading, never by writing blindly.
func (m *Manager) createLog(ctx context.Context, ukey, txnid string, bins as.BinMap) (*LogRecord, error) {
	key, err := m.logKey(ukey, txnid)
	if err != nil {
		return nil, err
	}
	wp := m.cfg.writePolicy()
	wp.RecordExistsAction = as.CREATE_ONLY
	wp.SendKey = true
	bo := m.backoffer("create log")
	for {
		err := m.client.Put(wp, key, bins)
		switch lock.Classify(err) {
		case lock.OK:
			// Ours, as we wrote it, at generation 1: no need to read it back.
			return decodeLog(&as.Record{Bins: bins, Generation: 1})
		case lock.Conflict, lock.InDoubt:
			l, rerr := m.readLog(ctx, ukey, txnid)
			if rerr != nil {
				return nil, rerr
			}
			if l != nil {
				return l, nil
			}
			// In doubt and absent: not applied yet; a resend is create-only
			// too, so at most one of them applies.
		case lock.Fatal:
			return nil, fmt.Errorf("create log %s:%s: %w", ukey, txnid, err)
		}
		if err := bo.Backoff(ctx, err); err != nil {
			return nil, fmt.Errorf("create log %s:%s: %w", ukey, txnid, err)
		}
	}
}

// createLogs creates the logs of several legs in one batch (create-only)
// and fills logs with what is stored at each key; a leg whose batch result
// is not OK is settled alone with createLog. It returns the first error
// met settling a leg (that leg's log stays nil).
func (m *Manager) createLogs(ctx context.Context, txnid string, legs []Leg, bins []as.BinMap, logs []*LogRecord) error {
	wp := as.NewBatchWritePolicy()
	wp.RecordExistsAction = as.CREATE_ONLY
	wp.SendKey = true
	recs := make([]as.BatchRecordIfc, len(legs))
	for i, leg := range legs {
		k, err := m.logKey(leg.UKey, txnid)
		if err != nil {
			return err
		}
		recs[i] = as.NewBatchWrite(wp, k, putOps(bins[i])...)
	}
	berr := m.client.BatchOperate(m.cfg.batchPolicy(), recs)
	var first error
	for i, rec := range recs {
		br := rec.BatchRec()
		if berr == nil && br.ResultCode == types.OK {
			logs[i], _ = decodeLog(&as.Record{Bins: bins[i], Generation: 1})
			if br.Record != nil && br.Record.Generation != 0 {
				logs[i].Gen = br.Record.Generation
			}
			continue
		}
		l, err := m.createLog(ctx, legs[i].UKey, txnid, bins[i])
		if err != nil && first == nil {
			first = err
		}
		logs[i] = l
	}
	return first
}

func putOps(b as.BinMap) []*as.Operation {
	ops := make([]*as.Operation, 0, len(b))
	for _, k := range sortedBinNames(b) {
		ops = append(ops, as.PutOp(as.NewBin(k, b[k])))
	}
	return ops
}

// stillPending is the filter of every status write on a log: the log is
// still pending and was created by run. A log leaves pending once, so this
// fences a status write by itself, with no reliance on the generation
// (which a generation check adds anyway).
func stillPending(run string) *as.Expression {
	return as.ExpAnd(
		as.ExpEq(as.ExpStringBin(LogStatus), as.ExpStringVal(string(StatusPending))),
		as.ExpEq(as.ExpStringBin(LogRun), as.ExpStringVal(run)))
}

// statusWrite is a batch write recording st on log l, filtered on the
// log still being pending and l's run's (stillPending) and, when gen is
// not 0, checked against that generation.
func (m *Manager) statusWrite(l *LogRecord, st Status, gen uint32) (as.BatchRecordIfc, error) {
	k, err := m.logKey(l.UKey, l.TxnID)
	if err != nil {
		return nil, err
	}
	p := as.NewBatchWritePolicy()
	p.RecordExistsAction = as.UPDATE_ONLY
	p.FilterExpression = stillPending(l.Run)
	if gen != 0 {
		p.GenerationPolicy = as.EXPECT_GEN_EQUAL
		p.Generation = gen
	}
	return as.NewBatchWrite(p, k, as.PutOp(as.NewBin(LogStatus, string(st)))), nil
}

// markOwnLogs returns batch writes that record st on a run's own logs,
// each checked against the generation the run created it with and still
// pending: they apply only to a log still exactly as the run wrote it.
func (m *Manager) markOwnLogs(logs []*LogRecord, st Status) []as.BatchRecordIfc {
	var recs []as.BatchRecordIfc
	for _, l := range logs {
		if r, err := m.statusWrite(l, st, l.Gen); err == nil {
			recs = append(recs, r)
		}
	}
	return recs
}

// finalizeLogs records decisions on logs still pending, in one batch
// (best effort: a log left pending is decided again by the next sweep).
// Each write applies only to a log that is still pending and was written
// by the decided run: it copies a decision, never makes one. It returns
// how many logs it finalized.
func (m *Manager) finalizeLogs(logs []*LogRecord, decs []Decision) int {
	var recs []as.BatchRecordIfc
	for i, l := range logs {
		if l.Status != StatusPending || decs[i] == Undecided {
			continue
		}
		if r, err := m.statusWrite(l, decs[i].status(), 0); err == nil {
			recs = append(recs, r)
		}
	}
	if len(recs) == 0 {
		return 0
	}
	_ = m.client.BatchOperate(m.cfg.batchPolicy(), recs)
	n := 0
	for _, r := range recs {
		if r.BatchRec().ResultCode == types.OK {
			n++
		}
	}
	return n
}

// tombstone creates an aborted log record where none exists (create-only:
// the run that would have written it can then never create it).
func (m *Manager) tombstone(key *as.Key, ukey, txnid, primary string) error {
	wp := m.cfg.writePolicy()
	wp.RecordExistsAction = as.CREATE_ONLY
	wp.SendKey = true
	return m.client.Put(wp, key, as.BinMap{
		LogTxnID: txnid, LogUKey: ukey, LogAmount: 0, LogStatus: string(StatusAborted),
		LogPrimary: primary, LogTime: m.cfg.Clock.Now().UnixMilli(), LogSet: m.cfg.Set,
	})
}
