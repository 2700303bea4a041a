package txn_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// reconcileBoth runs the scan-first and the exact reconciliation (every
// account listed) and fails unless they agree field by field.
func (f *fixture) reconcileBoth(t *testing.T, opts txn.ReconcileOptions) (scan, exact *txn.ReconcileReport) {
	t.Helper()
	ctx := context.Background()
	opts.KeepBalanced = true
	m := f.manager(f.env.Client, 31)
	opts.Mode = txn.ReconcileScanFirst
	scan, err := m.Reconcile(ctx, opts)
	if err != nil {
		t.Fatalf("scan-first: %v", err)
	}
	opts.Mode = txn.ReconcileExact
	exact, err = m.Reconcile(ctx, opts)
	if err != nil {
		t.Fatalf("exact: %v", err)
	}
	sameReports(t, "scan-first", scan, "exact", exact)
	if exact.Proved != 0 || exact.Exact != exact.Checked || scan.Proved+scan.Exact != scan.Checked {
		t.Errorf("counts: scan proved %d exact %d checked %d; exact proved %d exact %d checked %d",
			scan.Proved, scan.Exact, scan.Checked, exact.Proved, exact.Exact, exact.Checked)
	}
	return scan, exact
}

// sameReports compares two reconciliations field by field (lock errors by
// presence only: they name random owners), but not how they were reached.
func sameReports(t *testing.T, na string, a *txn.ReconcileReport, nb string, b *txn.ReconcileReport) {
	t.Helper()
	type totals struct {
		Checked, Balanced      int
		Unbalanced, LockFailed []string
		Bal, Logged, Pending   int64
		NonFinal, Listed       int
	}
	tot := func(r *txn.ReconcileReport) totals {
		return totals{r.Checked, r.Balanced, r.Unbalanced, r.LockFailed, r.TotalBalance, r.TotalLogged, r.TotalPending, r.NonFinalLogs, len(r.Accounts)}
	}
	if ta, tb := tot(a), tot(b); fmt.Sprint(ta) != fmt.Sprint(tb) {
		t.Errorf("%s %+v\n%s %+v", na, ta, nb, tb)
	}
	norm := func(r *txn.ReconcileReport) map[string][]txn.AccountReport {
		out := map[string][]txn.AccountReport{}
		for _, x := range r.Accounts {
			if x.LockError != "" {
				x.LockError = "failed"
			}
			out[x.UKey] = append(out[x.UKey], x)
		}
		return out
	}
	ma, mb := norm(a), norm(b)
	for u, x := range ma {
		if y := mb[u]; fmt.Sprint(x) != fmt.Sprint(y) {
			t.Errorf("%s: %s %+v, %s %+v", u, na, x, nb, y)
		}
	}
	for u, y := range mb {
		if _, ok := ma[u]; !ok {
			t.Errorf("%s: only %s lists it: %+v", u, nb, y)
		}
	}
}

// putLog writes a log record by hand (prototype logs, tombstones, drift).
func (f *fixture) putLog(t testing.TB, ukey, txnid string, bins as.BinMap) {
	t.Helper()
	k, _ := as.NewKey(f.env.Namespace, txn.LogSetName(f.set), txn.LogKey(ukey, txnid))
	wp := as.NewWritePolicy(0, 0)
	wp.SendKey = true
	if err := f.env.Client.Put(wp, k, bins); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) deleteLog(t testing.TB, ukey, txnid string) {
	t.Helper()
	k, _ := as.NewKey(f.env.Namespace, txn.LogSetName(f.set), txn.LogKey(ukey, txnid))
	if _, err := f.env.Client.Delete(nil, k); err != nil {
		t.Fatal(err)
	}
}

// addBal changes an account's balance by hand.
func (f *fixture) addBal(t testing.TB, ukey string, d int64) {
	t.Helper()
	k, _ := as.NewKey(f.env.Namespace, f.set, ukey)
	if _, err := f.env.Client.Operate(nil, k, as.AddOp(as.NewBin(txn.BinBalance, d))); err != nil {
		t.Fatal(err)
	}
}

