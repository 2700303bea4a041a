package lock

import as "github.com/aerospike/aerospike-client-go/v7"

// callerBins keeps the results of the caller's own operations: every bin
// but those the lock operations wrote (ptxns only when an entry was
// appended; otherwise a read of it is the caller's).
func callerBins(bins as.BinMap, appended bool) map[string]any {
	out := make(map[string]any, len(bins))
	for k, v := range bins {
		if k == BinLock || k == BinDeadline || (appended && k == BinPending) {
			continue
		}
		out[k] = v
	}
	return out
}

// StringList returns the strings of a list bin value (others are skipped).
func StringList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		return int64(x), true
	}
	return 0, false
}
