package sim

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/txn"
)

// The audit reads the account set and the log set with the raw client and
// checks them on its own terms: it shares no decision code with pkg/txn
// (no Reconcile, no decodeLog), only the names of bins.

// auditLog is a log record as stored.
type auditLog struct {
	key    string
	txnid  string
	ukey   string
	amt    int64
	status string // "" when the bin is absent
	// eff is the status the run's decision gives this log: its own when
	// decided, else (a secondary left pending) its primary's, if the
	// primary log is the same run's and decided or a cleanup tombstone;
	// else its own.
	eff     string
	prim    string
	legs    []string // the legs bin, "ukey=amt" each; nil when absent
	hasLegs bool
	run     string
}

func (l *auditLog) String() string {
	s := fmt.Sprintf("%s{status=%q amt=%d run=%q", l.key, l.status, l.amt, l.run)
	if l.eff != l.status {
		s += fmt.Sprintf(" (decided %s at its primary)", l.eff)
	}
	if l.prim != "" {
		s += " prim=" + l.prim
	}
	if l.hasLegs {
		s += " legs=" + strings.Join(l.legs, ",")
	}
	return s + "}"
}

// scan reads every record of a set, sorted by user key.
func (w *world) scan(set string) ([]*as.Record, error) {
	qp := as.NewQueryPolicy()
	qp.TotalTimeout, qp.SocketTimeout = realTimeout, realTimeout
	rs, err := w.raw.Query(qp, as.NewStatement(w.ns, set))
	if err != nil {
		return nil, fmt.Errorf("audit: scan %s: %w", set, err)
	}
	defer rs.Close()
	var out []*as.Record
	for res := range rs.Results() {
		if res.Err != nil {
			return nil, fmt.Errorf("audit: scan %s: %w", set, res.Err)
		}
		out = append(out, res.Record)
	}
	sort.Slice(out, func(i, j int) bool { return userKey(out[i]) < userKey(out[j]) })
	return out, nil
}

func userKey(r *as.Record) string {
	if r.Key != nil && r.Key.Value() != nil {
		return fmt.Sprint(r.Key.Value())
	}
	if r.Key != nil {
		return fmt.Sprintf("%x", r.Key.Digest())
	}
	return "?"
}

