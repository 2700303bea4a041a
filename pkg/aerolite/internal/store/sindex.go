package store

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
)

// Index is a secondary index on one bin of one set. Like Aerospike's
// default collection type, it indexes only bin values of its own type
// (integers for NUMERIC, strings for STRING).
type Index struct {
	Name    string
	Set     string // "" covers the whole namespace
	Bin     string
	Numeric bool

	mu      sync.RWMutex
	entries map[any]map[[20]byte]struct{}
}

// sindexRegistry holds a namespace's secondary indexes.
type sindexRegistry struct {
	mu     sync.RWMutex
	byName map[string]*Index
	n      atomic.Int32 // fast path: no indexes, nothing to maintain
}

func (s *Index) indexable(v any) (any, bool) {
	switch x := v.(type) {
	case int64:
		return x, s.Numeric
	case string:
		return x, !s.Numeric
	}
	return nil, false
}

// covers reports whether the index is on r's set: an index without a set
// covers the whole namespace.
func (s *Index) covers(r *Record) bool { return s.Set == "" || r.Set == s.Set }

func (s *Index) add(d [20]byte, r *Record) {
	if r == nil || !s.covers(r) {
		return
	}
	v, ok := r.Bin(s.Bin)
	if !ok {
		return
	}
	k, ok := s.indexable(v)
	if !ok {
		return
	}
	s.mu.Lock()
	set := s.entries[k]
	if set == nil {
		set = map[[20]byte]struct{}{}
		s.entries[k] = set
	}
	set[d] = struct{}{}
	s.mu.Unlock()
}

func (s *Index) remove(d [20]byte, r *Record) {
	if r == nil || !s.covers(r) {
		return
	}
	v, ok := r.Bin(s.Bin)
	if !ok {
		return
	}
	k, ok := s.indexable(v)
	if !ok {
		return
	}
	s.mu.Lock()
	if set := s.entries[k]; set != nil {
		delete(set, d)
		if len(set) == 0 {
			delete(s.entries, k)
		}
	}
	s.mu.Unlock()
}

// Entries returns the number of records the index holds.
func (s *Index) Entries() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, set := range s.entries {
		n += len(set)
	}
	return n
}

// update moves a record's index entries from old to rec.
func (reg *sindexRegistry) update(d [20]byte, old, rec *Record) {
	if reg.n.Load() == 0 {
		return
	}
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	for _, s := range reg.byName {
		s.remove(d, old)
		s.add(d, rec)
	}
}

// Index returns the index named name, or nil.
func (ns *Namespace) Index(name string) *Index {
	reg := &ns.sindex
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	return reg.byName[name]
}

// FindIndex returns the index on set/bin of the given type, or nil.
func (ns *Namespace) FindIndex(set, bin string, numeric bool) *Index {
	reg := &ns.sindex
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	for _, s := range reg.byName {
		if s.Set == set && s.Bin == bin && s.Numeric == numeric {
			return s
		}
	}
	return nil
}

// Indexes returns the namespace's indexes sorted by name.
func (ns *Namespace) Indexes() []*Index {
	reg := &ns.sindex
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	out := make([]*Index, 0, len(reg.byName))
	for _, s := range reg.byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// CreateIndex registers s (Name, Set, Bin and Numeric set, nothing else)
// and fills it from the stored records. It reports false, and registers
// nothing, when an index of that name or on the same set, bin and type
// exists.
func (ns *Namespace) CreateIndex(s *Index) bool {
	reg := &ns.sindex
	reg.mu.Lock()
	if reg.byName == nil {
		reg.byName = map[string]*Index{}
	}
	if reg.byName[s.Name] != nil {
		reg.mu.Unlock()
		return false
	}
	for _, old := range reg.byName {
		if old.Set == s.Set && old.Bin == s.Bin && old.Numeric == s.Numeric {
			reg.mu.Unlock()
			return false
		}
	}
	s.entries = map[any]map[[20]byte]struct{}{}
	reg.byName[s.Name] = s
	reg.n.Add(1)
	reg.mu.Unlock()
	// Records written from now on maintain the index themselves; fill in
	// the ones already stored, one partition at a time.
	for i := range ns.parts {
		p := &ns.parts[i]
		p.mu.RLock()
		for d, r := range p.recs {
			s.add(d, r)
		}
		p.mu.RUnlock()
	}
	return true
}

// DropIndex removes the index named name and reports whether there was one.
func (ns *Namespace) DropIndex(name string) bool {
	reg := &ns.sindex
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.byName[name] == nil {
		return false
	}
	delete(reg.byName, name)
	reg.n.Add(-1)
	return true
}

// lookup returns the digests whose indexed value lies in [lo, hi]
// (strings: lo == hi).
func (s *Index) lookup(lo, hi any) [][20]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out [][20]byte
	if value.Equal(lo, hi) {
		for d := range s.entries[lo] {
			out = append(out, d)
		}
		return out
	}
	for k, set := range s.entries {
		if value.Compare(k, lo) >= 0 && value.Compare(k, hi) <= 0 {
			for d := range set {
				out = append(out, d)
			}
		}
	}
	return out
}

// IndexMatches returns the live records whose bin indexed by ix holds a
// value in [lo, hi] (of lo's type), by partition, each partition's records
// in digest order.
func (ns *Namespace) IndexMatches(ix *Index, lo, hi any, now time.Time) map[int][]*Record {
	out := map[int][]*Record{}
	for _, d := range ix.lookup(lo, hi) {
		p := ns.Partition(d)
		p.mu.RLock()
		r := p.recs[d]
		p.mu.RUnlock()
		if r == nil || !ix.covers(r) {
			continue
		}
		if r.Expired(now) {
			continue
		}
		// Re-check the value: the index and the record are updated under
		// different locks.
		v, ok := r.Bin(ix.Bin)
		if !ok || value.TypeRank(v) != value.TypeRank(lo) || value.Compare(v, lo) < 0 || value.Compare(v, hi) > 0 {
			continue
		}
		pid := PartitionID(d)
		out[pid] = append(out[pid], r)
	}
	for _, recs := range out {
		sort.Slice(recs, func(i, j int) bool { return CompareDigest(recs[i].Digest, recs[j].Digest) < 0 })
	}
	return out
}
