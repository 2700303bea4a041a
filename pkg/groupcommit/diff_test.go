package groupcommit

import (
	"fmt"
	"testing"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/txn"
)

func TestOpKinds(t *testing.T) {
	if !opFields.ok {
		t.Fatal("as.Operation's layout is not the expected one: every Operate would pass through")
	}
	for _, tc := range []struct {
		name  string
		ops   []*as.Operation
		rpeo  bool
		shape opsShape
	}{
		{"add+get", []*as.Operation{as.AddOp(as.NewBin("b", 1)), as.GetBinOp("b")}, false, opsShape{write: true}},
		{"get all", []*as.Operation{as.GetOp()}, false, opsShape{getAll: true}},
		{"header", []*as.Operation{as.GetHeaderOp()}, false, opsShape{header: true}},
		{"list", []*as.Operation{as.ListAppendOp("l", 1), as.ListSizeOp("l")}, false, opsShape{write: true}},
		{"map put", []*as.Operation{as.MapPutOp(as.DefaultMapPolicy(), "m", 1, 2)}, false,
			opsShape{write: true, respondAll: true, respondAllKinds: true}},
		{"map read", []*as.Operation{as.MapSizeOp("m")}, false, opsShape{respondAll: true, respondAllKinds: true}},
		{"respond per op", []*as.Operation{as.PutOp(as.NewBin("b", 1))}, true, opsShape{write: true, respondAll: true}},
		{"map and get all", []*as.Operation{as.MapSizeOp("m"), as.GetOp()}, false, opsShape{getAll: true, respondAllKinds: true}},
		{"touch, delete", []*as.Operation{as.TouchOp(), as.DeleteOp()}, false, opsShape{write: true}},
	} {
		if got := shapeOf(tc.ops, tc.rpeo); got != tc.shape {
			t.Errorf("%s: shape %+v, want %+v", tc.name, got, tc.shape)
		}
	}
}

// A step of the differential test: calls made through c on the keys k
// gives; the outcome of the last is compared.
type step struct {
	name string
	do   func(c txn.Client, k func(string) *as.Key) (*as.Record, error)
}

func wpWith(f func(*as.WritePolicy)) *as.WritePolicy {
	wp := writePolicy()
	f(wp)
	return wp
}

// TestDifferential runs the same calls through the plain client and
// through a Client, on two sets, and compares every record and error. The
// Client sends each call as a real batch (padded with a read of another
// key), or as a batch of one (which the client runs as a single command,
// parsed as a batch record).
func TestDifferential(t *testing.T) {
	t.Run("padded", func(t *testing.T) { differential(t, Options{}, true) })
	t.Run("batch-of-one", func(t *testing.T) { differential(t, Options{BatchOfOne: true}, false) })
}

