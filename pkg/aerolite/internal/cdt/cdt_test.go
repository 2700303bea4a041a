package cdt

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// The tests drive Apply with payloads packed the way
// aerospike-client-go v7 packs them (cdt.go, cdt_list.go, cdt_map.go of the
// client): without a context a 2-byte big-endian opcode followed by the
// msgpack array of arguments; with one [0xff, [ctx...], [opcode, args...]].
// Expectations are written in asconform's normalised JSON, so golden.json
// steps can be pasted as they are.

// pl packs an op without context.
func ctPL(code int, args ...any) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(code))
	if len(args) > 0 {
		b = append(b, value.EncodeMsgpack(&value.List{Items: cdtTestVals(args)})...)
	}
	return b
}

// plc packs an op with a context (pairs of type, value).
func ctPLC(ctx []any, code int, args ...any) []byte {
	inner := append([]any{int64(code)}, cdtTestVals(args)...)
	return value.EncodeMsgpack(&value.List{Items: []any{int64(0xff), &value.List{Items: cdtTestVals(ctx)}, &value.List{Items: inner}}})
}

func cdtTestVals(xs []any) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = cdtTestVal(x)
	}
	return out
}

// cdtTestVal turns Go literals into model values: ints become int64.
func cdtTestVal(x any) any {
	switch v := x.(type) {
	case int:
		return int64(v)
	case *value.List:
		return &value.List{Ordered: v.Ordered, Items: cdtTestVals(v.Items)}
	case *value.Map:
		m := &value.Map{Order: v.Order}
		for _, e := range v.Entries {
			m.Put(cdtTestVal(e.Key), cdtTestVal(e.Value))
		}
		return m
	}
	return x
}

// L builds a list, M a map from key, value pairs (as a client would send
// them: unordered unless Order is set afterwards).
func ctL(items ...any) *value.List { return &value.List{Items: cdtTestVals(items)} }

func ctM(kv ...any) *value.Map {
	m := &value.Map{}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Put(cdtTestVal(kv[i]), cdtTestVal(kv[i+1]))
	}
	return m
}

func ctWithOrder(m *value.Map, order int) *value.Map { m.Order = order; return m }

// norm renders a value the way asconform normalises what the client decoded:
// ordered maps (any map flag) come back as pairs, unordered ones as Go maps.
func ctNorm(v any) string {
	var b strings.Builder
	ctNormTo(&b, v)
	return b.String()
}

func ctNormTo(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(`{"float":` + strconv.FormatFloat(x, 'g', -1, 64) + `}`)
	case string:
		b.WriteString(strconv.Quote(x))
	case []byte:
		b.WriteString(`{"bytes":"` + base64.StdEncoding.EncodeToString(x) + `"}`)
	case *value.List:
		b.WriteString("[")
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(",")
			}
			ctNormTo(b, it)
		}
		b.WriteString("]")
	case *value.Map:
		entries := x.Entries
		if x.Order == value.MapUnordered {
			entries = append([]value.MapEntry(nil), entries...)
			sort.SliceStable(entries, func(i, j int) bool { return value.Compare(entries[i].Key, entries[j].Key) < 0 })
			b.WriteString(`{"map":[`)
		} else {
			b.WriteString(`{"orderedMap":[`)
		}
		for i, e := range entries {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("[")
			ctNormTo(b, e.Key)
			b.WriteString(",")
			ctNormTo(b, e.Value)
			b.WriteString("]")
		}
		b.WriteString("]}")
	default:
		b.WriteString("?")
	}
}

// Client op builders (names follow aerospike-client-go).
const (
	ctRtNone, ctRtIndex, ctRtRevIndex, ctRtRank, ctRtRevRank, ctRtCount = 0, 1, 2, 3, 4, 5
	ctRtKey, ctRtValue, ctRtKV, ctRtExists, ctRtInv                     = 6, 7, 8, 13, 0x10000
)

