package schedule

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/mxnlabs/mxn/api/v1alpha1"
)

// ManyMissed is the number of missed starts beyond which a schedule reports
// TooManyMissed, as CronJob does (it then still starts the most recent).
const ManyMissed = 100

// NextScheduleDelta pads RequeueAfter against clock skew, as CronJob does.
const NextScheduleDelta = 100 * time.Millisecond

// Spec is what Next needs of a scheduled resource.
type Spec struct {
	// Schedule as returned by Parse; nil: the resource runs once.
	Schedule cron.Schedule
	// Location of the schedule as returned by Parse (nil: UTC).
	Location *time.Location
	// CreationTime of the resource: the earliest time a run may be due.
	CreationTime time.Time
	// LastScheduleTime is the scheduled time of the last run started.
	LastScheduleTime *time.Time
	// StartingDeadlineSeconds: a run later than this is skipped.
	StartingDeadlineSeconds *int64
	Suspend                 bool
	// ConcurrencyPolicy: Allow, Forbid or Replace ("" is Forbid, the
	// API's default).
	ConcurrencyPolicy v1alpha1.ConcurrencyPolicy
	// Active: some runs of the resource are still going.
	Active bool
}

// Decision is what a controller does now with a scheduled resource.
type Decision struct {
	// Start a run now for ScheduledTime (the most recent missed time, or
	// now for a run-once resource). The controller records ScheduledTime
	// as the resource's LastScheduleTime once the run is created.
	Start bool
	// ScheduledTime of the run to start, or of the run skipped when
	// MissedDeadline or SkipForbidden; zero otherwise.
	ScheduledTime time.Time
	// Missed estimates how many starts were missed since the last one
	// (CronJob's approximation; 1 when a run is simply due).
	Missed int64
	// TooManyMissed: more than ManyMissed starts were missed (a clock
	// skew, or a long outage): report it; the most recent still starts.
	TooManyMissed bool
	// MissedDeadline: the most recent missed start (ScheduledTime) is
	// older than startingDeadlineSeconds: it is skipped. Reported again at
	// each reconcile until the next run starts.
	MissedDeadline bool
	// ReplaceActive: Replace policy and a run is active: stop the active
	// runs before starting the new one (Start is true).
	ReplaceActive bool
	// SkipForbidden: Forbid policy and a run is active: the due run waits
	// (it starts when the active one ends, if still within its deadline).
	SkipForbidden bool
	// Suspended: no run starts; no requeue is needed (a spec change
	// triggers the next reconcile).
	Suspended bool
	// Err: the schedule cannot be followed (it never fires); no requeue.
	Err error
	// NextScheduleTime is the next time a run is due, in UTC (zero when
	// suspended, run-once, or Err).
	NextScheduleTime time.Time
	// RequeueAfter is how long to wait before reconciling again (0: no
	// requeue needed); it includes NextScheduleDelta.
	RequeueAfter time.Duration
}

// ErrNeverFires: the schedule has no next time within five years.
var ErrNeverFires = errors.New("schedule never fires")

// Next decides, following Kubernetes' CronJob controller (syncCronJob,
// mostRecentScheduleTime, nextScheduleTimeDuration), whether a run starts
// at now and when to look again.
func Next(s Spec, now time.Time) Decision {
	if s.Schedule == nil {
		return once(s, now)
	}
	if s.Suspend {
		return Decision{Suspended: true}
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)

	mr, err := mostRecent(s, now, loc, true)
	if err != nil {
		return Decision{Err: err}
	}
	d := Decision{Missed: mr.missed, TooManyMissed: mr.missed > ManyMissed}
	if mr.time == nil {
		// No unmet start time within the deadline; say so when one was
		// missed before it (CronJob's MissSchedule), at every reconcile
		// until the next run starts.
		if s.StartingDeadlineSeconds != nil {
			if all, err := mostRecent(s, now, loc, false); err == nil && all.time != nil {
				d.MissedDeadline, d.ScheduledTime = true, all.time.UTC()
				d.Missed, d.TooManyMissed = all.missed, false
			}
		}
		return d.requeue(s, now, loc)
	}
	scheduled := *mr.time
	d.ScheduledTime = scheduled.UTC()
	if s.StartingDeadlineSeconds != nil &&
		scheduled.Add(time.Duration(*s.StartingDeadlineSeconds)*time.Second).Before(now) {
		d.MissedDeadline = true
		return d.requeue(s, now, loc)
	}
	switch policy(s.ConcurrencyPolicy) {
	case v1alpha1.ForbidConcurrent:
		if s.Active {
			d.SkipForbidden = true
			return d.requeue(s, now, loc)
		}
	case v1alpha1.ReplaceConcurrent:
		d.ReplaceActive = s.Active
	}
	d.Start = true
	// Requeue as if the run had been recorded.
	s.LastScheduleTime = &scheduled
	return d.requeue(s, now, loc)
}

