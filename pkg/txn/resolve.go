package txn

import (
	"context"
	"errors"
	"fmt"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/lock"
)

func errorsIsAborted(err error) bool { return errors.Is(err, ErrAborted) }

// Decision is the outcome of a transaction as far as one leg is concerned.
type Decision int

// Decisions.
const (
	// Undecided: too young to be decided by cleanup (or unknown).
	Undecided Decision = iota
	Committed
	Aborted
)

func (d Decision) String() string { return [...]string{"undecided", "committed", "aborted"}[d] }

// abortAtPrimary makes sure the transaction is decided and returns the
// decision written at its primary: a pending primary is flipped to aborted
// (generation-checked, so it cannot race a commit), a missing one is
// created as an aborted tombstone (create-only, so a late writer cannot
// create it afterwards).
func (m *Manager) abortAtPrimary(ctx context.Context, txnid, primary string) (Status, error) {
	key, err := m.logKey(primary, txnid)
	if err != nil {
		return "", err
	}
	for i := 0; i < m.cfg.Retries; i++ {
		l, err := m.readLog(ctx, primary, txnid)
		if err != nil {
			return "", err
		}
		var werr error
		switch {
		case l == nil:
			werr = m.tombstone(key, primary, txnid, primary)
		case l.Status == StatusCommitted || l.Status == StatusAborted:
			return l.Status, nil
		default:
			wp := m.cfg.writePolicy()
			wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
			wp.Generation = l.Gen
			wp.RecordExistsAction = as.UPDATE_ONLY
			werr = m.client.Put(wp, key, as.BinMap{LogStatus: string(StatusAborted)})
		}
		if werr == nil {
			return StatusAborted, nil
		}
		if !lock.HasCode(werr, types.GENERATION_ERROR, types.KEY_EXISTS_ERROR, types.KEY_NOT_FOUND_ERROR) &&
			!lock.IsInDoubt(werr) && !lock.IsTransient(werr) {
			return "", fmt.Errorf("abort %s at %s: %w", txnid, primary, werr)
		}
		// Someone moved first, or the write is in doubt: read again.
		if err := m.cfg.Clock.Sleep(ctx, m.backoff.Delay(i)); err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("abort %s at %s: gave up after %d tries", txnid, primary, m.cfg.Retries)
}

// tombstone creates an aborted log record where none exists.
func (m *Manager) tombstone(key *as.Key, ukey, txnid, primary string) error {
	wp := m.cfg.writePolicy()
	wp.RecordExistsAction = as.CREATE_ONLY
	wp.SendKey = true
	return m.client.Put(wp, key, as.BinMap{
		LogTxnID: txnid, LogUKey: ukey, LogAmount: 0, LogStatus: string(StatusAborted),
		LogPrimary: primary, LogTime: m.cfg.Clock.Now().UnixMilli(), LogSet: m.cfg.Set,
	})
}

// decideEntry decides the transaction behind the pending entry ukey:txnid
// (the caller holds ukey's lock, so the transaction no longer does). It
// returns the decision and the leg's log (nil when rolled back without one).
// Transactions younger than minAge are left undecided unless they can no
// longer commit anyway. With dryRun nothing is written and an undecided
// transaction is reported as the abort cleanup would make it.
func (m *Manager) decideEntry(ctx context.Context, ukey, txnid string, minAge time.Duration, dryRun bool) (Decision, *LogRecord, error) {
	key, err := m.logKey(ukey, txnid)
	if err != nil {
		return Undecided, nil, err
	}
	for i := 0; i < m.cfg.Retries; i++ {
		l, err := m.readLog(ctx, ukey, txnid)
		if err != nil {
			return Undecided, nil, err
		}
		if l == nil {
			// The transaction never wrote this leg's log; a tombstone makes
			// sure it never will, so it can never commit.
			if dryRun {
				return Aborted, nil, nil
			}
			werr := m.tombstone(key, ukey, txnid, "")
			if werr == nil {
				return Aborted, nil, nil
			}
			if !lock.HasCode(werr, types.KEY_EXISTS_ERROR) && !lock.IsInDoubt(werr) && !lock.IsTransient(werr) {
				return Undecided, nil, fmt.Errorf("tombstone %s:%s: %w", ukey, txnid, werr)
			}
			continue // written meanwhile, or in doubt: read again
		}
		switch l.Status {
		case StatusCommitted:
			return Committed, l, nil
		case StatusAborted:
			return Aborted, l, nil
		}
		if l.Time > 0 && m.cfg.Clock.Now().Sub(time.UnixMilli(l.Time)) < minAge {
			return Undecided, l, nil
		}
		primary := l.Primary
		if primary == "" {
			primary = ukey
		}
		if dryRun {
			p, err := m.readLog(ctx, primary, txnid)
			if err != nil {
				return Undecided, l, err
			}
			if p != nil && p.Status == StatusCommitted {
				return Committed, l, nil
			}
			return Aborted, l, nil
		}
		st, err := m.abortAtPrimary(ctx, txnid, primary)
		if err != nil {
			return Undecided, l, err
		}
		if st == StatusCommitted {
			return Committed, l, nil
		}
		return Aborted, l, nil
	}
	return Undecided, nil, fmt.Errorf("decide %s:%s: gave up after %d tries", ukey, txnid, m.cfg.Retries)
}

// primaryStatus returns the status recorded at a transaction's primary
// (cached per txnid by the caller); "" when the primary does not exist.
func (m *Manager) primaryStatus(ctx context.Context, l *LogRecord) (Status, error) {
	if l.IsPrimary() {
		return l.Status, nil
	}
	p, err := m.readLog(ctx, l.Primary, l.TxnID)
	if err != nil || p == nil {
		return "", err
	}
	return p.Status, nil
}