// mixedData builds accounts usr0..usr39 with committed transfers, aborted
// runs, runs crashed at every step (locks, entries, pending logs),
// prototype logs, tombstones, a committed transfer whose secondary is
// still pending, and planted drift. It returns the drifted accounts.
func (f *fixture) mixedData(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	ukeys := ukeysOf(40)
	f.fund(t, ukeys)
	m := f.manager(f.env.Client, 3)
	run := func(m *txn.Manager, legs ...txn.Leg) *txn.Result {
		res, _ := m.Run(ctx, txn.NewTxnID(), legs...)
		return res
	}
	// Committed transfers, 1 to 3 legs, on usr0..usr19.
	for i := 0; i < 30; i++ {
		a, b, c := ukeys[i%20], ukeys[(i+3)%20], ukeys[(i+7)%20]
		switch i % 3 {
		case 0:
			run(m, txn.Leg{UKey: a, Amt: int64(i + 1)})
		case 1:
			run(m, txn.Leg{UKey: a, Amt: -int64(i)}, txn.Leg{UKey: b, Amt: int64(i)})
		default:
			run(m, txn.Leg{UKey: a, Amt: -5}, txn.Leg{UKey: b, Amt: 2}, txn.Leg{UKey: c, Amt: 3})
		}
	}
	// Aborted runs (a leg on a missing account): aborted logs.
	run(m, txn.Leg{UKey: ukeys[1], Amt: 9}, txn.Leg{UKey: "ghost", Amt: -9})
	run(m, txn.Leg{UKey: ukeys[2], Amt: 4}, txn.Leg{UKey: "ghost2", Amt: -4})
	// Crashed 2-leg runs on usr20..usr29: calls 1 claim, 2 lock batch,
	// 3 commit, 4 apply; before and after.
	for i, cp := range []struct {
		k     int64
		after bool
	}{{1, true}, {2, true}, {3, false}, {3, true}, {4, false}} {
		a, b := ukeys[20+2*i], ukeys[21+2*i]
		crash := txntest.NewCrashClient(f.env.Client, cp.k, cp.after)
		run(f.manager(crash, 50+int64(i)), txn.Leg{UKey: a, Amt: -11}, txn.Leg{UKey: b, Amt: 11})
	}
	// Prototype logs (no status: committed; string amounts) on usr30,
	// usr31, with their balances; tombstones on usr32, usr33.
	for i, u := range ukeys[30:32] {
		amt := 25 + i
		f.putLog(t, u, fmt.Sprintf("proto%d", i), as.BinMap{txn.LogTxnID: fmt.Sprintf("proto%d", i), txn.LogUKey: u, txn.LogAmount: fmt.Sprintf(" %d", amt), txn.LogSet: f.set})
		f.addBal(t, u, int64(amt))
	}
	for i, u := range ukeys[32:34] {
		tx := fmt.Sprintf("tomb%d", i)
		f.putLog(t, u, tx, as.BinMap{txn.LogTxnID: tx, txn.LogUKey: u, txn.LogAmount: 0, txn.LogStatus: "aborted", txn.LogPrimary: u, txn.LogSet: f.set})
	}
	// A committed transfer whose secondary is still marked pending, its
	// entries gone (the state Z3 leaves): usr34 → usr35.
	res := run(m, txn.Leg{UKey: ukeys[34], Amt: -8}, txn.Leg{UKey: ukeys[35], Amt: 8})
	f.putLog(t, ukeys[35], res.TxnID, as.BinMap{txn.LogStatus: "pending"})
	// Drift: a balance changed by hand (usr3), a committed log deleted
	// (usr5), a committed log's amount changed (usr6), a prototype log
	// whose balance was not credited (usr36).
	f.addBal(t, ukeys[3], 7)
	f.deleteLog(t, ukeys[5], f.committedLog(t, ukeys[5]))
	f.putLog(t, ukeys[6], f.committedLog(t, ukeys[6]), as.BinMap{txn.LogAmount: 1234})
	f.putLog(t, ukeys[36], "proto9", as.BinMap{txn.LogTxnID: "proto9", txn.LogUKey: ukeys[36], txn.LogAmount: "3"})
	// Drift that an entry hides from the sums: usr38 is the primary of a
	// run crashed after its commit (its entry, of -11, still pending) and
	// -11 was taken from its balance by hand. Its committed logs sum to
	// its balance, but the exact path counts -11 as pending, not applied.
	crash := txntest.NewCrashClient(f.env.Client, 3, true)
	run(f.manager(crash, 60), txn.Leg{UKey: ukeys[38], Amt: -11}, txn.Leg{UKey: ukeys[39], Amt: 11})
	f.addBal(t, ukeys[38], -11)
	drifted := []string{ukeys[3], ukeys[5], ukeys[6], ukeys[36], ukeys[38]}
	slices.Sort(drifted)
	return drifted
}

