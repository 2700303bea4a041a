package main

import "time"

// Flag checks. Each error names the flag and the value it was given, as
// "--procs -1 must be at least 1", and is a usage error (exit 2).

// atLeast checks an integer flag's lower bound.
func atLeast(flag string, v, min int) error {
	if v < min {
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
