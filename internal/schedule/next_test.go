package schedule

import (
	"errors"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/mxnlabs/mxn/api/v1alpha1"
)

func TestNext(t *testing.T) {
	// Monday 2 March 2026, 10:00 UTC.
	created := utc(2026, time.March, 1, 0, 0, 0)
	tests := map[string]struct {
		expr     string
		timeZone *string
		created  time.Time
		last     *time.Time
		deadline *int64
		suspend  bool
		policy   v1alpha1.ConcurrencyPolicy
		active   bool
		now      time.Time
		want     Decision
	}{
		"every minute: first run after creation": {
			expr: "* * * * *", created: utc(2026, time.March, 2, 10, 0, 30),
			now: utc(2026, time.March, 2, 10, 1, 5),
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 2, 10, 1, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 2, 10, 2, 0), RequeueAfter: 55*time.Second + NextScheduleDelta},
		},
		"every minute: created, not yet due": {
			expr: "* * * * *", created: utc(2026, time.March, 2, 10, 0, 30),
			now:  utc(2026, time.March, 2, 10, 0, 40),
			want: Decision{NextScheduleTime: utc(2026, time.March, 2, 10, 1, 0), RequeueAfter: 20*time.Second + NextScheduleDelta},
		},
		"every minute: due exactly now": {
			expr: "* * * * *", created: created, last: ptr(utc(2026, time.March, 2, 10, 0, 0)),
			now: utc(2026, time.March, 2, 10, 1, 0),
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 2, 10, 1, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 2, 10, 2, 0), RequeueAfter: time.Minute + NextScheduleDelta},
		},
		"every minute: this minute's run already started": {
			expr: "* * * * *", created: created, last: ptr(utc(2026, time.March, 2, 10, 1, 0)),
			now:  utc(2026, time.March, 2, 10, 1, 30),
			want: Decision{NextScheduleTime: utc(2026, time.March, 2, 10, 2, 0), RequeueAfter: 30*time.Second + NextScheduleDelta},
		},
		"missed starts without deadline: the most recent starts": {
			expr: "* * * * *", created: created, last: ptr(utc(2026, time.March, 2, 10, 0, 0)),
			now: utc(2026, time.March, 2, 10, 5, 30),
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 2, 10, 5, 0), Missed: 5,
				NextScheduleTime: utc(2026, time.March, 2, 10, 6, 0), RequeueAfter: 30*time.Second + NextScheduleDelta},
		},
		"missed starts, most recent within the deadline": {
			expr: "* * * * *", created: created, last: ptr(utc(2026, time.March, 2, 10, 0, 0)), deadline: ptr(int64(60)),
			now: utc(2026, time.March, 2, 10, 5, 30),
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 2, 10, 5, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 2, 10, 6, 0), RequeueAfter: 30*time.Second + NextScheduleDelta},
		},
		"missed start past the deadline is skipped": {
			expr: "* * * * *", created: created, last: ptr(utc(2026, time.March, 2, 10, 0, 0)), deadline: ptr(int64(10)),
			now: utc(2026, time.March, 2, 10, 5, 30),
			want: Decision{MissedDeadline: true, ScheduledTime: utc(2026, time.March, 2, 10, 5, 0), Missed: 5,
				NextScheduleTime: utc(2026, time.March, 2, 10, 6, 0), RequeueAfter: 30*time.Second + NextScheduleDelta},
		},
		"zero deadline: a start not taken on time is skipped": {
			expr: "@hourly", created: created, last: ptr(utc(2026, time.March, 2, 9, 0, 0)), deadline: ptr(int64(0)),
			now: utc(2026, time.March, 2, 10, 0, 1),
			want: Decision{MissedDeadline: true, ScheduledTime: utc(2026, time.March, 2, 10, 0, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 2, 11, 0, 0), RequeueAfter: time.Hour - time.Second + NextScheduleDelta},
		},
		"more than 100 missed: reported, the most recent still starts": {
			expr: "* * * * *", created: created,
			now: utc(2026, time.March, 2, 10, 0, 30),
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 2, 10, 0, 0), Missed: 2040, TooManyMissed: true,
				NextScheduleTime: utc(2026, time.March, 2, 10, 1, 0), RequeueAfter: 30*time.Second + NextScheduleDelta},
		},
		"more than 100 missed before a deadline: only the deadline's window counts": {
			expr: "* * * * *", created: created, deadline: ptr(int64(200)),
			now: utc(2026, time.March, 2, 10, 0, 30),
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 2, 10, 0, 0), Missed: 3,
				NextScheduleTime: utc(2026, time.March, 2, 10, 1, 0), RequeueAfter: 30*time.Second + NextScheduleDelta},
		},
		"suspended": {
			expr: "* * * * *", created: created, suspend: true, now: utc(2026, time.March, 2, 10, 0, 30),
			want: Decision{Suspended: true},
		},
		"Forbid with a run active: the due run waits": {
			expr: "@hourly", created: created, last: ptr(utc(2026, time.March, 2, 9, 0, 0)),
			policy: v1alpha1.ForbidConcurrent, active: true, now: utc(2026, time.March, 2, 10, 0, 5),
			want: Decision{SkipForbidden: true, ScheduledTime: utc(2026, time.March, 2, 10, 0, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 2, 11, 0, 0), RequeueAfter: time.Hour - 5*time.Second + NextScheduleDelta},
		},
		"default policy is Forbid": {
			expr: "@hourly", created: created, last: ptr(utc(2026, time.March, 2, 9, 0, 0)),
			active: true, now: utc(2026, time.March, 2, 10, 0, 5),
			want: Decision{SkipForbidden: true, ScheduledTime: utc(2026, time.March, 2, 10, 0, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 2, 11, 0, 0), RequeueAfter: time.Hour - 5*time.Second + NextScheduleDelta},
		},
		"Forbid with nothing active starts": {
			expr: "@hourly", created: created, last: ptr(utc(2026, time.March, 2, 9, 0, 0)),
			policy: v1alpha1.ForbidConcurrent, now: utc(2026, time.March, 2, 10, 0, 5),
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 2, 10, 0, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 2, 11, 0, 0), RequeueAfter: time.Hour - 5*time.Second + NextScheduleDelta},
		},
		"Allow with a run active starts another": {
			expr: "@hourly", created: created, last: ptr(utc(2026, time.March, 2, 9, 0, 0)),
			policy: v1alpha1.AllowConcurrent, active: true, now: utc(2026, time.March, 2, 10, 0, 5),
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 2, 10, 0, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 2, 11, 0, 0), RequeueAfter: time.Hour - 5*time.Second + NextScheduleDelta},
		},
		"Replace with a run active replaces it": {
			expr: "@hourly", created: created, last: ptr(utc(2026, time.March, 2, 9, 0, 0)),
			policy: v1alpha1.ReplaceConcurrent, active: true, now: utc(2026, time.March, 2, 10, 0, 5),
			want: Decision{Start: true, ReplaceActive: true, ScheduledTime: utc(2026, time.March, 2, 10, 0, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 2, 11, 0, 0), RequeueAfter: time.Hour - 5*time.Second + NextScheduleDelta},
		},
		"Replace with nothing active just starts": {
			expr: "@hourly", created: created, last: ptr(utc(2026, time.March, 2, 9, 0, 0)),
			policy: v1alpha1.ReplaceConcurrent, now: utc(2026, time.March, 2, 10, 0, 5),
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 2, 10, 0, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 2, 11, 0, 0), RequeueAfter: time.Hour - 5*time.Second + NextScheduleDelta},
		},
		"Forbid with a run active, not due: just wait": {
			expr: "@hourly", created: created, last: ptr(utc(2026, time.March, 2, 10, 0, 0)),
			active: true, now: utc(2026, time.March, 2, 10, 30, 0),
			want: Decision{NextScheduleTime: utc(2026, time.March, 2, 11, 0, 0), RequeueAfter: 30*time.Minute + NextScheduleDelta},
		},
		"hourly: a second before": {
			expr: "@hourly", created: utc(2026, time.March, 2, 9, 10, 0),
			now:  utc(2026, time.March, 2, 9, 59, 59),
			want: Decision{NextScheduleTime: utc(2026, time.March, 2, 10, 0, 0), RequeueAfter: time.Second + NextScheduleDelta},
		},
		"@every 90m counts from the creation": {
			expr: "@every 90m", created: utc(2026, time.March, 2, 10, 0, 0),
			now: utc(2026, time.March, 2, 11, 31, 0),
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 2, 11, 30, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 2, 13, 0, 0), RequeueAfter: 89*time.Minute + NextScheduleDelta},
		},
		"Asia/Kolkata: 09:00 is 03:30 UTC": {
			expr: "0 9 * * *", timeZone: ptr("Asia/Kolkata"), created: utc(2026, time.March, 2, 0, 0, 0),
			now: utc(2026, time.March, 2, 3, 31, 0),
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 2, 3, 30, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 3, 3, 30, 0), RequeueAfter: 24*time.Hour - time.Minute + NextScheduleDelta},
		},
		"Asia/Kolkata: half-hourly offset, hourly schedule": {
			expr: "@hourly", timeZone: ptr("Asia/Kolkata"), created: utc(2026, time.March, 2, 0, 0, 0),
			now:  utc(2026, time.March, 2, 0, 20, 0),
			want: Decision{NextScheduleTime: utc(2026, time.March, 2, 0, 30, 0), RequeueAfter: 10*time.Minute + NextScheduleDelta},
		},
		"America/New_York: 09:00 EST then 09:00 EDT across the spring change": {
			expr: "0 9 * * *", timeZone: ptr("America/New_York"), created: created,
			last: ptr(utc(2026, time.March, 7, 14, 0, 0)), // 09:00 EST
			now:  utc(2026, time.March, 8, 13, 30, 0),     // 09:30 EDT
			want: Decision{Start: true, ScheduledTime: utc(2026, time.March, 8, 13, 0, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.March, 9, 13, 0, 0), RequeueAfter: 23*time.Hour + 30*time.Minute + NextScheduleDelta},
		},
		"America/New_York: 02:30 does not exist on the spring change day and is skipped": {
			expr: "30 2 * * *", timeZone: ptr("America/New_York"), created: created,
			last: ptr(utc(2026, time.March, 7, 7, 30, 0)), // 02:30 EST on the 7th
			now:  utc(2026, time.March, 8, 12, 0, 0),
			want: Decision{NextScheduleTime: utc(2026, time.March, 9, 6, 30, 0), RequeueAfter: 18*time.Hour + 30*time.Minute + NextScheduleDelta},
		},
		"America/New_York: 01:30 happens twice on the autumn change day": {
			expr: "30 1 * * *", timeZone: ptr("America/New_York"), created: created,
			last: ptr(utc(2026, time.November, 1, 5, 30, 0)), // 01:30 EDT
			now:  utc(2026, time.November, 1, 6, 30, 1),      // 01:30:01 EST
			want: Decision{Start: true, ScheduledTime: utc(2026, time.November, 1, 6, 30, 0), Missed: 1,
				NextScheduleTime: utc(2026, time.November, 2, 6, 30, 0), RequeueAfter: 24*time.Hour - time.Second + NextScheduleDelta},
		},
		"a yearly schedule wakes up a year later": {
			expr: "0 0 1 1 *", created: utc(2026, time.January, 1, 0, 0, 30),
			now: utc(2026, time.March, 2, 10, 0, 0),
			want: Decision{NextScheduleTime: utc(2027, time.January, 1, 0, 0, 0),
				RequeueAfter: utc(2027, time.January, 1, 0, 0, 0).Sub(utc(2026, time.March, 2, 10, 0, 0)) + NextScheduleDelta},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sched, loc, err := Parse(tc.expr, tc.timeZone)
			if err != nil {
				t.Fatal(err)
			}
			s := Spec{Schedule: sched, Location: loc, CreationTime: tc.created, LastScheduleTime: tc.last,
				StartingDeadlineSeconds: tc.deadline, Suspend: tc.suspend, ConcurrencyPolicy: tc.policy, Active: tc.active}
			got := Next(s, tc.now)
			if got != tc.want {
				t.Errorf("Next(%s) =\n %+v\nwant\n %+v", tc.now, got, tc.want)
			}
			if !got.NextScheduleTime.IsZero() && got.NextScheduleTime.Location() != time.UTC {
				t.Errorf("NextScheduleTime %s is not in UTC", got.NextScheduleTime)
			}
		})
	}
}

