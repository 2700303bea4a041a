package cdt

import (
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// Map operations (particle_map.c).

// Map write flags (MapWriteFlags*).
const (
	cdtMapCreateOnly = 0x01 // NO_OVERWRITE
	cdtMapUpdateOnly = 0x02 // NO_CREATE
	cdtMapNoFail     = 0x04
	cdtMapDoPartial  = 0x08
)

// cdtMapPolicy says what a map write may do (map_add_control).
type cdtMapPolicy struct {
	overwrite bool // an existing key may get a new value
	create    bool // a missing key may be added
	noFail    bool // a refused write is a silent no-op
	partial   bool // with noFail: skip refused items, write the others
}

func cdtMapPolicyFromFlags(flags int64) cdtMapPolicy {
	return cdtMapPolicy{
		overwrite: flags&cdtMapCreateOnly == 0,
		create:    flags&cdtMapUpdateOnly == 0,
		noFail:    flags&cdtMapNoFail != 0,
		partial:   flags&cdtMapDoPartial != 0,
	}
}

// cdtMapOrderFromAttr is the order of a map created with the given policy
// attributes (MapOrder.attr; 0x10 asks for a persisted index, ignored here).
func cdtMapOrderFromAttr(attr int64) int {
	switch {
	case attr&value.MapKeyValueOrdered == value.MapKeyValueOrdered:
		return value.MapKeyValueOrdered
	case attr&value.MapKeyOrdered != 0:
		return value.MapKeyOrdered
	}
	return value.MapUnordered
}

// cdtMapCreatesBin lists the modify ops that create a missing map; the other
// map modify ops are no-ops on a missing map.
var cdtMapCreatesBin = map[int]bool{
	cdtOpMapSetType:   true,
	cdtOpMapAdd:       true,
	cdtOpMapAddItems:  true,
	cdtOpMapPut:       true,
	cdtOpMapPutItems:  true,
	cdtOpMapReplace:   true,
	cdtOpMapIncrement: true,
	cdtOpMapDecrement: true,
}

// cdtMapSelectKinds maps the get-by and remove-by opcodes to their
// selection kind.
var cdtMapSelectKinds = map[int]int{
	cdtOpMapGetByKey:               cdtSelKey,
	cdtOpMapGetByIndex:             cdtSelIndex,
	cdtOpMapGetByValue:             cdtSelValue,
	cdtOpMapGetByRank:              cdtSelRank,
	cdtOpMapGetAllByValue:          cdtSelAllByValue,
	cdtOpMapGetByKeyInterval:       cdtSelKeyInterval,
	cdtOpMapGetByIndexRange:        cdtSelIndexRange,
	cdtOpMapGetByValueInterval:     cdtSelValueInterval,
	cdtOpMapGetByRankRange:         cdtSelRankRange,
	cdtOpMapGetByKeyList:           cdtSelKeyList,
	cdtOpMapGetByValueList:         cdtSelValueList,
	cdtOpMapGetByKeyRelIndexRange:  cdtSelKeyRelIndexRange,
	cdtOpMapGetByValueRelRankRange: cdtSelValueRelRankRange,
	cdtOpMapRemoveByKey:            cdtSelKey,
	cdtOpMapRemoveByIndex:          cdtSelIndex,
	cdtOpMapRemoveByValue:          cdtSelValue,
	cdtOpMapRemoveByRank:           cdtSelRank,
	cdtOpMapRemoveAllByValue:       cdtSelAllByValue,
	cdtOpMapRemoveByKeyInterval:    cdtSelKeyInterval,
	cdtOpMapRemoveByIndexRange:     cdtSelIndexRange,
	cdtOpMapRemoveByValueInterval:  cdtSelValueInterval,
	cdtOpMapRemoveByRankRange:      cdtSelRankRange,
	cdtOpMapRemoveByKeyList:        cdtSelKeyList,
	cdtOpMapRemoveByValueList:      cdtSelValueList,
	cdtOpMapRemoveByKeyRelIndex:    cdtSelKeyRelIndexRange,
	cdtOpMapRemoveByValueRelRank:   cdtSelValueRelRankRange,
}

// cdtApplyMap applies a map op to val. exists is false for a missing bin
// and for an element that a context path is creating; top is set when val is
// the bin itself.
func cdtApplyMap(op *cdtOp, modify bool, val any, exists, top bool) cdtOutcome {
	m, isMap := val.(*value.Map)
	if exists && !isMap {
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
		case op.code == cdtOpMapReplaceItems:
			return cdtFail(wire.ElementNotFound) // nothing to replace in
		case !cdtMapCreatesBin[op.code]:
			return cdtOutcome{} // nothing to remove from a missing map
		}
	}
	if rc := op.checkArgs(spec); rc != wire.OK {
		return cdtFail(rc)
	}
	a := op.args
	switch op.code {
	case cdtOpMapSetType:
		return cdtMapSetType(m, a)
	case cdtOpMapAdd:
		attr, ok := a.intOr(2, 0)
		if !ok {
			return cdtFail(wire.ParameterError)
		}
		return cdtMapPutOp(m, a, attr, cdtMapPolicy{create: true})
	case cdtOpMapPut:
		attr, ok1 := a.intOr(2, 0)
		flags, ok2 := a.intOr(3, 0)
		if !ok1 || !ok2 {
			return cdtFail(wire.ParameterError)
		}
		return cdtMapPutOp(m, a, attr, cdtMapPolicyFromFlags(flags))
	case cdtOpMapReplace:
		return cdtMapPutOp(m, a, 0, cdtMapPolicy{overwrite: true})
	case cdtOpMapAddItems:
		attr, ok := a.intOr(1, 0)
		if !ok {
			return cdtFail(wire.ParameterError)
		}
		return cdtMapPutItemsOp(m, a, attr, cdtMapPolicy{create: true})
	case cdtOpMapPutItems:
		attr, ok1 := a.intOr(1, 0)
		flags, ok2 := a.intOr(2, 0)
		if !ok1 || !ok2 {
			return cdtFail(wire.ParameterError)
		}
		return cdtMapPutItemsOp(m, a, attr, cdtMapPolicyFromFlags(flags))
	case cdtOpMapReplaceItems:
		return cdtMapPutItemsOp(m, a, 0, cdtMapPolicy{overwrite: true})
	case cdtOpMapIncrement, cdtOpMapDecrement:
		return cdtMapIncrement(m, a, op.code == cdtOpMapDecrement)
	case cdtOpMapClear:
		m.Entries = nil
		return cdtOutcome{newVal: m, changed: true}
	case cdtOpMapSize:
		return cdtOutcome{result: int64(len(m.Entries)), has: true}
	}
	sel, ok := cdtMapSelectKinds[op.code]
	if !ok {
		return cdtFail(wire.ParameterError)
	}
	return cdtMapSelect(cdtNewMapView(m, top), m, sel, a, modify)
}

