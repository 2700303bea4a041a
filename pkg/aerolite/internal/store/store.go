// Package store is aerolite's storage engine: namespaces of 4096
// partitions holding records, with per-set object counts, secondary
// indexes, expiry (expired records are invisible at once and removed by
// Reap, as the server's nsup does) and truncation.
//
// Records are immutable once published. A writer locks the record's
// partition, reads the current record (Partition.Record), builds the new one
// and swaps it in with Publish, which keeps set counts and indexes in step;
// readers may keep using the record they got. What a command does is the
// server's business: the store only holds and finds records.
package store

import (
	"encoding/binary"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// NumPartitions is Aerospike's fixed partition count.
const NumPartitions = 4096

// PartitionID is the partition a digest belongs to (as the client computes it).
func PartitionID(d [20]byte) int {
	return int(binary.LittleEndian.Uint16(d[0:2]) & (NumPartitions - 1))
}

// Namespace holds the records of one namespace.
type Namespace struct {
	name       string
	defaultTTL uint32 // seconds; 0 = never expire
	parts      [NumPartitions]Partition

	setsMu sync.Mutex
	sets   map[string]*setInfo

	sindex sindexRegistry
}

// setInfo keeps what info sets/<ns>/<set> reports.
type setInfo struct {
	objects atomic.Int64
}

// Partition is one of the namespace's 4096 partitions. Its lock makes each
// single-record command atomic, as the record lock does in Aerospike.
type Partition struct {
	mu   sync.RWMutex
	recs map[[20]byte]*Record

	// queued counts the writes waiting on each record, for KEY_BUSY
	// (transaction-pending-limit).
	qmu    sync.Mutex
	queued map[[20]byte]int
}

// NewNamespace returns an empty namespace whose records written with the
// server-default TTL live defaultTTL seconds (0: forever).
func NewNamespace(name string, defaultTTL uint32) *Namespace {
	ns := &Namespace{name: name, defaultTTL: defaultTTL, sets: map[string]*setInfo{}}
	for i := range ns.parts {
		ns.parts[i].recs = map[[20]byte]*Record{}
		ns.parts[i].queued = map[[20]byte]int{}
	}
	return ns
}

// DefaultTTL is the namespace's default-ttl in seconds (0: never expire).
func (ns *Namespace) DefaultTTL() uint32 { return ns.defaultTTL }

func (ns *Namespace) set(name string) *setInfo {
	ns.setsMu.Lock()
	defer ns.setsMu.Unlock()
	s := ns.sets[name]
	if s == nil {
		s = &setInfo{}
		ns.sets[name] = s
	}
	return s
}

// ForEachSet calls f with the name and object count of every set that has
// held records (the null set "" included), in no particular order. It holds
// the namespace's set lock meanwhile: f must not call back into ns.
func (ns *Namespace) ForEachSet(f func(name string, objects int64)) {
	ns.setsMu.Lock()
	defer ns.setsMu.Unlock()
	for name, si := range ns.sets {
		f(name, si.objects.Load())
	}
}

// Partition returns the partition of digest d.
func (ns *Namespace) Partition(d [20]byte) *Partition {
	return &ns.parts[PartitionID(d)]
}

// Get returns the live record with digest d, or nil.
func (ns *Namespace) Get(d [20]byte, now time.Time) *Record {
	p := ns.Partition(d)
	p.mu.RLock()
	r := p.recs[d]
	p.mu.RUnlock()
	if r == nil || r.Expired(now) {
		return nil
	}
	return r
}

// Lock takes the partition's write lock, which a writer holds from reading
// the current record to publishing the new one.
func (p *Partition) Lock() { p.mu.Lock() }

// Unlock releases the partition's write lock.
func (p *Partition) Unlock() { p.mu.Unlock() }

// Record returns the stored record with digest d, expired or not, or nil.
// The caller holds the partition's lock.
func (p *Partition) Record(d [20]byte) *Record { return p.recs[d] }

// Enqueue registers a writer on a record; false means the record already
// has limit writers queued (KEY_BUSY). limit <= 0 disables the check.
func (p *Partition) Enqueue(d [20]byte, limit int) bool {
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

// Dequeue unregisters a writer that Enqueue registered with the same limit.
func (p *Partition) Dequeue(d [20]byte, limit int) {
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

// Publish replaces old with rec (either may be nil) in the partition, whose
// write lock the caller holds, and keeps set counts and indexes in step.
func (ns *Namespace) Publish(p *Partition, d [20]byte, old, rec *Record) {
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

// RemoveExpired deletes a record found expired (lazily, like nsup); the
// caller holds the partition's write lock.
func (ns *Namespace) RemoveExpired(p *Partition, d [20]byte, r *Record) {
	ns.Publish(p, d, r, nil)
}

// Truncate removes the set's records (every set's when all is set) last
// updated at or before cutoff (nanoseconds since the Unix epoch).
func (ns *Namespace) Truncate(set string, all bool, cutoff int64) {
	for i := range ns.parts {
		p := &ns.parts[i]
		p.mu.Lock()
		for d, r := range p.recs {
			if (all || r.Set == set) && r.LastUpdate <= cutoff {
				ns.Publish(p, d, r, nil)
			}
		}
		p.mu.Unlock()
	}
}

// Reap deletes expired records (the server's nsup thread).
func (ns *Namespace) Reap(now time.Time) {
	for i := range ns.parts {
		p := &ns.parts[i]
		p.mu.Lock()
		for d, r := range p.recs {
			if r.Expired(now) {
				ns.Publish(p, d, r, nil)
			}
		}
		p.mu.Unlock()
	}
}

// ScanPartition returns the live records of partition pid that keep
// accepts, in digest order, starting after the digest 'after' when it is set.
func (ns *Namespace) ScanPartition(pid int, after *[20]byte, now time.Time, keep func(*Record) bool) []*Record {
	p := &ns.parts[pid]
	p.mu.RLock()
	out := make([]*Record, 0, len(p.recs))
	for _, r := range p.recs {
		if r.Expired(now) || !keep(r) {
			continue
		}
		if after != nil && CompareDigest(r.Digest, *after) <= 0 {
			continue
		}
		out = append(out, r)
	}
	p.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return CompareDigest(out[i].Digest, out[j].Digest) < 0 })
	return out
}

// Collect returns the live records of every partition that keep accepts,
// in no particular order.
func (ns *Namespace) Collect(now time.Time, keep func(*Record) bool) []*Record {
	var out []*Record
	for i := range ns.parts {
		p := &ns.parts[i]
		p.mu.RLock()
		for _, r := range p.recs {
			if keep(r) && !r.Expired(now) {
				out = append(out, r)
			}
		}
		p.mu.RUnlock()
	}
	return out
}

// CompareDigest orders digests bytewise (-1, 0, 1), as partition scans
// return records.
func CompareDigest(a, b [20]byte) int {
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

// Count returns the number of live records.
func (ns *Namespace) Count(now time.Time) int {
	n := 0
	for i := range ns.parts {
		p := &ns.parts[i]
		p.mu.RLock()
		for _, r := range p.recs {
			if !r.Expired(now) {
				n++
			}
		}
		p.mu.RUnlock()
	}
	return n
}
