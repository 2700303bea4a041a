package aerolite

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
)

// The tests drive applyCDTOp with payloads packed the way
// aerospike-client-go v7 packs them (cdt.go, cdt_list.go, cdt_map.go of the
// client): without a context a 2-byte big-endian opcode followed by the
// msgpack array of arguments; with one [0xff, [ctx...], [opcode, args...]].
// Expectations are written in asconform's normalised JSON, so golden.json
// steps can be pasted as they are.

// pl packs an op without context.
func ctPL(code int, args ...any) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(code))
	if len(args) > 0 {
		b = append(b, value.EncodeMsgpack(&List{Items: cdtTestVals(args)})...)
	}
	return b
}

// plc packs an op with a context (pairs of type, value).
func ctPLC(ctx []any, code int, args ...any) []byte {
	inner := append([]any{int64(code)}, cdtTestVals(args)...)
	return value.EncodeMsgpack(&List{Items: []any{int64(0xff), &List{Items: cdtTestVals(ctx)}, &List{Items: inner}}})
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
	case *List:
		return &List{Ordered: v.Ordered, Items: cdtTestVals(v.Items)}
	case *Map:
		m := &Map{Order: v.Order}
		for _, e := range v.Entries {
			m.Put(cdtTestVal(e.Key), cdtTestVal(e.Value))
		}
		return m
	}
	return x
}

// L builds a list, M a map from key, value pairs (as a client would send
// them: unordered unless Order is set afterwards).
func ctL(items ...any) *List { return &List{Items: cdtTestVals(items)} }

func ctM(kv ...any) *Map {
	m := &Map{}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Put(cdtTestVal(kv[i]), cdtTestVal(kv[i+1]))
	}
	return m
}

