package aerolite_test

// Behaviour of the real server (Aerospike CE 8.1) recorded by the asconform
// fidelity scenarios (../shared/asconform/scenarios_fidelity.go): the order
// in which a write checks its ops, the record's existence, the generation
// and the filter; batches with RespondAllKeys=false; GetOp, TouchOp and
// DeleteOp mixed with other ops; UPDATE_ONLY|NO_FAIL|PARTIAL map puts.

import (
	"reflect"
	"testing"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

func fidExistsAction(a as.RecordExistsAction) *as.WritePolicy {
	wp := srvWP()
	wp.RecordExistsAction = a
	return wp
}

func fidGenWP(gen uint32) *as.WritePolicy {
	wp := srvWP()
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	wp.Generation = gen
	return wp
}

// fidWantCode fails the test unless err carries result code rc.
func fidWantCode(tb testing.TB, what string, err error, rc types.ResultCode) {
	tb.Helper()
	if !srvIsCode(err, rc) {
		tb.Errorf("%s: err %v, want %v", what, err, rc)
	}
}

// fidWantRecord fails the test unless key holds exactly bins at generation gen.
func fidWantRecord(tb testing.TB, c *as.Client, key *as.Key, bins as.BinMap, gen uint32) {
	tb.Helper()
	r := srvMustGet(tb, c, key)
	if !reflect.DeepEqual(r.Bins, bins) || r.Generation != gen {
		tb.Errorf("record %v: bins %v gen %d, want %v gen %d", key.Value(), r.Bins, r.Generation, bins, gen)
	}
}

func fidWantMissing(tb testing.TB, c *as.Client, key *as.Key) {
	tb.Helper()
	if ok, err := c.Exists(nil, key); err != nil || ok {
		tb.Errorf("Exists(%v) = %v, %v; want false", key.Value(), ok, err)
	}
}

func TestServerReplaceAllowsOnlyPlainWrites(t *testing.T) {
	_, c := srvSetup(t)
	k := srvKey(t, srvNS, "fid", "k1")
	srvMustPut(t, c, srvWP(), k, as.BinMap{"i": 1, "l": []any{1}})

	_, err := c.Operate(fidExistsAction(as.REPLACE), k, as.AddOp(as.NewBin("i", 2)))
	fidWantCode(t, "add with REPLACE", err, types.PARAMETER_ERROR)
	_, err = c.Operate(fidExistsAction(as.REPLACE_ONLY), k, as.ListAppendOp("l", 2))
	fidWantCode(t, "list append with REPLACE_ONLY", err, types.PARAMETER_ERROR)
	_, err = c.Operate(fidExistsAction(as.REPLACE_ONLY), k, as.MapPutItemsOp(as.DefaultMapPolicy(), "m", map[any]any{"a": 0}))
	fidWantCode(t, "map put with REPLACE_ONLY", err, types.PARAMETER_ERROR)
	_, err = c.Operate(fidExistsAction(as.REPLACE), k, as.PutOp(as.NewBin("i", 2)), as.DeleteOp())
	fidWantCode(t, "delete op with REPLACE", err, types.PARAMETER_ERROR)
	err = c.Put(fidExistsAction(as.REPLACE), k, as.BinMap{"i": 2, "x": nil})
	fidWantCode(t, "put with a bin delete and REPLACE", err, types.PARAMETER_ERROR)
	err = c.Touch(fidExistsAction(as.REPLACE_ONLY), k)
	fidWantCode(t, "touch with REPLACE_ONLY", err, types.PARAMETER_ERROR)

	// Checked before existence, generation and filter.
	_, err = c.Operate(fidExistsAction(as.REPLACE_ONLY), srvKey(t, srvNS, "fid", "missing"), as.AddOp(as.NewBin("i", 0)))
	fidWantCode(t, "add with REPLACE_ONLY on a missing record", err, types.PARAMETER_ERROR)
	wp := fidGenWP(7)
	wp.RecordExistsAction = as.REPLACE_ONLY
	err = c.Put(wp, srvKey(t, srvNS, "fid", "missing2"), as.BinMap{"i": nil})
	fidWantCode(t, "bin delete with REPLACE_ONLY, wrong generation, missing record", err, types.PARAMETER_ERROR)
	wp = fidExistsAction(as.REPLACE_ONLY)
	wp.FilterExpression = as.ExpGreaterEq(as.ExpIntBin("i"), as.ExpIntVal(3))
	_, err = c.Operate(wp, k, as.ListRemoveByValueOp("l", 0, as.ListReturnTypeNone))
	fidWantCode(t, "list remove with REPLACE_ONLY and a false filter", err, types.PARAMETER_ERROR)
	fidWantRecord(t, c, k, as.BinMap{"i": 1, "l": []any{1}}, 1)

	if err := c.Put(fidExistsAction(as.REPLACE), k, as.BinMap{"i": 9}); err != nil {
		t.Fatalf("plain put with REPLACE: %v", err)
	}
	fidWantRecord(t, c, k, as.BinMap{"i": 9}, 2)
}

func TestServerGenerationAndExistenceBeforeFilter(t *testing.T) {
	_, c := srvSetup(t)
	k := srvKey(t, srvNS, "fid", "k1")
	srvMustPut(t, c, srvWP(), k, as.BinMap{"j": 0})
	falseFilter := as.ExpGreaterEq(as.ExpIntBin("i"), as.ExpIntVal(2))

	wp := fidGenWP(0) // the record is at generation 1
	wp.FilterExpression = falseFilter
	fidWantCode(t, "put", c.Put(wp, k, as.BinMap{"x": 1}), types.GENERATION_ERROR)
	_, err := c.Operate(wp, k, as.PutOp(as.NewBin("x", 1)))
	fidWantCode(t, "operate", err, types.GENERATION_ERROR)
	_, err = c.Delete(wp, k)
	fidWantCode(t, "delete", err, types.GENERATION_ERROR)
	fidWantCode(t, "touch", c.Touch(wp, k), types.GENERATION_ERROR)

	co := fidExistsAction(as.CREATE_ONLY)
	co.FilterExpression = as.ExpLess(as.ExpIntBin("i"), as.ExpIntVal(1))
	fidWantCode(t, "CREATE_ONLY put", c.Put(co, k, as.BinMap{"x": 1}), types.KEY_EXISTS_ERROR)

	bw := as.NewBatchWritePolicy()
	bw.GenerationPolicy = as.EXPECT_GEN_EQUAL
	bw.Generation = 0
	bw.FilterExpression = falseFilter
	recs := []as.BatchRecordIfc{as.NewBatchWrite(bw, k, as.PutOp(as.NewBin("x", 1)))}
	_ = c.BatchOperate(nil, recs)
	if rc := recs[0].BatchRec().ResultCode; rc != types.GENERATION_ERROR {
		t.Errorf("batch write: result code %v, want GENERATION_ERROR", rc)
	}

	// With the right generation the filter decides.
	wp = fidGenWP(1)
	wp.FilterExpression = falseFilter
	fidWantCode(t, "put, right generation", c.Put(wp, k, as.BinMap{"x": 1}), types.FILTERED_OUT)
	fidWantRecord(t, c, k, as.BinMap{"j": 0}, 1)
}

func TestServerGenerationCheckOnMissingRecord(t *testing.T) {
	_, c := srvSetup(t)
	k := srvKey(t, srvNS, "fid", "absent")
	existed, err := c.Delete(fidGenWP(1), k)
	if existed || err != nil {
		t.Errorf("delete with generation 1 = %v, %v; want false, nil", existed, err)
	}
	fidWantCode(t, "touch with generation 1", c.Touch(fidGenWP(1), k), types.KEY_NOT_FOUND_ERROR)
	_, err = c.Operate(fidGenWP(1), k, as.TouchOp())
	fidWantCode(t, "operate touch with generation 1", err, types.KEY_NOT_FOUND_ERROR)

	// A batch delete checks the generation (0 for a missing record) first.
	bd := as.NewBatchDeletePolicy()
	bd.GenerationPolicy = as.EXPECT_GEN_EQUAL
	bd.Generation = 1
	recs := []as.BatchRecordIfc{as.NewBatchDelete(bd, k), as.NewBatchDelete(nil, k)}
	_ = c.BatchOperate(nil, recs)
	want := []types.ResultCode{types.GENERATION_ERROR, types.KEY_NOT_FOUND_ERROR}
	for i, r := range recs {
		if rc := r.BatchRec().ResultCode; rc != want[i] {
			t.Errorf("batch delete %d: result code %v, want %v", i, rc, want[i])
		}
	}
}

func TestServerBatchRespondAllKeysFalse(t *testing.T) {
	_, c := srvSetup(t)
	key := func(s string) *as.Key { return srvKey(t, srvNS, "fid", s) }
	srvMustPut(t, c, srvWP(), key("k1"), as.BinMap{"x": 1})
	srvMustPut(t, c, srvWP(), key("k0"), as.BinMap{"l": []any{}})
	co := as.NewBatchWritePolicy()
	co.RecordExistsAction = as.CREATE_ONLY
	batch := func(respondAll bool, recs ...as.BatchRecordIfc) error {
		bp := as.NewBatchPolicy()
		bp.RespondAllKeys = respondAll
		return c.BatchOperate(bp, recs)
	}
	codes := func(recs []as.BatchRecordIfc) []types.ResultCode {
		var out []types.ResultCode
		for _, r := range recs {
			out = append(out, r.BatchRec().ResultCode)
		}
		return out
	}
	check := func(what string, recs []as.BatchRecordIfc, want ...types.ResultCode) {
		t.Helper()
		if got := codes(recs); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: result codes %v, want %v", what, got, want)
		}
	}

	// The first record error other than not found fails the whole batch:
	// no record gets an answer, the call gets the error.
	recs := []as.BatchRecordIfc{
		as.NewBatchWrite(co, key("k1"), as.PutOp(as.NewBin("l", []any{"tx2"}))),
		as.NewBatchDelete(nil, key("k2")),
	}
	fidWantCode(t, "create-only write on an existing record", batch(false, recs...), types.KEY_EXISTS_ERROR)
	check("create-only write on an existing record", recs, types.NO_RESPONSE, types.NO_RESPONSE)

	recs = []as.BatchRecordIfc{
		as.NewBatchRead(nil, key("missing"), nil),
		as.NewBatchReadOps(nil, key("k0"), as.ListGetByIndexOp("l", 2, as.ListReturnTypeCount)),
	}
	fidWantCode(t, "inapplicable list op", batch(false, recs...), types.OP_NOT_APPLICABLE)
	check("missing read, then an inapplicable list op", recs, types.NO_RESPONSE, types.NO_RESPONSE)

	// Not found does not stop the batch.
	recs = []as.BatchRecordIfc{
		as.NewBatchRead(nil, key("missing"), nil),
		as.NewBatchWrite(nil, key("k3"), as.PutOp(as.NewBin("a", 1))),
	}
	if err := batch(false, recs...); err != nil {
		t.Errorf("missing read, then a write: %v", err)
	}
	check("missing read, then a write", recs, types.KEY_NOT_FOUND_ERROR, types.OK)
	fidWantRecord(t, c, key("k1"), as.BinMap{"x": 1}, 1)
	fidWantRecord(t, c, key("k3"), as.BinMap{"a": 1}, 1)

	// RespondAllKeys=true answers every key.
	recs = []as.BatchRecordIfc{
		as.NewBatchWrite(co, key("k1"), as.PutOp(as.NewBin("l", []any{"tx2"}))),
		as.NewBatchDelete(nil, key("k3")),
	}
	_ = batch(true, recs...)
	check("RespondAllKeys=true", recs, types.KEY_EXISTS_ERROR, types.OK)
}

