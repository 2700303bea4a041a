package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestChaos runs the test driver as a user would: 8 worker processes on a
// few hot accounts with 5% injected client failures (and, on the embedded
// server, 2% server faults), killed with SIGKILL one after another (the
// sequential chaos monkey) or all at once (the parallel one). After cleanup
// reconcile must find every account balanced and the total conserved.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level chaos test")
	}
	bin := filepath.Join(t.TempDir(), "mxn")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build mxn: %v\n%s", err, out)
	}
	patterns := []struct {
		name string
		args []string
	}{
		{"sequential-single", []string{"--mode", "single", "--kill", "5", "--kill-every", "200ms"}},
		{"sequential-transfer", []string{"--mode", "transfer", "--legs", "3", "--kill", "5", "--kill-every", "200ms"}},
		{"parallel-transfer", []string{"--mode", "transfer", "--legs", "2", "--kill-all-after", "1500ms"}},
	}
	for i, p := range patterns {
		t.Run(p.name, func(t *testing.T) {
			args := []string{"tst", "-i", "--records", "50", "--procs", "8", "--txns", "300", "--fpct", "50",
				"--zipf", "1.3", "--seed", fmt.Sprint(i + 1), "-s", fmt.Sprintf("chaos%d_%d", i, time.Now().UnixNano()%1e6)}
			if os.Getenv("AEROSPIKE_HOSTS") == "" {
				args = append(args, "--embedded", "--server-faults", "2")
			}
			args = append(args, p.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
			// The verdict: exit status 0 and the reconcile line (other
			// checks may print their own verdicts after it).
			verdict := ""
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if strings.HasPrefix(line, "Reconciled:") {
					verdict = line
				}
			}
			if err != nil || verdict == "" {
				t.Fatalf("mxn %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			t.Log(verdict)
		})
	}
}
