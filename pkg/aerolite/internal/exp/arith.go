package exp

import (
	"math"
	"math/bits"
)

// Arithmetic and integer operators.

const (
	expOpAdd      = 20
	expOpSub      = 21
	expOpMul      = 22
	expOpDiv      = 23
	expOpPow      = 24
	expOpLog      = 25
	expOpMod      = 26
	expOpAbs      = 27
	expOpFloor    = 28
	expOpCeil     = 29
	expOpToInt    = 30
	expOpToFloat  = 31
	expOpIntAnd   = 32
	expOpIntOr    = 33
	expOpIntXor   = 34
	expOpIntNot   = 35
	expOpLShift   = 36
	expOpRShift   = 37
	expOpARShift  = 38
	expOpIntCount = 39
	expOpLScan    = 40
	expOpRScan    = 41
	expOpMin      = 50
	expOpMax      = 51
)

// expNumNode is every numeric operator. The parser has checked the argument
// types, so the values are int64 or float64 as t (and the op) say; anything
// else is treated as unknown rather than trusted.
type expNumNode struct {
	op   int
	t    expType // result type
	args []expNode
}

func (n *expNumNode) resultType() expType { return n.t }

func (n *expNumNode) eval(s *expState) (any, bool) {
	vals := make([]any, len(n.args))
	for i, a := range n.args {
		v, ok := a.eval(s)
		if !ok {
			return nil, false
		}
		vals[i] = v
	}
	switch n.op {
	case expOpAdd, expOpSub, expOpMul, expOpDiv, expOpMin, expOpMax:
		if n.t == expTypeFloat {
			fs, ok := expFloats(vals)
			if !ok {
				return nil, false
			}
			return expFloatVargs(n.op, fs), true
		}
		is, ok := expInts(vals)
		if !ok {
			return nil, false
		}
		return expIntVargs(n.op, is)
	case expOpIntAnd, expOpIntOr, expOpIntXor:
		is, ok := expInts(vals)
		if !ok {
			return nil, false
		}
		r := is[0]
		for _, x := range is[1:] {
			switch n.op {
			case expOpIntAnd:
				r &= x
			case expOpIntOr:
				r |= x
			default:
				r ^= x
			}
		}
		return r, true
	case expOpPow, expOpLog, expOpFloor, expOpCeil, expOpToInt:
		fs, ok := expFloats(vals)
		if !ok {
			return nil, false
		}
		return expFloatFunc(n.op, fs)
	case expOpAbs:
		switch x := vals[0].(type) {
		case int64:
			if x < 0 {
				x = -x // wraps for MinInt64, like labs()
			}
			return x, true
		case float64:
			return math.Abs(x), true
		}
		return nil, false
	case expOpLScan, expOpRScan:
		x, ok1 := vals[0].(int64)
		set, ok2 := vals[1].(bool)
		if !ok1 || !ok2 {
			return nil, false
		}
		return expBitScan(n.op, x, set), true
	}
	is, ok := expInts(vals)
	if !ok {
		return nil, false
	}
	return expIntFunc(n.op, is)
}

func expInts(vals []any) ([]int64, bool) {
	out := make([]int64, len(vals))
	for i, v := range vals {
		x, ok := v.(int64)
		if !ok {
			return nil, false
		}
		out[i] = x
	}
	return out, len(out) > 0
}

func expFloats(vals []any) ([]float64, bool) {
	out := make([]float64, len(vals))
	for i, v := range vals {
		x, ok := v.(float64)
		if !ok {
			return nil, false
		}
		out[i] = x
	}
	return out, len(out) > 0
}

// expIntVargs applies add/sub/mul/div/min/max to integers. Overflow wraps;
// division by zero is unknown, as on the server.
func expIntVargs(op int, is []int64) (any, bool) {
	r := is[0]
	rest := is[1:]
	switch op {
	case expOpAdd:
		for _, x := range rest {
			r += x
		}
	case expOpSub:
		if len(rest) == 0 {
			return -r, true
		}
		for _, x := range rest {
			r -= x
		}
	case expOpMul:
		for _, x := range rest {
			r *= x
		}
	case expOpDiv:
		// One argument: its reciprocal. Otherwise the first divided by the
		// product of the others.
		num, den := r, int64(1)
		if len(rest) == 0 {
			num, den = 1, r
		}
		for _, x := range rest {
			den *= x
		}
		if den == 0 {
			return nil, false
		}
		r = num / den
	case expOpMin:
		for _, x := range rest {
			r = min(r, x)
		}
	case expOpMax:
		for _, x := range rest {
			r = max(r, x)
		}
	}
	return r, true
}

func expFloatVargs(op int, fs []float64) float64 {
	r := fs[0]
	rest := fs[1:]
	switch op {
	case expOpAdd:
		for _, x := range rest {
			r += x
		}
	case expOpSub:
		if len(rest) == 0 {
			return 0.0 - r
		}
		for _, x := range rest {
			r -= x
		}
	case expOpMul:
		for _, x := range rest {
			r *= x
		}
	case expOpDiv:
		num, den := r, 1.0
		if len(rest) == 0 {
			num, den = 1.0, r
		}
		for _, x := range rest {
			den *= x
		}
		r = num / den
	case expOpMin:
		for _, x := range rest {
			if r > x {
				r = x
			}
		}
	case expOpMax:
		for _, x := range rest {
			if r < x {
				r = x
			}
		}
	}
	return r
}

func expFloatFunc(op int, fs []float64) (any, bool) {
	switch op {
	case expOpPow:
		if len(fs) != 2 {
			return nil, false
		}
		return math.Pow(fs[0], fs[1]), true
	case expOpLog:
		if len(fs) != 2 {
			return nil, false
		}
		return math.Log(fs[0]) / math.Log(fs[1]), true
	case expOpFloor:
		return math.Floor(fs[0]), true
	case expOpCeil:
		return math.Ceil(fs[0]), true
	case expOpToInt:
		return expFloatToInt(fs[0]), true
	}
	return nil, false
}

// expFloatToInt truncates like a C cast; out-of-range values (undefined in
// C) saturate instead of depending on the platform.
func expFloatToInt(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return math.MinInt64 // what x86's cvttsd2si yields
	case f >= math.MaxInt64:
		return math.MinInt64
	case f < math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

func expIntFunc(op int, is []int64) (any, bool) {
	switch op {
	case expOpMod:
		if len(is) != 2 || is[1] == 0 {
			return nil, false
		}
		return is[0] % is[1], true
	case expOpToFloat:
		return float64(is[0]), true
	case expOpIntNot:
		return ^is[0], true
	case expOpIntCount:
		return int64(bits.OnesCount64(uint64(is[0]))), true
	case expOpLShift, expOpRShift, expOpARShift:
		if len(is) != 2 {
			return nil, false
		}
		// x86 masks a 64-bit shift count to 6 bits; do the same rather
		// than let Go shift everything out (or panic on a negative count).
		sh := uint(is[1]) & 63
		switch op {
		case expOpLShift:
			return is[0] << sh, true
		case expOpRShift:
			return int64(uint64(is[0]) >> sh), true
		}
		return is[0] >> sh, true
	}
	return nil, false
}

// expBitScan returns the index (0 = most significant) of the first bit equal
// to set, scanning from the left (lscan) or the right (rscan); -1 if none.
func expBitScan(op int, x int64, set bool) int64 {
	u := uint64(x)
	if !set {
		u = ^u
	}
	if u == 0 {
		return -1
	}
	if op == expOpLScan {
		return int64(bits.LeadingZeros64(u))
	}
	return int64(63 - bits.TrailingZeros64(u))
}