func TestServerGetAllMixedWithOps(t *testing.T) {
	_, c := srvSetup(t)
	k := srvKey(t, srvNS, "fid", "k1")
	all := as.BinMap{"s": "a", "l": "not a list"}
	srvMustPut(t, c, srvWP(), k, all)

	// A read with GetOp answers all bins and ignores its other ops.
	for _, o := range []*as.Operation{as.ListSizeOp("l"), as.ListGetByValueOp("l", "tx1", as.ListReturnTypeIndex)} {
		r, err := c.Operate(srvWP(), k, o, as.GetOp())
		if err != nil || !reflect.DeepEqual(r.Bins, all) {
			t.Errorf("read-only list op + GetOp = %v, %v; want %v", r, err, all)
		}
	}
	recs := []as.BatchRecordIfc{as.NewBatchReadOps(nil, k, as.ListSizeOp("l"), as.GetOp())}
	if err := c.BatchOperate(nil, recs); err != nil {
		t.Errorf("batch read ops: %v", err)
	}
	if r := recs[0].BatchRec(); r.ResultCode != types.OK || r.Record == nil || !reflect.DeepEqual(r.Record.Bins, all) {
		t.Errorf("batch read ops list size + GetOp: %v %v", r.ResultCode, r.Record)
	}

	// A write may not mix GetOp with ops that produce result bins; this
	// is checked before the record's existence.
	_, err := c.Operate(srvWP(), k, as.PutOp(as.NewBin("i", 1)), as.GetOp(), as.GetBinOp("i"))
	fidWantCode(t, "write, GetOp, GetBinOp", err, types.PARAMETER_ERROR)
	_, err = c.Operate(fidExistsAction(as.CREATE_ONLY), k, as.GetOp(), as.ListAppendOp("l2", 1))
	fidWantCode(t, "GetOp, list append, CREATE_ONLY on an existing record", err, types.PARAMETER_ERROR)
	fidWantRecord(t, c, k, all, 1)

	// GetOp with plain writes reads the bins as they are at that point.
	r, err := c.Operate(srvWP(), k, as.GetOp(), as.PutOp(as.NewBin("i", 1)))
	if err != nil || !reflect.DeepEqual(r.Bins, all) {
		t.Errorf("GetOp + put = %v, %v; want %v", r, err, all)
	}
}

