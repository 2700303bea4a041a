package aerolite

import (
	"sort"
	"sync"
	"sync/atomic"
)

// sindex is a secondary index on one bin of one set. Like Aerospike's
// default collection type, it indexes only bin values of its own type
// (integers for NUMERIC, strings for STRING).
type sindex struct {
	Name    string
	Set     string
	Bin     string
	Numeric bool

	mu      sync.RWMutex
	entries map[any]map[[20]byte]struct{}
}

// sindexRegistry holds a namespace's secondary indexes.
type sindexRegistry struct {
	mu     sync.RWMutex
	byName map[string]*sindex
	n      atomic.Int32 // fast path: no indexes, nothing to maintain
}

func (s *sindex) indexable(v any) (any, bool) {
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
func (s *sindex) covers(r *Record) bool { return s.Set == "" || r.Set == s.Set }

func (s *sindex) add(d [20]byte, r *Record) {
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

func (s *sindex) remove(d [20]byte, r *Record) {
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

func (reg *sindexRegistry) get(name string) *sindex {
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	return reg.byName[name]
}

// find returns the index on set/bin, if any.
func (reg *sindexRegistry) find(set, bin string, numeric bool) *sindex {
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	for _, s := range reg.byName {
		if s.Set == set && s.Bin == bin && s.Numeric == numeric {
			return s
		}
	}
	return nil
}

// list returns the indexes sorted by name.
func (reg *sindexRegistry) list() []*sindex {
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	out := make([]*sindex, 0, len(reg.byName))
	for _, s := range reg.byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// createIndex registers an index and fills it from the stored records.
func (ns *namespace) createIndex(s *sindex) ResultCode {
	reg := &ns.sindex
	reg.mu.Lock()
	if reg.byName == nil {
		reg.byName = map[string]*sindex{}
	}
	if old := reg.byName[s.Name]; old != nil {
		reg.mu.Unlock()
		if old.Set == s.Set && old.Bin == s.Bin && old.Numeric == s.Numeric {
			return rcIndexFound
		}
		return rcIndexFound
	}
	for _, old := range reg.byName {
		if old.Set == s.Set && old.Bin == s.Bin && old.Numeric == s.Numeric {
			reg.mu.Unlock()
			return rcIndexFound
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
	return rcOK
}

func (ns *namespace) dropIndex(name string) ResultCode {
	reg := &ns.sindex
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.byName[name] == nil {
		return rcIndexNotFound
	}
	delete(reg.byName, name)
	reg.n.Add(-1)
	return rcOK
}

// lookup returns the digests whose indexed value lies in [lo, hi]
// (strings: lo == hi).
func (s *sindex) lookup(lo, hi any) [][20]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out [][20]byte
	if Equal(lo, hi) {
		for d := range s.entries[lo] {
			out = append(out, d)
		}
		return out
	}
	for k, set := range s.entries {
		if Compare(k, lo) >= 0 && Compare(k, hi) <= 0 {
			for d := range set {
				out = append(out, d)
			}
		}
	}
	return out
}