func ctWithOrder(m *Map, order int) *Map { m.Order = order; return m }

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
	case *List:
		b.WriteString("[")
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(",")
			}
			ctNormTo(b, it)
		}
		b.WriteString("]")
	case *Map:
		entries := x.Entries
		if x.Order == MapUnordered {
			entries = append([]MapEntry(nil), entries...)
			sort.SliceStable(entries, func(i, j int) bool { return Compare(entries[i].Key, entries[j].Key) < 0 })
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

func ctMapPutItemsOp(order, flags int, m *Map) []byte {
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
	want   string     // normalised result; "-" for no result
	rc     ResultCode // expected result code
	bin    string     // normalised bin afterwards if set; "missing" for no bin
}

func ctR(name string, p []byte, want string) cdtStep { return cdtStep{name: name, pl: p, want: want} }
func ctW(name string, p []byte, want string) cdtStep {
	return cdtStep{name: name, modify: true, pl: p, want: want}
}
func ctRE(name string, p []byte, rc ResultCode) cdtStep { return cdtStep{name: name, pl: p, rc: rc} }
func ctWE(name string, p []byte, rc ResultCode) cdtStep {
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
				res, has, nv, changed, rc := applyCDTOp(st.modify, st.pl, cur, exists)
				if exists && !bytes.Equal(before, value.EncodeMsgpack(cur)) {
					t.Fatalf("%s: the current value was mutated", st.name)
				}
				if rc != st.rc {
					t.Fatalf("%s: rc %d, want %d", st.name, rc, st.rc)
				}
				if rc == rcOK {
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
			ctWE("add_unique duplicate 2", ctListAppendPolicyOp(0, 1, 2), rcElementExists),
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
			ctRE("get by index 5 VALUE (out of range)", ctPL(19, ctRtValue, 5), rcOpNotApplicable),
			ctR("ListGetOp 1", ctPL(17, 1), `"b"`),
			ctRE("ListGetOp 5 (out of range)", ctPL(17, 5), rcOpNotApplicable),
			ctR("ListGetRangeOp 1,5", ctPL(18, 1, 5), `["b","c"]`),
			ctR("get by index range 1.. VALUE", ctPL(24, ctRtValue, 1), `["b","c"]`),
		}},
		{"pop", ctL("a", "b", "c"), []cdtStep{
			ctW("pop 0", ctPL(5, 0), `"a"`),
			ctW("pop -1", ctPL(5, -1), `"c"`),
			ctWE("pop 5 (out of range)", ctPL(5, 5), rcOpNotApplicable),
			ctW("pop 0 (last item)", ctPL(5, 0), `"b"`),
			ctWE("pop 0 on empty list", ctPL(5, 0), rcOpNotApplicable).then(`[]`),
		}},
		{"missing_bin", nil, []cdtStep{
			ctR("size", ctPL(16), "-"),
			ctR("get by index 0", ctPL(19, ctRtValue, 0), "-"),
			ctR("get by value COUNT", ctPL(22, ctRtCount, 1), "-"),
			ctW("remove by value COUNT", ctPL(35, ctRtCount, 1), "-"),
			ctW("pop 0", ctPL(5, 0), "-"),
			ctW("clear", ctPL(11), "-").then("missing"),
		}},
		{"wrong_bin_type_int", 1, []cdtStep{ctWE("append to int bin", ctListAppendOp(1), rcBinTypeError)}},
		{"wrong_bin_type_string", "str", []cdtStep{ctRE("size of string bin", ctPL(16), rcBinTypeError)}},
		{"wrong_bin_type_map", ctM("a", 1), []cdtStep{ctRE("get by index on map bin", ctPL(19, ctRtValue, 0), rcBinTypeError)}},
		{"insert_set_increment", ctL(1, 2, 3), []cdtStep{
			ctW("insert at 1", ctPL(3, 1, "x"), "4"),
			ctW("insert at 6 (past end: pads with nil)", ctPL(3, 6, "y"), "7"),
			ctW("set index 0", ctPL(9, 0, 100), "-"),
			ctW("increment index 0 by 5", ctPL(12, 0, 5), "105"),
			ctWE("increment string item", ctPL(12, 1, 5), rcParameterError).then(`[105,"x",2,3,null,null,"y"]`),
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
			ctRE("size of l[5] (missing)", ctPLC([]any{0x10, 5}, 16), rcOpNotApplicable).then(`[[1,2],[3,9]]`),
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
			ctWE("create_only existing key", ctMapPutFlagsOp(0, 1, "a", 2), rcElementExists),
			ctW("create_only new key", ctMapPutFlagsOp(0, 1, "b", 2), "2"),
			ctW("create_only|nofail existing key", ctMapPutFlagsOp(0, 5, "a", 3), "2").then(`{"map":[["a",1],["b",2]]}`),
		}},
		{"put_update_only", ctM("a", 1), []cdtStep{
			ctWE("update_only missing key", ctMapPutFlagsOp(0, 2, "zz", 2), rcElementNotFound),
			ctW("update_only existing key", ctMapPutFlagsOp(0, 2, "a", 5), "1"),
			ctW("update_only|nofail missing key", ctMapPutFlagsOp(0, 6, "zz", 2), "1").then(`{"map":[["a",5]]}`),
		}},
		{"put_update_only_missing_bin", nil, []cdtStep{
			ctWE("update_only on missing bin", ctMapPutFlagsOp(0, 2, "a", 1), rcElementNotFound).then("missing"),
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
			ctWE("put items create_only with one existing", ctMapPutItemsOp(0, 1, ctM("d", 4, "a", 5)), rcElementExists),
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
			ctWE("incr s (string value)", ctPL(73, "s", 1, 0), rcParameterError),
			ctW("decrement n by 2", ctPL(74, "n", 2, 0), "13").
				then(`{"map":[["f",{"float":2.5}],["n",13],["new",3],["s","str"]]}`),
		}},
		{"increment_missing_bin", nil, []cdtStep{
			ctW("incr on missing bin", ctPL(73, "x", 1, 0), "1").then(`{"map":[["x",1]]}`),
		}},
		{"missing_record_put", nil, []cdtStep{
			ctW("map put on missing record", ctMapPutOp("a", 1), "1").then(`{"map":[["a",1]]}`),
		}},
		{"wrong_bin_type_int", 1, []cdtStep{ctWE("map put on int bin", ctMapPutOp("a", 1), rcBinTypeError)}},
		{"wrong_bin_type_string", "str", []cdtStep{ctRE("map get on string bin", ctPL(97, ctRtValue, "a"), rcBinTypeError)}},
		{"wrong_bin_type_list", ctL(1, 2), []cdtStep{ctRE("map size on list bin", ctPL(96), rcBinTypeError)}},
		{"several_ops", ctM("a", 1), []cdtStep{
			ctW("put b", ctMapPutOp("b", 2), "2"),
			ctR("get a", ctPL(97, ctRtValue, "a"), "1"),
			ctW("remove a KEY_VALUE", ctPL(76, ctRtKV, "a"), `{"orderedMap":[["a",1]]}`),
			ctR("size", ctPL(96), "1").then(`{"map":[["b",2]]}`),
		}},
		{"nested_context", ctM("outer", ctM("x", 1)), []cdtStep{
			ctW("put y into outer", ctPLC([]any{0x22, "outer"}, 67, "y", 2, 0), "2"),
			ctR("get x from outer", ctPLC([]any{0x22, "outer"}, 97, ctRtValue, "x"), "1"),
			ctRE("size of missing nested map", ctPLC([]any{0x22, "nope"}, 96), rcOpNotApplicable).
				then(`{"map":[["outer",{"map":[["x",1],["y",2]]}]]}`),
		}},
		{"respond_per_each_op_map", nil, []cdtStep{
			ctW("put k", ctMapPutOp("k", "v"), "1"),
			ctW("clear", ctPL(75), "-"),
			ctR("size", ctPL(96), "0").then(`{"map":[]}`),
		}},
	})
}

