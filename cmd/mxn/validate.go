package main

import (
	"strconv"
	"time"
)

// Flag checks. Each error names the flag and the value it was given, as
// "--procs -1 must be at least 1", and is a usage error (exit 2).

// atLeast checks an integer flag's lower bound.
func atLeast(flag string, v, min int) error {
	switch {
	case v < min && min == 0:
		return usageErrorf("--%s %d must not be negative", flag, v)
	case v < min:
		return usageErrorf("--%s %d must be at least %d", flag, v, min)
	}
	return nil
}

// inRange checks an integer flag against lo..hi.
func inRange(flag string, v, lo, hi int) error {
	if v < lo || v > hi {
		return usageErrorf("--%s %d out of range %d..%d", flag, v, lo, hi)
	}
	return nil
}

// positive checks a duration flag that must be above zero.
func positive(flag string, d time.Duration) error {
	if d <= 0 {
		return usageErrorf("--%s %v must be positive", flag, d)
	}
	return nil
}

// notNegative checks a duration flag where 0 has a meaning of its own
// (none, never, the default).
func notNegative(flag string, d time.Duration) error {
	if d < 0 {
		return usageErrorf("--%s %v must not be negative", flag, d)
	}
	return nil
}

// firstError returns the first non-nil error: checks listed in flag order
// report the first bad flag.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// notNegativeFloat checks a float flag where 0 means "off".
func notNegativeFloat(flag string, v float64) error {
	if v < 0 {
		return usageErrorf("--%s %s must not be negative", flag, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return nil
}

// checkWorkload checks the flags rtxns and tst share: --records, --mode,
// --legs and --zipf.
func checkWorkload(records int, mode string, legs int, zipf float64) error {
	if err := atLeast("records", records, 1); err != nil {
		return err
	}
	switch mode {
	case "single":
	case "transfer":
		if legs < 2 || legs > records {
			return usageErrorf("--legs %d out of range 2..%d (a transfer needs two accounts or more, at most --records)", legs, records)
		}
	default:
		return usageErrorf("--mode %q: want single or transfer", mode)
	}
	if zipf != 0 && zipf <= 1 {
		return usageErrorf("--zipf %s must be above 1 (or 0 for uniform)", strconv.FormatFloat(zipf, 'g', -1, 64))
	}
	return nil
}