func differential(t *testing.T, o Options, pad bool) {
	e := newEnv(t)
	setA, setB := e.set+"a", e.set+"b"
	gc := New(e.Client, o)
	if pad {
		gc.padKey = e.key(t, setB, "pad")
	}
	defer gc.Close()

	createOnly := wpWith(func(p *as.WritePolicy) { p.RecordExistsAction = as.CREATE_ONLY; p.SendKey = true })
	updateOnly := wpWith(func(p *as.WritePolicy) { p.RecordExistsAction = as.UPDATE_ONLY })
	mapCreate := as.NewMapPolicyWithFlags(as.MapOrder.KEY_ORDERED, as.MapWriteFlagsCreateOnly)
	addUnique := as.NewListPolicy(as.ListOrderUnordered, as.ListWriteFlagsAddUnique)
	addUniqueNoFail := as.NewListPolicy(as.ListOrderUnordered, as.ListWriteFlagsAddUnique|as.ListWriteFlagsNoFail)
	acquire := func(c txn.Client, k func(string) *as.Key) (*as.Record, error) {
		return c.Operate(updateOnly, k("a"),
			as.MapPutItemsOp(mapCreate, "lck", map[any]any{"txnid": "t1", "owner": "o1"}),
			as.PutOp(as.NewBin("lckto", 12345)),
			as.ListAppendWithPolicyOp(addUnique, "ptxns", "a:t1"))
	}
	op := func(name string, wp *as.WritePolicy, key string, ops ...*as.Operation) step {
		return step{name, func(c txn.Client, k func(string) *as.Key) (*as.Record, error) {
			return c.Operate(wp, k(key), ops...)
		}}
	}
	put := func(name string, wp *as.WritePolicy, key string, bins as.BinMap) step {
		return step{name, func(c txn.Client, k func(string) *as.Key) (*as.Record, error) {
			return nil, c.Put(wp, k(key), bins)
		}}
	}
	get := func(name, key string, bins ...string) step {
		return step{name, func(c txn.Client, k func(string) *as.Key) (*as.Record, error) {
			return c.Get(readPolicy(), k(key), bins...)
		}}
	}
	steps := []step{
		get("get missing", "a"),
		op("operate update-only missing", updateOnly, "a", as.AddOp(as.NewBin("bal", 1))),
		put("put create-only", createOnly, "a", as.BinMap{"name": "a", "bal": 10}),
		put("put create-only again", createOnly, "a", as.BinMap{"name": "a", "bal": 11}),
		get("get all", "a"),
		get("get bins", "a", "bal", "name", "nope"),
		get("get a bin twice", "a", "bal", "bal"),
		get("get a missing bin", "a", "nope"),
		{"get filtered out", func(c txn.Client, k func(string) *as.Key) (*as.Record, error) {
			p := readPolicy()
			p.FilterExpression = as.ExpLess(as.ExpIntBin("bal"), as.ExpIntVal(0))
			return c.Get(p, k("a"))
		}},
		{"get filter passes", func(c txn.Client, k func(string) *as.Key) (*as.Record, error) {
			p := readPolicy()
			p.FilterExpression = as.ExpGreater(as.ExpIntBin("bal"), as.ExpIntVal(0))
			return c.Get(p, k("a"), "bal")
		}},
		op("add+get", writePolicy(), "a", as.AddOp(as.NewBin("bal", 5)), as.GetBinOp("bal")),
		op("add only", writePolicy(), "a", as.AddOp(as.NewBin("bal", 1))),
		op("get, add, get", writePolicy(), "a", as.GetBinOp("bal"), as.AddOp(as.NewBin("bal", 1)), as.GetBinOp("bal")),
		op("generation wrong", wpWith(func(p *as.WritePolicy) { p.GenerationPolicy, p.Generation = as.EXPECT_GEN_EQUAL, 999 }),
			"a", as.AddOp(as.NewBin("bal", 1))),
		{"generation right", func(c txn.Client, k func(string) *as.Key) (*as.Record, error) {
			r, err := c.Get(readPolicy(), k("a"))
			if err != nil {
				return nil, err
			}
			wp := wpWith(func(p *as.WritePolicy) { p.GenerationPolicy, p.Generation = as.EXPECT_GEN_EQUAL, r.Generation })
			return c.Operate(wp, k("a"), as.AddOp(as.NewBin("bal", 1)), as.GetBinOp("bal"))
		}},
		op("filter passes", wpWith(func(p *as.WritePolicy) { p.FilterExpression = as.ExpGreater(as.ExpIntBin("bal"), as.ExpIntVal(0)) }),
			"a", as.AddOp(as.NewBin("bal", 1)), as.GetBinOp("bal")),
		op("filtered out", wpWith(func(p *as.WritePolicy) { p.FilterExpression = as.ExpLess(as.ExpIntBin("bal"), as.ExpIntVal(0)) }),
			"a", as.AddOp(as.NewBin("bal", 1))),
		{"acquire", acquire},
		{"acquire again: map create-only conflict", acquire},
		op("list add-unique conflict", writePolicy(), "a", as.ListAppendWithPolicyOp(addUnique, "ptxns", "a:t1")),
		op("list add-unique no-fail", writePolicy(), "a", as.ListAppendWithPolicyOp(addUniqueNoFail, "ptxns", "a:t1", "a:t2")),
		op("re-enter", updateOnly, "a", as.PutOp(as.NewBin("lckto", 23456)), as.GetBinOp("ptxns"), as.AddOp(as.NewBin("bal", 0))),
		op("release", updateOnly, "a", as.PutOp(as.NewBin("lck", nil)), as.PutOp(as.NewBin("lckto", nil)),
			as.ListRemoveByValueOp("ptxns", "a:t1", as.ListReturnTypeNone), as.AddOp(as.NewBin("bal", 7))),
		op("release returning", updateOnly, "a", as.ListRemoveByValueOp("ptxns", "a:t2", as.ListReturnTypeCount),
			as.ListAppendOp("ptxns", "x"), as.ListSizeOp("ptxns")),
		op("read ops", writePolicy(), "a", as.GetBinOp("bal"), as.ListSizeOp("ptxns"), as.GetBinOp("nope")),
		op("read ops, missing record", writePolicy(), "zz", as.GetBinOp("bal")),
		op("map read (passed through)", writePolicy(), "a", as.MapSizeOp("lck")),
		op("get all + add (passed through)", writePolicy(), "a", as.GetOp(), as.AddOp(as.NewBin("bal", 1))),
		op("get all", writePolicy(), "a", as.GetOp()),
		op("header (passed through)", writePolicy(), "a", as.GetHeaderOp()),
		op("respond per op", wpWith(func(p *as.WritePolicy) { p.RespondPerEachOp = true }), "a",
			as.AddOp(as.NewBin("bal", 1)), as.PutOp(as.NewBin("x", 1)), as.GetBinOp("bal")),
		op("exp read beside a write", writePolicy(), "a", as.AddOp(as.NewBin("bal", 1)),
			as.ExpReadOp("twice", as.ExpNumMul(as.ExpIntBin("bal"), as.ExpIntVal(2)), as.ExpReadFlagDefault)),
		op("map put returning size", writePolicy(), "a", as.MapPutOp(as.DefaultMapPolicy(), "m", "k", 1), as.PutOp(as.NewBin("y", 2))),
		op("add to a string", writePolicy(), "a", as.AddOp(as.NewBin("name", 1))),
		op("create by add", writePolicy(), "n", as.AddOp(as.NewBin("bal", 3))),
		op("create-only on existing", createOnly, "n", as.AddOp(as.NewBin("bal", 3))),
		op("replace-only missing", wpWith(func(p *as.WritePolicy) { p.RecordExistsAction = as.REPLACE_ONLY }),
			"nn", as.PutOp(as.NewBin("bal", 3))),
		op("touch and read", writePolicy(), "n", as.TouchOp(), as.GetBinOp("bal")),
		put("put replace", wpWith(func(p *as.WritePolicy) { p.RecordExistsAction = as.REPLACE }), "r", as.BinMap{"x": 1, "y": "s", "z": []any{1, 2}}),
		put("put update-only missing", updateOnly, "missing", as.BinMap{"x": 1}),
		put("put deletes a bin", writePolicy(), "r", as.BinMap{"x": nil}),
		get("get after", "r"),
		put("put with expiration", wpWith(func(p *as.WritePolicy) { p.Expiration = 1000 }), "c", as.BinMap{"v": 1}),
		get("get expiration", "c"),
		put("put deletes every bin", writePolicy(), "r", as.BinMap{"y": nil, "z": nil}),
		get("get deleted", "r"),
		op("delete op", writePolicy(), "n", as.DeleteOp()),
		get("get after delete", "n"),
		{"caller's batch", func(c txn.Client, k func(string) *as.Key) (*as.Record, error) {
			gen := as.NewBatchWritePolicy()
			gen.GenerationPolicy, gen.Generation = as.EXPECT_GEN_EQUAL, 77
			create := as.NewBatchWritePolicy()
			create.RecordExistsAction = as.CREATE_ONLY
			recs := []as.BatchRecordIfc{
				as.NewBatchWrite(create, k("d"), as.PutOp(as.NewBin("v", 1)), as.GetBinOp("v")),
				as.NewBatchRead(nil, k("c"), nil),
				as.NewBatchWrite(gen, k("c"), as.AddOp(as.NewBin("v", 1))),
				as.NewBatchRead(nil, k("missing"), []string{"v"}),
				as.NewBatchWrite(create, k("a"), as.PutOp(as.NewBin("v", 1))),
			}
			err := c.BatchOperate(batchPolicy(), recs)
			bins := as.BinMap{}
			for i, r := range recs {
				br := r.BatchRec()
				var rb any
				if br.Record != nil {
					rb = []any{br.Record.Bins, br.Record.Generation}
				}
				bins[fmt.Sprint(i)] = []any{br.ResultCode, br.InDoubt, rb}
			}
			return &as.Record{Bins: bins}, err
		}},
	}
	ka := func(n string) *as.Key { return e.key(t, setA, n) }
	kb := func(n string) *as.Key { return e.key(t, setB, n) }
	for _, s := range steps {
		ra, ea := s.do(e.Client, ka)
		rb, eb := s.do(gc, kb)
		a, b := outcomeOf(ra, ea), outcomeOf(rb, eb)
		if !sameOutcome(a, b) {
			t.Errorf("%s:\n plain:   %v\n batched: %v", s.name, a, b)
		} else {
			t.Logf("%s: %v", s.name, a)
		}
	}
	st := gc.Stats()
	t.Logf("stats %+v", st)
	if st.Singles < 45 {
		t.Errorf("only %d calls sent as padded batches", st.Singles)
	}
}
