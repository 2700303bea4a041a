// Package sim is a deterministic simulation of mxn: transactions, cleaners
// and a reconciler run as actors against an in-process aerolite server,
// one at a time, in an order drawn from a seed; faults are injected at
// every client call; an independent audit checks the result. The same seed
// replays the same world, step for step (in the manner of FoundationDB's
// simulator and TigerBeetle's VOPR).
//
//	rep, err := sim.Run(42, sim.Options{})
//	if rep.Failed() { fmt.Println(rep.Failure()) }
//
// README.md describes the scheduler, the faults, the audit and the
// commands.
package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/aerolite"
	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
)

// Options shape a simulated world. Zero fields take the defaults noted;
// counts left at zero are drawn from the seed.
type Options struct {
	Accounts    int // hot accounts usr0..; default 3-6
	TxnActors   int // default 2-4
	Cleaners    int // default 1-2
	Reconcilers int // default 1; negative: none
	MaxTxns     int // transactions per actor, 1..MaxTxns; default 3
	// RerunRate is the probability that a transaction reruns a recent
	// txnid (default 0.3; negative: never).
	RerunRate float64
	// MissingRate is the probability that a new transaction has a leg on
	// an account that does not exist (default 0.03; negative: never).
	MissingRate float64
	// Faults are the fault rates; nil: DefaultFaults().
	Faults Faults
	// LockTTL and LockGrace configure the transactions' locks (default
	// 100ms and 200ms, pkg/lock's defaults).
	LockTTL, LockGrace time.Duration
	// MaxLatency bounds the virtual time one call takes (drawn per step;
	// default 1ms; negative: calls take no time).
	MaxLatency time.Duration
	// MaxDelaySteps bounds how many steps later a delayed write lands
	// (default 60).
	MaxDelaySteps int
	// MaxSteps bounds the steps of the workload phase (default 20000); the
	// final cleanup has as many again.
	MaxSteps int
	// FinalRounds bounds the final cleanup rounds (default 6).
	FinalRounds int
	// WallTimeout bounds one world in wall time (default 90s).
	WallTimeout time.Duration
	// StuckTimeout bounds the wall time an actor may run between two
	// scheduling points (default 20s).
	StuckTimeout time.Duration
	// QueryWait bounds the wall time to wait for the server to answer a
	// query (default 10s).
	QueryWait time.Duration
	// Ignore lists checks whose violations are counted in Report.Ignored
	// instead of failing the world (e.g. "log-undecided", to look past a
	// known defect).
	Ignore []string

	// preAudit, for the package's own tests, tampers with the world before
	// the audit (to show the audit catches it).
	preAudit func(*world)
}

func (o Options) withDefaults(shape *rand.Rand) Options {
	if o.Accounts <= 0 {
		o.Accounts = 3 + shape.Intn(4)
	}
	if o.TxnActors <= 0 {
		o.TxnActors = 2 + shape.Intn(3)
	}
	if o.Cleaners <= 0 {
		o.Cleaners = 1 + shape.Intn(2)
	}
	if o.Reconcilers == 0 {
		o.Reconcilers = 1
	} else if o.Reconcilers < 0 {
		o.Reconcilers = 0
	}
	if o.MaxTxns <= 0 {
		o.MaxTxns = 3
	}
	if o.RerunRate == 0 {
		o.RerunRate = 0.3
	}
	if o.MissingRate == 0 {
		o.MissingRate = 0.03
	}
	if o.Faults == nil {
		o.Faults = DefaultFaults()
	}
	if o.LockTTL <= 0 {
		o.LockTTL = 100 * time.Millisecond
	}
	if o.LockGrace <= 0 {
		o.LockGrace = 200 * time.Millisecond
	}
	if o.MaxLatency == 0 {
		o.MaxLatency = time.Millisecond
	} else if o.MaxLatency < 0 {
		o.MaxLatency = 0
	}
	if o.MaxDelaySteps <= 0 {
		o.MaxDelaySteps = 60
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = 20000
	}
	if o.FinalRounds <= 0 {
		o.FinalRounds = 6
	}
	if o.WallTimeout <= 0 {
		o.WallTimeout = 90 * time.Second
	}
	if o.StuckTimeout <= 0 {
		o.StuckTimeout = 20 * time.Second
	}
	if o.QueryWait <= 0 {
		o.QueryWait = 10 * time.Second
	}
	return o
}