// committedLog returns the txnid of a committed log of ukey.
func (f *fixture) committedLog(t *testing.T, ukey string) string {
	t.Helper()
	stmt := as.NewStatement(f.env.Namespace, txn.LogSetName(f.set))
	_ = stmt.SetFilter(as.NewEqualFilter(txn.IndexBin, ukey))
	rs, err := f.env.Client.Query(nil, stmt)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for r := range rs.Results() {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if r.Record.Bins[txn.LogStatus] == "committed" {
			ids = append(ids, r.Record.Bins[txn.LogTxnID].(string))
		}
	}
	if len(ids) == 0 {
		t.Fatalf("%s has no committed log", ukey)
	}
	slices.Sort(ids)
	return ids[0]
}

// TestReconcileScanFirstSameVerdicts: on data with every kind of log and
// leftover, the scan-first reconciliation reports exactly what the exact
// one does, before and after cleanup, and proves the quiet accounts.
func TestReconcileScanFirstSameVerdicts(t *testing.T) {
	f := newFixture(t)
	drifted := f.mixedData(t)
	f.clock.Advance(time.Minute) // the crashed runs' locks have expired
	scan, _ := f.reconcileBoth(t, txn.ReconcileOptions{Concurrency: 3})
	if !slices.Equal(scan.Unbalanced, drifted) || len(scan.LockFailed) != 0 {
		t.Errorf("unbalanced %v (want %v), lock failed %v", scan.Unbalanced, drifted, scan.LockFailed)
	}
	withEntries := 0
	for _, a := range scan.Accounts {
		if a.Pending != 0 {
			withEntries++
		}
	}
	if scan.NonFinalLogs == 0 || withEntries == 0 {
		t.Errorf("the crashed runs left no pending log or entry: %+v", scan)
	}
	// Proved: the 40 accounts, less the drifted, those with entries or
	// pending logs (usr20..usr29, usr35, usr39), give or take the crash
	// points that left nothing.
	if scan.Proved < 20 || scan.Proved > 35 {
		t.Errorf("proved %d, exact %d", scan.Proved, scan.Exact)
	}
	t.Logf("before cleanup: proved %d, exact %d, unbalanced %v, non-final %d", scan.Proved, scan.Exact, scan.Unbalanced, scan.NonFinalLogs)

	rep, err := f.manager(f.env.Client, 5).Cleanup(context.Background(), txn.CleanupOptions{})
	if err != nil || !rep.Clean() {
		t.Fatalf("cleanup: %+v, %v", rep, err)
	}
	scan, _ = f.reconcileBoth(t, txn.ReconcileOptions{Concurrency: 1})
	if !slices.Equal(scan.Unbalanced, drifted) || scan.NonFinalLogs != 0 || scan.TotalPending != 0 {
		t.Errorf("after cleanup: %+v", scan)
	}
	if scan.Proved != 40-len(drifted) || scan.Exact != len(drifted) {
		t.Errorf("after cleanup: proved %d, exact %d", scan.Proved, scan.Exact)
	}
	// The drift repaired by hand: everything balanced, all proved.
	f.addBal(t, "usr3", -7)
	f.addBal(t, "usr36", 3)
	f.addBal(t, "usr38", 11)
	f.putLog(t, "usr5", "fix5", as.BinMap{txn.LogTxnID: "fix5", txn.LogUKey: "usr5", txn.LogAmount: f.balance(t, "usr5") - scanLogged(scan, "usr5"), txn.LogStatus: "committed", txn.LogSet: f.set})
	f.putLog(t, "usr6", "fix6", as.BinMap{txn.LogTxnID: "fix6", txn.LogUKey: "usr6", txn.LogAmount: f.balance(t, "usr6") - scanLogged(scan, "usr6"), txn.LogStatus: "committed", txn.LogSet: f.set})
	scan, _ = f.reconcileBoth(t, txn.ReconcileOptions{})
	if !scan.OK() || scan.Proved != 40 {
		t.Errorf("after repair: %s, proved %d", scan.Verdict(), scan.Proved)
	}
}

