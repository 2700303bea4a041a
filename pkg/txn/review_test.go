package txn_test

// Tests written during the protocol review (docs/protocol.md). Each one
// reproduces an interleaving that breaks a property the code claims; they
// fail until the fixes proposed in the review are applied.

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// scriptedClient lets a test act between the calls of one manager: onQuery
// runs before each Query is sent; onOperate may replace the outcome of the
// n-th Operate (1-based) and onGet that of the n-th Get.
type scriptedClient struct {
	as.ClientIfc
	ops, gets atomic.Int64
	onQuery   func()
	onOperate func(n int64, rec *as.Record, err as.Error) (*as.Record, as.Error)
	onGet     func(n int64) (fail bool)
}

func (c *scriptedClient) Operate(p *as.WritePolicy, k *as.Key, ops ...*as.Operation) (*as.Record, as.Error) {
	n := c.ops.Add(1)
	rec, err := c.ClientIfc.Operate(p, k, ops...)
	if c.onOperate != nil {
		return c.onOperate(n, rec, err)
	}
	return rec, err
}

func (c *scriptedClient) Get(p *as.BasePolicy, k *as.Key, bins ...string) (*as.Record, as.Error) {
	n := c.gets.Add(1)
	if c.onGet != nil && c.onGet(n) {
		// Failed before it was sent, as FaultyClient's "before" failure.
		return nil, &as.AerospikeError{ResultCode: types.NETWORK_ERROR}
	}
	return c.ClientIfc.Get(p, k, bins...)
}

func (c *scriptedClient) Query(p *as.QueryPolicy, s *as.Statement) (*as.Recordset, as.Error) {
	if c.onQuery != nil {
		c.onQuery()
	}
	return c.ClientIfc.Query(p, s)
}

// Reconcile's lock is stolen while it reads the account's logs, and a
// transaction commits in between; the generation-checked release then fails
// at the server but its reply is lost (a timeout after sending: in doubt).
// lock.resolveRelease sees the generation moved and, for a lock without a
// pending entry, takes "someone else holds it / nobody holds it" for "our
// release applied", so Reconcile returns the void reading: a false
// imbalance — the prototype defect the gen-checked release was meant to fix.
func TestReviewReconcileInDoubtReleaseAfterSteal(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "usr0")
	ctx := context.Background()
	live := f.manager(f.env.Client, 2)
	sc := &scriptedClient{ClientIfc: f.env.Client}
	sc.onQuery = func() {
		sc.onQuery = nil
		// Reconcile holds usr0 and has read bal (0) and ptxns (none). It
		// stalls past its lock's TTL (2s for maintenance) + grace; a
		// transaction steals the lock and commits +50.
		f.clock.Advance(3 * time.Second)
		if _, err := live.Run(ctx, txn.NewTxnID(), txn.Leg{UKey: "usr0", Amt: 50}); err != nil {
			t.Errorf("live transaction: %v", err)
		}
	}
	sc.onOperate = func(n int64, rec *as.Record, err as.Error) (*as.Record, as.Error) {
		if n == 2 && err != nil && err.Matches(types.GENERATION_ERROR) {
			// The release was refused, but the reply never arrived.
			return nil, &as.AerospikeError{ResultCode: types.TIMEOUT, InDoubt: true}
		}
		return rec, err
	}
	rep, err := f.manager(sc, 3).Reconcile(ctx, txn.ReconcileOptions{UKey: "usr0"})
	if err != nil {
		t.Fatal(err)
	}
	if f.balance(t, "usr0") != 50 {
		t.Fatalf("bal %d, want 50", f.balance(t, "usr0"))
	}
	// usr0 is balanced (bal 50, one committed log of 50): reconcile must
	// either say so or report that it could not lock it; never "unbalanced".
	if len(rep.Unbalanced) > 0 {
		t.Errorf("false imbalance: %s; accounts %+v", rep.Verdict(), rep.Accounts)
	}
	f.checkClean(t, "usr0")
}

// Reconcile's acquire is in doubt (it applied); resolveAcquire reads the
// lock back, finds it ours, and re-reads the whole record for the caller's
// ops (bal, ptxns). If that one Get fails, the error is swallowed and
// Lock.Record stays nil: Reconcile reads bal 0 and no pending entries and
// reports a balanced account as unbalanced (Cleanup, the same way, sees no
// entries and reports the account clean).
func TestReviewReconcileInDoubtAcquireLostRecord(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "usr0")
	ctx := context.Background()
	if _, err := f.manager(f.env.Client, 2).Run(ctx, txn.NewTxnID(), txn.Leg{UKey: "usr0", Amt: 50}); err != nil {
		t.Fatal(err)
	}
	sc := &scriptedClient{ClientIfc: f.env.Client}
	sc.onOperate = func(n int64, rec *as.Record, err as.Error) (*as.Record, as.Error) {
		if n == 1 && err == nil {
			// The acquire applied; the reply was lost.
			return nil, &as.AerospikeError{ResultCode: types.TIMEOUT, InDoubt: true}
		}
		return rec, err
	}
	// Get 1 is resolveAcquire's read of the lock bins; Gets 2 on re-read
	// the record for the caller's ops and fail (before sending) past the
	// read's retry budget.
	sc.onGet = func(n int64) bool { return n >= 2 && n <= 100 }
	rep, err := f.manager(sc, 3).Reconcile(ctx, txn.ReconcileOptions{UKey: "usr0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Unbalanced) > 0 {
		t.Errorf("false imbalance: %s; accounts %+v", rep.Verdict(), rep.Accounts)
	}
	f.checkClean(t, "usr0")
}