// cdtMapSelect runs a get-by op, or a remove-by op when remove is set.
func cdtMapSelect(v *cdtView, m *value.Map, sel int, a cdtArgs, remove bool) cdtOutcome {
	rt, ok := a.int(0)
	if !ok {
		return cdtFail(wire.ParameterError)
	}
	s, rc := cdtSelectCommon(v, sel, a)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	res, has, rc := v.finish(s, rt)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	out := cdtOutcome{result: res, has: has}
	if remove && len(s.pos) > 0 {
		m.Entries = cdtRemovePositions(m.Entries, s.pos)
		out.newVal, out.changed = m, true
	}
	return out
}

// cdtMapSetType changes the map's order (creating the map if missing).
func cdtMapSetType(m *value.Map, a cdtArgs) cdtOutcome {
	flags, ok := a.int(0)
	if !ok {
		return cdtFail(wire.ParameterError)
	}
	if flags&value.MapKeyValueOrdered == value.MapKeyValueOrdered&^value.MapKeyOrdered {
		return cdtFail(wire.OpNotApplicable) // value-ordered alone is not an order
	}
	fresh := m == nil
	if fresh {
		m = &value.Map{}
	}
	order := cdtMapOrderFromAttr(flags)
	changed := fresh || m.Order != order
	m.Order = order
	return cdtOutcome{newVal: m, changed: changed}
}

