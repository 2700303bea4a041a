package aerolite

import (
	"sort"
	"sync"
	"time"
)

// Clock is where a Server reads the time: record void times and TTLs,
// last-update times (truncate), expressions' time functions, the reaper's
// decision and the Delay fault. The default is the wall clock.
//
// A Clock may also have
//
//	After(d time.Duration) <-chan time.Time
//
// (as *ManualClock and the wall clock do): the Delay fault then waits on it.
// A Clock with Now alone (for example a simulation's own time) gets a real
// sleep of the fault's delay instead.
type Clock interface {
	Now() time.Time
}

// clockAfter is the optional half of Clock.
type clockAfter interface {
	After(d time.Duration) <-chan time.Time
}

// wallClock is the default Clock.
type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// funcClock adapts the deprecated Options.Now.
type funcClock func() time.Time

func (f funcClock) Now() time.Time { return f() }

// ManualClock is a Clock that moves only when told to (Add, Set, or the
// Server's FastForward and SetTime), for tests that need time without
// sleeping:
//
//	clk := aerolite.NewManualClock(time.Now())
//	srv, _ := aerolite.NewServer(aerolite.Options{Clock: clk})
//	// write with TTL 10s ...
//	srv.FastForward(11 * time.Second) // the record is gone, and reaped
//
// Waiters (After, the Delay fault) are released when the time is moved to
// or past their deadline. Every server using the clock reaps its expired
// records synchronously whenever the clock moves, so set counts are right
// as soon as Add or Set returns. Safe for concurrent use.
type ManualClock struct {
	mu        sync.Mutex
	cond      *sync.Cond // signalled when waiters change
	now       time.Time
	waiters   []*manualWaiter
	listeners map[int]func()
	nextID    int
}

type manualWaiter struct {
	deadline time.Time
	ch       chan time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock {
	c := &ManualClock{now: t, listeners: map[int]func(){}}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock forward by d (backward if d is negative), releases
// the waiters whose deadline it reached, and lets the servers on the clock
// reap what expired.
func (c *ManualClock) Add(d time.Duration) {
	c.mu.Lock()
	c.setLocked(c.now.Add(d))
}

// Set moves the clock to t (which may be earlier than now: records already
// reaped stay gone), releases the waiters whose deadline it reached, and
// lets the servers on the clock reap what expired.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.setLocked(t)
}

// setLocked is called with c.mu held and releases it.
func (c *ManualClock) setLocked(t time.Time) {
	c.now = t
	kept := c.waiters[:0]
	var fire []*manualWaiter
	for _, w := range c.waiters {
		if !t.Before(w.deadline) {
			fire = append(fire, w)
		} else {
			kept = append(kept, w)
		}
	}
	for i := len(kept); i < len(c.waiters); i++ {
		c.waiters[i] = nil
	}
	c.waiters = kept
	ids := make([]int, 0, len(c.listeners))
	for id := range c.listeners {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	listeners := make([]func(), 0, len(ids))
	for _, id := range ids {
		listeners = append(listeners, c.listeners[id])
	}
	if len(fire) > 0 {
		c.cond.Broadcast()
	}
	c.mu.Unlock()
	for _, w := range fire {
		w.ch <- t // buffered, never blocks
	}
	for _, f := range listeners {
		f()
	}
}

// After returns a channel that receives the clock's time once the clock has
// been moved to d past the time of the call (at once if d <= 0).
func (c *ManualClock) After(d time.Duration) <-chan time.Time {
	ch, _ := c.after(d)
	return ch
}

// after is After with a cancel function that removes the waiter.
func (c *ManualClock) after(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch, func() {}
	}
	w := &manualWaiter{deadline: c.now.Add(d), ch: ch}
	c.waiters = append(c.waiters, w)
	c.cond.Broadcast()
	cancel := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.waiters {
			if x == w {
				c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
				c.cond.Broadcast()
				return
			}
		}
	}
	return ch, cancel
}

// Waiters returns how many waiters (After calls, delayed replies) the clock
// holds: a test that makes the server delay a reply can wait for it with
// BlockUntil before it moves the clock.
func (c *ManualClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// BlockUntil blocks until the clock holds at least n waiters.
func (c *ManualClock) BlockUntil(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.waiters) < n {
		c.cond.Wait()
	}
}

// onChange registers f to run (outside the clock's lock) after every Add
// or Set; the returned function unregisters it.
func (c *ManualClock) onChange(f func()) (remove func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextID
	c.nextID++
	c.listeners[id] = f
	return func() {
		c.mu.Lock()
		delete(c.listeners, id)
		c.mu.Unlock()
	}
}
