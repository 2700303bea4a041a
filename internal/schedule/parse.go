package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// fireCheckFrom is the fixed instant from which Parse checks that a schedule
// fires at all (a leap year, so that February 29 passes).
var fireCheckFrom = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// Parse parses a cron schedule in the standard five-field format or a
// descriptor (@hourly, @daily, @every 5m, ...), in timeZone (an IANA name;
// nil: the operator's local time zone). A "TZ=" or "CRON_TZ=" prefix is
// refused: the time zone is a field of its own. A schedule that can never
// fire (February 30) is refused too. The errors say what is wrong; the
// validating webhook shows them as they are.
func Parse(expr string, timeZone *string) (cron.Schedule, *time.Location, error) {
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" {
		return nil, nil, fmt.Errorf("schedule is empty")
	}
	if strings.HasPrefix(trimmed, "TZ=") || strings.HasPrefix(trimmed, "CRON_TZ=") {
		return nil, nil, fmt.Errorf("schedule %q: TZ= and CRON_TZ= are not allowed in the schedule, set timeZone instead", expr)
	}
	loc := time.Local
	if timeZone != nil {
		if *timeZone == "" {
			return nil, nil, fmt.Errorf("time zone is empty: give an IANA name such as \"Europe/Paris\", or leave timeZone unset")
		}
		if strings.EqualFold(*timeZone, "local") {
			return nil, nil, fmt.Errorf("unknown time zone %q: give an IANA name such as \"Europe/Paris\"", *timeZone)
		}
		l, err := time.LoadLocation(*timeZone)
		if err != nil {
			return nil, nil, fmt.Errorf("unknown time zone %q: %v", *timeZone, err)
		}
		loc = l
	}
	sched, err := cron.ParseStandard(trimmed)
	if err != nil {
		return nil, nil, fmt.Errorf("bad schedule %q: %v", expr, err)
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok {
		ss.Location = loc
		if sched.Next(fireCheckFrom.In(loc)).IsZero() {
			return nil, nil, fmt.Errorf("bad schedule %q: it never fires (no such day in the months it names)", expr)
		}
	}
	return sched, loc, nil
}
