package sim

import (
	"slices"
	"testing"
)

// TestSimulationStepLimit: a world stopped by its step budget ends as if
// its actors had crashed: reported as step-limit, then cleaned and
// audited, deterministically.
func TestSimulationStepLimit(t *testing.T) {
	var first string
	for i := 0; i < 2; i++ {
		rep, err := Run(6, Options{MaxSteps: 60})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(rep.Checks(), "step-limit") {
			t.Fatalf("checks %v, want step-limit", rep.Checks())
		}
		if i == 0 {
			first = rep.TraceText()
		} else if rep.TraceText() != first {
			t.Fatal("an aborted world's trace is not deterministic")
		}
	}
}
