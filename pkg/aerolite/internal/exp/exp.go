// Package exp is the interpreter of Aerospike expressions: filter
// expressions and the EXP_READ / EXP_MODIFY operations.
//
// Expressions are a msgpack tree: constants are plain msgpack values, calls
// are arrays whose first element is an op code. The server compiles the tree
// once ("build"), checking the static type of every argument, and then
// evaluates it against a record. Evaluation is three-valued: a bin that is
// missing or of the wrong type makes the result "unknown", which propagates
// through comparisons and not(), is absorbed by and()/or() when another
// argument decides the result, and finally makes a filter false.
//
// Parse mirrors the build (including its type checks, which turn into
// PARAMETER_ERROR); the expNode tree mirrors the evaluation. The parser
// lives in parse.go (its msgpack cursor in reader.go), the nodes in exp.go
// (constants, variables, let, cond), compare.go (comparisons and logical
// operators), arith.go (arithmetic and integer operators), record.go
// (record metadata, key and bins) and cdt.go (CDT read calls).
package exp

import (
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/store"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// Expression is a parsed filter/operation expression.
type Expression struct {
	root  expNode
	nVars int // let-variable slots the evaluation needs
}

// Context is what an expression may read.
type Context struct {
	Rec *store.Record // nil when the record does not exist
	Now time.Time
}

// expType is the server's static result type of an expression node. The
// values are those of the client's ExpType, which the wire uses for typed
// bin reads, typed keys and CDT call results.
type expType uint8

const (
	expTypeNil expType = iota
	expTypeBool
	expTypeInt
	expTypeStr
	expTypeList
	expTypeMap
	expTypeBlob
	expTypeFloat
	expTypeGeo
	expTypeHLL
	expTypeEnd // no valid type
)

// expNode is one compiled node. eval returns ok=false for "unknown".
// Values are the package's value model (bool for booleans).
type expNode interface {
	resultType() expType
	eval(s *expState) (any, bool)
}

// expState is the per-evaluation state: the record and the let variables.
type expState struct {
	ctx  Context
	vars []expSlot
}

// expSlot holds one let variable; unknown values are stored as such and
// propagate when the variable is read, as on the server.
type expSlot struct {
	v  any
	ok bool
}

// EvalFilter evaluates a filter expression: true = the command proceeds,
// false = FILTERED_OUT. A filter whose static type is not boolean is a
// PARAMETER_ERROR (the server refuses it when building it); an unknown
// result is false.
func EvalFilter(e *Expression, c Context) (bool, wire.ResultCode) {
	if e == nil || e.root == nil {
		return false, wire.ParameterError
	}
	if e.root.resultType() != expTypeBool {
		return false, wire.ParameterError
	}
	v, ok := e.run(c)
	if !ok {
		return false, wire.OK
	}
	b, _ := v.(bool)
	return b, wire.OK
}

// Eval evaluates an expression to a value (used by ExpReadOp and
// ExpWriteOp). ok=false when the result is unknown. The value is a private
// copy that the caller may keep or modify.
func Eval(e *Expression, c Context) (val any, ok bool, rc wire.ResultCode) {
	if e == nil || e.root == nil {
		return nil, false, wire.ParameterError
	}
	v, ok := e.run(c)
	if !ok {
		return nil, false, wire.OK
	}
	return value.Clone(v), true, wire.OK
}

func (e *Expression) run(c Context) (any, bool) {
	s := &expState{ctx: c, vars: make([]expSlot, e.nVars)}
	return e.root.eval(s)
}

// expTypeOf returns the expression type of a runtime value.
func expTypeOf(v any) expType {
	switch v.(type) {
	case nil:
		return expTypeNil
	case bool:
		return expTypeBool
	case int64:
		return expTypeInt
	case float64:
		return expTypeFloat
	case string:
		return expTypeStr
	case []byte:
		return expTypeBlob
	case value.GeoJSON:
		return expTypeGeo
	case *value.List:
		return expTypeList
	case *value.Map:
		return expTypeMap
	}
	return expTypeEnd
}

// expParticleType returns the particle type of a bin value (ExpBinType).
func expParticleType(v any) int64 {
	switch v.(type) {
	case int64:
		return value.ParticleInteger
	case float64:
		return value.ParticleFloat
	case string:
		return value.ParticleString
	case []byte:
		return value.ParticleBlob
	case bool:
		return value.ParticleBool
	case *value.Map:
		return value.ParticleMap
	case *value.List:
		return value.ParticleList
	case value.GeoJSON:
		return value.ParticleGeoJSON
	}
	return value.ParticleNull
}

// ---------------------------------------------------------------------------
// Constants, unknown, variables.

type expConstNode struct {
	v any
	t expType
}

func (n *expConstNode) resultType() expType        { return n.t }
func (n *expConstNode) eval(*expState) (any, bool) { return n.v, true }

// expUnknownNode is ExpUnknown(): always unknown. It is typed boolean, but
// cond() accepts it as an action of any type.
type expUnknownNode struct{}

func (expUnknownNode) resultType() expType        { return expTypeBool }
func (expUnknownNode) eval(*expState) (any, bool) { return nil, false }

type expVarNode struct {
	idx int
	t   expType
}

func (n *expVarNode) resultType() expType { return n.t }
func (n *expVarNode) eval(s *expState) (any, bool) {
	if n.idx < 0 || n.idx >= len(s.vars) {
		return nil, false
	}
	slot := s.vars[n.idx]
	return slot.v, slot.ok
}

// expLetNode evaluates every definition eagerly, in order, then the scope.
type expLetNode struct {
	base  int // slot of the first variable
	defs  []expNode
	scope expNode
}

func (n *expLetNode) resultType() expType { return n.scope.resultType() }
func (n *expLetNode) eval(s *expState) (any, bool) {
	for i, d := range n.defs {
		idx := n.base + i
		if idx < 0 || idx >= len(s.vars) {
			return nil, false
		}
		v, ok := d.eval(s)
		s.vars[idx] = expSlot{v: v, ok: ok}
	}
	return n.scope.eval(s)
}

// expCondNode is cond(c1, a1, c2, a2, ..., default). An unknown condition
// makes the whole cond unknown.
type expCondNode struct {
	args []expNode // odd count, last is the default
	t    expType
}

func (n *expCondNode) resultType() expType { return n.t }
func (n *expCondNode) eval(s *expState) (any, bool) {
	last := len(n.args) - 1
	for i := 0; i < last; i += 2 {
		v, ok := n.args[i].eval(s)
		if !ok {
			return nil, false
		}
		if b, _ := v.(bool); b {
			return n.args[i+1].eval(s)
		}
	}
	return n.args[last].eval(s)
}
