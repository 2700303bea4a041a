// Package runstate coordinates the worker pods of one load test through
// records in Aerospike itself: a start barrier, so that every worker starts
// its workload at the same moment, and live progress, so that the operator
// can report a run's throughput while it goes on.
//
// The records live in set SetName(accountSet) of the accounts' namespace:
//
//	barrier:<runID>            bins ready (list of worker indexes checked in)
//	                           and release (set by the controller to free
//	                           waiters when a worker died before the barrier)
//	progress:<runID>:<worker>  bins sum (the worker's running
//	                           workload.Summary as compact JSON), ts (unix ms
//	                           of the flush) and done (1 after the last flush)
//
// Workers call CheckIn and WaitReady (or Barrier, which does both with a
// timeout), then FlushProgress every second; the controller calls Ready,
// Release, ReadProgress and, when the run is over, Delete.
package runstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/workload"
)

// Bins of the run records.
const (
	BinReady   = "ready"
	BinRelease = "release"
	BinSummary = "sum"
	BinTime    = "ts"
	BinDone    = "done"
)

// PollInterval is how often a waiting worker reads the barrier.
const PollInterval = 50 * time.Millisecond

// opTimeout bounds each read or write of a run record.
const opTimeout = 5 * time.Second

// Clock is the time source of the barrier; tests inject a fake one
// (lock.FakeClock fits). nil means the wall clock.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// SystemClock is the wall clock.
var SystemClock Clock = systemClock{}

// SetName is the set of the run records for an account set.
func SetName(accountSet string) string { return accountSet + "run" }

// BarrierKey and ProgressKey are the user keys of a run's records.
func BarrierKey(runID string) string { return "barrier:" + runID }

// ProgressKey is the user key of a worker's progress record.
func ProgressKey(runID string, worker int) string {
	return "progress:" + runID + ":" + strconv.Itoa(worker)
}

// ErrBarrierTimeout: the barrier did not open in time.
var ErrBarrierTimeout = errors.New("start barrier timed out")

func validate(runID string, worker int) error {
	if runID == "" {
		return errors.New("empty run id")
	}
	if worker < 0 {
		return fmt.Errorf("worker index %d is negative", worker)
	}
	return nil
}

func key(ns, set, ukey string) (*as.Key, error) {
	k, err := as.NewKey(ns, set, ukey)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ukey, err)
	}
	return k, nil
}

func writePolicy() *as.WritePolicy {
	wp := as.NewWritePolicy(0, 0)
	wp.SendKey = true
	wp.TotalTimeout = opTimeout
	return wp
}

