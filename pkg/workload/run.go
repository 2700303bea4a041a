package workload

import (
	"context"
	"fmt"
	"math/rand"
	"strconv"
	"sync"
	"time"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
)

// Config describes a run of random transactions.
type Config struct {
	// Accounts are usr0..usr<Accounts-1>.
	Accounts int
	// Mode "single" (random debits/credits) or "transfer" (Legs accounts).
	Mode string
	Legs int
	// Count transactions in total (0: until Duration or ctx ends).
	Count int
	// Duration bounds the run (0: until Count).
	Duration time.Duration
	// Concurrency is the number of transactions in flight.
	Concurrency int
	// Rate caps transactions started per second (0: unlimited). With a
	// rate, the latency of a transaction counts from its slot in the
	// schedule (open loop), not from when a worker got to it.
	Rate float64
	// Zipf > 1 skews account choice towards hot accounts (s of a Zipf
	// distribution); 0 picks uniformly.
	Zipf float64
	// Retries after a lock conflict (each with a new txnid).
	Retries int
	// Seed makes the choice of accounts and amounts repeatable.
	Seed int64
	// Progress, if set, is called about every ProgressEvery with the
	// summary so far.
	Progress      func(*Summary)
	ProgressEvery time.Duration
	// KeepLatencies keeps every committed transaction's latency in the
	// summary (ExactQuantile), beside the histogram whose power-of-two
	// buckets merge across workers but over-estimate by up to 2x.
	KeepLatencies bool
}

// AccountName is the ukey of account i.
func AccountName(i int) string { return "usr" + strconv.Itoa(i) }

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.Accounts < 1:
		return fmt.Errorf("need at least one account")
	case c.Mode != "single" && c.Mode != "transfer":
		return fmt.Errorf("mode %q: want single or transfer", c.Mode)
	case c.Mode == "transfer" && (c.Legs < 2 || c.Legs > c.Accounts):
		return fmt.Errorf("a transfer needs 2..%d legs (accounts), not %d", c.Accounts, c.Legs)
	case c.Count < 0 || c.Duration < 0 || c.Rate < 0 || c.Retries < 0:
		return fmt.Errorf("count, duration, rate and retries must not be negative")
	case c.Count == 0 && c.Duration == 0:
		return fmt.Errorf("give a count or a duration")
	case c.Concurrency < 1:
		return fmt.Errorf("concurrency must be at least 1")
	case c.Zipf != 0 && c.Zipf <= 1:
		return fmt.Errorf("zipf exponent must be > 1 (or 0 for uniform)")
	}
	return nil
}

// picker chooses accounts and amounts; one per worker (rand is not
// goroutine-safe), seeded from the run's seed.
type picker struct {
	rng  *rand.Rand
	zipf *rand.Zipf
	n    int
}

func newPicker(seed int64, n int, s float64) *picker {
	p := &picker{rng: rand.New(rand.NewSource(seed)), n: n}
	if s > 1 && n > 1 {
		p.zipf = rand.NewZipf(p.rng, s, 1, uint64(n-1))
	}
	return p
}

func (p *picker) account() int {
	if p.zipf != nil {
		return int(p.zipf.Uint64())
	}
	return p.rng.Intn(p.n)
}

// legs draws one transaction: a single leg with an amount in [-100, 1000]
// (the prototype's range), or k distinct accounts whose amounts sum to 0.
func (p *picker) legs(mode string, k int) []txn.Leg {
	if mode == "single" {
		return []txn.Leg{{UKey: AccountName(p.account()), Amt: int64(p.rng.Intn(1101) - 100)}}
	}
	seen := map[int]bool{}
	legs := make([]txn.Leg, 0, k)
	var sum int64
	for len(legs) < k {
		a := p.account()
		if seen[a] {
			a = p.rng.Intn(p.n) // skewed picks collide: fall back to uniform
			if seen[a] {
				continue
			}
		}
		seen[a] = true
		amt := int64(1 + p.rng.Intn(100))
		if len(legs) == k-1 {
			amt = -sum
		} else if len(legs)%2 == 0 {
			amt = -amt
		}
		sum += amt
		legs = append(legs, txn.Leg{UKey: AccountName(a), Amt: amt})
	}
	return legs
}

