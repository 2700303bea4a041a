package txn

import (
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

// FaultyClient injects failures around the client calls mxn makes, like
// the prototype's -fpct: before each call, with probability Permille/1000,
// the call fails without being sent; after a call that succeeded, with the
// same probability, the caller gets an error although the call happened —
// for a write, an in-doubt error, as a timeout after sending would give.
// Deterministic for a given seed and call sequence. Other ClientIfc
// methods pass through unchanged.
type FaultyClient struct {
	as.ClientIfc
	permille int

	mu  sync.Mutex
	rng *rand.Rand

	Before, After atomic.Int64 // failures injected
}

// NewFaultyClient wraps c; permille is the prototype's fpct (tenths of a
// percent, 0-1000).
func NewFaultyClient(c as.ClientIfc, permille int, seed int64) (*FaultyClient, error) {
	if permille < 0 || permille > 1000 {
		return nil, fmt.Errorf("fault rate %d is not within 0-1000 (tenths of a percent)", permille)
	}
	return &FaultyClient{ClientIfc: c, permille: permille, rng: rand.New(rand.NewSource(seed))}, nil
}

func (f *FaultyClient) roll() bool {
	if f.permille == 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.Intn(1000) < f.permille
}

// InjectedError marks a failure made by FaultyClient.
type InjectedError struct {
	Call  string
	After bool
}

func (e *InjectedError) Error() string {
	when := "before"
	if e.After {
		when = "after"
	}
	return fmt.Sprintf("injected failure %s %s", when, e.Call)
}

// before and after build the errors: wrapped Aerospike errors, so callers
// treat them exactly like real ones (codes, in-doubt flag).
func (f *FaultyClient) before(call string) as.Error {
	f.Before.Add(1)
	return &as.AerospikeError{ResultCode: types.NETWORK_ERROR, InDoubt: false}
}

func (f *FaultyClient) after(call string, write bool) as.Error {
	f.After.Add(1)
	return &as.AerospikeError{ResultCode: types.TIMEOUT, InDoubt: write}
}

// Get reads a record.
func (f *FaultyClient) Get(p *as.BasePolicy, k *as.Key, bins ...string) (*as.Record, as.Error) {
	if f.roll() {
		return nil, f.before("Get")
	}
	r, err := f.ClientIfc.Get(p, k, bins...)
	if err == nil && f.roll() {
		return nil, f.after("Get", false)
	}
	return r, err
}

// Put writes a record.
func (f *FaultyClient) Put(p *as.WritePolicy, k *as.Key, b as.BinMap) as.Error {
	if f.roll() {
		return f.before("Put")
	}
	err := f.ClientIfc.Put(p, k, b)
	if err == nil && f.roll() {
		return f.after("Put", true)
	}
	return err
}

// Operate runs operations on a record.
func (f *FaultyClient) Operate(p *as.WritePolicy, k *as.Key, ops ...*as.Operation) (*as.Record, as.Error) {
	if f.roll() {
		return nil, f.before("Operate")
	}
	r, err := f.ClientIfc.Operate(p, k, ops...)
	if err == nil && f.roll() {
		return nil, f.after("Operate", true)
	}
	return r, err
}

// Delete removes a record.
func (f *FaultyClient) Delete(p *as.WritePolicy, k *as.Key) (bool, as.Error) {
	if f.roll() {
		return false, f.before("Delete")
	}
	ok, err := f.ClientIfc.Delete(p, k)
	if err == nil && f.roll() {
		return false, f.after("Delete", true)
	}
	return ok, err
}

// BatchOperate runs a batch; an injected failure fails the whole batch
// (after: every record's outcome is then unknown to the caller).
func (f *FaultyClient) BatchOperate(p *as.BatchPolicy, recs []as.BatchRecordIfc) as.Error {
	if f.roll() {
		for _, r := range recs {
			br := r.BatchRec()
			br.ResultCode, br.Record = types.NETWORK_ERROR, nil
		}
		return f.before("BatchOperate")
	}
	err := f.ClientIfc.BatchOperate(p, recs)
	if err == nil && f.roll() {
		for _, r := range recs {
			br := r.BatchRec()
			br.ResultCode, br.InDoubt = types.TIMEOUT, true
		}
		return f.after("BatchOperate", true)
	}
	return err
}

// Query runs a query (failures before only: a recordset is streamed).
func (f *FaultyClient) Query(p *as.QueryPolicy, s *as.Statement) (*as.Recordset, as.Error) {
	if f.roll() {
		return nil, f.before("Query")
	}
	return f.ClientIfc.Query(p, s)
}

// QueryPartitions runs a partition query (failures before only).
func (f *FaultyClient) QueryPartitions(p *as.QueryPolicy, s *as.Statement, pf *as.PartitionFilter) (*as.Recordset, as.Error) {
	if f.roll() {
		return nil, f.before("QueryPartitions")
	}
	return f.ClientIfc.QueryPartitions(p, s, pf)
}

// CountingClient counts the commands sent to the server (round trips).
type CountingClient struct {
	as.ClientIfc
	Calls atomic.Int64
}

// Get reads a record.
func (c *CountingClient) Get(p *as.BasePolicy, k *as.Key, bins ...string) (*as.Record, as.Error) {
	c.Calls.Add(1)
	return c.ClientIfc.Get(p, k, bins...)
}

// Put writes a record.
func (c *CountingClient) Put(p *as.WritePolicy, k *as.Key, b as.BinMap) as.Error {
	c.Calls.Add(1)
	return c.ClientIfc.Put(p, k, b)
}

// Operate runs operations on a record.
func (c *CountingClient) Operate(p *as.WritePolicy, k *as.Key, ops ...*as.Operation) (*as.Record, as.Error) {
	c.Calls.Add(1)
	return c.ClientIfc.Operate(p, k, ops...)
}

// Delete removes a record.
func (c *CountingClient) Delete(p *as.WritePolicy, k *as.Key) (bool, as.Error) {
	c.Calls.Add(1)
	return c.ClientIfc.Delete(p, k)
}

// BatchOperate runs a batch: one round trip to a single-node cluster.
func (c *CountingClient) BatchOperate(p *as.BatchPolicy, recs []as.BatchRecordIfc) as.Error {
	c.Calls.Add(1)
	return c.ClientIfc.BatchOperate(p, recs)
}

// Query runs a query.
func (c *CountingClient) Query(p *as.QueryPolicy, s *as.Statement) (*as.Recordset, as.Error) {
	c.Calls.Add(1)
	return c.ClientIfc.Query(p, s)
}
