package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/aerolite"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/workload"
)

func init() { registerCommand(newTstCmd) }

type tstFlags struct {
	init                bool
	records, procs      int
	txns                int
	kills               int
	killEvery           time.Duration
	killAllAfter        time.Duration
	zipf                float64
	serverFaults        float64
	cleanupTimeout      time.Duration
	mode                string
	legs, workerConcurr int
	lf                  lockFlags
}

func newTstCmd() *cobra.Command {
	var f tstFlags
	cmd := &cobra.Command{
		Use:   "tst",
		Short: "The test driver: workers as OS processes, then cleanup, then reconcile",
		Long: `Run the prototype's test driver. With -i, truncate the account and log
sets, create --records accounts and the log index. Then start --procs worker
processes (mxn rtxns), each running --txns transactions with --fpct injected
failures; with --kill N, SIGKILL a random worker N times during the run (one
every --kill-every) and start a replacement. When all workers are done, clean
up until nothing is pending, then reconcile. The last line is the verdict;
exit status 1 unless every account is balanced and the total conserved.
--embedded runs the whole test against an in-process aerolite.`,
		Example: `  mxn tst --embedded -i --records 1000 --procs 8 --txns 500 --fpct 50
  mxn tst -i --procs 8 --txns 2000 --mode transfer --legs 3 --kill 5`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				if f.serverFaults > 0 && cfg.server == nil {
					return usageErrorf("--server-faults needs --embedded")
				}
				return runTst(cmd.Context(), c, cfg, &f)
			})
		},
	}
	cmd.Flags().BoolVarP(&f.init, "init", "i", false, "truncate both sets, create the accounts and the log index first")
	cmd.Flags().IntVar(&f.records, "records", 1000, "accounts usr0..usr<records-1>")
	cmd.Flags().IntVar(&f.procs, "procs", 10, "worker processes")
	cmd.Flags().IntVar(&f.txns, "txns", 100, "transactions per worker process")
	cmd.Flags().IntVar(&f.kills, "kill", 0, "SIGKILL a random worker this many times during the run (each replaced; 'failed' then counts the killed ones that were still running)")
	cmd.Flags().DurationVar(&f.killEvery, "kill-every", 300*time.Millisecond, "time between kills")
	cmd.Flags().DurationVar(&f.killAllAfter, "kill-all-after", 0, "SIGKILL every worker at once after this long (the parallel chaos monkey)")
	cmd.Flags().Float64Var(&f.zipf, "zipf", 0, "skew towards hot accounts (Zipf exponent > 1)")
	cmd.Flags().Float64Var(&f.serverFaults, "server-faults", 0, "with --embedded: percent of commands the server fails while workers run (dropped before/after applying, KEY_BUSY)")
	cmd.Flags().DurationVar(&f.cleanupTimeout, "cleanup-timeout", 2*time.Minute, "longest time cleanup may take")
	cmd.Flags().StringVar(&f.mode, "mode", "single", "single or transfer")
	cmd.Flags().IntVar(&f.legs, "legs", 2, "accounts per transfer")
	cmd.Flags().IntVar(&f.workerConcurr, "worker-concurrency", 4, "transactions in flight per worker")
	addLockFlags(cmd, &f.lf)
	return cmd
}

// validate checks the flags, naming the first bad one and its value.
func (f *tstFlags) validate() error {
	if err := firstError(
		checkWorkload(f.records, f.mode, f.legs, f.zipf),
		atLeast("procs", f.procs, 1),
		atLeast("txns", f.txns, 1),
		atLeast("worker-concurrency", f.workerConcurr, 1),
		atLeast("kill", f.kills, 0),
		positive("kill-every", f.killEvery),
		notNegative("kill-all-after", f.killAllAfter),
		positive("cleanup-timeout", f.cleanupTimeout),
		f.lf.validate(),
	); err != nil {
		return err
	}
	if f.serverFaults < 0 || f.serverFaults > 100 {
		return usageErrorf("--server-faults %s out of range 0..100 (percent)", strconv.FormatFloat(f.serverFaults, 'g', -1, 64))
	}
	return nil
}

