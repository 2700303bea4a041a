package lock

import (
	"context"
	"fmt"
	"sync/atomic"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

// Stats counts what a Locker did. Safe for concurrent use.
type Stats struct {
	attempted, acquired, timedout, stolen, broken, released, retries atomic.Int64
	durationMs, waitMs                                               atomic.Int64
}

// StatsSnapshot is a point-in-time copy of Stats, with the prototype's
// counter names. Duration is the total time locks were held, WaitMs the
// total time spent acquiring them, both in milliseconds.
type StatsSnapshot struct {
	Attempted int64 `json:"attempted"`
	Acquired  int64 `json:"acquired"`
	TimedOut  int64 `json:"timedout"`
	Stolen    int64 `json:"stolen"`
	Broken    int64 `json:"broken"`
	Released  int64 `json:"released"`
	Duration  int64 `json:"duration"`
	Retries   int64 `json:"retries"`
	WaitMs    int64 `json:"wait_ms"`
}

// Snapshot copies the counters.
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{
		Attempted: s.attempted.Load(), Acquired: s.acquired.Load(), TimedOut: s.timedout.Load(),
		Stolen: s.stolen.Load(), Broken: s.broken.Load(), Released: s.released.Load(),
		Duration: s.durationMs.Load(), Retries: s.retries.Load(), WaitMs: s.waitMs.Load(),
	}
}

// Add sums two snapshots (to merge the stats of several workers).
func (a StatsSnapshot) Add(b StatsSnapshot) StatsSnapshot {
	return StatsSnapshot{
		Attempted: a.Attempted + b.Attempted, Acquired: a.Acquired + b.Acquired, TimedOut: a.TimedOut + b.TimedOut,
		Stolen: a.Stolen + b.Stolen, Broken: a.Broken + b.Broken, Released: a.Released + b.Released,
		Duration: a.Duration + b.Duration, Retries: a.Retries + b.Retries, WaitMs: a.WaitMs + b.WaitMs,
	}
}

// StatsSet and StatsBin locate the lock statistics record: key
// "<ns>:<set>" in set lck_stats, map bin totals (as the prototype kept it).
const (
	StatsSet = "lck_stats"
	StatsBin = "totals"
)

// SaveStats adds a snapshot to the lock statistics record of ns/set, in one
// atomic Operate (several workers may save at once).
func SaveStats(ctx context.Context, c as.ClientIfc, ns, set string, s StatsSnapshot) error {
	key, err := as.NewKey(ns, StatsSet, ns+":"+set)
	if err != nil {
		return fmt.Errorf("lock stats key: %w", err)
	}
	p := as.DefaultMapPolicy()
	counters := []struct {
		name string
		v    int64
	}{
		{"attempted", s.Attempted}, {"acquired", s.Acquired}, {"timedout", s.TimedOut}, {"stolen", s.Stolen},
		{"broken", s.Broken}, {"released", s.Released}, {"duration", s.Duration}, {"retries", s.Retries},
	}
	ops := make([]*as.Operation, 0, len(counters))
	for _, c := range counters {
		ops = append(ops, as.MapIncrementOp(p, StatsBin, c.name, c.v))
	}
	wp := as.NewWritePolicy(0, 0)
	wp.SendKey = true
	if _, err := c.Operate(wp, key, ops...); err != nil {
		return fmt.Errorf("save lock stats for %s:%s: %w", ns, set, err)
	}
	return nil
}

// LoadStats reads the lock statistics record of ns/set.
func LoadStats(c as.ClientIfc, ns, set string) (StatsSnapshot, error) {
	key, err := as.NewKey(ns, StatsSet, ns+":"+set)
	if err != nil {
		return StatsSnapshot{}, err
	}
	rec, err := c.Get(nil, key, StatsBin)
	if err != nil {
		if HasCode(err, types.KEY_NOT_FOUND_ERROR) {
			return StatsSnapshot{}, nil
		}
		return StatsSnapshot{}, fmt.Errorf("load lock stats for %s:%s: %w", ns, set, err)
	}
	m, _ := rec.Bins[StatsBin].(map[any]any)
	get := func(k string) int64 {
		switch v := m[k].(type) {
		case int:
			return int64(v)
		case int64:
			return v
		}
		return 0
	}
	return StatsSnapshot{
		Attempted: get("attempted"), Acquired: get("acquired"), TimedOut: get("timedout"), Stolen: get("stolen"),
		Broken: get("broken"), Released: get("released"), Duration: get("duration"), Retries: get("retries"),
	}, nil
}