// TestCDTListSemantics covers list behaviour beyond the golden scenarios,
// following the server's particle_list.c.
func TestCDTListSemantics(t *testing.T) {
	runCDTScenarios(t, []cdtScenario{
		{"index_range_inverted_and_ranks", ctL(5, 1, 5, 3), []cdtStep{
			ctR("index range 1,2 VALUE", ctPL(24, ctRtValue, 1, 2), "[1,5]"),
			ctR("index range 1,2 VALUE|INV", ctPL(24, ctRtValue|ctRtInv, 1, 2), "[5,3]"),
			// Ranks of an index selection: elements ordered before each.
			ctR("index range 0.. RANK", ctPL(24, ctRtRank, 0), "[2,0,2,1]"),
			ctR("index range 0.. REV_RANK", ctPL(24, ctRtRevRank, 0), "[1,3,1,2]"),
			ctR("index 2 REV_INDEX", ctPL(19, ctRtRevIndex, 2), "1"),
			ctR("index range -2.. INDEX", ctPL(24, ctRtIndex, -2), "[2,3]"),
			ctR("index range -9,7 VALUE (clipped)", ctPL(24, ctRtValue, -9, 7), "[5,1]"),
			ctR("index range 9.. VALUE (past end)", ctPL(24, ctRtValue, 9), "[]"),
			ctRE("index 1 VALUE|INV (single)", ctPL(19, ctRtValue|ctRtInv, 1), rcOpNotApplicable),
			ctR("index range 1,2 INDEX_RANGE", ctPL(24, 9, 1, 2), "[1,2]"),
			ctR("index range 1,2 REV_INDEX_RANGE", ctPL(24, 10, 1, 2), "[1,2]"),
			ctRE("index range RANK_RANGE (unordered)", ctPL(24, 11, 1, 2), rcOpNotApplicable),
			ctRE("KEY on a list", ctPL(24, ctRtKey, 0), rcOpNotApplicable),
			ctRE("KEY_VALUE on a list", ctPL(24, ctRtKV, 0), rcOpNotApplicable),
		}},
		{"rank_ops_unordered", ctL(5, 1, 4, 2), []cdtStep{
			ctR("rank 0 VALUE", ctPL(21, ctRtValue, 0), "1"),
			ctR("rank -1 INDEX", ctPL(21, ctRtIndex, -1), "0"),
			ctR("rank range 1,2 VALUE (rank order)", ctPL(26, ctRtValue, 1, 2), "[2,4]"),
			ctR("rank range 1,2 INDEX (ascending)", ctPL(26, ctRtIndex, 1, 2), "[2,3]"),
			ctR("rank range 1,2 RANK", ctPL(26, ctRtRank, 1, 2), "[1,2]"),
			ctR("rank range 1,2 RANK_RANGE", ctPL(26, 11, 1, 2), "[1,2]"),
			ctR("rank range 1,2 VALUE|INV", ctPL(26, ctRtValue|ctRtInv, 1, 2), "[5,1]"),
			ctR("rank range -1.. VALUE", ctPL(26, ctRtValue, -1), "[5]"),
			ctRE("rank 7 VALUE", ctPL(21, ctRtValue, 7), rcOpNotApplicable),
			ctW("remove by rank range 0,2 COUNT", ctPL(39, ctRtCount, 0, 2), "2").then("[5,4]"),
		}},
		{"value_ranges", ctL(10, 20, 30, 20, "a"), []cdtStep{
			ctR("value [20,30) INDEX", ctPL(25, ctRtIndex, 20, 30), "[1,3]"),
			ctR("value [20,) VALUE", ctPL(25, ctRtValue, 20), `[20,30,20,"a"]`),
			ctR("value [20,30) RANK", ctPL(25, ctRtRank, 20, 30), "[1,2]"),
			ctR("value [20,30) RANK_RANGE", ctPL(25, 11, 20, 30), "[1,2]"),
			ctR("value [30,20) COUNT (empty)", ctPL(25, ctRtCount, 30, 20), "0"),
			ctR("value [20,30) COUNT|INV", ctPL(25, ctRtCount|ctRtInv, 20, 30), "3"),
			ctR("value list [20,a] INDEX", ctPL(23, ctRtIndex, ctL(20, "a")), "[1,3,4]"),
			ctR("value list [] VALUE|INV", ctPL(23, ctRtValue|ctRtInv, ctL()), `[10,20,30,20,"a"]`),
			ctR("single value 20 INDEX", ctPL(20, ctRtIndex, 20), "1"),
			ctR("single value 20 RANK", ctPL(20, ctRtRank, 20), "1"),
			ctR("single value 99 VALUE", ctPL(20, ctRtValue, 99), "-"),
			ctR("single value 99 INDEX", ctPL(20, ctRtIndex, 99), "-1"),
			// Relative rank: 25 would rank 3rd, so rank 0 relative is 30.
			ctR("rel rank 25,0 VALUE", ctPL(27, ctRtValue, 25, 0), `[30,"a"]`),
			ctR("rel rank 25,-1,2 VALUE", ctPL(27, ctRtValue, 25, -1, 2), "[20,30]"),
			ctR("rel rank 5,-3,4 VALUE", ctPL(27, ctRtValue, 5, -3, 4), "[10]"),
			ctW("remove value [20,30) VALUE", ctPL(38, ctRtValue, 20, 30), "[20,20]").then(`[10,30,"a"]`),
			ctW("remove by index -1 VALUE", ctPL(32, ctRtValue, -1), `"a"`).then(`[10,30]`),
			ctW("remove rel rank 10,1 COUNT", ctPL(40, ctRtCount, 10, 1), "1").then(`[10]`),
		}},
		{"wildcards", ctL(ctL(1, "a"), ctL(2, "b"), ctL(1, "c", 9)), []cdtStep{
			ctR("value [1,*] VALUE", ctPL(22, ctRtValue, ctL(1, Wildcard{})), `[[1,"a"],[1,"c",9]]`),
			ctR("value [*,b] INDEX", ctPL(22, ctRtIndex, ctL(Wildcard{}, "b")), "[0,1,2]"),
			ctR("value range [[1],[1,inf]) COUNT", ctPL(25, ctRtCount, ctL(1), ctL(1, Infinity{})), "2"),
			ctWE("append a wildcard", ctListAppendOp(Wildcard{}), rcParameterError),
		}},
		{"ordered_list", ctL(), []cdtStep{
			ctW("set type ordered", ctPL(0, 1), "-"),
			ctW("append items 3,1,2,1", ctListAppendPolicyOp(0, 0, 3, 1, 2, 1), "4").then("[1,1,2,3]"),
			ctWE("add unique 2", ctListAppendPolicyOp(0, 1, 2), rcElementExists).then("[1,1,2,3]"),
			ctWE("insert on ordered list", ctPL(3, 0, 5), rcOpNotApplicable),
			ctWE("set on ordered list", ctPL(9, 0, 5), rcOpNotApplicable),
			ctW("increment index 0 by 10 re-sorts", ctPL(12, 0, 10), "11").then("[1,2,3,11]"),
			ctW("increment index 4 appends", ctPL(12, 4, 1), "1").then("[1,1,2,3,11]"),
			ctWE("increment index 9 (past end)", ctPL(12, 9, 1), rcOpNotApplicable),
			ctR("rank range 1,2 RANK_RANGE", ctPL(26, 11, 1, 2), "[1,2]"),
			ctR("index range 1,2 RANK_RANGE", ctPL(24, 11, 1, 2), "[1,2]"),
			ctW("sort descending is a no-op", ctPL(13, 1), "-").then("[1,1,2,3,11]"),
			ctW("sort drop duplicates", ctPL(13, 2), "-").then("[1,2,3,11]"),
			ctW("set type unordered", ctPL(0, 0), "-"),
			ctW("insert now works", ctPL(3, 0, 99), "5").then("[99,1,2,3,11]"),
		}},
		{"ordered_add_unique_items", nil, []cdtStep{
			ctW("create ordered", ctListAppendPolicyOp(1, 0, 5, 3), "2"),
			ctWE("unique items with a repeat", ctListAppendPolicyOp(1, 1, 7, 7), rcOpNotApplicable),
			ctW("unique|nofail items with a repeat", ctListAppendPolicyOp(1, 5, 7, 7), "2"),
			ctWE("unique items with an existing", ctListAppendPolicyOp(1, 1, 3, 8), rcElementExists),
			ctW("unique|nofail|partial", ctListAppendPolicyOp(1, 13, 3, 8, 8), "3").then("[3,5,8]"),
		}},
		{"unique_items_unordered", ctL(1), []cdtStep{
			ctWE("repeat within items", ctListAppendPolicyOp(0, 1, 2, 2), rcOpNotApplicable),
			ctW("repeat within items, nofail", ctListAppendPolicyOp(0, 5, 2, 2), "1"),
			ctW("repeat within items, nofail|partial", ctListAppendPolicyOp(0, 13, 2, 2, 1), "2").then("[1,2]"),
			ctW("empty items", ctPL(2, ctL()), "2"),
		}},
		{"insert_and_set", ctL("a"), []cdtStep{
			ctW("insert items at -1", ctPL(4, -1, ctL("x", "y")), "3").then(`["x","y","a"]`),
			ctWE("insert at -9", ctPL(3, -9, "z"), rcOpNotApplicable),
			ctWE("insert bounded past end", ctPL(3, 5, "z", 2), rcOpNotApplicable),
			ctW("insert bounded|nofail past end", ctPL(3, 5, "z", 6), "3"),
			ctW("insert bounded at end", ctPL(3, 3, "z", 2), "4").then(`["x","y","a","z"]`),
			ctW("set -1", ctPL(9, -1, "Z"), "-").then(`["x","y","a","Z"]`),
			ctWE("set -9", ctPL(9, -9, "Z"), rcOpNotApplicable),
			ctW("set past end pads", ctPL(9, 5, "p"), "-").then(`["x","y","a","Z",null,"p"]`),
			ctWE("set unique duplicate", ctPL(9, 0, "y", 1), rcElementExists),
			ctW("set unique same place", ctPL(9, 1, "y", 1), "-"),
			ctW("set unique|nofail duplicate", ctPL(9, 0, "y", 5), "-").then(`["x","y","a","Z",null,"p"]`),
			ctWE("insert past 2^31", ctPL(3, int64(1)<<40, "z"), rcOpNotApplicable),
			ctWE("insert far past end", ctPL(3, cdtMaxElements+5, "z"), rcRecordTooBig),
		}},
		{"increment_types", ctL(1, 2.5), []cdtStep{
			ctW("int + float delta truncates", ctPL(12, 0, 1.9), "2"),
			ctW("float + int delta", ctPL(12, 1, 1), `{"float":3.5}`),
			ctW("no delta adds 1", ctPL(12, 0), "3"),
			ctW("nil delta adds 1", ctPL(12, 0, nil), "4"),
			ctW("past end creates float", ctPL(12, 3, 0.5), `{"float":0.5}`).then(`[4,{"float":3.5},null,{"float":0.5}]`),
			ctWE("string delta", ctPL(12, 0, "x"), rcParameterError),
			ctWE("negative past start", ctPL(12, -9, 1), rcOpNotApplicable),
		}},
		{"increment_creates", nil, []cdtStep{
			ctWE("negative index on missing list", ctPL(12, -1, 1), rcOpNotApplicable).then("missing"),
			ctW("index 1 on missing list", ctPL(12, 1, 7), "7").then("[null,7]"),
		}},
		{"pop_remove_trim", ctL("a", "b", "c", "d", "e"), []cdtStep{
			ctW("pop range 1,2", ctPL(6, 1, 2), `["b","c"]`),
			ctW("remove 0", ctPL(7, 0), "1").then(`["d","e"]`),
			ctWE("remove 5", ctPL(7, 5), rcOpNotApplicable),
			ctW("append items", ctListAppendOp("f", "g", "h"), "5"),
			ctW("pop range -2..", ctPL(6, -2), `["g","h"]`),
			ctW("trim 1,1", ctPL(10, 1, 1), "2").then(`["e"]`),
			ctW("trim 5,1 removes all", ctPL(10, 5, 1), "1").then(`[]`),
			ctW("remove range on empty", ctPL(8, 0, 3), "0"),
		}},
		{"sort", ctL(3, "b", 1, 2.5, nil, true, 1), []cdtStep{
			ctW("sort descending", ctPL(13, 1), "-").then(`[{"float":2.5},"b",3,1,1,true,null]`),
			ctW("sort ascending, drop duplicates", ctPL(13, 2), "-").then(`[null,true,1,3,"b",{"float":2.5}]`),
			ctW("default sort", ctPL(13), "-"),
		}},
		{"sort_missing", nil, []cdtStep{ctWE("sort missing bin", ctPL(13, 0), rcBinTypeError)}},
		{"create_via_set_type", nil, []cdtStep{
			ctW("set type ordered on missing bin", ctPL(0, 1), "-").then("[]"),
		}},
		{"append_items_empty_on_missing", nil, []cdtStep{
			ctW("append no items creates an empty list", ctPL(2, ctL()), "0").then("[]"),
		}},
		{"extreme_indexes", ctL(1, 2), []cdtStep{
			ctR("index range min int", ctPL(24, ctRtValue, int64(math.MinInt64)), "[]"),
			ctR("index range min int, max count", ctPL(24, ctRtValue, int64(math.MinInt64), int64(math.MaxInt64)), "[1]"),
			ctR("index range max int", ctPL(24, ctRtValue, int64(math.MaxInt64)), "[]"),
			ctR("negative count means all", ctPL(24, ctRtValue, 0, -1), "[1,2]"),
			ctRE("index min int", ctPL(19, ctRtValue, int64(math.MinInt64)), rcOpNotApplicable),
			ctR("rel rank min int", ctPL(27, ctRtValue, 1, int64(math.MinInt64)), "[]"),
			ctR("rel rank max int", ctPL(27, ctRtValue, 1, int64(math.MaxInt64)), "[]"),
			ctR("rank range min int", ctPL(26, ctRtValue, int64(math.MinInt64), 3), "[]"),
			ctWE("insert min int", ctPL(3, int64(math.MinInt64), 1), rcOpNotApplicable),
			ctWE("increment min int", ctPL(12, int64(math.MinInt64), 1), rcOpNotApplicable),
		}},
		{"removes_on_missing_bin", nil, []cdtStep{
			ctW("trim", ctPL(10, 0, 1), "-"),
			ctW("remove by index range", ctPL(37, ctRtCount, 0), "-"),
			ctW("pop range", ctPL(6, 0), "-").then("missing"),
		}},
	})
}

