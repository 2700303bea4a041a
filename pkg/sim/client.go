package sim

import (
	"errors"
	"fmt"
	"strings"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/txn"
)

// simClient is an actor's txn.Client: every call is a scheduling point
// (the actor parks until the scheduler picks it), then draws a fault from
// the world's seeded generator, then reaches the real client (or not).
type simClient struct {
	w *world
	a *actor
}

var _ txn.Client = (*simClient)(nil)

// realTimeout replaces the protocol's client timeouts on the real calls: a
// real timeout (a slow machine) would be a fault the seed did not choose.
const realTimeout = 30 * time.Second

func notSent() as.Error { return &as.AerospikeError{ResultCode: types.NETWORK_ERROR} }

func replyLost(write bool) as.Error {
	return &as.AerospikeError{ResultCode: types.TIMEOUT, InDoubt: write}
}

func busy() as.Error { return &as.AerospikeError{ResultCode: types.KEY_BUSY} }

// call describes one client call for fault selection and the trace.
type call struct {
	name       string
	key        *as.Key
	write      bool
	genChecked bool   // a single-record write with EXPECT_GEN_EQUAL
	gen        uint32 // its expected generation
	batch      []as.BatchRecordIfc
	query      bool
	desc       string // what a query reads
}

func (c *call) applicable(k FaultKind) bool {
	switch k {
	case FaultNotSent, FaultPause:
		return true
	case FaultReplyLost, FaultBusy:
		return !c.query
	case FaultPartial:
		return len(c.batch) >= 2
	case FaultDelayed:
		if c.batch != nil {
			return allBatchWrites(c.batch)
		}
		return c.write && c.key != nil && (c.name == "Put" || c.name == "Operate")
	case FaultGenWrap:
		if c.genChecked {
			return true
		}
		for _, r := range c.batch {
			if _, _, ok := batchGen(r); ok {
				return true
			}
		}
	}
	return false
}

// batchGen returns the key and expected generation of a generation-checked
// batch write.
func batchGen(r as.BatchRecordIfc) (*as.Key, uint32, bool) {
	bw, ok := r.(*as.BatchWrite)
	if !ok || bw.Policy == nil || bw.Policy.GenerationPolicy != as.EXPECT_GEN_EQUAL {
		return nil, 0, false
	}
	return bw.Key, bw.Policy.Generation, true
}

// enter parks the actor at the call, then draws its fault. A pause is
// served here (the actor sleeps in virtual time, then continues without
// another fault). ok is false when the phase was aborted: the call must
// fail without touching the world.
func (c *simClient) enter(cl *call) (f FaultKind, ok bool) {
	s := c.w.s
	if !s.park(c.a, nil) {
		return "", false
	}
	if !c.a.faults {
		return "", true
	}
	f = c.w.faults.draw(c.w.frng, cl.applicable)
	if f == "" {
		return "", true
	}
	c.w.count(f)
	if f == FaultPause {
		d := c.w.pauseDuration()
		c.trace(cl, "pause", fmt.Sprintf("sleeps %v", d))
		wake := s.Now().Add(d)
		if !s.park(c.a, &wake) {
			return "", false
		}
		return "", true
	}
	if f == FaultGenWrap {
		if !c.w.wrapGeneration(cl) {
			return "genwrap(noop)", true
		}
	}
	return f, true
}

func (c *simClient) trace(cl *call, fault FaultKind, result string) {
	if fault == "" {
		fault = "-"
	}
	c.w.s.logf(c.a.name, "%-15s %-34s %-13s %s", cl.name, c.w.keysDesc(cl), fault, result)
}

