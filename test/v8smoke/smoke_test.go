package v8smoke

// Smoke tests of aerolite with aerospike-client-go v8 against in-process
// servers on 127.0.0.1: the commands an application uses most, and the 8.1
// info syntax the client switches to when the server reports 8.1.

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v8"
	"github.com/aerospike/aerospike-client-go/v8/types"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

const ns = "test"

// setup starts a server and connects a v8 client; both are closed when the
// test ends.
func setup(t *testing.T) (*aerolite.Server, *as.Client) {
	t.Helper()
	srv, err := aerolite.Run()
	if err != nil {
		t.Fatalf("start aerolite: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	cp := as.NewClientPolicy()
	cp.Timeout = 5 * time.Second
	c, err := as.NewClientWithPolicy(cp, srv.Host(), srv.Port())
	if err != nil {
		t.Fatalf("connect to aerolite at %s: %v", srv.Addr(), err)
	}
	t.Cleanup(c.Close)
	return srv, c
}

func key(t *testing.T, set string, k any) *as.Key {
	t.Helper()
	kk, err := as.NewKey(ns, set, k)
	if err != nil {
		t.Fatalf("NewKey(%s, %s, %v): %v", ns, set, k, err)
	}
	return kk
}

// wp is a write policy without retries: a test sees the first outcome.
func wp() *as.WritePolicy {
	p := as.NewWritePolicy(0, 0)
	p.MaxRetries = 0
	p.TotalTimeout = 5 * time.Second
	return p
}

func mustPut(t *testing.T, c *as.Client, k *as.Key, bins as.BinMap) {
	t.Helper()
	if err := c.Put(wp(), k, bins); err != nil {
		t.Fatalf("Put(%v): %v", k, err)
	}
}

func mustGet(t *testing.T, c *as.Client, k *as.Key, bins ...string) *as.Record {
	t.Helper()
	rec, err := c.Get(nil, k, bins...)
	if err != nil {
		t.Fatalf("Get(%v): %v", k, err)
	}
	return rec
}

// isCode reports whether err is an Aerospike error with result code rc.
func isCode(err error, rc types.ResultCode) bool {
	var ae as.Error
	return errors.As(err, &ae) && ae.Matches(rc)
}

// info sends info commands to the only node.
func info(t *testing.T, c *as.Client, names ...string) map[string]string {
	t.Helper()
	nodes := c.GetNodes()
	if len(nodes) != 1 {
		t.Fatalf("client sees %d nodes, want 1", len(nodes))
	}
	m, err := nodes[0].RequestInfo(as.NewInfoPolicy(), names...)
	if err != nil {
		t.Fatalf("info %v: %v", names, err)
	}
	return m
}

// drain returns a function that reads a recordset to its end:
// drain(t)(c.ScanAll(...)).
func drain(t *testing.T) func(*as.Recordset, as.Error) []*as.Record {
	return func(rs *as.Recordset, err as.Error) []*as.Record {
		t.Helper()
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		var out []*as.Record
		for res := range rs.Results() {
			if res.Err != nil {
				t.Fatalf("query result: %v", res.Err)
			}
			out = append(out, res.Record)
		}
		return out
	}
}

// ints returns the int values of bin in recs, sorted.
func ints(recs []*as.Record, bin string) []int {
	var out []int
	for _, r := range recs {
		out = append(out, r.Bins[bin].(int))
	}
	sort.Ints(out)
	return out
}

// waitTask waits for an index task. The client polls sindex-stat (8.1) and
// gives up polling for load_pct only after 20 tries, several seconds, so a
// quick completion shows the server answered the 8.1 command.
func waitTask(t *testing.T, what string, ch chan as.Error) {
	t.Helper()
	select {
	case err := <-ch:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("%s did not complete in 3s (the server does not answer the client's status command?)", what)
	}
}

func TestClientSeesServer81(t *testing.T) {
	_, c := setup(t)
	nodes := c.GetNodes()
	if len(nodes) != 1 {
		t.Fatalf("client sees %d nodes, want 1", len(nodes))
	}
	v := nodes[0].GetServerVersion()
	// The rest of this suite is about the 8.1 dialect: make sure the client
	// speaks it.
	if s := v.String(); !strings.HasPrefix(s, "8.1.") {
		t.Fatalf("client sees server version %s, want 8.1.x", s)
	}
	if !nodes[0].SupportsPartitionQuery() || !nodes[0].SupportsBatchAny() {
		t.Fatalf("node does not support partition queries or batch-any")
	}
}

func TestPutGet(t *testing.T) {
	_, c := setup(t)
	k := key(t, "kv", "k1")
	bins := as.BinMap{
		"i": 42, "s": "hello", "f": 1.5, "b": []byte{1, 2, 3},
		"l": []any{1, "two", 3.0}, "m": map[any]any{"a": 1, "b": "x"},
	}
	mustPut(t, c, k, bins)
	rec := mustGet(t, c, k)
	for name, want := range bins {
		if got := rec.Bins[name]; !reflect.DeepEqual(got, want) {
			t.Errorf("bin %s = %#v, want %#v", name, got, want)
		}
	}
	if rec.Generation != 1 {
		t.Errorf("generation = %d, want 1", rec.Generation)
	}
	if rec := mustGet(t, c, k, "s"); len(rec.Bins) != 1 || rec.Bins["s"] != "hello" {
		t.Errorf("get one bin: %v", rec.Bins)
	}
	hdr, err := c.GetHeader(nil, k)
	if err != nil || len(hdr.Bins) != 0 || hdr.Generation != 1 {
		t.Errorf("GetHeader: %v %v", hdr, err)
	}
	if ok, err := c.Exists(nil, k); !ok || err != nil {
		t.Errorf("Exists = %v, %v", ok, err)
	}
	if err := c.Touch(wp(), k); err != nil {
		t.Errorf("Touch: %v", err)
	}
	if rec := mustGet(t, c, k); rec.Generation != 2 {
		t.Errorf("generation after touch = %d, want 2", rec.Generation)
	}

	// Write policies: create-only and generation checks.
	p := wp()
	p.RecordExistsAction = as.CREATE_ONLY
	if err := c.Put(p, k, as.BinMap{"i": 1}); !isCode(err, types.KEY_EXISTS_ERROR) {
		t.Errorf("create-only put on an existing record: %v", err)
	}
	p = wp()
	p.GenerationPolicy = as.EXPECT_GEN_EQUAL
	p.Generation = 1
	if err := c.Put(p, k, as.BinMap{"i": 1}); !isCode(err, types.GENERATION_ERROR) {
		t.Errorf("put with a stale generation: %v", err)
	}

	if existed, err := c.Delete(wp(), k); !existed || err != nil {
		t.Errorf("Delete = %v, %v", existed, err)
	}
	if _, err := c.Get(nil, k); !isCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Errorf("get after delete: %v", err)
	}
	if ok, err := c.Exists(nil, k); ok || err != nil {
		t.Errorf("Exists after delete = %v, %v", ok, err)
	}
}

func TestOperate(t *testing.T) {
	_, c := setup(t)
	k := key(t, "op", 1)
	mustPut(t, c, k, as.BinMap{"n": 10, "s": "ab", "l": []any{1}, "m": map[any]any{"x": 1}})
	rec, err := c.Operate(wp(), k,
		as.AddOp(as.NewBin("n", 5)),
		as.AppendOp(as.NewBin("s", "cd")),
		as.PutOp(as.NewBin("new", "v")),
		as.ListAppendOp("l", 2, 3),
		as.MapPutOp(as.DefaultMapPolicy(), "m", "y", 2),
		as.GetBinOp("n"),
		as.GetBinOp("s"),
		as.ListSizeOp("l"),
		as.MapGetByKeyOp("m", "y", as.MapReturnType.VALUE),
	)
	if err != nil {
		t.Fatalf("Operate: %v", err)
	}
	// A map operation makes the server answer every op (nil for plain
	// writes); several results for one bin come back in op order.
	wantRes := as.BinMap{
		"n":   as.OpResults{nil, 15},
		"s":   as.OpResults{nil, "abcd"},
		"new": nil,
		"l":   as.OpResults{3, 3}, // list size after the append, then ListSize
		"m":   as.OpResults{2, 2}, // map size after the put, then the value
	}
	if !reflect.DeepEqual(rec.Bins, wantRes) {
		t.Errorf("operate results = %#v, want %#v", rec.Bins, wantRes)
	}
	// Without map ops, only reads answer.
	rec, err = c.Operate(wp(), k, as.AddOp(as.NewBin("n", 0)), as.GetBinOp("n"))
	if err != nil || !reflect.DeepEqual(rec.Bins, as.BinMap{"n": 15}) {
		t.Errorf("add + get = %v, %v", rec, err)
	}
	got := mustGet(t, c, k)
	want := as.BinMap{"n": 15, "s": "abcd", "new": "v", "l": []any{1, 2, 3}, "m": map[any]any{"x": 1, "y": 2}}
	if !reflect.DeepEqual(got.Bins, want) {
		t.Errorf("record after operate = %v, want %v", got.Bins, want)
	}
	// An inapplicable op fails the whole command and changes nothing.
	if _, err := c.Operate(wp(), k, as.AddOp(as.NewBin("n", 1)), as.AddOp(as.NewBin("s", 1))); !isCode(err, types.BIN_TYPE_ERROR) {
		t.Errorf("add to a string bin: %v", err)
	}
	if got := mustGet(t, c, k, "n"); got.Bins["n"] != 15 {
		t.Errorf("failed operate changed n to %v", got.Bins["n"])
	}
	// Operate on a missing record with only reads.
	if _, err := c.Operate(nil, key(t, "op", "missing"), as.GetOp()); !isCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Errorf("read-only operate on a missing record: %v", err)
	}
}

