package schedule

import (
	"os"
	"testing"
	"time"
)

// TestMain pins the operator's local time zone, the default of a schedule
// without timeZone, so the tests do not depend on the machine's.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}

func ptr[T any](v T) *T { return &v }

func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}