// real checks an error the real client returned and returns it cleaned:
// only its result code and in-doubt flag. The client chains the errors of
// its internal attempts (e.g. "connection pool is empty" while it opens a
// connection), and pkg/lock's HasCode matches wrapped codes too, so an
// uncleaned error would depend on the connection pool's timing. A network
// error or a timeout nobody injected means the machine, not the seed,
// chose a fault: it is reported as a harness error.
func (c *simClient) real(cl *call, err as.Error) as.Error {
	if err == nil {
		return nil
	}
	ae, ok := err.(*as.AerospikeError)
	if !ok {
		c.w.realError(fmt.Sprintf("%s %s: real client error of type %T: %v", cl.name, c.w.keysDesc(cl), err, err))
		return err
	}
	if ae.InDoubt || isNetworkCode(ae.ResultCode) {
		var chain []string
		for e := error(err); e != nil; e = errors.Unwrap(e) {
			chain = append(chain, fmt.Sprintf("%v", e))
		}
		c.w.realError(fmt.Sprintf("%s %s: real client error %v", cl.name, c.w.keysDesc(cl), chain))
	}
	return &as.AerospikeError{ResultCode: ae.ResultCode, InDoubt: ae.InDoubt}
}

// cleanBatch cleans the per-record errors of a batch as real does.
// allBatchWrites reports a batch of writes only (the batches a delayed
// delivery can replay: copies of their keys, policies and operations).
func allBatchWrites(recs []as.BatchRecordIfc) bool {
	for _, r := range recs {
		if _, ok := r.(*as.BatchWrite); !ok {
			return false
		}
	}
	return true
}

func cleanBatch(recs []as.BatchRecordIfc) {
	for _, r := range recs {
		br := r.BatchRec()
		if br.Err != nil {
			br.Err = &as.AerospikeError{ResultCode: br.ResultCode, InDoubt: br.InDoubt}
		}
	}
}

func isNetworkCode(rc types.ResultCode) bool {
	switch rc {
	case types.TIMEOUT, types.NETWORK_ERROR, types.NO_RESPONSE, types.MAX_RETRIES_EXCEEDED,
		types.SERVER_NOT_AVAILABLE, types.INVALID_NODE_ERROR, types.NO_AVAILABLE_CONNECTIONS_TO_NODE:
		return true
	}
	return false
}

func readPolicy(p *as.BasePolicy) *as.BasePolicy {
	if p == nil {
		p = as.NewPolicy()
	}
	q := *p
	q.TotalTimeout, q.SocketTimeout = realTimeout, realTimeout
	return &q
}

func writePolicy(p *as.WritePolicy) *as.WritePolicy {
	if p == nil {
		p = as.NewWritePolicy(0, 0)
	}
	q := *p
	q.TotalTimeout, q.SocketTimeout = realTimeout, realTimeout
	return &q
}

func batchPolicy(p *as.BatchPolicy) *as.BatchPolicy {
	if p == nil {
		p = as.NewBatchPolicy()
	}
	q := *p
	q.TotalTimeout, q.SocketTimeout = realTimeout, realTimeout
	return &q
}

func queryPolicy(p *as.QueryPolicy) *as.QueryPolicy {
	if p == nil {
		p = as.NewQueryPolicy()
	}
	q := *p
	q.TotalTimeout, q.SocketTimeout = realTimeout, realTimeout
	return &q
}

// Get reads a record.
func (c *simClient) Get(p *as.BasePolicy, k *as.Key, bins ...string) (*as.Record, as.Error) {
	cl := &call{name: "Get", key: k}
	f, ok := c.enter(cl)
	if !ok {
		return nil, notSent()
	}
	switch f {
	case FaultNotSent:
		c.trace(cl, f, rcString(types.NETWORK_ERROR, false))
		return nil, notSent()
	case FaultBusy:
		c.trace(cl, f, rcString(types.KEY_BUSY, false))
		return nil, busy()
	}
	r, err := c.w.raw.Get(readPolicy(p), k, bins...)
	err = c.real(cl, err)
	if f == FaultReplyLost {
		c.trace(cl, f, "was "+errString(err)+" -> "+rcString(types.TIMEOUT, false))
		return nil, replyLost(false)
	}
	c.trace(cl, f, errString(err)+genString(r))
	return r, err
}

