package aerolite

import (
	"cmp"
	"math"
	"sort"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
)

// CDT (collection data type) operations: the list and map operations of an
// Operate command, as pure functions over the value model of value.go.
//
// The semantics follow the server's CDT code (as/src/base/cdt.c,
// particle_list.c, particle_map.c) as observed through aerospike-client-go
// and recorded in asconform's golden transcripts.

// CDT opcodes (as_cdt_optype). List opcodes are below 64, map opcodes 64 and
// up; cdtOpContextEval wraps an opcode with a context path.
const (
	cdtOpListSetType                = 0
	cdtOpListAppend                 = 1
	cdtOpListAppendItems            = 2
	cdtOpListInsert                 = 3
	cdtOpListInsertItems            = 4
	cdtOpListPop                    = 5
	cdtOpListPopRange               = 6
	cdtOpListRemove                 = 7
	cdtOpListRemoveRange            = 8
	cdtOpListSet                    = 9
	cdtOpListTrim                   = 10
	cdtOpListClear                  = 11
	cdtOpListIncrement              = 12
	cdtOpListSort                   = 13
	cdtOpListSize                   = 16
	cdtOpListGet                    = 17
	cdtOpListGetRange               = 18
	cdtOpListGetByIndex             = 19
	cdtOpListGetByValue             = 20
	cdtOpListGetByRank              = 21
	cdtOpListGetAllByValue          = 22
	cdtOpListGetAllByValueList      = 23
	cdtOpListGetByIndexRange        = 24
	cdtOpListGetByValueInterval     = 25
	cdtOpListGetByRankRange         = 26
	cdtOpListGetByValueRelRankRange = 27
	cdtOpListRemoveByIndex          = 32
	cdtOpListRemoveByValueRelRank   = 40

	cdtOpMapSetType                = 64
	cdtOpMapAdd                    = 65
	cdtOpMapAddItems               = 66
	cdtOpMapPut                    = 67
	cdtOpMapPutItems               = 68
	cdtOpMapReplace                = 69
	cdtOpMapReplaceItems           = 70
	cdtOpMapIncrement              = 73
	cdtOpMapDecrement              = 74
	cdtOpMapClear                  = 75
	cdtOpMapRemoveByKey            = 76
	cdtOpMapRemoveByIndex          = 77
	cdtOpMapRemoveByValue          = 78
	cdtOpMapRemoveByRank           = 79
	cdtOpMapRemoveByKeyList        = 81
	cdtOpMapRemoveAllByValue       = 82
	cdtOpMapRemoveByValueList      = 83
	cdtOpMapRemoveByKeyInterval    = 84
	cdtOpMapRemoveByIndexRange     = 85
	cdtOpMapRemoveByValueInterval  = 86
	cdtOpMapRemoveByRankRange      = 87
	cdtOpMapRemoveByKeyRelIndex    = 88
	cdtOpMapRemoveByValueRelRank   = 89
	cdtOpMapSize                   = 96
	cdtOpMapGetByKey               = 97
	cdtOpMapGetByIndex             = 98
	cdtOpMapGetByValue             = 99
	cdtOpMapGetByRank              = 100
	cdtOpMapGetAllByValue          = 102
	cdtOpMapGetByKeyInterval       = 103
	cdtOpMapGetByIndexRange        = 104
	cdtOpMapGetByValueInterval     = 105
	cdtOpMapGetByRankRange         = 106
	cdtOpMapGetByKeyList           = 107
	cdtOpMapGetByValueList         = 108
	cdtOpMapGetByKeyRelIndexRange  = 109
	cdtOpMapGetByValueRelRankRange = 110

	cdtOpContextEval = 0xff
)

// Return types of the get/remove-by operations (result_type_t), shared by
// lists and maps, and the INVERTED flag that may be or'ed into them.
const (
	cdtRtNone          = 0
	cdtRtIndex         = 1
	cdtRtRevIndex      = 2
	cdtRtRank          = 3
	cdtRtRevRank       = 4
	cdtRtCount         = 5
	cdtRtKey           = 6
	cdtRtValue         = 7
	cdtRtKeyValue      = 8
	cdtRtIndexRange    = 9
	cdtRtRevIndexRange = 10
	cdtRtRankRange     = 11
	cdtRtRevRankRange  = 12
	cdtRtExists        = 13
	cdtRtUnorderedMap  = 16
	cdtRtOrderedMap    = 17

	cdtRtMask     = 0xffff
	cdtRtInverted = 0x10000
)

// cdtMapPreserveOrder is the map flag the server puts on KEY_VALUE results:
// the client then decodes the pairs in the order sent ([]MapPair).
const cdtMapPreserveOrder = 0x08

// Context item types (as_cdt_subcontext | list/map bit | create flags).
const (
	cdtCtxIndex = 0
	cdtCtxRank  = 1
	cdtCtxKey   = 2
	cdtCtxValue = 3

	cdtCtxList      = 0x10
	cdtCtxMap       = 0x20
	cdtCtxBaseMask  = 0x0f
	cdtCtxKindMask  = 0x30
	cdtCtxCreate    = 0x1c0 // create flags
	cdtCtxPersist   = 0x100 // persisted index: accepted, meaningless here
	cdtCtxUnordered = 0x40  // create unordered list / map
	cdtCtxUnbound   = 0x80  // create unordered list padded with nils / K-ordered map
	cdtCtxOrdered   = 0xc0  // create ordered list / KV-ordered map
)

