package txn

import (
	"context"
	"fmt"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

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

// backoffer returns the retry pacing of one protocol step.
func (m *Manager) backoffer(step string) *lock.Backoffer {
	return lock.NewBackoffer(step, m.cfg.Clock, m.backoff, m.cfg.Retries)
}

func (m *Manager) logKey(ukey, txnid string) (*as.Key, error) {
	k, err := as.NewKey(m.cfg.Namespace, LogSetName(m.cfg.Set), LogKey(ukey, txnid))
	if err != nil {
		return nil, fmt.Errorf("log key %s:%s: %w", ukey, txnid, err)
	}
	return k, nil
}

// Result describes a finished transaction.
type Result struct {
	TxnID string `json:"txnid"`
	Legs  []Leg  `json:"legs"`
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

// MaxTxnIDLen bounds a txnid: it is part of every log key, lock and
// pending entry, and a record must stay far below the server's size limit.
const MaxTxnIDLen = 128

// ValidateTxnID checks a txnid: non-empty, no ':', at most MaxTxnIDLen bytes.
func ValidateTxnID(txnid string) error {
	if err := lock.ValidateTxnID(txnid); err != nil {
		return err
	}
	if len(txnid) > MaxTxnIDLen {
		return fmt.Errorf("transaction id of %d bytes is longer than %d", len(txnid), MaxTxnIDLen)
	}
	return nil
}

// Run executes a transaction: one leg is a single-record debit or credit,
// several legs a transfer that ends all-or-nothing. txnid should be unique
// (NewTxnID) and must not contain ':'. A nil error means committed;
// otherwise the error is a *Error whose Outcome says whether anything can
// still be applied: only ErrInDoubt leaves the outcome to cleanup. Running
// a txnid again is safe: a run whose logs meet another run's is refused
// (ErrDuplicate) before it locks any account.
func (m *Manager) Run(ctx context.Context, txnid string, legs ...Leg) (*Result, error) {
	if err := ValidateTxnID(txnid); err != nil {
		return nil, err
	}
	legs, err := canonical(legs)
	if err != nil {
		return nil, fmt.Errorf("transaction %s: %w", txnid, err)
	}
	r := &runState{m: m, res: &Result{TxnID: txnid, Legs: legs}, id: m.newRunID()}
	r.res.RunID = r.id
	err = r.run(ctx)
	r.res.Outcome = OutcomeOf(err)
	r.res.Committed = r.res.Outcome.IsCommitted()
	if r.res.Outcome == OutcomeCommitted && r.res.Applied < len(legs) {
		r.res.Outcome = OutcomeCommittedUnapplied
	}
	return r.res, err
}