func writeCall(name string, p *as.WritePolicy, k *as.Key) *call {
	cl := &call{name: name, key: k, write: true}
	if p != nil && p.GenerationPolicy == as.EXPECT_GEN_EQUAL {
		cl.genChecked, cl.gen = true, p.Generation
	}
	return cl
}

// Put writes a record.
func (c *simClient) Put(p *as.WritePolicy, k *as.Key, b as.BinMap) as.Error {
	cl := writeCall("Put", p, k)
	f, ok := c.enter(cl)
	if !ok {
		return notSent()
	}
	switch f {
	case FaultNotSent:
		c.trace(cl, f, rcString(types.NETWORK_ERROR, false))
		return notSent()
	case FaultBusy:
		c.trace(cl, f, rcString(types.KEY_BUSY, false))
		return busy()
	case FaultDelayed:
		bins := make(as.BinMap, len(b))
		for n, v := range b {
			bins[n] = v
		}
		d := c.w.delay(c.a, cl, p, k, bins, nil)
		c.trace(cl, f, fmt.Sprintf("lands at step %d -> %s", d.due, rcString(types.TIMEOUT, true)))
		return replyLost(true)
	}
	err := c.w.raw.Put(writePolicy(p), k, b)
	err = c.real(cl, err)
	if f == FaultReplyLost {
		c.trace(cl, f, "was "+errString(err)+" -> "+rcString(types.TIMEOUT, true))
		return replyLost(true)
	}
	c.trace(cl, f, errString(err))
	return err
}

// Operate runs operations on a record.
func (c *simClient) Operate(p *as.WritePolicy, k *as.Key, ops ...*as.Operation) (*as.Record, as.Error) {
	cl := writeCall("Operate", p, k)
	f, ok := c.enter(cl)
	if !ok {
		return nil, notSent()
	}
	switch f {
	case FaultNotSent:
		c.trace(cl, f, rcString(types.NETWORK_ERROR, false))
		return nil, notSent()
	case FaultBusy:
		c.trace(cl, f, rcString(types.KEY_BUSY, false))
		return nil, busy()
	case FaultDelayed:
		d := c.w.delay(c.a, cl, p, k, nil, append([]*as.Operation(nil), ops...))
		c.trace(cl, f, fmt.Sprintf("lands at step %d -> %s", d.due, rcString(types.TIMEOUT, true)))
		return nil, replyLost(true)
	}
	r, err := c.w.raw.Operate(writePolicy(p), k, ops...)
	err = c.real(cl, err)
	if f == FaultReplyLost {
		c.trace(cl, f, "was "+errString(err)+genString(r)+" -> "+rcString(types.TIMEOUT, true))
		return nil, replyLost(true)
	}
	c.trace(cl, f, errString(err)+genString(r))
	return r, err
}

// BatchOperate runs a batch.
func (c *simClient) BatchOperate(p *as.BatchPolicy, recs []as.BatchRecordIfc) as.Error {
	cl := &call{name: "BatchOperate", write: true, batch: recs}
	f, ok := c.enter(cl)
	setAll := func(rc types.ResultCode, inDoubt bool) {
		for _, r := range recs {
			setBatchResult(r.BatchRec(), rc, inDoubt)
		}
	}
	if !ok {
		setAll(types.NETWORK_ERROR, false)
		return notSent()
	}
	switch f {
	case FaultNotSent:
		setAll(types.NETWORK_ERROR, false)
		c.trace(cl, f, rcString(types.NETWORK_ERROR, false))
		return notSent()
	case FaultBusy:
		setAll(types.KEY_BUSY, false)
		c.trace(cl, f, batchString(recs))
		return nil
	case FaultPartial:
		return c.partialBatch(cl, p, recs)
	case FaultDelayed:
		// The whole batch lands later (or is dropped at its deadline);
		// the caller sees what the real client leaves when no reply comes.
		d := c.w.delayBatch(c.a, cl, p, recs)
		for _, r := range recs {
			br := r.BatchRec()
			br.ResultCode, br.InDoubt, br.Record, br.Err = types.NO_RESPONSE, false, nil, nil
		}
		c.trace(cl, f, fmt.Sprintf("lands at step %d -> %s", d.due, rcString(types.NO_RESPONSE, false)))
		return replyLost(true)
	}
	err := c.w.raw.BatchOperate(batchPolicy(p), recs)
	err = c.real(cl, err)
	cleanBatch(recs)
	if f == FaultReplyLost {
		// As the real client leaves a batch whose reply never came: every
		// record unanswered (NO_RESPONSE) and not marked in doubt; only
		// the call's error says the batch may have been applied.
		was := batchString(recs)
		for _, r := range recs {
			br := r.BatchRec()
			br.ResultCode, br.InDoubt, br.Record, br.Err = types.NO_RESPONSE, false, nil, nil
		}
		c.trace(cl, f, "was "+was+" -> "+rcString(types.NO_RESPONSE, false))
		return replyLost(true)
	}
	c.trace(cl, f, errString(err)+" "+batchString(recs))
	return err
}