func TestFilterExpressions(t *testing.T) {
	_, c := setup(t)
	k := key(t, "exp", 1)
	mustPut(t, c, k, as.BinMap{"a": 5, "s": "x"})

	rp := as.NewPolicy()
	rp.FilterExpression = as.ExpGreater(as.ExpIntBin("a"), as.ExpIntVal(3))
	if rec, err := c.Get(rp, k); err != nil || rec.Bins["a"] != 5 {
		t.Errorf("get with a matching filter: %v %v", rec, err)
	}
	rp.FilterExpression = as.ExpAnd(
		as.ExpEq(as.ExpStringBin("s"), as.ExpStringVal("x")),
		as.ExpLess(as.ExpIntBin("a"), as.ExpIntVal(3)),
	)
	if _, err := c.Get(rp, k); !isCode(err, types.FILTERED_OUT) {
		t.Errorf("get with a failing filter: %v", err)
	}

	p := wp()
	p.FilterExpression = as.ExpEq(as.ExpIntBin("a"), as.ExpIntVal(6))
	if err := c.Put(p, k, as.BinMap{"a": 100}); !isCode(err, types.FILTERED_OUT) {
		t.Errorf("put with a failing filter: %v", err)
	}
	p.FilterExpression = as.ExpEq(as.ExpIntBin("a"), as.ExpIntVal(5))
	if _, err := c.Operate(p, k, as.AddOp(as.NewBin("a", 1))); err != nil {
		t.Errorf("operate with a matching filter: %v", err)
	}
	if got := mustGet(t, c, k); got.Bins["a"] != 6 {
		t.Errorf("a = %v, want 6", got.Bins["a"])
	}

	// Read and write expressions as operations.
	rec, err := c.Operate(wp(), k,
		as.ExpWriteOp("b", as.ExpNumAdd(as.ExpIntBin("a"), as.ExpIntVal(10)), as.ExpWriteFlagDefault),
		as.ExpReadOp("twice", as.ExpNumMul(as.ExpIntBin("a"), as.ExpIntVal(2)), as.ExpReadFlagDefault),
	)
	if err != nil || rec.Bins["twice"] != 12 {
		t.Errorf("expression operations: %v %v", rec, err)
	}
	if got := mustGet(t, c, k, "b"); got.Bins["b"] != 16 {
		t.Errorf("b = %v, want 16", got.Bins["b"])
	}

	// A filter on a scan.
	for i := 0; i < 20; i++ {
		mustPut(t, c, key(t, "expscan", i), as.BinMap{"i": i})
	}
	sp := as.NewScanPolicy()
	sp.FilterExpression = as.ExpEq(as.ExpNumMod(as.ExpIntBin("i"), as.ExpIntVal(5)), as.ExpIntVal(0))
	got := ints(drain(t)(c.ScanAll(sp, ns, "expscan")), "i")
	if !reflect.DeepEqual(got, []int{0, 5, 10, 15}) {
		t.Errorf("filtered scan returned %v", got)
	}
}

