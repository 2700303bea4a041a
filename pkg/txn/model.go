package txn

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// Account bins (the prototype's names).
const (
	BinName    = "name"
	BinBalance = "bal"
)

// Log record bins. txnid, ukey and amt are the prototype's; the rest are
// what the protocol needs.
const (
	LogTxnID   = "txnid"
	LogUKey    = "ukey"
	LogAmount  = "amt"
	LogStatus  = "status"
	LogPrimary = "prim"  // ukey of the primary leg (the commit point)
	LogLegs    = "legs"  // "ukey=amt" of every leg, in canonical order
	LogTime    = "ts"    // creation time, epoch ms
	LogSet     = "set"   // the account set (the prototype wrote it too)
	LogRun     = "run"   // nonce of the Run call that wrote it: tells our write from an earlier run's
	IndexBin   = LogUKey // logs are found by ukey through a secondary index
)

// Status is the state of a log record.
type Status string

// Log statuses. A prototype log has no status and counts as committed.
const (
	StatusPending   Status = "pending"
	StatusCommitted Status = "committed"
	StatusAborted   Status = "aborted"
)

// Leg is one account's part of a transaction.
type Leg struct {
	UKey string `json:"ukey"`
	Amt  int64  `json:"amt"`
}

// LogKey is the key of a leg's log record.
func LogKey(ukey, txnid string) string { return lock.Entry(ukey, txnid) }

// LogSetName is the log set of an account set.
func LogSetName(set string) string { return set + "log" }

// IndexName is the name of the secondary index on the log set's ukey bin.
func IndexName(set string) string { return LogSetName(set) + "_ukey_idx" }

// canonical validates legs and returns them sorted by ukey: locks are taken
// in this order, so two transactions never wait on each other in a cycle.
func canonical(legs []Leg) ([]Leg, error) {
	if len(legs) == 0 {
		return nil, fmt.Errorf("a transaction needs at least one leg")
	}
	out := append([]Leg(nil), legs...)
	sort.Slice(out, func(i, j int) bool { return out[i].UKey < out[j].UKey })
	for i, l := range out {
		if l.UKey == "" {
			return nil, fmt.Errorf("leg %d has an empty ukey", i)
		}
		if i > 0 && out[i-1].UKey == l.UKey {
			return nil, fmt.Errorf("account %q appears in two legs", l.UKey)
		}
	}
	return out, nil
}

func formatLegs(legs []Leg) []any {
	out := make([]any, len(legs))
	for i, l := range legs {
		out[i] = l.UKey + "=" + strconv.FormatInt(l.Amt, 10)
	}
	return out
}

// parseLegs reads the legs bin of a log record.
func parseLegs(v any) ([]Leg, error) {
	l, _ := v.([]any)
	legs := make([]Leg, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		i := strings.LastIndexByte(s, '=')
		if i <= 0 {
			return nil, fmt.Errorf("malformed leg %q", s)
		}
		amt, err := strconv.ParseInt(s[i+1:], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("malformed leg %q: %w", s, err)
		}
		legs = append(legs, Leg{UKey: s[:i], Amt: amt})
	}
	return legs, nil
}

// LogRecord is a decoded log record.
type LogRecord struct {
	TxnID   string
	UKey    string
	Amt     int64
	Status  Status
	Primary string
	Legs    []Leg
	Time    int64
	Run     string
	Gen     uint32
}

// IsPrimary reports whether this log is its transaction's commit point.
func (l *LogRecord) IsPrimary() bool { return l.Primary == "" || l.Primary == l.UKey }

func decodeLog(rec *as.Record) (*LogRecord, error) {
	b := rec.Bins
	l := &LogRecord{Gen: rec.Generation}
	l.TxnID, _ = b[LogTxnID].(string)
	l.UKey, _ = b[LogUKey].(string)
	switch v := b[LogAmount].(type) {
	case int:
		l.Amt = int64(v)
	case int64:
		l.Amt = v
	case string: // the prototype stored amounts as strings
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("log %s:%s: amount %q: %w", l.UKey, l.TxnID, v, err)
		}
		l.Amt = n
	case nil:
	default:
		return nil, fmt.Errorf("log %s:%s: amount of type %T", l.UKey, l.TxnID, v)
	}
	s, _ := b[LogStatus].(string)
	l.Status = Status(s)
	if l.Status == "" {
		l.Status = StatusCommitted
	}
	l.Primary, _ = b[LogPrimary].(string)
	l.Run, _ = b[LogRun].(string)
	if b[LogLegs] != nil {
		legs, err := parseLegs(b[LogLegs])
		if err != nil {
			return nil, fmt.Errorf("log %s:%s: %w", l.UKey, l.TxnID, err)
		}
		l.Legs = legs
	}
	switch v := b[LogTime].(type) {
	case int:
		l.Time = int64(v)
	case int64:
		l.Time = v
	}
	return l, nil
}

// sortedBinNames returns the bin names of b in order, so that the same
// write always sends its operations in the same order.
func sortedBinNames(b as.BinMap) []string {
	names := make([]string, 0, len(b))
	for k := range b {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