// Run executes the workload and returns its summary. It stops at Count,
// at Duration, or when ctx ends (the summary then covers what ran).
func Run(ctx context.Context, m *txn.Manager, cfg Config) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	sum := &Summary{Mode: cfg.Mode, Legs: max(cfg.Legs, 1)}
	if cfg.KeepLatencies {
		sum.kept = &latencies{}
	}
	var mu sync.Mutex
	var claimed int64
	start := time.Now()
	claim := func() (int64, bool) {
		mu.Lock()
		defer mu.Unlock()
		if cfg.Count > 0 && claimed >= int64(cfg.Count) {
			return 0, false
		}
		claimed++
		return claimed - 1, true
	}
	stopProgress := startProgress(ctx, &cfg, sum, &mu, start)
	var wg sync.WaitGroup
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			p := newPicker(cfg.Seed*7919+int64(w), cfg.Accounts, cfg.Zipf)
			backoff := lock.NewBackoff(time.Millisecond, 50*time.Millisecond, cfg.Seed+int64(w))
			for ctx.Err() == nil {
				i, ok := claim()
				if !ok {
					return
				}
				legs := p.legs(cfg.Mode, cfg.Legs)
				t0 := time.Now()
				if cfg.Rate > 0 {
					// Open loop: the latency counts from the transaction's
					// slot in the schedule, so a transaction started late
					// because the workers were busy counts its wait too.
					slot := start.Add(time.Duration(float64(i) / cfg.Rate * float64(time.Second)))
					if d := time.Until(slot); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							return
						}
					}
					t0 = slot
				}
				outcome, retries, counted := runWithRetries(ctx, m, legs, cfg.Retries, backoff)
				lat := time.Since(t0)
				if counted {
					mu.Lock()
					sum.record(outcome, legs, retries, lat)
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	stopProgress()
	mu.Lock()
	defer mu.Unlock()
	sum.Lock = m.Locker().Stats().Snapshot()
	sum.setElapsed(time.Since(start))
	return sum, nil
}

// runWithRetries runs one transaction, retrying lock conflicts (each try
// with a new txnid), and returns how it ended, after how many retries, and
// whether to count it: a try cut short by the end of the run is not counted
// unless it committed or was left in doubt, since only those can have an
// effect. An empty outcome means Run refused the transaction outright (no
// result): counted as an error.
func runWithRetries(ctx context.Context, m *txn.Manager, legs []txn.Leg, retries int, b *lock.Backoff) (txn.Outcome, int, bool) {
	for attempt := 0; ; attempt++ {
		res, err := m.Run(ctx, txn.NewTxnID(), legs...)
		o := outcomeOf(res, err)
		switch {
		case o.IsCommitted() || o == txn.OutcomeInDoubt:
			return o, attempt, true
		case ctx.Err() != nil:
			return o, attempt, false
		case o == txn.OutcomeConflict && attempt < retries:
			select {
			case <-time.After(b.Delay(attempt)):
			case <-ctx.Done():
				return o, attempt, false
			}
			continue
		}
		return o, attempt, true
	}
}

// outcomeOf is the outcome of one Run: the result's, or the error's when
// there is no result ("" when Run refused its input).
func outcomeOf(res *txn.Result, err error) txn.Outcome {
	switch {
	case res != nil && res.Outcome != "":
		return res.Outcome
	case res == nil && err != nil:
		return ""
	}
	return txn.OutcomeOf(err)
}

// record counts one transaction by its outcome.
func (s *Summary) record(o txn.Outcome, legs []txn.Leg, retries int, lat time.Duration) {
	s.Attempted++
	s.Retries += int64(retries)
	switch o {
	case txn.OutcomeCommitted, txn.OutcomeCommittedUnapplied:
		s.Committed++
		if o == txn.OutcomeCommittedUnapplied {
			s.CommittedUnapplied++
		}
		for _, l := range legs {
			s.Amount += l.Amt
		}
		s.Latency.Observe(lat)
		if s.kept != nil {
			s.kept.d = append(s.kept.d, lat)
		}
	case txn.OutcomeAborted:
		s.Aborted++
	case txn.OutcomeConflict:
		s.Conflicts++
	case txn.OutcomeInDoubt:
		s.InDoubt++
	case txn.OutcomeDuplicate:
		s.Duplicates++
	case txn.OutcomeNoAccount:
		s.NoAccount++
	default:
		s.Errors++
	}
}

func startProgress(ctx context.Context, cfg *Config, sum *Summary, mu *sync.Mutex, start time.Time) func() {
	if cfg.Progress == nil || cfg.ProgressEvery <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(cfg.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				mu.Lock()
				snap := *sum
				mu.Unlock()
				snap.setElapsed(time.Since(start))
				cfg.Progress(&snap)
			}
		}
	}()
	return func() { close(done); <-stopped }
}