func intBin(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

type runKey struct{ txnid, run string }

// audit checks the final state and the outcomes the runs reported.
func (w *world) audit() error {
	accts, err := w.scan(w.set)
	if err != nil {
		return err
	}
	recs, err := w.scan(w.logSet)
	if err != nil {
		return err
	}
	var found []Violation
	bad := func(check, format string, args ...any) {
		found = append(found, Violation{Check: check, Detail: fmt.Sprintf(format, args...)})
	}

	// Logs.
	var logs []*auditLog
	for _, r := range recs {
		l := &auditLog{key: userKey(r)}
		b := r.Bins
		l.txnid, _ = b[txn.LogTxnID].(string)
		l.ukey, _ = b[txn.LogUKey].(string)
		l.status, _ = b[txn.LogStatus].(string)
		l.prim, _ = b[txn.LogPrimary].(string)
		l.run, _ = b[txn.LogRun].(string)
		if v, ok := b[txn.LogAmount]; ok {
			amt, ok := intBin(v)
			if !ok {
				bad("log-format", "%s: amt %v is not an integer", l.key, v)
			}
			l.amt = amt
		}
		if v, ok := b[txn.LogLegs]; ok && v != nil {
			l.hasLegs = true
			lst, _ := v.([]any)
			for _, x := range lst {
				s, _ := x.(string)
				l.legs = append(l.legs, s)
			}
		}
		if l.key != l.ukey+":"+l.txnid {
			bad("log-format", "log key %s does not match ukey %q and txnid %q", l.key, l.ukey, l.txnid)
		}
		logs = append(logs, l)
	}

	// A secondary's status is only a copy of its primary's decision (best
	// effort): the money checks below use the decision, so that a mark
	// left pending is reported once (log-undecided), not as a lost amount.
	byKey := map[string]*auditLog{}
	for _, l := range logs {
		byKey[l.key] = l
	}
	for _, l := range logs {
		l.eff = l.status
		if l.status == "committed" || l.status == "aborted" || l.prim == "" || l.prim == l.ukey {
			continue
		}
		p := byKey[l.prim+":"+l.txnid]
		switch {
		case p == nil:
		case p.run == l.run && (p.status == "committed" || p.status == "aborted"):
			l.eff = p.status
		case p.run == "" && p.status == "aborted":
			l.eff = "aborted" // cleanup's tombstone at the primary: no run of the txnid commits there
		}
	}

	for _, l := range logs {
		if l.status != "committed" && l.status != "aborted" {
			bad("log-undecided", "%s is %q after the final cleanup", l, l.status)
		}
	}

	// Accounts: no lock, no pending entry, balance = committed amounts.
	committed := map[string]int64{}
	for _, l := range logs {
		if l.eff == "committed" {
			committed[l.ukey] += l.amt
		}
	}
	var totalBal, totalCommitted int64
	seen := map[string]bool{}
	for _, r := range accts {
		u := userKey(r)
		seen[u] = true
		b := r.Bins
		if b["lck"] != nil || b["lckto"] != nil {
			bad("account-locked", "%s: lock left behind: lck=%v lckto=%v", u, b["lck"], b["lckto"])
		}
		if p, ok := b["ptxns"].([]any); ok && len(p) > 0 {
			bad("account-pending", "%s: pending entries left behind: %v", u, p)
		} else if b["ptxns"] != nil && !ok {
			bad("account-pending", "%s: ptxns is %T %v", u, b["ptxns"], b["ptxns"])
		}
		bal, ok := intBin(b[txn.BinBalance])
		if !ok {
			bad("account-balance", "%s: bal %v is not an integer", u, b[txn.BinBalance])
		}
		totalBal += bal
		if bal != committed[u] {
			var mine []string
			for _, l := range logs {
				if l.ukey == u && l.eff == "committed" {
					mine = append(mine, fmt.Sprintf("%s%+d", l.txnid, l.amt))
				}
			}
			bad("account-balance", "%s: bal=%d but its committed logs sum to %d (diff %+d; committed: %s)",
				u, bal, committed[u], bal-committed[u], strings.Join(mine, " "))
		}
	}
	var ukeys []string
	for u := range committed {
		ukeys = append(ukeys, u)
	}
	sort.Strings(ukeys)
	for _, u := range ukeys {
		totalCommitted += committed[u]
		if !seen[u] && committed[u] != 0 {
			bad("account-balance", "%s: no such account, yet its committed logs sum to %d", u, committed[u])
		}
	}
	if totalBal != totalCommitted {
		bad("total-balance", "balances sum to %d, committed amounts to %d (diff %+d)", totalBal, totalCommitted, totalBal-totalCommitted)
	}

	// All or nothing per run.
	groups := map[runKey][]*auditLog{}
	var order []runKey
	for _, l := range logs {
		k := runKey{l.txnid, l.run}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], l)
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].txnid != order[j].txnid {
			return order[i].txnid < order[j].txnid
		}
		return order[i].run < order[j].run
	})
	for _, k := range order {
		g := groups[k]
		if k.run == "" {
			// Tombstones (cleanup's aborts) carry no run.
			for _, l := range g {
				if l.status != "aborted" || l.amt != 0 {
					bad("run-atomicity", "%s has no run id but is not an aborted tombstone", l)
				}
			}
			continue
		}
		if err := checkGroup(g); err != "" {
			bad("run-atomicity", "txnid %s run %s: %s: %s", k.txnid, k.run, err, logsString(g))
		}
	}

	// The outcome each Run reported is true.
	w.mu.Lock()
	runs := append([]*runRecord(nil), w.runs...)
	w.mu.Unlock()
	for _, r := range runs {
		if !r.done || r.crashed || r.res == nil || r.res.RunID == "" {
			continue
		}
		g := groups[runKey{r.txnid, r.res.RunID}]
		what := fmt.Sprintf("%s run %s %s by %s", r.txnid, r.res.RunID, legsString(r.legs), r.actor)
		if r.rerunOf != "" {
			what += " (rerun)"
		}
		switch {
		case r.err == nil:
			if len(g) == 0 {
				bad("outcome-truth", "%s reported committed, but it has no log", what)
			} else if !allEffective(g, "committed") {
				bad("outcome-truth", "%s reported committed, but its logs are %s", what, logsString(g))
			}
		case errors.Is(r.err, txn.ErrInDoubt):
		case errors.Is(r.err, txn.ErrAborted), errors.Is(r.err, txn.ErrConflict),
			errors.Is(r.err, txn.ErrDuplicate), errors.Is(r.err, txn.ErrNoAccount):
			for _, l := range g {
				if l.eff == "committed" {
					bad("outcome-truth", "%s reported %s, but its logs are %s", what, txn.OutcomeOf(r.err), logsString(g))
					break
				}
			}
		}
	}
	for _, v := range found {
		w.violate(v.Check, v.Detail)
	}
	w.s.logf("audit", "%d accounts, %d logs, %d runs: %d violations", len(accts), len(logs), len(runs), len(found))
	return nil
}

// checkGroup checks the logs one run wrote: one status for all, and when
// committed, exactly one log per leg of the run's legs bin.
func checkGroup(g []*auditLog) string {
	for _, l := range g[1:] {
		if l.eff != g[0].eff {
			return "statuses differ"
		}
	}
	if g[0].eff != "committed" {
		return ""
	}
	if !g[0].hasLegs {
		if len(g) != 1 {
			return fmt.Sprintf("%d logs but no legs bin", len(g))
		}
		if g[0].prim != "" && g[0].prim != g[0].ukey {
			return "single-leg log names another primary"
		}
		return ""
	}
	want := map[string]int64{}
	for _, s := range g[0].legs {
		i := strings.LastIndexByte(s, '=')
		if i <= 0 {
			return fmt.Sprintf("malformed leg %q", s)
		}
		amt, err := strconv.ParseInt(s[i+1:], 10, 64)
		if err != nil {
			return fmt.Sprintf("malformed leg %q", s)
		}
		want[s[:i]] = amt
	}
	if len(g) != len(want) {
		return fmt.Sprintf("committed with %d logs for %d legs", len(g), len(want))
	}
	for _, l := range g {
		if strings.Join(l.legs, ",") != strings.Join(g[0].legs, ",") {
			return "logs disagree on the legs"
		}
		amt, ok := want[l.ukey]
		if !ok {
			return fmt.Sprintf("log on %s is not one of the legs", l.ukey)
		}
		if amt != l.amt {
			return fmt.Sprintf("log on %s has amt %d, its leg %d", l.ukey, l.amt, amt)
		}
	}
	return ""
}

func allEffective(g []*auditLog, st string) bool {
	for _, l := range g {
		if l.eff != st {
			return false
		}
	}
	return true
}

func logsString(g []*auditLog) string {
	parts := make([]string, len(g))
	for i, l := range g {
		parts[i] = l.String()
	}
	return strings.Join(parts, " ")
}
