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

// Manager runs transactions, cleanup and reconciliation over one account set.
type Manager struct {
	client  Client
	cfg     Config
	locker  *lock.Locker
	backoff *lock.Backoff
}

// NewManager returns a Manager using client.
func NewManager(client Client, cfg Config) *Manager {
	cfg = cfg.withDefaults()
	return &Manager{
		client:  client,
		cfg:     cfg,
		locker:  lock.New(client, cfg.Lock),
		backoff: lock.NewBackoff(time.Millisecond, 50*time.Millisecond, cfg.Seed+1),
	}
}

// Config returns the effective configuration.
func (m *Manager) Config() Config { return m.cfg }

// Locker returns the manager's locker (for its statistics).
func (m *Manager) Locker() *lock.Locker { return m.locker }

// Client returns the client the manager uses.
func (m *Manager) Client() Client { return m.client }

func (m *Manager) logKey(ukey, txnid string) (*as.Key, error) {
	k, err := as.NewKey(m.cfg.Namespace, LogSetName(m.cfg.Set), LogKey(ukey, txnid))
	if err != nil {
		return nil, fmt.Errorf("log key %s:%s: %w", ukey, txnid, err)
	}
	return k, nil
}

// Result describes a finished transaction.
type Result struct {
	TxnID     string `json:"txnid"`
	Legs      []Leg  `json:"legs"`
	// RunID is the nonce this run wrote into its logs (field run): it
	// tells this run's logs from another run's of the same txnid.
	RunID string `json:"run"`
	// Outcome is how the run ended; Committed is true for both committed
	// outcomes.
	Outcome   Outcome `json:"outcome"`
	Committed bool    `json:"committed"`
	// Applied counts the legs this call applied; a committed transaction
	// whose other legs could not be applied here is finished by cleanup.
	Applied int `json:"applied"`
}

// Run executes a transaction: one leg is a single-record debit or credit,
// several legs a transfer that ends all-or-nothing. txnid must be unique
// (a UUID) and must not contain ':'. A nil error means committed; ErrConflict
// and ErrAborted mean nothing was applied; ErrInDoubt means cleanup decides.
func (m *Manager) Run(ctx context.Context, txnid string, legs ...Leg) (*Result, error) {
	res, err := m.run(ctx, txnid, legs...)
	if res != nil {
		res.Outcome = OutcomeOf(err)
		if res.Outcome == OutcomeCommitted && res.Applied < len(res.Legs) {
			res.Outcome = OutcomeCommittedUnapplied
		}
	}
	return res, err
}

func (m *Manager) run(ctx context.Context, txnid string, legs ...Leg) (*Result, error) {
	if err := lock.ValidateTxnID(txnid); err != nil {
		return nil, err
	}
	legs, err := canonical(legs)
	if err != nil {
		return nil, fmt.Errorf("transaction %s: %w", txnid, err)
	}
	run := &runState{id: m.newRunID()}
	res := &Result{TxnID: txnid, Legs: legs, RunID: run.id}
	locks := make([]*lock.Lock, 0, len(legs))
	for _, leg := range legs {
		lk, err := m.locker.Acquire(ctx, leg.UKey, txnid)
		if err != nil {
			// Nothing is written yet: the transaction can never commit.
			// Drop our pending entries; any left behind (a failed release)
			// are rolled back by cleanup.
			m.dropLocks(ctx, locks)
			return res, classifyLockError(txnid, leg.UKey, err)
		}
		if lk.Reentered || lk.AlreadyPending {
			// An earlier run of this txnid holds this lock, or is still
			// pending here: its outcome is cleanup's to decide, not ours to
			// repeat. Its lock and entry are left as they are.
			m.dropLocks(ctx, locks)
			return res, fmt.Errorf("transaction %s: %w: an earlier run is pending on %s", txnid, ErrDuplicate, leg.UKey)
		}
		locks = append(locks, lk)
	}
	if len(legs) == 1 {
		return m.commitSingle(ctx, res, run, locks[0])
	}
	return m.commitTransfer(ctx, res, run, locks)
}

// runState is what one Run call knows about itself.
type runState struct {
	id string // written into its logs: a log with another run id is not ours
}

// checkOwnLog classifies a log found where this run wrote (or meant to
// write) one: ours, a cleanup tombstone (fenced), or an earlier run's.
func checkOwnLog(run *runState, l *LogRecord, txnid string) error {
	switch {
	case l.Run == run.id && l.TxnID == txnid:
		return nil
	case l.Status == StatusAborted:
		return fmt.Errorf("%w: log %s:%s is a tombstone (fenced by cleanup)", ErrAborted, l.UKey, txnid)
	}
	return fmt.Errorf("%w: log %s:%s was written by an earlier run (status %s)", ErrDuplicate, l.UKey, txnid, l.Status)
}

