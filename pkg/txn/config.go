package txn

import (
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// maintenanceLockTTL is the lock duration cleanup and reconciliation take:
// each holds an account for several round trips (reading logs, deciding
// transactions), longer than a transaction's default 100 ms.
const maintenanceLockTTL = 2 * time.Second

// Config configures a Manager. Zero fields take the defaults noted.
type Config struct {
	Namespace string // default "test"
	Set       string // account set; logs go to Set+"log". Default "mxn".
	// Lock configures the record locks (its Namespace, Set and Clock are
	// taken from this Config).
	Lock lock.Config
	// Clock is shared with the locks; default the wall clock.
	Clock lock.Clock
	// IDs makes run ids and maintenance ids, shared with the locks; default
	// random (lock.RandomIDs). A simulation injects a seeded source.
	IDs lock.IDSource
	// Retries bounds the attempts of one protocol step that failed without
	// effect (KEY_BUSY, errors before sending) or must be re-read after an
	// in-doubt error; default 20.
	Retries int
	// Timeout is the per-command client timeout; default 2s.
	Timeout time.Duration
	// Seed seeds backoff jitter.
	Seed int64
	// Unbatched takes a transfer's locks one Acquire at a time in
	// canonical order (K round trips) instead of in one batch call with a
	// canonical-order fallback for the legs the batch could not take
	// (docs/protocol.md §3). Kept to compare the two in mxn bench.
	Unbatched bool
}

func (c Config) withDefaults() Config {
	if c.Namespace == "" {
		c.Namespace = "test"
	}
	if c.Set == "" {
		c.Set = "mxn"
	}
	if c.Clock == nil {
		c.Clock = lock.SystemClock{}
	}
	if c.IDs == nil {
		c.IDs = lock.RandomIDs{}
	}
	if c.Retries <= 0 {
		c.Retries = 20
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	c.Lock.Namespace, c.Lock.Set, c.Lock.Clock, c.Lock.IDs = c.Namespace, c.Set, c.Clock, c.IDs
	if c.Lock.WritePolicy == nil {
		// The locks' commands with the same timeouts as the transaction's
		// own: group commit (pkg/groupcommit) puts only calls whose
		// batch-level policies agree into one batch.
		c.Lock.WritePolicy = c.writePolicy()
	}
	if c.Lock.Seed == 0 {
		c.Lock.Seed = c.Seed
	}
	return c
}

func (c Config) writePolicy() *as.WritePolicy {
	wp := as.NewWritePolicy(0, 0)
	wp.TotalTimeout = c.Timeout
	wp.SocketTimeout = c.Timeout
	wp.MaxRetries = 0 // a write is retried by the protocol, after reading state
	return wp
}

func (c Config) readPolicy() *as.BasePolicy {
	p := as.NewPolicy()
	p.TotalTimeout = c.Timeout
	p.SocketTimeout = c.Timeout
	p.MaxRetries = 2
	return p
}

func (c Config) batchPolicy() *as.BatchPolicy {
	bp := as.NewBatchPolicy()
	bp.TotalTimeout = c.Timeout
	bp.SocketTimeout = c.Timeout
	bp.MaxRetries = 0
	return bp
}