// TestCDTMapSemantics covers map behaviour beyond the golden scenarios,
// following the server's particle_map.c.
func TestCDTMapSemantics(t *testing.T) {
	m := ctM("a", 30, "b", 10, "c", 20, "d", 10)
	runCDTScenarios(t, []cdtScenario{
		{"ranks_and_values", m, []cdtStep{
			// Equal values rank by key.
			ctR("rank 0 KEY", ctPL(100, ctRtKey, 0), `"b"`),
			ctR("rank 1 KEY", ctPL(100, ctRtKey, 1), `"d"`),
			ctR("rank range 0,3 KEY (rank order)", ctPL(106, ctRtKey, 0, 3), `["b","d","c"]`),
			ctR("rank range 0,3 INDEX (rank order)", ctPL(106, ctRtIndex, 0, 3), `[1,3,2]`),
			ctR("rank range 0,3 KV", ctPL(106, ctRtKV, 0, 3), `{"orderedMap":[["b",10],["d",10],["c",20]]}`),
			ctR("rank range 0,3 ORDERED_MAP", ctPL(106, 17, 0, 3), `{"orderedMap":[["b",10],["c",20],["d",10]]}`),
			ctR("rank range 0,3 UNORDERED_MAP", ctPL(106, 16, 0, 3), `{"map":[["b",10],["c",20],["d",10]]}`),
			ctR("rank range 1.. KEY|INV", ctPL(106, ctRtKey|ctRtInv, 1), `["b"]`),
			ctRE("rank range INDEX_RANGE", ctPL(106, 9, 0, 3), rcOpNotApplicable),
			ctR("value 10 KEY", ctPL(102, ctRtKey, 10), `["b","d"]`),
			ctR("value 10 RANK", ctPL(102, ctRtRank, 10), `[0,1]`),
			ctR("single value 10 KEY", ctPL(99, ctRtKey, 10), `"b"`),
			ctR("value [10,25) INDEX", ctPL(105, ctRtIndex, 10, 25), `[1,2,3]`),
			ctR("value [10,25) RANK_RANGE", ctPL(105, 11, 10, 25), `[0,3]`),
			ctR("value list [30,10] KEY", ctPL(108, ctRtKey, ctL(30, 10)), `["a","b","d"]`),
			ctR("rel rank 15,0,2 KEY", ctPL(110, ctRtKey, 15, 0, 2), `["c","a"]`),
			ctR("key index 2 RANK", ctPL(98, ctRtRank, 2), "2"),
			ctR("key index range 0.. RANK", ctPL(104, ctRtRank, 0), "[3,0,2,1]"),
			ctR("key b REVERSE_RANK", ctPL(97, ctRtRevRank, "b"), "3"),
			ctR("key interval [b,d) VALUE", ctPL(103, ctRtValue, "b", "d"), "[10,20]"),
			ctR("key interval [b,) KEY|INV", ctPL(103, ctRtKey|ctRtInv, "b"), `["a"]`),
			ctR("key interval [b,d) INDEX_RANGE", ctPL(103, 9, "b", "d"), "[1,2]"),
			ctRE("key interval RANK_RANGE", ctPL(103, 11, "b", "d"), rcOpNotApplicable),
			ctRE("key list RANK", ctPL(107, ctRtRank, ctL("a")), rcOpNotApplicable),
			ctR("key list KEY|INV", ctPL(107, ctRtKey|ctRtInv, ctL("a", "c")), `["b","d"]`),
			ctR("rel index bb,0,2 KEY", ctPL(109, ctRtKey, "bb", 0, 2), `["c","d"]`),
			ctR("rel index bb,-1 KEY", ctPL(109, ctRtKey, "bb", -1), `["b","c","d"]`),
			ctRE("key b KEY|INV (single)", ctPL(97, ctRtKey|ctRtInv, "b"), rcOpNotApplicable),
		}},
		{"removes", m, []cdtStep{
			ctW("remove by value 10 KEY (single)", ctPL(78, ctRtKey, 10), `"b"`),
			ctW("remove by rank range -1 KV", ctPL(87, ctRtKV, -1), `{"orderedMap":[["a",30]]}`),
			ctW("remove by value interval [0,) COUNT|INV", ctPL(86, ctRtCount|ctRtInv, 15), "1").then(`{"map":[["c",20]]}`),
			ctW("remove by key interval none", ctPL(84, ctRtCount, "x", "z"), "0"),
			ctW("remove by index 0 VALUE", ctPL(77, ctRtValue, 0), "20").then(`{"map":[]}`),
			ctWE("remove by index 0 on empty", ctPL(77, ctRtValue, 0), rcOpNotApplicable),
			ctW("remove by index range on empty", ctPL(85, ctRtValue, 0), "[]"),
		}},
		{"kv_ordered_value_order", ctWithOrder(ctM("a", 3, "b", 1, "c", 2), MapKeyValueOrdered), []cdtStep{
			ctR("value [1,) KEY (rank order)", ctPL(105, ctRtKey, 1), `["b","c","a"]`),
			ctR("value [1,) INDEX (rank order)", ctPL(105, ctRtIndex, 1), `[1,2,0]`),
			ctR("value [1,) KEY|INV", ctPL(105, ctRtKey|ctRtInv, 2), `["b"]`),
			ctR("key list INDEX on key-ordered", ctPL(107, ctRtIndex, ctL("c", "a")), "[2,0]"),
		}},
		{"unordered_key_list_index", ctM("a", 1, "b", 2, "c", 3), []cdtStep{
			ctR("key list INDEX", ctPL(107, ctRtIndex, ctL("c", "a")), "[0,2]"),
		}},
		{"set_type", ctM("b", 1, "a", 2), []cdtStep{
			ctW("set key ordered", ctPL(64, 1), "-").then(`{"orderedMap":[["a",2],["b",1]]}`),
			ctWE("set value ordered only", ctPL(64, 2), rcOpNotApplicable),
			ctW("set kv ordered", ctPL(64, 3), "-"),
			ctW("set unordered", ctPL(64, 0), "-").then(`{"map":[["a",2],["b",1]]}`),
		}},
		{"set_type_creates", nil, []cdtStep{
			ctW("set key ordered on missing", ctPL(64, 1), "-").then(`{"orderedMap":[]}`),
		}},
		{"add_replace", ctM("a", 1), []cdtStep{
			ctWE("add existing (create only)", ctPL(65, "a", 2, 0), rcElementExists),
			ctW("add new", ctPL(65, "b", 2, 0), "2"),
			ctWE("replace missing", ctPL(69, "z", 2), rcElementNotFound),
			ctW("replace existing", ctPL(69, "a", 9), "2"),
			ctW("add items new", ctPL(66, ctM("c", 3), 0), "3"),
			ctWE("replace items with a missing key", ctPL(70, ctM("a", 0, "q", 0)), rcElementNotFound),
			ctW("replace items", ctPL(70, ctM("a", 0, "b", 0)), "3").then(`{"map":[["a",0],["b",0],["c",3]]}`),
			ctW("update only|nofail|partial items", ctMapPutItemsOp(0, 14, ctM("a", 5, "q", 5)), "3").
				then(`{"map":[["a",5],["b",0],["c",3]]}`),
			ctW("update only|nofail items", ctMapPutItemsOp(0, 6, ctM("a", 6, "q", 6)), "3").
				then(`{"map":[["a",5],["b",0],["c",3]]}`),
			ctW("empty items", ctMapPutItemsOp(0, 0, ctM()), "3"),
			ctWE("items not a map", ctPL(68, ctL(1), 0), rcParameterError),
			ctWE("wildcard key", ctMapPutOp(Wildcard{}, 1), rcParameterError),
		}},
		{"replace_items_missing_bin", nil, []cdtStep{
			ctWE("replace items on missing bin", ctPL(70, ctM("a", 1)), rcElementNotFound),
			ctWE("replace on missing bin", ctPL(69, "a", 1), rcElementNotFound).then("missing"),
			ctW("update only|nofail on missing bin creates an empty map", ctMapPutFlagsOp(0, 6, "a", 1), "0").
				then(`{"map":[]}`),
		}},
		{"create_orders", nil, []cdtStep{
			ctW("put with KEY_VALUE_ORDERED creates ordered", ctMapPutFlagsOp(3, 0, "b", 1), "1"),
			ctW("put with unordered keeps the order", ctMapPutOp("a", 2), "2").then(`{"orderedMap":[["a",2],["b",1]]}`),
		}},
		{"increment_more", ctM("i", 1, "f", 0.5), []cdtStep{
			ctW("decrement float by int", ctPL(74, "f", 1, 0), `{"float":-0.5}`),
			ctW("increment with no delta", ctPL(73, "i"), "2"),
			ctW("decrement missing by float", ctPL(74, "g", 0.25, 0), `{"float":-0.25}`),
			ctWE("increment by string", ctPL(73, "i", "x", 0), rcParameterError),
		}},
	})
}

