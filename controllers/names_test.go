package controllers

import (
	"strings"
	"testing"
)

func TestJobName(t *testing.T) {
	long := strings.Repeat("a", 100)
	cases := []struct {
		owner string
		parts []string
		want  string
	}{
		{"lt", []string{"r1", "w0"}, "lt-r1-w0"},
		{"demo", []string{"run", "init"}, "demo-run-init"},
	}
	for _, c := range cases {
		if got := jobName(c.owner, c.parts...); got != c.want {
			t.Errorf("jobName(%q, %v) = %q, want %q", c.owner, c.parts, got, c.want)
		}
	}
	a, b := jobName(long, "r1", "w0"), jobName(long+"b", "r1", "w0")
	if len(a) > maxNameLen || len(b) > maxNameLen {
		t.Fatalf("too long: %d %d", len(a), len(b))
	}
	if a == b {
		t.Fatalf("distinct owners gave one name %q", a)
	}
	if !strings.HasSuffix(a, "-r1-w0") || a != jobName(long, "r1", "w0") {
		t.Fatalf("not deterministic or lost its suffix: %q", a)
	}
}