// Violation is one failed check.
type Violation struct {
	Check  string // e.g. "account-balance", "outcome-truth"
	Detail string
}

func (v Violation) String() string { return v.Check + ": " + v.Detail }

// Report is what one world did and what the audit found. Everything in it
// but Wall is a function of the seed and the options.
type Report struct {
	Seed       int64
	World      string // the world's shape
	Steps      int
	Virtual    time.Duration // virtual time elapsed
	Trace      []string
	Violations []Violation
	Runs       int
	Outcomes   map[string]int
	Faults     map[string]int
	Ignored    map[string]int // violations of Options.Ignore checks
	Wall       time.Duration
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool { return len(r.Violations) > 0 }

// Checks returns the distinct checks that failed, sorted.
func (r *Report) Checks() []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range r.Violations {
		if !seen[v.Check] {
			seen[v.Check] = true
			out = append(out, v.Check)
		}
	}
	sort.Strings(out)
	return out
}

// Summary is one line about the world.
func (r *Report) Summary() string {
	verdict := "ok"
	if r.Failed() {
		verdict = "FAIL " + strings.Join(r.Checks(), ",")
	}
	if len(r.Ignored) > 0 {
		verdict += " (ignored " + counts(r.Ignored) + ")"
	}
	return fmt.Sprintf("seed %d: %s; %s; %d steps, %v virtual, %d runs (%s), faults (%s), %v wall",
		r.Seed, verdict, r.World, r.Steps, r.Virtual, r.Runs, counts(r.Outcomes), counts(r.Faults), r.Wall.Round(time.Millisecond))
}

// Tail returns the last n trace lines.
func (r *Report) Tail(n int) []string {
	if n >= len(r.Trace) {
		return r.Trace
	}
	return r.Trace[len(r.Trace)-n:]
}

// TraceText is the whole trace, one line per step.
func (r *Report) TraceText() string { return strings.Join(r.Trace, "\n") + "\n" }

// ReplayCommand is the command that replays this seed verbosely.
func (r *Report) ReplayCommand() string {
	return fmt.Sprintf("go test ./pkg/sim -run 'TestSimulation$' -sim.seed=%d -v", r.Seed)
}

// Failure describes a failed world: the seed, the violations, the last
// trace lines and the replay command.
func (r *Report) Failure() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d failed: %s\n", r.Seed, strings.Join(r.Checks(), ", "))
	fmt.Fprintf(&b, "world: %s\n", r.World)
	const maxShown = 12
	for i, v := range r.Violations {
		if i == maxShown {
			fmt.Fprintf(&b, "  ... and %d more violations\n", len(r.Violations)-maxShown)
			break
		}
		fmt.Fprintf(&b, "  VIOLATION %s\n", v)
	}
	fmt.Fprintf(&b, "last %d of %d trace lines:\n", min(40, len(r.Trace)), len(r.Trace))
	for _, l := range r.Tail(40) {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	fmt.Fprintf(&b, "replay: %s\n", r.ReplayCommand())
	return b.String()
}

// runRecord is one Run call and what it returned.
type runRecord struct {
	actor   string
	txnid   string
	legs    []txn.Leg
	rerunOf string // "" for a new txnid
	done    bool
	crashed bool // returned after its phase was aborted: not audited
	res     *txn.Result
	err     error
}

// world is one simulated world.
type world struct {
	seed   int64
	opts   Options
	s      *sched
	srv    *aerolite.Server
	raw    *as.Client
	ns     string
	set    string
	logSet string
	ukeys  []string
	faults Faults
	frng   *rand.Rand // faults; used by the running actor only
	ids    lock.IDSource

	mu          sync.Mutex // against stragglers after an abort
	aborted     bool
	runs        []*runRecord
	violations  []Violation
	faultCounts map[string]int
	realErrs    []string
	txnSeq      int
}