// Run with a txnid whose single-record transaction already committed (a
// caller retrying after ErrInDoubt, mxn txn --txnid run twice, or the "late
// writer" of TestStaleWriterIsFenced in its committed variant): createLog
// finds the committed log, commitSingle takes it for its own and applies
// the amount a second time. The account is unbalanced for good.
func TestReviewRerunCommittedSingleAppliesTwice(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "usr0")
	ctx := context.Background()
	id := txn.NewTxnID()
	if _, err := f.manager(f.env.Client, 1).Run(ctx, id, txn.Leg{UKey: "usr0", Amt: 50}); err != nil {
		t.Fatal(err)
	}
	res, err := f.manager(f.env.Client, 2).Run(ctx, id, txn.Leg{UKey: "usr0", Amt: 50})
	t.Logf("rerun: %+v, %v", res, err)
	if got := f.balance(t, "usr0"); got != 50 {
		t.Errorf("bal %d after re-running a committed txnid, want 50 (applied once)", got)
	}
	f.checkClean(t, "usr0")
}

// The K-leg variant: createLogs finds committed logs, fails with
// ErrAborted, and abortTransfer's "committed after all" branch (reachable
// only this way: an in-doubt commit flip returns ErrInDoubt before it)
// applies every leg a second time.
func TestReviewRerunCommittedTransferAppliesTwice(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "a", "b")
	ctx := context.Background()
	id := txn.NewTxnID()
	legs := []txn.Leg{{UKey: "a", Amt: -40}, {UKey: "b", Amt: 40}}
	if _, err := f.manager(f.env.Client, 1).Run(ctx, id, legs...); err != nil {
		t.Fatal(err)
	}
	res, err := f.manager(f.env.Client, 2).Run(ctx, id, legs...)
	t.Logf("rerun: %+v, %v", res, err)
	if a, b := f.balance(t, "a"), f.balance(t, "b"); a != -40 || b != 40 {
		t.Errorf("bal a=%d b=%d after re-running a committed txnid, want -40/40", a, b)
	}
	f.checkClean(t, "a", "b")
}

// An acquire whose reply is lost is resolved by reading the record; when
// the read shows no trace of it, Acquire sends the create-only put again.
// But the first request may still be queued at the server (in doubt means
// "may apply"): if it lands after the transaction has committed and
// released, it is the only unfenced write of the protocol — create-only on
// lck succeeds on the now unlocked record and re-appends the entry usr0:T.
// Cleanup later finds that ghost entry, reads T's committed log and rolls
// the leg forward a second time.
func TestReviewDelayedAcquireGhostEntry(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "usr0")
	ctx := context.Background()
	var land func()
	delayed := &delayFirstOperate{ClientIfc: f.env.Client, land: &land}
	res, runErr := f.manager(delayed, 1).Run(ctx, txn.NewTxnID(), txn.Leg{UKey: "usr0", Amt: 50})
	t.Logf("run: %+v, %v; bal %d", res, runErr, f.balance(t, "usr0"))
	if land == nil {
		t.Fatal("no acquire was delayed")
	}
	land()                       // the first, in-doubt acquire reaches the server now
	f.clock.Advance(time.Minute) // past every lock and the sweep age
	rep, err := f.manager(f.env.Client, 2).Cleanup(ctx, txn.CleanupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cleanup: %+v", rep)
	want := int64(0)
	if runErr == nil && res.Committed {
		want = 50
	}
	if got := f.balance(t, "usr0"); got != want {
		t.Errorf("bal %d, want %d (applied once if committed, else never)", got, want)
	}
	f.checkClean(t, "usr0")
}

// delayFirstOperate holds back the first Operate (the acquire): the caller
// gets an in-doubt timeout at once, the request is applied when land runs.
type delayFirstOperate struct {
	as.ClientIfc
	ops  atomic.Int64
	land *func()
}

func (d *delayFirstOperate) Operate(p *as.WritePolicy, k *as.Key, ops ...*as.Operation) (*as.Record, as.Error) {
	if d.ops.Add(1) == 1 {
		*d.land = func() { _, _ = d.ClientIfc.Operate(p, k, ops...) }
		return nil, &as.AerospikeError{ResultCode: types.TIMEOUT, InDoubt: true}
	}
	return d.ClientIfc.Operate(p, k, ops...)
}

