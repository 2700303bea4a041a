package txn

import (
	"context"
	"fmt"
	"sort"

	as "github.com/aerospike/aerospike-client-go/v7"
)

// AuditReport is what the log set alone says of the accounts: each
// balance against the sum of its logs whose status is committed, with no
// primary look-ups and no pending entries. Once cleanup has finished it
// must agree with Reconcile on every account.
type AuditReport struct {
	Accounts  int      `json:"accounts"`
	Balanced  int      `json:"balanced"`
	Drifted   []string `json:"drifted"`
	Logs      int      `json:"logs"`
	Committed int      `json:"committed_logs"`
	// NonFinal counts logs whose status is neither committed nor aborted.
	NonFinal     int   `json:"non_final_logs"`
	TotalBalance int64 `json:"total_bal"`
	TotalLogged  int64 `json:"total_committed_amt"`
}

// OK reports every account balanced by its committed logs, no log left
// non-final, and the totals equal.
func (r *AuditReport) OK() bool {
	return len(r.Drifted) == 0 && r.NonFinal == 0 && r.TotalBalance == r.TotalLogged
}

// Audit reads the account set and the log set as an outside auditor
// would: it scans both (all partitions) and counts, per account, only the
// amounts of logs marked committed. It takes no locks: run it when no
// transaction is in flight, e.g. after cleanup.
func (m *Manager) Audit(ctx context.Context) (*AuditReport, error) {
	rep := &AuditReport{Drifted: []string{}}
	bals := map[string]int64{}
	err := m.scan(ctx, m.cfg.Set, AllPartitions, nil, []string{BinName, BinBalance}, func(rec *as.Record) error {
		b, _ := toInt64(rec.Bins[BinBalance])
		bals[accountUKey(rec)] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit accounts: %w", err)
	}
	logged := map[string]int64{}
	err = m.scan(ctx, LogSetName(m.cfg.Set), AllPartitions, nil, nil, func(rec *as.Record) error {
		l, err := decodeLog(rec)
		if err != nil {
			return err
		}
		rep.Logs++
		switch l.Status {
		case StatusCommitted:
			rep.Committed++
			logged[l.UKey] += l.Amt
		case StatusAborted:
		default:
			rep.NonFinal++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit logs: %w", err)
	}
	for u, b := range bals {
		rep.Accounts++
		rep.TotalBalance += b
		rep.TotalLogged += logged[u]
		if b == logged[u] {
			rep.Balanced++
		} else {
			rep.Drifted = append(rep.Drifted, u)
		}
	}
	for u, amt := range logged {
		if _, ok := bals[u]; !ok {
			rep.TotalLogged += amt // logs of a missing account: drift too
			rep.Drifted = append(rep.Drifted, u)
		}
	}
	sort.Strings(rep.Drifted)
	return rep, nil
}
