package lock_test

import (
	"context"
	"errors"
	"testing"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// TestTryAcquireAll: one batch takes the free locks with their entries and
// reports, per record, a lock held by another (not taken, nothing
// applied) and a missing account.
func TestTryAcquireAll(t *testing.T) {
	f := newFixture(t)
	for _, u := range []string{"a", "b", "c"} {
		f.account(t, u, 0)
	}
	ctx := context.Background()
	other, err := f.locker(1).Acquire(ctx, "b", "other")
	if err != nil {
		t.Fatal(err)
	}
	l := f.locker(2)
	locks, errs := l.TryAcquireAll(ctx, []string{"a", "b", "c", "missing"}, "t1")
	if errs[0] != nil || errs[2] != nil || locks[0] == nil || locks[2] == nil {
		t.Fatalf("a and c: %v %v", errs[0], errs[2])
	}
	if !errors.Is(errs[1], lock.ErrNotTaken) || locks[1] != nil {
		t.Fatalf("b held by another: %v", errs[1])
	}
	if !errors.Is(errs[3], lock.ErrNoRecord) {
		t.Fatalf("missing: %v", errs[3])
	}
	if locks[0].Owner == locks[2].Owner {
		t.Error("two records share an owner nonce")
	}
	for i, u := range []string{"a", "c"} {
		b := f.get(t, locks[i*2].Key)
		if p := lock.StringList(b["ptxns"]); len(p) != 1 || p[0] != lock.Entry(u, "t1") {
			t.Errorf("%s: ptxns %v", u, b["ptxns"])
		}
		if _, err := l.Release(ctx, locks[i*2]); err != nil {
			t.Errorf("release %s: %v", u, err)
		}
	}
	if b := f.get(t, other.Key); lock.StringList(b["ptxns"])[0] != lock.Entry("b", "other") || len(lock.StringList(b["ptxns"])) != 1 {
		t.Errorf("b changed by the refused record: %v", b)
	}
}

// unansweredBatch applies a batch and loses its reply: every record is
// left unanswered (NO_RESPONSE, not marked in doubt, as the client leaves
// it) and the call fails with err.
type unansweredBatch struct {
	lock.Client
	err as.Error
}

func (c unansweredBatch) BatchOperate(p *as.BatchPolicy, recs []as.BatchRecordIfc) as.Error {
	_ = c.Client.BatchOperate(p, recs)
	for _, r := range recs {
		br := r.BatchRec()
		br.ResultCode, br.Record, br.InDoubt, br.Err = types.NO_RESPONSE, nil, false, nil
	}
	return c.err
}

// TestTryAcquireAllReplyLost: records of a batch whose reply was lost are
// read back (InDoubtAcquire): the applied acquires are held, by the owner
// nonce each record carried.
func TestTryAcquireAllReplyLost(t *testing.T) {
	f := newFixture(t)
	f.account(t, "a", 0)
	f.account(t, "b", 0)
	lost := unansweredBatch{f.env.Client, &as.AerospikeError{ResultCode: types.TIMEOUT, InDoubt: true}}
	l := lock.New(lost, lock.Config{Namespace: f.env.Namespace, Set: f.set, Clock: f.clock})
	locks, errs := l.TryAcquireAll(context.Background(), []string{"a", "b"}, "t1")
	for i := range locks {
		if errs[i] != nil || locks[i] == nil {
			t.Fatalf("record %d: %v", i, errs[i])
		}
		if _, err := l.Release(context.Background(), locks[i]); err != nil {
			t.Errorf("release %d: %v", i, err)
		}
	}
}

// TestTryAcquireAllInDoubtBehindNotSent: the error's whole chain counts
// (lock.MayHaveBeenSent): records left unanswered by a batch whose
// outermost error says "not sent" are in doubt when a chained node error
// is, and are read back (here: acquired), never taken as not applied.
func TestTryAcquireAllInDoubtBehindNotSent(t *testing.T) {
	f := newFixture(t)
	f.account(t, "a", 0)
	f.account(t, "b", 0)
	// Over two nodes: one applied its part and timed out (in doubt), the
	// other failed before sending (not in doubt) and finished last, so its
	// error is the outermost, the in-doubt one chained behind it.
	twoNodes := unansweredBatch{f.env.Client, txntest.NodeChain(&as.AerospikeError{ResultCode: types.NETWORK_ERROR},
		&as.AerospikeError{ResultCode: types.TIMEOUT, InDoubt: true})}
	l := lock.New(twoNodes, lock.Config{Namespace: f.env.Namespace, Set: f.set, Clock: f.clock})
	locks, errs := l.TryAcquireAll(context.Background(), []string{"a", "b"}, "t1")
	for i := range locks {
		if errs[i] != nil || locks[i] == nil {
			t.Fatalf("record %d: %v (an applied acquire taken as not applied would be tried again)", i, errs[i])
		}
	}
}
