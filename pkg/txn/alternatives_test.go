package txn_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// committedAlternatives scans the log set and returns, per request, the
// alternatives (1-based) with a committed log: at most one may have any.
func (f *fixture) committedAlternatives(t *testing.T) map[string][]int {
	t.Helper()
	rs, err := f.env.Client.ScanAll(nil, f.env.Namespace, txn.LogSetName(f.set))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[int]bool{}
	for r := range rs.Results() {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		id, _ := r.Record.Bins[txn.LogTxnID].(string)
		st, _ := r.Record.Bins[txn.LogStatus].(string)
		dot := strings.LastIndex(id, ".")
		if dot < 0 || st != string(txn.StatusCommitted) {
			continue
		}
		var n int
		if _, err := fmt.Sscan(id[dot+1:], &n); err != nil {
			continue
		}
		req := id[:dot]
		if seen[req] == nil {
			seen[req] = map[int]bool{}
		}
		seen[req][n] = true
	}
	out := map[string][]int{}
	for req, alts := range seen {
		for n := range alts {
			out[req] = append(out[req], n)
		}
	}
	return out
}

// TestRunFirst: the first alternative fails (an account is missing), the
// second commits, the third is never tried; running the request again
// finds the second committed and runs nothing. When none can commit, the
// error says so and every alternative is decided aborted at its primary.
func TestRunFirst(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "eur", "usd", "failed")
	m := f.manager(f.env.Client, 1)
	ctx := context.Background()
	alts := [][]txn.Leg{
		{{UKey: "eur", Amt: -30}, {UKey: "nosuch", Amt: 30}},
		{{UKey: "usd", Amt: -30}},
		{{UKey: "failed", Amt: 1}},
	}
	res, err := m.RunFirst(ctx, "req1", alts...)
	if err != nil || res.Committed != 1 || len(res.Alternatives) != 2 || res.Alternatives[0].Outcome != txn.OutcomeNoAccount {
		t.Fatalf("RunFirst: %+v, %v", res, err)
	}
	if f.balance(t, "eur") != 0 || f.balance(t, "usd") != -30 || f.balance(t, "failed") != 0 {
		t.Errorf("balances eur %d usd %d failed %d", f.balance(t, "eur"), f.balance(t, "usd"), f.balance(t, "failed"))
	}
	if st := f.zLogStatus("eur", txn.AlternativeTxnID("req1", 0)); st != string(txn.StatusAborted) {
		t.Errorf("alternative 1's primary is %q, want aborted", st)
	}
	again, err := m.RunFirst(ctx, "req1", alts...)
	if err != nil || again.Committed != 1 || again.Alternatives[1].Run != nil {
		t.Errorf("rerun: %+v, %v", again, err)
	}
	none, err := m.RunFirst(ctx, "req2", [][]txn.Leg{{{UKey: "nosuch", Amt: 1}}, {{UKey: "nosuch2", Amt: 1}}}...)
	if !errors.Is(err, txn.ErrNoAlternative) || none.Committed != -1 || len(none.Alternatives) != 2 {
		t.Errorf("none: %+v, %v", none, err)
	}
	if st := f.zLogStatus("nosuch", txn.AlternativeTxnID("req2", 0)); st != string(txn.StatusAborted) {
		t.Errorf("alternative with a missing account: primary %q, want aborted (tombstone)", st)
	}
	if _, err := m.RunFirst(ctx, "bad:id", alts...); err == nil {
		t.Error("a request id with ':' is accepted")
	}
	if got := f.committedAlternatives(t); len(got["req1"]) != 1 || got["req1"][0] != 2 || len(got["req2"]) != 0 {
		t.Errorf("committed alternatives by the log set: %v", got)
	}
	f.checkClean(t, "eur", "usd", "failed")
}

