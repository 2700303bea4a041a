package exp

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// The expression wire format, as aerospike-client-go packs it:
//
//	constant        a msgpack value; strings and blobs carry their particle
//	                type as the first byte (3 string, 4 blob, 23 GeoJSON)
//	list constant   [126, list]  (quoted, since a bare array is a call)
//	op              [op, args...]
//	bin             [81, type, "name"]      names are raw strings
//	let             [125, "a", exp, "b", exp, ..., scope]
//	var             [124, "a"]
//	CDT call        [127, result type, 0 (CDT) | 0x40 (modify), params, bin]
//	                params = [cdt op, args...] or
//	                         [0xff, [ctx id, ctx value, ...], [cdt op, args...]]
//
// Inside CDT params, array arguments are sub-expressions and every other
// argument is a literal msgpack value handed to the CDT operation.

// expMaxDepth bounds the nesting of expressions so that hostile input cannot
// exhaust the stack.
const expMaxDepth = 128

// expMaxBinName is the server's limit on bin name length.
const expMaxBinName = 15

// Parse decodes the bytes of a FILTER_EXP field (or an expression
// op's payload, see ParseOp). Malformed input, a type error the server
// would refuse at build time, or an expression outside the supported subset
// returns rcParameterError.
func Parse(b []byte) (*Expression, wire.ResultCode) {
	p := &expParser{r: expReader{b: b}}
	n, ok := p.parse()
	if !ok || p.r.off != len(b) {
		return nil, wire.ParameterError
	}
	return &Expression{root: n, nVars: p.maxVars}, wire.OK
}

// ParseOp decodes the payload of an EXP_READ (wire op 7) or EXP_MODIFY
// (wire op 8) operation: a msgpack array [expression, flags].
func ParseOp(payload []byte) (*Expression, int, wire.ResultCode) {
	p := &expParser{r: expReader{b: payload}}
	n, ok := p.r.arrayHeader()
	if !ok || n != 2 {
		return nil, 0, wire.ParameterError
	}
	root, ok := p.parse()
	if !ok {
		return nil, 0, wire.ParameterError
	}
	flags, ok := p.r.int()
	if !ok || flags < math.MinInt32 || flags > math.MaxInt32 || p.r.off != len(payload) {
		return nil, 0, wire.ParameterError
	}
	return &Expression{root: root, nVars: p.maxVars}, int(flags), wire.OK
}

// ---------------------------------------------------------------------------
// The parser: msgpack tree -> typed expNode tree.

type expParser struct {
	r       expReader
	depth   int
	scopes  [][]expVarDef // let scopes, innermost last
	nextVar int           // next free variable slot
	maxVars int
}

// expVarDef is a let variable in scope; defining is set while its own
// definition is being parsed (a variable cannot refer to itself).
type expVarDef struct {
	name     string
	idx      int
	t        expType
	defining bool
}

func (p *expParser) parse() (expNode, bool) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > expMaxDepth {
		return nil, false
	}
	c, ok := p.r.peek()
	if !ok {
		return nil, false
	}
	if !expIsArray(c) {
		return p.parseConst()
	}
	n, ok := p.r.arrayHeader()
	if !ok || n == 0 {
		return nil, false
	}
	op, ok := p.r.int()
	if !ok {
		return nil, false
	}
	return p.parseOp(op, n-1)
}

// parseConst parses a literal value.
func (p *expParser) parseConst() (expNode, bool) {
	c, _ := p.r.peek()
	switch {
	case c == 0xc0:
		p.r.off++
		return &expConstNode{v: nil, t: expTypeNil}, true
	case c == 0xc2 || c == 0xc3:
		p.r.off++
		return &expConstNode{v: c == 0xc3, t: expTypeBool}, true
	case c == 0xca || c == 0xcb:
		v, ok := p.r.value()
		return &expConstNode{v: v, t: expTypeFloat}, ok
	case expIsRaw(c):
		return p.parseRawConst()
	case expIsMap(c):
		v, ok := p.r.value()
		m, isMap := v.(*value.Map)
		if !ok || !isMap || !expPlainValue(m, 0) {
			return nil, false
		}
		return &expConstNode{v: m, t: expTypeMap}, true
	}
	if v, ok := p.r.int(); ok {
		return &expConstNode{v: v, t: expTypeInt}, true
	}
	// Extension types (wildcard, infinity) are only meaningful as CDT
	// arguments; the server cannot type them as expressions.
	return nil, false
}

