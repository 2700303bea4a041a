package aerolite

import (
	"math/rand"
	"sync"
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// FaultKind names one way a command can fail.
type FaultKind int

// Fault kinds.
const (
	// DropBefore closes the connection before the command is applied.
	DropBefore FaultKind = iota + 1
	// DropAfter applies the command, then closes the connection instead of
	// replying: the client sees an in-doubt error although the write is stored.
	DropAfter
	// FailWithCode answers with FaultConfig.FailCode without applying anything.
	FailWithCode
	// Delay applies the command, then holds the reply for FaultConfig.Delay
	// (default 50ms) of the server's time: with the wall clock a real wait,
	// with a ManualClock until the clock is moved past it (Server.FastForward;
	// ManualClock.BlockUntil tells when the reply is held). Closing the
	// server drops held replies.
	Delay
)

// FaultConfig sets random faults. Percentages are of matching commands
// (0-100); each command draws once from a generator seeded with Seed, so a
// run with the same commands in the same order injects the same faults.
type FaultConfig struct {
	Seed          int64
	DropBeforePct float64
	DropAfterPct  float64
	FailPct       float64
	FailCode      ResultCode // default KeyBusy (14)
	DelayPct      float64
	Delay         time.Duration
	// WritesOnly restricts faults to commands that write.
	WritesOnly bool
}

// Faults injects failures into AS_MSG commands (never into info requests,
// which the client's cluster tend relies on). Safe for concurrent use.
type Faults struct {
	mu      sync.Mutex
	cfg     FaultConfig
	rng     *rand.Rand
	pending []pendingFault
	counts  map[FaultKind]int
}

type pendingFault struct {
	kind       FaultKind
	n          int
	writesOnly bool
}

// faultDecision is what happens to one command.
type faultDecision struct {
	dropBefore bool
	dropAfter  bool
	failCode   ResultCode
	delay      time.Duration
}

func newFaults() *Faults { return &Faults{counts: map[FaultKind]int{}} }

// Set replaces the random fault configuration (the zero value turns random
// faults off).
func (f *Faults) Set(cfg FaultConfig) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cfg.FailCode == 0 {
		cfg.FailCode = rcKeyBusy
	}
	f.cfg = cfg
	f.rng = rand.New(rand.NewSource(cfg.Seed))
}

// Next makes the next n matching commands (writes only if writesOnly) fail
// with kind, before any random fault. Deterministic: for tests.
func (f *Faults) Next(kind FaultKind, n int, writesOnly bool) {
	if n <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = append(f.pending, pendingFault{kind: kind, n: n, writesOnly: writesOnly})
}

// Clear removes every configured fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg = FaultConfig{}
	f.rng = nil
	f.pending = nil
}

// Count returns how many faults of a kind were injected.
func (f *Faults) Count(kind FaultKind) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[kind]
}

func (f *Faults) decide(m *wire.Message) faultDecision {
	f.mu.Lock()
	defer f.mu.Unlock()
	var d faultDecision
	if len(f.pending) == 0 && f.rng == nil {
		return d
	}
	isWrite := messageWrites(m)
	for i := range f.pending {
		p := &f.pending[i]
		if p.writesOnly && !isWrite {
			continue
		}
		f.apply(&d, p.kind)
		if p.n--; p.n <= 0 {
			f.pending = append(f.pending[:i], f.pending[i+1:]...)
		}
		return d
	}
	if f.rng == nil || (f.cfg.WritesOnly && !isWrite) {
		return d
	}
	x := f.rng.Float64() * 100
	switch c := f.cfg; {
	case x < c.DropBeforePct:
		f.apply(&d, DropBefore)
	case x < c.DropBeforePct+c.DropAfterPct:
		f.apply(&d, DropAfter)
	case x < c.DropBeforePct+c.DropAfterPct+c.FailPct:
		f.apply(&d, FailWithCode)
	case x < c.DropBeforePct+c.DropAfterPct+c.FailPct+c.DelayPct:
		f.apply(&d, Delay)
	}
	return d
}

func (f *Faults) apply(d *faultDecision, kind FaultKind) {
	f.counts[kind]++
	switch kind {
	case DropBefore:
		d.dropBefore = true
	case DropAfter:
		d.dropAfter = true
	case FailWithCode:
		d.failCode = f.cfg.FailCode
		if d.failCode == 0 {
			d.failCode = rcKeyBusy
		}
	case Delay:
		d.delay = f.cfg.Delay
		if d.delay == 0 {
			d.delay = 50 * time.Millisecond
		}
	}
}

// messageWrites reports whether a command writes: a single-record write, or
// a batch with at least one write entry (the client leaves INFO2 of a batch
// header at 0 and flags each entry).
func messageWrites(m *wire.Message) bool {
	if m.Info2&wire.Info2Write != 0 {
		return true
	}
	if m.Info1&wire.Info1Batch == 0 {
		return false
	}
	data, ok := m.Field(wire.FieldBatchIndex)
	if !ok {
		data, ok = m.Field(wire.FieldBatchWithSet)
	}
	if !ok {
		return false
	}
	filter, _ := m.Field(wire.FieldFilterExp)
	reqs, _, err := parseBatch(data, filter)
	if err != nil {
		return false
	}
	for _, r := range reqs {
		if r.info2&wire.Info2Write != 0 {
			return true
		}
	}
	return false
}