// TestCDTContexts covers context paths, including create flags.
func TestCDTContexts(t *testing.T) {
	runCDTScenarios(t, []cdtScenario{
		{"map_key_create_on_missing_bin", nil, []cdtStep{
			ctWE("no create flag", ctPLC([]any{0x22, "a"}, 67, "k", 1, 0), rcOpNotApplicable),
			ctW("key-ordered create", ctPLC([]any{0x22 | 0x80, "a"}, 67, "k", 1, 0), "1").
				then(`{"orderedMap":[["a",{"map":[["k",1]]}]]}`),
		}},
		{"map_key_create_nested", ctM("x", 1), []cdtStep{
			ctW("two levels", ctPLC([]any{0x22 | 0x40, "a", 0x22, "b"}, 1, 7, 0, 0), "1").
				then(`{"map":[["a",{"map":[["b",[7]]]}],["x",1]]}`),
			ctW("existing path", ctPLC([]any{0x22, "a", 0x22, "b"}, 1, 8, 0, 0), "2"),
			ctWE("read through a missing key", ctPLC([]any{0x22, "q"}, 96), rcOpNotApplicable),
			ctW("remove through a created path is a no-op", ctPLC([]any{0x22 | 0x40, "q"}, 76, ctRtCount, "z"), "-").
				then(`{"map":[["a",{"map":[["b",[7,8]]]}],["x",1]]}`),
			ctW("map op creates with its own order", ctPLC([]any{0x22 | 0x40, "m"}, 67, "k", 1, 1), "1"),
			ctR("created map is key ordered", ctPLC([]any{0x22, "m"}, 98, ctRtKV, 0), `{"orderedMap":[["k",1]]}`),
		}},
		{"list_index_create", nil, []cdtStep{
			ctWE("unordered create past 0", ctPLC([]any{0x10 | 0x40, 2}, 1, 1), rcOpNotApplicable),
			ctW("unbound create pads", ctPLC([]any{0x10 | 0x80, 2}, 1, 1), "1").then(`[null,null,[1]]`),
			ctW("append past end with unbound flag", ctPLC([]any{0x10 | 0x80, 4}, 1, 2), "1").
				then(`[null,null,[1],null,[2]]`),
			ctW("append at end with unordered flag", ctPLC([]any{0x10 | 0x40, 5}, 67, "k", 1, 0), "1"),
			ctWE("past end without unbound", ctPLC([]any{0x10 | 0x40, 9}, 1, 2), rcOpNotApplicable),
			ctRE("read past end", ctPLC([]any{0x10, 9}, 16), rcOpNotApplicable),
			ctWE("list op on the map element", ctPLC([]any{0x10, 5}, 1, 2), rcBinTypeError),
			ctWE("map step into a list", ctPLC([]any{0x22, "a"}, 16), rcOpNotApplicable),
			ctWE("step into a scalar", ctPLC([]any{0x10, 0, 0x10, 0}, 16), rcOpNotApplicable),
		}},
		{"ordered_parent_resorts", ctWithListOrder(ctL(ctL(2), ctL(5))), []cdtStep{
			ctW("append 9 to the first", ctPLC([]any{0x10, 0}, 1, 9), "2").then(`[[2,9],[5]]`),
			ctW("set first element to 7", ctPLC([]any{0x10, 0}, 9, 0, 7), "-").then(`[[5],[7,9]]`),
			ctR("by rank", ctPLC([]any{0x11, -1}, 17, 0), "7"),
			ctR("by value", ctPLC([]any{0x13, ctL(5)}, 16), "1"),
		}},
		{"map_steps", ctM("a", ctM("v", 3), "b", ctM("v", 1)), []cdtStep{
			ctR("by index", ctPLC([]any{0x20, 1}, 97, ctRtValue, "v"), "1"),
			ctR("by rank", ctPLC([]any{0x21, 0}, 97, ctRtValue, "v"), "1"),
			ctR("by value", ctPLC([]any{0x23, ctM("v", 3)}, 96), "1"),
			ctR("auto type by index", ctPLC([]any{0x00, 0}, 96), "1"),
			ctRE("list step into a map", ctPLC([]any{0x10, 0}, 96), rcOpNotApplicable),
			ctRE("key on a list step", ctPLC([]any{0x22, "a", 0x12, 0}, 96), rcOpNotApplicable),
			ctRE("invalid create flags", ctPLC([]any{0x22 | 0x100, "a"}, 96), rcOpNotApplicable),
			ctWE("map op on a map reached by value", ctPLC([]any{0x23, ctM("v", 1)}, 1, 1), rcBinTypeError),
		}},
		{"context_into_scalar_bin", 5, []cdtStep{
			ctRE("read", ctPLC([]any{0x10, 0}, 16), rcParameterError),
			ctWE("write", ctPLC([]any{0x10 | 0x40, 0}, 1, 1), rcParameterError),
		}},
	})
}