// A schedule that never fires (built without Parse, which refuses it)
// gives an error and no requeue, whatever the rest of the spec.
func TestNextNeverFires(t *testing.T) {
	sched, err := cron.ParseStandard("0 0 30 2 *")
	if err != nil {
		t.Fatal(err)
	}
	for _, policy := range []v1alpha1.ConcurrencyPolicy{v1alpha1.AllowConcurrent, v1alpha1.ForbidConcurrent} {
		d := Next(Spec{Schedule: sched, Location: time.UTC, CreationTime: utc(2026, time.January, 1, 0, 0, 0),
			ConcurrencyPolicy: policy}, utc(2026, time.March, 2, 10, 0, 0))
		if !errors.Is(d.Err, ErrNeverFires) || d.Start || d.RequeueAfter != 0 || !d.NextScheduleTime.IsZero() {
			t.Errorf("%s: Next = %+v, want ErrNeverFires and nothing else", policy, d)
		}
	}
}

// Starting, then calling Next again at the same instant with the run
// recorded, never starts the same scheduled time twice.
func TestNextAfterStartIsIdempotent(t *testing.T) {
	sched, loc, err := Parse("*/5 * * * *", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := Spec{Schedule: sched, Location: loc, CreationTime: utc(2026, time.March, 2, 9, 0, 0)}
	now := utc(2026, time.March, 2, 10, 7, 0)
	d := Next(s, now)
	if !d.Start || !d.ScheduledTime.Equal(utc(2026, time.March, 2, 10, 5, 0)) {
		t.Fatalf("first Next = %+v", d)
	}
	s.LastScheduleTime, s.Active = &d.ScheduledTime, true
	again := Next(s, now)
	if again.Start || again.SkipForbidden || !again.NextScheduleTime.Equal(d.NextScheduleTime) || again.RequeueAfter != d.RequeueAfter {
		t.Fatalf("second Next = %+v, after %+v", again, d)
	}
}

func TestOnce(t *testing.T) {
	now := utc(2026, time.March, 2, 10, 0, 0)
	tests := map[string]struct {
		spec Spec
		want Decision
	}{
		"never started":    {spec: Spec{CreationTime: now.Add(-time.Second)}, want: Decision{Start: true, ScheduledTime: now, Missed: 1}},
		"started":          {spec: Spec{LastScheduleTime: ptr(now.Add(-time.Hour))}, want: Decision{}},
		"active":           {spec: Spec{Active: true}, want: Decision{}},
		"suspended":        {spec: Spec{Suspend: true}, want: Decision{Suspended: true}},
		"policy is moot":   {spec: Spec{ConcurrencyPolicy: v1alpha1.ReplaceConcurrent}, want: Decision{Start: true, ScheduledTime: now, Missed: 1}},
		"deadline is moot": {spec: Spec{StartingDeadlineSeconds: ptr(int64(0)), CreationTime: now.Add(-time.Hour)}, want: Decision{Start: true, ScheduledTime: now, Missed: 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Next(tc.spec, now); got != tc.want {
				t.Errorf("Next = %+v, want %+v", got, tc.want)
			}
			if got := OnceDue(tc.spec); got != tc.want.Start {
				t.Errorf("OnceDue = %v, want %v", got, tc.want.Start)
			}
		})
	}
}

// An irregular schedule whose first gap is shorter than the others: the
// most recent missed start is still found (found by review: it was skipped).
func TestNextIrregularMissedStart(t *testing.T) {
	sched, loc, err := Parse("0 0,1 * * *", nil)
	if err != nil {
		t.Fatal(err)
	}
	last := utc(2026, time.March, 1, 1, 0, 0)
	s := Spec{Schedule: sched, Location: loc, CreationTime: utc(2026, time.February, 1, 0, 0, 0), LastScheduleTime: &last}
	d := Next(s, utc(2026, time.March, 2, 23, 30, 0))
	if !d.Start || !d.ScheduledTime.Equal(utc(2026, time.March, 2, 1, 0, 0)) {
		t.Fatalf("Next = %+v, want the start of 2026-03-02 01:00", d)
	}
}