func ctListAppendOp(vals ...any) []byte {
	if len(vals) == 1 {
		return ctPL(1, vals[0])
	}
	return ctPL(2, ctL(vals...))
}

func ctListAppendPolicyOp(order, flags int, vals ...any) []byte {
	if len(vals) == 1 {
		return ctPL(1, vals[0], order, flags)
	}
	return ctPL(2, ctL(vals...), order, flags)
}

func ctMapPutOp(k, v any) []byte { return ctPL(67, k, v, 0) } // DefaultMapPolicy
func ctMapPutFlagsOp(order, flags int, k, v any) []byte {
	if flags != 0 {
		return ctPL(67, k, v, order, flags)
	}
	return ctPL(67, k, v, order)
}

func ctMapPutItemsOp(order, flags int, m *value.Map) []byte {
	if flags != 0 {
		return ctPL(68, m, order, flags)
	}
	return ctPL(68, m, order)
}

// cdtStep is one operation on the bin, with what it must produce.
type cdtStep struct {
	name   string
	modify bool
	pl     []byte
	want   string          // normalised result; "-" for no result
	rc     wire.ResultCode // expected result code
	bin    string          // normalised bin afterwards if set; "missing" for no bin
}

func ctR(name string, p []byte, want string) cdtStep { return cdtStep{name: name, pl: p, want: want} }
func ctW(name string, p []byte, want string) cdtStep {
	return cdtStep{name: name, modify: true, pl: p, want: want}
}
func ctRE(name string, p []byte, rc wire.ResultCode) cdtStep {
	return cdtStep{name: name, pl: p, rc: rc}
}
func ctWE(name string, p []byte, rc wire.ResultCode) cdtStep {
	return cdtStep{name: name, modify: true, pl: p, rc: rc}
}
func (s cdtStep) then(bin string) cdtStep { s.bin = bin; return s }

type cdtScenario struct {
	name  string
	bin   any // initial bin value; nil for a missing bin
	steps []cdtStep
}

func runCDTScenarios(t *testing.T, scenarios []cdtScenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			cur, exists := cdtTestVal(sc.bin), sc.bin != nil
			for _, st := range sc.steps {
				var before []byte
				if exists {
					before = value.EncodeMsgpack(cur)
				}
				res, has, nv, changed, rc := Apply(st.modify, st.pl, cur, exists)
				if exists && !bytes.Equal(before, value.EncodeMsgpack(cur)) {
					t.Fatalf("%s: the current value was mutated", st.name)
				}
				if rc != st.rc {
					t.Fatalf("%s: rc %d, want %d", st.name, rc, st.rc)
				}
				if rc == wire.OK {
					got := "-"
					if has {
						got = ctNorm(res)
					}
					if got != st.want {
						t.Errorf("%s: result %s, want %s", st.name, got, st.want)
					}
				}
				if changed {
					cur, exists = nv, nv != nil
				}
				if st.bin != "" {
					got := "missing"
					if exists {
						got = ctNorm(cur)
					}
					if got != st.bin {
						t.Errorf("%s: bin %s, want %s", st.name, got, st.bin)
					}
				}
			}
		})
	}
}