// TestRunFirstCrashPoints stops RunFirst before and after each of its
// calls (the process dies), then runs the request again from a fresh
// process, then cleanup twice: exactly one alternative is committed by
// the log set, the one the rerun reports, and every account is balanced.
func TestRunFirstCrashPoints(t *testing.T) {
	for _, sc := range []struct {
		name string
		alts [][]txn.Leg
	}{
		{"first fails", [][]txn.Leg{{{UKey: "a", Amt: -5}, {UKey: "missing", Amt: 5}}, {{UKey: "a", Amt: -5}, {UKey: "b", Amt: 5}}, {{UKey: "c", Amt: 1}}}},
		{"first commits", [][]txn.Leg{{{UKey: "a", Amt: -5}, {UKey: "b", Amt: 5}}, {{UKey: "c", Amt: 1}}}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			f := newFixture(t)
			f.accounts(t, 0, "a", "b", "c")
			counter := txntest.NewCrashClient(f.env.Client, 0, false)
			if _, err := f.manager(counter, 1).RunFirst(context.Background(), "probe", sc.alts...); err != nil {
				t.Fatal(err)
			}
			n := counter.Calls.Load()
			for k := int64(1); k <= n; k++ {
				for _, after := range []bool{false, true} {
					req := fmt.Sprintf("r%d%v", k, after)
					t.Run(fmt.Sprintf("crash %v call %d", map[bool]string{false: "before", true: "after"}[after], k), func(t *testing.T) {
						ctx := context.Background()
						_, _ = f.manager(txntest.NewCrashClient(f.env.Client, k, after), k).RunFirst(ctx, req, sc.alts...)
						f.clock.Advance(time.Minute)
						res, err := f.manager(f.env.Client, 100+k).RunFirst(ctx, req, sc.alts...)
						if err != nil && !errors.Is(err, txn.ErrNoAlternative) {
							t.Fatalf("rerun: %v", err)
						}
						f.clock.Advance(time.Minute)
						cleaner := f.manager(f.env.Client, 200+k)
						for i := 0; i < 2; i++ {
							if rep, err := cleaner.Cleanup(ctx, txn.CleanupOptions{}); err != nil || !rep.Clean() {
								t.Fatalf("cleanup: %+v %v", rep, err)
							}
						}
						got := f.committedAlternatives(t)[req]
						if len(got) != 1 || got[0] != res.Committed+1 {
							t.Errorf("committed alternatives by the log set %v, rerun reports %d", got, res.Committed+1)
						}
						f.checkClean(t, "a", "b", "c")
					})
				}
			}
		})
	}
}

// TestRunFirstConcurrentWithFaults runs each request from two goroutines
// at once, through clients failing 5% of calls before or after sending,
// beside a cleaner; then the log set must show at most one committed
// alternative per request, and the accounts must balance.
func TestRunFirstConcurrentWithFaults(t *testing.T) {
	f := newFixture(t)
	f.clock = nil
	accounts := []string{"eur", "usd", "fail"}
	f.accounts(t, 0, accounts...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alts := [][]txn.Leg{
		{{UKey: "eur", Amt: -3}, {UKey: "usd", Amt: 3}},
		{{UKey: "usd", Amt: -2}},
		{{UKey: "fail", Amt: 1}},
	}
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			faulty, err := txntest.NewFaultyClient(f.env.Client, 50, int64(g))
			if err != nil {
				t.Error(err)
				return
			}
			m := f.manager(faulty, int64(g))
			for i := 0; i < 20 && ctx.Err() == nil; i++ {
				_, _ = m.RunFirst(ctx, fmt.Sprintf("q%d", (g/2)*100+i), alts...) // two goroutines per request
			}
		}(g)
	}
	wg.Wait()
	f.ahead = time.Minute
	cleanUntilQuiet(t, ctx, f.manager(f.env.Client, 99))
	committed := f.committedAlternatives(t)
	for req, alts := range committed {
		if len(alts) > 1 {
			t.Errorf("request %s: alternatives %v committed", req, alts)
		}
	}
	t.Logf("%d of 60 requests committed an alternative", len(committed))
	if len(committed) == 0 {
		t.Error("no request committed")
	}
	f.checkClean(t, accounts...)
}
