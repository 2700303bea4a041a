package txn

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Partitions and UKey limit cleanup and reconciliation (default every
	// partition).
	Partitions *PartitionRange
	UKey       string
	// Concurrency is the number of accounts cleaned and reconciled at
	// once (default 8).
	Concurrency int
	// SweepAge is passed to every cleanup round. Default TTL + grace: every
	// writer has stopped, so a run whose locks have all expired is dead.
	SweepAge time.Duration
	// MinAge is passed to every cleanup round (default 0: every writer
	// has stopped).
	MinAge time.Duration
	// Timeout bounds the cleanup rounds (not the first wait nor the
	// reconciliation); default 2 minutes.
	Timeout time.Duration
	// MaxRounds bounds the cleanup rounds (0: only Timeout does).
	MaxRounds int
	// Wait is how long to wait before the first round, so that the locks of
	// dead writers expire. Default TTL + grace of the manager's locks; a
	// negative Wait does not wait.
	Wait time.Duration
	// SkipReconcile stops after cleanup (mxn cln --until-clean).
	SkipReconcile bool
	// Sleep and Now are the clock; default the manager's (the wall clock
	// unless Config.Clock says otherwise). Tests inject a fake one.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	// Cleanup sums every round (Rounds says how many ran).
	Cleanup CleanupReport `json:"cleanup"`
	// Reconcile is the final reconciliation (nil if it did not run).
	Reconcile *ReconcileReport `json:"reconcile,omitempty"`
	// Clean: the last cleanup round left nothing pending, busy or
	// undecided, and changed nothing.
	Clean bool `json:"clean"`
}

// OK reports that cleanup finished and the reconciliation (if run) is OK.
func (r *VerifyReport) OK() bool {
	return r.Clean && (r.Reconcile == nil || r.Reconcile.OK())
}

// verifyRoundPause separates cleanup rounds that left something behind.
const verifyRoundPause = 50 * time.Millisecond

// Verify checks the accounts once every writer has stopped: it waits until
// the locks of dead writers have expired, runs cleanup rounds until one is
// clean and changes nothing (bounded by Timeout and MaxRounds), then
// reconciles. It is what mxn tst, mxn verify and the operator's verify Jobs
// run. The error says how far it got; the report holds what was done.
func (m *Manager) Verify(ctx context.Context, opts VerifyOptions) (*VerifyReport, error) {
	lc := m.locker.Config()
	life := lc.TTL + lc.Grace
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.SweepAge <= 0 {
		opts.SweepAge = life
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.Wait == 0 {
		opts.Wait = life
	}
	if opts.Sleep == nil {
		opts.Sleep = m.cfg.Clock.Sleep
	}
	if opts.Now == nil {
		opts.Now = m.cfg.Clock.Now
	}
	rep := &VerifyReport{}
	if opts.Wait > 0 {
		if err := opts.Sleep(ctx, opts.Wait); err != nil {
			return rep, fmt.Errorf("verify: wait for expired locks: %w", err)
		}
	}
	if err := m.cleanUntilClean(ctx, opts, rep); err != nil {
		return rep, err
	}
	if opts.SkipReconcile {
		return rep, nil
	}
	rec, err := m.Reconcile(ctx, ReconcileOptions{UKey: opts.UKey, Partitions: opts.Partitions, Concurrency: opts.Concurrency})
	rep.Reconcile = rec
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	return rep, nil
}

// errNotClean: cleanup rounds ran out before one was clean.
var errNotClean = errors.New("cleanup not finished")

// cleanUntilClean runs cleanup rounds until one is clean and changed
// nothing, summing them into rep.Cleanup.
func (m *Manager) cleanUntilClean(ctx context.Context, opts VerifyOptions, rep *VerifyReport) error {
	copts := CleanupOptions{MinAge: opts.MinAge, SweepAge: opts.SweepAge, Partitions: opts.Partitions, UKey: opts.UKey, Concurrency: opts.Concurrency}
	start := opts.Now()
	deadline := start.Add(opts.Timeout)
	for {
		round, err := m.Cleanup(ctx, copts)
		if round != nil {
			rep.Cleanup.Merge(round)
		}
		rep.Cleanup.Rounds++
		if err != nil {
			return fmt.Errorf("verify: cleanup round %d: %w", rep.Cleanup.Rounds, err)
		}
		if round.Clean() && !round.Changed() {
			rep.Clean = true
			return nil
		}
		elapsed := opts.Now().Sub(start)
		if opts.MaxRounds > 0 && rep.Cleanup.Rounds >= opts.MaxRounds || !opts.Now().Before(deadline) {
			return fmt.Errorf("verify: %w after %d rounds in %v (last round: %s)",
				errNotClean, rep.Cleanup.Rounds, elapsed.Round(time.Millisecond), round.summary())
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("verify: after %d cleanup rounds: %w", rep.Cleanup.Rounds, err)
		}
		if !round.Clean() {
			if err := opts.Sleep(ctx, verifyRoundPause); err != nil {
				return fmt.Errorf("verify: after %d cleanup rounds: %w", rep.Cleanup.Rounds, err)
			}
		}
	}
}

// summary describes one round in a line: what it changed and what it left.
func (r *CleanupReport) summary() string {
	s := fmt.Sprintf("%d rolled forward, %d rolled back, %d logs finalized; %d undecided, %d busy, %d logs pending, %d errors",
		r.RolledForward, r.RolledBack, r.LogsFinalized, r.Undecided, r.Busy, r.LogsPending, len(r.Errors))
	if len(r.Errors) > 0 {
		s += "; first: " + r.Errors[0]
	}
	return s
}