func runTst(ctx context.Context, c as.ClientIfc, cfg *globalConfig, f *tstFlags) error {
	m, _, err := newManager(c, &globalConfig{Namespace: cfg.Namespace, Set: cfg.Set, Seed: cfg.Seed}, &f.lf)
	if err != nil {
		return err
	}
	if f.init {
		err = initDataset(ctx, c, cfg, m, f.records)
	} else {
		err = m.EnsureIndex(ctx)
	}
	if err != nil {
		return err
	}
	start := time.Now()
	if f.serverFaults > 0 {
		p := f.serverFaults / 3
		cfg.server.Faults().Set(aerolite.FaultConfig{Seed: cfg.Seed, DropBeforePct: p, DropAfterPct: p, FailPct: p})
	}
	total, killed, failed := runWorkers(ctx, cfg, f)
	if cfg.server != nil {
		cfg.server.Faults().Clear()
	}
	cfg.Log.Inff("workers done in %v: %d committed, %d aborted, %d in doubt; %d killed, %d failed",
		time.Since(start).Round(time.Millisecond), total.Committed, total.Aborted, total.InDoubt, killed, failed)
	if err := printJSON(cfg.Stdout, map[string]any{"workers": total, "killed": killed, "failed": failed}); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// Dead workers' locks must expire before cleanup may take them over;
	// every writer has stopped, so a run older than a lock's lifetime is
	// dead and the sweep may abort it. Verify does both, then reconciles.
	vr, err := m.Verify(ctx, txn.VerifyOptions{Timeout: f.cleanupTimeout})
	cl := &vr.Cleanup
	if perr := printJSON(cfg.Stdout, map[string]any{"cleanup": cl}); perr != nil {
		return perr
	}
	if err != nil {
		return err
	}
	rep := vr.Reconcile
	rep.Accounts = nil
	if err := printJSON(cfg.Stdout, map[string]any{"reconcile": rep}); err != nil {
		return err
	}
	if !rep.OK() {
		fmt.Fprintf(cfg.Stdout, "FAILED: %s (total balance %d, committed log total %d)\n", rep.Verdict(), rep.TotalBalance, rep.TotalLogged)
		return fmt.Errorf("%w: %s", errUnbalanced, rep.Verdict())
	}
	// The auditor's view: the log set alone, counting committed logs only.
	audit, err := m.Audit(ctx)
	if err != nil {
		return err
	}
	if err := printJSON(cfg.Stdout, map[string]any{"audit": audit}); err != nil {
		return err
	}
	if !audit.OK() {
		fmt.Fprintf(cfg.Stdout, "FAILED: the log set alone does not balance: %d drifted accounts %v, %d non-final logs (total balance %d, committed log total %d)\n",
			len(audit.Drifted), audit.Drifted, audit.NonFinal, audit.TotalBalance, audit.TotalLogged)
		return fmt.Errorf("%w: log set audit: %d drifted, %d non-final logs", errUnbalanced, len(audit.Drifted), audit.NonFinal)
	}
	fmt.Fprintf(cfg.Stdout, "%s: %d of %d accounts balanced after cleanup (rolled forward %d, rolled back %d, %d logs finalized); total %d conserved\n",
		rep.Verdict(), rep.Balanced, rep.Checked, cl.RolledForward, cl.RolledBack, cl.LogsFinalized, rep.TotalBalance)
	fmt.Fprintf(cfg.Stdout, "Log set alone: %d of %d accounts balanced by their %d committed logs; %d of %d logs non-final\n",
		audit.Balanced, audit.Accounts, audit.Committed, audit.NonFinal, audit.Logs)
	fmt.Fprintln(cfg.Stdout, recoveryLine(total, killed, cl))
	return nil
}

// recoveryLine says how the failures of the run were resolved: the
// injected faults by the workers themselves (retries, in-doubt settling),
// the killed workers' transactions by cleanup.
func recoveryLine(w *workload.Summary, killed int, cl *txn.CleanupReport) string {
	return fmt.Sprintf("Recovery: %d injected faults (%d before, %d after the call reached the server) settled by the workers themselves (retried, or read back when in doubt; %d left in doubt at the end); %d workers killed mid-run; cleanup finished %d pending transactions (%d rolled forward, %d rolled back)",
		w.FaultBefore+w.FaultAfter, w.FaultBefore, w.FaultAfter, w.InDoubt, killed, cl.RolledForward+cl.RolledBack, cl.RolledForward, cl.RolledBack)
}

