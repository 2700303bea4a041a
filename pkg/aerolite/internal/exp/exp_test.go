package exp

import (
	"encoding/base64"
	"math"
	"math/rand"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/store"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// expWire returns the FILTER_EXP bytes the real client sends for e.
func expWire(t *testing.T, e *as.Expression) []byte {
	t.Helper()
	s, err := e.Base64()
	if err != nil {
		t.Fatalf("Base64: %v", err)
	}
	b, derr := base64.StdEncoding.DecodeString(s)
	if derr != nil {
		t.Fatalf("decode base64: %v", derr)
	}
	return b
}

// expRec builds a record with bins in the given order.
func expRec(bins ...any) *store.Record {
	r := &store.Record{Set: "cf_exp", Generation: 1, LastUpdate: time.Now().Add(-2 * time.Second).UnixNano()}
	for i := 0; i+1 < len(bins); i += 2 {
		r.Bins = append(r.Bins, store.Bin{Name: bins[i].(string), Value: bins[i+1]})
	}
	return r
}

// Filter outcomes as the golden file records them.
const (
	expPass     = "pass"     // the record is returned
	expFiltered = "filtered" // FILTERED_OUT
	expParam    = "param"    // PARAMETER_ERROR
)

type expFilterCase struct {
	step string
	exp  *as.Expression
	want string
}

// filterOutcome parses and evaluates e as a filter against rec.
func filterOutcome(t *testing.T, e *as.Expression, rec *store.Record, now time.Time) string {
	t.Helper()
	parsed, rc := Parse(expWire(t, e))
	if rc != wire.OK {
		return expParam
	}
	ok, rc := EvalFilter(parsed, Context{Rec: rec, Now: now})
	switch {
	case rc == wire.ParameterError:
		return expParam
	case rc != wire.OK:
		t.Fatalf("unexpected rc %d", rc)
	case ok:
		return expPass
	}
	return expFiltered
}

func runFilterCases(t *testing.T, rec *store.Record, cases []expFilterCase) {
	t.Helper()
	now := time.Now()
	for _, c := range cases {
		if got := filterOutcome(t, c.exp, rec, now); got != c.want {
			t.Errorf("%s: got %s, want %s", c.step, got, c.want)
		}
	}
}

func expMapOf(pairs ...any) *value.Map {
	m := &value.Map{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m.Put(pairs[i], pairs[i+1])
	}
	return m
}

func expListOf(items ...any) *value.List { return &value.List{Items: items} }

// ---------------------------------------------------------------------------
// The exp/* scenarios of golden.json, step by step.

func TestExpGoldenBinExists(t *testing.T) {
	runFilterCases(t, expRec("a", int64(1)), []expFilterCase{
		{"bin a exists", as.ExpBinExists("a"), expPass},
		{"bin b exists", as.ExpBinExists("b"), expFiltered},
		{"not bin b exists", as.ExpNot(as.ExpBinExists("b")), expPass},
	})
}

func TestExpGoldenIntCompare(t *testing.T) {
	n := as.ExpIntBin("n")
	runFilterCases(t, expRec("n", int64(10)), []expFilterCase{
		{"n < 20", as.ExpLess(n, as.ExpIntVal(20)), expPass},
		{"n < 5", as.ExpLess(n, as.ExpIntVal(5)), expFiltered},
		{"n > 5", as.ExpGreater(n, as.ExpIntVal(5)), expPass},
		{"n > 10", as.ExpGreater(n, as.ExpIntVal(10)), expFiltered},
		{"n >= 10", as.ExpGreaterEq(n, as.ExpIntVal(10)), expPass},
		{"n <= 9", as.ExpLessEq(n, as.ExpIntVal(9)), expFiltered},
		{"n == 10", as.ExpEq(n, as.ExpIntVal(10)), expPass},
		{"n != 10", as.ExpNotEq(n, as.ExpIntVal(10)), expFiltered},
	})
}

func TestExpGoldenAndOrNot(t *testing.T) {
	a, b := as.ExpIntBin("a"), as.ExpIntBin("b")
	eq := func(x *as.Expression, v int64) *as.Expression { return as.ExpEq(x, as.ExpIntVal(v)) }
	runFilterCases(t, expRec("a", int64(1), "b", int64(2)), []expFilterCase{
		{"a==1 and b==2", as.ExpAnd(eq(a, 1), eq(b, 2)), expPass},
		{"a==1 and b==3", as.ExpAnd(eq(a, 1), eq(b, 3)), expFiltered},
		{"a==0 or b==2", as.ExpOr(eq(a, 0), eq(b, 2)), expPass},
		{"a==0 or b==0", as.ExpOr(eq(a, 0), eq(b, 0)), expFiltered},
		{"not(a==1)", as.ExpNot(eq(a, 1)), expFiltered},
		{"not(a==0 or b==0)", as.ExpNot(as.ExpOr(eq(a, 0), eq(b, 0))), expPass},
	})
}

func TestExpGoldenStringFloatBool(t *testing.T) {
	runFilterCases(t, expRec("s", "abc", "f", 2.5, "t", true), []expFilterCase{
		{"s == abc", as.ExpEq(as.ExpStringBin("s"), as.ExpStringVal("abc")), expPass},
		{"s > abd", as.ExpGreater(as.ExpStringBin("s"), as.ExpStringVal("abd")), expFiltered},
		{"f > 2.0", as.ExpGreater(as.ExpFloatBin("f"), as.ExpFloatVal(2.0)), expPass},
		{"t == true", as.ExpEq(as.ExpBoolBin("t"), as.ExpBoolVal(true)), expPass},
	})
}

func TestExpGoldenTypeMismatch(t *testing.T) {
	runFilterCases(t, expRec("s", "abc", "n", int64(1)), []expFilterCase{
		{"int bin s == 1 (s is a string)", as.ExpEq(as.ExpIntBin("s"), as.ExpIntVal(1)), expFiltered},
		{"not(int bin s == 1)", as.ExpNot(as.ExpEq(as.ExpIntBin("s"), as.ExpIntVal(1))), expFiltered},
		{"int bin missing == 1", as.ExpEq(as.ExpIntBin("missing"), as.ExpIntVal(1)), expFiltered},
		{"n == 1 or missing == 1", as.ExpOr(as.ExpEq(as.ExpIntBin("n"), as.ExpIntVal(1)), as.ExpEq(as.ExpIntBin("missing"), as.ExpIntVal(1))), expPass},
	})
}

func TestExpGoldenMapGetByKey(t *testing.T) {
	m := as.ExpMapBin("m")
	get := func(key string, typ as.ExpType) *as.Expression {
		return as.ExpMapGetByKey(as.MapReturnType.VALUE, typ, as.ExpStringVal(key), m)
	}
	runFilterCases(t, expRec("m", expMapOf("n", int64(5), "s", "yes")), []expFilterCase{
		{"m[n] == 5", as.ExpEq(get("n", as.ExpTypeINT), as.ExpIntVal(5)), expPass},
		{"m[n] == 6", as.ExpEq(get("n", as.ExpTypeINT), as.ExpIntVal(6)), expFiltered},
		{"m[s] == yes", as.ExpEq(get("s", as.ExpTypeSTRING), as.ExpStringVal("yes")), expPass},
		{"m[s] == no", as.ExpEq(get("s", as.ExpTypeSTRING), as.ExpStringVal("no")), expFiltered},
		{"m[absent] == 5", as.ExpEq(get("absent", as.ExpTypeINT), as.ExpIntVal(5)), expFiltered},
		{"size(m) == 2", as.ExpEq(as.ExpMapSize(m), as.ExpIntVal(2)), expPass},
	})
}

func TestExpGoldenListGetByValue(t *testing.T) {
	l := as.ExpListBin("l")
	count := func(v string) *as.Expression {
		return as.ExpListGetByValue(as.ListReturnTypeCount, as.ExpStringVal(v), l)
	}
	runFilterCases(t, expRec("l", expListOf("red", "green", "red")), []expFilterCase{
		{"count(red) > 0", as.ExpGreater(count("red"), as.ExpIntVal(0)), expPass},
		{"count(red) == 2", as.ExpEq(count("red"), as.ExpIntVal(2)), expPass},
		{"count(blue) > 0", as.ExpGreater(count("blue"), as.ExpIntVal(0)), expFiltered},
		{"size(l) == 3", as.ExpEq(as.ExpListSize(l), as.ExpIntVal(3)), expPass},
	})
}

func TestExpGoldenKeyExists(t *testing.T) {
	withKey := expRec("a", int64(1))
	withKey.Key = "withkey"
	noKey := expRec("a", int64(1))
	runFilterCases(t, withKey, []expFilterCase{
		{"key exists (stored)", as.ExpKeyExists(), expPass},
		{"stored string key == withkey", as.ExpEq(as.ExpKey(as.ExpTypeSTRING), as.ExpStringVal("withkey")), expPass},
		{"stored key read as int", as.ExpEq(as.ExpKey(as.ExpTypeINT), as.ExpIntVal(1)), expFiltered},
	})
	runFilterCases(t, noKey, []expFilterCase{
		{"key exists (not stored)", as.ExpKeyExists(), expFiltered},
		{"key of keyless record", as.ExpEq(as.ExpKey(as.ExpTypeSTRING), as.ExpStringVal("withkey")), expFiltered},
	})
}

func TestExpGoldenRecordMetadata(t *testing.T) {
	rec := expRec("a", int64(1))
	runFilterCases(t, rec, []expFilterCase{
		{"last_update > 0", as.ExpGreater(as.ExpLastUpdate(), as.ExpIntVal(0)), expPass},
		{"since_update < 3600000 ms", as.ExpLess(as.ExpSinceUpdate(), as.ExpIntVal(3600000)), expPass},
		{"since_update >= 0", as.ExpGreaterEq(as.ExpSinceUpdate(), as.ExpIntVal(0)), expPass},
		{"since_update >= 1000 (written 2s ago)", as.ExpGreaterEq(as.ExpSinceUpdate(), as.ExpIntVal(1000)), expPass},
		{"set_name == this set", as.ExpEq(as.ExpSetName(), as.ExpStringVal("cf_exp")), expPass},
		{"set_name == other", as.ExpEq(as.ExpSetName(), as.ExpStringVal("other")), expFiltered},
		{"ttl == -1 (never expires)", as.ExpEq(as.ExpTTL(), as.ExpIntVal(-1)), expPass},
		{"void_time == -1", as.ExpEq(as.ExpVoidTime(), as.ExpIntVal(-1)), expPass},
		{"is_tombstone == false", as.ExpEq(as.ExpIsTombstone(), as.ExpBoolVal(false)), expPass},
		{"record_size > 0", as.ExpGreater(as.ExpRecordSize(), as.ExpIntVal(0)), expPass},
		{"device_size == 0 (in memory)", as.ExpEq(as.ExpDeviceSize(), as.ExpIntVal(0)), expPass},
	})
}

func TestExpGoldenTTLFilter(t *testing.T) {
	now := time.Now()
	rec := expRec("a", int64(1))
	rec.VoidTime = uint32(now.Unix() + 600 - store.CitrusleafEpoch)
	cases := []expFilterCase{
		{"get where 500 < ttl <= 600", as.ExpAnd(as.ExpGreater(as.ExpTTL(), as.ExpIntVal(500)), as.ExpLessEq(as.ExpTTL(), as.ExpIntVal(600))), expPass},
		{"get where void_time > 0", as.ExpGreater(as.ExpVoidTime(), as.ExpIntVal(0)), expPass},
		{"void_time is in ns", as.ExpGreater(as.ExpVoidTime(), as.ExpIntVal(now.UnixNano())), expPass},
	}
	runFilterCases(t, rec, cases)
}

func TestExpGoldenPutOperateDelete(t *testing.T) {
	// exp/put: n == 1 passes on {n:1}, fails on {n:2}.
	eq1 := as.ExpEq(as.ExpIntBin("n"), as.ExpIntVal(1))
	runFilterCases(t, expRec("n", int64(1)), []expFilterCase{{"put when n==1 (true)", eq1, expPass}})
	runFilterCases(t, expRec("n", int64(2)), []expFilterCase{{"put when n==1 (now false)", eq1, expFiltered}})
	// exp/operate.
	runFilterCases(t, expRec("n", int64(1)), []expFilterCase{
		{"add+get when n>0 (true)", as.ExpGreater(as.ExpIntBin("n"), as.ExpIntVal(0)), expPass},
	})
	runFilterCases(t, expRec("n", int64(11)), []expFilterCase{
		{"add+get when n<0 (false)", as.ExpLess(as.ExpIntBin("n"), as.ExpIntVal(0)), expFiltered},
	})
	// exp/delete_touch_exists.
	runFilterCases(t, expRec("n", int64(1)), []expFilterCase{
		{"delete (false)", as.ExpEq(as.ExpIntBin("n"), as.ExpIntVal(99)), expFiltered},
		{"delete (true)", eq1, expPass},
	})
	// batch/filter_expression and query/filter_expression.
	eq2 := as.ExpEq(as.ExpIntBin("n"), as.ExpIntVal(2))
	runFilterCases(t, expRec("n", int64(1)), []expFilterCase{{"batch k1, n == 2", eq2, expFiltered}})
	runFilterCases(t, expRec("n", int64(2)), []expFilterCase{{"batch k2, n == 2", eq2, expPass}})
	age := as.ExpGreater(as.ExpIntBin("age"), as.ExpIntVal(35))
	nobody := as.ExpEq(as.ExpStringBin("name"), as.ExpStringVal("nobody"))
	runFilterCases(t, expRec("name", "alice", "age", int64(40)), []expFilterCase{{"alice age > 35", age, expPass}, {"nobody", nobody, expFiltered}})
	runFilterCases(t, expRec("name", "bob", "age", int64(30)), []expFilterCase{{"bob age > 35", age, expFiltered}})
}

func TestExpGoldenArithmetic(t *testing.T) {
	a, b := as.ExpIntBin("a"), as.ExpIntBin("b")
	runFilterCases(t, expRec("a", int64(7), "b", int64(3)), []expFilterCase{
		{"a+b == 10", as.ExpEq(as.ExpNumAdd(a, b), as.ExpIntVal(10)), expPass},
		{"a*b == 21", as.ExpEq(as.ExpNumMul(a, b), as.ExpIntVal(21)), expPass},
		{"a/b == 2", as.ExpEq(as.ExpNumDiv(a, b), as.ExpIntVal(2)), expPass},
		{"a%b == 1", as.ExpEq(as.ExpNumMod(a, b), as.ExpIntVal(1)), expPass},
		{"a-b == 5", as.ExpEq(as.ExpNumSub(a, b), as.ExpIntVal(5)), expFiltered},
		{"a-b == 4", as.ExpEq(as.ExpNumSub(a, b), as.ExpIntVal(4)), expPass},
	})
}

func TestExpGoldenNonBooleanFilter(t *testing.T) {
	runFilterCases(t, expRec("a", int64(1)), []expFilterCase{
		{"filter = int bin a", as.ExpIntBin("a"), expParam},
		{"filter = int 1", as.ExpIntVal(1), expParam},
	})
}

func TestExpGoldenMissingRecord(t *testing.T) {
	// The command layer answers KEY_NOT_FOUND before filtering; the
	// expression itself still evaluates constants and treats bins as
	// unknown.
	for _, c := range []struct {
		exp  *as.Expression
		want string
	}{
		{as.ExpBoolVal(true), expPass},
		{as.ExpBoolVal(false), expFiltered},
		{as.ExpBinExists("a"), expFiltered},
	} {
		if got := filterOutcome(t, c.exp, nil, time.Now()); got != c.want {
			t.Errorf("nil record: got %s, want %s", got, c.want)
		}
	}
}

func TestExpGoldenReadWriteOps(t *testing.T) {
	sum := as.ExpNumAdd(as.ExpIntBin("a"), as.ExpIntBin("b"))
	rec := expRec("a", int64(7), "b", int64(3))
	check := func(name string, e *as.Expression, flags int, rec *store.Record, want any, wantOK bool) {
		t.Helper()
		payload := expOpWire(t, e, flags)
		parsed, gotFlags, rc := ParseOp(payload)
		if rc != wire.OK || gotFlags != flags {
			t.Fatalf("%s: ParseOp rc %d flags %d", name, rc, gotFlags)
		}
		v, ok, rc := Eval(parsed, Context{Rec: rec, Now: time.Now()})
		if rc != wire.OK || ok != wantOK || (ok && !value.Equal(v, want)) {
			t.Errorf("%s: got %v, %v, rc %d; want %v, %v", name, v, ok, rc, want, wantOK)
		}
	}
	check(`read a+b as "sum"`, sum, int(as.ExpReadFlagDefault), rec, int64(10), true)
	check("write c = a+b", sum, int(as.ExpWriteFlagDefault), rec, int64(10), true)
	srec := expRec("a", int64(7), "b", int64(3), "c", int64(10), "s", "x")
	// Unknown: the command layer answers OP_NOT_APPLICABLE, or nil with
	// EvalNoFail.
	check("read int value of string bin s", as.ExpIntBin("s"), int(as.ExpReadFlagDefault), srec, nil, false)
	check("same with EvalNoFail", as.ExpIntBin("s"), int(as.ExpReadFlagEvalNoFail), srec, nil, false)
	check("read int value of missing bin", as.ExpIntBin("nobin"), int(as.ExpReadFlagDefault), srec, nil, false)
	check("read string bin", as.ExpStringBin("s"), 0, srec, "x", true)
	check("read bool", as.ExpGreater(as.ExpIntBin("a"), as.ExpIntVal(1)), 0, srec, true, true)
	check("read nil", as.ExpNilValue(), 0, srec, nil, true)
}

// expOpWire packs [expression, flags] exactly like the client's
// encodeExpOperation: an array header, the packed expression, the flags.
func expOpWire(t *testing.T, e *as.Expression, flags int) []byte {
	t.Helper()
	out := []byte{0x92}
	out = append(out, expWire(t, e)...)
	return append(out, value.EncodeMsgpack(int64(flags))...)
}

// ---------------------------------------------------------------------------
// Beyond the golden scenarios.

func TestExpBuildTypeErrors(t *testing.T) {
	rec := expRec("a", int64(1), "s", "x")
	runFilterCases(t, rec, []expFilterCase{
		{"int bin == string", as.ExpEq(as.ExpIntBin("a"), as.ExpStringVal("1")), expParam},
		{"int == float", as.ExpEq(as.ExpIntVal(1), as.ExpFloatVal(1)), expParam},
		{"and of an int", as.ExpAnd(as.ExpIntVal(1), as.ExpBoolVal(true)), expParam},
		{"and of one arg", as.ExpAnd(as.ExpBoolVal(true)), expParam},
		{"not of an int", as.ExpNot(as.ExpIntVal(1)), expParam},
		{"add int + float", as.ExpEq(as.ExpNumAdd(as.ExpIntVal(1), as.ExpFloatVal(1)), as.ExpIntVal(2)), expParam},
		{"mod of floats", as.ExpEq(as.ExpNumMod(as.ExpFloatVal(1), as.ExpFloatVal(1)), as.ExpFloatVal(0)), expParam},
		{"bin name too long", as.ExpBinExists("abcdefghijklmnop"), expParam},
		{"digest modulo 0", as.ExpEq(as.ExpDigestModulo(0), as.ExpIntVal(0)), expParam},
		{"undefined var", as.ExpEq(as.ExpVar("x"), as.ExpIntVal(0)), expParam},
		{"geo compare (unsupported)", as.ExpGeoCompare(as.ExpGeoBin("g"), as.ExpGeoVal(`{"type":"Point","coordinates":[0,0]}`)), expParam},
		{"cond with mixed action types", as.ExpEq(as.ExpCond(as.ExpBoolVal(true), as.ExpIntVal(1), as.ExpStringVal("x")), as.ExpIntVal(1)), expParam},
	})
}

func TestExpMoreOperators(t *testing.T) {
	rec := expRec("a", int64(7), "b", int64(3), "f", 2.5, "s", "hello", "blob", []byte{1, 2}, "t", true)
	a, b, f := as.ExpIntBin("a"), as.ExpIntBin("b"), as.ExpFloatBin("f")
	i := as.ExpIntVal
	fl := as.ExpFloatVal
	runFilterCases(t, rec, []expFilterCase{
		{"exclusive one true", as.ExpExclusive(as.ExpBoolVal(true), as.ExpBoolVal(false)), expPass},
		{"exclusive two true", as.ExpExclusive(as.ExpBoolVal(true), as.ExpBoolVal(true)), expFiltered},
		{"exclusive unknown", as.ExpExclusive(as.ExpBoolVal(true), as.ExpEq(as.ExpIntBin("zz"), i(0))), expFiltered},
		{"and: false beats unknown", as.ExpNot(as.ExpAnd(as.ExpEq(as.ExpIntBin("zz"), i(0)), as.ExpBoolVal(false))), expPass},
		{"and: unknown beats true", as.ExpNot(as.ExpAnd(as.ExpEq(as.ExpIntBin("zz"), i(0)), as.ExpBoolVal(true))), expFiltered},
		{"float arithmetic", as.ExpEq(as.ExpNumMul(f, fl(2)), fl(5)), expPass},
		{"sub one arg negates", as.ExpEq(as.ExpNumSub(a), i(-7)), expPass},
		{"div one arg reciprocal", as.ExpEq(as.ExpNumDiv(fl(4)), fl(0.25)), expPass},
		{"div by zero is unknown", as.ExpNot(as.ExpEq(as.ExpNumDiv(a, i(0)), i(0))), expFiltered},
		{"mod by zero is unknown", as.ExpNot(as.ExpEq(as.ExpNumMod(a, i(0)), i(0))), expFiltered},
		{"pow", as.ExpEq(as.ExpNumPow(fl(2), fl(10)), fl(1024)), expPass},
		{"log", as.ExpEq(as.ExpNumLog(fl(8), fl(2)), fl(3)), expPass},
		{"abs", as.ExpEq(as.ExpNumAbs(i(-3)), b), expPass},
		{"floor", as.ExpEq(as.ExpNumFloor(f), fl(2)), expPass},
		{"ceil", as.ExpEq(as.ExpNumCeil(f), fl(3)), expPass},
		{"to_int", as.ExpEq(as.ExpToInt(f), i(2)), expPass},
		{"to_float", as.ExpEq(as.ExpToFloat(a), fl(7)), expPass},
		{"int and", as.ExpEq(as.ExpIntAnd(a, b), i(3)), expPass},
		{"int or", as.ExpEq(as.ExpIntOr(a, i(8)), i(15)), expPass},
		{"int xor", as.ExpEq(as.ExpIntXor(a, b), i(4)), expPass},
		{"int not", as.ExpEq(as.ExpIntNot(a), i(-8)), expPass},
		{"lshift", as.ExpEq(as.ExpIntLShift(a, i(2)), i(28)), expPass},
		{"rshift", as.ExpEq(as.ExpIntRShift(i(-1), i(60)), i(15)), expPass},
		{"arshift", as.ExpEq(as.ExpIntARShift(i(-16), i(2)), i(-4)), expPass},
		{"count", as.ExpEq(as.ExpIntCount(a), i(3)), expPass},
		{"lscan", as.ExpEq(as.ExpIntLScan(a, as.ExpBoolVal(true)), i(61)), expPass},
		{"rscan", as.ExpEq(as.ExpIntRScan(a, as.ExpBoolVal(true)), i(63)), expPass},
		{"rscan none", as.ExpEq(as.ExpIntRScan(i(-1), as.ExpBoolVal(false)), i(-1)), expPass},
		{"min", as.ExpEq(as.ExpMin(a, b, i(5)), i(3)), expPass},
		{"max", as.ExpEq(as.ExpMax(fl(1), f), f), expPass},
		{"blob compare", as.ExpEq(as.ExpBlobBin("blob"), as.ExpBlobVal([]byte{1, 2})), expPass},
		{"blob order", as.ExpLess(as.ExpBlobBin("blob"), as.ExpBlobVal([]byte{1, 3})), expPass},
		{"bin type int", as.ExpEq(as.ExpBinType("a"), i(1)), expPass},
		{"bin type string", as.ExpEq(as.ExpBinType("s"), i(3)), expPass},
		{"bin type bool", as.ExpEq(as.ExpBinType("t"), i(17)), expPass},
		{"bin type missing", as.ExpEq(as.ExpBinType("zz"), i(0)), expPass},
		{"nil == nil", as.ExpEq(as.ExpNilValue(), as.ExpNilValue()), expPass},
		{"nil < nil", as.ExpLess(as.ExpNilValue(), as.ExpNilValue()), expFiltered},
		{"unknown", as.ExpUnknown(), expFiltered},
		{"regex", as.ExpRegexCompare("^hel+o$", as.ExpRegexFlagEXTENDED, as.ExpStringBin("s")), expPass},
		{"regex icase", as.ExpRegexCompare("^HELLO", as.ExpRegexFlagICASE, as.ExpStringBin("s")), expPass},
		{"regex no match", as.ExpRegexCompare("^x", as.ExpRegexFlagNONE, as.ExpStringBin("s")), expFiltered},
		{"regex basic syntax refused", as.ExpRegexCompare("a+", as.ExpRegexFlagNONE, as.ExpStringBin("s")), expParam},
	})
}

func TestExpCondLetVar(t *testing.T) {
	rec := expRec("a", int64(7), "b", int64(3))
	a, b := as.ExpIntBin("a"), as.ExpIntBin("b")
	i := as.ExpIntVal
	runFilterCases(t, rec, []expFilterCase{
		{"cond first", as.ExpEq(as.ExpCond(as.ExpGreater(a, b), i(1), as.ExpLess(a, b), i(2), i(3)), i(1)), expPass},
		{"cond default", as.ExpEq(as.ExpCond(as.ExpLess(a, i(0)), i(1), i(3)), i(3)), expPass},
		{"cond unknown action", as.ExpEq(as.ExpCond(as.ExpLess(a, i(0)), as.ExpUnknown(), i(3)), i(3)), expPass},
		{"cond unknown chosen", as.ExpNot(as.ExpEq(as.ExpCond(as.ExpGreater(a, i(0)), as.ExpUnknown(), i(3)), i(3))), expFiltered},
		{"cond unknown condition", as.ExpEq(as.ExpCond(as.ExpEq(as.ExpIntBin("zz"), i(0)), i(1), i(1)), i(1)), expFiltered},
		{"let", as.ExpLet(as.ExpDef("x", as.ExpNumAdd(a, b)), as.ExpDef("y", as.ExpNumMul(as.ExpVar("x"), i(2))), as.ExpEq(as.ExpVar("y"), i(20))), expPass},
		{"nested let", as.ExpLet(as.ExpDef("x", a), as.ExpLet(as.ExpDef("y", b), as.ExpEq(as.ExpNumSub(as.ExpVar("x"), as.ExpVar("y")), i(4)))), expPass},
		{"let unknown var", as.ExpLet(as.ExpDef("x", as.ExpIntBin("zz")), as.ExpBoolVal(true)), expPass},
		{"let unknown var read", as.ExpLet(as.ExpDef("x", as.ExpIntBin("zz")), as.ExpEq(as.ExpVar("x"), i(0))), expFiltered},
		{"let duplicate name", as.ExpLet(as.ExpDef("x", a), as.ExpLet(as.ExpDef("x", b), as.ExpBoolVal(true))), expParam},
		{"let bad name", as.ExpLet(as.ExpDef("1x", a), as.ExpBoolVal(true)), expParam},
		{"var outside scope", as.ExpAnd(as.ExpLet(as.ExpDef("x", a), as.ExpBoolVal(true)), as.ExpEq(as.ExpVar("x"), i(7))), expParam},
	})
}

func TestExpDigestModulo(t *testing.T) {
	key, err := as.NewKey("test", "cf_exp", "k1")
	if err != nil {
		t.Fatal(err)
	}
	rec := expRec("a", int64(1))
	copy(rec.Digest[:], key.Digest())
	d := rec.Digest
	want := int64(uint32(d[16]) | uint32(d[17])<<8 | uint32(d[18])<<16 | uint32(d[19])<<24)
	runFilterCases(t, rec, []expFilterCase{
		{"digest % 3", as.ExpEq(as.ExpDigestModulo(3), as.ExpIntVal(want%3)), expPass},
		{"digest % 1000", as.ExpEq(as.ExpDigestModulo(1000), as.ExpIntVal(want%1000)), expPass},
	})
}

func TestExpCDTReads(t *testing.T) {
	rec := expRec(
		"l", expListOf(int64(5), int64(1), int64(3), int64(1)),
		"m", expMapOf("a", int64(30), "b", int64(10), "c", int64(20)),
		"nested", expMapOf("inner", expListOf(int64(1), int64(2)), "deep", expMapOf("x", int64(9))),
		"s", "str",
	)
	l, m := as.ExpListBin("l"), as.ExpMapBin("m")
	i := as.ExpIntVal
	list := func(vals ...any) *as.Expression { return as.ExpListValueVal(vals...) }
	runFilterCases(t, rec, []expFilterCase{
		{"list by index", as.ExpEq(as.ExpListGetByIndex(as.ListReturnTypeValue, as.ExpTypeINT, i(-1), l), i(1)), expPass},
		{"list by index out of range", as.ExpEq(as.ExpListGetByIndex(as.ListReturnTypeValue, as.ExpTypeINT, i(9), l), i(1)), expFiltered},
		{"list by rank 0", as.ExpEq(as.ExpListGetByRank(as.ListReturnTypeValue, as.ExpTypeINT, i(0), l), i(1)), expPass},
		{"list by rank -1", as.ExpEq(as.ExpListGetByRank(as.ListReturnTypeValue, as.ExpTypeINT, i(-1), l), i(5)), expPass},
		{"list by value index", as.ExpEq(as.ExpListGetByValue(as.ListReturnTypeIndex, i(1), l), list(1, 3)), expPass},
		{"list by value rank", as.ExpEq(as.ExpListGetByValue(as.ListReturnTypeRank, i(1), l), list(0, 1)), expPass},
		{"list by value values", as.ExpEq(as.ExpListGetByValue(as.ListReturnTypeValue, i(1), l), list(1, 1)), expPass},
		{"list by value inverted", as.ExpEq(as.ExpListGetByValue(as.ListReturnTypeValue|as.ListReturnTypeInverted, i(1), l), list(5, 3)), expPass},
		{"list by value exists", as.ExpListGetByValue(as.ListReturnTypeExists, i(3), l), expPass},
		{"list by value list", as.ExpEq(as.ExpListGetByValueList(as.ListReturnTypeCount, list(5, 3), l), i(2)), expPass},
		{"list wildcard value", as.ExpEq(as.ExpListGetByValue(as.ListReturnTypeCount, as.ExpWildCardValue(), l), i(4)), expPass},
		{"list op on map bin", as.ExpEq(as.ExpListSize(as.ExpListBin("m")), i(3)), expFiltered},
		{"list size of list constant", as.ExpEq(as.ExpListSize(list(1, 2)), i(2)), expPass},
		{"map by key count", as.ExpEq(as.ExpMapGetByKey(as.MapReturnType.COUNT, as.ExpTypeINT, as.ExpStringVal("a"), m), i(1)), expPass},
		{"map by key exists", as.ExpMapGetByKey(as.MapReturnType.EXISTS, as.ExpTypeBOOL, as.ExpStringVal("z"), m), expFiltered},
		{"map by key index", as.ExpEq(as.ExpMapGetByKey(as.MapReturnType.INDEX, as.ExpTypeINT, as.ExpStringVal("c"), m), i(2)), expPass},
		{"map by key rank", as.ExpEq(as.ExpMapGetByKey(as.MapReturnType.RANK, as.ExpTypeINT, as.ExpStringVal("a"), m), i(2)), expPass},
		{"map by index key", as.ExpEq(as.ExpMapGetByIndex(as.MapReturnType.KEY, as.ExpTypeSTRING, i(1), m), as.ExpStringVal("b")), expPass},
		{"map by rank key", as.ExpEq(as.ExpMapGetByRank(as.MapReturnType.KEY, as.ExpTypeSTRING, i(0), m), as.ExpStringVal("b")), expPass},
		{"map by value keys", as.ExpEq(as.ExpMapGetByValue(as.MapReturnType.KEY, i(20), m), list("c")), expPass},
		{"map by key list values", as.ExpEq(as.ExpMapGetByKeyList(as.MapReturnType.VALUE, list("a", "c", "zz"), m), list(30, 20)), expPass},
		{"map by value list count", as.ExpEq(as.ExpMapGetByValueList(as.MapReturnType.COUNT, list(10, 30), m), i(2)), expPass},
		{"map key-value of unordered map is unknown in compare", as.ExpEq(as.ExpMapGetByKeyList(as.MapReturnType.KEY_VALUE, list("a"), m), as.ExpMapVal(as.NewMapValue(map[any]any{"a": 30}))), expFiltered},
		{"map size", as.ExpEq(as.ExpMapSize(m), i(3)), expPass},
		{"wrong declared type", as.ExpEq(as.ExpMapGetByKey(as.MapReturnType.VALUE, as.ExpTypeSTRING, as.ExpStringVal("a"), m), as.ExpStringVal("30")), expFiltered},
		{"ctx map key then list size", as.ExpEq(as.ExpListSize(as.ExpMapBin("nested"), as.CtxMapKey(as.StringValue("inner"))), i(2)), expPass},
		{"ctx map key then map get", as.ExpEq(as.ExpMapGetByKey(as.MapReturnType.VALUE, as.ExpTypeINT, as.ExpStringVal("x"), as.ExpMapBin("nested"), as.CtxMapKey(as.StringValue("deep"))), i(9)), expPass},
		{"ctx missing key", as.ExpEq(as.ExpListSize(as.ExpMapBin("nested"), as.CtxMapKey(as.StringValue("nope"))), i(2)), expFiltered},
		{"ctx list index", as.ExpEq(as.ExpListGetByIndex(as.ListReturnTypeValue, as.ExpTypeINT, i(0), as.ExpMapBin("nested"), as.CtxMapKey(as.StringValue("inner"))), i(1)), expPass},
		{"dynamic index argument", as.ExpEq(as.ExpListGetByIndex(as.ListReturnTypeValue, as.ExpTypeINT, as.ExpNumSub(as.ExpListSize(l), i(1)), l), i(1)), expPass},
		{"list compare", as.ExpEq(l, list(5, 1, 3, 1)), expPass},
		{"list order", as.ExpLess(l, list(5, 2)), expPass},
		{"unordered map compare is unknown", as.ExpNot(as.ExpEq(m, as.ExpMapVal(as.NewMapValue(map[any]any{"a": 30, "b": 10, "c": 20})))), expFiltered},
		{"map bin of string bin", as.ExpEq(as.ExpMapSize(as.ExpMapBin("s")), i(1)), expFiltered},
		{"modify calls are unsupported", as.ExpEq(as.ExpListSize(as.ExpListAppend(as.DefaultListPolicy(), i(1), l)), i(5)), expParam},
	})
}

func TestExpContextsAndFloats(t *testing.T) {
	rec := expRec(
		"ll", expListOf(expListOf(int64(1), int64(2)), expListOf(int64(1))),
		"mm", expMapOf("a", expListOf(int64(1), int64(2), int64(3)), "b", expListOf(int64(1))),
		"f", 2.5,
	)
	i := as.ExpIntVal
	ll, mm := as.ExpListBin("ll"), as.ExpMapBin("mm")
	size := func(bin *as.Expression, ctx *as.CDTContext) *as.Expression { return as.ExpListSize(bin, ctx) }
	f := as.ExpFloatBin("f")
	runFilterCases(t, rec, []expFilterCase{
		{"ctx list index", as.ExpEq(size(ll, as.CtxListIndex(-1)), i(1)), expPass},
		{"ctx list rank", as.ExpEq(size(ll, as.CtxListRank(-1)), i(2)), expPass},
		{"ctx list value", as.ExpEq(size(ll, as.CtxListValue(as.NewListValue([]any{1}))), i(1)), expPass},
		{"ctx list index out of range", as.ExpEq(size(ll, as.CtxListIndex(5)), i(1)), expFiltered},
		{"ctx map index", as.ExpEq(size(mm, as.CtxMapIndex(0)), i(3)), expPass},
		{"ctx map rank", as.ExpEq(size(mm, as.CtxMapRank(0)), i(1)), expPass},
		{"ctx map value", as.ExpEq(size(mm, as.CtxMapValue(as.NewListValue([]any{1}))), i(1)), expPass},
		{"ctx on wrong type", as.ExpEq(as.ExpMapSize(ll, as.CtxMapKey(as.StringValue("a"))), i(1)), expFiltered},
		{"key-value not found is an empty map", as.ExpEq(as.ExpMapSize(as.ExpMapGetByKey(as.MapReturnType.KEY_VALUE, as.ExpTypeMAP, as.ExpStringVal("zz"), mm)), i(0)), expPass},
		{"count not found", as.ExpEq(as.ExpMapGetByKey(as.MapReturnType.COUNT, as.ExpTypeINT, as.ExpStringVal("zz"), mm), i(0)), expPass},
		{"reverse rank", as.ExpEq(as.ExpMapGetByKey(as.MapReturnType.REVERSE_RANK, as.ExpTypeINT, as.ExpStringVal("a"), mm), i(0)), expPass},
		{"reverse index", as.ExpEq(as.ExpMapGetByKey(as.MapReturnType.REVERSE_INDEX, as.ExpTypeINT, as.ExpStringVal("a"), mm), i(1)), expPass},
		{"float <=", as.ExpLessEq(f, as.ExpFloatVal(2.5)), expPass},
		{"float !=", as.ExpNotEq(f, as.ExpFloatVal(1)), expPass},
		{"float <", as.ExpLess(f, as.ExpFloatVal(2.5)), expFiltered},
		{"float >=", as.ExpGreaterEq(f, as.ExpFloatVal(3)), expFiltered},
		{"float == ", as.ExpEq(f, as.ExpFloatVal(2.5)), expPass},
		{"float sub/div", as.ExpEq(as.ExpNumDiv(as.ExpNumSub(f, as.ExpFloatVal(0.5)), as.ExpFloatVal(2)), as.ExpFloatVal(1)), expPass},
		{"float negate, min", as.ExpEq(as.ExpMin(as.ExpNumSub(f), f), as.ExpFloatVal(-2.5)), expPass},
		{"huge float to int", as.ExpEq(as.ExpToInt(as.ExpFloatVal(1e300)), i(math.MinInt64)), expPass},
	})
}

func TestExpKeyOrderedMapCompare(t *testing.T) {
	rec := expRec("m", &value.Map{Order: value.MapKeyOrdered, Entries: []value.MapEntry{{Key: "a", Value: int64(1)}}})
	e := as.ExpEq(as.ExpMapBin("m"), as.ExpMapBin("m"))
	runFilterCases(t, rec, []expFilterCase{{"ordered map equals itself", e, expPass}})
}

func TestExpReadOpValues(t *testing.T) {
	rec := expRec("l", expListOf(int64(1), int64(2)), "m", expMapOf("k", "v"))
	e, rc := Parse(expWire(t, as.ExpListBin("l")))
	if rc != wire.OK {
		t.Fatal(rc)
	}
	v, ok, _ := Eval(e, Context{Rec: rec, Now: time.Now()})
	got, isList := v.(*value.List)
	if !ok || !isList || !value.Equal(got, rec.Bins[0].Value) {
		t.Fatalf("list read: %v %v", v, ok)
	}
	// The result is a copy: modifying it leaves the record alone.
	got.Items[0] = int64(99)
	if rec.Bins[0].Value.(*value.List).Items[0] != int64(1) {
		t.Fatal("Eval result aliases the record")
	}
	e, _ = Parse(expWire(t, as.ExpMapGetByKey(as.MapReturnType.KEY_VALUE, as.ExpTypeMAP, as.ExpStringVal("k"), as.ExpMapBin("m"))))
	v, ok, _ = Eval(e, Context{Rec: rec, Now: time.Now()})
	if mv, isMap := v.(*value.Map); !ok || !isMap || len(mv.Entries) != 1 {
		t.Fatalf("key-value read: %v %v", v, ok)
	}
	e, _ = Parse(expWire(t, as.ExpFloatVal(math.Inf(1))))
	if v, ok, _ = Eval(e, Context{}); !ok || v != math.Inf(1) {
		t.Fatalf("float constant: %v", v)
	}
}

func TestExpMalformed(t *testing.T) {
	bad := [][]byte{
		nil,
		{},
		{0x90},             // empty array
		{0x91, 0x01},       // eq without args
		{0x93, 0x01, 0x01}, // truncated
		{0x92, 0xcc},       // truncated int
		{0x91, 0x7f},       // unknown op
		{0xc1},             // never-used msgpack byte
		{0xa1, 0x07},       // string of unknown particle type
		{0xd4, 0xff, 0x01}, // infinity as a top-level expression
		{0x01, 0x02},       // trailing bytes
		{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01},
	}
	// eq(1, 1) is a valid boolean filter.
	if _, rc := Parse([]byte{0x93, 0x01, 0x01, 0x01}); rc != wire.OK {
		t.Fatalf("eq(1,1): rc %d", rc)
	}
	for i, b := range bad {
		if _, rc := Parse(b); rc != wire.ParameterError {
			t.Errorf("case %d: rc %d, want parameter error", i, rc)
		}
	}
	deep := make([]byte, 0, 1000)
	for i := 0; i < 300; i++ {
		deep = append(deep, 0x92, expOpNot)
	}
	deep = append(deep, 0xc3)
	if _, rc := Parse(deep); rc != wire.ParameterError {
		t.Errorf("deep nesting: rc %d", rc)
	}
	if _, _, rc := ParseOp([]byte{0x93, 0xc3, 0x00, 0x00}); rc != wire.ParameterError {
		t.Errorf("exp op with 3 elements: rc %d", rc)
	}
}

// TestExpNoPanics feeds mutated and truncated encodings of many valid
// expressions through the parser and evaluator.
func TestExpNoPanics(t *testing.T) {
	rec := expRec("a", int64(1), "s", "x", "l", expListOf(int64(1)), "m", expMapOf("k", int64(1)))
	rec.Key = "k"
	seeds := []*as.Expression{
		as.ExpAnd(as.ExpEq(as.ExpIntBin("a"), as.ExpIntVal(1)), as.ExpBinExists("s")),
		as.ExpLet(as.ExpDef("x", as.ExpIntBin("a")), as.ExpCond(as.ExpEq(as.ExpVar("x"), as.ExpIntVal(1)), as.ExpBoolVal(true), as.ExpBoolVal(false))),
		as.ExpEq(as.ExpMapGetByKey(as.MapReturnType.VALUE, as.ExpTypeINT, as.ExpStringVal("k"), as.ExpMapBin("m"), as.CtxMapKey(as.StringValue("k"))), as.ExpIntVal(1)),
		as.ExpGreater(as.ExpListGetByValue(as.ListReturnTypeCount, as.ExpListValueVal(1, "x"), as.ExpListBin("l")), as.ExpIntVal(0)),
		as.ExpRegexCompare("^x", as.ExpRegexFlagEXTENDED, as.ExpStringBin("s")),
		as.ExpEq(as.ExpIntLShift(as.ExpIntBin("a"), as.ExpIntVal(-5)), as.ExpNumDiv(as.ExpIntVal(math.MinInt64), as.ExpIntVal(-1))),
		as.ExpEq(as.ExpKey(as.ExpTypeSTRING), as.ExpStringVal("k")),
	}
	rnd := rand.New(rand.NewSource(1))
	for _, s := range seeds {
		base := expWire(t, s)
		for n := 0; n <= len(base); n++ {
			expTry(base[:n], rec)
		}
		for k := 0; k < 3000; k++ {
			b := append([]byte(nil), base...)
			for j := rnd.Intn(3); j >= 0; j-- {
				b[rnd.Intn(len(b))] = byte(rnd.Intn(256))
			}
			expTry(b, rec)
		}
	}
}

func expTry(b []byte, rec *store.Record) {
	now := time.Now()
	if e, rc := Parse(b); rc == wire.OK {
		EvalFilter(e, Context{Rec: rec, Now: now})
		Eval(e, Context{Rec: rec, Now: now})
		Eval(e, Context{Now: now})
	}
	ParseOp(b)
}
