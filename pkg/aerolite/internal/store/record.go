package store

import "time"

// CitrusleafEpoch is Aerospike's epoch (2010-01-01T00:00:00Z), in Unix
// seconds: void times count from it.
const CitrusleafEpoch = 1262304000

// Bin is one named value of a record.
type Bin struct {
	Name  string
	Value any
}

// Record is a stored record. Records are immutable once published: a command
// builds a new Record and swaps it in under the partition lock, so readers
// may keep using the one they got.
type Record struct {
	Set        string
	Key        any      // user key stored with SendKey, nil otherwise
	Digest     [20]byte // RIPEMD-160 digest computed by the client
	Bins       []Bin    // in write order
	Generation uint32
	VoidTime   uint32 // expiry in seconds since CitrusleafEpoch; 0 = never
	LastUpdate int64  // nanoseconds since the Unix epoch
}

// Bin returns the value of the named bin.
func (r *Record) Bin(name string) (any, bool) {
	for i := range r.Bins {
		if r.Bins[i].Name == name {
			return r.Bins[i].Value, true
		}
	}
	return nil, false
}

// BinMap returns the record's bins as a Go map (for tests and inspection).
func (r *Record) BinMap() map[string]any {
	m := make(map[string]any, len(r.Bins))
	for _, b := range r.Bins {
		m[b.Name] = b.Value
	}
	return m
}

// Expired reports whether the record's void time has passed at now. An
// expired record is never visible, whether or not it has been reaped.
func (r *Record) Expired(now time.Time) bool {
	return r.VoidTime != 0 && int64(r.VoidTime)+CitrusleafEpoch <= now.Unix()
}
