package cdt

import (
	"math"
	"testing"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

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
			ctRE("index 1 VALUE|INV (single)", ctPL(19, ctRtValue|ctRtInv, 1), wire.OpNotApplicable),
			ctR("index range 1,2 INDEX_RANGE", ctPL(24, 9, 1, 2), "[1,2]"),
			ctR("index range 1,2 REV_INDEX_RANGE", ctPL(24, 10, 1, 2), "[1,2]"),
			ctRE("index range RANK_RANGE (unordered)", ctPL(24, 11, 1, 2), wire.OpNotApplicable),
			ctRE("KEY on a list", ctPL(24, ctRtKey, 0), wire.OpNotApplicable),
			ctRE("KEY_VALUE on a list", ctPL(24, ctRtKV, 0), wire.OpNotApplicable),
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
			ctRE("rank 7 VALUE", ctPL(21, ctRtValue, 7), wire.OpNotApplicable),
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
			ctR("value [1,*] VALUE", ctPL(22, ctRtValue, ctL(1, value.Wildcard{})), `[[1,"a"],[1,"c",9]]`),
			ctR("value [*,b] INDEX", ctPL(22, ctRtIndex, ctL(value.Wildcard{}, "b")), "[0,1,2]"),
			ctR("value range [[1],[1,inf]) COUNT", ctPL(25, ctRtCount, ctL(1), ctL(1, value.Infinity{})), "2"),
			ctWE("append a wildcard", ctListAppendOp(value.Wildcard{}), wire.ParameterError),
		}},
		{"ordered_list", ctL(), []cdtStep{
			ctW("set type ordered", ctPL(0, 1), "-"),
			ctW("append items 3,1,2,1", ctListAppendPolicyOp(0, 0, 3, 1, 2, 1), "4").then("[1,1,2,3]"),
			ctWE("add unique 2", ctListAppendPolicyOp(0, 1, 2), wire.ElementExists).then("[1,1,2,3]"),
			ctWE("insert on ordered list", ctPL(3, 0, 5), wire.OpNotApplicable),
			ctWE("set on ordered list", ctPL(9, 0, 5), wire.OpNotApplicable),
			ctW("increment index 0 by 10 re-sorts", ctPL(12, 0, 10), "11").then("[1,2,3,11]"),
			ctW("increment index 4 appends", ctPL(12, 4, 1), "1").then("[1,1,2,3,11]"),
			ctWE("increment index 9 (past end)", ctPL(12, 9, 1), wire.OpNotApplicable),
			ctR("rank range 1,2 RANK_RANGE", ctPL(26, 11, 1, 2), "[1,2]"),
			ctR("index range 1,2 RANK_RANGE", ctPL(24, 11, 1, 2), "[1,2]"),
			ctW("sort descending is a no-op", ctPL(13, 1), "-").then("[1,1,2,3,11]"),
			ctW("sort drop duplicates", ctPL(13, 2), "-").then("[1,2,3,11]"),
			ctW("set type unordered", ctPL(0, 0), "-"),
			ctW("insert now works", ctPL(3, 0, 99), "5").then("[99,1,2,3,11]"),
		}},
		{"ordered_add_unique_items", nil, []cdtStep{
			ctW("create ordered", ctListAppendPolicyOp(1, 0, 5, 3), "2"),
			ctWE("unique items with a repeat", ctListAppendPolicyOp(1, 1, 7, 7), wire.OpNotApplicable),
			ctW("unique|nofail items with a repeat", ctListAppendPolicyOp(1, 5, 7, 7), "2"),
			ctWE("unique items with an existing", ctListAppendPolicyOp(1, 1, 3, 8), wire.ElementExists),
			ctW("unique|nofail|partial", ctListAppendPolicyOp(1, 13, 3, 8, 8), "3").then("[3,5,8]"),
		}},
		{"unique_items_unordered", ctL(1), []cdtStep{
			ctWE("repeat within items", ctListAppendPolicyOp(0, 1, 2, 2), wire.OpNotApplicable),
			ctW("repeat within items, nofail", ctListAppendPolicyOp(0, 5, 2, 2), "1"),
			ctW("repeat within items, nofail|partial", ctListAppendPolicyOp(0, 13, 2, 2, 1), "2").then("[1,2]"),
			ctW("empty items", ctPL(2, ctL()), "2"),
		}},
		{"insert_and_set", ctL("a"), []cdtStep{
			ctW("insert items at -1", ctPL(4, -1, ctL("x", "y")), "3").then(`["x","y","a"]`),
			ctWE("insert at -9", ctPL(3, -9, "z"), wire.OpNotApplicable),
			ctWE("insert bounded past end", ctPL(3, 5, "z", 2), wire.OpNotApplicable),
			ctW("insert bounded|nofail past end", ctPL(3, 5, "z", 6), "3"),
			ctW("insert bounded at end", ctPL(3, 3, "z", 2), "4").then(`["x","y","a","z"]`),
			ctW("set -1", ctPL(9, -1, "Z"), "-").then(`["x","y","a","Z"]`),
			ctWE("set -9", ctPL(9, -9, "Z"), wire.OpNotApplicable),
			ctW("set past end pads", ctPL(9, 5, "p"), "-").then(`["x","y","a","Z",null,"p"]`),
			ctWE("set unique duplicate", ctPL(9, 0, "y", 1), wire.ElementExists),
			ctW("set unique same place", ctPL(9, 1, "y", 1), "-"),
			ctW("set unique|nofail duplicate", ctPL(9, 0, "y", 5), "-").then(`["x","y","a","Z",null,"p"]`),
			ctWE("insert past 2^31", ctPL(3, int64(1)<<40, "z"), wire.OpNotApplicable),
			ctWE("insert far past end", ctPL(3, cdtMaxElements+5, "z"), wire.RecordTooBig),
		}},
		{"increment_types", ctL(1, 2.5), []cdtStep{
			ctW("int + float delta truncates", ctPL(12, 0, 1.9), "2"),
			ctW("float + int delta", ctPL(12, 1, 1), `{"float":3.5}`),
			ctW("no delta adds 1", ctPL(12, 0), "3"),
			ctW("nil delta adds 1", ctPL(12, 0, nil), "4"),
			ctW("past end creates float", ctPL(12, 3, 0.5), `{"float":0.5}`).then(`[4,{"float":3.5},null,{"float":0.5}]`),
			ctWE("string delta", ctPL(12, 0, "x"), wire.ParameterError),
			ctWE("negative past start", ctPL(12, -9, 1), wire.OpNotApplicable),
		}},
		{"increment_creates", nil, []cdtStep{
			ctWE("negative index on missing list", ctPL(12, -1, 1), wire.OpNotApplicable).then("missing"),
			ctW("index 1 on missing list", ctPL(12, 1, 7), "7").then("[null,7]"),
		}},
		{"pop_remove_trim", ctL("a", "b", "c", "d", "e"), []cdtStep{
			ctW("pop range 1,2", ctPL(6, 1, 2), `["b","c"]`),
			ctW("remove 0", ctPL(7, 0), "1").then(`["d","e"]`),
			ctWE("remove 5", ctPL(7, 5), wire.OpNotApplicable),
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
		{"sort_missing", nil, []cdtStep{ctWE("sort missing bin", ctPL(13, 0), wire.BinTypeError)}},
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
			ctRE("index min int", ctPL(19, ctRtValue, int64(math.MinInt64)), wire.OpNotApplicable),
			ctR("rel rank min int", ctPL(27, ctRtValue, 1, int64(math.MinInt64)), "[]"),
			ctR("rel rank max int", ctPL(27, ctRtValue, 1, int64(math.MaxInt64)), "[]"),
			ctR("rank range min int", ctPL(26, ctRtValue, int64(math.MinInt64), 3), "[]"),
			ctWE("insert min int", ctPL(3, int64(math.MinInt64), 1), wire.OpNotApplicable),
			ctWE("increment min int", ctPL(12, int64(math.MinInt64), 1), wire.OpNotApplicable),
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
			ctRE("rank range INDEX_RANGE", ctPL(106, 9, 0, 3), wire.OpNotApplicable),
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
			ctRE("key interval RANK_RANGE", ctPL(103, 11, "b", "d"), wire.OpNotApplicable),
			ctRE("key list RANK", ctPL(107, ctRtRank, ctL("a")), wire.OpNotApplicable),
			ctR("key list KEY|INV", ctPL(107, ctRtKey|ctRtInv, ctL("a", "c")), `["b","d"]`),
			ctR("rel index bb,0,2 KEY", ctPL(109, ctRtKey, "bb", 0, 2), `["c","d"]`),
			ctR("rel index bb,-1 KEY", ctPL(109, ctRtKey, "bb", -1), `["b","c","d"]`),
			ctRE("key b KEY|INV (single)", ctPL(97, ctRtKey|ctRtInv, "b"), wire.OpNotApplicable),
		}},
		{"removes", m, []cdtStep{
			ctW("remove by value 10 KEY (single)", ctPL(78, ctRtKey, 10), `"b"`),
			ctW("remove by rank range -1 KV", ctPL(87, ctRtKV, -1), `{"orderedMap":[["a",30]]}`),
			ctW("remove by value interval [0,) COUNT|INV", ctPL(86, ctRtCount|ctRtInv, 15), "1").then(`{"map":[["c",20]]}`),
			ctW("remove by key interval none", ctPL(84, ctRtCount, "x", "z"), "0"),
			ctW("remove by index 0 VALUE", ctPL(77, ctRtValue, 0), "20").then(`{"map":[]}`),
			ctWE("remove by index 0 on empty", ctPL(77, ctRtValue, 0), wire.OpNotApplicable),
			ctW("remove by index range on empty", ctPL(85, ctRtValue, 0), "[]"),
		}},
		{"kv_ordered_value_order", ctWithOrder(ctM("a", 3, "b", 1, "c", 2), value.MapKeyValueOrdered), []cdtStep{
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
			ctWE("set value ordered only", ctPL(64, 2), wire.OpNotApplicable),
			ctW("set kv ordered", ctPL(64, 3), "-"),
			ctW("set unordered", ctPL(64, 0), "-").then(`{"map":[["a",2],["b",1]]}`),
		}},
		{"set_type_creates", nil, []cdtStep{
			ctW("set key ordered on missing", ctPL(64, 1), "-").then(`{"orderedMap":[]}`),
		}},
		{"add_replace", ctM("a", 1), []cdtStep{
			ctWE("add existing (create only)", ctPL(65, "a", 2, 0), wire.ElementExists),
			ctW("add new", ctPL(65, "b", 2, 0), "2"),
			ctWE("replace missing", ctPL(69, "z", 2), wire.ElementNotFound),
			ctW("replace existing", ctPL(69, "a", 9), "2"),
			ctW("add items new", ctPL(66, ctM("c", 3), 0), "3"),
			ctWE("replace items with a missing key", ctPL(70, ctM("a", 0, "q", 0)), wire.ElementNotFound),
			ctW("replace items", ctPL(70, ctM("a", 0, "b", 0)), "3").then(`{"map":[["a",0],["b",0],["c",3]]}`),
			ctW("update only|nofail|partial items", ctMapPutItemsOp(0, 14, ctM("a", 5, "q", 5)), "3").
				then(`{"map":[["a",5],["b",0],["c",3]]}`),
			ctW("update only|nofail items", ctMapPutItemsOp(0, 6, ctM("a", 6, "q", 6)), "3").
				then(`{"map":[["a",5],["b",0],["c",3]]}`),
			ctW("empty items", ctMapPutItemsOp(0, 0, ctM()), "3"),
			ctWE("items not a map", ctPL(68, ctL(1), 0), wire.ParameterError),
			ctWE("wildcard key", ctMapPutOp(value.Wildcard{}, 1), wire.ParameterError),
		}},
		{"replace_items_missing_bin", nil, []cdtStep{
			ctWE("replace items on missing bin", ctPL(70, ctM("a", 1)), wire.ElementNotFound),
			ctWE("replace on missing bin", ctPL(69, "a", 1), wire.ElementNotFound).then("missing"),
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
			ctWE("increment by string", ctPL(73, "i", "x", 0), wire.ParameterError),
		}},
	})
}

