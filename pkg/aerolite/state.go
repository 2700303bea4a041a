package aerolite

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/aerospike/aerospike-client-go/v7/pkg/ripemd160"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/store"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// Direct access to the store, without a client, in the manner of
// miniredis: tests set records up, look at what the code under test left,
// and dump a namespace when something is off.
//
// Records are named by namespace, set and user key, and the digest is
// computed as the client computes it (see Digest). User keys may be a
// string, a []byte or an integer (int, int8-int64, uint8-uint32, and uint
// or uint64 up to math.MaxInt64), as for as.NewKey.
//
// Values read (Entry.Bins, Entry.Key) are copies in the Go types the client
// returns in Record.Bins on a 64-bit platform:
//
//	INTEGER  int
//	FLOAT    float64
//	STRING   string
//	BLOB     []byte ([N]byte as a map key, as the client does)
//	BOOL     bool
//	LIST     []any
//	MAP      map[any]any (whatever the map's order; the client returns
//	         []as.MapPair for key-ordered maps)
//	GEOJSON  aerolite.GeoJSON (the client's as.GeoJSONValue)
//
// so that an Entry's Bins equal (reflect.DeepEqual) the client's Record.Bins
// for the same record, unordered maps included. Values written (Put) may be
// any of those, any other Go integer or float type, slices and arrays (lists;
// []byte and [N]byte are blobs), maps, and aerolite's own *List and *Map;
// they are copied, so changing them afterwards does not change the store.

// Entry is a copy of one stored record, as Get and Scan return it.
type Entry struct {
	Namespace string
	Set       string
	// Key is the user key stored with the record (int, string or []byte):
	// direct writes always store it, the client only with
	// WritePolicy.SendKey. Nil when the record has none.
	Key        any
	Digest     [20]byte
	Bins       map[string]any
	Generation uint32
	// TTL is the time left to live on the server's clock, in whole seconds
	// like the client's Record.Expiration (which the client computes on
	// its own clock); 0 means the record never expires.
	TTL time.Duration
	// Expires is when the record expires; the zero Time means never.
	Expires    time.Time
	LastUpdate time.Time
}

// Digest returns the digest that the client computes for a user key in a
// set: RIPEMD-160 over the set name, the key's particle type (1 integer,
// 3 string, 4 blob) and the key's bytes (an integer as 8 bytes big-endian).
// It equals as.NewKey(ns, set, key).Digest().
func Digest(set string, key any) ([20]byte, error) {
	_, d, err := keyDigest(set, key)
	return d, err
}

// keyDigest normalizes a user key to its stored form and computes its digest.
func keyDigest(set string, key any) (any, [20]byte, error) {
	var d [20]byte
	var stored any
	var pt byte
	var data []byte
	switch k := key.(type) {
	case string:
		stored, pt, data = k, value.ParticleString, []byte(k)
	case []byte:
		b := append([]byte{}, k...)
		stored, pt, data = b, value.ParticleBlob, b
	default:
		n, ok := integerValue(key)
		if !ok {
			return nil, d, fmt.Errorf("aerolite: user key of type %T (want a string, []byte or integer)", key)
		}
		stored, pt, data = n, value.ParticleInteger, binary.BigEndian.AppendUint64(nil, uint64(n))
	}
	h := ripemd160.New()
	h.Write([]byte(set))
	h.Write([]byte{pt})
	h.Write(data)
	// Sum(nil) appends to nil in this package as in the standard library
	// (given a non-nil slice, the client's variant copies into it instead).
	copy(d[:], h.Sum(nil))
	return stored, d, nil
}

// locate finds the namespace and digest of a record.
func (s *Server) locate(namespace, set string, key any) (*store.Namespace, any, [20]byte, error) {
	ns := s.ns[namespace]
	if ns == nil {
		return nil, nil, [20]byte{}, fmt.Errorf("aerolite: no namespace %q", namespace)
	}
	k, d, err := keyDigest(set, key)
	if err != nil {
		return nil, nil, d, err
	}
	return ns, k, d, nil
}

// Get returns a copy of the live record of a user key, and whether there
// is one. An invalid namespace or key finds nothing.
func (s *Server) Get(namespace, set string, key any) (Entry, bool) {
	ns, _, d, err := s.locate(namespace, set, key)
	if err != nil {
		return Entry{}, false
	}
	now := s.now()
	r := ns.Get(d, now)
	if r == nil {
		return Entry{}, false
	}
	return entryOf(namespace, r, now), true
}

