package cdt

import (
	"cmp"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// Comparison and arithmetic on element values.

// cdtCompare orders values like Compare, plus the server's wildcard rule:
// the comparison stops as "equal" at the first wildcard met anywhere, even
// inside lists of different lengths (msgpack_cmp_internal). So [1, *]
// matches [1, 2, 3].
func cdtCompare(a, b any) int {
	c, _ := cdtCmpWild(a, b)
	return c
}

func cdtCmpWild(a, b any) (int, bool) {
	if _, ok := a.(value.Wildcard); ok {
		return 0, true
	}
	if _, ok := b.(value.Wildcard); ok {
		return 0, true
	}
	switch x := a.(type) {
	case *value.List:
		y, ok := b.(*value.List)
		if !ok {
			return value.Compare(a, b), false
		}
		n := min(len(x.Items), len(y.Items))
		for i := 0; i < n; i++ {
			if c, w := cdtCmpWild(x.Items[i], y.Items[i]); w || c != 0 {
				return c, w
			}
		}
		return cmp.Compare(len(x.Items), len(y.Items)), false
	case *value.Map:
		y, ok := b.(*value.Map)
		if !ok {
			return value.Compare(a, b), false
		}
		if c := cmp.Compare(len(x.Entries), len(y.Entries)); c != 0 {
			return c, false
		}
		for i := range x.Entries {
			if c, w := cdtCmpWild(x.Entries[i].Key, y.Entries[i].Key); w || c != 0 {
				return c, w
			}
			if c, w := cdtCmpWild(x.Entries[i].Value, y.Entries[i].Value); w || c != 0 {
				return c, w
			}
		}
		return 0, false
	}
	return value.Compare(a, b), false
}

// cdtNonStorage reports whether v holds a wildcard or infinity, which may be
// used in comparisons but never stored.
func cdtNonStorage(v any) bool {
	switch x := v.(type) {
	case value.Wildcard, value.Infinity, value.ExtHeader:
		return true
	case *value.List:
		for _, it := range x.Items {
			if cdtNonStorage(it) {
				return true
			}
		}
	case *value.Map:
		for _, e := range x.Entries {
			if cdtNonStorage(e.Key) || cdtNonStorage(e.Value) {
				return true
			}
		}
	}
	return false
}

// cdtIncrement adds delta (absent or nil meaning 1) to cur (absent meaning
// 0), with the server's typing: the stored value keeps its type, a new value
// takes the delta's type (cdt_calc_delta).
func cdtIncrement(cur any, hasCur bool, delta any, negate bool) (any, wire.ResultCode) {
	di, df, isFloat := int64(1), 1.0, false
	switch d := delta.(type) {
	case nil:
	case int64:
		di, df = d, float64(d)
	case float64:
		df, isFloat = d, true
	default:
		return nil, wire.ParameterError
	}
	if negate {
		di, df = -di, -df
	}
	if !hasCur {
		if isFloat {
			return df, wire.OK
		}
		return di, wire.OK
	}
	switch c := cur.(type) {
	case int64:
		if isFloat {
			return c + int64(df), wire.OK
		}
		return c + di, wire.OK
	case float64:
		if isFloat {
			return c + df, wire.OK
		}
		return c + float64(di), wire.OK
	}
	return nil, wire.ParameterError
}
