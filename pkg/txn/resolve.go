package txn

import (
	"context"
	"fmt"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// primaryOf reads the primary log of l (l itself, re-read, for a primary;
// nil when it does not exist).
func (m *Manager) primaryOf(ctx context.Context, l *LogRecord) (*LogRecord, error) {
	prim := l.Primary
	if prim == "" {
		prim = l.UKey
	}
	return m.readLog(ctx, prim, l.TxnID)
}

// fateOf decides l from its primary as stored now (Fate).
func (m *Manager) fateOf(ctx context.Context, l *LogRecord) (Decision, error) {
	if d := Fate(l, nil); d != Undecided || l.IsPrimary() {
		return d, nil
	}
	p, err := m.primaryOf(ctx, l)
	if err != nil {
		return Undecided, err
	}
	return Fate(l, p), nil
}

// abortRun makes sure the run that wrote the pending log l is decided and
// returns the decision: a pending primary of that run is flipped to
// aborted (generation-checked, so it cannot race the run's commit flip), a
// missing primary is created as an aborted tombstone (create-only, so the
// run can never create it). A primary of another run decides nothing about
// l's run but that it is aborted (Fate). Every step re-reads: whoever
// moved first decides.
func (m *Manager) abortRun(ctx context.Context, l *LogRecord) (Decision, error) {
	prim := l.Primary
	if prim == "" {
		prim = l.UKey
	}
	key, err := m.logKey(prim, l.TxnID)
	if err != nil {
		return Undecided, err
	}
	bo := m.backoffer(fmt.Sprintf("abort %s at %s", l.TxnID, prim))
	for {
		p, err := m.readLog(ctx, prim, l.TxnID)
		if err != nil {
			return Undecided, err
		}
		self := l
		if l.IsPrimary() {
			if p == nil {
				return Undecided, fmt.Errorf("log %s:%s vanished", l.UKey, l.TxnID)
			}
			self = p
		}
		if d := Fate(self, p); d != Undecided {
			return d, nil
		}
		var werr error
		switch abortStep(p) {
		case TombstonePrimary:
			werr = m.tombstone(key, prim, l.TxnID, prim)
		case FlipPrimary:
			wp := m.cfg.writePolicy()
			wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
			wp.Generation = p.Gen
			wp.FilterExpression = stillPending(p.Run)
			wp.RecordExistsAction = as.UPDATE_ONLY
			werr = m.client.Put(wp, key, as.BinMap{LogStatus: string(StatusAborted)})
		}
		switch lock.Classify(werr) {
		case lock.OK:
			return Aborted, nil
		case lock.Fatal:
			if !lock.HasCode(werr, types.KEY_NOT_FOUND_ERROR) {
				return Undecided, fmt.Errorf("abort %s at %s: %w", l.TxnID, prim, werr)
			}
		}
		// Someone moved first, or the write is in doubt: read again.
		if err := bo.Backoff(ctx, werr); err != nil {
			return Undecided, err
		}
	}
}

// decideEntry decides the run behind the pending entry ukey:txnid of an
// account whose lock the caller holds (so the run no longer does). It
// returns the decision and the leg's log (nil when rolled back without
// one). A run whose log is younger than minAge is left undecided. With
// dryRun nothing is written and an undecided run is reported as the abort
// cleanup would make it.
func (m *Manager) decideEntry(ctx context.Context, ukey, txnid string, minAge time.Duration, dryRun bool) (Decision, *LogRecord, error) {
	key, err := m.logKey(ukey, txnid)
	if err != nil {
		return Undecided, nil, err
	}
	bo := m.backoffer(fmt.Sprintf("decide %s:%s", ukey, txnid))
	var l *LogRecord
	for {
		l, err = m.readLog(ctx, ukey, txnid)
		if err != nil {
			return Undecided, nil, err
		}
		if l != nil {
			break
		}
		// No log: the entry's run never claimed this leg (a run claims
		// all its logs before it locks; this is a late acquire, or data
		// from before that rule). A tombstone makes sure it never can.
		if dryRun {
			return Aborted, nil, nil
		}
		werr := m.tombstone(key, ukey, txnid, "")
		if werr == nil {
			return Aborted, nil, nil
		}
		if lock.Classify(werr) == lock.Fatal {
			return Undecided, nil, fmt.Errorf("tombstone %s:%s: %w", ukey, txnid, werr)
		}
		if err := bo.Backoff(ctx, werr); err != nil {
			return Undecided, nil, err
		}
	}
	d, err := m.fateOf(ctx, l)
	if err != nil || d != Undecided {
		return d, l, err
	}
	if !oldEnough(l, m.cfg.Clock.Now(), minAge) {
		return Undecided, l, nil
	}
	if dryRun {
		return Aborted, l, nil
	}
	d, err = m.abortRun(ctx, l)
	return d, l, err
}
