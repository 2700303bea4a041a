package txntest

import (
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/txn"
)

// FaultyClient injects failures around the client calls, like the
// prototype's -fpct: before each call, with probability Permille/1000, the
// call fails without being sent; after a call that succeeded, with the
// same probability, the caller gets an error although the call happened:
// for a write an in-doubt error, as a timeout after sending would give.
// Deterministic for a given seed and call sequence.
type FaultyClient struct {
	Interceptor
	permille int

	mu  sync.Mutex
	rng *rand.Rand

	NotSent, RepliesLost atomic.Int64 // failures injected
}

// NewFaultyClient wraps c; permille is the prototype's fpct (tenths of a
// percent, 0-1000).
func NewFaultyClient(c txn.Client, permille int, seed int64) (*FaultyClient, error) {
	if permille < 0 || permille > 1000 {
		return nil, fmt.Errorf("fault rate %d is not within 0-1000 (tenths of a percent)", permille)
	}
	f := &FaultyClient{permille: permille, rng: rand.New(rand.NewSource(seed))}
	f.Interceptor = Interceptor{
		Next: c,
		Before: func(Call) as.Error {
			if f.roll() {
				f.NotSent.Add(1)
				return NotSent()
			}
			return nil
		},
		After: func(c Call, err as.Error) as.Error {
			if err == nil && c.Name != "CreateIndex" && f.roll() {
				f.RepliesLost.Add(1)
				return ReplyLost(c.Write)
			}
			return err
		},
	}
	return f, nil
}

func (f *FaultyClient) roll() bool {
	if f.permille == 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.Intn(1000) < f.permille
}

// CountingClient counts the commands sent to the server (round trips; a
// batch is one round trip to a single-node cluster).
type CountingClient struct {
	Interceptor
	Calls atomic.Int64
}

// NewCountingClient wraps c.
func NewCountingClient(c txn.Client) *CountingClient {
	cc := &CountingClient{}
	cc.Interceptor = Interceptor{Next: c, Before: func(Call) as.Error { cc.Calls.Add(1); return nil }}
	return cc
}

// CrashClient stops working at call number CrashAt (1-based): just before
// that call is sent, or, with After, just after it was applied (the reply
// is lost); every later call fails unsent, as if the process had died.
// Calls counts the calls made (a CrashAt of 0 never crashes).
type CrashClient struct {
	Interceptor
	CrashAt int64
	After   bool
	Calls   atomic.Int64
}

// NewCrashClient wraps c.
func NewCrashClient(c txn.Client, crashAt int64, after bool) *CrashClient {
	cc := &CrashClient{CrashAt: crashAt, After: after}
	cc.Interceptor = Interceptor{
		Next: c,
		Before: func(Call) as.Error {
			n := cc.Calls.Add(1)
			if cc.CrashAt > 0 && (n > cc.CrashAt || (n == cc.CrashAt && !cc.After)) {
				return NotSent()
			}
			return nil
		},
		After: func(c Call, err as.Error) as.Error {
			if cc.CrashAt > 0 && cc.After && cc.Calls.Load() == cc.CrashAt {
				return ReplyLost(c.Write)
			}
			return err
		},
	}
	return cc
}

// BatchFault is what a PartialBatchClient does to the records of the batch
// it breaks that it does not apply.
type BatchFault int

// Batch faults. In every one, only the chosen subset of the batch's
// records reaches the server.
const (
	// BatchCrash: the process dies after the subset was applied: the reply
	// is lost and every later call fails unsent.
	BatchCrash BatchFault = iota
	// BatchReplyLost: the subset was applied and the reply lost: every
	// record, applied or not, is reported in doubt; the process goes on.
	BatchReplyLost
	// BatchRefused: the subset was applied and answered; the server
	// refused the others with KEY_BUSY (nothing applied); the process goes on.
	BatchRefused
	// BatchNodeLost: the subset was applied and answered; the others were
	// not applied and are reported in doubt (as when one node's part of
	// a batch times out); the process goes on.
	BatchNodeLost
)

var batchFaultNames = [...]string{"crash", "reply-lost", "refused", "node-lost"}

func (f BatchFault) String() string { return batchFaultNames[f] }

// BatchFaults lists every BatchFault.
var BatchFaults = []BatchFault{BatchCrash, BatchReplyLost, BatchRefused, BatchNodeLost}

// PartialBatchClient breaks call number At (1-based) if it is a batch:
// only the records whose index is in Subset (bit i = record i) are sent,
// and Fault says what the caller sees. Every other call passes through
// (after a BatchCrash, every later call fails unsent). Hit reports whether
// call At was a batch; Size its number of records.
type PartialBatchClient struct {
	Interceptor
	At     int64
	Subset uint64
	Fault  BatchFault
	Calls  atomic.Int64
	Hit    atomic.Bool
	Size   atomic.Int64
	dead   atomic.Bool
}

// NewPartialBatchClient wraps c.
func NewPartialBatchClient(c txn.Client, at int64, subset uint64, fault BatchFault) *PartialBatchClient {
	p := &PartialBatchClient{At: at, Subset: subset, Fault: fault}
	p.Interceptor = Interceptor{Next: c, Before: func(Call) as.Error {
		if p.dead.Load() {
			return NotSent()
		}
		p.Calls.Add(1)
		return nil
	}}
	return p
}

// BatchOperate breaks the batch of call At.
func (p *PartialBatchClient) BatchOperate(pol *as.BatchPolicy, recs []as.BatchRecordIfc) as.Error {
	if p.dead.Load() {
		return p.Interceptor.BatchOperate(pol, recs)
	}
	if p.Calls.Load()+1 != p.At {
		return p.Interceptor.BatchOperate(pol, recs)
	}
	p.Calls.Add(1)
	p.Hit.Store(true)
	p.Size.Store(int64(len(recs)))
	var sent []as.BatchRecordIfc
	for i, r := range recs {
		if p.Subset&(1<<uint(i)) != 0 {
			sent = append(sent, r)
		}
	}
	if len(sent) > 0 {
		_ = p.Next.BatchOperate(pol, sent)
	}
	for i, r := range recs {
		br := r.BatchRec()
		in := p.Subset&(1<<uint(i)) != 0
		switch {
		case p.Fault == BatchCrash || p.Fault == BatchReplyLost:
			br.ResultCode, br.InDoubt, br.Record, br.Err = types.TIMEOUT, isWrite(r), nil, nil
		case in:
			// answered as the server answered
		case p.Fault == BatchRefused:
			br.ResultCode, br.InDoubt, br.Record, br.Err = types.KEY_BUSY, false, nil, nil
		default: // BatchNodeLost
			br.ResultCode, br.InDoubt, br.Record, br.Err = types.TIMEOUT, isWrite(r), nil, nil
		}
	}
	switch p.Fault {
	case BatchCrash:
		p.dead.Store(true)
		return ReplyLost(true)
	case BatchReplyLost:
		return ReplyLost(true)
	case BatchNodeLost:
		return ReplyLost(true)
	}
	return nil
}

func isWrite(r as.BatchRecordIfc) bool {
	_, read := r.(*as.BatchRead)
	return !read
}