func classifyLockError(txnid, ukey string, err error) error {
	switch {
	case errors.Is(err, lock.ErrNoRecord):
		return fmt.Errorf("transaction %s: %w: %s", txnid, ErrNoAccount, ukey)
	case errors.Is(err, lock.ErrHeld), errors.Is(err, lock.ErrWaitTooLong):
		return fmt.Errorf("transaction %s: %w: %v", txnid, ErrConflict, err)
	}
	return fmt.Errorf("transaction %s: %w: %v", txnid, ErrAborted, err)
}

// dropLocks releases locks of a transaction that will not commit, removing
// its pending entries. Best effort: cleanup handles whatever is left.
func (m *Manager) dropLocks(ctx context.Context, locks []*lock.Lock) {
	for _, lk := range locks {
		_, _ = m.locker.Release(ctx, lk)
	}
}

// logBins are the bins of a leg's log record.
func (m *Manager) logBins(run *runState, leg Leg, txnid string, st Status, primary string, legs []Leg) as.BinMap {
	b := as.BinMap{
		LogTxnID: txnid, LogUKey: leg.UKey, LogAmount: leg.Amt, LogStatus: string(st),
		LogPrimary: primary, LogTime: m.cfg.Clock.Now().UnixMilli(), LogSet: m.cfg.Set, LogRun: run.id,
	}
	if len(legs) > 1 {
		b[LogLegs] = formatLegs(legs)
	}
	return b
}

// readLog reads a log record; nil if it does not exist. Reads are retried
// on transient errors.
func (m *Manager) readLog(ctx context.Context, ukey, txnid string) (*LogRecord, error) {
	key, err := m.logKey(ukey, txnid)
	if err != nil {
		return nil, err
	}
	var last error
	for i := 0; i < m.cfg.Retries; i++ {
		rec, err := m.client.Get(m.cfg.readPolicy(), key)
		if err == nil {
			return decodeLog(rec)
		}
		if lock.HasCode(err, types.KEY_NOT_FOUND_ERROR) {
			return nil, nil
		}
		if !lock.IsTransient(err) {
			return nil, fmt.Errorf("read log %s:%s: %w", ukey, txnid, err)
		}
		last = err
		if err := m.cfg.Clock.Sleep(ctx, m.backoff.Delay(i)); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("read log %s:%s: %w", ukey, txnid, last)
}

// createLog writes a log record with CREATE_ONLY, so that it can never
// overwrite a tombstone left by cleanup. It returns the log as stored:
// ours, or the one that was there first. An in-doubt write is settled by
// reading, never by writing blindly.
func (m *Manager) createLog(ctx context.Context, ukey, txnid string, bins as.BinMap) (*LogRecord, error) {
	key, err := m.logKey(ukey, txnid)
	if err != nil {
		return nil, err
	}
	wp := m.cfg.writePolicy()
	wp.RecordExistsAction = as.CREATE_ONLY
	wp.SendKey = true
	var last error
	for i := 0; i < m.cfg.Retries; i++ {
		err := m.client.Put(wp, key, bins)
		switch {
		case err == nil:
			// Ours, as we wrote it, at generation 1: no need to read it back.
			return decodeLog(&as.Record{Bins: bins, Generation: 1})
		case lock.HasCode(err, types.KEY_EXISTS_ERROR) || lock.IsInDoubt(err):
			l, rerr := m.readLog(ctx, ukey, txnid)
			if rerr != nil {
				return nil, rerr
			}
			if l != nil {
				return l, nil
			}
			// In doubt and absent: it did not apply; try again.
		case lock.IsBusy(err) || lock.IsTransient(err):
			// Not applied (refused or failed before sending).
		default:
			return nil, fmt.Errorf("create log %s:%s: %w", ukey, txnid, err)
		}
		last = err
		if err := m.cfg.Clock.Sleep(ctx, m.backoff.Delay(i)); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("create log %s:%s: %w", ukey, txnid, last)
}

// commitSingle finishes a one-leg transaction: its log, created directly
// as committed, is the commit point; the release applies the amount.
func (m *Manager) commitSingle(ctx context.Context, res *Result, run *runState, lk *lock.Lock) (*Result, error) {
	leg := res.Legs[0]
	l, err := m.createLog(ctx, leg.UKey, res.TxnID, m.logBins(run, leg, res.TxnID, StatusCommitted, leg.UKey, nil))
	if err != nil {
		// The log may or may not exist: cleanup decides from it.
		return res, fmt.Errorf("transaction %s: %w: %v", res.TxnID, ErrInDoubt, err)
	}
	if err := checkOwnLog(run, l, res.TxnID); err != nil {
		// A tombstone (cleanup fenced us) or an earlier run's log: drop
		// our entry, apply nothing.
		m.dropLocks(ctx, []*lock.Lock{lk})
		return res, fmt.Errorf("transaction %s: %w", res.TxnID, err)
	}
	res.Committed = true
	if _, err := m.locker.Release(ctx, lk, as.AddOp(as.NewBin(BinBalance, leg.Amt))); err == nil {
		res.Applied = 1
	}
	// A failed apply leaves the pending entry: cleanup rolls it forward.
	return res, nil
}
