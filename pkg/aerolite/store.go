package aerolite

import (
	"encoding/binary"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// nPartitions is Aerospike's fixed partition count.
const nPartitions = 4096

// partitionID is the partition a digest belongs to (as the client computes it).
func partitionID(d [20]byte) int {
	return int(binary.LittleEndian.Uint16(d[0:2]) & (nPartitions - 1))
}

// namespace holds the records of one namespace.
type namespace struct {
	name       string
	defaultTTL uint32 // seconds; 0 = never expire
	parts      [nPartitions]partition

	setsMu sync.Mutex
	sets   map[string]*setInfo

	sindex sindexRegistry
}

// setInfo keeps what info sets/<ns>/<set> reports.
type setInfo struct {
	objects atomic.Int64
}

// partition is one of the namespace's 4096 partitions. Its mutex makes each
// single-record command atomic, as the record lock does in Aerospike.
type partition struct {
	mu   sync.RWMutex
	recs map[[20]byte]*Record

	// queued counts the writes waiting on each record, for KEY_BUSY
	// (transaction-pending-limit).
	qmu    sync.Mutex
	queued map[[20]byte]int
}

func newNamespace(name string, defaultTTL uint32) *namespace {
	ns := &namespace{name: name, defaultTTL: defaultTTL, sets: map[string]*setInfo{}}
	for i := range ns.parts {
		ns.parts[i].recs = map[[20]byte]*Record{}
		ns.parts[i].queued = map[[20]byte]int{}
	}
	return ns
}

func (ns *namespace) set(name string) *setInfo {
	ns.setsMu.Lock()
	defer ns.setsMu.Unlock()
	s := ns.sets[name]
	if s == nil {
		s = &setInfo{}
		ns.sets[name] = s
	}
	return s
}

func (ns *namespace) partition(d [20]byte) *partition {
	return &ns.parts[partitionID(d)]
}

// get returns the live record with digest d, or nil.
func (ns *namespace) get(d [20]byte, now time.Time) *Record {
	p := ns.partition(d)
	p.mu.RLock()
	r := p.recs[d]
	p.mu.RUnlock()
	if r == nil || r.expired(now) {
		return nil
	}
	return r
}

// enqueue registers a writer on a record; false means the record already
// has limit writers queued (KEY_BUSY). limit <= 0 disables the check.
func (p *partition) enqueue(d [20]byte, limit int) bool {
	if limit <= 0 {
		return true
	}
	p.qmu.Lock()
	defer p.qmu.Unlock()
	n := p.queued[d]
	if n >= limit {
		return false
	}
	p.queued[d] = n + 1
	return true
}

func (p *partition) dequeue(d [20]byte, limit int) {
	if limit <= 0 {
		return
	}
	p.qmu.Lock()
	if n := p.queued[d]; n <= 1 {
		delete(p.queued, d)
	} else {
		p.queued[d] = n - 1
	}
	p.qmu.Unlock()
}

// publish replaces old with rec (either may be nil) in the partition, whose
// write lock the caller holds, and keeps set counts and indexes in step.
func (ns *namespace) publish(p *partition, d [20]byte, old, rec *Record) {
	if rec == nil {
		delete(p.recs, d)
	} else {
		p.recs[d] = rec
	}
	switch {
	case old == nil && rec != nil:
		ns.set(rec.Set).objects.Add(1)
	case old != nil && rec == nil:
		ns.set(old.Set).objects.Add(-1)
	case old != nil && rec != nil && old.Set != rec.Set:
		ns.set(old.Set).objects.Add(-1)
		ns.set(rec.Set).objects.Add(1)
	}
	ns.sindex.update(d, old, rec)
}

// removeExpired deletes a record found expired (lazily, like nsup).
func (ns *namespace) removeExpired(p *partition, d [20]byte, r *Record) {
	ns.publish(p, d, r, nil)
}

// truncate removes the set's records (every set when set is "") last
// updated at or before cutoff.
func (ns *namespace) truncate(set string, all bool, cutoff int64) {
	for i := range ns.parts {
		p := &ns.parts[i]
		p.mu.Lock()
		for d, r := range p.recs {
			if (all || r.Set == set) && r.LastUpdate <= cutoff {
				ns.publish(p, d, r, nil)
			}
		}
		p.mu.Unlock()
	}
}

// reap deletes expired records (the server's nsup thread).
func (ns *namespace) reap(now time.Time) {
	for i := range ns.parts {
		p := &ns.parts[i]
		p.mu.Lock()
		for d, r := range p.recs {
			if r.expired(now) {
				ns.publish(p, d, r, nil)
			}
		}
		p.mu.Unlock()
	}
}

// scanPartition returns the live records of partition pid in digest order,
// starting after the digest 'after' when it is set.
func (ns *namespace) scanPartition(pid int, after *[20]byte, now time.Time, keep func(*Record) bool) []*Record {
	p := &ns.parts[pid]
	p.mu.RLock()
	out := make([]*Record, 0, len(p.recs))
	for _, r := range p.recs {
		if r.expired(now) || !keep(r) {
			continue
		}
		if after != nil && compareDigest(r.Digest, *after) <= 0 {
			continue
		}
		out = append(out, r)
	}
	p.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return compareDigest(out[i].Digest, out[j].Digest) < 0 })
	return out
}

func compareDigest(a, b [20]byte) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// count returns the number of live records (for tests and inspection).
func (ns *namespace) count(now time.Time) int {
	n := 0
	for i := range ns.parts {
		p := &ns.parts[i]
		p.mu.RLock()
		for _, r := range p.recs {
			if !r.expired(now) {
				n++
			}
		}
		p.mu.RUnlock()
	}
	return n
}
