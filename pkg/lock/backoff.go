package lock

import (
	"math/rand"
	"sync"
	"time"
)

// Backoff yields exponentially growing, jittered delays between Min and Max
// ("full jitter"): contenders that collide spread out instead of retrying in
// lock step.
type Backoff struct {
	Min, Max time.Duration

	mu  sync.Mutex
	rng *rand.Rand
}

// NewBackoff returns a backoff drawing jitter from a generator seeded with seed.
func NewBackoff(min, max time.Duration, seed int64) *Backoff {
	return &Backoff{Min: min, Max: max, rng: rand.New(rand.NewSource(seed))}
}

// Delay returns the delay before retry number attempt (0-based).
func (b *Backoff) Delay(attempt int) time.Duration {
	ceil := b.Min << min(attempt, 20)
	if ceil > b.Max || ceil <= 0 {
		ceil = b.Max
	}
	if ceil <= b.Min {
		return b.Min
	}
	b.mu.Lock()
	j := b.rng.Int63n(int64(ceil - b.Min))
	b.mu.Unlock()
	return b.Min + time.Duration(j)
}