func scanLogged(r *txn.ReconcileReport, ukey string) int64 {
	for _, a := range r.Accounts {
		if a.UKey == ukey {
			return a.Logged
		}
	}
	return 0
}

// TestReconcileScanFirstShards: the four quarters of the partitions,
// reconciled separately (their log scans filtered by apid) and merged,
// report what one reconciliation of every partition does.
func TestReconcileScanFirstShards(t *testing.T) {
	f := newFixture(t)
	drifted := f.mixedData(t)
	f.clock.Advance(time.Minute)
	m := f.manager(f.env.Client, 9)
	ctx := context.Background()
	whole, err := m.Reconcile(ctx, txn.ReconcileOptions{KeepBalanced: true})
	if err != nil {
		t.Fatal(err)
	}
	merged := &txn.ReconcileReport{Unbalanced: []string{}, LockFailed: []string{}}
	for _, r := range txn.AllPartitions.Split(4) {
		r := r
		part, err := m.Reconcile(ctx, txn.ReconcileOptions{Partitions: &r, KeepBalanced: true})
		if err != nil {
			t.Fatal(err)
		}
		if part.Checked == 0 || part.Checked == whole.Checked {
			t.Errorf("range %s checked %d of %d", r, part.Checked, whole.Checked)
		}
		merged.Merge(part)
	}
	sameReports(t, "4 ranges", merged, "1 range", whole)
	// A run's logs carry their account's partition.
	res, err := m.Run(ctx, txn.NewTxnID(), txn.Leg{UKey: "usr7", Amt: -1}, txn.Leg{UKey: "usr8", Amt: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"usr7", "usr8"} {
		lk, _ := as.NewKey(f.env.Namespace, txn.LogSetName(f.set), txn.LogKey(u, res.TxnID))
		ak, _ := as.NewKey(f.env.Namespace, f.set, u)
		rec, err := f.env.Client.Get(nil, lk)
		if err != nil || rec.Bins[txn.LogAccountPartition] != ak.PartitionId() {
			t.Errorf("log %s:%s: %v, %v; account partition %d, log partition %d", u, res.TxnID, rec, err, ak.PartitionId(), lk.PartitionId())
		}
	}
	if merged.Proved != whole.Proved || !slices.Equal(whole.Unbalanced, drifted) {
		t.Errorf("proved %d in 4 ranges, %d in one; unbalanced %v", merged.Proved, whole.Proved, whole.Unbalanced)
	}
}

// TestReconcileScanFirstStableWindow: an account written between its
// first read (t1) and its second (t2) is not proved by the first pass but
// checked exactly. The account has drift +5, and a committed +5 lands
// after t1 and before the log scan: the log scan counts it, so its sum
// equals the balance read at t1; only the change seen at t2 keeps the
// first pass from calling it balanced.
func TestReconcileScanFirstStableWindow(t *testing.T) {
	for _, wrap := range []bool{false, true} {
		t.Run(map[bool]string{false: "generation moved", true: "generation brought back"}[wrap], func(t *testing.T) {
			f := newFixture(t)
			if wrap && f.env.Server == nil {
				t.Skip("needs aerolite to set a generation")
			}
			ukeys := ukeysOf(3)
			f.fund(t, ukeys)
			f.addBal(t, "usr1", 5) // drift
			m := f.manager(f.env.Client, 1)
			var gen uint32
			hook := func(stage string) {
				if stage != "read" {
					return
				}
				if wrap {
					gen, _ = f.env.Server.KeyGeneration(f.env.Namespace, f.set, "usr1")
					time.Sleep(3 * time.Millisecond) // another last-update millisecond
				}
				if _, err := m.Run(context.Background(), txn.NewTxnID(), txn.Leg{UKey: "usr1", Amt: 5}); err != nil {
					t.Error(err)
				}
				if wrap { // as after 65,535 more writes
					if err := f.env.Server.SetKeyGeneration(f.env.Namespace, f.set, "usr1", gen); err != nil {
						t.Error(err)
					}
				}
			}
			opts := txn.WithFirstPassHook(txn.ReconcileOptions{KeepBalanced: true}, hook)
			rep, err := m.Reconcile(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rep.Unbalanced, []string{"usr1"}) || rep.Proved != 2 || rep.Exact != 1 {
				t.Errorf("unbalanced %v, proved %d, exact %d; %+v", rep.Unbalanced, rep.Proved, rep.Exact, rep.Accounts)
			}
		})
	}
}

// TestReconcileScanFirstLiveTraffic runs transactions (a few hot
// accounts, many cold) beside scan-first reconciliations: none may report
// an account unbalanced but the one with planted drift, which all must.
// After the traffic, a cleanup; then both modes agree and are clean.
func TestReconcileScanFirstLiveTraffic(t *testing.T) {
	f := newFixture(t)
	f.clock = nil // real time: locks expire, reconcilers steal and wait for real
	ukeys := ukeysOf(60)
	f.accounts(t, 0, ukeys...)
	const ttl, grace = 50 * time.Millisecond, 50 * time.Millisecond
	cfg := func(seed int64) txn.Config {
		return txn.Config{Namespace: f.env.Namespace, Set: f.set, Seed: seed, Retries: 10,
			Lock: lock.Config{TTL: ttl, Grace: grace, MaxWait: time.Second, Attempts: 200}}
	}
	m0 := txn.NewManager(f.env.Client, cfg(1))
	for _, u := range ukeys {
		if _, err := m0.Run(context.Background(), txn.NewTxnID(), txn.Leg{UKey: u, Amt: 1000}); err != nil {
			t.Fatal(err)
		}
	}
	f.addBal(t, "usr59", 3) // drift on a cold account nobody touches
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	trafficDone := make(chan struct{})
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			faulty, err := txntest.NewFaultyClient(f.env.Client, 20, int64(g))
			if err != nil {
				t.Error(err)
				return
			}
			m := txn.NewManager(faulty, cfg(int64(10+g)))
			for i := 0; i < 60 && ctx.Err() == nil; i++ {
				// Hot: usr0..usr5; warm: usr6..usr49 now and then.
				a, b := ukeys[(g+i)%6], ukeys[6+(g*7+i*5)%44]
				if i%2 == 0 {
					b = ukeys[(g+i+1)%6]
				}
				legs := []txn.Leg{{UKey: a, Amt: -int64(i%7 + 1)}, {UKey: b, Amt: int64(i%7 + 1)}}
				if i%5 == 0 {
					legs = []txn.Leg{{UKey: b, Amt: 3}}
				}
				_, _ = m.Run(ctx, txn.NewTxnID(), legs...)
			}
		}(g)
	}
	go func() { wg.Wait(); close(trafficDone) }()
	rm := txn.NewManager(f.env.Client, cfg(99))
	rounds, proved := 0, 0
	for done := false; !done && rounds < 20; {
		select {
		case <-trafficDone:
			done = true
		default:
		}
		rep, err := rm.Reconcile(ctx, txn.ReconcileOptions{Concurrency: 4})
		if err != nil {
			t.Fatal(err)
		}
		rounds++
		proved += rep.Proved
		if !slices.Equal(rep.Unbalanced, []string{"usr59"}) {
			var det []txn.AccountReport
			for _, a := range rep.Accounts {
				if !a.Balanced {
					det = append(det, a)
				}
			}
			t.Errorf("round %d: unbalanced %v (want [usr59]): %+v", rounds, rep.Unbalanced, det)
		}
	}
	<-trafficDone
	t.Logf("%d reconciliations beside the traffic, %d accounts proved by their first pass", rounds, proved)
	if proved == 0 {
		t.Error("the first pass proved nothing beside the traffic")
	}
	final := cfg(2000)
	final.Clock = aheadClock{txn.DefaultSweepAge(ttl, grace) + ttl + grace}
	cm := txn.NewManager(f.env.Client, final)
	cleanUntilQuiet(t, ctx, cm)
	f.addBal(t, "usr59", -3)
	scan, _ := f.reconcileBoth(t, txn.ReconcileOptions{Concurrency: 4})
	if !scan.OK() || scan.NonFinalLogs != 0 || scan.Proved != len(ukeys) {
		t.Errorf("after cleanup: %s; non-final %d, proved %d", scan.Verdict(), scan.NonFinalLogs, scan.Proved)
	}
}
