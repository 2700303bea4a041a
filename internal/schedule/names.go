package schedule

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// MaxJobNameLength bounds a Job's name: it is also the value of the
// job-name label on its pods, which may not exceed 63 characters.
const MaxJobNameLength = 63

// shardSuffixLength is the length of JobName's "-s<NNNN>".
const shardSuffixLength = len("-s0000")

// MaxRunNameLength bounds a run's name so that its Jobs' names fit.
const MaxRunNameLength = MaxJobNameLength - shardSuffixLength

// RunName names the run of owner scheduled at scheduled, as CronJob names
// its Jobs: <owner>-<unix minutes>. A long owner is cut and given a short
// hash of its full name, deterministically, so the name stays at most
// MaxRunNameLength.
func RunName(owner string, scheduled time.Time) string {
	return withSuffix(owner, strconv.FormatInt(scheduled.Unix()/60, 10))
}

// OnceRunName names the one run of a resource without a schedule.
func OnceRunName(owner string) string { return withSuffix(owner, "once") }

// JobName names the Job of shard i (0..4095) of a run.
func JobName(run string, shard int32) string { return fmt.Sprintf("%s-s%04d", run, shard) }

func withSuffix(owner, suffix string) string {
	budget := MaxRunNameLength - len(suffix) - 1
	return Truncate(owner, budget) + "-" + suffix
}

// Truncate returns name if it has at most n characters, or else a prefix of
// it followed by "-" and 8 hex digits of a hash of the whole name, n
// characters in all (n must be at least 10). The prefix loses trailing '-'
// and '.' so the result stays a valid DNS name.
func Truncate(name string, n int) string {
	if len(name) <= n {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	sum := fmt.Sprintf("%08x", h.Sum32())
	prefix := strings.TrimRight(name[:max(0, n-len(sum)-1)], "-.")
	if prefix == "" {
		return sum[:min(len(sum), n)]
	}
	return prefix + "-" + sum
}
