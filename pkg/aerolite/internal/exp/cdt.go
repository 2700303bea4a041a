package exp

import (
	"sort"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
)

// CDT read calls inside expressions (ExpListSize, ExpListGetByValue,
// ExpMapGetByKey, ExpMapSize and their siblings). Only reads are supported,
// and only operations whose results are unambiguous; everything else is
// refused at parse time. The semantics are implemented here on the value
// model rather than shared with the CDT operations, so that expressions do
// not depend on the operation code path.

// CDT op codes supported in expressions.
const (
	expCDTListSize           = 16
	expCDTListGetByIndex     = 19
	expCDTListGetByRank      = 21
	expCDTListGetByValue     = 22
	expCDTListGetByValueList = 23
	expCDTMapSize            = 96
	expCDTMapGetByKey        = 97
	expCDTMapGetByIndex      = 98
	expCDTMapGetByRank       = 100
	expCDTMapGetByValue      = 102
	expCDTMapGetByKeyList    = 107
	expCDTMapGetByValueList  = 108

	expCDTContextEval = 0xff // params = [0xff, context, [op, args...]]
)

// CDT return types (list and map share the numbering).
const (
	expRTNone         = 0
	expRTIndex        = 1
	expRTRevIndex     = 2
	expRTRank         = 3
	expRTRevRank      = 4
	expRTCount        = 5
	expRTKey          = 6
	expRTValue        = 7
	expRTKeyValue     = 8
	expRTExists       = 13
	expRTUnorderedMap = 16
	expRTOrderedMap   = 17
	expRTInverted     = 0x10000
)

// CDT context step types (CtxListIndex and friends), without create flags.
const (
	expCtxListIndex = 0x10
	expCtxListRank  = 0x11
	expCtxListValue = 0x13
	expCtxMapIndex  = 0x20
	expCtxMapRank   = 0x21
	expCtxMapKey    = 0x22
	expCtxMapValue  = 0x23
)

// expCDTSpec describes one supported CDT read op.
type expCDTSpec struct {
	isMap  bool
	hasRT  bool // params start with a return type
	single bool // selects at most one element
}

var expCDTSpecs = map[int64]expCDTSpec{
	expCDTListSize:           {},
	expCDTListGetByIndex:     {hasRT: true, single: true},
	expCDTListGetByRank:      {hasRT: true, single: true},
	expCDTListGetByValue:     {hasRT: true},
	expCDTListGetByValueList: {hasRT: true},
	expCDTMapSize:            {isMap: true},
	expCDTMapGetByKey:        {isMap: true, hasRT: true, single: true},
	expCDTMapGetByIndex:      {isMap: true, hasRT: true, single: true},
	expCDTMapGetByRank:       {isMap: true, hasRT: true, single: true},
	expCDTMapGetByValue:      {isMap: true, hasRT: true},
	expCDTMapGetByKeyList:    {isMap: true, hasRT: true},
	expCDTMapGetByValueList:  {isMap: true, hasRT: true},
}

// expCDTArg is a CDT call argument: a sub-expression or a literal.
type expCDTArg struct {
	node expNode // nil for a literal
	val  any
}

type expCtxStep struct {
	id  int64
	val any
}

// expCallNode is a CDT read call: apply op to the (context-selected part of
// the) bin value and check that the result has the declared type.
type expCallNode struct {
	t    expType // declared result type
	op   int64
	spec expCDTSpec
	rt   int64
	args []expCDTArg // after the return type
	ctx  []expCtxStep
	bin  expNode
}

func (n *expCallNode) resultType() expType { return n.t }

func (n *expCallNode) eval(s *expState) (any, bool) {
	args := make([]any, len(n.args))
	for i, a := range n.args {
		if a.node == nil {
			args[i] = a.val
			continue
		}
		v, ok := a.node.eval(s)
		if !ok {
			return nil, false
		}
		args[i] = v
	}
	target, ok := n.bin.eval(s)
	if !ok {
		return nil, false
	}
	target, ok = expCtxApply(target, n.ctx)
	if !ok {
		return nil, false
	}
	var res any
	switch x := target.(type) {
	case *value.List:
		if n.spec.isMap {
			return nil, false
		}
		res, ok = expListRead(x, n.op, n.rt, args)
	case *value.Map:
		if !n.spec.isMap {
			return nil, false
		}
		res, ok = expMapRead(x, n.op, n.rt, args)
	default:
		// Includes a nil bin argument, whose CDT semantics are not modelled.
		return nil, false
	}
	if !ok || expTypeOf(res) != n.t {
		return nil, false
	}
	return res, true
}