// warmConnections is the client's connection pool size at start: more than
// the connections the actors can hold at once (one call each, plus queries
// whose results are still being read).
const warmConnections = 24

// Run simulates the world of seed and audits it. The error is about the
// harness (the server did not start, an actor got stuck, a real network
// error); protocol findings are the report's Violations.
func Run(seed int64, opts Options) (*Report, error) {
	start := time.Now()
	shape := rand.New(rand.NewSource(seed))
	opts = opts.withDefaults(shape)
	w := &world{
		seed:        seed,
		opts:        opts,
		s:           newSched(seed, opts.MaxLatency),
		ns:          "test",
		set:         strings.ReplaceAll(fmt.Sprintf("sim%d", seed), "-", "n"),
		faults:      opts.Faults,
		frng:        rand.New(rand.NewSource(seed ^ 0xfa017)),
		ids:         lock.NewSeededIDs(seed),
		faultCounts: map[string]int{},
	}
	w.logSet = txn.LogSetName(w.set)
	w.s.deliver = w.deliver
	w.s.onTwoParked = func(a *actor) {
		w.mu.Lock()
		w.realErrs = append(w.realErrs, fmt.Sprintf("step %d: two goroutines of %s at scheduling points at once (the order between them is not deterministic)", w.s.step, a.name))
		w.mu.Unlock()
	}
	for i := 0; i < opts.Accounts; i++ {
		w.ukeys = append(w.ukeys, fmt.Sprintf("usr%d", i))
	}
	rep := &Report{Seed: seed, Outcomes: map[string]int{}, Faults: w.faultCounts}
	rep.World = fmt.Sprintf("%d accounts, %d txn actors, %d cleaners, %d reconcilers, faults %s",
		opts.Accounts, opts.TxnActors, opts.Cleaners, opts.Reconcilers, opts.Faults)
	err := w.live(shape, start)
	rep.Steps = w.s.step
	rep.Virtual = w.s.Now().Sub(Epoch)
	rep.Trace = w.s.trace
	rep.Ignored = map[string]int{}
	for _, v := range w.violations {
		if slices.Contains(opts.Ignore, v.Check) {
			rep.Ignored[v.Check]++
			continue
		}
		rep.Violations = append(rep.Violations, v)
	}
	for _, r := range w.runs {
		rep.Runs++
		if r.done && r.res != nil {
			rep.Outcomes[string(txn.OutcomeOf(r.err))]++
		} else {
			rep.Outcomes["none"]++
		}
	}
	rep.Wall = time.Since(start)
	if err == nil && len(w.realErrs) > 0 {
		err = fmt.Errorf("real client errors (the run may not be deterministic): %s", strings.Join(w.realErrs, "; "))
	}
	if err != nil {
		err = fmt.Errorf("seed %d: %w", seed, err)
	}
	return rep, err
}