// cdtMaxElements bounds the size a list may grow to through nil padding
// (insert or set past the end, unbound list contexts). The real server would
// answer RECORD_TOO_BIG long before that with its default 1 MiB records.
const cdtMaxElements = 1 << 20

// cdtCount is the count used when a range operation omits its count (the
// server's default, UINT32_MAX).
const cdtCount = math.MaxUint32

// cdtOpSpec describes the parameters an opcode takes (the server's
// cdt_op_table): between minArgs and maxArgs, and whether it is a modify op.
type cdtOpSpec struct {
	minArgs, maxArgs int
	modify           bool
}

var cdtOpSpecs = map[int]cdtOpSpec{
	cdtOpListSetType:                {1, 1, true},
	cdtOpListAppend:                 {1, 3, true},
	cdtOpListAppendItems:            {1, 3, true},
	cdtOpListInsert:                 {2, 3, true},
	cdtOpListInsertItems:            {2, 3, true},
	cdtOpListPop:                    {1, 1, true},
	cdtOpListPopRange:               {1, 2, true},
	cdtOpListRemove:                 {1, 1, true},
	cdtOpListRemoveRange:            {1, 2, true},
	cdtOpListSet:                    {2, 3, true},
	cdtOpListTrim:                   {2, 2, true},
	cdtOpListClear:                  {0, 0, true},
	cdtOpListIncrement:              {1, 4, true},
	cdtOpListSort:                   {0, 1, true},
	cdtOpListSize:                   {0, 0, false},
	cdtOpListGet:                    {1, 1, false},
	cdtOpListGetRange:               {1, 2, false},
	cdtOpListGetByIndex:             {2, 2, false},
	cdtOpListGetByValue:             {2, 2, false},
	cdtOpListGetByRank:              {2, 2, false},
	cdtOpListGetAllByValue:          {2, 2, false},
	cdtOpListGetAllByValueList:      {2, 2, false},
	cdtOpListGetByIndexRange:        {2, 3, false},
	cdtOpListGetByValueInterval:     {2, 3, false},
	cdtOpListGetByRankRange:         {2, 3, false},
	cdtOpListGetByValueRelRankRange: {3, 4, false},
	32:                              {2, 2, true}, // remove by index
	33:                              {2, 2, true}, // remove by value
	34:                              {2, 2, true}, // remove by rank
	35:                              {2, 2, true}, // remove all by value
	36:                              {2, 2, true}, // remove all by value list
	37:                              {2, 3, true}, // remove by index range
	38:                              {2, 3, true}, // remove by value interval
	39:                              {2, 3, true}, // remove by rank range
	cdtOpListRemoveByValueRelRank:   {3, 4, true},

	cdtOpMapSetType:                {1, 1, true},
	cdtOpMapAdd:                    {2, 3, true},
	cdtOpMapAddItems:               {1, 2, true},
	cdtOpMapPut:                    {2, 4, true},
	cdtOpMapPutItems:               {1, 3, true},
	cdtOpMapReplace:                {2, 2, true},
	cdtOpMapReplaceItems:           {1, 1, true},
	cdtOpMapIncrement:              {1, 3, true},
	cdtOpMapDecrement:              {1, 3, true},
	cdtOpMapClear:                  {0, 0, true},
	cdtOpMapRemoveByKey:            {2, 2, true},
	cdtOpMapRemoveByIndex:          {2, 2, true},
	cdtOpMapRemoveByValue:          {2, 2, true},
	cdtOpMapRemoveByRank:           {2, 2, true},
	cdtOpMapRemoveByKeyList:        {2, 2, true},
	cdtOpMapRemoveAllByValue:       {2, 2, true},
	cdtOpMapRemoveByValueList:      {2, 2, true},
	cdtOpMapRemoveByKeyInterval:    {2, 3, true},
	cdtOpMapRemoveByIndexRange:     {2, 3, true},
	cdtOpMapRemoveByValueInterval:  {2, 3, true},
	cdtOpMapRemoveByRankRange:      {2, 3, true},
	cdtOpMapRemoveByKeyRelIndex:    {3, 4, true},
	cdtOpMapRemoveByValueRelRank:   {3, 4, true},
	cdtOpMapSize:                   {0, 0, false},
	cdtOpMapGetByKey:               {2, 2, false},
	cdtOpMapGetByIndex:             {2, 2, false},
	cdtOpMapGetByValue:             {2, 2, false},
	cdtOpMapGetByRank:              {2, 2, false},
	cdtOpMapGetAllByValue:          {2, 2, false},
	cdtOpMapGetByKeyInterval:       {2, 3, false},
	cdtOpMapGetByIndexRange:        {2, 3, false},
	cdtOpMapGetByValueInterval:     {2, 3, false},
	cdtOpMapGetByRankRange:         {2, 3, false},
	cdtOpMapGetByKeyList:           {2, 2, false},
	cdtOpMapGetByValueList:         {2, 2, false},
	cdtOpMapGetByKeyRelIndexRange:  {3, 4, false},
	cdtOpMapGetByValueRelRankRange: {3, 4, false},
}

