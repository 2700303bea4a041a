package txn

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// HistoryOptions select what History lists.
type HistoryOptions struct {
	// Since lists only operations logged at or after it (zero: all). The
	// running balance still counts every earlier committed operation.
	Since time.Time
	// Limit lists at most the Limit latest operations (0: all).
	Limit int
	// All lists pending, undecided and aborted operations too; by default
	// only the committed ones, which make the balance.
	All bool
}

// HistoryEntry is one operation on an account: one log of it.
type HistoryEntry struct {
	TxnID string `json:"txnid"`
	// Time is when the log was written (its writer's clock); zero for
	// prototype logs, which carry none.
	Time   time.Time `json:"ts"`
	Amount int64     `json:"amt"`
	// Status is the run's decision as reconciliation counts it:
	// "committed" (in the balance), "pending" (its entry is on the
	// account: not applied yet), "undecided" (no entry, run not decided:
	// not applied) or "aborted".
	Status string `json:"status"`
	// Others are the other legs of its transfer (none for a
	// single-record transaction).
	Others []Leg `json:"others,omitempty"`
	// Running is the sum of the committed amounts up to and including
	// this one, in log order.
	Running int64 `json:"running"`
}

// History is an account's operations and whether they make its balance.
type History struct {
	UKey string `json:"ukey"`
	// Balance is the stored bal, read with the logs as of one moment
	// (the account locked briefly, as reconciliation does).
	Balance int64 `json:"bal"`
	// Committed is the sum of every committed amount (the last running
	// balance); Pending the sum of amounts whose entry is on the account.
	Committed int64 `json:"committed"`
	Pending   int64 `json:"pending"`
	// Balanced: Balance == Committed.
	Balanced bool `json:"balanced"`
	// Operations counts the account's logs; Entries lists those selected.
	Operations int            `json:"operations"`
	Entries    []HistoryEntry `json:"entries"`
}

// History lists the operations of account ukey in the order they were
// logged, each with its transaction's decision, the other legs of its
// transfer and the running balance of the committed ones, and says
// whether that total equals the stored balance. The balance and the logs
// are read as of one moment (the consistent reading of reconciliation:
// the account locked without an entry, its logs queried, a fenced
// release), so the verdict is reconciliation's.
func (m *Manager) History(ctx context.Context, ukey string, opts HistoryOptions) (*History, error) {
	if opts.Limit < 0 {
		return nil, fmt.Errorf("history of %s: limit %d is negative", ukey, opts.Limit)
	}
	r, err := m.consistentReading(ctx, ukey, m.reconcileDefaults(ReconcileOptions{}))
	if errors.Is(err, lock.ErrNoRecord) {
		return nil, fmt.Errorf("history of %s: no such account in %s.%s: %w", ukey, m.cfg.Namespace, m.cfg.Set, err)
	}
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", ukey, err)
	}
	// Log times are milliseconds: an operation of Since's millisecond counts.
	since := opts.Since.Truncate(time.Millisecond)
	h := &History{UKey: ukey, Balance: r.report.Balance, Pending: r.report.Pending, Operations: len(r.logs)}
	order := make([]int, len(r.logs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		la, lb := r.logs[order[a]], r.logs[order[b]]
		if la.Time != lb.Time {
			return la.Time < lb.Time
		}
		return la.TxnID < lb.TxnID
	})
	var all []HistoryEntry
	for _, i := range order {
		l := r.logs[i]
		e := HistoryEntry{TxnID: l.TxnID, Amount: l.Amt, Status: historyStatus(r.fates[i], r.pending[i]), Others: otherLegs(l)}
		if l.Time > 0 {
			e.Time = time.UnixMilli(l.Time).UTC()
		}
		if e.Status == "committed" {
			h.Committed += l.Amt
		}
		e.Running = h.Committed
		if (opts.All || e.Status == "committed") && (opts.Since.IsZero() || !e.Time.Before(since)) {
			all = append(all, e)
		}
	}
	if opts.Limit > 0 && len(all) > opts.Limit {
		all = all[len(all)-opts.Limit:]
	}
	h.Entries = all
	h.Balanced = h.Balance == h.Committed
	return h, nil
}

// historyStatus names what reconciliation does with a log (countLog).
func historyStatus(fate Decision, entryPending bool) string {
	switch {
	case entryPending:
		return "pending"
	case fate == Committed:
		return "committed"
	case fate == Aborted:
		return "aborted"
	}
	return "undecided"
}

// otherLegs are the legs of l's transfer other than its own.
func otherLegs(l *LogRecord) []Leg {
	var out []Leg
	for _, leg := range l.Legs {
		if leg.UKey != l.UKey {
			out = append(out, leg)
		}
	}
	return out
}
