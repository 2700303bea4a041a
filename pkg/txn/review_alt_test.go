package txn_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// TestAltReorderedRerunCommitsTwice: a request is run again (the CLI's
// in-doubt hint: "rerun the same command") with its alternatives given in
// another order. Alternative 1's txnid now names other legs, so its
// "primary" key is a secondary of the earlier run: Fate(p, p) calls that
// pending non-primary log aborted without writing anything, RunFirst moves
// on to alternative 2 and commits it, and the earlier run's committed
// alternative 1 is rolled forward by cleanup: both commit (same legs twice).
func TestAltReorderedRerunCommitsTwice(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 100, "eur", "usd", "shop")
	ctx := context.Background()
	a := []txn.Leg{{UKey: "eur", Amt: -10}, {UKey: "shop", Amt: 10}}
	b := []txn.Leg{{UKey: "usd", Amt: -11}, {UKey: "shop", Amt: 11}}
	// Call 1 dies just after its commit point (call 6 = the apply batch is
	// never sent): the request record, read, claim, lock, commit.
	res1, err1 := f.manager(txntest.NewCrashClient(f.env.Client, 6, false), 1).RunFirst(ctx, "R", a, b)
	t.Logf("call 1: %+v %v", res1, err1)
	if st := f.zLogStatus("eur", "R.1"); st != string(txn.StatusCommitted) {
		t.Fatalf("eur:R.1 is %q, want committed", st)
	}
	f.clock.Advance(time.Minute)
	// The request record binds R to its alternatives in their order: the
	// reordered call is refused before it touches anything.
	if _, err2 := f.manager(f.env.Client, 2).RunFirst(ctx, "R", b, a); !errors.Is(err2, txn.ErrRequestReused) {
		t.Errorf("call 2 with the alternatives reordered: %v, want ErrRequestReused", err2)
	}
	if res3, err3 := f.manager(f.env.Client, 3).RunFirst(ctx, "R", a, b); err3 != nil || res3.Committed != 0 {
		t.Errorf("call 3 as call 1: %+v, %v", res3, err3)
	}
	f.clock.Advance(time.Minute)
	cleanUntilQuiet(t, ctx, f.manager(f.env.Client, 3))
	if got := f.committedAlternatives(t)["R"]; len(got) > 1 {
		t.Errorf("request R: alternatives %v both committed; eur %d usd %d shop %d",
			got, f.balance(t, "eur"), f.balance(t, "usd"), f.balance(t, "shop"))
	}
}

// TestAltShorterListReportsNoneThenOneCommits: a call of the request with
// fewer alternatives reports "none ever commits" while the first call,
// with one more alternative, commits it afterwards.
func TestAltShorterListReportsNoneThenOneCommits(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "fail")
	ctx := context.Background()
	x1 := []txn.Leg{{UKey: "nosuch1", Amt: 1}}
	x2 := []txn.Leg{{UKey: "fail", Amt: 1}}
	_, err := f.manager(f.env.Client, 1).RunFirst(ctx, "S", x1)
	if !errors.Is(err, txn.ErrNoAlternative) {
		t.Fatalf("call 1: %v", err)
	}
	res, err := f.manager(f.env.Client, 2).RunFirst(ctx, "S", x1, x2)
	if err == nil && res.Committed == 1 {
		t.Errorf("call 1 reported no alternative of S will ever commit; call 2 then committed alternative 2")
	}
}