// cdtOp is a decoded CDT operation.
type cdtOp struct {
	code int
	args cdtArgs
	ctx  []cdtCtxItem
}

// cdtCtxItem is one step of a context path.
type cdtCtxItem struct {
	typ int64
	val any
}

// cdtOutcome is what an operation produced; see applyCDTOp.
type cdtOutcome struct {
	result  any
	has     bool
	newVal  any
	changed bool
	rc      ResultCode
}

func cdtFail(rc ResultCode) cdtOutcome { return cdtOutcome{rc: rc} }

// applyCDTOp executes one CDT operation of an Operate command.
// modify is true for wire op type 4 (CDT_MODIFY/MAP_MODIFY), false for 3 (CDT_READ/MAP_READ).
// payload is the op's value bytes as sent by the client: a msgpack array [opcode, args...]
// or, with a context, [0xff, [ctxType, ctxValue, ...], [opcode, args...]].
// List opcodes are < 64, map opcodes are >= 64.
// cur/exists: the bin's current value and whether the bin exists (the record exists; the caller
// handles a missing record).
// Returns: the result to send back (hasResult=false means the op yields no result, e.g. list clear),
// the new bin value when changed is true (cur and anything reachable from it are never mutated),
// and a result code.
//
// changed is false when the bin keeps its value, including modify ops that
// turned out to be no-ops (e.g. remove of an absent value); the server still
// rewrites the record (and bumps its generation) for any successful modify op.
func applyCDTOp(modify bool, payload []byte, cur any, exists bool) (result any, hasResult bool, newVal any, changed bool, rc ResultCode) {
	// The server skips read ops on a missing bin before looking at them.
	if !modify && !exists {
		return nil, false, nil, false, rcOK
	}
	if !exists {
		cur = nil // a missing bin has no value, whatever the caller passed
	}
	op, rc := parseCDTPayload(payload)
	if rc != rcOK {
		return nil, false, nil, false, rc
	}
	if len(op.ctx) > 0 && exists {
		switch cur.(type) {
		case *List, *Map:
		default:
			// cdt_context_dig refuses a context into a scalar bin.
			return nil, false, nil, false, rcParameterError
		}
	}
	root := cur
	if modify && exists {
		root = Clone(cur) // operations below may change their target in place
	}
	out := cdtApplyPath(op, modify, op.ctx, root, exists, false, true)
	if out.rc != rcOK {
		return nil, false, nil, false, out.rc
	}
	if !modify || !out.changed {
		return out.result, out.has, nil, false, rcOK
	}
	return out.result, out.has, out.newVal, true, rcOK
}

// parseCDTPayload decodes an op value. Besides the list forms, the client
// sends ops without a context as a 2-byte big-endian opcode followed by the
// msgpack array of arguments, if any (packShortRaw); the server recognises
// that form by its first byte being zero.
func parseCDTPayload(b []byte) (*cdtOp, ResultCode) {
	if len(b) == 0 {
		return nil, rcParameterError
	}
	if b[0] == 0 {
		if len(b) < 2 {
			return nil, rcParameterError
		}
		op := &cdtOp{code: int(b[1])}
		if len(b) > 2 {
			v, err := value.DecodeMsgpackAll(b[2:])
			l, ok := v.(*List)
			if err != nil || !ok {
				return nil, rcParameterError
			}
			op.args = l.Items
		}
		return op, rcOK
	}
	v, err := value.DecodeMsgpackAll(b)
	l, ok := v.(*List)
	if err != nil || !ok || len(l.Items) == 0 {
		return nil, rcParameterError
	}
	code, ok := l.Items[0].(int64)
	if !ok || code < 0 || code > math.MaxInt32 {
		return nil, rcParameterError
	}
	if code != cdtOpContextEval {
		return &cdtOp{code: int(code), args: l.Items[1:]}, rcOK
	}
	// [0xff, [ctxType, ctxValue, ...], [opcode, args...]]
	if len(l.Items) != 3 {
		return nil, rcParameterError
	}
	ctxList, ok1 := l.Items[1].(*List)
	inner, ok2 := l.Items[2].(*List)
	if !ok1 || !ok2 || len(ctxList.Items) == 0 || len(ctxList.Items)%2 != 0 || len(inner.Items) == 0 {
		return nil, rcParameterError
	}
	innerCode, ok := inner.Items[0].(int64)
	if !ok || innerCode < 0 || innerCode >= cdtOpContextEval {
		return nil, rcParameterError
	}
	op := &cdtOp{code: int(innerCode), args: inner.Items[1:]}
	for i := 0; i < len(ctxList.Items); i += 2 {
		t, ok := ctxList.Items[i].(int64)
		if !ok || t < 0 {
			return nil, rcParameterError
		}
		op.ctx = append(op.ctx, cdtCtxItem{typ: t, val: ctxList.Items[i+1]})
	}
	return op, rcOK
}

