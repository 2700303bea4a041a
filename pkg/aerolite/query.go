package aerolite

import (
	"encoding/binary"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/exp"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/store"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// query is a decoded scan or secondary-index query.
type query struct {
	ns         string
	set        string
	hasSet     bool
	bins       []string
	noBinData  bool
	maxRecords int64
	filter     *exp.Expression
	// index filter
	hasIndex bool
	bin      string
	lo, hi   any
	// partitions: full ones, and partial ones resumed after a digest
	full    []int
	partial [][20]byte
}

const queryFrameSize = 128 << 10

// handleQuery answers a scan or query with a stream of record messages in
// frames of about queryFrameSize, then a message marked LAST.
func (s *Server) handleQuery(m *wire.Message) []byte {
	defer s.stats.Queries.Add(1) // the response is complete: counted for Stats.Queries
	q, rc := parseQuery(m)
	w := &wire.RespWriter{Buf: make([]byte, 8, 4096)}
	if rc != rcOK {
		w.Header(wire.Info3Last, rc, 0, 0, 0, 0, 0)
		return wire.FinishFrame(w.Buf)
	}
	ns := s.ns[q.ns]
	if ns == nil {
		w.Header(wire.Info3Last, rcInvalidNamespace, 0, 0, 0, 0, 0)
		return wire.FinishFrame(w.Buf)
	}
	var ix *store.Index
	if q.hasIndex {
		_, numeric := q.lo.(int64)
		ix = ns.FindIndex(q.set, q.bin, numeric)
		if ix == nil {
			w.Header(wire.Info3Last, rcIndexNotFound, 0, 0, 0, 0, 0)
			return wire.FinishFrame(w.Buf)
		}
	}
	now := s.now()
	var frames []byte
	sent := int64(0)
	emit := func(r *Record) bool {
		if q.maxRecords > 0 && sent >= q.maxRecords {
			return false
		}
		if q.filter != nil {
			ok, rc := exp.EvalFilter(q.filter, exp.Context{Rec: r, Now: now})
			if rc != rcOK || !ok {
				return true
			}
		}
		writeQueryRecord(w, q, r)
		sent++
		if len(w.Buf) > queryFrameSize {
			frames = append(frames, wire.FinishFrame(w.Buf)...)
			w.Buf = make([]byte, 8, 4096)
		}
		return true
	}
	keep := func(r *Record) bool { return !q.hasSet || r.Set == q.set }
	var byPartition map[int][]*Record
	if ix != nil {
		byPartition = ns.IndexMatches(ix, q.lo, q.hi, now)
	}
	visit := func(pid int, after *[20]byte) bool {
		var recs []*Record
		if ix != nil {
			for _, r := range byPartition[pid] {
				if after == nil || store.CompareDigest(r.Digest, *after) > 0 {
					recs = append(recs, r)
				}
			}
		} else {
			recs = ns.ScanPartition(pid, after, now, keep)
		}
		for _, r := range recs {
			if !emit(r) {
				return false
			}
		}
		return true
	}
	func() {
		for _, pid := range q.full {
			if !visit(pid, nil) {
				return
			}
		}
		for _, d := range q.partial {
			d := d
			if !visit(store.PartitionID(d), &d) {
				return
			}
		}
	}()
	w.Header(wire.Info3Last, rcOK, 0, 0, 0, 0, 0)
	return append(frames, wire.FinishFrame(w.Buf)...)
}

func writeQueryRecord(w *wire.RespWriter, q *query, r *Record) {
	nFields := 2
	var keyField []byte
	if r.Key != nil {
		pt, data := value.EncodeParticle(r.Key)
		keyField = append([]byte{pt}, data...)
		nFields++
	}
	var bins []Bin
	if !q.noBinData {
		if len(q.bins) == 0 {
			bins = r.Bins
		} else {
			for _, name := range q.bins {
				if v, ok := r.Bin(name); ok {
					bins = append(bins, Bin{Name: name, Value: v})
				}
			}
		}
	}
	w.Header(0, rcOK, r.Generation, r.VoidTime, 0, nFields, len(bins))
	w.Field(wire.FieldDigest, r.Digest[:])
	w.Field(wire.FieldSet, []byte(r.Set))
	if keyField != nil {
		w.Field(wire.FieldKey, keyField)
	}
	for _, b := range bins {
		w.Bin(b.Name, b.Value)
	}
}

func parseQuery(m *wire.Message) (*query, ResultCode) {
	q := &query{noBinData: m.Info1&wire.Info1NoBinData != 0}
	for _, f := range m.Fields {
		switch f.Type {
		case wire.FieldNamespace:
			q.ns = string(f.Data)
		case wire.FieldSet:
			// An empty set name (sent by the client for a scan of set "")
			// means the whole namespace, as in the server.
			q.set, q.hasSet = string(f.Data), len(f.Data) > 0
		case wire.FieldPIDArray:
			if len(f.Data)%2 != 0 {
				return nil, rcParameterError
			}
			for i := 0; i < len(f.Data); i += 2 {
				pid := int(binary.LittleEndian.Uint16(f.Data[i:]))
				if pid >= store.NumPartitions {
					return nil, rcParameterError
				}
				q.full = append(q.full, pid)
			}
		case wire.FieldDigestArray:
			if len(f.Data)%20 != 0 {
				return nil, rcParameterError
			}
			for i := 0; i < len(f.Data); i += 20 {
				var d [20]byte
				copy(d[:], f.Data[i:])
				q.partial = append(q.partial, d)
			}
		case wire.FieldMaxRecords:
			if len(f.Data) != 8 {
				return nil, rcParameterError
			}
			q.maxRecords = int64(binary.BigEndian.Uint64(f.Data))
		case wire.FieldFilterExp:
			e, rc := exp.Parse(f.Data)
			if rc != rcOK {
				return nil, rc
			}
			q.filter = e
		case wire.FieldIndexRange:
			if rc := q.parseRange(f.Data); rc != rcOK {
				return nil, rc
			}
		case wire.FieldIndexType:
			if len(f.Data) != 1 || f.Data[0] != 0 {
				return nil, rcParameterError // only the default collection type
			}
		case wire.FieldIndexContext:
			return nil, rcParameterError
		case wire.FieldQueryBinList:
			q.bins = append(q.bins, parseBinList(f.Data)...)
		case wire.FieldUDFPackage:
			return nil, rcUnsupportedFeature
		}
	}
	for _, o := range m.Ops {
		if o.Type == wire.OpRead {
			q.bins = append(q.bins, o.Name)
		} else {
			return nil, rcParameterError // background operations are not supported
		}
	}
	if len(q.full) == 0 && len(q.partial) == 0 {
		for i := 0; i < store.NumPartitions; i++ {
			q.full = append(q.full, i)
		}
	}
	return q, rcOK
}

// parseRange decodes an INDEX_RANGE field with one filter.
func (q *query) parseRange(b []byte) ResultCode {
	if len(b) < 2 || b[0] != 1 {
		return rcParameterError
	}
	b = b[1:]
	n := int(b[0])
	if len(b) < 1+n+1+4 {
		return rcParameterError
	}
	q.bin = string(b[1 : 1+n])
	pt := b[1+n]
	b = b[2+n:]
	lo, b, ok := lengthPrefixed(b)
	if !ok {
		return rcParameterError
	}
	hi, _, ok := lengthPrefixed(b)
	if !ok {
		return rcParameterError
	}
	var err error
	if q.lo, err = value.DecodeParticle(pt, lo); err != nil {
		return rcParameterError
	}
	if q.hi, err = value.DecodeParticle(pt, hi); err != nil {
		return rcParameterError
	}
	switch q.lo.(type) {
	case int64, string:
	default:
		return rcParameterError
	}
	q.hasIndex = true
	return rcOK
}

func lengthPrefixed(b []byte) ([]byte, []byte, bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint32(b))
	if n < 0 || n > len(b)-4 {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}

func parseBinList(b []byte) []string {
	if len(b) < 1 {
		return nil
	}
	n := int(b[0])
	b = b[1:]
	var out []string
	for i := 0; i < n && len(b) > 0; i++ {
		l := int(b[0])
		if 1+l > len(b) {
			break
		}
		out = append(out, string(b[1:1+l]))
		b = b[1+l:]
	}
	return out
}
