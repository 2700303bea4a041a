package aerolite_test

// Concurrency tests, meant for the race detector: many clients on a few
// records, checking that single-record commands are atomic and that no
// update is lost. Loops are bounded in count and in time.

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

const (
	srvWorkers = 32
	srvBudget  = 30 * time.Second // per test phase; hitting it fails the test
)

// srvRunWorkers runs fn(worker) in n goroutines and waits, failing the test
// if they take longer than srvBudget. fn returns an error to report.
func srvRunWorkers(t *testing.T, n int, fn func(w int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			if err := fn(w); err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(srvBudget):
		t.Fatalf("workers did not finish in %v", srvBudget)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// srvBusyPolicy is a write policy for contended records: no client retries
// (a retried write could be applied twice) and KEY_BUSY is handled by the
// caller.
func srvBusyPolicy() *as.WritePolicy {
	wp := srvWP()
	wp.TotalTimeout = 10 * time.Second
	wp.SocketTimeout = 10 * time.Second
	return wp
}

func TestConcurrencyOperateAddGet(t *testing.T) {
	srv := srvStart(t, aerolite.Options{PendingLimit: -1})
	c := srvConnect(t, srv, nil)
	const nKeys, perWorker = 4, 40
	keys := make([]*as.Key, nKeys)
	for i := range keys {
		keys[i] = srvKey(t, srvNS, "conc", i)
	}
	var ok [nKeys]atomic.Int64
	seen := make([][]int, nKeys) // values returned by add+get, per key
	var mu sync.Mutex
	srvRunWorkers(t, srvWorkers, func(w int) error {
		wp := srvBusyPolicy()
		for i := 0; i < perWorker; i++ {
			k := (w + i) % nKeys
			rec, err := c.Operate(wp, keys[k], as.AddOp(as.NewBin("n", 1)), as.GetBinOp("n"))
			if err != nil {
				return err
			}
			ok[k].Add(1)
			v, isInt := rec.Bins["n"].(int)
			if !isInt {
				return fmt.Errorf("add+get returned %#v", rec.Bins["n"])
			}
			mu.Lock()
			seen[k] = append(seen[k], v)
			mu.Unlock()
		}
		return nil
	})
	total := int64(0)
	for k, key := range keys {
		rec := srvMustGet(t, c, key)
		if got := int64(rec.Bins["n"].(int)); got != ok[k].Load() {
			t.Errorf("key %d: %d successful adds, final value %d", k, ok[k].Load(), got)
		}
		if rec.Generation != uint32(ok[k].Load()) {
			t.Errorf("key %d: generation %d after %d writes", k, rec.Generation, ok[k].Load())
		}
		// Each add+get is atomic: the values read are exactly 1..n, each once.
		sort.Ints(seen[k])
		for i, v := range seen[k] {
			if v != i+1 {
				t.Fatalf("key %d: add+get results are not 1..%d: %v", k, len(seen[k]), seen[k])
			}
		}
		total += ok[k].Load()
	}
	if total != srvWorkers*perWorker {
		t.Errorf("%d successful adds, want %d", total, srvWorkers*perWorker)
	}
}

// With the default pending limit, contended writes may be refused with
// KEY_BUSY; refused ones must leave no trace.
func TestConcurrencyOperateAddDefaultLimit(t *testing.T) {
	_, c := srvSetup(t)
	key := srvKey(t, srvNS, "conc", "one")
	var ok, busy atomic.Int64
	srvRunWorkers(t, srvWorkers, func(w int) error {
		wp := srvBusyPolicy()
		for i := 0; i < 30; i++ {
			_, err := c.Operate(wp, key, as.AddOp(as.NewBin("n", 1)), as.GetBinOp("n"))
			switch {
			case err == nil:
				ok.Add(1)
			case srvIsCode(err, types.KEY_BUSY):
				busy.Add(1)
			default:
				return err
			}
		}
		return nil
	})
	rec := srvMustGet(t, c, key)
	if got := int64(rec.Bins["n"].(int)); got != ok.Load() {
		t.Fatalf("%d successful adds (%d KEY_BUSY), final value %d", ok.Load(), busy.Load(), got)
	}
}

func TestConcurrencyListAppend(t *testing.T) {
	srv := srvStart(t, aerolite.Options{PendingLimit: -1})
	c := srvConnect(t, srv, nil)
	key := srvKey(t, srvNS, "conc", "list")
	mkey := srvKey(t, srvNS, "conc", "map")
	const perWorker = 25
	srvRunWorkers(t, srvWorkers, func(w int) error {
		wp := srvBusyPolicy()
		for i := 0; i < perWorker; i++ {
			v := fmt.Sprintf("w%02d-%03d", w, i)
			rec, err := c.Operate(wp, key, as.ListAppendOp("l", v))
			if err != nil {
				return err
			}
			if n, _ := rec.Bins["l"].(int); n < 1 || n > srvWorkers*perWorker {
				return fmt.Errorf("append returned size %v", rec.Bins["l"])
			}
			// A map entry per append, in another record, plus a counter in
			// the same command.
			if _, err := c.Operate(wp, mkey,
				as.MapPutOp(as.DefaultMapPolicy(), "m", v, i),
				as.AddOp(as.NewBin("n", 1))); err != nil {
				return err
			}
		}
		return nil
	})
	rec := srvMustGet(t, c, key)
	items, _ := rec.Bins["l"].([]any)
	if len(items) != srvWorkers*perWorker {
		t.Fatalf("list has %d items, want %d", len(items), srvWorkers*perWorker)
	}
	seen := map[string]bool{}
	lastPerWorker := map[string]int{}
	for _, it := range items {
		s := it.(string)
		if seen[s] {
			t.Fatalf("item %s appended twice", s)
		}
		seen[s] = true
		// One worker's appends keep their order.
		var w, i int
		fmt.Sscanf(s, "w%d-%d", &w, &i)
		wk := fmt.Sprint(w)
		if last, ok := lastPerWorker[wk]; ok && i <= last {
			t.Fatalf("worker %d's appends out of order: %d after %d", w, i, last)
		}
		lastPerWorker[wk] = i
	}
	mrec := srvMustGet(t, c, mkey)
	m, _ := mrec.Bins["m"].(map[any]any)
	if len(m) != srvWorkers*perWorker || mrec.Bins["n"] != srvWorkers*perWorker {
		t.Fatalf("map has %d entries and n = %v, want %d", len(m), mrec.Bins["n"], srvWorkers*perWorker)
	}
}

// Readers never see a half-applied write: every Put writes the same value
// to two bins, every Get must see them equal.
func TestConcurrencyRecordAtomicity(t *testing.T) {
	srv := srvStart(t, aerolite.Options{PendingLimit: -1})
	c := srvConnect(t, srv, nil)
	const nKeys = 3
	keys := make([]*as.Key, nKeys)
	for i := range keys {
		keys[i] = srvKey(t, srvNS, "atomic", i)
		srvMustPut(t, c, srvWP(), keys[i], as.BinMap{"a": 0, "b": 0, "l": []any{0}})
	}
	srvRunWorkers(t, srvWorkers, func(w int) error {
		wp := srvBusyPolicy()
		for i := 0; i < 40; i++ {
			key := keys[(w+i)%nKeys]
			if w%2 == 0 {
				v := w*1000 + i
				if err := c.Put(wp, key, as.BinMap{"a": v, "b": v, "l": []any{v, v}}); err != nil {
					return err
				}
				continue
			}
			rec, err := c.Get(nil, key)
			if err != nil {
				return err
			}
			if rec.Bins["a"] != rec.Bins["b"] {
				return fmt.Errorf("torn read: a=%v b=%v", rec.Bins["a"], rec.Bins["b"])
			}
			if l, _ := rec.Bins["l"].([]any); len(l) > 1 && l[0] != rec.Bins["a"] {
				return fmt.Errorf("torn read: a=%v l=%v", rec.Bins["a"], l)
			}
		}
		return nil
	})
}

// Scans, batches, queries, index changes and truncates run concurrently
// with writes: no race, no error, and afterwards the index agrees with the
// data.
func TestConcurrencyMixedWorkload(t *testing.T) {
	srv := srvStart(t, aerolite.Options{PendingLimit: -1})
	c := srvConnect(t, srv, nil)
	const set, nKeys = "mixed", 200
	keys := make([]*as.Key, nKeys)
	for i := range keys {
		keys[i] = srvKey(t, srvNS, set, i)
		srvMustPut(t, c, srvWP(), keys[i], as.BinMap{"v": i % 10, "s": fmt.Sprint(i % 7)})
	}
	task, err := c.CreateIndex(nil, srvNS, set, "mixed_v", "v", as.NUMERIC)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-task.OnComplete(); err != nil {
		t.Fatal(err)
	}
	srvRunWorkers(t, 16, func(w int) error {
		wp := srvBusyPolicy()
		for i := 0; i < 20; i++ {
			switch w % 8 {
			case 0, 1, 2: // writers move records between index values
				k := keys[(w*31+i*7)%nKeys]
				if _, err := c.Operate(wp, k, as.PutOp(as.NewBin("v", (w+i)%10)), as.AddOp(as.NewBin("n", 1))); err != nil {
					return err
				}
			case 3: // deletes and re-creates
				k := keys[(w*13+i*11)%nKeys]
				if _, err := c.Delete(wp, k); err != nil {
					return err
				}
				if err := c.Put(wp, k, as.BinMap{"v": i % 10, "s": "re"}); err != nil {
					return err
				}
			case 4: // scans
				rs, err := c.ScanPartitions(nil, as.NewPartitionFilterByRange((i*256)%4096, 256), srvNS, set)
				if err != nil {
					return err
				}
				for res := range rs.Results() {
					if res.Err != nil {
						return res.Err
					}
				}
			case 5: // index queries
				stmt := as.NewStatement(srvNS, set)
				stmt.SetFilter(as.NewRangeFilter("v", 2, 5))
				rs, err := c.Query(nil, stmt)
				if err != nil {
					return err
				}
				for res := range rs.Results() {
					if res.Err != nil {
						return res.Err
					}
					if v, _ := res.Record.Bins["v"].(int); v < 2 || v > 5 {
						return fmt.Errorf("index query returned v=%v", res.Record.Bins["v"])
					}
				}
			case 6: // batches
				bk := make([]*as.Key, 0, 20)
				for j := 0; j < 20; j++ {
					bk = append(bk, keys[(i*20+j)%nKeys])
				}
				if _, err := c.BatchGet(nil, bk); err != nil && !srvIsCode(err, types.KEY_NOT_FOUND_ERROR) {
					return err
				}
			case 7: // index churn on another bin (raw info: the client's
				// index task polls once a second), and info
				name := fmt.Sprintf("mixed_s_%d", w)
				for _, cmd := range []string{
					"sindex-create:ns=test;set=" + set + ";indexname=" + name + ";indexdata=s" + fmt.Sprint(w) + ",string",
					"sindex-delete:ns=test;indexname=" + name,
				} {
					m, err := srvInfoNoFatal(c, cmd)
					if err != nil {
						return err
					}
					if m[cmd] != "OK" {
						return fmt.Errorf("%s answered %q", cmd, m[cmd])
					}
				}
				if _, err := srvInfoNoFatal(c, "sets/test/"+set, "sindex-list:ns=test"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	// The index agrees with the data.
	full := srvDrain(t)(c.ScanAll(nil, srvNS, set))
	want := 0
	for _, r := range full {
		if v, _ := r.Bins["v"].(int); v >= 2 && v <= 5 {
			want++
		}
	}
	stmt := as.NewStatement(srvNS, set)
	stmt.SetFilter(as.NewRangeFilter("v", 2, 5))
	if got := len(srvDigests(t, srvDrain(t)(c.Query(nil, stmt)))); got != want {
		t.Fatalf("index query after the workload returned %d records, the data has %d", got, want)
	}
	if got := srvSetObjects(t, c, srvNS, set); got != len(full) {
		t.Fatalf("objects = %d, scan = %d", got, len(full))
	}
}

// srvInfoNoFatal asks for info from a worker goroutine (no t.Fatal there).
func srvInfoNoFatal(c *as.Client, names ...string) (map[string]string, error) {
	nodes := c.GetNodes()
	if len(nodes) != 1 {
		return nil, fmt.Errorf("%d nodes", len(nodes))
	}
	m, err := nodes[0].RequestInfo(as.NewInfoPolicy(), names...)
	if err != nil {
		return nil, err
	}
	return m, nil
}
