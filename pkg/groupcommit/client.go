package groupcommit

import (
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
)

// Defaults of Options.
const (
	// DefaultMaxInFlight: two commands per lane in flight, so that one
	// batch is formed and sent while the server works on the other.
	// Measured on an idle machine with aerolite executing a batch's
	// records on both cores, 32 goroutines of single-record
	// transactions: 1 in flight 16.5–17.3k/s, 2 18.5–20.8k/s, 3 and 4
	// 17.3k/s (with other work on the machine the helper's first
	// measurements favoured 1 by a few percent).
	DefaultMaxInFlight = 2
	// DefaultMaxBatch bounds the records of one batch command.
	DefaultMaxBatch = 256
)

// Options configure a Client. Zero fields take the defaults noted.
type Options struct {
	// MaxInFlight is the number of commands of one lane (calls whose
	// batch-level policies agree) in flight at once; calls that arrive
	// while that many are in flight are queued and sent together when one
	// returns. Default DefaultMaxInFlight.
	MaxInFlight int
	// MaxBatch bounds the records of one batch command; the queue's rest
	// goes into the next. A caller's BatchOperate with more records is
	// passed through. Default DefaultMaxBatch.
	MaxBatch int
	// BatchOfOne sends a call that finds nobody to share with as a batch
	// of one record instead of as its own call (Operate, Put, Get). Off by
	// default: its own call is exact by construction and no slower.
	BatchOfOne bool
}

// Stats counts what a Client sent.
type Stats struct {
	// Batches is the number of batch commands sent for two calls or more;
	// BatchedCalls and BatchedRecords count the calls and the records in
	// them (BatchedRecords / Batches is the mean batch size).
	Batches, BatchedCalls, BatchedRecords int64
	// Singles counts calls that went alone through the queue, as their own
	// call (or a batch of one with BatchOfOne).
	Singles int64
	// PassedThrough counts calls never queued: Query, QueryPartitions,
	// CreateIndex, and calls a batch cannot express exactly.
	PassedThrough int64
	// Held counts the times a call waited for a later batch because a call
	// on one of its keys was in the batch being formed.
	Held int64
	// Fallbacks counts batches refused as a whole before anything was
	// applied (e.g. a value the client cannot encode): their calls were
	// then sent one by one, each getting its own answer.
	Fallbacks int64
	// Expired counts calls failed unsent (ErrExpired) because their
	// timeout passed in the queue.
	Expired int64
}

// Client is a txn.Client that sends the concurrent calls of its callers
// together in batch commands (see the package documentation). It is safe
// for concurrent use. It owns no goroutine: the caller whose call starts a
// batch sends it, and hands the next one to a caller waiting in it.
type Client struct {
	next     txn.Client
	opts     Options
	defaults defaultPolicies // nil: calls with a nil policy are passed through

	closed atomic.Bool
	mu     sync.Mutex // guards lanes, their queues and counts, and closing
	lanes  map[laneKey]*lane
	// running counts the batches formed and not yet finished; Close waits
	// for them.
	running sync.WaitGroup

	batches, batchedCalls, batchedRecords, singles atomic.Int64
	passed, held, fallbacks, expired               atomic.Int64

	// Test hooks: beforeSend runs before each command the queue sends,
	// with the number of calls in it; padKey, if set, is read in every
	// batch of one call so that a lone call still travels as a real batch.
	beforeSend func(calls int)
	padKey     *as.Key
}

var _ txn.Client = (*Client)(nil)

// defaultPolicies is what *as.Client tells of the policies it uses for a
// nil policy.
type defaultPolicies interface {
	GetDefaultPolicy() *as.BasePolicy
	GetDefaultWritePolicy() *as.WritePolicy
	GetDefaultBatchPolicy() *as.BatchPolicy
}

// New returns a Client sending through next.
func New(next txn.Client, opts Options) *Client {
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	c := &Client{next: next, opts: opts, lanes: map[laneKey]*lane{}}
	c.defaults, _ = next.(defaultPolicies)
	return c
}

