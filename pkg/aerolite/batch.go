package aerolite

import (
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// Batch entry type flags (_BATCH_MSG_*).
const (
	batchMsgRead   = 0x0
	batchMsgRepeat = 0x1
	batchMsgInfo   = 0x2
	batchMsgGen    = 0x4
	batchMsgTTL    = 0x8
)

// batchRespondAllKeys is the batch field flag (after the key count) that
// asks the server to go on after a record error (BatchPolicy.RespondAllKeys).
const batchRespondAllKeys = 0x4

// handleBatch answers a batch command: one response message per key, in
// request order, then a final message marked LAST.
func (s *Server) handleBatch(m *wire.Message) []byte {
	w := &wire.RespWriter{Buf: make([]byte, 8, 1024)}
	data, ok := m.Field(wire.FieldBatchIndex)
	if !ok {
		data, ok = m.Field(wire.FieldBatchWithSet)
	}
	if !ok {
		w.Header(wire.Info3Last, rcParameterError, 0, 0, 0, 0, 0)
		return wire.FinishFrame(w.Buf)
	}
	filter, _ := m.Field(wire.FieldFilterExp)
	reqs, indexes, err := parseBatch(data, filter)
	if err != nil {
		w.Header(wire.Info3Last, rcParameterError, 0, 0, 0, 0, 0)
		return wire.FinishFrame(w.Buf)
	}
	respondAllKeys := data[4]&batchRespondAllKeys != 0
	var results []result
	if respondAllKeys && len(reqs) >= parallelBatchMin && distinctDigests(reqs) {
		results = s.executeParallel(reqs)
	}
	for i, req := range reqs {
		var res result
		switch {
		case results != nil:
			res = results[i]
		case req.badValue:
			res.rc = rcParameterError
		default:
			res = s.execute(req)
		}
		if !respondAllKeys && res.rc != rcOK && res.rc != rcKeyNotFound && res.rc != rcFilteredOut {
			// The server stops the batch at the first other error and
			// sends only that code, in the last message, dropping the
			// answers it had for the earlier keys.
			w.Buf = w.Buf[:8]
			w.Header(wire.Info3Last, res.rc, 0, 0, 0, 0, 0)
			return wire.FinishFrame(w.Buf)
		}
		writeResult(w, &res, indexes[i], 0)
	}
	w.Header(wire.Info3Last, rcOK, 0, 0, 0, 0, 0)
	return wire.FinishFrame(w.Buf)
}

// parallelBatchMin is the smallest batch whose records are executed by
// several goroutines at once.
const parallelBatchMin = 8

// executeParallel executes the records of a batch on up to GOMAXPROCS
// goroutines, as a real server hands a batch's records to its service
// threads: each record is its own single-record command. Only for batches
// that answer every key and touch each record once (so no order between
// two of their records can be observed).
func (s *Server) executeParallel(reqs []*recordRequest) []result {
	results := make([]result, len(reqs))
	workers := min(runtime.GOMAXPROCS(0), len(reqs)/(parallelBatchMin/2))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					return
				}
				if reqs[i].badValue {
					results[i].rc = rcParameterError
				} else {
					results[i] = s.execute(reqs[i])
				}
			}
		}()
	}
	wg.Wait()
	return results
}

// distinctDigests reports whether no record appears twice in the batch.
func distinctDigests(reqs []*recordRequest) bool {
	seen := make(map[[20]byte]struct{}, len(reqs))
	for _, r := range reqs {
		if _, dup := seen[r.digest]; dup {
			return false
		}
		seen[r.digest] = struct{}{}
	}
	return true
}

// parseBatch decodes the entries of a BATCH_INDEX field.
func parseBatch(b []byte, filter []byte) ([]*recordRequest, []uint32, error) {
	if len(b) < 5 {
		return nil, nil, wire.ErrMalformed
	}
	n := int(binary.BigEndian.Uint32(b))
	b = b[5:] // count, flags
	if n > len(b)/25 {
		return nil, nil, wire.ErrMalformed
	}
	reqs := make([]*recordRequest, 0, n)
	indexes := make([]uint32, 0, n)
	var prev *recordRequest
	for i := 0; i < n; i++ {
		if len(b) < 25 {
			return nil, nil, wire.ErrMalformed
		}
		index := binary.BigEndian.Uint32(b)
		var digest [20]byte
		copy(digest[:], b[4:24])
		t := b[24]
		b = b[25:]
		req := &recordRequest{isBatch: true, filter: filter}
		if t == batchMsgRepeat {
			if prev == nil {
				return nil, nil, wire.ErrMalformed
			}
			cp := *prev
			cp.userKey, cp.hasKey = nil, false
			req = &cp
		} else {
			if t&batchMsgInfo != 0 {
				if len(b) < 3 {
					return nil, nil, wire.ErrMalformed
				}
				req.info1, req.info2, req.info3 = b[0], b[1], b[2]
				b = b[3:]
			} else if t == batchMsgRead {
				if len(b) < 1 {
					return nil, nil, wire.ErrMalformed
				}
				req.info1 = b[0] | wire.Info1Read
				b = b[1:]
			}
			if t&batchMsgGen != 0 {
				if len(b) < 2 {
					return nil, nil, wire.ErrMalformed
				}
				req.gen = uint32(binary.BigEndian.Uint16(b))
				b = b[2:]
			}
			if t&batchMsgTTL != 0 {
				if len(b) < 4 {
					return nil, nil, wire.ErrMalformed
				}
				req.ttl = binary.BigEndian.Uint32(b)
				b = b[4:]
			}
			if len(b) < 4 {
				return nil, nil, wire.ErrMalformed
			}
			nFields := int(binary.BigEndian.Uint16(b))
			nOps := int(binary.BigEndian.Uint16(b[2:]))
			var fields []wire.Field
			var err error
			if fields, b, err = wire.ParseFields(b[4:], nFields); err != nil {
				return nil, nil, err
			}
			if req.ops, b, err = wire.ParseOps(b, nOps); err != nil {
				return nil, nil, err
			}
			for _, f := range fields {
				switch f.Type {
				case wire.FieldNamespace:
					req.ns = string(f.Data)
				case wire.FieldSet:
					req.set = string(f.Data)
				case wire.FieldKey:
					k, err := decodeKey(f.Data)
					if err != nil {
						req.badValue = true
					}
					req.userKey, req.hasKey = k, true
				case wire.FieldFilterExp:
					req.filter = f.Data
				}
			}
			if req.info1&wire.Info1Read != 0 && len(req.ops) == 0 && req.info1&wire.Info1NoBinData == 0 {
				req.info1 |= wire.Info1GetAll
			}
		}
		req.digest = digest
		reqs = append(reqs, req)
		indexes = append(indexes, index)
		prev = req
	}
	return reqs, indexes, nil
}
