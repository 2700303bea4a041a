package groupcommit

import (
	"slices"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

type callKind uint8

const (
	kindGet callKind = iota
	kindOperate
	kindPut
	kindBatch
)

// call is one caller's call, queued.
type call struct {
	kind callKind
	// The caller's arguments, as given (nil policies included), to send
	// the call alone.
	key    *as.Key
	bp     *as.BasePolicy
	wp     *as.WritePolicy
	bpol   *as.BatchPolicy
	bins   []string
	ops    []*as.Operation
	binMap as.BinMap
	// recs are the records this call adds to a batch: the one built for a
	// single-record call, or the caller's own.
	recs []as.BatchRecordIfc
	// write: a single-record call that writes. respondAll: its single
	// call would ask for one result per op.
	write, respondAll bool
	// keys are the records' keys; key1 holds a single record's, so
	// that keys need not be allocated.
	keys     []recKey
	key1     [1]recKey
	deadline time.Time

	// Results, and the signal: one value on wake when the call is
	// finished or, with lead set, when its caller must send lead.
	rec  *as.Record
	err  as.Error
	wake chan struct{}
	lead *batch
}

// recKey identifies a record.
type recKey struct {
	ns     string
	digest [20]byte
}

func keyOf(k *as.Key) recKey {
	r := recKey{ns: k.Namespace()}
	copy(r.digest[:], k.Digest())
	return r
}

// laneKey is everything of a call's policy that a batch command carries
// for all its records: calls are batched only with calls that agree on it.
type laneKey struct {
	readModeAP                   as.ReadModeAP
	readModeSC                   as.ReadModeSC
	totalTimeout, socketTimeout  time.Duration
	sleepBetweenRetries          time.Duration
	sleepMultiplier              float64
	maxRetries                   int
	readTouchTTLPercent          int32
	exitFast, compress           bool
	replica                      as.ReplicaPolicy
	concurrentNodes              int
	allowInline, allowInlineSSD  bool
	respondAllKeys, allowPartial bool
}

func laneKeyOf(p *as.BasePolicy, b *as.BatchPolicy) laneKey {
	k := laneKey{
		readModeAP: p.ReadModeAP, readModeSC: p.ReadModeSC,
		totalTimeout: p.TotalTimeout, socketTimeout: p.SocketTimeout,
		sleepBetweenRetries: p.SleepBetweenRetries, sleepMultiplier: p.SleepMultiplier,
		maxRetries: p.MaxRetries, readTouchTTLPercent: p.ReadTouchTTLPercent,
		exitFast: p.ExitFastOnExhaustedConnectionPool, compress: p.UseCompression, replica: p.ReplicaPolicy,
		// a single call's batch: as.NewBatchPolicy's batch fields
		concurrentNodes: 1, allowInline: true, respondAllKeys: true,
	}
	if b != nil {
		k.concurrentNodes, k.allowInline, k.allowInlineSSD = b.ConcurrentNodes, b.AllowInline, b.AllowInlineSSD
		k.respondAllKeys, k.allowPartial = b.RespondAllKeys, b.AllowPartialResults
	}
	return k
}

// lane queues the calls of one laneKey.
type lane struct {
	key      laneKey
	policy   as.BatchPolicy // of its batch commands
	queue    []*call
	inflight int
}

// maxIdleLanes is the number of lanes kept when idle.
const maxIdleLanes = 16

// batch is a set of calls sent in one command.
type batch struct {
	lane    *lane
	calls   []*call
	records int
}

// do queues k in the lane of its policies (p the base policy, b the
// caller's batch policy if any) and returns when k has its result, having
// sent the batches handed to it on the way.
func (c *Client) do(k *call, p *as.BasePolicy, b *as.BatchPolicy) {
	if k.key != nil {
		k.key1[0] = keyOf(k.key)
		k.keys = k.key1[:]
	} else {
		k.keys = make([]recKey, len(k.recs))
		for i, r := range k.recs {
			k.keys[i] = keyOf(r.BatchRec().Key)
		}
	}
	now := time.Now()
	k.deadline = deadline(p, now)
	k.wake = make(chan struct{}, 1)
	lk := laneKeyOf(p, b)

	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		k.err = closedErr()
		return
	}
	l := c.lanes[lk]
	if l == nil {
		l = &lane{key: lk, policy: *as.NewBatchPolicy()}
		l.policy.BasePolicy = *p
		// Per-record fields travel in each record's own policy; the
		// batch-level ones would apply to every record without one.
		l.policy.FilterExpression, l.policy.SendKey = nil, false
		if b != nil {
			l.policy.ConcurrentNodes, l.policy.AllowInline, l.policy.AllowInlineSSD = b.ConcurrentNodes, b.AllowInline, b.AllowInlineSSD
			l.policy.AllowPartialResults = b.AllowPartialResults
		}
		l.policy.RespondAllKeys = true
		c.lanes[lk] = l
	}
	l.queue = append(l.queue, k)
	start, expired := c.formLocked(l, now)
	c.mu.Unlock()
	c.dispatch(start, expired)

	<-k.wake
	if b := k.lead; b != nil {
		k.lead = nil
		c.send(b)
	}
}