// TestCDTGoldenList mirrors asconform's list/* scenarios (golden.json).
func TestCDTGoldenList(t *testing.T) {
	runCDTScenarios(t, []cdtScenario{
		{"append", nil, []cdtStep{
			ctW("append 1 (creates bin)", ctListAppendOp(1), "1"),
			ctW("append 2,3,4", ctListAppendOp(2, 3, 4), "4"),
			ctW("append a list value as one item", ctListAppendOp(ctL(5, 6)), "5").then(`[1,2,3,4,[5,6]]`),
		}},
		{"append_on_missing_record", nil, []cdtStep{
			ctW("append", ctListAppendOp("a"), "1").then(`["a"]`),
		}},
		{"append_add_unique", ctL(1, 2), []cdtStep{
			ctW("add_unique new value 3", ctListAppendPolicyOp(0, 1, 3), "3"),
			ctWE("add_unique duplicate 2", ctListAppendPolicyOp(0, 1, 2), wire.ElementExists),
			ctW("add_unique|nofail duplicate 2", ctListAppendPolicyOp(0, 5, 2), "3"),
			ctW("add_unique|nofail [2,4]", ctListAppendPolicyOp(0, 5, 2, 4), "3"),
			ctW("add_unique|nofail|partial [2,5]", ctListAppendPolicyOp(0, 13, 2, 5), "4").then(`[1,2,3,5]`),
		}},
		{"remove_by_value", ctL(1, 2, 1, 3, 1, 2, 4, 4), []cdtStep{
			ctW("remove 1 COUNT", ctPL(35, ctRtCount, 1), "3"),
			ctW("remove 2 VALUE", ctPL(35, ctRtValue, 2), "[2,2]"),
			ctW("remove 4 INDEX", ctPL(35, ctRtIndex, 4), "[1,2]"),
			ctW("remove 3 NONE", ctPL(35, ctRtNone, 3), "-"),
			ctW("remove absent 9 COUNT", ctPL(35, ctRtCount, 9), "0"),
			ctW("remove absent 9 VALUE", ctPL(35, ctRtValue, 9), "[]"),
			ctW("remove absent 9 NONE", ctPL(35, ctRtNone, 9), "-").then(`[]`),
		}},
		{"remove_by_value_list", ctL("a", "b", "a", "c", "d"), []cdtStep{
			ctW("remove [a,zz,c] COUNT", ctPL(36, ctRtCount, ctL("a", "zz", "c")), "3"),
			ctW("remove [d] VALUE", ctPL(36, ctRtValue, ctL("d")), `["d"]`),
			ctW("remove [zz] VALUE", ctPL(36, ctRtValue, ctL("zz")), "[]").then(`["b"]`),
		}},
		{"get_by_value", ctL(5, 1, 5, 3), []cdtStep{
			ctR("5 VALUE", ctPL(22, ctRtValue, 5), "[5,5]"),
			ctR("5 COUNT", ctPL(22, ctRtCount, 5), "2"),
			ctR("5 INDEX", ctPL(22, ctRtIndex, 5), "[0,2]"),
			ctR("5 RANK", ctPL(22, ctRtRank, 5), "[2,3]"),
			ctR("5 EXISTS", ctPL(22, ctRtExists, 5), "true"),
			ctR("7 VALUE", ctPL(22, ctRtValue, 7), "[]"),
			ctR("7 COUNT", ctPL(22, ctRtCount, 7), "0"),
			ctR("7 EXISTS", ctPL(22, ctRtExists, 7), "false"),
			ctR("5 VALUE|INVERTED", ctPL(22, ctRtValue|ctRtInv, 5), "[1,3]"),
		}},
		{"size_and_clear", ctL(1, 2, 3), []cdtStep{
			ctR("size", ctPL(16), "3"),
			ctW("clear", ctPL(11), "-"),
			ctR("size after clear", ctPL(16), "0").then(`[]`),
		}},
		{"get_by_index", ctL("a", "b", "c"), []cdtStep{
			ctR("get by index 0 VALUE", ctPL(19, ctRtValue, 0), `"a"`),
			ctR("get by index -1 VALUE", ctPL(19, ctRtValue, -1), `"c"`),
			ctR("get by index 1 INDEX", ctPL(19, ctRtIndex, 1), "1"),
			ctRE("get by index 5 VALUE (out of range)", ctPL(19, ctRtValue, 5), wire.OpNotApplicable),
			ctR("ListGetOp 1", ctPL(17, 1), `"b"`),
			ctRE("ListGetOp 5 (out of range)", ctPL(17, 5), wire.OpNotApplicable),
			ctR("ListGetRangeOp 1,5", ctPL(18, 1, 5), `["b","c"]`),
			ctR("get by index range 1.. VALUE", ctPL(24, ctRtValue, 1), `["b","c"]`),
		}},
		{"pop", ctL("a", "b", "c"), []cdtStep{
			ctW("pop 0", ctPL(5, 0), `"a"`),
			ctW("pop -1", ctPL(5, -1), `"c"`),
			ctWE("pop 5 (out of range)", ctPL(5, 5), wire.OpNotApplicable),
			ctW("pop 0 (last item)", ctPL(5, 0), `"b"`),
			ctWE("pop 0 on empty list", ctPL(5, 0), wire.OpNotApplicable).then(`[]`),
		}},
		{"missing_bin", nil, []cdtStep{
			ctR("size", ctPL(16), "-"),
			ctR("get by index 0", ctPL(19, ctRtValue, 0), "-"),
			ctR("get by value COUNT", ctPL(22, ctRtCount, 1), "-"),
			ctW("remove by value COUNT", ctPL(35, ctRtCount, 1), "-"),
			ctW("pop 0", ctPL(5, 0), "-"),
			ctW("clear", ctPL(11), "-").then("missing"),
		}},
		{"wrong_bin_type_int", 1, []cdtStep{ctWE("append to int bin", ctListAppendOp(1), wire.BinTypeError)}},
		{"wrong_bin_type_string", "str", []cdtStep{ctRE("size of string bin", ctPL(16), wire.BinTypeError)}},
		{"wrong_bin_type_map", ctM("a", 1), []cdtStep{ctRE("get by index on map bin", ctPL(19, ctRtValue, 0), wire.BinTypeError)}},
		{"insert_set_increment", ctL(1, 2, 3), []cdtStep{
			ctW("insert at 1", ctPL(3, 1, "x"), "4"),
			ctW("insert at 6 (past end: pads with nil)", ctPL(3, 6, "y"), "7"),
			ctW("set index 0", ctPL(9, 0, 100), "-"),
			ctW("increment index 0 by 5", ctPL(12, 0, 5), "105"),
			ctWE("increment string item", ctPL(12, 1, 5), wire.ParameterError).then(`[105,"x",2,3,null,null,"y"]`),
		}},
		{"ordered", nil, []cdtStep{
			ctW("append 5,1,3 ordered", ctListAppendPolicyOp(1, 0, 5, 1, 3), "3"),
			ctW("append 2 ordered", ctListAppendPolicyOp(1, 0, 2), "4").then(`[1,2,3,5]`),
			ctR("get by rank -1 VALUE", ctPL(21, ctRtValue, -1), "5"),
			ctR("get by value range [2,4) VALUE", ctPL(25, ctRtValue, 2, 4), "[2,3]"),
		}},
		{"sort_and_remove_range", ctL(3, 1, 2, 3, "b", "a"), []cdtStep{
			ctW("sort drop duplicates", ctPL(13, 2), "-").then(`[1,2,3,"a","b"]`),
			ctW("remove range 1,2", ctPL(8, 1, 2), "2").then(`[1,"a","b"]`),
		}},
		{"nested_context", ctL(ctL(1, 2), ctL(3)), []cdtStep{
			ctW("append 9 to l[1]", ctPLC([]any{0x10, 1}, 1, 9, 0, 0), "2"),
			ctR("size of l[0]", ctPLC([]any{0x10, 0}, 16), "2"),
			ctRE("size of l[5] (missing)", ctPLC([]any{0x10, 5}, 16), wire.OpNotApplicable).then(`[[1,2],[3,9]]`),
		}},
		// operate/respond_per_each_op_*: the list ops' results.
		{"respond_per_each_op", nil, []cdtStep{
			ctW("append 1,2", ctListAppendOp(1, 2), "2"),
			ctW("clear", ctPL(11), "-"),
			ctW("append 3", ctListAppendOp(3), "1"),
			ctR("size", ctPL(16), "1").then("[3]"),
		}},
		{"getop_with_cdt_modify", ctL(1), []cdtStep{
			ctW("list append", ctListAppendOp(2), "2").then("[1,2]"),
		}},
	})
}