// GetDigest is Get by digest (20 bytes, as the client computes it), for a
// record whose user key is not known.
func (s *Server) GetDigest(namespace string, digest []byte) (Entry, bool) {
	ns := s.ns[namespace]
	if ns == nil || len(digest) != 20 {
		return Entry{}, false
	}
	var d [20]byte
	copy(d[:], digest)
	now := s.now()
	r := ns.Get(d, now)
	if r == nil {
		return Entry{}, false
	}
	return entryOf(namespace, r, now), true
}

// Exists reports whether a user key has a live record.
func (s *Server) Exists(namespace, set string, key any) bool {
	_, ok := s.Get(namespace, set, key)
	return ok
}

func entryOf(namespace string, r *Record, now time.Time) Entry {
	e := Entry{
		Namespace:  namespace,
		Set:        r.Set,
		Key:        clientValue(r.Key),
		Digest:     r.Digest,
		Bins:       make(map[string]any, len(r.Bins)),
		Generation: r.Generation,
		LastUpdate: time.Unix(0, r.LastUpdate),
	}
	for _, b := range r.Bins {
		e.Bins[b.Name] = clientValue(b.Value)
	}
	if r.VoidTime != 0 {
		void := int64(r.VoidTime) + store.CitrusleafEpoch
		e.Expires = time.Unix(void, 0)
		e.TTL = time.Duration(void-now.Unix()) * time.Second
	}
	return e
}

// Put writes bins to a user key's record as the client's Put with the
// default write policy does: bins are merged into an existing record (a nil
// value removes a bin, and a record left without bins is deleted), the
// generation goes up by one (wrapping from 65535 to 1), the last-update
// time is the server's now, and the TTL becomes the namespace's default-ttl
// (Options.DefaultTTL; never expire when 0). The user key is stored with
// the record, as with SendKey. Set counts and secondary indexes follow.
func (s *Server) Put(namespace, set string, key any, bins map[string]any) error {
	return s.write(namespace, set, key, bins, false)
}

// Replace is Put with RecordExistsAction REPLACE: the record's bins become
// exactly bins.
func (s *Server) Replace(namespace, set string, key any, bins map[string]any) error {
	return s.write(namespace, set, key, bins, true)
}

func (s *Server) write(namespace, set string, key any, bins map[string]any, replace bool) error {
	ns, k, d, err := s.locate(namespace, set, key)
	if err != nil {
		return err
	}
	if len(set) > 63 {
		return fmt.Errorf("aerolite: set name %q is longer than 63 bytes", set)
	}
	if len(bins) == 0 {
		return errors.New("aerolite: Put without bins")
	}
	names := make([]string, 0, len(bins))
	values := make(map[string]any, len(bins))
	for name, v := range bins {
		if name == "" || len(name) > wire.MaxBinName {
			return fmt.Errorf("aerolite: bin name %q is not 1-%d bytes (%s)", name, wire.MaxBinName, BinNameTooLong)
		}
		sv, err := storeValue(v)
		if err != nil {
			return fmt.Errorf("aerolite: bin %q: %w", name, err)
		}
		names = append(names, name)
		values[name] = sv
	}
	sort.Strings(names)

	p := ns.Partition(d)
	p.Lock()
	defer p.Unlock()
	now := s.now()
	old := p.Record(d)
	if old != nil && old.Expired(now) {
		ns.RemoveExpired(p, d, old)
		old = nil
	}
	var out []Bin
	if old != nil && !replace {
		out = append(out, old.Bins...)
	}
	for _, name := range names {
		v := values[name]
		i := 0
		for i < len(out) && out[i].Name != name {
			i++
		}
		switch {
		case i < len(out) && v == nil:
			out = append(out[:i], out[i+1:]...)
		case i < len(out):
			out[i].Value = v
		case v != nil:
			out = append(out, Bin{Name: name, Value: v})
		}
	}
	if len(out) == 0 {
		if old != nil {
			ns.Publish(p, d, old, nil)
		}
		return nil
	}
	var oldGen uint32
	if old != nil {
		oldGen = old.Generation
	}
	rec := &Record{
		Set:        set,
		Key:        k,
		Digest:     d,
		Bins:       out,
		Generation: nextGeneration(oldGen),
		LastUpdate: now.UnixNano(),
	}
	rec.VoidTime = s.voidTime(ns, ttlServerDefault, old, now)
	if recordSize(rec) > s.opts.MaxRecordSize {
		return fmt.Errorf("aerolite: record of about %d bytes exceeds %d (%s)", recordSize(rec), s.opts.MaxRecordSize, RecordTooBig)
	}
	ns.Publish(p, d, old, rec)
	return nil
}