// cdtMapPutOp writes one key (a[0]) and value (a[1]) and returns the map
// size; a missing map is created with the order of attr.
func cdtMapPutOp(m *value.Map, a cdtArgs, attr int64, p cdtMapPolicy) cdtOutcome {
	key, val := a.get(0), a.get(1)
	if cdtNonStorage(key) || cdtNonStorage(val) {
		return cdtFail(wire.ParameterError)
	}
	fresh := m == nil
	if fresh {
		m = &value.Map{Order: cdtMapOrderFromAttr(attr)}
	}
	size, changed, rc := cdtMapWrite(m, []value.MapEntry{{Key: key, Value: val}}, p)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	return cdtOutcome{result: size, has: true, newVal: m, changed: changed || fresh}
}

// cdtMapPutItemsOp writes the entries of the map a[0].
func cdtMapPutItemsOp(m *value.Map, a cdtArgs, attr int64, p cdtMapPolicy) cdtOutcome {
	items, ok := a.get(0).(*value.Map)
	if !ok || cdtNonStorage(items) {
		return cdtFail(wire.ParameterError)
	}
	fresh := m == nil
	if fresh {
		m = &value.Map{Order: cdtMapOrderFromAttr(attr)}
	}
	if len(m.Entries) == 0 && m.Order != value.MapUnordered && !p.create && p.noFail && p.partial {
		// The server writes every item into an empty key-ordered map under
		// UPDATE_ONLY|NO_FAIL|PARTIAL (map_add_items_ordered only refuses
		// them without NO_FAIL or PARTIAL).
		p.create = true
	}
	size, changed, rc := cdtMapWrite(m, items.Entries, p)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	return cdtOutcome{result: size, has: true, newVal: m, changed: changed || fresh}
}

// cdtMapWrite writes entries under policy p (map_add, map_add_items): a key
// the policy refuses fails the whole op with ELEMENT_EXISTS or
// ELEMENT_NOT_FOUND, makes it a no-op with NO_FAIL, or is skipped with
// NO_FAIL|DO_PARTIAL. It returns the map size to report.
func cdtMapWrite(m *value.Map, entries []value.MapEntry, p cdtMapPolicy) (int64, bool, wire.ResultCode) {
	n := int64(len(m.Entries))
	var add []value.MapEntry
	for _, e := range entries {
		_, found := m.Find(e.Key)
		refused := wire.OK
		switch {
		case found && !p.overwrite:
			refused = wire.ElementExists
		case !found && !p.create:
			refused = wire.ElementNotFound
		}
		if refused != wire.OK {
			if !p.noFail {
				return n, false, refused
			}
			if !p.partial {
				return n, false, wire.OK
			}
			continue
		}
		add = append(add, e)
	}
	for _, e := range add {
		m.Put(e.Key, e.Value)
	}
	return int64(len(m.Entries)), len(add) > 0, wire.OK
}

// cdtMapIncrement adds a delta to the number under key a[0] (a missing key
// gets the delta) and returns the new value.
func cdtMapIncrement(m *value.Map, a cdtArgs, decrement bool) cdtOutcome {
	key := a.get(0)
	attr, ok := a.intOr(2, 0)
	if !ok || cdtNonStorage(key) {
		return cdtFail(wire.ParameterError)
	}
	fresh := m == nil
	if fresh {
		m = &value.Map{Order: cdtMapOrderFromAttr(attr)}
	}
	cur, found := m.Get(key)
	nv, rc := cdtIncrement(cur, found, a.get(1), decrement)
	if rc != wire.OK {
		return cdtFail(rc)
	}
	m.Put(key, nv)
	return cdtOutcome{result: nv, has: true, newVal: m, changed: true}
}
