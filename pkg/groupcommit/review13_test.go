package groupcommit

import (
	"context"
	"errors"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// isCommitFlip reports the commit point of txnid's primary at ukey: a
// generation-checked write of the log key "<ukey>:<txnid>".
func isCommitFlip(r as.BatchRecordIfc, set, ukey, txnid string) bool {
	bw, ok := r.(*as.BatchWrite)
	if !ok || bw.Policy == nil || bw.Policy.GenerationPolicy != as.EXPECT_GEN_EQUAL {
		return false
	}
	k := bw.Key
	return k.SetName() == txn.LogSetName(set) && k.Value() != nil && k.Value().String() == txn.LogKey(ukey, txnid)
}

// TestReview13MultiNodeErrorHidesDoubt: a shared batch spans three nodes.
// Node C answers its record (here the pad read), node A applies the
// transaction's commit flip but its reply times out (the client leaves
// the record NO_RESPONSE, not marked in doubt, and A's error is in doubt),
// and node B refuses its whole sub-command with BATCH_QUEUES_FULL, not in
// doubt; B finishes last, so its error is the outermost of the chain the
// client returns (werrgroup: chainErrors(err, weg.errs)). The single Put
// of the commit flip would have gone to A alone and come back in doubt.
// groupcommit gives the commit flip's caller B's error, not in doubt
// (lock.Classify: Fatal), so commit thinks the flip never left, abandons
// the run (entries removed without amounts) and reports it aborted,
// although its primary is committed: a committed run never applied.
func TestReview13MultiNodeErrorHidesDoubt(t *testing.T) {
	e := newEnv(t)
	ukeys := e.accounts(t, 2)
	const txnid = "t-review13"
	inner := &rewrite{Client: e.Client, after: func(recs []as.BatchRecordIfc, err as.Error) as.Error {
		hit := false
		for _, r := range recs {
			if isCommitFlip(r, e.set, ukeys[0], txnid) && r.BatchRec().ResultCode == types.OK {
				br := r.BatchRec()
				br.ResultCode, br.Record, br.Err, br.InDoubt = types.NO_RESPONSE, nil, nil, false
				hit = true
			}
		}
		if hit {
			return nodeChain(types.BATCH_QUEUES_FULL)
		}
		return err
	}}
	gc := New(inner, Options{})
	gc.padKey = e.key(t, e.set, "pad") // every lone call travels as a real batch (answered pad read)
	defer gc.Close()
	m := txn.NewManager(gc, txn.Config{Namespace: e.Namespace, Set: e.set, Seed: 1, Retries: 5,
		Lock: lock.Config{TTL: 100 * time.Millisecond, Grace: 100 * time.Millisecond}})
	if err := m.EnsureIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := m.Run(context.Background(), txnid, txn.Leg{UKey: ukeys[0], Amt: -5}, txn.Leg{UKey: ukeys[1], Amt: 5})
	t.Logf("run: outcome %v, applied %d, err %v", res.Outcome, res.Applied, err)
	r, gerr := e.Client.Get(nil, e.key(t, txn.LogSetName(e.set), txn.LogKey(ukeys[0], txnid)))
	if gerr != nil {
		t.Fatal(gerr)
	}
	status := r.Bins[txn.LogStatus]
	t.Logf("primary log status %v; balances %v %v", status, e.bal(t, ukeys[0]), e.bal(t, ukeys[1]))
	if status == string(txn.StatusCommitted) && (errors.Is(err, txn.ErrAborted) || errors.Is(err, txn.ErrConflict)) {
		t.Errorf("run reported %v but its primary is committed", res.Outcome)
	}
	// Let every lock expire, clean up, reconcile.
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 3; i++ {
		if _, err := m.Cleanup(context.Background(), txn.CleanupOptions{SweepAge: time.Millisecond, MinAge: time.Millisecond}); err != nil {
			t.Logf("cleanup: %v", err)
		}
	}
	rep, err := txn.NewManager(e.Client, txn.Config{Namespace: e.Namespace, Set: e.set}).Reconcile(context.Background(), txn.ReconcileOptions{Mode: txn.ReconcileExact, KeepBalanced: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("after cleanup: %s; accounts %+v", rep.Verdict(), rep.Accounts)
	}
}

// TestReview13RefusedResendsAppliedWrite: two nodes: A applies the
// acquire of a single-leg run and times out (record NO_RESPONSE, error in
// doubt); B refuses its whole sub-command with BATCH_QUEUES_FULL and
// finishes last. No record was answered, so groupcommit takes the batch
// as refused before anything applied and resends the acquire alone. Its
// single call would have been in doubt (InDoubtAcquire finds its owner
// nonce: acquired). The resend instead meets the lock the first copy
// took, re-enters it, and the run is abandoned as a duplicate, leaving an
// orphan lock and entry until TTL + grace and cleanup.
func TestReview13RefusedResendsAppliedWrite(t *testing.T) {
	e := newEnv(t)
	ukeys := e.accounts(t, 1)
	const txnid = "t-review13b"
	acctKey := e.key(t, e.set, ukeys[0])
	fired := false
	inner := &rewrite{Client: e.Client, after: func(recs []as.BatchRecordIfc, err as.Error) as.Error {
		if fired {
			return err
		}
		hit := false
		for _, r := range recs {
			if _, w := r.(*as.BatchWrite); w && string(r.BatchRec().Key.Digest()) == string(acctKey.Digest()) && r.BatchRec().ResultCode == types.OK {
				hit = true
			}
		}
		if !hit {
			return err
		}
		fired = true
		for _, r := range recs {
			br := r.BatchRec()
			br.ResultCode, br.Record, br.Err, br.InDoubt = types.NO_RESPONSE, nil, nil, false
		}
		return nodeChain(types.BATCH_QUEUES_FULL)
	}}
	gc := New(inner, Options{})
	gc.padKey = e.key(t, e.set, "pad")
	defer gc.Close()
	m := txn.NewManager(gc, txn.Config{Namespace: e.Namespace, Set: e.set, Seed: 1, Retries: 5,
		Lock: lock.Config{TTL: 100 * time.Millisecond, Grace: 100 * time.Millisecond}})
	if err := m.EnsureIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := m.Run(context.Background(), txnid, txn.Leg{UKey: ukeys[0], Amt: 5})
	t.Logf("run: outcome %v, applied %d, err %v; fallbacks %d", res.Outcome, res.Applied, err, gc.Stats().Fallbacks)
	r, _ := e.Client.Get(nil, acctKey)
	t.Logf("account after the run: %v", r.Bins)
	if r.Bins["lck"] != nil || r.Bins["ptxns"] != nil {
		t.Errorf("the run left a lock/entry behind (its single acquire would have been settled in doubt as acquired)")
	}
	if errors.Is(err, txn.ErrDuplicate) {
		t.Errorf("reported %v: no other run of %s exists", res.Outcome, txnid)
	}
}

// nodeChain: node B refused its part of the batch with outer (not in
// doubt) and finished last; node A applied its part and timed out (in
// doubt), its error wrapped behind B's, as the client chains them.
func nodeChain(outer types.ResultCode) as.Error {
	return txntest.NodeChain(&as.AerospikeError{ResultCode: outer}, &as.AerospikeError{ResultCode: types.TIMEOUT, InDoubt: true})
}