func TestServerDeleteOpThenWriteOnMissingRecord(t *testing.T) {
	_, c := srvSetup(t)
	key := func(s string) *as.Key { return srvKey(t, srvNS, "fid", s) }

	r, err := c.Operate(srvWP(), key("m1"), as.DeleteOp(), as.PutOp(as.NewBin("i", 5)))
	if err != nil || r.Generation != 1 {
		t.Errorf("DeleteOp + put on a missing record = %v, %v", r, err)
	}
	fidWantRecord(t, c, key("m1"), as.BinMap{"i": 5}, 1)

	mp := as.NewMapPolicyWithFlags(as.MapOrder.KEY_ORDERED, as.MapWriteFlagsUpdateOnly)
	_, err = c.Operate(srvWP(), key("m2"), as.DeleteOp(), as.MapPutItemsOp(mp, "m", map[any]any{"a": 1}))
	fidWantCode(t, "DeleteOp + update-only map put", err, types.FAIL_ELEMENT_NOT_FOUND)
	fidWantMissing(t, c, key("m2"))
	_, err = c.Operate(srvWP(), key("m2"), as.DeleteOp())
	fidWantCode(t, "DeleteOp alone", err, types.KEY_NOT_FOUND_ERROR)

	recs := []as.BatchRecordIfc{as.NewBatchWrite(nil, key("m3"), as.DeleteOp(), as.PutOp(as.NewBin("i", 5)))}
	if err := c.BatchOperate(nil, recs); err != nil {
		t.Errorf("batch DeleteOp + put: %v", err)
	}
	br := recs[0].BatchRec()
	if br.ResultCode != types.OK || br.Record == nil || !reflect.DeepEqual(br.Record.Bins, as.BinMap{"": nil, "i": nil}) || br.Record.Generation != 1 {
		t.Errorf("batch DeleteOp + put: %v %v", br.ResultCode, br.Record)
	}
	fidWantRecord(t, c, key("m3"), as.BinMap{"i": 5}, 1)
}