// TestCDTContexts covers context paths, including create flags.
func TestCDTContexts(t *testing.T) {
	runCDTScenarios(t, []cdtScenario{
		{"map_key_create_on_missing_bin", nil, []cdtStep{
			ctWE("no create flag", ctPLC([]any{0x22, "a"}, 67, "k", 1, 0), wire.OpNotApplicable),
			ctW("key-ordered create", ctPLC([]any{0x22 | 0x80, "a"}, 67, "k", 1, 0), "1").
				then(`{"orderedMap":[["a",{"map":[["k",1]]}]]}`),
		}},
		{"map_key_create_nested", ctM("x", 1), []cdtStep{
			ctW("two levels", ctPLC([]any{0x22 | 0x40, "a", 0x22, "b"}, 1, 7, 0, 0), "1").
				then(`{"map":[["a",{"map":[["b",[7]]]}],["x",1]]}`),
			ctW("existing path", ctPLC([]any{0x22, "a", 0x22, "b"}, 1, 8, 0, 0), "2"),
			ctWE("read through a missing key", ctPLC([]any{0x22, "q"}, 96), wire.OpNotApplicable),
			ctW("remove through a created path is a no-op", ctPLC([]any{0x22 | 0x40, "q"}, 76, ctRtCount, "z"), "-").
				then(`{"map":[["a",{"map":[["b",[7,8]]]}],["x",1]]}`),
			ctW("map op creates with its own order", ctPLC([]any{0x22 | 0x40, "m"}, 67, "k", 1, 1), "1"),
			ctR("created map is key ordered", ctPLC([]any{0x22, "m"}, 98, ctRtKV, 0), `{"orderedMap":[["k",1]]}`),
		}},
		{"list_index_create", nil, []cdtStep{
			ctWE("unordered create past 0", ctPLC([]any{0x10 | 0x40, 2}, 1, 1), wire.OpNotApplicable),
			ctW("unbound create pads", ctPLC([]any{0x10 | 0x80, 2}, 1, 1), "1").then(`[null,null,[1]]`),
			ctW("append past end with unbound flag", ctPLC([]any{0x10 | 0x80, 4}, 1, 2), "1").
				then(`[null,null,[1],null,[2]]`),
			ctW("append at end with unordered flag", ctPLC([]any{0x10 | 0x40, 5}, 67, "k", 1, 0), "1"),
			ctWE("past end without unbound", ctPLC([]any{0x10 | 0x40, 9}, 1, 2), wire.OpNotApplicable),
			ctRE("read past end", ctPLC([]any{0x10, 9}, 16), wire.OpNotApplicable),
			ctWE("list op on the map element", ctPLC([]any{0x10, 5}, 1, 2), wire.BinTypeError),
			ctWE("map step into a list", ctPLC([]any{0x22, "a"}, 16), wire.OpNotApplicable),
			ctWE("step into a scalar", ctPLC([]any{0x10, 0, 0x10, 0}, 16), wire.OpNotApplicable),
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
			ctRE("list step into a map", ctPLC([]any{0x10, 0}, 96), wire.OpNotApplicable),
			ctRE("key on a list step", ctPLC([]any{0x22, "a", 0x12, 0}, 96), wire.OpNotApplicable),
			ctRE("invalid create flags", ctPLC([]any{0x22 | 0x100, "a"}, 96), wire.OpNotApplicable),
			ctWE("map op on a map reached by value", ctPLC([]any{0x23, ctM("v", 1)}, 1, 1), wire.BinTypeError),
		}},
		{"context_into_scalar_bin", 5, []cdtStep{
			ctRE("read", ctPLC([]any{0x10, 0}, 16), wire.ParameterError),
			ctWE("write", ctPLC([]any{0x10 | 0x40, 0}, 1, 1), wire.ParameterError),
		}},
	})
}

func ctWithListOrder(l *value.List) *value.List { l.Ordered = true; return l }
