// Package value is aerolite's in-memory value model: the Go values stored in
// bins and inside collection data types (CDTs), their server ordering
// (Compare), and their two encodings, wire particles (particle.go) and
// Aerospike's msgpack dialect (msgpack.go). The storage engine, the CDT
// operations and the expression interpreter all work on these values
// directly, without conversions.
//
// Values are plain Go values, one type per Aerospike particle type:
//
//	nil      NIL
//	int64    INTEGER
//	float64  FLOAT
//	string   STRING
//	[]byte   BLOB
//	bool     BOOL
//	*List    LIST
//	*Map     MAP
//	GeoJSON  GEOJSON
//
// Wildcard and Infinity appear only as operands of comparisons (value
// ranges, wildcard matches); they are never stored.
package value

import (
	"bytes"
	"cmp"
	"sort"
)

// GeoJSON is a GeoJSON particle; it is stored and returned, never interpreted.
type GeoJSON string

// Wildcard matches any value in CDT comparisons (msgpack ext type 0xff... in
// the client's encoding, see packWildCard).
type Wildcard struct{}

// Infinity is greater than every other value (packInfinity).
type Infinity struct{}

// List is a CDT list. Ordered lists keep Items sorted by Compare.
type List struct {
	Ordered bool
	Items   []any
}

// Map order flags, as sent by the client and stored with the map.
const (
	MapUnordered       = 0
	MapKeyOrdered      = 1
	MapKeyValueOrdered = 3
)

// MapEntry is one key/value pair of a Map.
type MapEntry struct {
	Key   any
	Value any
}

// Map is a CDT map. Entries are kept sorted by key (Compare) whatever the
// declared Order: the server answers index operations of unordered maps in
// key order too, and only Order decides how the map is reported to clients.
type Map struct {
	Order   int
	Entries []MapEntry
}

// Find returns the index of key in m, or (insertion index, false).
func (m *Map) Find(key any) (int, bool) {
	lo, hi := 0, len(m.Entries)
	for lo < hi {
		mid := (lo + hi) / 2
		c := Compare(m.Entries[mid].Key, key)
		if c == 0 {
			return mid, true
		}
		if c < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, false
}

// Get returns the value stored under key.
func (m *Map) Get(key any) (any, bool) {
	if i, ok := m.Find(key); ok {
		return m.Entries[i].Value, true
	}
	return nil, false
}

// Put inserts or replaces key.
func (m *Map) Put(key, value any) {
	i, ok := m.Find(key)
	if ok {
		m.Entries[i].Value = value
		return
	}
	m.Entries = append(m.Entries, MapEntry{})
	copy(m.Entries[i+1:], m.Entries[i:])
	m.Entries[i] = MapEntry{Key: key, Value: value}
}

// Remove deletes key and reports whether it was present.
func (m *Map) Remove(key any) bool {
	i, ok := m.Find(key)
	if ok {
		m.Entries = append(m.Entries[:i], m.Entries[i+1:]...)
	}
	return ok
}

// TypeRank orders values of different types the way the server's msgpack
// comparison does: NIL < BOOL < INT < STRING < LIST < MAP < BYTES < DOUBLE
// < GEOJSON < INF (wildcard compares equal to anything).
func TypeRank(v any) int {
	switch v.(type) {
	case nil:
		return 1
	case bool:
		return 2
	case int64:
		return 4
	case string:
		return 6
	case *List:
		return 7
	case *Map:
		return 8
	case []byte:
		return 9
	case float64:
		return 10
	case GeoJSON:
		return 11
	case Infinity:
		return 100
	}
	return 50
}

// Compare orders two values as the server does (-1, 0, 1).
func Compare(a, b any) int {
	if _, ok := a.(Wildcard); ok {
		return 0
	}
	if _, ok := b.(Wildcard); ok {
		return 0
	}
	ra, rb := TypeRank(a), TypeRank(b)
	if ra != rb {
		if ra < rb {
			return -1
		}
		return 1
	}
	switch x := a.(type) {
	case nil, Infinity:
		return 0
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case int64:
		return cmp.Compare(x, b.(int64))
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		return cmp.Compare(x, b.(string))
	case GeoJSON:
		return cmp.Compare(x, b.(GeoJSON))
	case []byte:
		return bytes.Compare(x, b.([]byte))
	case *List:
		y := b.(*List)
		n := min(len(x.Items), len(y.Items))
		for i := 0; i < n; i++ {
			// The server stops at a wildcard at any depth: equal, whatever
			// follows and whatever the lengths.
			if isWildcard(x.Items[i]) || isWildcard(y.Items[i]) {
				return 0
			}
			if c := Compare(x.Items[i], y.Items[i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(x.Items), len(y.Items))
	case *Map:
		y := b.(*Map)
		if c := cmp.Compare(len(x.Entries), len(y.Entries)); c != 0 {
			return c
		}
		for i := range x.Entries {
			if c := Compare(x.Entries[i].Key, y.Entries[i].Key); c != 0 {
				return c
			}
			if c := Compare(x.Entries[i].Value, y.Entries[i].Value); c != 0 {
				return c
			}
		}
		return 0
	}
	return 0
}

func isWildcard(v any) bool {
	_, ok := v.(Wildcard)
	return ok
}

// Equal reports whether two values are the same value (no wildcards).
func Equal(a, b any) bool {
	return TypeRank(a) == TypeRank(b) && Compare(a, b) == 0
}

// Clone deep-copies collection values so that a command can modify its copy
// and publish it atomically; scalars are immutable and returned as they are.
func Clone(v any) any {
	switch x := v.(type) {
	case *List:
		items := make([]any, len(x.Items))
		for i, it := range x.Items {
			items[i] = Clone(it)
		}
		return &List{Ordered: x.Ordered, Items: items}
	case *Map:
		entries := make([]MapEntry, len(x.Entries))
		for i, e := range x.Entries {
			entries[i] = MapEntry{Key: e.Key, Value: Clone(e.Value)}
		}
		return &Map{Order: x.Order, Entries: entries}
	case []byte:
		return append([]byte(nil), x...)
	}
	return v
}

// SortValues sorts values in server order (stable, for ordered lists).
func SortValues(items []any) {
	sort.SliceStable(items, func(i, j int) bool { return Compare(items[i], items[j]) < 0 })
}
