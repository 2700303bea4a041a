package sim

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"sync"
	"time"
)

// Epoch is where virtual time starts (a fixed instant, so that timestamps
// written into records are a function of the seed).
var Epoch = time.UnixMilli(1_700_000_000_000).UTC()

type actorState int

const (
	stRunning actorState = iota // between two scheduling points
	stParked                    // at a scheduling point, waiting for the baton
	stDone                      // returned
)

// actor is one simulated process. Its goroutines make client calls and
// sleeps only through the scheduler; whichever of them reaches a scheduling
// point parks the whole actor.
type actor struct {
	id     int
	name   string
	faults bool // inject faults into its calls
	rng    *rand.Rand

	// guarded by sched.mu
	state  actorState
	sleeps bool      // parked in Sleep (runnable once now >= wake)
	wake   time.Time // when sleeping
	grant  chan struct{}
	abort  chan struct{} // closed when its phase is aborted
	clock  *actorClock
	client *simClient
}

// sched is the deterministic scheduler: exactly one actor runs between two
// scheduling points; which one is drawn from a seeded generator.
type sched struct {
	mu      sync.Mutex
	now     time.Time
	step    int
	trace   []string
	changed chan struct{} // an actor parked or finished (buffered, 1)
	frozen  bool          // the phase was aborted: stragglers leave no trace

	pick    *rand.Rand // which actor runs next, per-step latency
	latency time.Duration

	// delayed deliveries, applied by the scheduler at their step
	delayed []*delivery
	deliver func(*delivery) // set by the world
	onAbort func()          // called when a phase is aborted, before stragglers run
	// onTwoParked is called (with mu held) when a second goroutine of an
	// already parked actor parks: the harness assumes one call-making
	// goroutine per actor (Cleanup and Reconcile with Concurrency 1).
	onTwoParked func(*actor)
}

func newSched(seed int64, latency time.Duration) *sched {
	return &sched{
		now:     Epoch,
		changed: make(chan struct{}, 1),
		pick:    rand.New(rand.NewSource(seed ^ 0x5eed5c4ed)),
		latency: latency,
	}
}

// Now returns the virtual time.
func (s *sched) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// elapsed formats virtual time since Epoch (caller holds mu).
func (s *sched) elapsed() string {
	return fmt.Sprintf("%10.3fms", float64(s.now.Sub(Epoch).Microseconds())/1000)
}

// logf appends a trace line for the current step. Only the running actor
// or the scheduler itself calls it, so the order is a function of the seed.
func (s *sched) logf(who, format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen {
		return
	}
	s.trace = append(s.trace, fmt.Sprintf("%6d %s %-8s ", s.step, s.elapsed(), who)+fmt.Sprintf(format, args...))
}

func (s *sched) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// park stops the calling goroutine of a at a scheduling point until the
// scheduler hands it the baton. wake, if not nil, makes it a sleep. It
// returns false when the phase was aborted (the caller must then fail
// without touching the world).
func (s *sched) park(a *actor, wake *time.Time) bool {
	s.mu.Lock()
	if s.frozen {
		// The phase was aborted: stragglers run on without the baton.
		s.mu.Unlock()
		return false
	}
	if a.state == stParked && s.onTwoParked != nil {
		// Two goroutines of one actor at scheduling points at once: which
		// of them gets the baton would be up to the Go scheduler.
		s.onTwoParked(a)
	}
	a.state = stParked
	a.sleeps = wake != nil
	if wake != nil {
		a.wake = *wake
	}
	s.mu.Unlock()
	s.notify()
	select {
	case <-a.grant:
		return true
	case <-a.abort:
		return false
	}
}

func (s *sched) finish(a *actor) {
	s.mu.Lock()
	a.state = stDone
	s.mu.Unlock()
	s.notify()
}

// Errors that end a phase early.
type phaseError struct {
	kind string // "step-limit", "stuck", "wall-time"
	msg  string
}

func (e *phaseError) Error() string { return e.kind + ": " + e.msg }

// limits bound a phase.
type limits struct {
	maxSteps int           // total steps of the world
	stuck    time.Duration // wall time an actor may run between two scheduling points
	deadline time.Time     // wall-time deadline of the whole world
}

