// Package cdt implements the CDT (collection data type) operations: the
// list and map operations of an Operate command, as pure functions over the
// value model of package value. Apply is the entry point; the files hold the
// payload decoding (cdt.go), context paths (context.go), list operations
// (list.go), map operations (map.go), the selections and results shared by
// the get/remove-by operations (select.go), and element comparison and
// arithmetic (values.go).
//
// The semantics follow the server's CDT code (as/src/base/cdt.c,
// particle_list.c, particle_map.c) as observed through aerospike-client-go
// and recorded in asconform's golden transcripts.
package cdt

import (
	"math"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

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

// cdtOutcome is what an operation produced; see Apply.
type cdtOutcome struct {
	result  any
	has     bool
	newVal  any
	changed bool
	rc      wire.ResultCode
}

func cdtFail(rc wire.ResultCode) cdtOutcome { return cdtOutcome{rc: rc} }

// Apply executes one CDT operation of an Operate command.
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
func Apply(modify bool, payload []byte, cur any, exists bool) (result any, hasResult bool, newVal any, changed bool, rc wire.ResultCode) {
	// The server skips read ops on a missing bin before looking at them.
	if !modify && !exists {
		return nil, false, nil, false, wire.OK
	}
	if !exists {
		cur = nil // a missing bin has no value, whatever the caller passed
	}
	op, rc := parseCDTPayload(payload)
	if rc != wire.OK {
		return nil, false, nil, false, rc
	}
	if len(op.ctx) > 0 && exists {
		switch cur.(type) {
		case *value.List, *value.Map:
		default:
			// cdt_context_dig refuses a context into a scalar bin.
			return nil, false, nil, false, wire.ParameterError
		}
	}
	root := cur
	if modify && exists {
		root = value.Clone(cur) // operations below may change their target in place
	}
	out := cdtApplyPath(op, modify, op.ctx, root, exists, false, true)
	if out.rc != wire.OK {
		return nil, false, nil, false, out.rc
	}
	if !modify || !out.changed {
		return out.result, out.has, nil, false, wire.OK
	}
	return out.result, out.has, out.newVal, true, wire.OK
}

// parseCDTPayload decodes an op value. Besides the list forms, the client
// sends ops without a context as a 2-byte big-endian opcode followed by the
// msgpack array of arguments, if any (packShortRaw); the server recognises
// that form by its first byte being zero.
func parseCDTPayload(b []byte) (*cdtOp, wire.ResultCode) {
	if len(b) == 0 {
		return nil, wire.ParameterError
	}
	if b[0] == 0 {
		if len(b) < 2 {
			return nil, wire.ParameterError
		}
		op := &cdtOp{code: int(b[1])}
		if len(b) > 2 {
			v, err := value.DecodeMsgpackAll(b[2:])
			l, ok := v.(*value.List)
			if err != nil || !ok {
				return nil, wire.ParameterError
			}
			op.args = l.Items
		}
		return op, wire.OK
	}
	v, err := value.DecodeMsgpackAll(b)
	l, ok := v.(*value.List)
	if err != nil || !ok || len(l.Items) == 0 {
		return nil, wire.ParameterError
	}
	code, ok := l.Items[0].(int64)
	if !ok || code < 0 || code > math.MaxInt32 {
		return nil, wire.ParameterError
	}
	if code != cdtOpContextEval {
		return &cdtOp{code: int(code), args: l.Items[1:]}, wire.OK
	}
	// [0xff, [ctxType, ctxValue, ...], [opcode, args...]]
	if len(l.Items) != 3 {
		return nil, wire.ParameterError
	}
	ctxList, ok1 := l.Items[1].(*value.List)
	inner, ok2 := l.Items[2].(*value.List)
	if !ok1 || !ok2 || len(ctxList.Items) == 0 || len(ctxList.Items)%2 != 0 || len(inner.Items) == 0 {
		return nil, wire.ParameterError
	}
	innerCode, ok := inner.Items[0].(int64)
	if !ok || innerCode < 0 || innerCode >= cdtOpContextEval {
		return nil, wire.ParameterError
	}
	op := &cdtOp{code: int(innerCode), args: inner.Items[1:]}
	for i := 0; i < len(ctxList.Items); i += 2 {
		t, ok := ctxList.Items[i].(int64)
		if !ok || t < 0 {
			return nil, wire.ParameterError
		}
		op.ctx = append(op.ctx, cdtCtxItem{typ: t, val: ctxList.Items[i+1]})
	}
	return op, wire.OK
}

// cdtSpecFor looks up the opcode, which must belong to the op type (read or
// modify).
func cdtSpecFor(code int, modify bool) (cdtOpSpec, wire.ResultCode) {
	spec, ok := cdtOpSpecs[code]
	if !ok || spec.modify != modify {
		return spec, wire.ParameterError
	}
	return spec, wire.OK
}

// checkArgs validates the argument count. Ops without parameters ignore
// extra arguments, as the server does.
func (op *cdtOp) checkArgs(spec cdtOpSpec) wire.ResultCode {
	n := len(op.args)
	if n < spec.minArgs || (spec.maxArgs > 0 && n > spec.maxArgs) {
		return wire.ParameterError
	}
	return wire.OK
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
	l, ok := a.get(i).(*value.List)
	if !ok {
		return nil, false
	}
	return l.Items, true
}