func ctWithListOrder(l *List) *List { l.Ordered = true; return l }

// TestCDTMalformed checks that malformed payloads are refused, not panicked on.
func TestCDTMalformed(t *testing.T) {
	list := ctL(1, 2, 3)
	cases := []struct {
		name   string
		modify bool
		pl     []byte
	}{
		{"empty", false, nil},
		{"one byte", false, []byte{0}},
		{"args not an array", false, []byte{0, 16, 5}},
		{"truncated args", false, []byte{0, 19, 0x92, 7}},
		{"unknown list opcode", false, ctPL(15)},
		{"modify opcode in a read", false, ctPL(1, 1)},
		{"read opcode in a modify", true, ctPL(16)},
		{"too few args", false, ctPL(19, ctRtValue)},
		{"too many args", false, ctPL(19, ctRtValue, 0, 1)},
		{"index not an int", false, ctPL(19, ctRtValue, "x")},
		{"return type not an int", false, ctPL(19, "x", 0)},
		{"value list not a list", false, ctPL(23, ctRtValue, 5)},
		{"list form without opcode", false, value.EncodeMsgpack(ctL())},
		{"list form opcode not an int", false, value.EncodeMsgpack(ctL("x"))},
		{"context with 2 items", false, value.EncodeMsgpack(ctL(0xff, ctL(0x10, 0)))},
		{"odd context", false, value.EncodeMsgpack(ctL(0xff, ctL(0x10), ctL(16)))},
		{"empty context", false, value.EncodeMsgpack(ctL(0xff, ctL(), ctL(16)))},
		{"context type not an int", false, value.EncodeMsgpack(ctL(0xff, ctL("x", 0), ctL(16)))},
		{"empty inner op", false, value.EncodeMsgpack(ctL(0xff, ctL(0x10, 0), ctL()))},
		{"append items not a list", true, ctPL(2, 5)},
	}
	for _, c := range cases {
		_, _, _, changed, rc := applyCDTOp(c.modify, c.pl, list, true)
		if rc != rcParameterError || changed {
			t.Errorf("%s: rc %d changed %v, want PARAMETER_ERROR", c.name, rc, changed)
		}
	}
	// A map opcode on a map bin: unknown opcodes and misplaced ones.
	for _, c := range []struct {
		modify bool
		pl     []byte
	}{{false, ctPL(200)}, {true, ctPL(71)}, {false, ctPL(67, "a", 1)}, {true, ctPL(96)}} {
		if _, _, _, _, rc := applyCDTOp(c.modify, c.pl, ctM("a", 1), true); rc != rcParameterError {
			t.Errorf("map opcode %x: rc %d, want PARAMETER_ERROR", c.pl, rc)
		}
	}
	// The list form without a context is accepted too.
	if res, _, _, _, rc := applyCDTOp(false, value.EncodeMsgpack(ctL(16)), list, true); rc != rcOK || ctNorm(res) != "3" {
		t.Errorf("list form size: %v %d", res, rc)
	}
}