// CheckIn adds worker to the run's ready list. It is idempotent (the list
// keeps each index once), so it may be retried.
func CheckIn(ctx context.Context, c as.ClientIfc, ns, set, runID string, worker int) error {
	if err := validate(runID, worker); err != nil {
		return fmt.Errorf("check in: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("check in: %w", err)
	}
	k, err := key(ns, set, BarrierKey(runID))
	if err != nil {
		return err
	}
	lp := as.NewListPolicy(as.ListOrderUnordered, as.ListWriteFlagsAddUnique|as.ListWriteFlagsNoFail)
	if _, aerr := c.Operate(writePolicy(), k, as.ListAppendWithPolicyOp(lp, BinReady, worker)); aerr != nil {
		return fmt.Errorf("check in worker %d of run %s: %w", worker, runID, aerr)
	}
	return nil
}

// Ready returns how many workers have checked in and whether the run was
// released.
func Ready(ctx context.Context, c as.ClientIfc, ns, set, runID string) (int, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	k, err := key(ns, set, BarrierKey(runID))
	if err != nil {
		return 0, false, err
	}
	p := as.NewPolicy()
	p.TotalTimeout = opTimeout
	rec, aerr := c.Get(p, k, BinReady, BinRelease)
	if aerr != nil {
		if aerr.Matches(types.KEY_NOT_FOUND_ERROR) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("read barrier of run %s: %w", runID, aerr)
	}
	n, released := parseBarrier(rec.Bins)
	return n, released, nil
}

// parseBarrier reads a barrier record's bins.
func parseBarrier(bins as.BinMap) (ready int, released bool) {
	if l, ok := bins[BinReady].([]any); ok {
		ready = len(l)
	}
	return ready, bins[BinRelease] != nil
}

// Release opens the barrier whoever has checked in (the controller calls
// it when a worker died before the barrier, so the others do not hang).
func Release(ctx context.Context, c as.ClientIfc, ns, set, runID string) error {
	if err := validate(runID, 0); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	k, err := key(ns, set, BarrierKey(runID))
	if err != nil {
		return err
	}
	if aerr := c.PutBins(writePolicy(), k, as.NewBin(BinRelease, time.Now().UnixMilli())); aerr != nil {
		return fmt.Errorf("release run %s: %w", runID, aerr)
	}
	return nil
}

// WaitReady waits until workers have checked in or the run is released,
// reading the barrier every PollInterval of clock (nil: the wall clock).
// ctx bounds the wait.
func WaitReady(ctx context.Context, c as.ClientIfc, ns, set, runID string, workers int, clock Clock) error {
	return waitReady(ctx, func() (int, bool, error) { return Ready(ctx, c, ns, set, runID) }, runID, workers, clock, time.Time{})
}

// Barrier checks worker in and waits for the others, for at most timeout
// of clock (0: until ctx ends). It returns when the barrier opened, the
// worker's common start.
func Barrier(ctx context.Context, c as.ClientIfc, ns, set, runID string, worker, workers int, timeout time.Duration, clock Clock) (time.Time, error) {
	if clock == nil {
		clock = SystemClock
	}
	if workers < 1 || worker >= workers {
		return time.Time{}, fmt.Errorf("barrier: worker %d of %d: want 0 <= worker < workers", worker, workers)
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = clock.Now().Add(timeout)
	}
	if err := CheckIn(ctx, c, ns, set, runID, worker); err != nil {
		return time.Time{}, err
	}
	err := waitReady(ctx, func() (int, bool, error) { return Ready(ctx, c, ns, set, runID) }, runID, workers, clock, deadline)
	if err != nil {
		return time.Time{}, err
	}
	return clock.Now(), nil
}

// waitReady is the waiting logic, apart from the reads: poll until ready
// reports workers checked in or a release, ctx ends or deadline (if not
// zero) passes. A failed read is retried until then.
func waitReady(ctx context.Context, ready func() (int, bool, error), runID string, workers int, clock Clock, deadline time.Time) error {
	if clock == nil {
		clock = SystemClock
	}
	if workers < 1 {
		return fmt.Errorf("barrier of run %s: %d workers: want at least 1", runID, workers)
	}
	start := clock.Now()
	n, lastErr := 0, error(nil)
	for {
		got, released, err := ready()
		switch {
		case err == nil && (got >= workers || released):
			return nil
		case err == nil:
			n = got
		default:
			lastErr = err
		}
		why := ""
		if lastErr != nil {
			why = " (last error: " + lastErr.Error() + ")"
		}
		if !deadline.IsZero() && !clock.Now().Before(deadline) {
			return fmt.Errorf("%w: run %s: %d of %d workers ready after %v, and no release%s",
				ErrBarrierTimeout, runID, n, workers, clock.Now().Sub(start).Round(time.Millisecond), why)
		}
		if err := clock.Sleep(ctx, PollInterval); err != nil {
			return fmt.Errorf("barrier of run %s: %d of %d workers ready: %w%s", runID, n, workers, err, why)
		}
	}
}

// Progress is one worker's last flush.
type Progress struct {
	Summary  *workload.Summary
	TsUnixMs int64
	Done     bool
}

// FlushProgress writes a worker's running summary (done: its final one).
func FlushProgress(ctx context.Context, c as.ClientIfc, ns, set, runID string, worker int, s *workload.Summary, done bool) error {
	if err := validate(runID, worker); err != nil {
		return fmt.Errorf("flush progress: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("flush progress: %w", err)
	}
	k, err := key(ns, set, ProgressKey(runID, worker))
	if err != nil {
		return err
	}
	bins, err := encodeProgress(s, time.Now().UnixMilli(), done)
	if err != nil {
		return err
	}
	wp := writePolicy()
	wp.RecordExistsAction = as.REPLACE
	if aerr := c.Put(wp, k, bins); aerr != nil {
		return fmt.Errorf("flush progress of worker %d of run %s: %w", worker, runID, aerr)
	}
	return nil
}

func encodeProgress(s *workload.Summary, ts int64, done bool) (as.BinMap, error) {
	if s == nil {
		s = &workload.Summary{}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode progress: %w", err)
	}
	d := 0
	if done {
		d = 1
	}
	return as.BinMap{BinSummary: string(b), BinTime: ts, BinDone: d}, nil
}

func decodeProgress(bins as.BinMap) (*Progress, error) {
	str, ok := bins[BinSummary].(string)
	if !ok {
		return nil, fmt.Errorf("progress record without a %q string bin", BinSummary)
	}
	var s workload.Summary
	if err := json.Unmarshal([]byte(str), &s); err != nil {
		return nil, fmt.Errorf("decode progress: %w", err)
	}
	return &Progress{Summary: &s, TsUnixMs: toInt64(bins[BinTime]), Done: toInt64(bins[BinDone]) != 0}, nil
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

// ReadProgress returns the last summary flushed by each of workers workers
// (nil for those that have not flushed yet), in one batch read.
func ReadProgress(ctx context.Context, c as.ClientIfc, ns, set, runID string, workers int) ([]*workload.Summary, error) {
	ps, err := ReadProgressDetail(ctx, c, ns, set, runID, workers)
	if err != nil {
		return nil, err
	}
	out := make([]*workload.Summary, len(ps))
	for i, p := range ps {
		if p != nil {
			out[i] = p.Summary
		}
	}
	return out, nil
}

// ReadProgressDetail is ReadProgress with each flush's time and done flag.
func ReadProgressDetail(ctx context.Context, c as.ClientIfc, ns, set, runID string, workers int) ([]*Progress, error) {
	if err := validate(runID, 0); err != nil {
		return nil, fmt.Errorf("read progress: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read progress: %w", err)
	}
	if workers < 1 {
		return nil, nil
	}
	keys := make([]*as.Key, workers)
	for i := range keys {
		k, err := key(ns, set, ProgressKey(runID, i))
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	bp := as.NewBatchPolicy()
	bp.TotalTimeout = opTimeout
	recs, aerr := c.BatchGet(bp, keys, BinSummary, BinTime, BinDone)
	if aerr != nil && !aerr.Matches(types.KEY_NOT_FOUND_ERROR) {
		return nil, fmt.Errorf("read progress of run %s: %w", runID, aerr)
	}
	out := make([]*Progress, workers)
	for i, r := range recs {
		if i >= workers || r == nil {
			continue
		}
		p, err := decodeProgress(r.Bins)
		if err != nil {
			return nil, fmt.Errorf("progress of worker %d of run %s: %w", i, runID, err)
		}
		out[i] = p
	}
	return out, nil
}

// Delete removes the run's barrier and the progress records of its
// workers (those that exist).
func Delete(ctx context.Context, c as.ClientIfc, ns, set, runID string, workers int) error {
	if err := validate(runID, 0); err != nil {
		return fmt.Errorf("delete run records: %w", err)
	}
	ukeys := []string{BarrierKey(runID)}
	for i := 0; i < workers; i++ {
		ukeys = append(ukeys, ProgressKey(runID, i))
	}
	wp := writePolicy()
	for _, u := range ukeys {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("delete run records: %w", err)
		}
		k, err := key(ns, set, u)
		if err != nil {
			return err
		}
		if _, aerr := c.Delete(wp, k); aerr != nil && !aerr.Matches(types.KEY_NOT_FOUND_ERROR) {
			return fmt.Errorf("delete %s: %w", u, aerr)
		}
	}
	return nil
}