func TestBatch(t *testing.T) {
	_, c := setup(t)
	var keys []*as.Key
	for i := 0; i < 10; i++ {
		k := key(t, "batch", i)
		keys = append(keys, k)
		if i < 8 {
			mustPut(t, c, k, as.BinMap{"i": i, "s": fmt.Sprint("v", i)})
		}
	}
	recs, err := c.BatchGet(nil, keys, "i")
	if err != nil {
		t.Fatalf("BatchGet: %v", err)
	}
	for i, r := range recs {
		switch {
		case i < 8 && (r == nil || len(r.Bins) != 1 || r.Bins["i"] != i):
			t.Errorf("BatchGet[%d] = %v", i, r)
		case i >= 8 && r != nil:
			t.Errorf("BatchGet[%d] of a missing key = %v", i, r)
		}
	}
	exists, err := c.BatchExists(nil, keys)
	if err != nil {
		t.Fatalf("BatchExists: %v", err)
	}
	for i, e := range exists {
		if e != (i < 8) {
			t.Errorf("BatchExists[%d] = %v", i, e)
		}
	}

	ops := []as.BatchRecordIfc{
		as.NewBatchRead(nil, keys[0], []string{"s"}),
		as.NewBatchReadOps(nil, keys[1], as.GetBinOp("i")),
		as.NewBatchWrite(nil, keys[2], as.AddOp(as.NewBin("i", 100)), as.GetBinOp("i")),
		as.NewBatchWrite(nil, keys[9], as.PutOp(as.NewBin("i", 9))),
		as.NewBatchDelete(nil, keys[3]),
		as.NewBatchRead(nil, keys[8], nil),
	}
	if err := c.BatchOperate(nil, ops); err != nil {
		t.Fatalf("BatchOperate: %v", err)
	}
	br := func(i int) *as.BatchRecord { return ops[i].BatchRec() }
	if r := br(0); r.ResultCode != types.OK || r.Record.Bins["s"] != "v0" {
		t.Errorf("batch read: %v %v", r.ResultCode, r.Record)
	}
	if r := br(1); r.ResultCode != types.OK || r.Record.Bins["i"] != 1 {
		t.Errorf("batch read ops: %v %v", r.ResultCode, r.Record)
	}
	// Batch writes answer every op: nil for the add, then the read.
	if r := br(2); r.ResultCode != types.OK || !reflect.DeepEqual(r.Record.Bins["i"], as.OpResults{nil, 102}) {
		t.Errorf("batch write: %v %v", r.ResultCode, r.Record)
	}
	if r := br(3); r.ResultCode != types.OK {
		t.Errorf("batch write creating a record: %v", r.ResultCode)
	}
	if r := br(4); r.ResultCode != types.OK {
		t.Errorf("batch delete: %v", r.ResultCode)
	}
	if r := br(5); r.ResultCode != types.KEY_NOT_FOUND_ERROR {
		t.Errorf("batch read of a missing key: %v", r.ResultCode)
	}
	if got := mustGet(t, c, keys[9]); got.Bins["i"] != 9 {
		t.Errorf("record written by the batch: %v", got.Bins)
	}
	if ok, _ := c.Exists(nil, keys[3]); ok {
		t.Errorf("record deleted by the batch still exists")
	}
}