// cdtSpecFor looks up the opcode, which must belong to the op type (read or
// modify).
func cdtSpecFor(code int, modify bool) (cdtOpSpec, ResultCode) {
	spec, ok := cdtOpSpecs[code]
	if !ok || spec.modify != modify {
		return spec, rcParameterError
	}
	return spec, rcOK
}

// checkArgs validates the argument count. Ops without parameters ignore
// extra arguments, as the server does.
func (op *cdtOp) checkArgs(spec cdtOpSpec) ResultCode {
	n := len(op.args)
	if n < spec.minArgs || (spec.maxArgs > 0 && n > spec.maxArgs) {
		return rcParameterError
	}
	return rcOK
}

// cdtArgs are an op's arguments.
type cdtArgs []any

func (a cdtArgs) has(i int) bool { return i >= 0 && i < len(a) }

func (a cdtArgs) get(i int) any {
	if !a.has(i) {
		return nil
	}
	return a[i]
}

// int returns argument i, which must be an integer.
func (a cdtArgs) int(i int) (int64, bool) {
	v, ok := a.get(i).(int64)
	return v, ok
}

// intOr returns argument i if present (it must then be an integer), def otherwise.
func (a cdtArgs) intOr(i int, def int64) (int64, bool) {
	if !a.has(i) {
		return def, true
	}
	return a.int(i)
}

// count returns an optional count argument. The server reads counts as
// unsigned, so a negative count means "a lot".
func (a cdtArgs) count(i int) (int64, bool) {
	c, ok := a.intOr(i, cdtCount)
	if c < 0 {
		c = math.MaxInt64
	}
	return c, ok
}

// list returns argument i, which must be a list.
func (a cdtArgs) list(i int) ([]any, bool) {
	l, ok := a.get(i).(*List)
	if !ok {
		return nil, false
	}
	return l.Items, true
}

//----------------------------------------------------------------------------
// Context paths.

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
		return cdtFail(rcOpNotApplicable)
	}
	if !exists {
		if !modify {
			return cdtOutcome{}
		}
		if top && !cdtCreateFlag(it.typ) {
			// An empty bin can only be dug into by a step that creates.
			return cdtFail(rcOpNotApplicable)
		}
		return cdtCreatePath(op, ctx)
	}
	switch c := val.(type) {
	case *List:
		if it.typ&cdtCtxMap != 0 {
			return cdtFail(rcOpNotApplicable)
		}
		return cdtListStep(op, modify, ctx, c)
	case *Map:
		if it.typ&cdtCtxList != 0 {
			return cdtFail(rcOpNotApplicable)
		}
		return cdtMapStep(op, modify, ctx, c)
	}
	return cdtFail(rcOpNotApplicable)
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
		return MapKeyOrdered
	case cdtCtxOrdered:
		return MapKeyValueOrdered
	}
	return MapUnordered
}

// cdtCreatePath builds the missing containers of the remaining context
// steps, applies op to the innermost (missing) element, and keeps the new
// containers only if the op wrote something.
func cdtCreatePath(op *cdtOp, ctx []cdtCtxItem) cdtOutcome {
	it := ctx[0]
	switch it.typ & (cdtCtxKindMask | cdtCtxBaseMask) {
	case cdtCtxMap | cdtCtxKey:
		if cdtNonStorage(it.val) {
			return cdtFail(rcOpNotApplicable)
		}
		out := cdtApplyPath(op, true, ctx[1:], nil, false, true, false)
		if out.rc != rcOK || !out.changed {
			return out
		}
		m := &Map{Order: cdtMapOrderFromCtx(it.typ)}
		m.Put(it.val, out.newVal)
		out.newVal = m
		return out
	case cdtCtxList | cdtCtxIndex:
		idx, ok := it.val.(int64)
		if !ok || idx < -1 {
			return cdtFail(rcOpNotApplicable)
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
				return cdtFail(rcRecordTooBig)
			}
		default:
			if idx > 0 {
				return cdtFail(rcOpNotApplicable)
			}
		}
		out := cdtApplyPath(op, true, ctx[1:], nil, false, true, false)
		if out.rc != rcOK || !out.changed {
			return out
		}
		l := &List{Ordered: cr == cdtCtxOrdered, Items: make([]any, idx+1)}
		l.Items[idx] = out.newVal
		out.newVal = l
		return out
	}
	return cdtFail(rcOpNotApplicable)
}

