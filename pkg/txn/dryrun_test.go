package txn_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/mxnlabs/mxn/pkg/txn"
	"github.com/mxnlabs/mxn/pkg/txn/txntest"
)

// generations lists every record of a set with its generation: any write,
// a lock taken and released included, changes it.
func (f *fixture) generations(t *testing.T, set string) []string {
	t.Helper()
	rs, err := f.env.Client.ScanAll(nil, f.env.Namespace, set)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for r := range rs.Results() {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		out = append(out, fmt.Sprintf("%x@%d", r.Record.Key.Digest(), r.Record.Generation))
	}
	sort.Strings(out)
	return out
}

// A dry run decides nothing and writes nothing, not even a lock: every
// record of both sets keeps its generation, and a real cleanup afterwards
// still has all the work to do.
func TestCleanupDryRunWritesNothing(t *testing.T) {
	f := newFixture(t)
	f.accounts(t, 0, "usr0", "usr1", "usr2")
	f.fund(t, []string{"usr0", "usr1", "usr2"})
	ctx := context.Background()
	// Transfers that crash after claiming and locking (pending entries, a
	// held lock) or after the commit point (to roll forward).
	for i, k := range []int64{2, 3} {
		crash := txntest.NewCrashClient(f.env.Client, k, true)
		legs := []txn.Leg{{UKey: "usr0", Amt: -10}, {UKey: fmt.Sprintf("usr%d", i+1), Amt: 10}}
		if res, err := f.manager(crash, int64(i+1)).Run(ctx, txn.NewTxnID(), legs...); err == nil && res.Committed && res.Outcome != txn.OutcomeCommittedUnapplied {
			t.Fatalf("crash %d: the transfer finished: %+v", k, res)
		}
	}
	f.clock.Advance(time.Minute) // past every lock and the sweep age
	accounts, logs := f.generations(t, f.set), f.generations(t, txn.LogSetName(f.set))

	dry, err := f.manager(f.env.Client, 9).Cleanup(ctx, txn.CleanupOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !dry.DryRun || dry.RolledForward+dry.RolledBack == 0 {
		t.Fatalf("dry run reported nothing to do: %+v", dry)
	}
	if got := f.generations(t, f.set); fmt.Sprint(got) != fmt.Sprint(accounts) {
		t.Errorf("a dry run wrote accounts:\nbefore %v\nafter  %v", accounts, got)
	}
	if got := f.generations(t, txn.LogSetName(f.set)); fmt.Sprint(got) != fmt.Sprint(logs) {
		t.Errorf("a dry run wrote logs:\nbefore %v\nafter  %v", logs, got)
	}

	real, err := f.manager(f.env.Client, 10).Cleanup(ctx, txn.CleanupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if real.RolledForward != dry.RolledForward || real.RolledBack != dry.RolledBack {
		t.Errorf("the dry run said %d forward, %d back; the cleanup did %d, %d", dry.RolledForward, dry.RolledBack, real.RolledForward, real.RolledBack)
	}
	f.checkClean(t, "usr0", "usr1", "usr2")
}
