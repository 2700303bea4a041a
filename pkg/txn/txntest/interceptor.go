// Package txntest has client wrappers for testing pkg/txn: fault
// injection (the prototype's -fpct), request counting and crash points.
// Each implements every method of txn.Client explicitly, so a call added
// to that interface does not pass through a wrapper unnoticed.
package txntest

import (
	"reflect"
	"unsafe"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/txn"
)

// Call describes one client call.
type Call struct {
	Name  string // "Get", "Put", "Operate", "BatchOperate", "Query", "QueryPartitions", "CreateIndex"
	Write bool   // the call may change data
	Key   *as.Key
}

// Interceptor wraps a txn.Client and consults its hooks around every call.
type Interceptor struct {
	Next txn.Client
	// Before runs before a call is sent; a non-nil error fails the call
	// without sending it.
	Before func(c Call) as.Error
	// After runs once the call returned err and may replace that error
	// (e.g. lose the reply of a call that was applied). Queries stream
	// their results and have no After.
	After func(c Call, err as.Error) as.Error
}

var _ txn.Client = (*Interceptor)(nil)

func (i *Interceptor) before(c Call) as.Error {
	if i.Before == nil {
		return nil
	}
	return i.Before(c)
}

func (i *Interceptor) after(c Call, err as.Error) as.Error {
	if i.After == nil {
		return err
	}
	return i.After(c, err)
}

// Get reads a record.
func (i *Interceptor) Get(p *as.BasePolicy, k *as.Key, bins ...string) (*as.Record, as.Error) {
	c := Call{Name: "Get", Key: k}
	if err := i.before(c); err != nil {
		return nil, err
	}
	r, err := i.Next.Get(p, k, bins...)
	if e := i.after(c, err); e != err {
		return nil, e
	}
	return r, err
}

// Put writes a record.
func (i *Interceptor) Put(p *as.WritePolicy, k *as.Key, b as.BinMap) as.Error {
	c := Call{Name: "Put", Write: true, Key: k}
	if err := i.before(c); err != nil {
		return err
	}
	return i.after(c, i.Next.Put(p, k, b))
}

// Operate runs operations on a record.
func (i *Interceptor) Operate(p *as.WritePolicy, k *as.Key, ops ...*as.Operation) (*as.Record, as.Error) {
	c := Call{Name: "Operate", Write: true, Key: k}
	if err := i.before(c); err != nil {
		return nil, err
	}
	r, err := i.Next.Operate(p, k, ops...)
	if e := i.after(c, err); e != err {
		return nil, e
	}
	return r, err
}

// BatchOperate runs a batch. A failure before marks every record failed
// unsent; a replaced error after marks every record in doubt.
func (i *Interceptor) BatchOperate(p *as.BatchPolicy, recs []as.BatchRecordIfc) as.Error {
	c := Call{Name: "BatchOperate", Write: true}
	if err := i.before(c); err != nil {
		for _, r := range recs {
			br := r.BatchRec()
			br.ResultCode, br.Record = types.NETWORK_ERROR, nil
		}
		return err
	}
	err := i.Next.BatchOperate(p, recs)
	if e := i.after(c, err); e != err {
		for _, r := range recs {
			br := r.BatchRec()
			br.ResultCode, br.InDoubt, br.Record = types.TIMEOUT, true, nil
		}
		return e
	}
	return err
}

// Query runs a secondary-index query.
func (i *Interceptor) Query(p *as.QueryPolicy, s *as.Statement) (*as.Recordset, as.Error) {
	if err := i.before(Call{Name: "Query"}); err != nil {
		return nil, err
	}
	return i.Next.Query(p, s)
}

// QueryPartitions runs a partition query.
func (i *Interceptor) QueryPartitions(p *as.QueryPolicy, s *as.Statement, pf *as.PartitionFilter) (*as.Recordset, as.Error) {
	if err := i.before(Call{Name: "QueryPartitions"}); err != nil {
		return nil, err
	}
	return i.Next.QueryPartitions(p, s, pf)
}

// CreateIndex creates a secondary index.
func (i *Interceptor) CreateIndex(p *as.WritePolicy, ns, set, name, bin string, t as.IndexType) (*as.IndexTask, as.Error) {
	c := Call{Name: "CreateIndex", Write: true}
	if err := i.before(c); err != nil {
		return nil, err
	}
	task, err := i.Next.CreateIndex(p, ns, set, name, bin, t)
	if e := i.after(c, err); e != err {
		return nil, e
	}
	return task, err
}

// NotSent is the error of a call that failed before it was sent.
func NotSent() as.Error { return &as.AerospikeError{ResultCode: types.NETWORK_ERROR} }

// ReplyLost is the error of a call whose reply was lost: in doubt for a
// write (it may have been applied), a plain timeout for a read.
func ReplyLost(write bool) as.Error {
	return &as.AerospikeError{ResultCode: types.TIMEOUT, InDoubt: write}
}

// NodeChain is the error the client returns for a batch spanning several
// nodes (werrgroup: chainErrors): the error of the node that finished
// last, outer, with the other nodes' errors wrapped behind it, here one:
// inner. The client sets AerospikeError's unexported wrapped field; this
// does it through reflect, to get exactly that shape.
func NodeChain(outer *as.AerospikeError, inner error) as.Error {
	f := reflect.ValueOf(outer).Elem().FieldByName("wrapped")
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(&inner).Elem())
	return outer
}
