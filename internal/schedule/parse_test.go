package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	from := utc(2026, time.March, 2, 10, 0, 30)
	tests := map[string]struct {
		expr     string
		timeZone *string
		wantErr  string
		wantLoc  string
		wantNext time.Time // first time after from, in UTC
	}{
		"every five minutes": {expr: "*/5 * * * *", wantLoc: "UTC", wantNext: utc(2026, time.March, 2, 10, 5, 0)},
		"hourly descriptor":  {expr: "@hourly", wantLoc: "UTC", wantNext: utc(2026, time.March, 2, 11, 0, 0)},
		"every 90 minutes":   {expr: "@every 90m", wantLoc: "UTC", wantNext: utc(2026, time.March, 2, 11, 30, 30)},
		"surrounding spaces": {expr: "  0 * * * * ", wantLoc: "UTC", wantNext: utc(2026, time.March, 2, 11, 0, 0)},
		"time zone": {expr: "0 9 * * *", timeZone: ptr("Asia/Kolkata"), wantLoc: "Asia/Kolkata",
			wantNext: utc(2026, time.March, 3, 3, 30, 0)},
		"leap day fires":        {expr: "0 0 29 2 *", wantLoc: "UTC", wantNext: utc(2028, time.February, 29, 0, 0, 0)},
		"empty":                 {expr: " ", wantErr: "schedule is empty"},
		"TZ prefix":             {expr: "TZ=UTC * * * * *", wantErr: "set timeZone instead"},
		"CRON_TZ prefix":        {expr: "CRON_TZ=Europe/Paris 0 1 * * *", timeZone: ptr("Europe/Paris"), wantErr: "set timeZone instead"},
		"minute out of range":   {expr: "61 * * * *", wantErr: `bad schedule "61 * * * *"`},
		"six fields":            {expr: "0 0 * * * *", wantErr: "bad schedule"},
		"unknown descriptor":    {expr: "@fortnightly", wantErr: "bad schedule"},
		"February 30":           {expr: "0 0 30 2 *", wantErr: "never fires"},
		"April 31":              {expr: "0 0 31 4 *", wantErr: "never fires"},
		"unknown time zone":     {expr: "* * * * *", timeZone: ptr("Mars/Olympus"), wantErr: `unknown time zone "Mars/Olympus"`},
		"empty time zone":       {expr: "* * * * *", timeZone: ptr(""), wantErr: "time zone is empty"},
		"Local is not a name":   {expr: "* * * * *", timeZone: ptr("Local"), wantErr: `unknown time zone "Local"`},
		"time zone with offset": {expr: "* * * * *", timeZone: ptr("+05:30"), wantErr: "unknown time zone"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sched, loc, err := Parse(tc.expr, tc.timeZone)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want one containing %q", tc.expr, err, tc.wantErr)
				}
				if sched != nil || loc != nil {
					t.Fatalf("Parse(%q) returned a schedule with its error", tc.expr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.expr, err)
			}
			if loc.String() != tc.wantLoc {
				t.Errorf("location = %s, want %s", loc, tc.wantLoc)
			}
			if got := sched.Next(from.In(loc)).UTC(); !got.Equal(tc.wantNext) {
				t.Errorf("Next(%s) = %s, want %s", from, got, tc.wantNext)
			}
		})
	}
}