// parseCall parses [127, type, system, params, bin] (op code consumed).
func (p *expParser) parseCall(argc int) (expNode, bool) {
	if argc != 4 {
		return nil, false
	}
	t, ok := p.r.int()
	if !ok || t < 0 || t >= int64(expTypeEnd) {
		return nil, false
	}
	// System 0 is a CDT read. Modify-local calls (0x40) and the bit and
	// HLL systems are not supported.
	system, ok := p.r.int()
	if !ok || system != 0 {
		return nil, false
	}
	n := &expCallNode{t: expType(t)}
	params, ok := p.parseCallParams(n)
	if !ok || !n.setParams(params) {
		return nil, false
	}
	n.bin, ok = p.parse()
	if !ok {
		return nil, false
	}
	switch n.bin.resultType() {
	case expTypeList, expTypeMap, expTypeNil:
		return n, true
	}
	return nil, false
}

// parseCallParams reads the op code, optional context and the arguments.
func (p *expParser) parseCallParams(n *expCallNode) ([]expCDTArg, bool) {
	count, ok := p.r.arrayHeader()
	if !ok || count == 0 {
		return nil, false
	}
	op, ok := p.r.int()
	if !ok {
		return nil, false
	}
	if op == expCDTContextEval {
		if count != 3 {
			return nil, false
		}
		if n.ctx, ok = p.parseContext(); !ok {
			return nil, false
		}
		if count, ok = p.r.arrayHeader(); !ok || count == 0 {
			return nil, false
		}
		if op, ok = p.r.int(); !ok {
			return nil, false
		}
	}
	n.op = op
	args := make([]expCDTArg, count-1)
	for i := range args {
		c, ok := p.r.peek()
		if !ok {
			return nil, false
		}
		if expIsArray(c) {
			node, ok := p.parse()
			if !ok {
				return nil, false
			}
			args[i] = expCDTArg{node: node}
			continue
		}
		v, ok := p.r.value()
		if !ok || !expCDTLiteral(v, 0) {
			return nil, false
		}
		args[i] = expCDTArg{val: v}
	}
	return args, true
}

// setParams checks the op, its argument count and return type.
func (n *expCallNode) setParams(args []expCDTArg) bool {
	spec, ok := expCDTSpecs[n.op]
	if !ok {
		return false
	}
	n.spec = spec
	if !spec.hasRT {
		n.args = args
		return len(args) == 0
	}
	if len(args) != 2 || args[0].node != nil {
		return false
	}
	rt, ok := args[0].val.(int64)
	if !ok || !expValidReturnType(rt, spec) {
		return false
	}
	n.rt = rt
	n.args = args[1:]
	return true
}

func expValidReturnType(rt int64, spec expCDTSpec) bool {
	inverted := rt&expRTInverted != 0
	if inverted && spec.single {
		return false
	}
	switch rt &^ expRTInverted {
	case expRTNone, expRTIndex, expRTRevIndex, expRTRank, expRTRevRank,
		expRTCount, expRTValue, expRTExists:
		return true
	case expRTKey, expRTKeyValue, expRTUnorderedMap, expRTOrderedMap:
		return spec.isMap
	}
	return false
}

// expCDTLiteral reports whether v may be a CDT literal argument: a storable
// value, or the wildcard and infinity markers used in value matching.
func expCDTLiteral(v any, depth int) bool {
	if depth > value.MaxMsgpackDepth {
		return false
	}
	switch x := v.(type) {
	case value.Wildcard, value.Infinity:
		return true
	case *value.List:
		for _, it := range x.Items {
			if !expCDTLiteral(it, depth+1) {
				return false
			}
		}
		return true
	case *value.Map:
		for _, e := range x.Entries {
			if !expCDTLiteral(e.Key, depth+1) || !expCDTLiteral(e.Value, depth+1) {
				return false
			}
		}
		return true
	}
	return expPlainValue(v, depth)
}

// parseContext reads [id, value, id, value, ...].
func (p *expParser) parseContext() ([]expCtxStep, bool) {
	if c, ok := p.r.peek(); !ok || !expIsArray(c) {
		return nil, false
	}
	v, ok := p.r.value()
	l, isList := v.(*value.List)
	if !ok || !isList || l.Ordered || len(l.Items) == 0 || len(l.Items)%2 != 0 {
		return nil, false
	}
	steps := make([]expCtxStep, 0, len(l.Items)/2)
	for i := 0; i < len(l.Items); i += 2 {
		id, ok := l.Items[i].(int64)
		if !ok || !expCDTLiteral(l.Items[i+1], 0) {
			return nil, false
		}
		switch id {
		case expCtxListIndex, expCtxListRank, expCtxListValue,
			expCtxMapIndex, expCtxMapRank, expCtxMapKey, expCtxMapValue:
		default:
			return nil, false // includes create flags, meaningless for reads
		}
		steps = append(steps, expCtxStep{id: id, val: l.Items[i+1]})
	}
	return steps, true
}

