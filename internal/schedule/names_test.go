package schedule

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func TestRunName(t *testing.T) {
	at := utc(2026, time.March, 2, 10, 0, 0) // 29540760 minutes
	long := strings.Repeat("a", 63)
	tests := map[string]struct {
		got, want string
	}{
		"short owner":               {got: RunName("nightly", at), want: "nightly-29540760"},
		"seconds are dropped":       {got: RunName("nightly", at.Add(59*time.Second)), want: "nightly-29540760"},
		"time zone does not matter": {got: RunName("nightly", at.In(time.FixedZone("x", 3600))), want: "nightly-29540760"},
		"once":                      {got: OnceRunName("nightly"), want: "nightly-once"},
		"owner just fits":           {got: RunName(strings.Repeat("b", 48), at), want: strings.Repeat("b", 48) + "-29540760"},
		"owner one too long":        {got: RunName(strings.Repeat("b", 49), at), want: strings.Repeat("b", 39) + "-" + hashOf(strings.Repeat("b", 49)) + "-29540760"},
		"63-char owner":             {got: RunName(long, at), want: strings.Repeat("a", 39) + "-" + hashOf(long) + "-29540760"},
		"63-char owner, once":       {got: OnceRunName(long), want: strings.Repeat("a", 43) + "-" + hashOf(long) + "-once"},
		"cut before a dash":         {got: RunName(strings.Repeat("c", 38)+"--"+strings.Repeat("d", 20), at), want: strings.Repeat("c", 38) + "-" + hashOf(strings.Repeat("c", 38)+"--"+strings.Repeat("d", 20)) + "-29540760"},
		"shard job":                 {got: JobName("nightly-29540760", 7), want: "nightly-29540760-s0007"},
		"last shard job":            {got: JobName("nightly-29540760", 4095), want: "nightly-29540760-s4095"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func hashOf(s string) string {
	t := Truncate(s, 9) // all hash
	return t[len(t)-8:]
}

// Every run name of every owner length keeps its shard Jobs' names valid
// labels of at most 63 characters, and distinct owners sharing a long prefix
// get distinct names.
func TestRunNameBounds(t *testing.T) {
	at := utc(2026, time.March, 2, 10, 0, 0)
	seen := map[string]string{}
	for n := 1; n <= 253; n++ {
		for _, owner := range []string{strings.Repeat("x", n), strings.Repeat("x", n-1) + "y"} {
			for _, run := range []string{RunName(owner, at), OnceRunName(owner)} {
				job := JobName(run, 4095)
				if len(run) > MaxRunNameLength || len(job) > MaxJobNameLength || !dnsLabel.MatchString(job) {
					t.Fatalf("owner of %d chars: run %q (%d), job %q (%d)", n, run, len(run), job, len(job))
				}
				if prev, ok := seen[run]; ok && prev != owner {
					t.Fatalf("owners %q and %q share run name %q", prev, owner, run)
				}
				seen[run] = owner
			}
			if first, again := RunName(owner, at), RunName(strings.Clone(owner), at.Add(30*time.Second)); again != first {
				t.Fatalf("RunName(%q) = %q, then %q for the same minute", owner, first, again)
			}
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := map[string]struct {
		name string
		n    int
		want string
	}{
		"fits":          {name: "abc", n: 3, want: "abc"},
		"cut":           {name: "abcdefghijkl", n: 11, want: "ab-" + hashOf("abcdefghijkl")},
		"dots trimmed":  {name: "a.b.cdefghijkl", n: 12, want: "a.b-" + hashOf("a.b.cdefghijkl")},
		"only the hash": {name: "--abcdefghijkl", n: 11, want: hashOf("--abcdefghijkl")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Truncate(tc.name, tc.n)
			if got != tc.want || len(got) > tc.n {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tc.name, tc.n, got, tc.want)
			}
		})
	}
}
