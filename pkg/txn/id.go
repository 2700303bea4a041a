package txn

import "github.com/mxnlabs/mxn/pkg/lock"

// NewTxnID returns a random UUID (version 4), the prototype's txnid form.
func NewTxnID() string { return lock.RandomIDs{}.NewID() }

// newID returns a fresh id from the manager's id source.
func (m *Manager) newID() string { return m.cfg.IDs.NewID() }

// newRunID returns the nonce of one Run call (18 characters).
func (m *Manager) newRunID() string { return m.newID()[:18] }