// expCtxApply descends into v along the context steps.
func expCtxApply(v any, steps []expCtxStep) (any, bool) {
	for _, st := range steps {
		var ok bool
		if v, ok = expCtxStepApply(v, st); !ok {
			return nil, false
		}
	}
	return v, true
}

func expCtxStepApply(v any, st expCtxStep) (any, bool) {
	switch st.id {
	case expCtxListIndex, expCtxListRank, expCtxListValue:
		l, ok := v.(*value.List)
		if !ok {
			return nil, false
		}
		i, ok := expSelectOne(l.Items, st)
		if !ok {
			return nil, false
		}
		return l.Items[i], true
	}
	m, ok := v.(*value.Map)
	if !ok {
		return nil, false
	}
	if st.id == expCtxMapKey {
		return m.Get(st.val)
	}
	i, ok := expSelectOne(expMapValues(m), st)
	if !ok {
		return nil, false
	}
	return m.Entries[i].Value, true
}

// expSelectOne picks one element of items by index, rank or value.
func expSelectOne(items []any, st expCtxStep) (int, bool) {
	switch st.id {
	case expCtxListIndex, expCtxMapIndex:
		return expIndex(st.val, len(items))
	case expCtxListRank, expCtxMapRank:
		r, ok := expIndex(st.val, len(items))
		if !ok {
			return 0, false
		}
		return expRankOrder(items)[r], true
	}
	for i, it := range items {
		if value.Compare(it, st.val) == 0 {
			return i, true
		}
	}
	return 0, false
}

// expIndex resolves a possibly negative index into [0, n).
func expIndex(v any, n int) (int, bool) {
	i, ok := v.(int64)
	if !ok {
		return 0, false
	}
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// expRankOrder returns the indexes of items in value order (ties in index
// order): element order[r] has rank r.
func expRankOrder(items []any) []int {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return value.Compare(items[order[a]], items[order[b]]) < 0
	})
	return order
}

// expRanks returns the rank of every item.
func expRanks(items []any) []int {
	ranks := make([]int, len(items))
	for r, i := range expRankOrder(items) {
		ranks[i] = r
	}
	return ranks
}

func expMapValues(m *value.Map) []any {
	vals := make([]any, len(m.Entries))
	for i, e := range m.Entries {
		vals[i] = e.Value
	}
	return vals
}

// expMatchValues returns the indexes of items equal to v (or, with a list
// of values, to any of them).
func expMatchValues(items []any, v any, isList bool) ([]int, bool) {
	wanted := []any{v}
	if isList {
		l, ok := v.(*value.List)
		if !ok {
			return nil, false
		}
		wanted = l.Items
	}
	var sel []int
	for i, it := range items {
		for _, w := range wanted {
			if value.Compare(it, w) == 0 {
				sel = append(sel, i)
				break
			}
		}
	}
	return sel, true
}

func expListRead(l *value.List, op, rt int64, args []any) (any, bool) {
	n := len(l.Items)
	switch op {
	case expCDTListSize:
		return int64(n), true
	case expCDTListGetByIndex, expCDTListGetByRank:
		if len(args) != 1 {
			return nil, false
		}
		id := int64(expCtxListIndex)
		if op == expCDTListGetByRank {
			id = expCtxListRank
		}
		i, ok := expSelectOne(l.Items, expCtxStep{id: id, val: args[0]})
		if !ok {
			// Out of range: not modelled, so unknown.
			return nil, false
		}
		return expSelectionResult(l.Items, nil, []int{i}, rt, true)
	case expCDTListGetByValue, expCDTListGetByValueList:
		if len(args) != 1 {
			return nil, false
		}
		sel, ok := expMatchValues(l.Items, args[0], op == expCDTListGetByValueList)
		if !ok {
			return nil, false
		}
		return expSelectionResult(l.Items, nil, sel, rt, false)
	}
	return nil, false
}

