package lock

import (
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	grace := 200 * time.Millisecond
	cases := []struct {
		name     string
		held     Held
		budget   time.Duration
		want     Action
		wantWait time.Duration
	}{
		{"lock vanished", Held{}, time.Second, Retry, 0},
		{"own lock", Held{Holder: "me", Deadline: now.Add(time.Hour)}, time.Second, Reenter, 0},
		{"expired past grace", Held{Holder: "x", Deadline: now.Add(-grace - time.Millisecond)}, time.Second, Steal, 0},
		{"expired exactly at grace", Held{Holder: "x", Deadline: now.Add(-grace)}, time.Second, Steal, 0},
		{"expired within grace", Held{Holder: "x", Deadline: now.Add(-100 * time.Millisecond)}, time.Second, Wait, 100 * time.Millisecond},
		{"live, within budget", Held{Holder: "x", Deadline: now.Add(50 * time.Millisecond)}, time.Second, Wait, 250 * time.Millisecond},
		{"live, beyond budget", Held{Holder: "x", Deadline: now.Add(time.Second)}, 300 * time.Millisecond, GiveUp, 1200 * time.Millisecond},
		{"no budget left", Held{Holder: "x", Deadline: now}, 0, GiveUp, grace},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, wait := Decide(c.held, "me", now, grace, c.budget)
			if got != c.want || wait != c.wantWait {
				t.Fatalf("Decide = %v, %v; want %v, %v", got, wait, c.want, c.wantWait)
			}
		})
	}
}

func TestEntry(t *testing.T) {
	for _, ukey := range []string{"usr0", "a:b", "x::y", ""} {
		e := Entry(ukey, "t1")
		u, tx, err := ParseEntry(e)
		if err != nil || u != ukey || tx != "t1" {
			t.Fatalf("ParseEntry(%q) = %q, %q, %v", e, u, tx, err)
		}
	}
	for _, bad := range []string{"nocolon", "trailing:"} {
		if _, _, err := ParseEntry(bad); err == nil {
			t.Fatalf("ParseEntry(%q) accepted", bad)
		}
	}
	if ValidateTxnID("a:b") == nil || ValidateTxnID("") == nil || ValidateTxnID("ok-1") != nil {
		t.Fatal("ValidateTxnID")
	}
}

func TestBackoffBounds(t *testing.T) {
	b := NewBackoff(2*time.Millisecond, 50*time.Millisecond, 1)
	for attempt := 0; attempt < 40; attempt++ {
		d := b.Delay(attempt)
		if d < b.Min || d > b.Max {
			t.Fatalf("attempt %d: delay %v outside [%v, %v]", attempt, d, b.Min, b.Max)
		}
	}
}
