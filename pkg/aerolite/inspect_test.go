package aerolite_test

import (
	"testing"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

func TestSetGenerationFoolsGenerationCheck(t *testing.T) {
	srv := srvStart(t, aerolite.Options{})
	c := srvConnect(t, srv, nil)
	k, _ := as.NewKey(srvNS, "inspect", "k1")
	for i := 0; i < 3; i++ {
		if err := c.Put(nil, k, as.BinMap{"v": i}); err != nil {
			t.Fatal(err)
		}
	}
	if g, ok := srv.Generation(srvNS, k.Digest()); !ok || g != 3 {
		t.Fatalf("Generation = %d, %v; want 3, true", g, ok)
	}
	wp := as.NewWritePolicy(1, 0)
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	if err := c.Put(wp, k, as.BinMap{"v": 10}); !err.Matches(types.GENERATION_ERROR) {
		t.Fatalf("stale generation check: %v, want GENERATION_ERROR", err)
	}
	if err := srv.SetGeneration(srvNS, k.Digest(), 1); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(wp, k, as.BinMap{"v": 10}); err != nil {
		t.Fatalf("after the wrap the check passes: %v", err)
	}
	r, err := c.Get(nil, k)
	if err != nil || r.Generation != 2 || r.Bins["v"] != 10 {
		t.Fatalf("record %v, %v", r, err)
	}
	missing, _ := as.NewKey(srvNS, "inspect", "nope")
	if err := srv.SetGeneration(srvNS, missing.Digest(), 1); err == nil {
		t.Fatal("SetGeneration on a missing record succeeded")
	}
}

func TestStatsQueriesCountsAnsweredQueries(t *testing.T) {
	srv := srvStart(t, aerolite.Options{})
	c := srvConnect(t, srv, nil)
	before := srv.Stats().Queries.Load()
	rs, err := c.Query(nil, as.NewStatement(srvNS, "inspect"))
	if err != nil {
		t.Fatal(err)
	}
	for range rs.Results() {
	}
	if n := srv.Stats().Queries.Load() - before; n != 1 {
		t.Fatalf("Queries moved by %d, want 1", n)
	}
}
