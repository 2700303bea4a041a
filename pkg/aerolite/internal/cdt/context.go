package cdt

import (
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// Context paths: the steps of a CDT context (by index, rank, key or value,
// creating missing containers when the step asks for it), down to the
// element an operation applies to.

// cdtApplyPath applies op to the element that ctx designates inside val.
// exists tells whether val exists; creating is set once a context step
// created a missing element (then every following step creates too); top is
// set for the bin itself.
func cdtApplyPath(op *cdtOp, modify bool, ctx []cdtCtxItem, val any, exists, creating, top bool) cdtOutcome {
	if len(ctx) == 0 {
		if op.code < cdtOpMapSetType {
			return cdtApplyList(op, modify, val, exists, creating)
		}
		return cdtApplyMap(op, modify, val, exists, top)
	}
	it := ctx[0]
	if !cdtCtxTypeValid(it.typ) {
		return cdtFail(wire.OpNotApplicable)
	}
	if !exists {
		if !modify {
			return cdtOutcome{}
		}
		if top && !cdtCreateFlag(it.typ) {
			// An empty bin can only be dug into by a step that creates.
			return cdtFail(wire.OpNotApplicable)
		}
		return cdtCreatePath(op, ctx)
	}
	switch c := val.(type) {
	case *value.List:
		if it.typ&cdtCtxMap != 0 {
			return cdtFail(wire.OpNotApplicable)
		}
		return cdtListStep(op, modify, ctx, c)
	case *value.Map:
		if it.typ&cdtCtxList != 0 {
			return cdtFail(wire.OpNotApplicable)
		}
		return cdtMapStep(op, modify, ctx, c)
	}
	return cdtFail(wire.OpNotApplicable)
}

// cdtCtxTypeValid mirrors cdt_context_ctx_create_type_check: which create
// flags each context type accepts.
func cdtCtxTypeValid(t int64) bool {
	if t > 0x3ff || t&cdtCtxBaseMask > cdtCtxValue {
		return false
	}
	cr := t & cdtCtxCreate
	switch {
	case t&cdtCtxList != 0:
		switch cr &^ cdtCtxPersist {
		case 0, cdtCtxUnordered, cdtCtxUnbound, cdtCtxOrdered:
			return true
		}
	case t&cdtCtxMap != 0:
		switch cr {
		case 0, cdtCtxUnordered, cdtCtxUnbound, cdtCtxOrdered,
			cdtCtxUnbound | cdtCtxPersist, cdtCtxOrdered | cdtCtxPersist:
			return true
		}
	}
	return cr == 0 // steps without a list/map bit cannot create
}

// cdtCreateFlag reports whether a context step carries a create flag.
func cdtCreateFlag(t int64) bool { return t&(cdtCtxCreate&^cdtCtxPersist) != 0 }

// cdtMapOrderFromCtx is the order of a map created by a context step.
func cdtMapOrderFromCtx(t int64) int {
	switch t & (cdtCtxCreate &^ cdtCtxPersist) {
	case cdtCtxUnbound:
		return value.MapKeyOrdered
	case cdtCtxOrdered:
		return value.MapKeyValueOrdered
	}
	return value.MapUnordered
}

// cdtCreatePath builds the missing containers of the remaining context
// steps, applies op to the innermost (missing) element, and keeps the new
// containers only if the op wrote something.
func cdtCreatePath(op *cdtOp, ctx []cdtCtxItem) cdtOutcome {
	it := ctx[0]
	switch it.typ & (cdtCtxKindMask | cdtCtxBaseMask) {
	case cdtCtxMap | cdtCtxKey:
		if cdtNonStorage(it.val) {
			return cdtFail(wire.OpNotApplicable)
		}
		out := cdtApplyPath(op, true, ctx[1:], nil, false, true, false)
		if out.rc != wire.OK || !out.changed {
			return out
		}
		m := &value.Map{Order: cdtMapOrderFromCtx(it.typ)}
		m.Put(it.val, out.newVal)
		out.newVal = m
		return out
	case cdtCtxList | cdtCtxIndex:
		idx, ok := it.val.(int64)
		if !ok || idx < -1 {
			return cdtFail(wire.OpNotApplicable)
		}
		if idx == -1 {
			idx = 0
		}
		cr := it.typ & (cdtCtxCreate &^ cdtCtxPersist)
		switch cr {
		case cdtCtxOrdered:
			idx = 0 // an ordered list holds the element wherever it sorts
		case cdtCtxUnbound:
			if idx >= cdtMaxElements {
				return cdtFail(wire.RecordTooBig)
			}
		default:
			if idx > 0 {
				return cdtFail(wire.OpNotApplicable)
			}
		}
		out := cdtApplyPath(op, true, ctx[1:], nil, false, true, false)
		if out.rc != wire.OK || !out.changed {
			return out
		}
		l := &value.List{Ordered: cr == cdtCtxOrdered, Items: make([]any, idx+1)}
		l.Items[idx] = out.newVal
		out.newVal = l
		return out
	}
	return cdtFail(wire.OpNotApplicable)
}

// cdtListStep descends one context step into list l.
func cdtListStep(op *cdtOp, modify bool, ctx []cdtCtxItem, l *value.List) cdtOutcome {
	it := ctx[0]
	n := len(l.Items)
	pos := -1
	switch it.typ & cdtCtxBaseMask {
	case cdtCtxIndex, cdtCtxRank:
		i, ok := it.val.(int64)
		if !ok {
			return cdtFail(wire.OpNotApplicable)
		}
		if it.typ&cdtCtxBaseMask == cdtCtxRank && !l.Ordered {
			p, ok := cdtSingleIndex(i, n)
			if !ok {
				return cdtFail(wire.OpNotApplicable)
			}
			pos = cdtNewListView(l).rankOrder()[p]
			break
		}
		if p, ok := cdtSingleIndex(i, n); ok {
			pos = p
			break
		}
		if !modify || !cdtCreateFlag(it.typ) {
			return cdtFail(wire.OpNotApplicable)
		}
		return cdtListStepCreate(op, ctx, l, i)
	case cdtCtxValue:
		for i, v := range l.Items {
			if cdtCompare(v, it.val) == 0 {
				pos = i
				break
			}
		}
		if pos < 0 {
			return cdtFail(wire.OpNotApplicable)
		}
	default:
		return cdtFail(wire.OpNotApplicable) // lists have no keys
	}
	out := cdtApplyPath(op, modify, ctx[1:], l.Items[pos], true, false, false)
	if out.rc != wire.OK || !out.changed {
		return out
	}
	l.Items[pos] = out.newVal
	if l.Ordered {
		value.SortValues(l.Items) // the changed element may sort elsewhere now
	}
	out.newVal = l
	return out
}

// cdtListStepCreate handles an index step past the end of an existing list
// with a create flag (list_subcontext_by_index).
func cdtListStepCreate(op *cdtOp, ctx []cdtCtxItem, l *value.List, i int64) cdtOutcome {
	n := int64(len(l.Items))
	pad := int64(0)
	switch {
	case n == 0 && i == -1, i == n:
	case i > n && l.Ordered:
	case i > n && cdtCtxUnboundFlag(ctx[0].typ):
		pad = i - n
		if i >= cdtMaxElements {
			return cdtFail(wire.RecordTooBig)
		}
	default:
		return cdtFail(wire.OpNotApplicable)
	}
	out := cdtApplyPath(op, true, ctx[1:], nil, false, true, false)
	if out.rc != wire.OK || !out.changed {
		return out
	}
	for ; pad > 0; pad-- {
		l.Items = append(l.Items, nil)
	}
	l.Items = append(l.Items, out.newVal)
	if l.Ordered {
		value.SortValues(l.Items)
	}
	out.newVal = l
	return out
}

// cdtCtxUnboundFlag reports whether a list step creates padded lists.
func cdtCtxUnboundFlag(t int64) bool {
	return t&(cdtCtxCreate&^cdtCtxPersist) == cdtCtxUnbound
}

// cdtMapStep descends one context step into map m.
func cdtMapStep(op *cdtOp, modify bool, ctx []cdtCtxItem, m *value.Map) cdtOutcome {
	it := ctx[0]
	n := len(m.Entries)
	pos := -1
	switch it.typ & cdtCtxBaseMask {
	case cdtCtxIndex, cdtCtxRank:
		i, ok := it.val.(int64)
		if !ok {
			return cdtFail(wire.OpNotApplicable)
		}
		p, ok := cdtSingleIndex(i, n)
		if !ok {
			return cdtFail(wire.OpNotApplicable)
		}
		pos = p
		if it.typ&cdtCtxBaseMask == cdtCtxRank {
			pos = cdtNewMapView(m, false).rankOrder()[p]
		}
	case cdtCtxKey:
		p, found := m.Find(it.val)
		if !found {
			if !modify || !cdtCreateFlag(it.typ) || cdtNonStorage(it.val) {
				return cdtFail(wire.OpNotApplicable)
			}
			out := cdtApplyPath(op, true, ctx[1:], nil, false, true, false)
			if out.rc != wire.OK || !out.changed {
				return out
			}
			m.Put(it.val, out.newVal)
			out.newVal = m
			return out
		}
		pos = p
	case cdtCtxValue:
		// The first entry with that value in rank order: ties sort by key,
		// which is also the storage order here.
		for i, e := range m.Entries {
			if cdtCompare(e.Value, it.val) == 0 {
				pos = i
				break
			}
		}
		if pos < 0 {
			return cdtFail(wire.OpNotApplicable)
		}
	default:
		return cdtFail(wire.OpNotApplicable)
	}
	out := cdtApplyPath(op, modify, ctx[1:], m.Entries[pos].Value, true, false, false)
	if out.rc != wire.OK || !out.changed {
		return out
	}
	m.Entries[pos].Value = out.newVal
	out.newVal = m
	return out
}
