package txn

import (
	"reflect"
	"testing"
	"time"
)

func lg(ukey, prim, run string, st Status) *LogRecord {
	return &LogRecord{TxnID: "T", UKey: ukey, Primary: prim, Run: run, Status: st, Amt: 10}
}

func TestFate(t *testing.T) {
	tomb := &LogRecord{TxnID: "T", UKey: "a", Primary: "a", Status: StatusAborted}
	cases := []struct {
		name string
		l, p *LogRecord
		want Decision
	}{
		{"committed log", lg("b", "a", "r1", StatusCommitted), nil, Committed},
		{"aborted log", lg("b", "a", "r1", StatusAborted), nil, Aborted},
		{"prototype log (no status)", &LogRecord{TxnID: "T", UKey: "a", Status: StatusCommitted}, nil, Committed},
		{"pending primary", lg("a", "a", "r1", StatusPending), nil, Undecided},
		{"pending primary, p itself", lg("a", "a", "r1", StatusPending), lg("a", "a", "r1", StatusPending), Undecided},
		{"secondary, primary missing", lg("b", "a", "r1", StatusPending), nil, Undecided},
		{"secondary, primary committed same run", lg("b", "a", "r1", StatusPending), lg("a", "a", "r1", StatusCommitted), Committed},
		{"secondary, primary aborted same run", lg("b", "a", "r1", StatusPending), lg("a", "a", "r1", StatusAborted), Aborted},
		{"secondary, primary pending same run", lg("b", "a", "r1", StatusPending), lg("a", "a", "r1", StatusPending), Undecided},
		{"secondary, primary committed by another run (Z2)", lg("c", "a", "r2", StatusPending), lg("a", "a", "r1", StatusCommitted), Aborted},
		{"secondary, primary pending by another run", lg("c", "a", "r2", StatusPending), lg("a", "a", "r1", StatusPending), Aborted},
		{"secondary, primary key holds another run's secondary", lg("c", "b", "r2", StatusPending), lg("b", "a", "r1", StatusCommitted), Aborted},
		{"secondary, primary is a tombstone", lg("b", "a", "r1", StatusPending), tomb, Aborted},
	}
	for _, c := range cases {
		if got := Fate(c.l, c.p); got != c.want {
			t.Errorf("%s: Fate = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAbortStepAndAge(t *testing.T) {
	if abortStep(nil) != TombstonePrimary || abortStep(lg("a", "a", "r", StatusPending)) != FlipPrimary {
		t.Fatal("abortStep")
	}
	now := time.UnixMilli(10_000)
	l := lg("a", "a", "r", StatusPending)
	l.Time = 9_000
	for _, c := range []struct {
		age  time.Duration
		want bool
	}{{0, true}, {time.Second, true}, {1001 * time.Millisecond, false}} {
		if got := oldEnough(l, now, c.age); got != c.want {
			t.Errorf("oldEnough(age %v) = %v", c.age, got)
		}
	}
	if !oldEnough(&LogRecord{}, now, time.Hour) {
		t.Error("a log without time is old enough")
	}
}

func TestJudgeClaim(t *testing.T) {
	own := func(u string) *LogRecord { return lg(u, "a", "r1", StatusPending) }
	cases := []struct {
		name string
		logs []*LogRecord
		want claimVerdict
	}{
		{"all ours", []*LogRecord{own("a"), own("b")}, claimed},
		{"one unknown", []*LogRecord{own("a"), nil}, claimUnknown},
		{"another run's log", []*LogRecord{own("a"), lg("b", "b", "r0", StatusCommitted)}, claimForeign},
		{"another run's pending log", []*LogRecord{lg("a", "a", "r0", StatusPending)}, claimForeign},
		{"our log aborted meanwhile (Z4)", []*LogRecord{lg("a", "a", "r1", StatusAborted), own("b")}, claimFenced},
		{"a tombstone", []*LogRecord{{TxnID: "T", UKey: "a", Status: StatusAborted}}, claimFenced},
		{"unknown beats foreign", []*LogRecord{lg("a", "a", "r0", StatusPending), nil}, claimUnknown},
	}
	for _, c := range cases {
		if got := judgeClaim(c.logs, "T", "r1"); got != c.want {
			t.Errorf("%s: judgeClaim = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestJudgeFlip(t *testing.T) {
	p := func(run string, st Status, gen uint32) *LogRecord {
		l := lg("a", "a", run, st)
		l.Gen = gen
		return l
	}
	cases := []struct {
		name string
		p    *LogRecord
		want flipVerdict
	}{
		{"vanished", nil, flipAborted},
		{"committed by us", p("r1", StatusCommitted, 2), flipApplied},
		{"pending at our generation", p("r1", StatusPending, 1), flipResend},
		{"aborted by cleanup", p("r1", StatusAborted, 2), flipAborted},
		{"committed by another run", p("r0", StatusCommitted, 2), flipAborted},
		{"pending at another generation", p("r1", StatusPending, 3), flipAborted},
	}
	for _, c := range cases {
		if got := judgeFlip(c.p, "r1", 1); got != c.want {
			t.Errorf("%s: judgeFlip = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPlanRelease(t *testing.T) {
	decs := []entryDecision{{"a:T1", Committed, 40}, {"a:T2", Aborted, 7}, {"a:T3", Undecided, 5}, {"a:T4", Committed, -10}}
	got := planRelease(decs, 4)
	want := releasePlan{remove: []any{"a:T1", "a:T2", "a:T4"}, forward: 30}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("planRelease = %+v, want %+v", got, want)
	}
	if p := planRelease(decs[:2], 2); !p.removeAll || p.forward != 40 {
		t.Fatalf("all decided: %+v", p)
	}
	if p := planRelease(nil, 0); p.removeAll || len(p.remove) != 0 {
		t.Fatalf("nothing: %+v", p)
	}
}

func TestCountLog(t *testing.T) {
	var a AccountReport
	countLog(&a, lg("a", "a", "r", StatusPending), true, Undecided)    // entry pending: not applied yet
	countLog(&a, lg("a", "x", "r", StatusPending), false, Committed)   // applied, mark not yet written
	countLog(&a, lg("a", "x", "r", StatusPending), false, Undecided)   // not locked yet: not applied
	countLog(&a, lg("a", "a", "r", StatusCommitted), false, Committed) // applied
	countLog(&a, lg("a", "a", "r", StatusAborted), false, Aborted)     // rolled back
	want := AccountReport{Logs: 5, NonFinal: 3, Pending: 10, Logged: 20}
	if a != want {
		t.Fatalf("countLog: %+v, want %+v", a, want)
	}
}
