package aerolite

import (
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/exp"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/store"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// recordRequest is a single-record command, from a plain message or one
// entry of a batch.
type recordRequest struct {
	ns       string
	set      string
	digest   [20]byte
	userKey  any // sent with SendKey, or nil
	hasKey   bool
	info1    byte
	info2    byte
	info3    byte
	gen      uint32
	ttl      uint32
	filter   []byte // FILTER_EXP field, if any
	ops      []wire.Op
	isBatch  bool
	badValue bool // a field could not be decoded
}

// result is the outcome of one single-record command.
type result struct {
	rc   ResultCode
	gen  uint32
	void uint32
	bins []Bin // response entries, in order
}

func (s *Server) dispatch(m *wire.Message) []byte {
	if m.Info1&wire.Info1Batch != 0 {
		return s.handleBatch(m)
	}
	if _, ok := m.Field(wire.FieldDigest); !ok {
		return s.handleQuery(m)
	}
	req, rc := requestFromMessage(m)
	w := &wire.RespWriter{Buf: make([]byte, 8, 256)}
	var res result
	if rc != rcOK {
		res.rc = rc
	} else {
		res = s.execute(req)
	}
	writeResult(w, &res, 0, wire.Info3Last)
	return wire.FinishFrame(w.Buf)
}

// requestFromMessage extracts a single-record request from a message.
func requestFromMessage(m *wire.Message) (*recordRequest, ResultCode) {
	req := &recordRequest{info1: m.Info1, info2: m.Info2, info3: m.Info3, gen: m.Generation, ttl: m.TTL, ops: m.Ops}
	for _, f := range m.Fields {
		switch f.Type {
		case wire.FieldNamespace:
			req.ns = string(f.Data)
		case wire.FieldSet:
			req.set = string(f.Data)
		case wire.FieldDigest:
			if len(f.Data) != 20 {
				return nil, rcParameterError
			}
			copy(req.digest[:], f.Data)
		case wire.FieldKey:
			k, err := decodeKey(f.Data)
			if err != nil {
				return nil, rcParameterError
			}
			req.userKey, req.hasKey = k, true
		case wire.FieldFilterExp:
			req.filter = f.Data
		}
	}
	return req, rcOK
}

// decodeKey decodes a KEY field: a particle type byte and the value.
func decodeKey(b []byte) (any, error) {
	if len(b) < 1 {
		return nil, wire.ErrMalformed
	}
	return value.DecodeParticle(b[0], b[1:])
}

// writeResult appends a response message for res.
func writeResult(w *wire.RespWriter, res *result, index uint32, info3 byte) {
	if res.rc != rcOK {
		w.Header(info3, res.rc, 0, 0, index, 0, 0)
		return
	}
	w.Header(info3, rcOK, res.gen, res.void, index, 0, len(res.bins))
	for _, b := range res.bins {
		w.Bin(b.Name, b.Value)
	}
}

// execute runs one single-record command atomically.
func (s *Server) execute(req *recordRequest) result {
	ns := s.ns[req.ns]
	if ns == nil {
		return result{rc: rcInvalidNamespace}
	}
	for i := range req.ops {
		if len(req.ops[i].Name) > wire.MaxBinName {
			return result{rc: rcBinNameTooLong}
		}
	}
	var filter *exp.Expression
	if len(req.filter) > 0 {
		e, rc := exp.Parse(req.filter)
		if rc != rcOK {
			return result{rc: rc}
		}
		filter = e
	}
	if req.info2&wire.Info2Write == 0 {
		return s.read(ns, req, filter)
	}
	if len(req.set) > 63 {
		return result{rc: rcParameterError} // reads of such a set simply find nothing
	}
	if req.info2&wire.Info2DurableDelete != 0 {
		return result{rc: rcEnterpriseOnly} // durable deletes need Enterprise
	}
	var mustExist bool
	if req.info2&wire.Info2Delete == 0 {
		var rc ResultCode
		if mustExist, rc = writePolicies(req); rc != rcOK {
			return result{rc: rc}
		}
	}
	p := ns.Partition(req.digest)
	if !p.Enqueue(req.digest, s.opts.PendingLimit) {
		return result{rc: rcKeyBusy}
	}
	defer p.Dequeue(req.digest, s.opts.PendingLimit)
	p.Lock()
	defer p.Unlock()
	now := s.now()
	old := p.Record(req.digest)
	if old != nil && old.Expired(now) {
		ns.RemoveExpired(p, req.digest, old)
		old = nil
	}
	if rc := writeChecks(req, old, mustExist); rc != rcOK {
		return result{rc: rc}
	}
	if old != nil && filter != nil {
		ok, rc := exp.EvalFilter(filter, exp.Context{Rec: old, Now: now})
		if rc != rcOK {
			return result{rc: rc}
		}
		if !ok {
			return result{rc: rcFilteredOut}
		}
	}
	rec, res := s.applyWrite(ns, req, old, now)
	if res.rc != rcOK {
		return res
	}
	ns.Publish(p, req.digest, old, rec)
	return res
}

// read runs a command without writes.
func (s *Server) read(ns *store.Namespace, req *recordRequest, filter *exp.Expression) result {
	now := s.now()
	rec := ns.Get(req.digest, now)
	if rec == nil {
		return result{rc: rcKeyNotFound}
	}
	if filter != nil {
		ok, rc := exp.EvalFilter(filter, exp.Context{Rec: rec, Now: now})
		if rc != rcOK {
			return result{rc: rc}
		}
		if !ok {
			return result{rc: rcFilteredOut}
		}
	}
	res := result{gen: rec.Generation, void: rec.VoidTime}
	if req.info1&wire.Info1NoBinData != 0 {
		return res
	}
	if req.info1&wire.Info1GetAll != 0 {
		// The server answers a read with GET_ALL with every bin and does
		// not run its ops (read_local), so a failing op goes unnoticed.
		res.bins = rec.Bins
		return res
	}
	if len(req.ops) == 0 {
		return result{rc: rcParameterError}
	}
	st := &opState{rec: rec, bins: rec.Bins,
		respondAll: req.info2&wire.Info2RespondAllOps != 0, now: now}
	for i := range req.ops {
		if rc := st.apply(&req.ops[i]); rc != rcOK {
			return result{rc: rc}
		}
	}
	res.bins = st.out
	return res
}

// writePolicies checks a write command's ops before the record is looked
// up, as the server does (write_master_policies): REPLACE and REPLACE_ONLY
// allow only plain bin writes besides reads (no bin deletes, touches,
// arithmetic, DeleteOp or CDT modify ops), and a read-all op (GetOp) may
// not be mixed with ops that produce result bins. It reports whether the
// record must already exist (UPDATE_ONLY, REPLACE_ONLY or a touch op).
func writePolicies(req *recordRequest) (mustExist bool, rc ResultCode) {
	if len(req.ops) == 0 {
		return false, rcParameterError
	}
	replace := req.info3&(wire.Info3CreateOrReplace|wire.Info3ReplaceOnly) != 0
	getAll := req.info1&wire.Info1GetAll != 0
	mustExist = req.info3&(wire.Info3UpdateOnly|wire.Info3ReplaceOnly) != 0
	readAll, resultBins := false, false
	for i := range req.ops {
		o := &req.ops[i]
		switch o.Type {
		case wire.OpTouch:
			if replace {
				return false, rcParameterError
			}
			mustExist = true
		case wire.OpWrite:
			if replace && o.Particle == value.ParticleNull {
				return false, rcParameterError // a bin delete
			}
		case wire.OpAdd, wire.OpAppend, wire.OpPrepend, wire.OpDelete, wire.OpBitModify:
			if replace {
				return false, rcParameterError
			}
		case wire.OpCDTModify, wire.OpHLLModify:
			if replace {
				return false, rcParameterError
			}
			resultBins = true
		case wire.OpRead:
			if getAll && o.Name == "" {
				if readAll || req.info2&wire.Info2RespondAllOps != 0 {
					return false, rcParameterError
				}
				readAll = true
			} else {
				resultBins = true
			}
		case wire.OpCDTRead, wire.OpExpRead, wire.OpBitRead, wire.OpHLLRead:
			resultBins = true
		}
	}
	if readAll && resultBins || getAll && !readAll {
		return false, rcParameterError
	}
	return mustExist, rcOK
}

// writeChecks checks existence and generation, in the server's order,
// before any filter expression is evaluated. A single-record delete fails
// on a missing record first; a batch delete, like other writes, checks the
// generation against 0 first.
func writeChecks(req *recordRequest, old *Record, mustExist bool) ResultCode {
	isDelete := req.info2&wire.Info2Delete != 0
	if old == nil && (mustExist || isDelete && !req.isBatch) {
		return rcKeyNotFound
	}
	if old != nil && req.info2&wire.Info2CreateOnly != 0 {
		return rcKeyExists
	}
	var oldGen uint32
	if old != nil {
		oldGen = old.Generation
	}
	if req.info2&wire.Info2Generation != 0 && req.gen != oldGen {
		return rcGenerationError
	}
	if req.info2&wire.Info2GenerationGT != 0 && old != nil && req.gen <= oldGen {
		return rcGenerationError
	}
	if old == nil && isDelete {
		return rcKeyNotFound
	}
	return rcOK
}

// applyWrite computes the record that a write command leaves (nil: none)
// and the response. It does not publish anything; writeChecks has passed.
func (s *Server) applyWrite(ns *store.Namespace, req *recordRequest, old *Record, now time.Time) (*Record, result) {
	var oldGen uint32
	if old != nil {
		oldGen = old.Generation
	}
	if req.info2&wire.Info2Delete != 0 {
		return nil, result{}
	}
	st := &opState{rec: old, getAll: req.info1&wire.Info1GetAll != 0,
		respondAll: req.info2&wire.Info2RespondAllOps != 0, now: now, write: true}
	if old != nil && req.info3&(wire.Info3CreateOrReplace|wire.Info3ReplaceOnly) == 0 {
		st.bins = old.Bins
	}
	for i := range req.ops {
		if rc := st.apply(&req.ops[i]); rc != rcOK {
			return nil, result{rc: rc}
		}
	}
	if len(st.bins) == 0 {
		// A write that leaves no bins deletes the record; there is none
		// to delete when it did not exist (DeleteOp included).
		if old == nil {
			return nil, result{rc: rcKeyNotFound}
		}
		if st.touched && !st.deleted {
			return nil, result{rc: rcKeyNotFound}
		}
		return nil, result{bins: st.out}
	}
	rec := &Record{
		Set:        req.set,
		Digest:     req.digest,
		Bins:       st.bins,
		Generation: nextGeneration(oldGen),
		LastUpdate: now.UnixNano(),
	}
	if old != nil {
		rec.Key = old.Key
	}
	if req.hasKey {
		rec.Key = req.userKey
	}
	rec.VoidTime = s.voidTime(ns, req.ttl, old, now)
	if recordSize(rec) > s.opts.MaxRecordSize {
		return nil, result{rc: rcRecordTooBig}
	}
	return rec, result{gen: rec.Generation, void: rec.VoidTime, bins: st.out}
}

// nextGeneration increments a 16-bit generation, skipping 0 as the server does.
func nextGeneration(g uint32) uint32 {
	g = (g + 1) & 0xffff
	if g == 0 {
		g = 1
	}
	return g
}

// TTL special values sent by clients.
const (
	ttlServerDefault = 0
	ttlNeverExpire   = 0xffffffff // -1
	ttlDontUpdate    = 0xfffffffe // -2
)

func (s *Server) voidTime(ns *store.Namespace, ttl uint32, old *Record, now time.Time) uint32 {
	secs := uint32(now.Unix() - store.CitrusleafEpoch)
	switch ttl {
	case ttlNeverExpire:
		return 0
	case ttlDontUpdate:
		if old != nil {
			return old.VoidTime
		}
		ttl = ns.DefaultTTL()
	case ttlServerDefault:
		ttl = ns.DefaultTTL()
	}
	if ttl == 0 {
		return 0
	}
	return secs + ttl
}

func recordSize(r *Record) int {
	n := 64
	for _, b := range r.Bins {
		n += len(b.Name) + value.ParticleSize(b.Value) + 4
	}
	return n
}
