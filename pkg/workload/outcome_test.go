package workload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/testenv"
	"github.com/mxnlabs/mxn/pkg/txn"
)

func TestRecordCountsEachOutcome(t *testing.T) {
	s := Summary{kept: &latencies{}}
	legs := []txn.Leg{{UKey: "usr0", Amt: 5}}
	for _, o := range []txn.Outcome{txn.OutcomeCommitted, txn.OutcomeCommittedUnapplied, txn.OutcomeAborted, txn.OutcomeConflict,
		txn.OutcomeInDoubt, txn.OutcomeDuplicate, txn.OutcomeNoAccount, "", "some-new-outcome"} {
		s.record(o, legs, 1, time.Millisecond)
	}
	want := Summary{Attempted: 9, Committed: 2, CommittedUnapplied: 1, Aborted: 1, Conflicts: 1, InDoubt: 1, Duplicates: 1,
		NoAccount: 1, Errors: 2, Retries: 9, Amount: 10}
	got := s
	got.Latency, got.kept = Histogram{}, nil
	if got != want {
		t.Fatalf("counts\n got %+v\nwant %+v", got, want)
	}
	if len(s.kept.d) != 2 || s.ExactQuantile(0.99) != time.Millisecond {
		t.Fatalf("kept latencies %v, p99 %v", s.kept.d, s.ExactQuantile(0.99))
	}
	if s.Latency.N != 2 {
		t.Fatalf("latency of %d transactions, want the 2 committed", s.Latency.N)
	}
}

func TestOutcomeOfRun(t *testing.T) {
	inDoubt := fmt.Errorf("transaction t: %w: lost", txn.ErrInDoubt)
	cases := []struct {
		res  *txn.Result
		err  error
		want txn.Outcome
	}{
		{&txn.Result{Outcome: txn.OutcomeCommittedUnapplied}, nil, txn.OutcomeCommittedUnapplied},
		{&txn.Result{Outcome: txn.OutcomeInDoubt}, inDoubt, txn.OutcomeInDoubt},
		{&txn.Result{}, inDoubt, txn.OutcomeInDoubt}, // a result without its outcome: from the error
		{&txn.Result{}, nil, txn.OutcomeCommitted},
		{nil, errors.New("bad legs"), ""}, // refused outright
	}
	for i, tc := range cases {
		if got := outcomeOf(tc.res, tc.err); got != tc.want {
			t.Errorf("case %d: %q, want %q", i, got, tc.want)
		}
	}
}

// The summary's JSON keeps every key it had, so that older readers (tst
// merging worker output, scripts) keep working; new counters are added.
func TestSummaryJSONKeys(t *testing.T) {
	b, err := json.Marshal(&Summary{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"mode", "legs", "attempted", "committed", "aborted", "conflicts", "in_doubt", "no_account",
		"errors", "retries", "amount_committed", "elapsed_s", "committed_per_s", "p50_ms", "p99_ms", "max_ms",
		"faults_before", "faults_after", "lock", "latency", "committed_unapplied", "duplicates"} {
		if _, ok := m[k]; !ok {
			t.Errorf("summary JSON lacks %q: %s", k, b)
		}
	}
	a := &Summary{CommittedUnapplied: 1, Duplicates: 2}
	a.Merge(&Summary{CommittedUnapplied: 3, Duplicates: 4})
	if a.CommittedUnapplied != 4 || a.Duplicates != 6 {
		t.Errorf("merged %+v", a)
	}
}

// Run classifies real outcomes: transactions on accounts that exist
// commit, those on one that does not are counted as no_account.
func TestRunCountsOutcomes(t *testing.T) {
	env := testenv.New(t)
	set := env.Set("wl")
	wp := as.NewWritePolicy(0, 0)
	for i := 0; i < 4; i++ { // accounts usr0..usr3; usr4 is missing
		k, _ := as.NewKey(env.Namespace, set, AccountName(i))
		if err := env.Client.Put(wp, k, as.BinMap{"bal": 0}); err != nil {
			t.Fatal(err)
		}
	}
	m := txn.NewManager(env.Client, txn.Config{Namespace: env.Namespace, Set: set})
	// Two workers on four accounts may meet on a lock and give up
	// (conflict, with a new txnid on retry): counted apart, never lost.
	s, err := Run(context.Background(), m, Config{Accounts: 5, Mode: "single", Count: 100, Concurrency: 2, Seed: 3, Retries: 3})
	if err != nil {
		t.Fatal(err)
	}
	if s.Attempted != 100 || s.Committed+s.NoAccount+s.Conflicts != 100 || s.NoAccount == 0 || s.Committed == 0 || s.Errors != 0 {
		t.Fatalf("summary %+v", s)
	}
	var total int64
	for i := 0; i < 4; i++ {
		k, _ := as.NewKey(env.Namespace, set, AccountName(i))
		rec, err := env.Client.Get(nil, k, "bal")
		if err != nil {
			t.Fatal(err)
		}
		total += int64(rec.Bins["bal"].(int))
	}
	if total != s.Amount {
		t.Fatalf("balances sum to %d, summary says %d committed", total, s.Amount)
	}
}