// cdtListStep descends one context step into list l.
func cdtListStep(op *cdtOp, modify bool, ctx []cdtCtxItem, l *List) cdtOutcome {
	it := ctx[0]
	n := len(l.Items)
	pos := -1
	switch it.typ & cdtCtxBaseMask {
	case cdtCtxIndex, cdtCtxRank:
		i, ok := it.val.(int64)
		if !ok {
			return cdtFail(rcOpNotApplicable)
		}
		if it.typ&cdtCtxBaseMask == cdtCtxRank && !l.Ordered {
			p, ok := cdtSingleIndex(i, n)
			if !ok {
				return cdtFail(rcOpNotApplicable)
			}
			pos = cdtNewListView(l).rankOrder()[p]
			break
		}
		if p, ok := cdtSingleIndex(i, n); ok {
			pos = p
			break
		}
		if !modify || !cdtCreateFlag(it.typ) {
			return cdtFail(rcOpNotApplicable)
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
			return cdtFail(rcOpNotApplicable)
		}
	default:
		return cdtFail(rcOpNotApplicable) // lists have no keys
	}
	out := cdtApplyPath(op, modify, ctx[1:], l.Items[pos], true, false, false)
	if out.rc != rcOK || !out.changed {
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
func cdtListStepCreate(op *cdtOp, ctx []cdtCtxItem, l *List, i int64) cdtOutcome {
	n := int64(len(l.Items))
	pad := int64(0)
	switch {
	case n == 0 && i == -1, i == n:
	case i > n && l.Ordered:
	case i > n && cdtCtxUnboundFlag(ctx[0].typ):
		pad = i - n
		if i >= cdtMaxElements {
			return cdtFail(rcRecordTooBig)
		}
	default:
		return cdtFail(rcOpNotApplicable)
	}
	out := cdtApplyPath(op, true, ctx[1:], nil, false, true, false)
	if out.rc != rcOK || !out.changed {
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
func cdtMapStep(op *cdtOp, modify bool, ctx []cdtCtxItem, m *Map) cdtOutcome {
	it := ctx[0]
	n := len(m.Entries)
	pos := -1
	switch it.typ & cdtCtxBaseMask {
	case cdtCtxIndex, cdtCtxRank:
		i, ok := it.val.(int64)
		if !ok {
			return cdtFail(rcOpNotApplicable)
		}
		p, ok := cdtSingleIndex(i, n)
		if !ok {
			return cdtFail(rcOpNotApplicable)
		}
		pos = p
		if it.typ&cdtCtxBaseMask == cdtCtxRank {
			pos = cdtNewMapView(m, false).rankOrder()[p]
		}
	case cdtCtxKey:
		p, found := m.Find(it.val)
		if !found {
			if !modify || !cdtCreateFlag(it.typ) || cdtNonStorage(it.val) {
				return cdtFail(rcOpNotApplicable)
			}
			out := cdtApplyPath(op, true, ctx[1:], nil, false, true, false)
			if out.rc != rcOK || !out.changed {
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
			return cdtFail(rcOpNotApplicable)
		}
	default:
		return cdtFail(rcOpNotApplicable)
	}
	out := cdtApplyPath(op, modify, ctx[1:], m.Entries[pos].Value, true, false, false)
	if out.rc != rcOK || !out.changed {
		return out
	}
	m.Entries[pos].Value = out.newVal
	out.newVal = m
	return out
}

//----------------------------------------------------------------------------
// Index arithmetic (calc_index, calc_index_count, calc_rel_index_count).

// cdtSingleIndex resolves a possibly negative index of a single element.
func cdtSingleIndex(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// cdtRange resolves index/count of a multi-element range: the range is
// clipped to the list, and a negative start that reaches before the list
// shortens the count accordingly.
func cdtRange(index, count int64, n int) (start, cnt int) {
	n64 := int64(n)
	if index >= n64 {
		return n, 0
	}
	if index < 0 {
		index += n64
	}
	if index < 0 {
		// Only the part of [index, index+count) inside the list counts.
		// (count >= 0 > index: the sum cannot overflow, -index could.)
		if count+index <= 0 {
			return 0, 0
		}
		return 0, int(min(count+index, n64))
	}
	return int(index), int(min(count, n64-index))
}

// cdtRelRange shifts index/count by a relative position (rel rank/index ops).
func cdtRelRange(index, count int64, rel int) (int64, int64) {
	if index > math.MaxInt64-int64(rel) {
		index = math.MaxInt64
	} else {
		index += int64(rel)
	}
	if index < 0 {
		count = max(count+index, 0) // count >= 0 > index: no overflow
		index = 0
	}
	return index, count
}

//----------------------------------------------------------------------------
// Comparison.

// cdtCompare orders values like Compare, plus the server's wildcard rule:
// the comparison stops as "equal" at the first wildcard met anywhere, even
// inside lists of different lengths (msgpack_cmp_internal). So [1, *]
// matches [1, 2, 3].
func cdtCompare(a, b any) int {
	c, _ := cdtCmpWild(a, b)
	return c
}

func cdtCmpWild(a, b any) (int, bool) {
	if _, ok := a.(Wildcard); ok {
		return 0, true
	}
	if _, ok := b.(Wildcard); ok {
		return 0, true
	}
	switch x := a.(type) {
	case *List:
		y, ok := b.(*List)
		if !ok {
			return Compare(a, b), false
		}
		n := min(len(x.Items), len(y.Items))
		for i := 0; i < n; i++ {
			if c, w := cdtCmpWild(x.Items[i], y.Items[i]); w || c != 0 {
				return c, w
			}
		}
		return cmp.Compare(len(x.Items), len(y.Items)), false
	case *Map:
		y, ok := b.(*Map)
		if !ok {
			return Compare(a, b), false
		}
		if c := cmp.Compare(len(x.Entries), len(y.Entries)); c != 0 {
			return c, false
		}
		for i := range x.Entries {
			if c, w := cdtCmpWild(x.Entries[i].Key, y.Entries[i].Key); w || c != 0 {
				return c, w
			}
			if c, w := cdtCmpWild(x.Entries[i].Value, y.Entries[i].Value); w || c != 0 {
				return c, w
			}
		}
		return 0, false
	}
	return Compare(a, b), false
}

// cdtNonStorage reports whether v holds a wildcard or infinity, which may be
// used in comparisons but never stored.
func cdtNonStorage(v any) bool {
	switch x := v.(type) {
	case Wildcard, Infinity, value.ExtHeader:
		return true
	case *List:
		for _, it := range x.Items {
			if cdtNonStorage(it) {
				return true
			}
		}
	case *Map:
		for _, e := range x.Entries {
			if cdtNonStorage(e.Key) || cdtNonStorage(e.Value) {
				return true
			}
		}
	}
	return false
}

// cdtIncrement adds delta (absent or nil meaning 1) to cur (absent meaning
// 0), with the server's typing: the stored value keeps its type, a new value
// takes the delta's type (cdt_calc_delta).
func cdtIncrement(cur any, hasCur bool, delta any, negate bool) (any, ResultCode) {
	di, df, isFloat := int64(1), 1.0, false
	switch d := delta.(type) {
	case nil:
	case int64:
		di, df = d, float64(d)
	case float64:
		df, isFloat = d, true
	default:
		return nil, rcParameterError
	}
	if negate {
		di, df = -di, -df
	}
	if !hasCur {
		if isFloat {
			return df, rcOK
		}
		return di, rcOK
	}
	switch c := cur.(type) {
	case int64:
		if isFloat {
			return c + int64(df), rcOK
		}
		return c + di, rcOK
	case float64:
		if isFloat {
			return c + df, rcOK
		}
		return c + float64(di), rcOK
	}
	return nil, rcParameterError
}

//----------------------------------------------------------------------------
// Selections and results, shared by list and map get/remove operations.

// cdtView is a read-only view of a list's or map's elements by position
// (list index, or map index in key order).
type cdtView struct {
	isMap   bool
	ordered bool // list ORDERED, or map key-ordered
	// valueIndexed is set for a key-value ordered map stored in a bin: the
	// server keeps a value index for those (not for nested maps) and walks
	// it, in rank order, for value selections.
	valueIndexed bool
	keys         []any
	vals         []any
	byRank       []int // positions in rank order, computed on demand
	rank         []int // rank of each position
}

func cdtNewListView(l *List) *cdtView {
	return &cdtView{ordered: l.Ordered, vals: l.Items}
}

func cdtNewMapView(m *Map, top bool) *cdtView {
	v := &cdtView{
		isMap:        true,
		ordered:      m.Order&MapKeyOrdered != 0,
		valueIndexed: top && m.Order&MapKeyValueOrdered == MapKeyValueOrdered,
		keys:         make([]any, len(m.Entries)),
		vals:         make([]any, len(m.Entries)),
	}
	for i, e := range m.Entries {
		v.keys[i], v.vals[i] = e.Key, e.Value
	}
	return v
}

func (v *cdtView) n() int { return len(v.vals) }

// less orders positions by value; map entries with equal values by key.
func (v *cdtView) less(i, j int) bool {
	c := Compare(v.vals[i], v.vals[j])
	if c == 0 && v.isMap {
		c = Compare(v.keys[i], v.keys[j])
	}
	return c < 0
}

// rankOrder returns the positions in rank order (ties in position order).
func (v *cdtView) rankOrder() []int {
	if v.byRank == nil {
		v.byRank = make([]int, v.n())
		for i := range v.byRank {
			v.byRank[i] = i
		}
		sort.SliceStable(v.byRank, func(a, b int) bool { return v.less(v.byRank[a], v.byRank[b]) })
		v.rank = make([]int, v.n())
		for r, p := range v.byRank {
			v.rank[p] = r
		}
	}
	return v.byRank
}

// rankOf is the rank the server reports for the element at position p on
// its own: the number of elements ordered before it. Equal list values
// share a rank (map entries never tie: keys break ties).
func (v *cdtView) rankOf(p int) int {
	if v.isMap {
		v.rankOrder()
		return v.rank[p]
	}
	r := 0
	for i := range v.vals {
		if Compare(v.vals[i], v.vals[p]) < 0 {
			r++
		}
	}
	return r
}

// countLess counts the elements (map values, or keys when byKey) ordered
// before x.
func (v *cdtView) countLess(x any, byKey bool) int {
	src := v.vals
	if byKey {
		src = v.keys
	}
	r := 0
	for _, y := range src {
		if cdtCompare(y, x) < 0 {
			r++
		}
	}
	return r
}

// cdtSel is the set of elements an operation selected, with how the server
// reports them.
type cdtSel struct {
	multi bool
	// pos lists the selected positions in the order elements (values, keys,
	// pairs) are reported.
	pos []int
	// idxOrder, if set, is the order INDEX results are reported in;
	// otherwise indexes are reported ascending.
	idxOrder []int
	// rankAsc reports RANK results as the sorted ranks of the selection
	// (selections by value or rank); otherwise each element's rank in pos
	// order (selections by index or key).
	rankAsc bool
	// invRankAsc is rankAsc once inverted.
	invRankAsc bool
	noRank     bool // RANK results not supported (key lists)
	// idxRange / rankRange are [start, count] for the *_RANGE result types,
	// nil where the server refuses them.
	idxRange  []int
	rankRange []int
}

// invert replaces the selection by its complement, in position order.
func (s *cdtSel) invert(n int) {
	in := make([]bool, n)
	for _, p := range s.pos {
		in[p] = true
	}
	s.pos = s.pos[:0:0]
	for i := 0; i < n; i++ {
		if !in[i] {
			s.pos = append(s.pos, i)
		}
	}
	s.idxOrder = nil
	s.rankAsc = s.invRankAsc
	s.idxRange, s.rankRange = nil, nil
}

func cdtSeq(start, cnt int) []int {
	s := make([]int, cnt)
	for i := range s {
		s[i] = start + i
	}
	return s
}

// selIndexRange selects by index (single) or index range (multi).
func (v *cdtView) selIndexRange(index, count int64, multi bool) (*cdtSel, ResultCode) {
	// Inverted index ranges report each element's rank in index order.
	s := &cdtSel{multi: multi}
	var start, cnt int
	if multi {
		start, cnt = cdtRange(index, count, v.n())
	} else {
		p, ok := cdtSingleIndex(index, v.n())
		if !ok {
			return nil, rcOpNotApplicable
		}
		start, cnt = p, 1
	}
	s.pos = cdtSeq(start, cnt)
	s.idxRange = []int{start, cnt}
	if v.ordered && !v.isMap {
		s.rankRange = []int{start, cnt}
	}
	return s, rcOK
}

// selRankRange selects by rank (single) or rank range (multi).
func (v *cdtView) selRankRange(rank, count int64, multi bool) (*cdtSel, ResultCode) {
	if v.ordered && !v.isMap {
		return v.selIndexRange(rank, count, multi) // rank == index
	}
	s := &cdtSel{multi: multi, rankAsc: true, invRankAsc: true}
	var start, cnt int
	if multi {
		start, cnt = cdtRange(rank, count, v.n())
	} else {
		p, ok := cdtSingleIndex(rank, v.n())
		if !ok {
			return nil, rcOpNotApplicable
		}
		start, cnt = p, 1
	}
	s.pos = append([]int(nil), v.rankOrder()[start:start+cnt]...)
	if v.isMap {
		s.idxOrder = s.pos // maps report the indexes in rank order
	}
	s.rankRange = []int{start, cnt}
	return s, rcOK
}

// selValueInterval selects values in [start, end), or >= start without end;
// a single-value selection when single is set (end is then ignored).
func (v *cdtView) selValueInterval(start, end any, hasEnd, single, multi bool) *cdtSel {
	s := &cdtSel{multi: multi, rankAsc: true, invRankAsc: true}
	rank := v.countLess(start, false)
	empty := !single && hasEnd && cdtCompare(start, end) >= 0
	for i, x := range v.vals {
		if empty {
			break
		}
		if single {
			if cdtCompare(x, start) != 0 {
				continue
			}
		} else if cdtCompare(x, start) < 0 || (hasEnd && cdtCompare(x, end) >= 0) {
			continue
		}
		s.pos = append(s.pos, i)
		if !multi {
			break
		}
	}
	if v.valueIndexed {
		sort.SliceStable(s.pos, func(a, b int) bool { return v.less(s.pos[a], s.pos[b]) })
		s.idxOrder = s.pos
	}
	s.rankRange = []int{rank, len(s.pos)}
	if v.ordered && !v.isMap {
		s.idxRange = []int{rank, len(s.pos)}
	}
	return s
}

// selValueList selects the elements equal to any of values.
func (v *cdtView) selValueList(values []any) *cdtSel {
	s := &cdtSel{multi: true, rankAsc: true, invRankAsc: true}
	for i, x := range v.vals {
		for _, w := range values {
			if cdtCompare(x, w) == 0 {
				s.pos = append(s.pos, i)
				break
			}
		}
	}
	return s
}

// selValueRelRankRange selects by rank relative to value's rank.
func (v *cdtView) selValueRelRankRange(value any, rank, count int64) (*cdtSel, ResultCode) {
	r, c := cdtRelRange(rank, count, v.countLess(value, false))
	return v.selRankRange(r, c, true)
}

// selKeyInterval selects map keys in [start, end), or >= start without end;
// a single key when single is set.
func (v *cdtView) selKeyInterval(start, end any, hasEnd, single bool) *cdtSel {
	s := &cdtSel{multi: !single}
	index := v.countLess(start, true)
	for i, k := range v.keys {
		if single {
			if cdtCompare(k, start) == 0 {
				s.pos = append(s.pos, i)
				break
			}
			continue
		}
		if cdtCompare(k, start) >= 0 && (!hasEnd || cdtCompare(k, end) < 0) {
			s.pos = append(s.pos, i)
		}
	}
	s.idxRange = []int{index, len(s.pos)}
	return s
}

// selKeyList selects the entries whose key is in keys.
func (v *cdtView) selKeyList(keys []any) *cdtSel {
	s := &cdtSel{multi: true, noRank: true}
	seen := make([]bool, v.n())
	var order []int
	for _, k := range keys {
		for i, x := range v.keys {
			if !seen[i] && cdtCompare(x, k) == 0 {
				seen[i] = true
				order = append(order, i)
			}
		}
	}
	for i, ok := range seen {
		if ok {
			s.pos = append(s.pos, i)
		}
	}
	if v.ordered {
		// A key-ordered map reports indexes in the order keys were asked.
		s.idxOrder = order
	}
	return s
}

// selKeyRelIndexRange selects by index relative to key's index.
func (v *cdtView) selKeyRelIndexRange(key any, index, count int64) (*cdtSel, ResultCode) {
	i, c := cdtRelRange(index, count, v.countLess(key, true))
	return v.selIndexRange(i, c, true)
}

// finish applies the INVERTED flag of rt and builds the result.
func (v *cdtView) finish(s *cdtSel, rt int64) (any, bool, ResultCode) {
	if rt&cdtRtInverted != 0 {
		if !s.multi {
			return nil, false, rcOpNotApplicable
		}
		s.invert(v.n())
	}
	return v.result(s, rt&cdtRtMask)
}

func cdtInts(xs []int, f func(int) int) *List {
	l := &List{Items: make([]any, len(xs))}
	for i, x := range xs {
		l.Items[i] = int64(f(x))
	}
	return l
}

// result builds the result of type t for selection s.
func (v *cdtView) result(s *cdtSel, t int64) (any, bool, ResultCode) {
	n := v.n()
	rev := func(x int) int { return n - 1 - x }
	same := func(x int) int { return x }
	switch t {
	case cdtRtNone:
		return nil, false, rcOK
	case cdtRtCount:
		return int64(len(s.pos)), true, rcOK
	case cdtRtExists:
		return len(s.pos) > 0, true, rcOK
	case cdtRtIndex, cdtRtRevIndex:
		order := s.idxOrder
		if order == nil {
			order = append([]int(nil), s.pos...)
			sort.Ints(order)
		}
		f := same
		if t == cdtRtRevIndex {
			f = rev
		}
		if !s.multi {
			if len(order) == 0 {
				return int64(-1), true, rcOK
			}
			return int64(f(order[0])), true, rcOK
		}
		return cdtInts(order, f), true, rcOK
	case cdtRtRank, cdtRtRevRank:
		if s.noRank {
			return nil, false, rcOpNotApplicable
		}
		ranks := make([]int, len(s.pos))
		for i, p := range s.pos {
			if s.rankAsc {
				v.rankOrder()
				ranks[i] = v.rank[p]
			} else {
				ranks[i] = v.rankOf(p)
			}
		}
		if s.rankAsc {
			sort.Ints(ranks)
		}
		f := same
		if t == cdtRtRevRank {
			f = rev
		}
		if !s.multi {
			if len(ranks) == 0 {
				return int64(-1), true, rcOK
			}
			return int64(f(ranks[0])), true, rcOK
		}
		return cdtInts(ranks, f), true, rcOK
	case cdtRtKey, cdtRtValue:
		if t == cdtRtKey && !v.isMap {
			return nil, false, rcOpNotApplicable
		}
		src := v.vals
		if t == cdtRtKey {
			src = v.keys
		}
		if !s.multi {
			if len(s.pos) == 0 {
				return nil, false, rcOK
			}
			return src[s.pos[0]], true, rcOK
		}
		l := &List{Items: make([]any, len(s.pos))}
		for i, p := range s.pos {
			l.Items[i] = src[p]
		}
		return l, true, rcOK
	case cdtRtKeyValue, cdtRtUnorderedMap, cdtRtOrderedMap:
		if !v.isMap {
			return nil, false, rcOpNotApplicable
		}
		pos := s.pos
		order := cdtMapPreserveOrder
		switch t {
		case cdtRtUnorderedMap:
			order = MapUnordered
		case cdtRtOrderedMap:
			order = MapKeyOrdered
			pos = append([]int(nil), pos...)
			sort.Ints(pos) // positions are in key order
		}
		m := &Map{Order: order, Entries: make([]MapEntry, len(pos))}
		for i, p := range pos {
			m.Entries[i] = MapEntry{Key: v.keys[p], Value: v.vals[p]}
		}
		return m, true, rcOK
	case cdtRtIndexRange, cdtRtRevIndexRange, cdtRtRankRange, cdtRtRevRankRange:
		r := s.idxRange
		if t == cdtRtRankRange || t == cdtRtRevRankRange {
			r = s.rankRange
		}
		if r == nil {
			return nil, false, rcOpNotApplicable
		}
		start := r[0]
		if t == cdtRtRevIndexRange || t == cdtRtRevRankRange {
			start = n - r[0] - r[1]
		}
		return &List{Items: []any{int64(start), int64(r[1])}}, true, rcOK
	}
	return nil, false, rcOpNotApplicable
}

// cdtRemovePositions returns items without the given positions.
func cdtRemovePositions[T any](items []T, pos []int) []T {
	drop := make(map[int]bool, len(pos))
	for _, p := range pos {
		drop[p] = true
	}
	out := make([]T, 0, len(items)-len(drop))
	for i, it := range items {
		if !drop[i] {
			out = append(out, it)
		}
	}
	return out
}