func TestServerMapPutItemsUpdateOnlyPartialEmptyMap(t *testing.T) {
	_, c := srvSetup(t)
	k := srvKey(t, srvNS, "fid", "k1")
	srvMustPut(t, c, srvWP(), k, as.BinMap{"x": 1})
	flags := as.MapWriteFlagsUpdateOnly | as.MapWriteFlagsNoFail | as.MapWriteFlagsPartial

	// Into an empty key-ordered map the server writes the items anyway.
	mp := as.NewMapPolicyWithFlags(as.MapOrder.KEY_ORDERED, flags)
	r, err := c.Operate(srvWP(), k, as.MapPutItemsOp(mp, "m", map[any]any{"b": "tx2"}))
	if err != nil || r.Bins["m"] != 1 {
		t.Errorf("update-only partial put, bin missing = %v, %v; want m=1", r, err)
	}
	cmp := as.NewMapPolicyWithFlags(as.MapOrder.KEY_ORDERED, as.MapWriteFlagsCreateOnly)
	_, err = c.Operate(srvWP(), k, as.MapPutItemsOp(cmp, "m", map[any]any{"b": 1}))
	fidWantCode(t, "create-only put of the same key", err, types.FAIL_ELEMENT_EXISTS)
	// It still skips missing keys in a map that has entries.
	r, err = c.Operate(srvWP(), k, as.MapPutItemsOp(mp, "m", map[any]any{"b": "tx3", "c": 1}))
	if err != nil || r.Bins["m"] != 1 {
		t.Errorf("update-only partial put, map not empty = %v, %v; want m=1", r, err)
	}

	// Without PARTIAL, or into an unordered map, nothing is written, but
	// the empty map is created.
	mp2 := as.NewMapPolicyWithFlags(as.MapOrder.KEY_ORDERED, as.MapWriteFlagsUpdateOnly|as.MapWriteFlagsNoFail)
	r, err = c.Operate(srvWP(), k, as.MapPutItemsOp(mp2, "m2", map[any]any{"b": "tx2"}))
	if err != nil || r.Bins["m2"] != 0 {
		t.Errorf("update-only put without partial = %v, %v; want m2=0", r, err)
	}
	mp3 := as.NewMapPolicyWithFlags(as.MapOrder.UNORDERED, flags)
	r, err = c.Operate(srvWP(), k, as.MapPutItemsOp(mp3, "m3", map[any]any{"b": "tx2"}))
	if err != nil || r.Bins["m3"] != 0 {
		t.Errorf("update-only partial put into an unordered map = %v, %v; want m3=0", r, err)
	}
	got := srvMustGet(t, c, k)
	if pairs, ok := got.Bins["m"].([]as.MapPair); !ok || len(pairs) != 1 || pairs[0].Key != "b" || pairs[0].Value != "tx3" {
		t.Errorf("bin m = %#v, want [b:tx3]", got.Bins["m"])
	}
	if pairs, ok := got.Bins["m2"].([]as.MapPair); !ok || len(pairs) != 0 {
		t.Errorf("bin m2 = %#v, want an empty key-ordered map", got.Bins["m2"])
	}
	if m, ok := got.Bins["m3"].(map[any]any); !ok || len(m) != 0 {
		t.Errorf("bin m3 = %#v, want an empty map", got.Bins["m3"])
	}
}