// TestAltReportTruth: alternative 1's commit flip is in doubt and its
// read-back fails, so Run reports in-doubt; RunFirst then decides it.
// (a) flip not applied: decided aborted, yet reported "in-doubt";
// (b) flip applied: reported "committed" (every leg applied by this run)
// although no leg was applied.
func TestAltReportTruth(t *testing.T) {
	for _, applied := range []bool{false, true} {
		t.Run(map[bool]string{false: "flip not applied", true: "flip applied"}[applied], func(t *testing.T) {
			f := newFixture(t)
			f.accounts(t, 0, "a", "b")
			var mu sync.Mutex
			puts, failRead := 0, false
			c := &txntest.Interceptor{Next: f.env.Client}
			c.Before = func(call txntest.Call) as.Error {
				mu.Lock()
				defer mu.Unlock()
				if keyString(call.Key) != "a:Q.1" {
					return nil
				}
				switch call.Name {
				case "Put":
					puts++
					if puts == 2 && !applied { // the commit flip: in doubt, not applied
						failRead = true
						return txntest.ReplyLost(true)
					}
				case "Get":
					if failRead {
						failRead = false
						return &as.AerospikeError{ResultCode: types.PARAMETER_ERROR}
					}
				}
				return nil
			}
			c.After = func(call txntest.Call, err as.Error) as.Error {
				mu.Lock()
				defer mu.Unlock()
				if applied && call.Name == "Put" && keyString(call.Key) == "a:Q.1" && puts == 2 && err == nil {
					failRead = true
					return txntest.ReplyLost(true)
				}
				return err
			}
			res, err := f.manager(c, 1).RunFirst(context.Background(), "Q", []txn.Leg{{UKey: "a", Amt: 1}}, []txn.Leg{{UKey: "b", Amt: 1}})
			if res == nil {
				t.Fatal(err)
			}
			st := f.zLogStatus("a", "Q.1")
			alt := res.Alternatives[0]
			t.Logf("committed %d err %v; alternative 1: %s (%s), primary %s, bal a %d", res.Committed, err, alt.Outcome, alt.Error, st, f.balance(t, "a"))
			switch {
			case st == string(txn.StatusAborted) && alt.Outcome == txn.OutcomeInDoubt:
				t.Errorf("alternative 1 reported in-doubt, decided aborted")
			case st == string(txn.StatusCommitted) && alt.Outcome == txn.OutcomeCommitted && f.balance(t, "a") == 0:
				t.Errorf("alternative 1 reported %q (every leg applied by this run); none applied", alt.Outcome)
			}
		})
	}
}

// TestAltSecondCallerWaitsForTheFirst: a second call of a request (a
// client's retry) arrives while the first call's alternative 1 is at its
// commit flip. It must not abort that live alternative (then move on and
// race the first call down the list: both callers could end with nothing):
// it waits until alternative 1 is decided, here committed, and reports it.
func TestAltSecondCallerWaitsForTheFirst(t *testing.T) {
	f := newFixture(t)
	f.clock = nil // real time: the first call is live, not stalled past the sweep age
	f.accounts(t, 0, "a", "b", "c")
	alts := [][]txn.Leg{{{UKey: "a", Amt: 1}}, {{UKey: "b", Amt: 1}}, {{UKey: "c", Amt: 1}}}
	hold, at := make(chan struct{}), make(chan struct{}, 1)
	puts := 0
	var mu sync.Mutex
	ca := &txntest.Interceptor{Next: f.env.Client, Before: func(call txntest.Call) as.Error {
		if call.Name != "Put" || keyString(call.Key) != "a:P.1" {
			return nil
		}
		mu.Lock()
		puts++
		n := puts
		mu.Unlock()
		if n == 2 { // the commit flip of alternative 1
			at <- struct{}{}
			<-hold
		}
		return nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var resA, resB *txn.FirstResult
	var errA, errB error
	doneA, doneB := make(chan struct{}), make(chan struct{})
	go func() { defer close(doneA); resA, errA = f.manager(ca, 1).RunFirst(ctx, "P", alts...) }()
	<-at
	go func() { defer close(doneB); resB, errB = f.manager(f.env.Client, 2).RunFirst(ctx, "P", alts...) }()
	select {
	case <-doneB:
		t.Fatalf("the second call did not wait for the live alternative 1: %+v, %v", resB, errB)
	case <-time.After(300 * time.Millisecond):
	}
	close(hold)
	<-doneA
	<-doneB
	if errA != nil || errB != nil || resA.Committed != 0 || resB.Committed != 0 {
		t.Errorf("A: %+v, %v; B: %+v, %v", resA, errA, resB, errB)
	}
	if got := f.committedAlternatives(t)["P"]; len(got) != 1 || got[0] != 1 {
		t.Errorf("committed alternatives %v", got)
	}
}