func expMapRead(m *value.Map, op, rt int64, args []any) (any, bool) {
	if op == expCDTMapSize {
		return int64(len(m.Entries)), true
	}
	if len(args) != 1 {
		return nil, false
	}
	switch op {
	case expCDTMapGetByKey:
		i, found := m.Find(args[0])
		if !found {
			return expNotFoundResult(m, rt)
		}
		return expSelectionResult(nil, m, []int{i}, rt, true)
	case expCDTMapGetByIndex:
		i, ok := expIndex(args[0], len(m.Entries))
		if !ok {
			return nil, false
		}
		return expSelectionResult(nil, m, []int{i}, rt, true)
	case expCDTMapGetByRank:
		i, ok := expSelectOne(expMapValues(m), expCtxStep{id: expCtxMapRank, val: args[0]})
		if !ok {
			return nil, false
		}
		return expSelectionResult(nil, m, []int{i}, rt, true)
	case expCDTMapGetByKeyList:
		keys, ok := args[0].(*value.List)
		if !ok {
			return nil, false
		}
		var sel []int
		for _, k := range keys.Items {
			if i, found := m.Find(k); found {
				sel = append(sel, i)
			}
		}
		sort.Ints(sel)
		sel = expUnique(sel)
		return expSelectionResult(nil, m, sel, rt, false)
	case expCDTMapGetByValue, expCDTMapGetByValueList:
		sel, ok := expMatchValues(expMapValues(m), args[0], op == expCDTMapGetByValueList)
		if !ok {
			return nil, false
		}
		return expSelectionResult(nil, m, sel, rt, false)
	}
	return nil, false
}

// expUnique drops repeated indexes from a sorted slice.
func expUnique(sel []int) []int {
	out := sel[:0]
	for i, x := range sel {
		if i == 0 || x != sel[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// expNotFoundResult is the result of a single-key lookup that found
// nothing. Positional return types are left unknown (not modelled).
func expNotFoundResult(m *value.Map, rt int64) (any, bool) {
	switch rt {
	case expRTNone, expRTValue, expRTKey:
		return nil, true
	case expRTCount:
		return int64(0), true
	case expRTExists:
		return false, true
	case expRTKeyValue, expRTUnorderedMap, expRTOrderedMap:
		return expResultMap(m, nil, rt), true
	}
	return nil, false
}

// expSelectionResult builds the result of a selection: sel holds ascending
// indexes into the list items, or into m's entries (in key order) when m is
// not nil. A single-element selection returns scalars instead of lists.
func expSelectionResult(items []any, m *value.Map, sel []int, rt int64, single bool) (any, bool) {
	n := len(items)
	valueAt := func(i int) any { return items[i] }
	if m != nil {
		n = len(m.Entries)
		valueAt = func(i int) any { return m.Entries[i].Value }
	}
	base := rt &^ expRTInverted
	if rt&expRTInverted != 0 {
		sel = expComplement(sel, n)
	}
	var out []any
	switch base {
	case expRTNone:
		return nil, true
	case expRTCount:
		return int64(len(sel)), true
	case expRTExists:
		return len(sel) > 0, true
	case expRTIndex, expRTRevIndex:
		for _, i := range sel {
			if base == expRTRevIndex {
				i = n - 1 - i
			}
			out = append(out, int64(i))
		}
	case expRTRank, expRTRevRank:
		vals := items
		if m != nil {
			vals = expMapValues(m)
		}
		ranks := expRanks(vals)
		for _, i := range sel {
			r := ranks[i]
			if base == expRTRevRank {
				r = n - 1 - r
			}
			out = append(out, int64(r))
		}
	case expRTValue:
		for _, i := range sel {
			out = append(out, valueAt(i))
		}
	case expRTKey:
		if m == nil {
			return nil, false
		}
		for _, i := range sel {
			out = append(out, m.Entries[i].Key)
		}
	case expRTKeyValue, expRTUnorderedMap, expRTOrderedMap:
		if m == nil {
			return nil, false
		}
		return expResultMap(m, sel, base), true
	default:
		return nil, false
	}
	if single {
		if len(out) != 1 {
			return nil, false
		}
		return out[0], true
	}
	if out == nil {
		out = []any{}
	}
	return &value.List{Items: out}, true
}

// expResultMap returns the selected entries of m as a map: key-ordered when
// asked for, or when m is and the return type is KEY_VALUE.
func expResultMap(m *value.Map, sel []int, rt int64) *value.Map {
	order := value.MapUnordered
	switch rt {
	case expRTOrderedMap:
		order = value.MapKeyOrdered
	case expRTKeyValue:
		order = m.Order
	}
	res := &value.Map{Order: order, Entries: make([]value.MapEntry, 0, len(sel))}
	for _, i := range sel {
		res.Entries = append(res.Entries, m.Entries[i])
	}
	return res
}

// expComplement returns the indexes in [0, n) not in sel (sel ascending).
func expComplement(sel []int, n int) []int {
	in := make([]bool, n)
	for _, i := range sel {
		in[i] = true
	}
	var out []int
	for i := 0; i < n; i++ {
		if !in[i] {
			out = append(out, i)
		}
	}
	return out
}