// Stats returns the counts so far.
func (c *Client) Stats() Stats {
	return Stats{
		Batches: c.batches.Load(), BatchedCalls: c.batchedCalls.Load(), BatchedRecords: c.batchedRecords.Load(),
		Singles: c.singles.Load(), PassedThrough: c.passed.Load(), Held: c.held.Load(),
		Fallbacks: c.fallbacks.Load(), Expired: c.expired.Load(),
	}
}

// Close stops the queue: calls made from now on, and calls queued and not
// yet sent, fail at once with an error matching ErrClosed (not sent).
// Close then waits for the commands in flight, whose callers get their
// real results; it does not close the client it wraps.
func (c *Client) Close() {
	c.mu.Lock()
	c.closed.Store(true)
	var failed []*call
	for _, l := range c.lanes {
		failed = append(failed, l.queue...)
		l.queue = nil
	}
	c.mu.Unlock()
	for _, k := range failed {
		k.err = closedErr()
		k.wake <- struct{}{}
	}
	c.running.Wait()
}

// pass counts a call passed through; it fails if the Client is closed.
func (c *Client) pass() as.Error {
	if c.closed.Load() {
		return closedErr()
	}
	c.passed.Add(1)
	return nil
}

// Get reads a record, as a BatchRead (all bins when bins is empty).
func (c *Client) Get(policy *as.BasePolicy, key *as.Key, bins ...string) (*as.Record, as.Error) {
	p := policy
	if p == nil && c.defaults != nil {
		p = c.defaults.GetDefaultPolicy()
	}
	if p == nil || key == nil {
		if err := c.pass(); err != nil {
			return nil, err
		}
		return c.next.Get(policy, key, bins...)
	}
	k := &call{kind: kindGet, key: key, bp: policy, bins: bins}
	// A bin named twice is answered twice in a batch (folded into a list)
	// but once by Get: ask once.
	names := bins
	if len(bins) > 1 {
		names = dedupe(bins)
	}
	k.recs = []as.BatchRecordIfc{as.NewBatchRead(batchReadPolicy(p), key, names)}
	c.do(k, p, nil)
	return k.rec, k.err
}

// Operate runs ops on a record: a BatchWrite if an op writes, else a
// BatchRead with the ops. Calls whose result a batch cannot reproduce are
// passed through (see batchable).
func (c *Client) Operate(policy *as.WritePolicy, key *as.Key, ops ...*as.Operation) (*as.Record, as.Error) {
	p := policy
	if p == nil && c.defaults != nil {
		p = c.defaults.GetDefaultWritePolicy()
	}
	var sh opsShape
	ok := p != nil && key != nil && len(ops) > 0 && opFields.ok
	if ok {
		sh = shapeOf(ops, p.RespondPerEachOp)
		ok = operateBatchable(p, sh)
	}
	if !ok {
		if err := c.pass(); err != nil {
			return nil, err
		}
		return c.next.Operate(policy, key, ops...)
	}
	k := &call{kind: kindOperate, key: key, wp: policy, ops: ops, write: sh.write, respondAll: sh.respondAll}
	if sh.write {
		k.recs = []as.BatchRecordIfc{as.NewBatchWrite(lock.BatchWritePolicyOf(p), key, ops...)}
	} else {
		k.recs = []as.BatchRecordIfc{as.NewBatchReadOps(batchReadPolicy(&p.BasePolicy), key, ops...)}
	}
	c.do(k, &p.BasePolicy, nil)
	return k.rec, k.err
}

// operateBatchable reports whether an Operate with policy p and ops of
// shape sh can be sent in a batch with the single call's exact result.
func operateBatchable(p *as.WritePolicy, sh opsShape) bool {
	switch {
	case sh.header:
		// The batch encoder sets INFO1_NOBINDATA for a header op even
		// beside bin reads; a single Operate does not.
		return false
	case sh.write && sh.getAll:
		// A batch write always asks for every op's result, which the
		// server refuses beside a read-all; a single Operate does not ask.
		return false
	case sh.write && p.MaxRetries > 0:
		// A retried batch resends the records already answered too: a
		// write applied and answered could be applied again, which its
		// single retried call would not do.
		return false
	case !sh.write && (sh.respondAll || p.GenerationPolicy != as.NONE || p.RecordExistsAction != as.UPDATE):
		// A batch read cannot ask for one result per op, nor carry write
		// policy fields; keep the single call's exact header.
		return false
	}
	return true
}

