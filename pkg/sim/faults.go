package sim

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
)

// FaultKind names one kind of injected fault.
type FaultKind string

// Fault kinds. Each client call draws at most one.
const (
	// FaultNotSent: the call fails before it is sent (NETWORK_ERROR, not
	// in doubt); nothing is applied.
	FaultNotSent FaultKind = "notsent"
	// FaultReplyLost: the call is applied, its reply lost (TIMEOUT; in
	// doubt for writes).
	FaultReplyLost FaultKind = "lost"
	// FaultBusy: the server refuses with KEY_BUSY (14); nothing applied.
	FaultBusy FaultKind = "busy"
	// FaultPartial: a BatchOperate applies a random subset of its records;
	// the others fail unsent, or in doubt (applied or not).
	FaultPartial FaultKind = "partial"
	// FaultDelayed: a Put or Operate returns in doubt at once and the same
	// request is applied at a later random step (an in-doubt write that
	// lands late).
	FaultDelayed FaultKind = "delayed"
	// FaultPause: the caller stalls (virtual time) past the lock TTL and
	// grace before the call is sent.
	FaultPause FaultKind = "pause"
	// FaultGenWrap: before a generation-checked write the target record's
	// generation is set to exactly the expected value, as if 65536·k writes
	// had wrapped the 16-bit counter.
	FaultGenWrap FaultKind = "genwrap"
)

// AllFaults lists every fault kind, in the order they are drawn.
var AllFaults = []FaultKind{FaultNotSent, FaultReplyLost, FaultBusy, FaultPartial, FaultDelayed, FaultPause, FaultGenWrap}

// Faults are the per-call probabilities of each fault kind (0-1), among
// the calls the kind applies to.
type Faults map[FaultKind]float64

// DefaultFaults injects a fault into roughly 10-15% of the calls.
func DefaultFaults() Faults {
	return Faults{
		FaultNotSent:   0.03,
		FaultReplyLost: 0.03,
		FaultBusy:      0.02,
		FaultPartial:   0.15, // of batches with two records or more
		FaultDelayed:   0.03, // of Put/Operate
		FaultPause:     0.01,
		FaultGenWrap:   0.02, // of generation-checked writes
	}
}

// NoFaults injects nothing.
func NoFaults() Faults { return Faults{} }

// Without returns a copy with the given kinds switched off.
func (f Faults) Without(kinds ...FaultKind) Faults {
	out := Faults{}
	for k, v := range f {
		out[k] = v
	}
	for _, k := range kinds {
		delete(out, k)
	}
	return out
}

// ParseFaultKinds parses a comma-separated list of kinds ("genwrap,delayed").
func ParseFaultKinds(s string) ([]FaultKind, error) {
	var out []FaultKind
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		ok := false
		for _, k := range AllFaults {
			if string(k) == p {
				out = append(out, k)
				ok = true
			}
		}
		if !ok {
			return nil, fmt.Errorf("unknown fault kind %q (have %v)", p, AllFaults)
		}
	}
	return out, nil
}

func (f Faults) String() string {
	var parts []string
	for _, k := range AllFaults {
		if v := f[k]; v > 0 {
			parts = append(parts, fmt.Sprintf("%s=%g", k, v))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// draw picks at most one of the applicable kinds ("" for none).
func (f Faults) draw(rng *rand.Rand, applicable func(FaultKind) bool) FaultKind {
	u := rng.Float64()
	acc := 0.0
	for _, k := range AllFaults {
		if !applicable(k) {
			continue
		}
		acc += f[k]
		if u < acc {
			return k
		}
	}
	return ""
}

// counts is a deterministic-order string of a count map.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
