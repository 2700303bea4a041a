package txntest

import (
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"

	as "github.com/aerospike/aerospike-client-go/v7"

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