// formLocked forms the batches that l may send now: while fewer than
// MaxInFlight are in flight and calls are queued. Calls whose deadline
// has passed are taken out and returned to be failed.
func (c *Client) formLocked(l *lane, now time.Time) (start []*batch, expired []*call) {
	for l.inflight < c.opts.MaxInFlight && len(l.queue) > 0 && !c.closed.Load() {
		b, exp := c.take(l, now)
		expired = append(expired, exp...)
		if b == nil {
			continue // every call taken had expired
		}
		l.inflight++
		c.running.Add(1)
		start = append(start, b)
	}
	return start, expired
}

// take forms one batch from the head of l's queue, in order, up to
// MaxBatch records. A call on a key already in the batch is held (left
// queued, its keys reserved, so that later calls on them do not overtake
// it); the first call that does not fit ends the batch.
func (c *Client) take(l *lane, now time.Time) (*batch, []*call) {
	var b *batch
	var expired []*call
	var ks keySet
	q := l.queue
	rest := q[:0] // compacted in place: rest never passes the call read
	for i, k := range q {
		if !k.deadline.IsZero() && now.After(k.deadline) {
			expired = append(expired, k)
			continue
		}
		conflict := false
		for _, key := range k.keys {
			if ks.has(key) {
				conflict = true
				break
			}
		}
		n := len(k.recs)
		if !conflict && b != nil && b.records+n > c.opts.MaxBatch {
			rest = append(rest, q[i:]...)
			break
		}
		if len(q) > 1 {
			for _, key := range k.keys {
				ks.add(key)
			}
		}
		if conflict {
			c.held.Add(1)
			rest = append(rest, k)
			continue
		}
		if b == nil {
			b = &batch{lane: l}
		}
		b.calls = append(b.calls, k)
		b.records += n
	}
	clear(q[len(rest):]) // drop the references of the calls taken out
	l.queue = rest
	return b, expired
}

// keySet is a set of record keys: a slice while small (a batch usually
// is), a map beyond.
type keySet struct {
	list []recKey
	m    map[recKey]struct{}
}

const keySetSmall = 32

func (s *keySet) has(k recKey) bool {
	if s.m != nil {
		_, ok := s.m[k]
		return ok
	}
	return slices.Contains(s.list, k)
}

func (s *keySet) add(k recKey) {
	switch {
	case s.m != nil:
		s.m[k] = struct{}{}
	case len(s.list) < keySetSmall:
		s.list = append(s.list, k)
	default:
		s.m = make(map[recKey]struct{}, 2*keySetSmall)
		for _, x := range s.list {
			s.m[x] = struct{}{}
		}
		s.m[k] = struct{}{}
	}
}

// dispatch hands each batch to its first caller, to send, and fails the
// expired calls.
func (c *Client) dispatch(start []*batch, expired []*call) {
	for _, k := range expired {
		c.expired.Add(1)
		k.err = expiredErr()
		k.wake <- struct{}{}
	}
	for _, b := range start {
		lead := b.calls[0]
		lead.lead = b
		lead.wake <- struct{}{}
	}
}

// send sends b (its first call's caller runs it), starts the lane's next
// batches and hands every other caller its result.
func (c *Client) send(b *batch) {
	if c.beforeSend != nil {
		c.beforeSend(len(b.calls))
	}
	if len(b.calls) == 1 && (b.calls[0].kind == kindBatch || !c.opts.BatchOfOne && c.padKey == nil) {
		c.singles.Add(1)
		c.sendAlone(b.calls[0])
	} else {
		c.sendBatch(b)
	}
	c.mu.Lock()
	l := b.lane
	l.inflight--
	start, expired := c.formLocked(l, time.Now())
	if l.inflight == 0 && len(l.queue) == 0 && len(c.lanes) > maxIdleLanes {
		delete(c.lanes, l.key) // callers with ever new policies must not grow the map forever
	}
	c.mu.Unlock()
	c.dispatch(start, expired)
	for _, k := range b.calls[1:] {
		k.wake <- struct{}{}
	}
	c.running.Done()
}

// sendAlone makes the caller's own call.
func (c *Client) sendAlone(k *call) {
	switch k.kind {
	case kindGet:
		k.rec, k.err = c.next.Get(k.bp, k.key, k.bins...)
	case kindOperate:
		k.rec, k.err = c.next.Operate(k.wp, k.key, k.ops...)
	case kindPut:
		k.err = c.next.Put(k.wp, k.key, k.binMap)
	case kindBatch:
		k.err = c.next.BatchOperate(k.bpol, k.recs)
	}
}

// isWrite reports a record that may change data.
func isWrite(r as.BatchRecordIfc) bool {
	_, read := r.(*as.BatchRead)
	return !read
}

