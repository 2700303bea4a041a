package schedule

import "time"

// OnceDue reports that a resource without a schedule should start its one
// run: not suspended and no run started yet (none recorded, none active).
func OnceDue(s Spec) bool {
	return !s.Suspend && s.LastScheduleTime == nil && !s.Active
}

// once is Next for a resource without a schedule.
func once(s Spec, now time.Time) Decision {
	if s.Suspend {
		return Decision{Suspended: true}
	}
	if !OnceDue(s) {
		return Decision{}
	}
	return Decision{Start: true, ScheduledTime: now.UTC(), Missed: 1}
}
