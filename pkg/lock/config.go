package lock

import (
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
)

// Bin names, as the prototype wrote them.
const (
	BinLock     = "lck"
	BinDeadline = "lckto"
	BinPending  = "ptxns"
)

// Config configures a Locker. Zero fields take the defaults noted.
type Config struct {
	Namespace string // default "test"
	Set       string // default "mxn"

	// TTL is how long a lock lasts (lckto = now + TTL); default 100ms.
	TTL time.Duration
	// Grace is how long after its deadline a lock may be stolen; default 200ms.
	Grace time.Duration
	// Attempts bounds the tries of one Acquire; default 20.
	Attempts int
	// MaxWait is how long Acquire waits in total before giving up; a lock
	// that will not expire within what is left fails at once. Default TTL+Grace.
	MaxWait time.Duration
	// BackoffMin/Max bound the jittered delay between tries; default 2ms / 50ms.
	BackoffMin, BackoffMax time.Duration
	// BusyRetries bounds retries of a command refused with KEY_BUSY or
	// failing transiently before anything was applied; default 50.
	BusyRetries int

	Clock Clock // default SystemClock
	// IDs makes the owner nonces; default RandomIDs.
	IDs  IDSource
	Seed int64 // jitter seed

	// WritePolicy is the base policy for lock commands (timeouts, etc.).
	WritePolicy *as.WritePolicy
}

func (c Config) withDefaults() Config {
	if c.Namespace == "" {
		c.Namespace = "test"
	}
	if c.Set == "" {
		c.Set = "mxn"
	}
	if c.TTL <= 0 {
		c.TTL = 100 * time.Millisecond
	}
	if c.Grace < 0 {
		c.Grace = 0
	} else if c.Grace == 0 {
		c.Grace = 200 * time.Millisecond
	}
	if c.Attempts <= 0 {
		c.Attempts = 20
	}
	if c.MaxWait <= 0 {
		c.MaxWait = c.TTL + c.Grace
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = 2 * time.Millisecond
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = 50 * time.Millisecond
	}
	if c.BusyRetries <= 0 {
		c.BusyRetries = 50
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.IDs == nil {
		c.IDs = RandomIDs{}
	}
	if c.WritePolicy == nil {
		c.WritePolicy = as.NewWritePolicy(0, 0)
		c.WritePolicy.TotalTimeout = 2 * time.Second
		c.WritePolicy.SocketTimeout = time.Second
		c.WritePolicy.MaxRetries = 0 // writes are retried here, with state checks
	}
	return c
}