// initAccounts truncates the account and log sets and creates the accounts.
func initAccounts(ctx context.Context, c as.ClientIfc, cfg *globalConfig, records int) error {
	for _, set := range []string{cfg.Set, txn.LogSetName(cfg.Set)} {
		if err := c.Truncate(nil, cfg.Namespace, set, nil); err != nil {
			return fmt.Errorf("truncate %s: %w", set, asErr(err))
		}
	}
	// A truncate keeps records written in its own millisecond.
	time.Sleep(5 * time.Millisecond)
	n := cfg.Count
	cfg.Count = records
	defer func() { cfg.Count = n }()
	return createAccounts(ctx, c, cfg, defaultConcurrency, progressInterval)
}

type worker struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done bool // Wait returned; guarded by the runner's mutex
}

// runWorkers runs the worker processes, killing random ones on request,
// and merges the summaries of those that finished.
func runWorkers(ctx context.Context, cfg *globalConfig, f *tstFlags) (*workload.Summary, int, int) {
	exe, err := os.Executable()
	total := &workload.Summary{Mode: f.mode, Legs: f.legs}
	if f.mode == "single" {
		total.Legs = 1
	}
	if err != nil {
		cfg.Log.Errf("find own executable: %v", err)
		return total, 0, f.procs
	}
	var mu sync.Mutex
	var running []*worker
	var all []*worker
	seq := 0
	start := func() {
		seq++
		args := []string{"rtxns", "-n", cfg.Namespace, "-s", cfg.Set,
			"--count", strconv.Itoa(f.txns), "--records", strconv.Itoa(f.records),
			"--fpct", strconv.Itoa(cfg.FPct), "--seed", strconv.FormatInt(cfg.Seed+int64(seq)*1000003, 10),
			"--mode", f.mode, "--legs", strconv.Itoa(f.legs), "--concurrency", strconv.Itoa(f.workerConcurr),
			"--zipf", strconv.FormatFloat(f.zipf, 'g', -1, 64),
			"--progress", "0", "--log-level", "none"}
		args = append(args, f.lf.args()...)
		if !cfg.Embedded {
			args = append(args, cfg.authArgs()...)
		}
		w := &worker{cmd: exec.Command(exe, args...)}
		w.cmd.Env = append(os.Environ(), "AEROSPIKE_HOSTS="+hostList(cfg.Hosts))
		w.cmd.Stdout = &w.out
		if err := w.cmd.Start(); err != nil {
			cfg.Log.Errf("start worker: %v", err)
			return
		}
		mu.Lock()
		running = append(running, w)
		all = append(all, w)
		mu.Unlock()
	}
	for i := 0; i < f.procs; i++ {
		start()
	}
	killed := 0
	rng := rand.New(rand.NewSource(cfg.Seed))
	var wg sync.WaitGroup
	if f.killAllAfter > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-time.After(f.killAllAfter):
			case <-ctx.Done():
			}
			mu.Lock()
			defer mu.Unlock()
			for _, w := range running {
				if !w.done && w.cmd.Process.Kill() == nil {
					killed++
				}
			}
			cfg.Log.Inff("killed every worker after %v", f.killAllAfter)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for killed < f.kills && ctx.Err() == nil {
			time.Sleep(f.killEvery)
			mu.Lock()
			var alive []*worker
			for _, w := range running {
				if !w.done {
					alive = append(alive, w)
				}
			}
			mu.Unlock()
			if len(alive) == 0 {
				return
			}
			victim := alive[rng.Intn(len(alive))]
			if victim.cmd.Process.Kill() == nil {
				killed++
				cfg.Log.Inff("killed worker %d", victim.cmd.Process.Pid)
				start()
			}
		}
	}()
	// Wait for every worker, including replacements started meanwhile.
	failed := 0
	for i := 0; ; i++ {
		mu.Lock()
		if i >= len(all) {
			mu.Unlock()
			wg.Wait()
			mu.Lock()
			if i >= len(all) {
				mu.Unlock()
				break
			}
		}
		w := all[i]
		mu.Unlock()
		err := w.cmd.Wait()
		mu.Lock()
		w.done = true
		mu.Unlock()
		if err != nil {
			failed++
			continue
		}
		var s workload.Summary
		if json.Unmarshal(bytes.TrimSpace(w.out.Bytes()), &s) == nil {
			total.Merge(&s)
		}
	}
	return total, killed, failed
}