// live sets the world up, runs its phases and audits it.
func (w *world) live(shape *rand.Rand, start time.Time) error {
	srv, err := aerolite.NewServer(aerolite.Options{NodeName: "sim", Now: w.s.Now, ReapInterval: time.Hour})
	if err != nil {
		return err
	}
	defer srv.Close()
	w.srv = srv
	cp := as.NewClientPolicy()
	cp.Timeout = 10 * time.Second
	// Keep enough idle connections that no call finds the pool empty (the
	// client would open one in the background and retry: timing, not seed).
	cp.MinConnectionsPerNode = warmConnections
	raw, err := as.NewClientWithPolicy(cp, srv.Host(), srv.Port())
	if err != nil {
		return fmt.Errorf("connect to aerolite: %w", err)
	}
	defer raw.Close()
	if _, err := raw.WarmUp(warmConnections); err != nil {
		return fmt.Errorf("warm up connections: %w", err)
	}
	w.raw = raw
	if err := w.setup(); err != nil {
		return err
	}
	lim := limits{maxSteps: w.opts.MaxSteps, stuck: w.opts.StuckTimeout, deadline: start.Add(w.opts.WallTimeout)}

	// Phase 1: the workload, with faults.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	actors, bodies := w.workload(ctx, shape)
	w.s.onAbort = func() { w.abort(); cancel() }
	err = w.s.run(actors, lim, func(a *actor) { bodies[a.id](a) })
	w.s.onAbort = nil
	if err != nil {
		var pe *phaseError
		if !errors.As(err, &pe) || pe.kind != "step-limit" {
			return err
		}
		w.violate("step-limit", fmt.Sprintf("the workload did not finish within %d steps (livelock?); its actors were stopped as if crashed", w.opts.MaxSteps))
	}
	// Delayed writes still in flight land now.
	w.s.deliverDue(true)

	// Phase 2: no faults; past every lock and grace; cleanup until clean.
	w.s.mu.Lock()
	w.s.frozen = false // every actor of phase 1 has returned
	w.s.mu.Unlock()
	w.s.logf("sim", "final phase")
	final := w.newActor(len(actors), "final", false)
	fids := lock.NewSeededIDs(w.seed ^ 0xf1a1)
	m := w.manager(final, fids)
	lim.maxSteps = w.s.step + w.opts.MaxSteps
	err = w.s.run([]*actor{final}, lim, func(a *actor) { w.finalCleanup(context.Background(), a, m) })
	if err != nil {
		var pe *phaseError
		if !errors.As(err, &pe) || pe.kind != "step-limit" {
			return err
		}
		w.violate("final-cleanup", fmt.Sprintf("did not finish within %d steps", w.opts.MaxSteps))
	}

	// Phase 3: the independent audit.
	if w.opts.preAudit != nil {
		w.opts.preAudit(w)
	}
	return w.audit()
}

// setup writes the accounts and creates the log index.
func (w *world) setup() error {
	wp := as.NewWritePolicy(0, 0)
	wp.SendKey = true
	wp.RecordExistsAction = as.REPLACE
	for _, u := range w.ukeys {
		k, err := as.NewKey(w.ns, w.set, u)
		if err != nil {
			return err
		}
		if err := w.raw.Put(wp, k, as.BinMap{txn.BinName: u, txn.BinBalance: 0}); err != nil {
			return fmt.Errorf("create account %s: %w", u, err)
		}
	}
	// The log index, as EnsureIndex creates it (same name, set, bin and
	// type), polled ready at once: EnsureIndex waits on the client's index
	// task, which polls every 100ms, and aerolite answers OK (not
	// INDEX_FOUND) to a repeated create, so calling it would cost most of
	// a small world's wall time.
	task, err := w.raw.CreateIndex(nil, w.ns, w.logSet, txn.IndexName(w.set), txn.IndexBin, as.STRING)
	if err != nil {
		return fmt.Errorf("create index: %w", err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		done, err := task.IsDone()
		if err != nil {
			return fmt.Errorf("create index: %w", err)
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("create index: not ready after 30s")
		}
	}
}

func (w *world) newActor(id int, name string, faults bool) *actor {
	a := &actor{id: id, name: name, faults: faults, rng: rand.New(rand.NewSource(w.seed*7919 + int64(id)*104729 + 1))}
	a.clock = &actorClock{s: w.s, a: a}
	a.client = &simClient{w: w, a: a}
	return a
}

// manager is an actor's own txn.Manager: its own client wrapper, the
// shared clock and id source, a seed of its own.
func (w *world) manager(a *actor, ids lock.IDSource) *txn.Manager {
	return txn.NewManager(a.client, txn.Config{
		Namespace: w.ns,
		Set:       w.set,
		Lock:      lock.Config{TTL: w.opts.LockTTL, Grace: w.opts.LockGrace},
		Clock:     a.clock,
		IDs:       ids,
		Seed:      w.seed*1000 + int64(a.id) + 1,
	})
}

// workload makes the actors of phase 1.
func (w *world) workload(ctx context.Context, shape *rand.Rand) ([]*actor, map[int]func(*actor)) {
	var actors []*actor
	bodies := map[int]func(*actor){}
	add := func(name string, body func(context.Context, *actor, *txn.Manager)) {
		a := w.newActor(len(actors), name, true)
		m := w.manager(a, w.ids)
		actors = append(actors, a)
		bodies[a.id] = func(a *actor) { body(ctx, a, m) }
	}
	for i := 0; i < w.opts.TxnActors; i++ {
		add(fmt.Sprintf("txn%d", i), w.txnActor)
	}
	for i := 0; i < w.opts.Cleaners; i++ {
		add(fmt.Sprintf("cln%d", i), w.cleanerActor)
	}
	for i := 0; i < w.opts.Reconcilers; i++ {
		add(fmt.Sprintf("rcn%d", i), w.reconcilerActor)
	}
	return actors, bodies
}

func (w *world) isAborted() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.aborted
}