// Delete removes a user key's record and reports whether it was there.
func (s *Server) Delete(namespace, set string, key any) bool {
	ns, _, d, err := s.locate(namespace, set, key)
	if err != nil {
		return false
	}
	p := ns.Partition(d)
	p.Lock()
	defer p.Unlock()
	old := p.Record(d)
	if old == nil {
		return false
	}
	ns.Publish(p, d, old, nil)
	return !old.Expired(s.now())
}

// Truncate removes every record of a set, or of the whole namespace when
// set is "" (as the truncate info command does, with no cut-off).
func (s *Server) Truncate(namespace, set string) error {
	ns := s.ns[namespace]
	if ns == nil {
		return fmt.Errorf("aerolite: no namespace %q", namespace)
	}
	ns.Truncate(set, set == "", math.MaxInt64)
	return nil
}

// KeyGeneration is Generation by user key.
func (s *Server) KeyGeneration(namespace, set string, key any) (uint32, bool) {
	e, ok := s.Get(namespace, set, key)
	return e.Generation, ok
}

// SetKeyGeneration is SetGeneration by user key.
func (s *Server) SetKeyGeneration(namespace, set string, key any, gen uint32) error {
	_, _, d, err := s.locate(namespace, set, key)
	if err != nil {
		return err
	}
	return s.SetGeneration(namespace, d[:], gen)
}

// TTL returns the time a user key's record has left to live (whole
// seconds; 0 when it never expires) and whether the record exists.
func (s *Server) TTL(namespace, set string, key any) (time.Duration, bool) {
	e, ok := s.Get(namespace, set, key)
	return e.TTL, ok
}

// SetTTL makes a user key's record expire ttl from the server's now
// (rounded up to whole seconds, as void times are), or never when ttl <= 0.
// Unlike the client's Touch it leaves the generation and the last-update
// time as they are.
func (s *Server) SetTTL(namespace, set string, key any, ttl time.Duration) error {
	ns, _, d, err := s.locate(namespace, set, key)
	if err != nil {
		return err
	}
	p := ns.Partition(d)
	p.Lock()
	defer p.Unlock()
	now := s.now()
	old := p.Record(d)
	if old == nil || old.Expired(now) {
		return fmt.Errorf("aerolite: record %s/%s/%v not found (%s)", namespace, set, key, KeyNotFound)
	}
	rec := *old // published records are immutable
	rec.VoidTime = 0
	if ttl > 0 {
		secs := int64((ttl + time.Second - 1) / time.Second)
		void := now.Unix() - store.CitrusleafEpoch + secs
		if void <= 0 || void > math.MaxUint32 {
			return fmt.Errorf("aerolite: TTL %v out of range", ttl)
		}
		rec.VoidTime = uint32(void)
	}
	ns.Publish(p, d, old, &rec)
	return nil
}

// Scan returns copies of the live records of a set, or of the whole
// namespace when set is "" (as a client scan does), sorted by set, then by
// user key (integers, then strings, then blobs; records without a stored
// key last, by digest). An unknown namespace has none.
func (s *Server) Scan(namespace, set string) []Entry {
	recs := s.records(namespace, set)
	if len(recs) == 0 {
		return nil
	}
	out := make([]Entry, len(recs))
	now := s.now()
	for i, r := range recs {
		out[i] = entryOf(namespace, r, now)
	}
	return out
}

// Keys returns the user keys stored in a set (the whole namespace when set
// is ""), in Scan's order. Records without a stored key are left out.
func (s *Server) Keys(namespace, set string) []any {
	var out []any
	for _, r := range s.records(namespace, set) {
		if r.Key != nil {
			out = append(out, clientValue(r.Key))
		}
	}
	return out
}

// records returns the live records of a set ("": all) in Scan's order.
func (s *Server) records(namespace, set string) []*Record {
	ns := s.ns[namespace]
	if ns == nil {
		return nil
	}
	out := ns.Collect(s.now(), func(r *Record) bool { return set == "" || r.Set == set })
	sort.Slice(out, func(i, j int) bool { return recordLess(out[i], out[j]) })
	return out
}