// parseRawConst parses a string, blob or GeoJSON constant: a str/bin whose
// first byte is the particle type.
func (p *expParser) parseRawConst() (expNode, bool) {
	b, ok := p.r.raw()
	if !ok || len(b) == 0 {
		return nil, false
	}
	payload := b[1:]
	switch b[0] {
	case value.ParticleString:
		return &expConstNode{v: string(payload), t: expTypeStr}, true
	case value.ParticleBlob:
		return &expConstNode{v: append([]byte{}, payload...), t: expTypeBlob}, true
	case value.ParticleGeoJSON:
		if !json.Valid(payload) {
			return nil, false
		}
		return &expConstNode{v: value.GeoJSON(payload), t: expTypeGeo}, true
	}
	return nil, false // HLL constants and unknown particle types
}

// expPlainValue reports whether v holds only storable values (no wildcard,
// infinity or stray extension headers).
func expPlainValue(v any, depth int) bool {
	if depth > value.MaxMsgpackDepth {
		return false
	}
	switch x := v.(type) {
	case nil, bool, int64, float64, string, []byte, value.GeoJSON:
		return true
	case *value.List:
		for _, it := range x.Items {
			if !expPlainValue(it, depth+1) {
				return false
			}
		}
		return true
	case *value.Map:
		for _, e := range x.Entries {
			if !expPlainValue(e.Key, depth+1) || !expPlainValue(e.Value, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// parseOp parses an op with argc arguments (the op code already consumed).
func (p *expParser) parseOp(op int64, argc int) (expNode, bool) {
	switch {
	case op == expOpUnknown:
		return expUnknownNode{}, argc == 0
	case op >= expOpEQ && op <= expOpLE:
		return p.parseCompare(int(op), argc)
	case op == expOpRegex:
		return p.parseRegex(argc)
	case op == expOpAnd || op == expOpOr || op == expOpExclusive:
		return p.parseLogic(int(op), argc)
	case op == expOpNot:
		args, ok := p.parseArgs(argc, 1, 1)
		if !ok || args[0].resultType() != expTypeBool {
			return nil, false
		}
		return &expNotNode{arg: args[0]}, true
	case op >= expOpAdd && op <= expOpRScan, op == expOpMin, op == expOpMax:
		return p.parseNumeric(int(op), argc)
	case op >= expOpDigestModulo && op <= expOpRecordSize:
		return p.parseMeta(int(op), argc)
	case op == expOpKey:
		return p.parseKey(argc)
	case op == expOpBin:
		return p.parseBin(argc)
	case op == expOpBinType:
		name, ok := p.binName(argc, 1)
		return &expBinTypeNode{name: name}, ok
	case op == expOpCond:
		return p.parseCond(argc)
	case op == expOpVar:
		return p.parseVar(argc)
	case op == expOpLet:
		return p.parseLet(argc)
	case op == expOpQuote:
		return p.parseQuote(argc)
	case op == expOpCall:
		return p.parseCall(argc)
	}
	// Geo comparisons and unknown op codes.
	return nil, false
}

// parseArgs parses argc sub-expressions, requiring lo <= argc <= hi
// (hi < 0: no upper bound).
func (p *expParser) parseArgs(argc, lo, hi int) ([]expNode, bool) {
	if argc < lo || (hi >= 0 && argc > hi) {
		return nil, false
	}
	args := make([]expNode, argc)
	for i := range args {
		n, ok := p.parse()
		if !ok {
			return nil, false
		}
		args[i] = n
	}
	return args, true
}

func (p *expParser) parseCompare(op, argc int) (expNode, bool) {
	args, ok := p.parseArgs(argc, 2, 2)
	if !ok {
		return nil, false
	}
	lt, rt := args[0].resultType(), args[1].resultType()
	if lt != rt || lt == expTypeGeo || lt == expTypeHLL || lt >= expTypeEnd {
		return nil, false
	}
	return &expCmpNode{op: op, l: args[0], r: args[1]}, true
}

func (p *expParser) parseLogic(op, argc int) (expNode, bool) {
	args, ok := p.parseArgs(argc, 2, -1)
	if !ok {
		return nil, false
	}
	for _, a := range args {
		if a.resultType() != expTypeBool {
			return nil, false
		}
	}
	return &expLogicNode{op: op, args: args}, true
}

// parseNumeric checks argument counts and types of the arithmetic and
// integer operators and computes the result type.
func (p *expParser) parseNumeric(op, argc int) (expNode, bool) {
	lo, hi := 1, 1
	switch op {
	case expOpAdd, expOpSub, expOpMul, expOpDiv, expOpMin, expOpMax,
		expOpIntAnd, expOpIntOr, expOpIntXor:
		hi = -1
	case expOpPow, expOpLog, expOpMod, expOpLShift, expOpRShift, expOpARShift,
		expOpLScan, expOpRScan:
		lo, hi = 2, 2
	case expOpAbs, expOpFloor, expOpCeil, expOpToInt, expOpToFloat, expOpIntNot, expOpIntCount:
	default:
		return nil, false // op codes 42..49 are unassigned
	}
	args, ok := p.parseArgs(argc, lo, hi)
	if !ok {
		return nil, false
	}
	t, ok := expNumericType(op, args)
	if !ok {
		return nil, false
	}
	return &expNumNode{op: op, t: t, args: args}, true
}

// expNumericType returns the result type of a numeric operator whose
// arguments have the types the server requires.
func expNumericType(op int, args []expNode) (expType, bool) {
	all := func(t expType) bool {
		for _, a := range args {
			if a.resultType() != t {
				return false
			}
		}
		return true
	}
	first := args[0].resultType()
	switch op {
	case expOpAdd, expOpSub, expOpMul, expOpDiv, expOpMin, expOpMax, expOpAbs:
		if (first == expTypeInt || first == expTypeFloat) && all(first) {
			return first, true
		}
	case expOpPow, expOpLog, expOpFloor, expOpCeil:
		if all(expTypeFloat) {
			return expTypeFloat, true
		}
	case expOpToInt:
		if all(expTypeFloat) {
			return expTypeInt, true
		}
	case expOpToFloat:
		if all(expTypeInt) {
			return expTypeFloat, true
		}
	case expOpLScan, expOpRScan:
		if first == expTypeInt && args[1].resultType() == expTypeBool {
			return expTypeInt, true
		}
	default: // mod and the integer bit operators
		if all(expTypeInt) {
			return expTypeInt, true
		}
	}
	return expTypeEnd, false
}

func (p *expParser) parseMeta(op, argc int) (expNode, bool) {
	if op != expOpDigestModulo {
		return &expMetaNode{op: op}, argc == 0
	}
	if argc != 1 {
		return nil, false
	}
	mod, ok := p.r.int()
	// The server keeps the divisor as a 32-bit integer.
	if !ok || int32(mod) == 0 {
		return nil, false
	}
	return &expMetaNode{op: op, mod: int64(int32(mod))}, true
}

func (p *expParser) parseKey(argc int) (expNode, bool) {
	if argc != 1 {
		return nil, false
	}
	t, ok := p.r.int()
	if !ok {
		return nil, false
	}
	switch t {
	case int64(expTypeInt), int64(expTypeStr), int64(expTypeBlob):
		return &expKeyNode{t: expType(t)}, true
	}
	return nil, false
}

func (p *expParser) parseBin(argc int) (expNode, bool) {
	if argc != 2 {
		return nil, false
	}
	t, ok := p.r.int()
	if !ok || t < 0 || t >= int64(expTypeEnd) {
		return nil, false
	}
	name, ok := p.binName(1, 1)
	if !ok {
		return nil, false
	}
	return &expBinNode{name: name, t: expType(t)}, true
}

// binName reads a raw bin name when argc == want.
func (p *expParser) binName(argc, want int) (string, bool) {
	if argc != want {
		return "", false
	}
	b, ok := p.r.raw()
	if !ok || len(b) > expMaxBinName {
		return "", false
	}
	return string(b), true
}

func (p *expParser) parseCond(argc int) (expNode, bool) {
	if argc < 3 || argc%2 == 0 {
		return nil, false
	}
	args, ok := p.parseArgs(argc, argc, argc)
	if !ok {
		return nil, false
	}
	// Every action must have the same type, except ExpUnknown() which may
	// stand in for any type. The default decides when no action did.
	t := expTypeEnd
	last := len(args) - 1
	for i := 0; i < last; i += 2 {
		if args[i].resultType() != expTypeBool {
			return nil, false
		}
		if !expMatchActionType(&t, args[i+1]) {
			return nil, false
		}
	}
	if t == expTypeEnd {
		t = args[last].resultType()
	} else if !expMatchActionType(&t, args[last]) {
		return nil, false
	}
	return &expCondNode{args: args, t: t}, true
}

// expMatchActionType checks a cond action against the type t of the actions
// before it, setting t from the first action that is not ExpUnknown().
func expMatchActionType(t *expType, a expNode) bool {
	if _, unk := a.(expUnknownNode); unk {
		return true
	}
	if *t == expTypeEnd {
		*t = a.resultType()
	}
	return a.resultType() == *t
}

func (p *expParser) lookupVar(name string) *expVarDef {
	for i := len(p.scopes) - 1; i >= 0; i-- {
		for j := range p.scopes[i] {
			if p.scopes[i][j].name == name {
				return &p.scopes[i][j]
			}
		}
	}
	return nil
}

func (p *expParser) parseVar(argc int) (expNode, bool) {
	if argc != 1 {
		return nil, false
	}
	b, ok := p.r.raw()
	if !ok {
		return nil, false
	}
	v := p.lookupVar(string(b))
	if v == nil || v.defining {
		return nil, false
	}
	return &expVarNode{idx: v.idx, t: v.t}, true
}

// expValidVarName mirrors the server: a letter or underscore, then letters,
// digits or underscores.
func expValidVarName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alpha := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !alpha && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func (p *expParser) parseLet(argc int) (expNode, bool) {
	if argc < 3 || argc%2 == 0 {
		return nil, false
	}
	nDefs := argc / 2
	base := p.nextVar
	p.scopes = append(p.scopes, make([]expVarDef, 0, nDefs))
	scope := len(p.scopes) - 1
	defer func() {
		p.scopes = p.scopes[:scope]
		p.nextVar = base
	}()
	defs := make([]expNode, nDefs)
	for i := range defs {
		b, ok := p.r.raw()
		name := string(b)
		if !ok || !expValidVarName(name) || p.lookupVar(name) != nil {
			return nil, false
		}
		p.scopes[scope] = append(p.scopes[scope], expVarDef{name: name, idx: p.nextVar, defining: true})
		p.nextVar++
		p.maxVars = max(p.maxVars, p.nextVar)
		d, ok := p.parse()
		if !ok {
			return nil, false
		}
		p.scopes[scope][i].t = d.resultType()
		p.scopes[scope][i].defining = false
		defs[i] = d
	}
	body, ok := p.parse()
	if !ok {
		return nil, false
	}
	return &expLetNode{base: base, defs: defs, scope: body}, true
}

func (p *expParser) parseQuote(argc int) (expNode, bool) {
	if argc != 1 {
		return nil, false
	}
	if c, ok := p.r.peek(); !ok || !expIsArray(c) {
		return nil, false
	}
	v, ok := p.r.value()
	l, isList := v.(*value.List)
	if !ok || !isList || !expPlainValue(l, 0) {
		return nil, false
	}
	return &expConstNode{v: l, t: expTypeList}, true
}

// POSIX regcomp flags as the server passes them to glibc. (The client names
// bit 2 NOSUB and bit 3 NEWLINE, but glibc reads them the other way round.)
const (
	expRegExtended = 1
	expRegICase    = 2
	expRegNewline  = 4
)

func (p *expParser) parseRegex(argc int) (expNode, bool) {
	if argc != 3 {
		return nil, false
	}
	flags, ok := p.r.int()
	if !ok {
		return nil, false
	}
	pat, ok := p.r.raw()
	if !ok {
		return nil, false
	}
	re, ok := expCompileRegex(string(pat), flags)
	if !ok {
		return nil, false
	}
	arg, ok := p.parse()
	if !ok || arg.resultType() != expTypeStr {
		return nil, false
	}
	return &expRegexNode{re: re, arg: arg}, true
}

// expCompileRegex compiles a POSIX regular expression with Go's engine. Only
// the common ground is accepted: patterns whose meaning could differ between
// POSIX (basic or extended, with GNU extensions) and Go are refused rather
// than risk a different match.
func expCompileRegex(pat string, flags int64) (*regexp.Regexp, bool) {
	// The server hands the pattern to regcomp as a C string.
	if i := strings.IndexByte(pat, 0); i >= 0 {
		pat = pat[:i]
	}
	if flags&expRegExtended == 0 && strings.ContainsAny(pat, "+?|(){}\\") {
		return nil, false // basic syntax gives these other meanings
	}
	// Inside brackets a backslash is literal in POSIX but an escape in Go.
	if strings.Contains(pat, "[") && strings.Contains(pat, "\\") {
		return nil, false
	}
	for i := 0; i+1 < len(pat); i++ {
		if pat[i] != '\\' {
			continue
		}
		n := pat[i+1]
		if (n >= '0' && n <= '9') || (n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') {
			return nil, false // backreferences and GNU escapes
		}
		i++
	}
	if strings.Contains(pat, "(?") || strings.HasPrefix(pat, "*") || strings.HasPrefix(pat, "^*") {
		return nil, false
	}
	prefix := "(?s)"
	if flags&expRegNewline != 0 {
		prefix = "(?m)"
	}
	if flags&expRegICase != 0 {
		prefix += "(?i)"
	}
	re, err := regexp.Compile(prefix + pat)
	return re, err == nil
}