// partialBatch executes a random subset of the records: each record is
// applied normally, applied with its reply lost, dropped in doubt (not
// applied), or failed unsent; at least one is not applied normally.
func (c *simClient) partialBatch(cl *call, p *as.BatchPolicy, recs []as.BatchRecordIfc) as.Error {
	const (
		applied = iota
		appliedLost
		droppedInDoubt
		unsent
	)
	class := make([]int, len(recs))
	normal := 0
	for i := range recs {
		class[i] = c.w.frng.Intn(4)
		if class[i] == applied {
			normal++
		}
	}
	if normal == len(recs) {
		class[c.w.frng.Intn(len(recs))] = 1 + c.w.frng.Intn(3)
	}
	var sub []as.BatchRecordIfc
	for i, r := range recs {
		if class[i] == applied || class[i] == appliedLost {
			sub = append(sub, r)
		}
	}
	if len(sub) > 0 {
		err := c.w.raw.BatchOperate(batchPolicy(p), sub)
		_ = c.real(cl, err)
		cleanBatch(sub)
	}
	desc := make([]string, len(recs))
	for i, r := range recs {
		br := r.BatchRec()
		switch class[i] {
		case applied:
			desc[i] = rcString(br.ResultCode, br.InDoubt)
		case appliedLost:
			desc[i] = "was " + rcString(br.ResultCode, br.InDoubt) + "->" + rcString(types.TIMEOUT, true)
			setBatchResult(br, types.TIMEOUT, true)
		case droppedInDoubt:
			setBatchResult(br, types.TIMEOUT, true)
			desc[i] = "dropped->" + rcString(types.TIMEOUT, true)
		case unsent:
			setBatchResult(br, types.NETWORK_ERROR, false)
			desc[i] = rcString(types.NETWORK_ERROR, false)
		}
	}
	c.trace(cl, FaultPartial, "["+strings.Join(desc, " ")+"]")
	return nil
}

func setBatchResult(br *as.BatchRecord, rc types.ResultCode, inDoubt bool) {
	br.ResultCode, br.InDoubt, br.Record = rc, inDoubt, nil
	br.Err = &as.AerospikeError{ResultCode: rc, InDoubt: inDoubt}
}

// Query runs a secondary-index query.
func (c *simClient) Query(p *as.QueryPolicy, st *as.Statement) (*as.Recordset, as.Error) {
	cl := &call{name: "Query", query: true, desc: st.SetName}
	if st.Filter != nil {
		cl.desc += " " + filterValue(st.Filter)
	}
	return c.query(cl, func() (*as.Recordset, as.Error) { return c.w.raw.Query(queryPolicy(p), st) })
}

// QueryPartitions runs a partition query.
func (c *simClient) QueryPartitions(p *as.QueryPolicy, st *as.Statement, pf *as.PartitionFilter) (*as.Recordset, as.Error) {
	cl := &call{name: "QueryPartitions", query: true, desc: st.SetName}
	return c.query(cl, func() (*as.Recordset, as.Error) { return c.w.raw.QueryPartitions(queryPolicy(p), st, pf) })
}