func policy(p v1alpha1.ConcurrencyPolicy) v1alpha1.ConcurrencyPolicy {
	if p == "" {
		return v1alpha1.ForbidConcurrent
	}
	return p
}

// requeue fills NextScheduleTime and RequeueAfter as CronJob's
// nextScheduleTimeDuration does.
func (d Decision) requeue(s Spec, now time.Time, loc *time.Location) Decision {
	mr, err := mostRecent(s, now, loc, false)
	var from time.Time
	switch {
	case err != nil:
		from = now
	case mr.time != nil:
		from = *mr.time
	case mr.missed == 0:
		from = mr.earliest
	default:
		from = now
	}
	next := s.Schedule.Next(from)
	if next.IsZero() {
		d.Err = fmt.Errorf("%w after %s", ErrNeverFires, from.UTC().Format(time.RFC3339))
		return d
	}
	d.NextScheduleTime = next.UTC()
	d.RequeueAfter = max(next.Sub(now)+NextScheduleDelta, NextScheduleDelta)
	return d
}

type recent struct {
	earliest time.Time
	time     *time.Time // most recent unmet time <= now, in loc
	missed   int64
}

// mostRecent is CronJob's mostRecentScheduleTime: the earliest time
// considered is the last schedule time (or the creation time), moved up to
// now - startingDeadline when includeDeadline.
func mostRecent(s Spec, now time.Time, loc *time.Location, includeDeadline bool) (recent, error) {
	earliest := s.CreationTime
	if s.LastScheduleTime != nil {
		earliest = *s.LastScheduleTime
	}
	if includeDeadline && s.StartingDeadlineSeconds != nil {
		deadline := now.Add(-time.Duration(*s.StartingDeadlineSeconds) * time.Second)
		if deadline.After(earliest) {
			earliest = deadline
		}
	}
	earliest = earliest.In(loc)
	r := recent{earliest: earliest}

	t1 := s.Schedule.Next(earliest)
	if t1.IsZero() {
		return r, fmt.Errorf("%w after %s", ErrNeverFires, earliest.UTC().Format(time.RFC3339))
	}
	if now.Before(t1) {
		return r, nil
	}
	t2 := s.Schedule.Next(t1)
	if t2.IsZero() || now.Before(t2) {
		r.time, r.missed = &t1, 1
		return r, nil
	}
	between := int64(t2.Sub(t1).Round(time.Second).Seconds())
	if between < 1 {
		return r, fmt.Errorf("time between two runs of the schedule is less than a second")
	}
	elapsed := int64(now.Sub(t1).Seconds())
	r.missed = elapsed/between + 1

	// Start a little before the estimated earliest of the last interval
	// and let the schedule find the exact times (schedules are irregular:
	// "30 6-16/4 * * 1-5").
	var most time.Time
	from := t1.Add(time.Duration((r.missed-2)*between) * time.Second)
	for t := s.Schedule.Next(from); !t.IsZero() && !t.After(now); t = s.Schedule.Next(t) {
		most = t
	}
	if most.IsZero() {
		// The estimate overshot: the schedule's first interval was shorter
		// than its others ("0 0,1 * * *"). Walk from the earliest instead.
		for t := t1; !t.IsZero() && !t.After(now); t = s.Schedule.Next(t) {
			most = t
		}
	}
	if !most.IsZero() {
		r.time = &most
	}
	return r, nil
}
