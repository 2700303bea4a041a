package cdt

import (
	"math"
	"sort"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// List operations (particle_list.c).

// List write flags (ListWriteFlags*).
const (
	cdtListAddUnique     = 0x01
	cdtListInsertBounded = 0x02
	cdtListNoFail        = 0x04
	cdtListDoPartial     = 0x08
)

// List sort flags (ListSortFlags*).
const (
	cdtSortDescending     = 0x01
	cdtSortDropDuplicates = 0x02
)

// cdtListCreatesBin lists the modify ops that create a missing list; the
// other list modify ops are no-ops on a missing list.
var cdtListCreatesBin = map[int]bool{
	cdtOpListSetType:     true,
	cdtOpListAppend:      true,
	cdtOpListAppendItems: true,
	cdtOpListInsert:      true,
	cdtOpListInsertItems: true,
	cdtOpListSet:         true,
	cdtOpListIncrement:   true,
}

// cdtApplyList applies a list op to val. exists is false for a missing bin
// and for an element that a context path is creating (created).
func cdtApplyList(op *cdtOp, modify bool, val any, exists, created bool) cdtOutcome {
	l, isList := val.(*value.List)
	if exists && !isList {
		return cdtFail(wire.BinTypeError)
	}
	spec, rc := cdtSpecFor(op.code, modify)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	if !exists {
		switch {
		case !modify:
			return cdtOutcome{}
		case op.code == cdtOpListSort && !created:
			return cdtFail(wire.BinTypeError) // sorting needs a list
		case !cdtListCreatesBin[op.code]:
			return cdtOutcome{} // nothing to remove from a missing list
		}
	}
	if rc := op.checkArgs(spec); rc != wire.OK {
		return cdtFail(rc)
	}
	a := op.args
	switch op.code {
	case cdtOpListSetType:
		return cdtListSetType(l, a)
	case cdtOpListAppend, cdtOpListAppendItems:
		return cdtListAppend(l, a, op.code == cdtOpListAppendItems)
	case cdtOpListInsert, cdtOpListInsertItems:
		return cdtListInsertOp(l, a, op.code == cdtOpListInsertItems)
	case cdtOpListSet:
		return cdtListSetOp(l, a)
	case cdtOpListIncrement:
		return cdtListIncrement(l, a)
	case cdtOpListClear:
		l.Items = nil
		return cdtOutcome{newVal: l, changed: true}
	case cdtOpListSort:
		return cdtListSort(l, a)
	case cdtOpListSize:
		return cdtOutcome{result: int64(len(l.Items)), has: true}
	}
	return cdtListByIndexOps(op.code, l, a)
}

// cdtListByIndexOps runs the index-addressed ops with an implied return type
// (pop, remove, trim, get) and the generic get/remove-by ops.
func cdtListByIndexOps(code int, l *value.List, a cdtArgs) cdtOutcome {
	index, ok := a.int(0)
	count, okc := a.count(1)
	var rt int64
	multi, remove := true, true
	switch code {
	case cdtOpListPop:
		rt, multi = cdtRtValue, false
	case cdtOpListPopRange:
		rt = cdtRtValue
	case cdtOpListRemove:
		rt, multi = cdtRtCount, false
	case cdtOpListRemoveRange:
		rt = cdtRtCount
	case cdtOpListTrim:
		// Trim keeps [index, index+count): it removes the inverted range.
		rt = cdtRtCount | cdtRtInverted
	case cdtOpListGet:
		rt, multi, remove = cdtRtValue, false, false
	case cdtOpListGetRange:
		rt, remove = cdtRtValue, false
	default:
		if code >= cdtOpListRemoveByIndex {
			return cdtListSelect(l, code-cdtOpListRemoveByIndex+cdtOpListGetByIndex, a, true)
		}
		return cdtListSelect(l, code, a, false)
	}
	if !ok || !okc {
		return cdtFail(wire.ParameterError)
	}
	v := cdtNewListView(l)
	s, rc := v.selIndexRange(index, count, multi)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	return cdtListFinish(l, v, s, rt, remove)
}

// cdtListSelect runs a get-by op (code is the get opcode; remove turns it
// into the matching remove-by op).
func cdtListSelect(l *value.List, code int, a cdtArgs, remove bool) cdtOutcome {
	rt, ok := a.int(0)
	if !ok {
		return cdtFail(wire.ParameterError)
	}
	v := cdtNewListView(l)
	s, rc := cdtSelectCommon(v, code-cdtOpListGetByIndex, a)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	return cdtListFinish(l, v, s, rt, remove)
}

// Get-by kinds, in list opcode order (relative to GET_BY_INDEX); map
// opcodes are mapped onto them too.
const (
	cdtSelIndex = iota
	cdtSelValue
	cdtSelRank
	cdtSelAllByValue
	cdtSelValueList
	cdtSelIndexRange
	cdtSelValueInterval
	cdtSelRankRange
	cdtSelValueRelRankRange
	// Map only.
	cdtSelKey
	cdtSelKeyList
	cdtSelKeyInterval
	cdtSelKeyRelIndexRange
)

// cdtSelectCommon selects elements for the get/remove-by kind sel. a[0] is
// the return type; the selection parameters follow.
func cdtSelectCommon(v *cdtView, sel int, a cdtArgs) (*cdtSel, wire.ResultCode) {
	switch sel {
	case cdtSelIndex, cdtSelRank:
		i, ok := a.int(1)
		if !ok {
			return nil, wire.ParameterError
		}
		if sel == cdtSelIndex {
			return v.selIndexRange(i, 1, false)
		}
		return v.selRankRange(i, 1, false)
	case cdtSelIndexRange, cdtSelRankRange:
		i, ok := a.int(1)
		c, okc := a.count(2)
		if !ok || !okc {
			return nil, wire.ParameterError
		}
		if sel == cdtSelIndexRange {
			return v.selIndexRange(i, c, true)
		}
		return v.selRankRange(i, c, true)
	case cdtSelValue, cdtSelAllByValue:
		if !a.has(1) {
			return nil, wire.ParameterError
		}
		return v.selValueInterval(a[1], nil, false, true, sel == cdtSelAllByValue), wire.OK
	case cdtSelValueInterval:
		if !a.has(1) {
			return nil, wire.ParameterError
		}
		return v.selValueInterval(a[1], a.get(2), a.has(2), false, true), wire.OK
	case cdtSelValueList:
		vals, ok := a.list(1)
		if !ok {
			return nil, wire.ParameterError
		}
		return v.selValueList(vals), wire.OK
	case cdtSelValueRelRankRange:
		r, ok := a.int(2)
		c, okc := a.count(3)
		if !ok || !okc {
			return nil, wire.ParameterError
		}
		return v.selValueRelRankRange(a[1], r, c)
	}
	if !v.isMap {
		return nil, wire.ParameterError
	}
	switch sel {
	case cdtSelKey:
		if !a.has(1) {
			return nil, wire.ParameterError
		}
		return v.selKeyInterval(a[1], nil, false, true), wire.OK
	case cdtSelKeyInterval:
		if !a.has(1) {
			return nil, wire.ParameterError
		}
		return v.selKeyInterval(a[1], a.get(2), a.has(2), false), wire.OK
	case cdtSelKeyList:
		keys, ok := a.list(1)
		if !ok {
			return nil, wire.ParameterError
		}
		return v.selKeyList(keys), wire.OK
	case cdtSelKeyRelIndexRange:
		i, ok := a.int(2)
		c, okc := a.count(3)
		if !ok || !okc {
			return nil, wire.ParameterError
		}
		return v.selKeyRelIndexRange(a[1], i, c)
	}
	return nil, wire.ParameterError
}

// cdtListFinish builds the result of a selection and removes the selected
// elements for remove ops.
func cdtListFinish(l *value.List, v *cdtView, s *cdtSel, rt int64, remove bool) cdtOutcome {
	res, has, rc := v.finish(s, rt)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	out := cdtOutcome{result: res, has: has}
	if remove && len(s.pos) > 0 {
		l.Items = cdtRemovePositions(l.Items, s.pos)
		out.newVal, out.changed = l, true
	}
	return out
}

// cdtListSetType orders or unorders the list (creating it if missing).
func cdtListSetType(l *value.List, a cdtArgs) cdtOutcome {
	flags, ok := a.int(0)
	if !ok {
		return cdtFail(wire.ParameterError)
	}
	changed := false
	if l == nil {
		l, changed = &value.List{}, true
	}
	ordered := flags&1 != 0
	if ordered != l.Ordered {
		if ordered {
			value.SortValues(l.Items)
		}
		l.Ordered, changed = ordered, true
	}
	return cdtOutcome{newVal: l, changed: changed}
}

// cdtListExistsRC is the outcome of a unique-write conflict: ELEMENT_EXISTS,
// or a silent no-op with NO_FAIL.
func cdtListExistsRC(flags int64) wire.ResultCode {
	if flags&cdtListNoFail != 0 {
		return wire.OK
	}
	return wire.ElementExists
}

// cdtListIndexOf returns the first position holding a value equal to x.
func cdtListIndexOf(items []any, x any) int {
	for i, it := range items {
		if cdtCompare(it, x) == 0 {
			return i
		}
	}
	return -1
}

// cdtListAppend appends one value or the items of a list value; a missing
// list is created with the order given by the op's list policy.
func cdtListAppend(l *value.List, a cdtArgs, isItems bool) cdtOutcome {
	attr, ok1 := a.intOr(1, 0)
	flags, ok2 := a.intOr(2, 0)
	items, ok3 := cdtItemsArg(a, 0, isItems)
	if !ok1 || !ok2 || !ok3 {
		return cdtFail(wire.ParameterError)
	}
	fresh := l == nil
	if fresh {
		l = &value.List{Ordered: attr&1 != 0}
	}
	var size int64
	var changed bool
	var rc wire.ResultCode
	if l.Ordered {
		size, changed, rc = cdtListAddOrdered(l, items, isItems, flags)
	} else {
		size, changed, rc = cdtListInsert(l, int64(len(l.Items)), items, isItems, flags)
	}
	if rc != wire.OK {
		return cdtFail(rc)
	}
	return cdtOutcome{result: size, has: true, newVal: l, changed: changed || fresh}
}

// cdtItemsArg returns argument i as the values to add: the items of a list
// argument, or the argument itself. Values to store may not hold wildcards.
func cdtItemsArg(a cdtArgs, i int, isItems bool) ([]any, bool) {
	if !a.has(i) {
		return nil, false
	}
	items := []any{a[i]}
	if isItems {
		l, ok := a[i].(*value.List)
		if !ok {
			return nil, false
		}
		items = l.Items
	}
	for _, it := range items {
		if cdtNonStorage(it) {
			return nil, false
		}
	}
	return items, true
}

// cdtListInsertOp inserts into an unordered list (creating it if missing).
func cdtListInsertOp(l *value.List, a cdtArgs, isItems bool) cdtOutcome {
	index, ok1 := a.int(0)
	items, ok2 := cdtItemsArg(a, 1, isItems)
	flags, ok3 := a.intOr(2, 0)
	if !ok1 || !ok2 || !ok3 {
		return cdtFail(wire.ParameterError)
	}
	fresh := l == nil
	if fresh {
		l = &value.List{}
	}
	if l.Ordered {
		return cdtFail(wire.OpNotApplicable) // positions are the order's business
	}
	size, changed, rc := cdtListInsert(l, index, items, isItems, flags)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	return cdtOutcome{result: size, has: true, newVal: l, changed: changed || fresh}
}

// cdtListInsert inserts items at index into unordered list l
// (packed_list_insert): a negative index counts from the end, an index past
// the end pads with nils, and the write flags apply. It returns the list
// size to report.
func cdtListInsert(l *value.List, index int64, items []any, isItems bool, flags int64) (int64, bool, wire.ResultCode) {
	n := int64(len(l.Items))
	if isItems && len(items) == 0 {
		return n, false, wire.OK
	}
	if index > math.MaxInt32 {
		return n, false, wire.OpNotApplicable
	}
	if index < 0 {
		index += n
		if index < 0 {
			return n, false, wire.OpNotApplicable
		}
	}
	if flags&cdtListInsertBounded != 0 && index > n {
		if flags&cdtListNoFail != 0 {
			return n, false, wire.OK
		}
		return n, false, wire.OpNotApplicable
	}
	if flags&cdtListAddUnique != 0 {
		var rc wire.ResultCode
		var noop bool
		items, noop, rc = cdtListUniqueItems(l.Items, items, flags)
		if rc != wire.OK || noop {
			return n, false, rc
		}
	}
	newLen := max(index, n) + int64(len(items))
	if newLen > cdtMaxElements {
		return n, false, wire.RecordTooBig
	}
	out := make([]any, 0, newLen)
	if index >= n {
		out = append(out, l.Items...)
		for int64(len(out)) < index {
			out = append(out, nil)
		}
		out = append(out, items...)
	} else {
		out = append(out, l.Items[:index]...)
		out = append(out, items...)
		out = append(out, l.Items[index:]...)
	}
	l.Items = out
	return int64(len(out)), true, wire.OK
}

// cdtListUniqueItems applies ADD_UNIQUE to the items to insert into an
// unordered list: an item already in the list fails the op (or makes it a
// no-op with NO_FAIL) unless DO_PARTIAL skips it; so does an item repeated
// within the items, which without NO_FAIL is OP_NOT_APPLICABLE.
func cdtListUniqueItems(list, items []any, flags int64) (keep []any, noop bool, rc wire.ResultCode) {
	partial := flags&(cdtListNoFail|cdtListDoPartial) == cdtListNoFail|cdtListDoPartial
	for i, it := range items {
		if cdtListIndexOf(list, it) >= 0 {
			if !partial {
				return nil, true, cdtListExistsRC(flags)
			}
			continue
		}
		if cdtListIndexOf(items[:i], it) >= 0 {
			if flags&cdtListNoFail == 0 {
				return nil, true, wire.OpNotApplicable
			}
			if !partial {
				return nil, true, wire.OK
			}
			continue
		}
		keep = append(keep, it)
	}
	if len(keep) == 0 {
		return nil, true, cdtListExistsRC(flags)
	}
	return keep, false, wire.OK
}

// cdtListAddOrdered adds values to an ordered list where they sort.
func cdtListAddOrdered(l *value.List, items []any, isItems bool, flags int64) (int64, bool, wire.ResultCode) {
	n := int64(len(l.Items))
	if len(items) == 0 {
		return n, false, wire.OK
	}
	unique := flags&cdtListAddUnique != 0
	partial := flags&(cdtListNoFail|cdtListDoPartial) == cdtListNoFail|cdtListDoPartial
	add := append([]any(nil), items...)
	value.SortValues(add)
	if unique && isItems {
		// Repeats within the items themselves.
		dedup := add[:0:0]
		for i, it := range add {
			if i > 0 && value.Compare(add[i-1], it) == 0 {
				if flags&cdtListNoFail == 0 {
					return n, false, wire.OpNotApplicable
				}
				if !partial {
					return n, false, wire.OK
				}
				continue
			}
			dedup = append(dedup, it)
		}
		add = dedup
	}
	if unique {
		kept := add[:0:0]
		for _, it := range add {
			if cdtListIndexOf(l.Items, it) >= 0 {
				if !partial {
					return n, false, cdtListExistsRC(flags)
				}
				continue
			}
			kept = append(kept, it)
		}
		add = kept
	}
	if int(n)+len(add) > cdtMaxElements {
		return n, false, wire.RecordTooBig
	}
	for _, it := range add {
		i := sort.Search(len(l.Items), func(j int) bool { return value.Compare(l.Items[j], it) > 0 })
		l.Items = append(l.Items, nil)
		copy(l.Items[i+1:], l.Items[i:])
		l.Items[i] = it
	}
	return int64(len(l.Items)), len(add) > 0, wire.OK
}

// cdtListSetOp sets the element at index (creating the list if missing).
// It has no result.
func cdtListSetOp(l *value.List, a cdtArgs) cdtOutcome {
	index, ok1 := a.int(0)
	items, ok2 := cdtItemsArg(a, 1, false)
	flags, ok3 := a.intOr(2, 0)
	if !ok1 || !ok2 || !ok3 {
		return cdtFail(wire.ParameterError)
	}
	fresh := l == nil
	if fresh {
		l = &value.List{}
	}
	if l.Ordered {
		return cdtFail(wire.OpNotApplicable)
	}
	changed, rc := cdtListSet(l, index, items[0], flags)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	return cdtOutcome{newVal: l, changed: changed || fresh}
}

// cdtListSet replaces the element at index of an unordered list; past the
// end it inserts (padding with nils).
func cdtListSet(l *value.List, index int64, x any, flags int64) (bool, wire.ResultCode) {
	n := int64(len(l.Items))
	if index >= n {
		_, changed, rc := cdtListInsert(l, index, []any{x}, false, flags)
		return changed, rc
	}
	if index < 0 {
		index += n
		if index < 0 {
			return false, wire.OpNotApplicable
		}
	}
	if flags&cdtListAddUnique != 0 {
		// Rewriting the only copy of the value in place is fine.
		for i, it := range l.Items {
			if int64(i) != index && cdtCompare(it, x) == 0 {
				return false, cdtListExistsRC(flags)
			}
		}
	}
	l.Items[index] = x
	return true, wire.OK
}

// cdtListIncrement adds a delta to the number at index and returns the new
// value; past the end of the list the delta is stored there (padding).
func cdtListIncrement(l *value.List, a cdtArgs) cdtOutcome {
	index, ok1 := a.int(0)
	attr, ok2 := a.intOr(2, 0)
	flags, ok3 := a.intOr(3, 0)
	if !ok1 || !ok2 || !ok3 {
		return cdtFail(wire.ParameterError)
	}
	fresh := l == nil
	if fresh {
		l = &value.List{Ordered: attr&1 != 0}
	}
	n := int64(len(l.Items))
	i := index
	if i < 0 {
		i += n
	}
	if index > math.MaxInt32 || i < 0 {
		return cdtFail(wire.OpNotApplicable)
	}
	var cur any
	if i < n {
		cur = l.Items[i]
	}
	nv, rc := cdtIncrement(cur, i < n, a.get(1), false)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	changed := true
	if l.Ordered {
		changed, rc = cdtListReplaceOrdered(l, i, nv, flags)
	} else {
		changed, rc = cdtListSet(l, i, nv, flags)
	}
	if rc != wire.OK {
		return cdtFail(rc)
	}
	return cdtOutcome{result: nv, has: true, newVal: l, changed: changed || fresh}
}

// cdtListReplaceOrdered replaces the element at index of an ordered list
// (index == len appends) and re-sorts it.
func cdtListReplaceOrdered(l *value.List, index int64, x any, flags int64) (bool, wire.ResultCode) {
	n := int64(len(l.Items))
	if index > n {
		return false, wire.OpNotApplicable
	}
	if flags&cdtListAddUnique != 0 {
		if p := cdtListIndexOf(l.Items, x); p >= 0 {
			if int64(p) == index {
				return false, wire.OK // replacing a value by itself
			}
			return false, cdtListExistsRC(flags)
		}
	}
	if index == n {
		l.Items = append(l.Items, x)
	} else {
		l.Items[index] = x
	}
	value.SortValues(l.Items)
	return true, wire.OK
}

// cdtListSort sorts an unordered list; on an ordered list only dropping
// duplicates does anything. It has no result.
func cdtListSort(l *value.List, a cdtArgs) cdtOutcome {
	flags, ok := a.intOr(0, 0)
	if !ok {
		return cdtFail(wire.ParameterError)
	}
	if l == nil || len(l.Items) <= 1 {
		return cdtOutcome{}
	}
	items := append([]any(nil), l.Items...)
	if !l.Ordered {
		desc := flags&cdtSortDescending != 0
		sort.SliceStable(items, func(i, j int) bool {
			if desc {
				return value.Compare(items[i], items[j]) > 0
			}
			return value.Compare(items[i], items[j]) < 0
		})
	}
	if flags&cdtSortDropDuplicates != 0 {
		out := items[:1]
		for _, it := range items[1:] {
			if value.Compare(out[len(out)-1], it) != 0 {
				out = append(out, it)
			}
		}
		items = out
	}
	l.Items = items
	return cdtOutcome{newVal: l, changed: true}
}