// query runs a query and waits (bounded, in wall time) until the server
// has built its whole answer: the snapshot must be taken before the baton
// moves on, or a later step's write could show in it.
func (c *simClient) query(cl *call, run func() (*as.Recordset, as.Error)) (*as.Recordset, as.Error) {
	f, ok := c.enter(cl)
	if !ok {
		return nil, notSent()
	}
	if f == FaultNotSent {
		c.trace(cl, f, rcString(types.NETWORK_ERROR, false))
		return nil, notSent()
	}
	stats := c.w.srv.Stats()
	before := stats.Queries.Load()
	rs, err := run()
	err = c.real(cl, err)
	if err == nil {
		deadline := time.Now().Add(c.w.opts.QueryWait)
		for stats.Queries.Load() == before {
			if time.Now().After(deadline) {
				c.w.realError(fmt.Sprintf("%s: the server did not answer within %v", cl.name, c.w.opts.QueryWait))
				break
			}
			time.Sleep(20 * time.Microsecond)
		}
	}
	c.trace(cl, f, errString(err))
	return rs, err
}

// CreateIndex creates a secondary index (no faults).
func (c *simClient) CreateIndex(p *as.WritePolicy, ns, set, name, bin string, t as.IndexType) (*as.IndexTask, as.Error) {
	cl := &call{name: "CreateIndex", write: true}
	if !c.w.s.park(c.a, nil) {
		return nil, notSent()
	}
	task, err := c.w.raw.CreateIndex(writePolicy(p), ns, set, name, bin, t)
	c.trace(cl, "", errString(err))
	return task, err
}

// filterValue is the value an equality filter selects (for the trace).
func filterValue(f *as.Filter) string {
	s := f.String()
	i := strings.Index(s, "begin: ")
	j := strings.Index(s, ", end:")
	if i < 0 || j < i {
		return "?"
	}
	return "=" + s[i+len("begin: "):j]
}

// Result code names for the trace.
var rcNames = map[types.ResultCode]string{
	types.OK:                  "OK",
	types.KEY_NOT_FOUND_ERROR: "KEY_NOT_FOUND",
	types.GENERATION_ERROR:    "GENERATION",
	types.KEY_EXISTS_ERROR:    "KEY_EXISTS",
	types.BIN_EXISTS_ERROR:    "BIN_EXISTS",
	types.KEY_BUSY:            "KEY_BUSY",
	types.TIMEOUT:             "TIMEOUT",
	types.NETWORK_ERROR:       "NETWORK_ERROR",
	types.FAIL_ELEMENT_EXISTS: "ELEMENT_EXISTS",
	types.FILTERED_OUT:        "FILTERED_OUT",
	types.NO_RESPONSE:         "NO_RESPONSE",
	types.PARAMETER_ERROR:     "PARAMETER",
	types.OP_NOT_APPLICABLE:   "OP_NOT_APPLICABLE",
}

func rcString(rc types.ResultCode, inDoubt bool) string {
	s, ok := rcNames[rc]
	if !ok {
		s = fmt.Sprintf("rc%d", rc)
	}
	if inDoubt {
		s += "?"
	}
	return s
}

func errString(err as.Error) string {
	if err == nil {
		return "OK"
	}
	var ae *as.AerospikeError
	if e, ok := err.(*as.AerospikeError); ok {
		ae = e
	}
	if ae == nil {
		return "error"
	}
	return rcString(ae.ResultCode, ae.InDoubt)
}

func genString(r *as.Record) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf(" gen=%d", r.Generation)
}

func batchString(recs []as.BatchRecordIfc) string {
	parts := make([]string, len(recs))
	for i, r := range recs {
		br := r.BatchRec()
		parts[i] = rcString(br.ResultCode, br.InDoubt)
		if br.Record != nil && br.ResultCode == types.OK {
			parts[i] += fmt.Sprintf("(gen=%d)", br.Record.Generation)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}