// sendBatch sends the records of b's calls in one BatchOperate, reads
// first: the client takes a batch for a read command (and does not mark
// its errors in doubt) when its last record is a read.
func (c *Client) sendBatch(b *batch) {
	merged := make([]as.BatchRecordIfc, 0, b.records+1)
	for _, k := range b.calls {
		for _, r := range k.recs {
			if !isWrite(r) {
				merged = append(merged, r)
			}
		}
	}
	if c.padKey != nil && b.records == 1 {
		merged = append(merged, as.NewBatchRead(as.NewBatchReadPolicy(), c.padKey, nil))
	}
	for _, k := range b.calls {
		for _, r := range k.recs {
			if isWrite(r) {
				merged = append(merged, r)
			}
		}
	}
	bp := b.lane.policy
	err := c.next.BatchOperate(&bp, merged)
	if len(b.calls) == 1 {
		c.singles.Add(1) // BatchOfOne, or padded by a test
	} else {
		c.batches.Add(1)
		c.batchedCalls.Add(int64(len(b.calls)))
		c.batchedRecords.Add(int64(len(merged)))
	}
	if err != nil && refused(err, merged) {
		// Refused as a whole, nothing applied: each call alone gets the
		// answer its own call gets (one bad record must not fail the rest).
		c.fallbacks.Add(1)
		for _, k := range b.calls {
			c.sendAlone(k)
		}
		return
	}
	for _, k := range b.calls {
		settle(k, err)
	}
}

// refused reports a batch that failed before anything was applied: not
// possibly sent, a positive result code (the client's refusal to encode
// it, or the server's answer for the whole command), and no record
// answered. A negative code not in doubt (nothing sent, e.g. no
// connection) is not: sending again one by one would not help.
func refused(err as.Error, recs []as.BatchRecordIfc) bool {
	if maySent(err) || codeOf(err) <= 0 {
		return false
	}
	for _, r := range recs {
		if answered(r.BatchRec()) {
			return false
		}
	}
	return true
}

// settle gives k its result from its records after the batch returned err.
func settle(k *call, err as.Error) {
	if k.kind == kindBatch {
		settleBatch(k, err)
		return
	}
	br := k.recs[0].BatchRec()
	if answered(br) {
		if br.ResultCode == types.OK {
			if k.kind != kindPut && br.Record != nil {
				rec := br.Record
				if k.kind == kindGet {
					rec.Bins = getBins(rec.Bins)
				} else {
					rec.Bins = operateBins(rec.Bins, k.respondAll)
				}
				k.rec = rec
			}
			return
		}
		e := br.Err
		if e == nil {
			e = &as.AerospikeError{ResultCode: br.ResultCode}
		}
		// The server's answer for the record: in doubt only if the client
		// says so (a retried batch), and never for a read.
		k.err = withDoubt(e, k.write && br.InDoubt)
		return
	}
	// No answer of its own: in doubt for a write unless the batch surely
	// was not sent; never for a read.
	src := err
	if src == nil {
		src = br.Err
	}
	if src == nil {
		src = &as.AerospikeError{ResultCode: br.ResultCode}
	}
	k.err = withDoubt(src, k.write && (err == nil || maySent(err) || br.InDoubt))
}

// settleBatch completes a caller's BatchOperate: its records were filled
// by the shared command; those without an answer of their own get the
// command's error, in doubt for writes as above.
func settleBatch(k *call, err as.Error) {
	for _, r := range k.recs {
		br := r.BatchRec()
		if answered(br) {
			continue
		}
		inDoubt := isWrite(r) && (err == nil || maySent(err) || br.InDoubt)
		br.InDoubt = inDoubt
		switch {
		case err != nil:
			br.Err = withDoubt(err, inDoubt)
		case br.Err != nil:
			br.Err = withDoubt(br.Err, inDoubt)
		}
	}
	if err != nil {
		k.err = withDoubt(err, err.IsInDoubt())
	}
}

// getBins gives a batch read's bins as Get's parser would: a bin answered
// twice keeps its last value (Get asks once anyway). Both parsers give an
// empty map, not nil, for no bins (newRecord).
func getBins(bins as.BinMap) as.BinMap {
	if bins == nil {
		return as.BinMap{}
	}
	for n, v := range bins {
		if r, ok := v.(as.OpResults); ok && len(r) > 0 {
			bins[n] = r[len(r)-1]
		}
	}
	return bins
}

// operateBins gives a batch record's bins as a single Operate's parser
// would. A batch write always asks the server for one result per op
// (nil for an op without a result); a single Operate asks only when
// respondAll, and otherwise the server leaves those ops out. The batch
// parser folds a bin's several results into OpResults, Operate into
// []any. No bins is an empty map, as newRecord makes it.
func operateBins(bins as.BinMap, respondAll bool) as.BinMap {
	for n, v := range bins {
		r, ok := v.(as.OpResults)
		if !ok {
			if v == nil && !respondAll {
				delete(bins, n)
			}
			continue
		}
		vals := make([]any, 0, len(r))
		for _, x := range r {
			if x != nil || respondAll {
				vals = append(vals, x)
			}
		}
		switch len(vals) {
		case 0:
			delete(bins, n)
		case 1:
			bins[n] = vals[0]
		default:
			bins[n] = vals
		}
	}
	if bins == nil {
		return as.BinMap{}
	}
	return bins
}