func recordLess(a, b *Record) bool {
	if a.Set != b.Set {
		return a.Set < b.Set
	}
	if (a.Key == nil) != (b.Key == nil) {
		return a.Key != nil
	}
	if a.Key != nil {
		if c := Compare(a.Key, b.Key); c != 0 {
			return c < 0
		}
	}
	return store.CompareDigest(a.Digest, b.Digest) < 0
}

// Dump returns the live records of a set (the whole namespace when set is
// "") as text, in Scan's order, one header line per record and one line per
// bin, bins sorted by name:
//
//	test/users "alice" gen=2 ttl=never
//	  age: 31
//	  tags: ["a", "b"]
//	test/users 42 gen=1 ttl=10s
//	  m: {"k": 1.5, 7: 0x0102}
//	test/users digest=5c4e...(40 hex digits) gen=1 ttl=never
//	  v: true
//
// The record's name is namespace/set (namespace alone for the null set)
// and its user key: strings quoted as in Go, integers in decimal, blobs as
// 0x and hex, or the digest when the key was not stored. Floats always show
// a point or an exponent, GeoJSON is geojson("..."), a missing TTL "never".
// The text depends only on the store and the server's time, so it can be
// compared with a golden string.
func (s *Server) Dump(namespace, set string) string {
	var b strings.Builder
	now := s.now()
	for _, r := range s.records(namespace, set) {
		b.WriteString(namespace)
		if r.Set != "" {
			b.WriteByte('/')
			b.WriteString(r.Set)
		}
		b.WriteByte(' ')
		if r.Key != nil {
			writeValue(&b, r.Key)
		} else {
			b.WriteString("digest=")
			b.WriteString(hex.EncodeToString(r.Digest[:]))
		}
		fmt.Fprintf(&b, " gen=%d ttl=", r.Generation)
		if r.VoidTime == 0 {
			b.WriteString("never")
		} else {
			b.WriteString((time.Duration(int64(r.VoidTime)+store.CitrusleafEpoch-now.Unix()) * time.Second).String())
		}
		b.WriteByte('\n')
		writeBins(&b, r.Bins)
	}
	return b.String()
}

// TB is the part of testing.TB that CheckGet and CheckNotFound use.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// CheckGet checks that a user key's record has exactly the bins want
// (values compared as stored, so 1 and int64(1), or []string{"a"} and
// []any{"a"}, are equal), reports a mismatch with t.Errorf and returns
// whether it matched.
func (s *Server) CheckGet(t TB, namespace, set string, key any, want map[string]any) bool {
	t.Helper()
	ns, _, d, err := s.locate(namespace, set, key)
	if err != nil {
		t.Errorf("%v", err)
		return false
	}
	var wantBins []Bin
	for name, v := range want {
		sv, err := storeValue(v)
		if err != nil {
			t.Errorf("aerolite: CheckGet: bin %q: %v", name, err)
			return false
		}
		if sv != nil {
			wantBins = append(wantBins, Bin{Name: name, Value: sv})
		}
	}
	r := ns.Get(d, s.now())
	if r == nil {
		t.Errorf("aerolite: %s/%s/%#v: record not found", namespace, set, key)
		return false
	}
	same := len(r.Bins) == len(wantBins)
	for _, b := range wantBins {
		got, ok := r.Bin(b.Name)
		same = same && ok && Equal(got, b.Value)
	}
	if !same {
		var g, w strings.Builder
		writeBins(&g, r.Bins)
		writeBins(&w, wantBins)
		t.Errorf("aerolite: %s/%s/%#v: bins\n%swant\n%s", namespace, set, key, g.String(), w.String())
	}
	return same
}

// CheckNotFound checks that a user key has no live record, reports one
// with t.Errorf and returns whether there was none.
func (s *Server) CheckNotFound(t TB, namespace, set string, key any) bool {
	t.Helper()
	ns, _, d, err := s.locate(namespace, set, key)
	if err != nil {
		t.Errorf("%v", err)
		return false
	}
	if r := ns.Get(d, s.now()); r != nil {
		var b strings.Builder
		writeBins(&b, r.Bins)
		t.Errorf("aerolite: %s/%s/%#v: record exists (gen %d)\n%s", namespace, set, key, r.Generation, b.String())
		return false
	}
	return true
}