func TestScan(t *testing.T) {
	_, c := setup(t)
	const n = 300
	for i := 0; i < n; i++ {
		mustPut(t, c, key(t, "scan", i), as.BinMap{"i": i, "pad": "x"})
	}
	mustPut(t, c, key(t, "other", 1), as.BinMap{"i": -1})

	recs := drain(t)(c.ScanAll(nil, ns, "scan", "i"))
	got := ints(recs, "i")
	if len(got) != n || got[0] != 0 || got[n-1] != n-1 {
		t.Fatalf("ScanAll returned %d records", len(got))
	}
	for _, r := range recs {
		if len(r.Bins) != 1 {
			t.Fatalf("ScanAll with a bin list returned %v", r.Bins)
		}
	}
	// The partition ranges of a scan partition the set.
	seen := map[int]bool{}
	for _, r := range [][2]int{{0, 1000}, {1000, 1000}, {2000, 2096}} {
		for _, i := range ints(drain(t)(c.ScanPartitions(nil, as.NewPartitionFilterByRange(r[0], r[1]), ns, "scan")), "i") {
			if seen[i] {
				t.Fatalf("record %d in two partition ranges", i)
			}
			seen[i] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("partition scans returned %d records, want %d", len(seen), n)
	}
	// MaxRecords pages through the scan.
	sp := as.NewScanPolicy()
	sp.MaxRecords = 100
	pf := as.NewPartitionFilterAll()
	total := 0
	for page := 0; !pf.IsDone() && page < 10; page++ {
		total += len(drain(t)(c.ScanPartitions(sp, pf, ns, "scan")))
	}
	if total != n {
		t.Fatalf("paged scan returned %d records, want %d", total, n)
	}
}

func TestSecondaryIndex(t *testing.T) {
	_, c := setup(t)
	const set = "people"
	names := []string{"ann", "bob", "cy", "dee"}
	for i := 0; i < 100; i++ {
		mustPut(t, c, key(t, set, i), as.BinMap{"age": i % 25, "name": names[i%4], "i": i})
	}
	task, err := c.CreateIndex(nil, ns, set, "idx_age", "age", as.NUMERIC)
	if err != nil {
		t.Fatalf("CreateIndex numeric: %v", err)
	}
	waitTask(t, "numeric index", task.OnComplete())
	task, err = c.CreateIndex(nil, ns, set, "idx_name", "name", as.STRING)
	if err != nil {
		t.Fatalf("CreateIndex string: %v", err)
	}
	waitTask(t, "string index", task.OnComplete())
	// Creating the same index again is not an error.
	if _, err := c.CreateIndex(nil, ns, set, "idx_age", "age", as.NUMERIC); err != nil && !isCode(err, types.INDEX_FOUND) {
		t.Errorf("CreateIndex again: %v", err)
	}
	// Written after creation: indexed too.
	mustPut(t, c, key(t, set, "late"), as.BinMap{"age": 3, "name": "zed", "i": 1000})

	stmt := as.NewStatement(ns, set, "i")
	stmt.SetFilter(as.NewRangeFilter("age", 3, 4))
	got := ints(drain(t)(c.Query(nil, stmt)), "i")
	want := []int{3, 4, 28, 29, 53, 54, 78, 79, 1000}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("range query returned %v, want %v", got, want)
	}
	stmt = as.NewStatement(ns, set, "i")
	stmt.SetFilter(as.NewEqualFilter("name", "zed"))
	if got := ints(drain(t)(c.Query(nil, stmt)), "i"); !reflect.DeepEqual(got, []int{1000}) {
		t.Errorf("equality query returned %v", got)
	}
	// An index query with a filter expression.
	qp := as.NewQueryPolicy()
	qp.FilterExpression = as.ExpEq(as.ExpStringBin("name"), as.ExpStringVal("ann"))
	stmt = as.NewStatement(ns, set, "i")
	stmt.SetFilter(as.NewRangeFilter("age", 0, 24))
	got = ints(drain(t)(c.Query(qp, stmt)), "i")
	if len(got) != 25 || got[0] != 0 || got[24] != 96 {
		t.Errorf("index + expression query returned %v", got)
	}
	// A query without a filter is a scan.
	if got := drain(t)(c.Query(nil, as.NewStatement(ns, set))); len(got) != 101 {
		t.Errorf("query without a filter returned %d records, want 101", len(got))
	}

	// The index is listed and its stats answered in both dialects.
	m := info(t, c, "sindex-list:namespace="+ns, "sindex-stat:namespace="+ns+";indexname=idx_age", "sindex/"+ns+"/idx_age")
	if l := m["sindex-list:namespace="+ns]; !strings.Contains(l, "indexname=idx_age") || !strings.Contains(l, "indexname=idx_name") {
		t.Errorf("sindex-list = %q", l)
	}
	for _, cmd := range []string{"sindex-stat:namespace=" + ns + ";indexname=idx_age", "sindex/" + ns + "/idx_age"} {
		if !strings.Contains(m[cmd], "load_pct=100") {
			t.Errorf("%s = %q", cmd, m[cmd])
		}
	}

	// Dropping waits for sindex-exists to answer false.
	done := make(chan as.Error, 1)
	go func() { done <- c.DropIndex(nil, ns, set, "idx_name") }()
	waitTask(t, "DropIndex", done)
	stmt = as.NewStatement(ns, set)
	stmt.SetFilter(as.NewEqualFilter("name", "ann"))
	rs, err := c.Query(nil, stmt)
	if err == nil {
		for res := range rs.Results() {
			if res.Err != nil {
				err = res.Err
			}
		}
	}
	if !isCode(err, types.INDEX_NOTFOUND) {
		t.Errorf("query on a dropped index: %v, want INDEX_NOTFOUND", err)
	}
	// Dropping a missing index is not an error.
	if err := c.DropIndex(nil, ns, set, "idx_name"); err != nil {
		t.Errorf("DropIndex of a missing index: %v", err)
	}
}

