package aerolite

import (
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/exp"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/store"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
)

// The value model lives in internal/value, shared by the storage engine, the
// CDT operations and the expression interpreter; these are its public names.
// Values stored in bins and inside collection data types (CDTs) are plain Go
// values, one type per Aerospike particle type:
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

// GeoJSON is a GeoJSON particle; it is stored and returned, never interpreted.
type GeoJSON = value.GeoJSON

// Wildcard matches any value in CDT comparisons (msgpack ext type 0xff... in
// the client's encoding, see packWildCard).
type Wildcard = value.Wildcard

// Infinity is greater than every other value (packInfinity).
type Infinity = value.Infinity

// List is a CDT list. Ordered lists keep Items sorted by Compare.
type List = value.List

// MapEntry is one key/value pair of a Map.
type MapEntry = value.MapEntry

// Map is a CDT map. Entries are kept sorted by key (Compare) whatever the
// declared Order: the server answers index operations of unordered maps in
// key order too, and only Order decides how the map is reported to clients.
type Map = value.Map

// Map order flags, as sent by the client and stored with the map.
const (
	MapUnordered       = value.MapUnordered
	MapKeyOrdered      = value.MapKeyOrdered
	MapKeyValueOrdered = value.MapKeyValueOrdered
)

// Compare orders two values as the server does (-1, 0, 1).
func Compare(a, b any) int { return value.Compare(a, b) }

// Equal reports whether two values are the same value (no wildcards).
func Equal(a, b any) bool { return value.Equal(a, b) }

// Clone deep-copies collection values so that a command can modify its copy
// and publish it atomically; scalars are immutable and returned as they are.
func Clone(v any) any { return value.Clone(v) }

// Bin is one named value of a record.
type Bin = store.Bin

// Record is a stored record. Records are immutable once published: a command
// builds a new Record and swaps it in under the partition lock, so readers
// may keep using the one they got.
type Record = store.Record

// Expression is a parsed filter or operation expression (package
// internal/exp interprets them).
type Expression = exp.Expression