// TestCDTGoldenMap mirrors asconform's map/* scenarios (golden.json).
func TestCDTGoldenMap(t *testing.T) {
	keys := []struct {
		name string
		rt   int
		b, z string
	}{
		{"NONE", ctRtNone, "-", "-"}, {"INDEX", ctRtIndex, "1", "-1"}, {"REVERSE_INDEX", ctRtRevIndex, "1", "-1"},
		{"RANK", ctRtRank, "1", "-1"}, {"REVERSE_RANK", ctRtRevRank, "1", "-1"}, {"COUNT", ctRtCount, "1", "0"},
		{"KEY", ctRtKey, `"b"`, "-"}, {"VALUE", ctRtValue, "2", "-"},
		{"KEY_VALUE", ctRtKV, `{"orderedMap":[["b",2]]}`, `{"orderedMap":[]}`}, {"EXISTS", ctRtExists, "true", "false"},
	}
	var byKey []cdtStep
	for _, k := range keys {
		byKey = append(byKey, ctR("present key b, "+k.name, ctPL(97, k.rt, "b"), k.b))
	}
	for _, k := range keys {
		byKey = append(byKey, ctR("absent key z, "+k.name, ctPL(97, k.rt, "z"), k.z))
	}
	runCDTScenarios(t, []cdtScenario{
		{"put_default", nil, []cdtStep{
			ctW("put a=1", ctMapPutOp("a", 1), "1"),
			ctW("put b=2", ctMapPutOp("b", 2), "2"),
			ctW("put a=10 (overwrite)", ctMapPutOp("a", 10), "2"),
			ctW("put int key 5", ctMapPutOp(5, "five"), "3").then(`{"map":[[5,"five"],["a",10],["b",2]]}`),
		}},
		{"put_create_only", ctM("a", 1), []cdtStep{
			ctWE("create_only existing key", ctMapPutFlagsOp(0, 1, "a", 2), wire.ElementExists),
			ctW("create_only new key", ctMapPutFlagsOp(0, 1, "b", 2), "2"),
			ctW("create_only|nofail existing key", ctMapPutFlagsOp(0, 5, "a", 3), "2").then(`{"map":[["a",1],["b",2]]}`),
		}},
		{"put_update_only", ctM("a", 1), []cdtStep{
			ctWE("update_only missing key", ctMapPutFlagsOp(0, 2, "zz", 2), wire.ElementNotFound),
			ctW("update_only existing key", ctMapPutFlagsOp(0, 2, "a", 5), "1"),
			ctW("update_only|nofail missing key", ctMapPutFlagsOp(0, 6, "zz", 2), "1").then(`{"map":[["a",5]]}`),
		}},
		{"put_update_only_missing_bin", nil, []cdtStep{
			ctWE("update_only on missing bin", ctMapPutFlagsOp(0, 2, "a", 1), wire.ElementNotFound).then("missing"),
		}},
		{"key_ordered", nil, []cdtStep{
			ctW("put items", ctMapPutItemsOp(1, 0, ctM("c", 3, "a", 1, "b", 2)), "3"),
			ctW("put d", ctMapPutFlagsOp(1, 0, "0", 0), "4").then(`{"orderedMap":[["0",0],["a",1],["b",2],["c",3]]}`),
			ctR("get by index 0 (KEY_VALUE)", ctPL(98, ctRtKV, 0), `{"orderedMap":[["0",0]]}`),
			ctR("get by index range 1..2 (KEY)", ctPL(104, ctRtKey, 1, 2), `["a","b"]`),
			ctR("get by key range [a,c) (KEY_VALUE)", ctPL(103, ctRtKV, "a", "c"), `{"orderedMap":[["a",1],["b",2]]}`),
		}},
		{"key_value_ordered", nil, []cdtStep{
			ctW("put items", ctMapPutItemsOp(3, 0, ctM("x", 30, "y", 10, "z", 20)), "3").then(`{"orderedMap":[["x",30],["y",10],["z",20]]}`),
			ctR("get by rank 0 (KEY)", ctPL(100, ctRtKey, 0), `"y"`),
			ctR("get by rank -1 (VALUE)", ctPL(100, ctRtValue, -1), "30"),
			ctR("get by value range [10,25) (KEY)", ctPL(105, ctRtKey, 10, 25), `["y","z"]`),
		}},
		{"unordered_index_ops", ctM("c", 3, "a", 1, "b", 2), []cdtStep{
			ctR("get by index 0 (KEY_VALUE)", ctPL(98, ctRtKV, 0), `{"orderedMap":[["a",1]]}`),
			ctR("get by index -1 (KEY)", ctPL(98, ctRtKey, -1), `"c"`),
			ctR("get by rank 0 (KEY)", ctPL(100, ctRtKey, 0), `"a"`),
			ctR("get by index range 0.. (KEY_VALUE)", ctPL(104, ctRtKV, 0), `{"orderedMap":[["a",1],["b",2],["c",3]]}`),
		}},
		{"put_items", ctM("a", 1), []cdtStep{
			ctW("put items b,c,a", ctMapPutItemsOp(0, 0, ctM("b", 2, "c", 3, "a", 100)), "3"),
			ctWE("put items create_only with one existing", ctMapPutItemsOp(0, 1, ctM("d", 4, "a", 5)), wire.ElementExists),
			ctW("put items create_only|nofail|partial", ctMapPutItemsOp(0, 13, ctM("d", 4, "a", 5)), "4").
				then(`{"map":[["a",100],["b",2],["c",3],["d",4]]}`),
		}},
		{"get_by_key_return_types", ctM("a", 1, "b", 2, "c", 3), byKey},
		{"get_by_key_list", ctM("a", 1, "b", 2, "c", 3), []cdtStep{
			ctR("VALUE", ctPL(107, ctRtValue, ctL("c", "zz", "a")), "[1,3]"),
			ctR("KEY_VALUE", ctPL(107, ctRtKV, ctL("c", "zz", "a")), `{"orderedMap":[["a",1],["c",3]]}`),
			ctR("COUNT", ctPL(107, ctRtCount, ctL("c", "zz", "a")), "2"),
			ctR("KEY", ctPL(107, ctRtKey, ctL("c", "zz", "a")), `["a","c"]`),
			ctR("VALUE, empty key list", ctPL(107, ctRtValue, ctL()), "[]"),
		}},
		{"remove_by_key", ctM("a", 1, "b", 2, "c", 3, "d", 4), []cdtStep{
			ctW("remove a VALUE", ctPL(76, ctRtValue, "a"), "1"),
			ctW("remove b KEY_VALUE", ctPL(76, ctRtKV, "b"), `{"orderedMap":[["b",2]]}`),
			ctW("remove c COUNT", ctPL(76, ctRtCount, "c"), "1"),
			ctW("remove absent NONE", ctPL(76, ctRtNone, "zz"), "-"),
			ctW("remove absent VALUE", ctPL(76, ctRtValue, "zz"), "-"),
			ctW("remove absent COUNT", ctPL(76, ctRtCount, "zz"), "0"),
			ctW("remove absent KEY_VALUE", ctPL(76, ctRtKV, "zz"), `{"orderedMap":[]}`).then(`{"map":[["d",4]]}`),
			ctW("remove last key d NONE", ctPL(76, ctRtNone, "d"), "-").then(`{"map":[]}`),
		}},
		{"remove_by_key_list", ctM("a", 1, "b", 2, "c", 3, "d", 4), []cdtStep{
			ctW("remove [a,zz,c] COUNT", ctPL(81, ctRtCount, ctL("a", "zz", "c")), "2"),
			ctW("remove [b,yy] KEY_VALUE", ctPL(81, ctRtKV, ctL("b", "yy")), `{"orderedMap":[["b",2]]}`),
			ctW("remove [xx] VALUE", ctPL(81, ctRtValue, ctL("xx")), "[]").then(`{"map":[["d",4]]}`),
		}},
		{"size_and_clear", ctM("a", 1, "b", 2), []cdtStep{
			ctR("size", ctPL(96), "2"),
			ctW("clear", ctPL(75), "-"),
			ctR("size after clear", ctPL(96), "0").then(`{"map":[]}`),
		}},
		{"size_and_clear_missing_bin", nil, []cdtStep{
			ctR("size of missing bin", ctPL(96), "-"),
			ctW("clear missing bin", ctPL(75), "-").then("missing"),
		}},
		{"increment", ctM("n", 10, "f", 1.5, "s", "str"), []cdtStep{
			ctW("incr n by 5", ctPL(73, "n", 5, 0), "15"),
			ctW("incr missing key by 3", ctPL(73, "new", 3, 0), "3"),
			ctW("incr f by 1.0", ctPL(73, "f", 1.0, 0), `{"float":2.5}`),
			ctWE("incr s (string value)", ctPL(73, "s", 1, 0), wire.ParameterError),
			ctW("decrement n by 2", ctPL(74, "n", 2, 0), "13").
				then(`{"map":[["f",{"float":2.5}],["n",13],["new",3],["s","str"]]}`),
		}},
		{"increment_missing_bin", nil, []cdtStep{
			ctW("incr on missing bin", ctPL(73, "x", 1, 0), "1").then(`{"map":[["x",1]]}`),
		}},
		{"missing_record_put", nil, []cdtStep{
			ctW("map put on missing record", ctMapPutOp("a", 1), "1").then(`{"map":[["a",1]]}`),
		}},
		{"wrong_bin_type_int", 1, []cdtStep{ctWE("map put on int bin", ctMapPutOp("a", 1), wire.BinTypeError)}},
		{"wrong_bin_type_string", "str", []cdtStep{ctRE("map get on string bin", ctPL(97, ctRtValue, "a"), wire.BinTypeError)}},
		{"wrong_bin_type_list", ctL(1, 2), []cdtStep{ctRE("map size on list bin", ctPL(96), wire.BinTypeError)}},
		{"several_ops", ctM("a", 1), []cdtStep{
			ctW("put b", ctMapPutOp("b", 2), "2"),
			ctR("get a", ctPL(97, ctRtValue, "a"), "1"),
			ctW("remove a KEY_VALUE", ctPL(76, ctRtKV, "a"), `{"orderedMap":[["a",1]]}`),
			ctR("size", ctPL(96), "1").then(`{"map":[["b",2]]}`),
		}},
		{"nested_context", ctM("outer", ctM("x", 1)), []cdtStep{
			ctW("put y into outer", ctPLC([]any{0x22, "outer"}, 67, "y", 2, 0), "2"),
			ctR("get x from outer", ctPLC([]any{0x22, "outer"}, 97, ctRtValue, "x"), "1"),
			ctRE("size of missing nested map", ctPLC([]any{0x22, "nope"}, 96), wire.OpNotApplicable).
				then(`{"map":[["outer",{"map":[["x",1],["y",2]]}]]}`),
		}},
		{"respond_per_each_op_map", nil, []cdtStep{
			ctW("put k", ctMapPutOp("k", "v"), "1"),
			ctW("clear", ctPL(75), "-"),
			ctR("size", ctPL(96), "0").then(`{"map":[]}`),
		}},
	})
}