// TestCDTRandomNoPanic runs random (mostly malformed) operations on random
// values: nothing may panic and the current value may never change.
func TestCDTRandomNoPanic(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var randVal func(depth int) any
	randVal = func(depth int) any {
		switch k := r.Intn(10); {
		case k < 3:
			return int64(r.Intn(9) - 4)
		case k < 5:
			return string(rune('a' + r.Intn(5)))
		case k == 5:
			return nil
		case k == 6 && depth < 3:
			l := &List{Ordered: r.Intn(4) == 0}
			for i := r.Intn(5); i > 0; i-- {
				l.Items = append(l.Items, randVal(depth+1))
			}
			if l.Ordered {
				value.SortValues(l.Items)
			}
			return l
		case k == 7 && depth < 3:
			m := &Map{Order: []int{0, 1, 3}[r.Intn(3)]}
			for i := r.Intn(5); i > 0; i-- {
				m.Put(randVal(3), randVal(depth+1))
			}
			return m
		case k == 8:
			return Wildcard{}
		}
		return 1.5
	}
	codes := make([]int, 0, len(cdtOpSpecs))
	for c := range cdtOpSpecs {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for i := 0; i < 30000; i++ {
		code := codes[r.Intn(len(codes))]
		args := make([]any, r.Intn(5))
		for j := range args {
			if r.Intn(2) == 0 {
				args[j] = int64(r.Intn(12) - 5)
			} else {
				args[j] = randVal(1)
			}
		}
		var p []byte
		if r.Intn(3) == 0 {
			ctx := []any{int64([]int{0x10, 0x11, 0x13, 0x20, 0x21, 0x22, 0x23, 0x50, 0x90, 0xd0, 0x62, 0xa2}[r.Intn(12)]), randVal(2)}
			p = value.EncodeMsgpack(&List{Items: []any{int64(0xff), &List{Items: ctx}, &List{Items: append([]any{int64(code)}, args...)}}})
		} else {
			p = ctPL(code, args...)
		}
		if r.Intn(10) == 0 && len(p) > 2 {
			p = p[:r.Intn(len(p))] // truncated
		}
		cur := randVal(0)
		exists := r.Intn(8) != 0
		before := value.EncodeMsgpack(cur)
		for _, modify := range []bool{false, true} {
			func() {
				defer func() {
					if e := recover(); e != nil {
						t.Fatalf("panic %v: code %d modify %v payload %x value %s", e, code, modify, p, ctNorm(cur))
					}
				}()
				applyCDTOp(modify, p, cur, exists)
			}()
		}
		if !bytes.Equal(before, value.EncodeMsgpack(cur)) {
			t.Fatalf("value mutated by code %d payload %x", code, p)
		}
	}
}

// FuzzCDT feeds arbitrary payloads to applyCDTOp.
func FuzzCDT(f *testing.F) {
	f.Add(true, ctPL(1, 5))
	f.Add(false, ctPL(25, ctRtValue, 1, 3))
	f.Add(true, ctPLC([]any{0x22 | 0x40, "a", 0x10 | 0x80, 3}, 67, "k", 1, 1))
	f.Fuzz(func(t *testing.T, modify bool, p []byte) {
		cur := ctL(1, "a", ctL(2, 3), ctM("k", ctL(4)), 2.5)
		before := value.EncodeMsgpack(cur)
		applyCDTOp(modify, p, cur, true)
		applyCDTOp(modify, p, nil, false)
		applyCDTOp(modify, p, ctM("a", 1, "b", ctM("c", ctL(1))), true)
		if !bytes.Equal(before, value.EncodeMsgpack(cur)) {
			t.Fatal("value mutated")
		}
	})
}
