package exp

import (
	"bytes"
	"cmp"
	"regexp"
	"strings"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
)

// Comparisons.

// Comparison and logical op codes (as on the wire).
const (
	expOpUnknown   = 0
	expOpEQ        = 1
	expOpNE        = 2
	expOpGT        = 3
	expOpGE        = 4
	expOpLT        = 5
	expOpLE        = 6
	expOpRegex     = 7
	expOpGeo       = 8
	expOpAnd       = 16
	expOpOr        = 17
	expOpNot       = 18
	expOpExclusive = 19
)

type expCmpNode struct {
	op   int
	l, r expNode
}

func (n *expCmpNode) resultType() expType { return expTypeBool }
func (n *expCmpNode) eval(s *expState) (any, bool) {
	a, ok := n.l.eval(s)
	if !ok {
		return nil, false
	}
	b, ok := n.r.eval(s)
	if !ok {
		return nil, false
	}
	return expCompare(n.op, n.l.resultType(), a, b)
}

// expCompare compares two values of the same static type t.
func expCompare(op int, t expType, a, b any) (any, bool) {
	switch t {
	case expTypeNil:
		return op == expOpEQ || op == expOpGE || op == expOpLE, true
	case expTypeBool:
		x, ok1 := a.(bool)
		y, ok2 := b.(bool)
		if !ok1 || !ok2 {
			return nil, false
		}
		return expCmpResult(op, cmp.Compare(expB2i(x), expB2i(y))), true
	case expTypeInt:
		x, ok1 := a.(int64)
		y, ok2 := b.(int64)
		if !ok1 || !ok2 {
			return nil, false
		}
		return expCmpResult(op, cmp.Compare(x, y)), true
	case expTypeFloat:
		x, ok1 := a.(float64)
		y, ok2 := b.(float64)
		if !ok1 || !ok2 {
			return nil, false
		}
		return expCmpFloat(op, x, y), true
	case expTypeStr:
		x, ok1 := a.(string)
		y, ok2 := b.(string)
		if !ok1 || !ok2 {
			return nil, false
		}
		return expCmpResult(op, strings.Compare(x, y)), true
	case expTypeBlob:
		x, ok1 := a.([]byte)
		y, ok2 := b.([]byte)
		if !ok1 || !ok2 {
			return nil, false
		}
		return expCmpResult(op, bytes.Compare(x, y)), true
	case expTypeList, expTypeMap:
		if expTypeOf(a) != t || expTypeOf(b) != t {
			return nil, false
		}
		// The server refuses to order structures that contain an unordered
		// map: such a comparison is unknown.
		if expHasUnorderedMap(a, 0) || expHasUnorderedMap(b, 0) {
			return nil, false
		}
		return expCmpResult(op, value.Compare(a, b)), true
	}
	return nil, false
}

func expB2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func expCmpResult(op, c int) bool {
	switch op {
	case expOpEQ:
		return c == 0
	case expOpNE:
		return c != 0
	case expOpGT:
		return c > 0
	case expOpGE:
		return c >= 0
	case expOpLT:
		return c < 0
	case expOpLE:
		return c <= 0
	}
	return false
}

// expCmpFloat compares with IEEE semantics (NaN is unequal to everything).
func expCmpFloat(op int, x, y float64) bool {
	switch op {
	case expOpEQ:
		return x == y
	case expOpNE:
		return x != y
	case expOpGT:
		return x > y
	case expOpGE:
		return x >= y
	case expOpLT:
		return x < y
	case expOpLE:
		return x <= y
	}
	return false
}

// expHasUnorderedMap reports whether v contains a non-empty map that is not
// key-ordered.
func expHasUnorderedMap(v any, depth int) bool {
	if depth > value.MaxMsgpackDepth {
		return true
	}
	switch x := v.(type) {
	case *value.List:
		for _, it := range x.Items {
			if expHasUnorderedMap(it, depth+1) {
				return true
			}
		}
	case *value.Map:
		if len(x.Entries) > 0 && x.Order&value.MapKeyOrdered == 0 {
			return true
		}
		for _, e := range x.Entries {
			if expHasUnorderedMap(e.Key, depth+1) || expHasUnorderedMap(e.Value, depth+1) {
				return true
			}
		}
	}
	return false
}

// expRegexNode is ExpRegexCompare: true when the string matches.
type expRegexNode struct {
	re  *regexp.Regexp
	arg expNode
}

func (n *expRegexNode) resultType() expType { return expTypeBool }
func (n *expRegexNode) eval(s *expState) (any, bool) {
	v, ok := n.arg.eval(s)
	if !ok {
		return nil, false
	}
	str, ok := v.(string)
	if !ok {
		return nil, false
	}
	return n.re.MatchString(str), true
}

// ---------------------------------------------------------------------------
// Logical operators.

type expLogicNode struct {
	op   int // expOpAnd, expOpOr, expOpExclusive
	args []expNode
}

func (n *expLogicNode) resultType() expType { return expTypeBool }
func (n *expLogicNode) eval(s *expState) (any, bool) {
	switch n.op {
	case expOpAnd:
		// false wins over unknown; unknown wins over true.
		known := true
		for _, a := range n.args {
			v, ok := a.eval(s)
			if !ok {
				known = false
				continue
			}
			if b, _ := v.(bool); !b {
				return false, true
			}
		}
		if !known {
			return nil, false
		}
		return true, true
	case expOpOr:
		known := true
		for _, a := range n.args {
			v, ok := a.eval(s)
			if !ok {
				known = false
				continue
			}
			if b, _ := v.(bool); b {
				return true, true
			}
		}
		if !known {
			return nil, false
		}
		return false, true
	}
	// Exclusive: exactly one argument true; any unknown argument met
	// before the decision makes the result unknown.
	seen := false
	for _, a := range n.args {
		v, ok := a.eval(s)
		if !ok {
			return nil, false
		}
		if b, _ := v.(bool); b {
			if seen {
				return false, true
			}
			seen = true
		}
	}
	return seen, true
}

type expNotNode struct{ arg expNode }

func (n *expNotNode) resultType() expType { return expTypeBool }
func (n *expNotNode) eval(s *expState) (any, bool) {
	v, ok := n.arg.eval(s)
	if !ok {
		return nil, false
	}
	b, _ := v.(bool)
	return !b, true
}