// abort marks the workload as stopped: actors returning from now on are
// stragglers, run concurrently, and must leave no trace.
func (w *world) abort() {
	w.mu.Lock()
	w.aborted = true
	w.mu.Unlock()
}

func (w *world) violate(check, detail string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.violations = append(w.violations, Violation{Check: check, Detail: detail})
}

func (w *world) count(f FaultKind) {
	w.mu.Lock()
	w.faultCounts[string(f)]++
	w.mu.Unlock()
}

func (w *world) realError(msg string) {
	w.mu.Lock()
	w.realErrs = append(w.realErrs, msg)
	w.mu.Unlock()
	w.s.logf("sim", "HARNESS %s", msg)
}

// sanitize removes what differs between two runs of one seed (the
// server's port) from an error text.
func (w *world) sanitize(err error) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), w.srv.Addr(), "SERVER")
}

func (w *world) sleep(ctx context.Context, a *actor, lo, hi time.Duration) {
	d := lo
	if hi > lo {
		d += time.Duration(a.rng.Int63n(int64(hi - lo)))
	}
	_ = a.clock.Sleep(ctx, d)
}

func legsString(legs []txn.Leg) string {
	parts := make([]string, len(legs))
	for i, l := range legs {
		parts[i] = fmt.Sprintf("%s%+d", l.UKey, l.Amt)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// randomLegs returns 1-4 legs on distinct accounts, amounts ±1..50.
func (w *world) randomLegs(a *actor, must string) []txn.Leg {
	n := 1 + a.rng.Intn(min(4, len(w.ukeys)))
	perm := a.rng.Perm(len(w.ukeys))
	var picked []string
	if must != "" {
		picked = append(picked, must)
	}
	for _, i := range perm {
		if len(picked) >= n {
			break
		}
		if w.ukeys[i] != must {
			picked = append(picked, w.ukeys[i])
		}
	}
	if must == "" && a.rng.Float64() < w.opts.MissingRate {
		picked[a.rng.Intn(len(picked))] = "usr9" // no such account
	}
	legs := make([]txn.Leg, len(picked))
	for i, u := range picked {
		amt := int64(1 + a.rng.Intn(50))
		if a.rng.Intn(2) == 0 {
			amt = -amt
		}
		legs[i] = txn.Leg{UKey: u, Amt: amt}
	}
	return legs
}

// txnActor runs 1..MaxTxns transactions in sequence, some of them reruns
// of a recent txnid (possibly still running elsewhere).
func (w *world) txnActor(ctx context.Context, a *actor, m *txn.Manager) {
	n := 1 + a.rng.Intn(w.opts.MaxTxns)
	for i := 0; i < n && !w.isAborted(); i++ {
		if i > 0 {
			w.sleep(ctx, a, 0, 50*time.Millisecond)
		}
		rr := &runRecord{actor: a.name}
		w.mu.Lock()
		if len(w.runs) > 0 && a.rng.Float64() < w.opts.RerunRate {
			recent := w.runs[max(0, len(w.runs)-6):]
			orig := recent[a.rng.Intn(len(recent))]
			rr.txnid, rr.rerunOf = orig.txnid, orig.txnid
			if a.rng.Float64() < 0.75 {
				rr.legs = append([]txn.Leg(nil), orig.legs...)
			} else {
				// Different legs that overlap the original's.
				rr.legs = w.randomLegs(a, orig.legs[a.rng.Intn(len(orig.legs))].UKey)
			}
		} else {
			w.txnSeq++
			rr.txnid = fmt.Sprintf("T%d", w.txnSeq)
			rr.legs = w.randomLegs(a, "")
		}
		w.runs = append(w.runs, rr)
		w.mu.Unlock()
		kind := "new"
		if rr.rerunOf != "" {
			kind = "rerun"
		}
		w.s.logf(a.name, "run %s %s (%s)", rr.txnid, legsString(rr.legs), kind)
		res, err := m.Run(ctx, rr.txnid, rr.legs...)
		w.mu.Lock()
		rr.done, rr.res, rr.err, rr.crashed = true, res, err, w.aborted
		w.mu.Unlock()
		if res == nil {
			w.s.logf(a.name, "run %s -> error %s", rr.txnid, w.sanitize(err))
			continue
		}
		out := fmt.Sprintf("run %s -> %s run=%s applied=%d", rr.txnid, txn.OutcomeOf(err), res.RunID, res.Applied)
		if err != nil {
			out += ": " + w.sanitize(err)
		}
		w.s.logf(a.name, "%s", out)
	}
}

// cleanerActor runs a few cleanup rounds beside the traffic.
func (w *world) cleanerActor(ctx context.Context, a *actor, m *txn.Manager) {
	w.sleep(ctx, a, 0, 400*time.Millisecond)
	n := 2 + a.rng.Intn(3)
	for i := 0; i < n && !w.isAborted(); i++ {
		if i > 0 {
			w.sleep(ctx, a, 50*time.Millisecond, 600*time.Millisecond)
		}
		opts := txn.CleanupOptions{Concurrency: 1}
		if a.rng.Intn(3) == 0 {
			opts.MinAge = 200 * time.Millisecond
		}
		w.s.logf(a.name, "cleanup round %d (min age %v)", i+1, opts.MinAge)
		rep, err := m.Cleanup(ctx, opts)
		w.s.logf(a.name, "cleanup round %d -> %s", i+1, cleanupString(rep, err, w))
	}
}

func cleanupString(rep *txn.CleanupReport, err error, w *world) string {
	s := "no report"
	if rep != nil {
		s = fmt.Sprintf("accounts=%d forward=%d (amt %d) back=%d undecided=%d busy=%d stale=%d errors=%d",
			rep.Accounts, rep.RolledForward, rep.Amount, rep.RolledBack, rep.Undecided, rep.Busy, rep.StaleLocks, len(rep.Errors))
		for _, e := range rep.Errors {
			s += "\n\t\terror: " + strings.ReplaceAll(e, w.srv.Addr(), "SERVER")
		}
	}
	if err != nil {
		s += " err=" + w.sanitize(err)
	}
	return s
}

// reconcilerActor runs a few reconciliations beside the traffic; none may
// find an account unbalanced.
func (w *world) reconcilerActor(ctx context.Context, a *actor, m *txn.Manager) {
	w.sleep(ctx, a, 0, 400*time.Millisecond)
	n := 2 + a.rng.Intn(2)
	for i := 0; i < n && !w.isAborted(); i++ {
		if i > 0 {
			w.sleep(ctx, a, 50*time.Millisecond, 600*time.Millisecond)
		}
		// Both paths, drawn per round: the scan-first one proves quiet
		// accounts without locks, so the exact path (lock, query, fenced
		// release) would otherwise run only for the busy ones.
		mode := []txn.ReconcileMode{txn.ReconcileScanFirst, txn.ReconcileExact}[a.rng.Intn(2)]
		w.s.logf(a.name, "reconcile round %d (%s)", i+1, mode)
		rep, err := m.Reconcile(ctx, txn.ReconcileOptions{Concurrency: 1, KeepBalanced: true, Mode: mode})
		if rep == nil {
			w.s.logf(a.name, "reconcile round %d -> err=%s", i+1, w.sanitize(err))
			continue
		}
		s := fmt.Sprintf("checked=%d balanced=%d unbalanced=%v lockfailed=%v total bal=%d logged=%d pending=%d",
			rep.Checked, rep.Balanced, rep.Unbalanced, rep.LockFailed, rep.TotalBalance, rep.TotalLogged, rep.TotalPending)
		if err != nil {
			s += " err=" + w.sanitize(err)
		}
		w.s.logf(a.name, "reconcile round %d -> %s", i+1, s)
		if len(rep.Unbalanced) > 0 && !w.isAborted() {
			var det []string
			for _, ar := range rep.Accounts {
				if !ar.Balanced && ar.LockError == "" {
					det = append(det, fmt.Sprintf("%s bal=%d logged=%d pending=%d logs=%d nonfinal=%d",
						ar.UKey, ar.Balance, ar.Logged, ar.Pending, ar.Logs, ar.NonFinal))
				}
			}
			w.s.mu.Lock()
			step := w.s.step
			w.s.mu.Unlock()
			w.violate("reconcile-unbalanced", fmt.Sprintf("round %d (ending at step %d) found %s", i+1, step, strings.Join(det, "; ")))
		}
	}
}

// finalCleanup runs after every actor finished: the clock moves past every
// lock, grace and minimum age, then cleanup runs until its report is clean.
func (w *world) finalCleanup(ctx context.Context, a *actor, m *txn.Manager) {
	_ = a.clock.Sleep(ctx, time.Hour)
	for i := 1; i <= w.opts.FinalRounds; i++ {
		rep, err := m.Cleanup(ctx, txn.CleanupOptions{Concurrency: 1})
		w.s.logf(a.name, "final cleanup round %d -> %s", i, cleanupString(rep, err, w))
		if err == nil && rep != nil && rep.Clean() {
			return
		}
		_ = a.clock.Sleep(ctx, 10*time.Second)
	}
	w.violate("final-cleanup", fmt.Sprintf("cleanup report not clean after %d rounds without faults", w.opts.FinalRounds))
}

// delivery is a delayed write: applied by the scheduler at step due,
// unless its server-side deadline (the policy's total timeout, which the
// client sends along) has passed by then: the server drops it.
type delivery struct {
	due      int
	from     string
	fromStep int
	deadline time.Time // zero: none
	name     string
	desc     string
	key      *as.Key
	wp       *as.WritePolicy
	bins     as.BinMap
	ops      []*as.Operation
	bp       *as.BatchPolicy // a BatchOperate of writes: batch
	batch    []*as.BatchWrite
}

func (w *world) delay(a *actor, cl *call, p *as.WritePolicy, k *as.Key, bins as.BinMap, ops []*as.Operation) *delivery {
	d := &delivery{from: a.name, name: cl.name, desc: w.keysDesc(cl), key: k, wp: writePolicy(p), bins: bins, ops: ops}
	var timeout time.Duration
	if p != nil {
		timeout = p.TotalTimeout
	}
	return w.schedule(d, timeout)
}

// schedule queues d to land 1..MaxDelaySteps steps from now; the server
// drops it once timeout (the policy's total timeout, if any) has passed.
func (w *world) schedule(d *delivery, timeout time.Duration) *delivery {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if timeout > 0 {
		d.deadline = w.s.now.Add(timeout)
	}
	d.fromStep = w.s.step
	d.due = w.s.step + 1 + w.frng.Intn(w.opts.MaxDelaySteps)
	w.s.delayed = append(w.s.delayed, d)
	return d
}

// delayBatch delays a batch of writes as a whole: fresh copies of its
// records land later, so the caller's records stay unanswered.
func (w *world) delayBatch(a *actor, cl *call, p *as.BatchPolicy, recs []as.BatchRecordIfc) *delivery {
	d := &delivery{from: a.name, name: cl.name, desc: w.keysDesc(cl), bp: batchPolicy(p)}
	for _, r := range recs {
		bw := r.(*as.BatchWrite)
		d.batch = append(d.batch, as.NewBatchWrite(bw.Policy, bw.Key, append([]*as.Operation(nil), bw.Ops...)...))
	}
	var timeout time.Duration
	if p != nil {
		timeout = p.TotalTimeout
	}
	return w.schedule(d, timeout)
}

func (w *world) deliver(d *delivery) {
	if now := w.s.Now(); !d.deadline.IsZero() && now.After(d.deadline) {
		w.s.logf("deliver", "%-15s %-34s %-13s dropped: its deadline passed %v ago (sent by %s at step %d)",
			d.name, d.desc, "late", now.Sub(d.deadline), d.from, d.fromStep)
		w.mu.Lock()
		w.faultCounts["delayed-expired"]++
		w.mu.Unlock()
		return
	}
	var err as.Error
	var r *as.Record
	if d.batch != nil {
		recs := make([]as.BatchRecordIfc, len(d.batch))
		for i, bw := range d.batch {
			recs[i] = bw
		}
		err = w.raw.BatchOperate(d.bp, recs)
		w.s.logf("deliver", "%-15s %-34s %-13s %s %s (sent by %s at step %d)", d.name, d.desc, "late", errString(err), batchString(recs), d.from, d.fromStep)
		return
	}
	if d.name == "Operate" {
		r, err = w.raw.Operate(d.wp, d.key, d.ops...)
	} else {
		err = w.raw.Put(d.wp, d.key, d.bins)
	}
	w.s.logf("deliver", "%-15s %-34s %-13s %s (sent by %s at step %d)", d.name, d.desc, "late", errString(err)+genString(r), d.from, d.fromStep)
}

// pauseDuration is a stall past the transactions' lock TTL and grace, and
// now and then past the maintenance locks' too.
func (w *world) pauseDuration() time.Duration {
	base := w.opts.LockTTL + w.opts.LockGrace
	if w.frng.Intn(3) == 0 {
		base = 2*time.Second + w.opts.LockGrace // cleanup/reconcile lock TTL
	}
	return base + time.Millisecond + time.Duration(w.frng.Int63n(int64(w.opts.LockTTL)))
}

// wrapGeneration sets the generation of a generation-checked write's target
// to exactly the expected value (for a batch, of one random such record),
// when it differs; false when there was nothing to wrap.
func (w *world) wrapGeneration(cl *call) bool {
	type cand struct {
		key      *as.Key
		cur, exp uint32
	}
	var cands []cand
	consider := func(k *as.Key, exp uint32) {
		if k == nil || exp == 0 {
			return
		}
		if cur, ok := w.srv.Generation(k.Namespace(), k.Digest()); ok && cur != exp {
			cands = append(cands, cand{k, cur, exp})
		}
	}
	if cl.genChecked {
		consider(cl.key, cl.gen)
	}
	for _, r := range cl.batch {
		if k, g, ok := batchGen(r); ok {
			consider(k, g)
		}
	}
	if len(cands) == 0 {
		return false
	}
	c := cands[w.frng.Intn(len(cands))]
	if err := w.srv.SetGeneration(c.key.Namespace(), c.key.Digest(), c.exp); err != nil {
		w.realError(fmt.Sprintf("set generation: %v", err))
		return false
	}
	w.s.logf("sim", "%-15s %-34s %-13s gen %d -> %d", "(wrap)", w.keyDesc(c.key), FaultGenWrap, c.cur, c.exp)
	return true
}

func (w *world) keyDesc(k *as.Key) string {
	if k == nil {
		return "-"
	}
	v := "?"
	if k.Value() != nil {
		v = fmt.Sprint(k.Value())
	}
	if k.SetName() == w.logSet {
		return "L:" + v
	}
	return v
}

func (w *world) keysDesc(cl *call) string {
	switch {
	case cl.query:
		return cl.desc
	case cl.batch != nil:
		parts := make([]string, len(cl.batch))
		for i, r := range cl.batch {
			parts[i] = w.keyDesc(r.BatchRec().Key)
		}
		return strings.Join(parts, ",")
	}
	return w.keyDesc(cl.key)
}