// run schedules actors until all of them are done. Each actor's body runs
// in its own goroutine; it must go through park for every call and sleep.
func (s *sched) run(actors []*actor, lim limits, body func(*actor)) error {
	abort := make(chan struct{})
	for _, a := range actors {
		a.state = stRunning // until it first parks
		a.grant = make(chan struct{}, 1)
		a.abort = abort
	}
	var wg sync.WaitGroup
	for _, a := range actors {
		wg.Add(1)
		go func(a *actor) {
			defer wg.Done()
			defer s.finish(a)
			// Start at a scheduling point too: nothing of an actor runs
			// before the scheduler picks it.
			if !s.park(a, nil) {
				return
			}
			s.logf(a.name, "start")
			body(a)
		}(a)
	}
	err := s.loop(actors, lim)
	if err != nil {
		s.mu.Lock()
		s.frozen = true
		s.mu.Unlock()
		if s.onAbort != nil {
			s.onAbort()
		}
		close(abort)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		if err == nil {
			err = &phaseError{"stuck", "actors did not return after the phase ended"}
		}
	}
	return err
}

func (s *sched) loop(actors []*actor, lim limits) error {
	timer := time.NewTimer(lim.stuck)
	defer timer.Stop()
	for {
		// Wait until no actor runs.
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(lim.stuck)
		for {
			s.mu.Lock()
			var running []string
			for _, a := range actors {
				if a.state == stRunning {
					running = append(running, a.name)
				}
			}
			s.mu.Unlock()
			if len(running) == 0 {
				break
			}
			select {
			case <-s.changed:
			case <-timer.C:
				return &phaseError{"stuck", fmt.Sprintf("step %d: %v did not reach a scheduling point within %v", s.step, running, lim.stuck)}
			}
		}
		if !lim.deadline.IsZero() && time.Now().After(lim.deadline) {
			return &phaseError{"wall-time", fmt.Sprintf("world exceeded its wall-time budget at step %d", s.step)}
		}
		s.deliverDue(false)

		s.mu.Lock()
		var live, runnable []*actor
		for _, a := range actors {
			if a.state == stDone {
				continue
			}
			live = append(live, a)
			if !a.sleeps || !a.wake.After(s.now) {
				runnable = append(runnable, a)
			}
		}
		if len(live) == 0 {
			s.mu.Unlock()
			return nil
		}
		if len(runnable) == 0 {
			// Everyone sleeps: jump to the earliest wake time.
			sort.Slice(live, func(i, j int) bool { return live[i].wake.Before(live[j].wake) })
			s.now = live[0].wake
			s.mu.Unlock()
			continue
		}
		if s.step >= lim.maxSteps {
			s.mu.Unlock()
			return &phaseError{"step-limit", fmt.Sprintf("world exceeded %d steps", lim.maxSteps)}
		}
		a := runnable[s.pick.Intn(len(runnable))]
		s.step++
		if s.latency > 0 && !a.sleeps {
			s.now = s.now.Add(time.Duration(s.pick.Int63n(int64(s.latency) + 1)))
		}
		a.state = stRunning
		s.mu.Unlock()
		a.grant <- struct{}{}
	}
}

// deliverDue applies the delayed requests whose step has come (all of
// them with flush). Only the scheduler calls it, while no actor runs.
func (s *sched) deliverDue(flush bool) {
	for {
		s.mu.Lock()
		var d *delivery
		for i, x := range s.delayed {
			if flush || x.due <= s.step {
				d = x
				s.delayed = append(s.delayed[:i:i], s.delayed[i+1:]...)
				break
			}
		}
		if d != nil {
			s.step++
		}
		s.mu.Unlock()
		if d == nil {
			return
		}
		s.deliver(d)
	}
}

// actorClock is an actor's handle on the shared virtual clock: Now reads
// it, Sleep is a scheduling point.
type actorClock struct {
	s *sched
	a *actor
}

func (c *actorClock) Now() time.Time { return c.s.Now() }

func (c *actorClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d < 0 {
		d = 0
	}
	wake := c.s.Now().Add(d)
	if !c.s.park(c.a, &wake) {
		return context.Canceled
	}
	c.s.logf(c.a.name, "sleep %v", d)
	return ctx.Err()
}