func TestServerTouchOpOnMissingRecord(t *testing.T) {
	_, c := srvSetup(t)
	k := srvKey(t, srvNS, "fid", "absent")
	mp := as.NewMapPolicyWithFlags(as.MapOrder.KEY_ORDERED, as.MapWriteFlagsUpdateOnly)
	_, err := c.Operate(srvWP(), k, as.MapPutItemsOp(mp, "m", map[any]any{"a": 1}), as.TouchOp())
	fidWantCode(t, "update-only map put, touch", err, types.KEY_NOT_FOUND_ERROR)
	wp := srvWP()
	wp.FilterExpression = as.ExpBinExists("i")
	_, err = c.Operate(wp, k, as.ListAppendOp("l", 0), as.ListGetByIndexOp("l", 2, as.ListReturnTypeValue), as.TouchOp())
	fidWantCode(t, "list append, list get, touch, filter", err, types.KEY_NOT_FOUND_ERROR)
	_, err = c.Operate(srvWP(), k, as.PutOp(as.NewBin("i", 1)), as.TouchOp())
	fidWantCode(t, "put, touch", err, types.KEY_NOT_FOUND_ERROR)
	fidWantMissing(t, c, k)
}

func TestServerBatchWriteTouchHasNoResultBin(t *testing.T) {
	_, c := srvSetup(t)
	k := srvKey(t, srvNS, "fid", "k1")
	srvMustPut(t, c, srvWP(), k, as.BinMap{"i": 1})
	recs := []as.BatchRecordIfc{as.NewBatchWrite(nil, k, as.GetBinOp("j"), as.TouchOp(), as.TouchOp())}
	if err := c.BatchOperate(nil, recs); err != nil {
		t.Fatalf("BatchOperate: %v", err)
	}
	br := recs[0].BatchRec()
	if br.ResultCode != types.OK || br.Record == nil || !reflect.DeepEqual(br.Record.Bins, as.BinMap{"j": nil}) || br.Record.Generation != 2 {
		t.Errorf("batch write get missing bin, touch, touch: %v %v", br.ResultCode, br.Record)
	}
}
