// Package v1alpha1 holds the validating admission webhooks of the mxn
// operator's v1alpha1 API: what the CRDs' OpenAPI schemas and CEL rules
// cannot check, the cron schedule and the IANA time zone of a
// Reconciliation or a Cleanup. Everything else, durations included (CEL's
// duration()), is checked by the CRDs themselves, so it holds even where the
// webhooks are not deployed; LoadTest has no webhook.
//
// Time zones are looked up with time.LoadLocation. The manager binary must
// import time/tzdata (a blank import in cmd/manager) so that the lookup works
// in a scratch or distroless image that has no /usr/share/zoneinfo.
package v1alpha1

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"

	mxnv1alpha1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

// validateSchedule checks the cron schedule and the time zone of a
// Reconciliation or a Cleanup. On update (old != nil) only the fields that
// changed are checked, so that an object admitted under an older time zone
// database can still be updated (a finalizer removed, a suspend set).
func validateSchedule(path *field.Path, s, old *mxnv1alpha1.ScheduleSpec) field.ErrorList {
	var errs field.ErrorList
	if s.Schedule != "" && (old == nil || old.Schedule != s.Schedule) {
		if msg := checkCron(s.Schedule); msg != "" {
			errs = append(errs, field.Invalid(path.Child("schedule"), s.Schedule, msg))
		}
	}
	if s.TimeZone != nil && (old == nil || old.TimeZone == nil || *old.TimeZone != *s.TimeZone) {
		if msg := checkTimeZone(*s.TimeZone); msg != "" {
			errs = append(errs, field.Invalid(path.Child("timeZone"), *s.TimeZone, msg))
		}
	}
	return errs
}

// checkCron returns why spec is not a schedule the operator can run, or "".
func checkCron(spec string) (msg string) {
	trimmed := strings.TrimSpace(spec)
	if strings.Contains(trimmed, "TZ=") { // TZ=... or CRON_TZ=...
		return "TZ= and CRON_TZ= are not supported in schedule: set spec.timeZone instead"
	}
	defer func() {
		// The parser has panicked on malformed input before; a panic must
		// refuse the object, not kill the webhook server.
		if r := recover(); r != nil {
			msg = fmt.Sprintf("not a valid cron schedule: %v", r)
		}
	}()
	sched, err := cron.ParseStandard(trimmed)
	if err != nil {
		return "not a valid cron schedule (five fields, or a descriptor such as @hourly or @every 1h): " + err.Error()
	}
	if sched.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return "the schedule never fires"
	}
	return ""
}

// checkTimeZone returns why tz is not a usable IANA time zone, or "".
func checkTimeZone(tz string) string {
	if tz == "" {
		return "must be an IANA time zone name such as Europe/Paris, or absent"
	}
	if strings.EqualFold(tz, "Local") {
		return `"Local" depends on the operator's host: use an IANA time zone name such as Europe/Paris`
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "unknown time zone: " + err.Error()
	}
	return ""
}
