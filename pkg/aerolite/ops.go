package aerolite

import (
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/cdt"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/exp"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// opState applies the operations of one command to a working copy of a
// record's bins. Bins slices are copied on write, never modified in place,
// because the stored record may be read concurrently.
type opState struct {
	rec        *Record // the record as stored before the command; nil if none
	bins       []Bin
	out        []Bin
	getAll     bool // INFO1_GET_ALL: read ops return all bins, once
	sentAll    bool
	respondAll bool // INFO2_RESPOND_ALL_OPS: one entry per op
	write      bool
	deleted    bool
	touched    bool
	now        time.Time
}

// Expression op flags (ExpReadFlag*/ExpWriteFlag*).
const (
	expWriteCreateOnly   = 1
	expWriteUpdateOnly   = 2
	expWriteAllowDelete  = 4
	expWritePolicyNoFail = 8
	expEvalNoFail        = 16
)

func (st *opState) get(name string) (any, bool) {
	for i := range st.bins {
		if st.bins[i].Name == name {
			return st.bins[i].Value, true
		}
	}
	return nil, false
}

func (st *opState) set(name string, v any) {
	bins := make([]Bin, 0, len(st.bins)+1)
	found := false
	for _, b := range st.bins {
		if b.Name == name {
			found = true
			if v == nil {
				continue
			}
			b.Value = v
		}
		bins = append(bins, b)
	}
	if !found && v != nil {
		bins = append(bins, Bin{Name: name, Value: v})
	}
	st.bins = bins
}

// emit records an op's result; a write without a result answers only when
// the client asked for a result per op.
func (st *opState) emit(name string, v any, has bool) {
	if has || st.respondAll {
		st.out = append(st.out, Bin{Name: name, Value: v})
	}
}

// view is the record as the command has changed it so far (for expressions).
func (st *opState) view() *Record {
	if st.rec == nil && len(st.bins) == 0 {
		return nil
	}
	r := &Record{Bins: st.bins}
	if st.rec != nil {
		r.Set, r.Key, r.Digest = st.rec.Set, st.rec.Key, st.rec.Digest
		r.Generation, r.VoidTime, r.LastUpdate = st.rec.Generation, st.rec.VoidTime, st.rec.LastUpdate
	}
	return r
}

// apply runs one operation.
func (st *opState) apply(o *wire.Op) ResultCode {
	switch o.Type {
	case wire.OpRead:
		return st.read(o)
	case wire.OpWrite:
		v, err := value.DecodeParticle(o.Particle, o.Value)
		if err != nil {
			return rcParameterError
		}
		st.set(o.Name, v)
		st.emit(o.Name, nil, false)
	case wire.OpAdd:
		return st.add(o)
	case wire.OpAppend, wire.OpPrepend:
		return st.concat(o)
	case wire.OpTouch:
		// The record exists (writePolicies). A touch has no entry in the
		// response, even when the client asked for one per op.
		st.touched = true
	case wire.OpDelete:
		// On a missing record it deletes nothing, and the ops after it
		// may create the record.
		st.bins = nil
		st.deleted = true
		st.emit(o.Name, nil, false)
	case wire.OpCDTRead, wire.OpCDTModify:
		if st.getAll {
			return rcParameterError // the server refuses read-all with CDT ops
		}
		modify := o.Type == wire.OpCDTModify
		if modify && !st.write {
			return rcParameterError
		}
		cur, exists := st.get(o.Name)
		res, has, nv, changed, rc := cdt.Apply(modify, o.Value, cur, exists)
		if rc != rcOK {
			return rc
		}
		if changed {
			st.set(o.Name, nv)
		}
		st.emit(o.Name, res, has)
	case wire.OpExpRead:
		return st.expRead(o)
	case wire.OpExpModify:
		if !st.write {
			return rcParameterError
		}
		return st.expWrite(o)
	default:
		return rcParameterError
	}
	return rcOK
}

func (st *opState) read(o *wire.Op) ResultCode {
	if st.getAll {
		if !st.sentAll {
			st.sentAll = true
			st.out = append(st.out, st.bins...)
		}
		return rcOK
	}
	if o.Name == "" {
		return rcOK // GetHeaderOp: metadata only
	}
	if v, ok := st.get(o.Name); ok {
		st.out = append(st.out, Bin{Name: o.Name, Value: v})
	} else if st.respondAll {
		st.out = append(st.out, Bin{Name: o.Name})
	}
	return rcOK
}

func (st *opState) add(o *wire.Op) ResultCode {
	v, err := value.DecodeParticle(o.Particle, o.Value)
	if err != nil {
		return rcParameterError
	}
	cur, ok := st.get(o.Name)
	switch x := v.(type) {
	case int64:
		if !ok {
			st.set(o.Name, x)
		} else if c, isInt := cur.(int64); isInt {
			st.set(o.Name, c+x) // wraps on overflow, as the server does
		} else {
			return rcBinTypeError
		}
	case float64:
		if !ok {
			st.set(o.Name, x)
		} else if c, isFloat := cur.(float64); isFloat {
			st.set(o.Name, c+x)
		} else {
			return rcBinTypeError
		}
	default:
		return rcBinTypeError
	}
	st.emit(o.Name, nil, false)
	return rcOK
}

func (st *opState) concat(o *wire.Op) ResultCode {
	v, err := value.DecodeParticle(o.Particle, o.Value)
	if err != nil {
		return rcParameterError
	}
	cur, ok := st.get(o.Name)
	prepend := o.Type == wire.OpPrepend
	switch x := v.(type) {
	case string:
		if !ok {
			st.set(o.Name, x)
		} else if c, isStr := cur.(string); isStr {
			if prepend {
				st.set(o.Name, x+c)
			} else {
				st.set(o.Name, c+x)
			}
		} else {
			return rcBinTypeError
		}
	case []byte:
		if !ok {
			st.set(o.Name, x)
		} else if c, isBlob := cur.([]byte); isBlob {
			var nb []byte
			if prepend {
				nb = append(append([]byte{}, x...), c...)
			} else {
				nb = append(append([]byte{}, c...), x...)
			}
			st.set(o.Name, nb)
		} else {
			return rcBinTypeError
		}
	default:
		return rcBinTypeError
	}
	st.emit(o.Name, nil, false)
	return rcOK
}

func (st *opState) expRead(o *wire.Op) ResultCode {
	e, flags, rc := exp.ParseOp(o.Value)
	if rc != rcOK {
		return rc
	}
	v, ok, rc := exp.Eval(e, exp.Context{Rec: st.view(), Now: st.now})
	if rc != rcOK {
		return rc
	}
	if !ok {
		if flags&expEvalNoFail == 0 {
			return rcOpNotApplicable
		}
		v = nil
	}
	st.out = append(st.out, Bin{Name: o.Name, Value: v})
	return rcOK
}

func (st *opState) expWrite(o *wire.Op) ResultCode {
	e, flags, rc := exp.ParseOp(o.Value)
	if rc != rcOK {
		return rc
	}
	v, ok, rc := exp.Eval(e, exp.Context{Rec: st.view(), Now: st.now})
	if rc != rcOK {
		return rc
	}
	if !ok {
		if flags&expEvalNoFail == 0 {
			return rcOpNotApplicable
		}
		st.emit(o.Name, nil, false)
		return rcOK
	}
	_, exists := st.get(o.Name)
	switch {
	case flags&expWriteCreateOnly != 0 && exists, flags&expWriteUpdateOnly != 0 && !exists:
		if flags&expWritePolicyNoFail == 0 {
			if exists {
				return rcBinExists
			}
			return rcBinNotFound
		}
	case v == nil && flags&expWriteAllowDelete == 0:
		if flags&expWritePolicyNoFail == 0 {
			return rcOpNotApplicable
		}
	default:
		st.set(o.Name, v)
	}
	st.emit(o.Name, nil, false)
	return rcOK
}
