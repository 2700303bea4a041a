package aerolite_test

// Throughput benchmarks with the real client over loopback and 32
// concurrent goroutines (the shape of the mxn tools' workers):
//
//	go test -run '^$' -bench . -benchtime 3s ./pkg/aerolite/
//
// With AEROSPIKE_HOSTS=host:port[,host:port] they run against that server
// instead (namespace AEROSPIKE_NAMESPACE, default test), for comparison.
// Each reports ops/s: iterations per second of wall time.

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/aerolite"
	"github.com/mxnlabs/mxn/pkg/testenv"
)

const (
	srvBenchClients = 32
	srvBenchKeys    = 4096
)

// srvBenchTarget connects to AEROSPIKE_HOSTS or to a fresh aerolite, and
// returns the client, the namespace and a set name unique to this run.
func srvBenchTarget(b *testing.B) (*as.Client, string, string) {
	b.Helper()
	ns := os.Getenv("AEROSPIKE_NAMESPACE")
	if ns == "" {
		ns = "test"
	}
	var hosts []*as.Host
	if env := os.Getenv("AEROSPIKE_HOSTS"); env != "" {
		hs, err := testenv.ParseHosts(env)
		if err != nil {
			b.Fatal(err)
		}
		hosts = hs
	} else {
		srv := srvStart(b, aerolite.Options{})
		hosts = []*as.Host{as.NewHost(srv.Host(), srv.Port())}
	}
	cp := as.NewClientPolicy()
	cp.Timeout = 5 * time.Second
	cp.ConnectionQueueSize = 4 * srvBenchClients
	c, err := as.NewClientWithPolicyAndHost(cp, hosts...)
	if err != nil {
		b.Fatalf("connect: %v", err)
	}
	b.Cleanup(c.Close)
	if _, err := c.WarmUp(srvBenchClients + 8); err != nil {
		b.Fatalf("warm up: %v", err)
	}
	return c, ns, fmt.Sprintf("bench%d", time.Now().UnixNano()%1e9)
}

func srvBenchKeyList(b *testing.B, ns, set string, n int) []*as.Key {
	keys := make([]*as.Key, n)
	for i := range keys {
		keys[i] = srvKey(b, ns, set, i)
	}
	return keys
}

// srvBenchParallel runs body with srvBenchClients goroutines, each with its
// own worker index, and reports ops/s. body returns an error to count;
// KEY_BUSY is counted separately and tolerated (a real server under
// contention answers it too), anything else fails the benchmark.
func srvBenchParallel(b *testing.B, body func(worker int, i int) error) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((srvBenchClients + procs - 1) / procs)
	var workers atomic.Int64
	var busy, failed atomic.Int64
	var firstErr atomic.Value
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := int(workers.Add(1) - 1)
		for i := 0; pb.Next(); i++ {
			if err := body(w, i); err != nil {
				if srvIsCode(err, types.KEY_BUSY) {
					busy.Add(1)
					continue
				}
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	if busy.Load() > 0 {
		b.ReportMetric(float64(busy.Load()), "busy")
	}
	if failed.Load() > 0 {
		b.Fatalf("%d of %d operations failed, first: %v", failed.Load(), b.N, firstErr.Load())
	}
}

func srvBenchWP() *as.WritePolicy {
	wp := as.NewWritePolicy(0, 0)
	wp.TotalTimeout = 5 * time.Second
	wp.SocketTimeout = 5 * time.Second
	return wp
}

func BenchmarkPut(b *testing.B) {
	c, ns, set := srvBenchTarget(b)
	keys := srvBenchKeyList(b, ns, set, srvBenchKeys)
	wp := srvBenchWP()
	srvBenchParallel(b, func(w, i int) error {
		k := keys[(w*7919+i)%len(keys)]
		return c.PutBins(wp, k, as.NewBin("v", i), as.NewBin("s", "payload-0123456789"))
	})
}

func BenchmarkGet(b *testing.B) {
	c, ns, set := srvBenchTarget(b)
	keys := srvBenchKeyList(b, ns, set, srvBenchKeys)
	wp := srvBenchWP()
	for i, k := range keys {
		if err := c.PutBins(wp, k, as.NewBin("v", i), as.NewBin("s", "payload-0123456789")); err != nil {
			b.Fatal(err)
		}
	}
	rp := as.NewPolicy()
	rp.TotalTimeout = 5 * time.Second
	srvBenchParallel(b, func(w, i int) error {
		_, err := c.Get(rp, keys[(w*7919+i)%len(keys)])
		return err
	})
}

func BenchmarkOperate(b *testing.B) {
	c, ns, set := srvBenchTarget(b)
	keys := srvBenchKeyList(b, ns, set, srvBenchKeys)
	wp := srvBenchWP()
	add, get := as.AddOp(as.NewBin("n", 1)), as.GetBinOp("n")
	srvBenchParallel(b, func(w, i int) error {
		_, err := c.Operate(wp, keys[(w*7919+i)%len(keys)], add, get)
		return err
	})
}

// BenchmarkLockShapedOperate is one lock cycle of pkg/lock: an operate that
// takes the lock (two map puts, a put, a list append, three gets), then a
// generation-checked release operate. ops/s counts cycles (two commands
// each); cmds/s counts commands.
func BenchmarkLockShapedOperate(b *testing.B) {
	c, ns, set := srvBenchTarget(b)
	// Each worker cycles over its own keys, as lock holders of different
	// records do, so generation checks do not collide.
	const perWorker = 64
	keys := srvBenchKeyList(b, ns, set, srvBenchClients*perWorker)
	wp := srvBenchWP()
	for i, k := range keys {
		if err := c.PutBins(wp, k, as.NewBin("bal", 1000), as.NewBin("owner", fmt.Sprint("acct-", i)), as.NewBin("meta", "x")); err != nil {
			b.Fatal(err)
		}
	}
	mp := as.NewMapPolicyWithFlags(as.MapOrder.KEY_ORDERED, as.MapWriteFlagsDefault)
	srvBenchParallel(b, func(w, i int) error {
		key := keys[(w%srvBenchClients)*perWorker+i%perWorker]
		txn := fmt.Sprintf("txn-%d-%d", w, i)
		entry := []any{"ukey", txn}
		rec, err := c.Operate(wp, key,
			as.MapPutOp(mp, "lock", "txnid", txn),
			as.MapPutOp(mp, "lock", "ukey", "ukey"),
			as.PutOp(as.NewBin("deadline", time.Now().UnixMilli()+5000)),
			as.ListAppendOp("pending", entry),
			as.GetBinOp("bal"),
			as.GetBinOp("owner"),
			as.GetBinOp("meta"),
		)
		if err != nil {
			return err
		}
		rel := *wp
		rel.GenerationPolicy = as.EXPECT_GEN_EQUAL
		rel.Generation = rec.Generation
		_, err = c.Operate(&rel, key,
			as.PutOp(as.NewBin("lock", nil)),
			as.PutOp(as.NewBin("deadline", nil)),
			as.ListRemoveByValueOp("pending", entry, as.ListReturnTypeNone),
			as.AddOp(as.NewBin("bal", 1)),
		)
		return err
	})
	b.ReportMetric(2*float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
}