// TestInfoDialects sends sindex commands in the syntax of servers before
// 8.1 and in 8.1's: aerolite, like the real 8.1 server, takes both.
func TestInfoDialects(t *testing.T) {
	_, c := setup(t)
	mustPut(t, c, key(t, "dia", 1), as.BinMap{"n": 1, "s": "a"})
	for _, tc := range []struct{ cmd, want string }{
		{"sindex-create:ns=test;set=dia;indexname=old_n;indexdata=n,numeric", "OK"},
		{"sindex-create:namespace=test;set=dia;indexname=new_s;bin=s;type=string", "OK"},
		{"sindex-exists:ns=test;indexname=old_n", "true"},
		{"sindex-exists:namespace=test;indexname=new_s", "true"},
		{"sindex-stat:ns=test;indexname=new_s", "load_pct=100"},
		{"sindex-stat:namespace=test;indexname=nope", "ERROR:201:"},
		{"sindex-stat:namespace=nope;indexname=new_s", "ERROR:20:"},
		{"sindex-create:namespace=test;set=dia;indexname=bad;bin=s;type=string;indexdata=s,string", "ERROR:4:"},
		{"sindex-create:namespace=test;set=dia;indexname=bad;bin=s", "ERROR:4:"},
		{"sindex-create:namespace=test;set=dia;indexname=bad;type=string", "ERROR:4:"},
		{"sindex-create:namespace=test;set=dia;indexname=bad;bin=s;type=string;exp=kAI=", "ERROR:4:"},
		{"sindex-create:namespace=test;set=dia;indexname=bad;bin=s;type=geo2dsphere", "ERROR:4:"},
		{"sindex-create:namespace=nope;set=dia;indexname=bad;bin=s;type=string", "ERROR:20:"},
		{"sindex-list:ns=test", "indexname=old_n"},
		{"sindex-list:namespace=test", "indexname=new_s"},
		{"sindex-delete:ns=test;indexname=new_s", "OK"},
		{"sindex-delete:namespace=test;indexname=new_s", "ERROR:201:"},
		{"user-agent-set:value=MSxnby10ZXN0LG5vdC1zZXQ=", "ok"},
	} {
		got := info(t, c, tc.cmd)[tc.cmd]
		var ok bool
		switch {
		case strings.HasSuffix(tc.want, ":"): // an error code
			ok = strings.HasPrefix(got, tc.want)
		case strings.Contains(tc.want, "="): // a field
			ok = strings.Contains(got, tc.want)
		default:
			ok = got == tc.want
		}
		if !ok {
			t.Errorf("%s answered %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	srv, c := setup(t)
	for i := 0; i < 20; i++ {
		mustPut(t, c, key(t, "tr", i), as.BinMap{"i": i})
		mustPut(t, c, key(t, "keep", i), as.BinMap{"i": i})
	}
	if err := c.Truncate(nil, ns, "tr", nil); err != nil {
		t.Fatalf("Truncate set: %v", err)
	}
	if got := drain(t)(c.ScanAll(nil, ns, "tr")); len(got) != 0 {
		t.Errorf("%d records left after truncate", len(got))
	}
	if got := drain(t)(c.ScanAll(nil, ns, "keep")); len(got) != 20 {
		t.Errorf("truncate of another set left %d of 20 records", len(got))
	}
	// Records written after the cut-off survive a truncate with a cut-off.
	// The server's clock is moved on around the cut-off: no sleeps.
	mustPut(t, c, key(t, "tr", "old"), as.BinMap{"i": 1})
	srv.FastForward(time.Millisecond)
	cut := srv.Now()
	srv.FastForward(time.Millisecond)
	mustPut(t, c, key(t, "tr", "new"), as.BinMap{"i": 2})
	if err := c.Truncate(nil, ns, "tr", &cut); err != nil {
		t.Fatalf("Truncate before a time: %v", err)
	}
	if got := ints(drain(t)(c.ScanAll(nil, ns, "tr")), "i"); !reflect.DeepEqual(got, []int{2}) {
		t.Errorf("after truncate with a cut-off: %v", got)
	}
	if _, err := c.Get(nil, key(t, "tr", "old")); !isCode(err, types.KEY_NOT_FOUND_ERROR) {
		t.Errorf("get of a truncated record: %v", err)
	}
	// The whole namespace.
	if err := c.Truncate(nil, ns, "", nil); err != nil {
		t.Fatalf("Truncate namespace: %v", err)
	}
	if got := drain(t)(c.ScanAll(nil, ns, "")); len(got) != 0 {
		t.Errorf("%d records left after truncating the namespace", len(got))
	}
}