// Put writes bins, as a BatchWrite of PutOps in bin name order.
func (c *Client) Put(policy *as.WritePolicy, key *as.Key, binMap as.BinMap) as.Error {
	p := policy
	if p == nil && c.defaults != nil {
		p = c.defaults.GetDefaultWritePolicy()
	}
	if p == nil || key == nil || len(binMap) == 0 || p.MaxRetries > 0 {
		if err := c.pass(); err != nil {
			return err
		}
		return c.next.Put(policy, key, binMap)
	}
	names := make([]string, 0, len(binMap))
	for n := range binMap {
		names = append(names, n)
	}
	sort.Strings(names)
	ops := make([]*as.Operation, len(names))
	for i, n := range names {
		ops[i] = as.PutOp(as.NewBin(n, binMap[n]))
	}
	k := &call{kind: kindPut, key: key, wp: policy, binMap: binMap, write: true,
		recs: []as.BatchRecordIfc{as.NewBatchWrite(lock.BatchWritePolicyOf(p), key, ops...)}}
	c.do(k, &p.BasePolicy, nil)
	return k.err
}

// BatchOperate runs the caller's batch inside a shared one: its records
// are filled as its own BatchOperate would fill them, and the error it
// returns is the shared command's. Batches of one record (the client runs
// them as a single command), larger than MaxBatch, or with a batch-level
// filter expression, SendKey or RespondAllKeys=false (which apply to, or
// stop at, the other callers' records) are passed through.
func (c *Client) BatchOperate(policy *as.BatchPolicy, records []as.BatchRecordIfc) as.Error {
	p := policy
	if p == nil && c.defaults != nil {
		p = c.defaults.GetDefaultBatchPolicy()
	}
	ok := p != nil && len(records) > 1 && len(records) <= c.opts.MaxBatch &&
		p.FilterExpression == nil && !p.SendKey && p.RespondAllKeys
	for _, r := range records {
		if !ok {
			break
		}
		ok = r != nil && r.BatchRec().Key != nil
	}
	if !ok {
		if err := c.pass(); err != nil {
			return err
		}
		return c.next.BatchOperate(policy, records)
	}
	k := &call{kind: kindBatch, bpol: policy, recs: records}
	c.do(k, &p.BasePolicy, p)
	return k.err
}

// Query passes through.
func (c *Client) Query(policy *as.QueryPolicy, statement *as.Statement) (*as.Recordset, as.Error) {
	if err := c.pass(); err != nil {
		return nil, err
	}
	return c.next.Query(policy, statement)
}

// QueryPartitions passes through.
func (c *Client) QueryPartitions(policy *as.QueryPolicy, statement *as.Statement, partitionFilter *as.PartitionFilter) (*as.Recordset, as.Error) {
	if err := c.pass(); err != nil {
		return nil, err
	}
	return c.next.QueryPartitions(policy, statement, partitionFilter)
}

// CreateIndex passes through.
func (c *Client) CreateIndex(policy *as.WritePolicy, namespace, setName, indexName, binName string, indexType as.IndexType) (*as.IndexTask, as.Error) {
	if err := c.pass(); err != nil {
		return nil, err
	}
	return c.next.CreateIndex(policy, namespace, setName, indexName, binName, indexType)
}

// batchReadPolicy carries a read's per-record policy fields.
func batchReadPolicy(p *as.BasePolicy) *as.BatchReadPolicy {
	return &as.BatchReadPolicy{FilterExpression: p.FilterExpression, ReadModeAP: p.ReadModeAP,
		ReadModeSC: p.ReadModeSC, ReadTouchTTLPercent: p.ReadTouchTTLPercent}
}

func dedupe(s []string) []string {
	out := make([]string, 0, len(s))
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// deadline is when a call queued at now with policy p times out.
func deadline(p *as.BasePolicy, now time.Time) time.Time {
	if p.TotalTimeout <= 0 {
		return time.Time{}
	}
	return now.Add(p.TotalTimeout)
}