// Second review pass (after 07760a3). A rerun of a txnid whose earlier run
// still holds the lock re-enters it (lock.takeOver, Reenter): the earlier
// run's entry is taken for this run's own (pending, not AlreadyPending).
// createLog then finds the earlier run's committed log, checkOwnLog says
// ErrDuplicate, and dropLocks removes the entry without its amount: the
// committed leg is never applied.
func TestReviewRerunReentersEarlierRunsLock(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "usr0")
	ctx := context.Background()
	id := txn.NewTxnID()
	// The first run commits (its log) and dies before its release.
	crash := txntest.NewCrashClient(f.env.Client, 4, false) // dies before its release
	res, err := f.manager(crash, 1).Run(ctx, id, txn.Leg{UKey: "usr0", Amt: 50})
	t.Logf("first run: %+v, %v", res, err)
	// The caller retries the same txnid; the dead run's lock is still on
	// the record, held by this txnid.
	res, err = f.manager(f.env.Client, 2).Run(ctx, id, txn.Leg{UKey: "usr0", Amt: 50})
	t.Logf("rerun: %+v, %v", res, err)
	f.clock.Advance(time.Minute) // past every lock and the sweep age
	rep, err := f.manager(f.env.Client, 3).Cleanup(ctx, txn.CleanupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cleanup: %+v", rep)
	if got := f.balance(t, "usr0"); got != 50 {
		t.Errorf("bal %d, want 50: the committed leg must be applied exactly once", got)
	}
	f.checkClean(t, "usr0")
}

// The same confusion through resolveAcquire: the rerun's create-only
// acquire is refused (the earlier run holds the lock) but the reply is lost;
// resolveAcquire finds the lock held by this txnid and returns it as this
// acquire's, owning the earlier run's entry. dropLocks then removes it
// without its amount.
func TestReviewRerunInDoubtAcquireOnEarlierRunsLock(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "usr0")
	ctx := context.Background()
	id := txn.NewTxnID()
	crash := txntest.NewCrashClient(f.env.Client, 4, false) // dies before its release
	res, err := f.manager(crash, 1).Run(ctx, id, txn.Leg{UKey: "usr0", Amt: 50})
	t.Logf("first run: %+v, %v", res, err)
	sc := &scriptedClient{ClientIfc: f.env.Client}
	sc.onOperate = func(n int64, rec *as.Record, err as.Error) (*as.Record, as.Error) {
		if n == 1 && err != nil {
			return nil, &as.AerospikeError{ResultCode: types.TIMEOUT, InDoubt: true}
		}
		return rec, err
	}
	res, err = f.manager(sc, 2).Run(ctx, id, txn.Leg{UKey: "usr0", Amt: 50})
	t.Logf("rerun: %+v, %v", res, err)
	f.clock.Advance(time.Minute) // past every lock and the sweep age
	if _, err := f.manager(f.env.Client, 3).Cleanup(ctx, txn.CleanupOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := f.balance(t, "usr0"); got != 50 {
		t.Errorf("bal %d, want 50: the committed leg must be applied exactly once", got)
	}
	f.checkClean(t, "usr0")
}

// The K-leg rerun of a finished txnid, when createLog cannot read the log
// it collided with (a transient read failure): createLogs returns a plain
// error, not ErrDuplicate, so commitTransfer calls abortTransfer, which
// finds the earlier run's committed primary and applies every leg again
// ("committed after all" — unreachable for a run's own commit, since an
// in-doubt flip returns ErrInDoubt before it).
func TestReviewRerunTransferReadFailureAppliesAgain(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "a", "b")
	ctx := context.Background()
	id := txn.NewTxnID()
	legs := []txn.Leg{{UKey: "a", Amt: -40}, {UKey: "b", Amt: 40}}
	if _, err := f.manager(f.env.Client, 1).Run(ctx, id, legs...); err != nil {
		t.Fatal(err)
	}
	sc := &scriptedClient{ClientIfc: f.env.Client}
	// The rerun's first 5 Gets (createLog's reads of the colliding log, the
	// fixture's Retries) fail before being sent; later reads work.
	sc.onGet = func(n int64) bool { return n <= 5 }
	res, err := f.manager(sc, 2).Run(ctx, id, legs...)
	t.Logf("rerun: %+v, %v", res, err)
	f.clock.Advance(time.Minute) // past every lock and the sweep age
	if _, err := f.manager(f.env.Client, 3).Cleanup(ctx, txn.CleanupOptions{}); err != nil {
		t.Fatal(err)
	}
	if a, b := f.balance(t, "a"), f.balance(t, "b"); a != -40 || b != 40 {
		t.Errorf("bal a=%d b=%d, want -40/40 (applied once)", a, b)
	}
	f.checkClean(t, "a", "b")
}
