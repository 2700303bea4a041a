package sim_test

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mxnlabs/mxn/pkg/sim"
)

var (
	flagSeeds   = flag.Int("sim.seeds", envInt("SIM_SEEDS", 300), "number of seeds TestSimulation runs (env SIM_SEEDS)")
	flagFirst   = flag.Int64("sim.first", int64(envInt("SIM_FIRST", 1)), "first seed of TestSimulation (env SIM_FIRST)")
	flagSeed    = flag.Int64("sim.seed", -1, "replay one seed verbosely (prints its whole trace)")
	flagNoFault = flag.String("sim.nofaults", "", "fault kinds to switch off, comma-separated ("+kinds()+"), or \"all\"")
	flagShow    = flag.Int("sim.show", 3, "failing seeds whose trace tail TestSimulation prints")
	flagRerun   = flag.Float64("sim.rerun", 0, "probability of rerunning a recent txnid (0: default 0.3; negative: never)")
	flagIgnore  = flag.String("sim.ignore", "", "checks not to fail on, comma-separated (e.g. log-undecided)")
	flagDet     = flag.Int("sim.detseeds", 3, "seeds TestSimulationDeterministic runs twice (from -sim.first)")
)

func kinds() string {
	var s []string
	for _, k := range sim.AllFaults {
		s = append(s, string(k))
	}
	return strings.Join(s, ",")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func options(t *testing.T) sim.Options {
	o := sim.Options{RerunRate: *flagRerun}
	for _, c := range strings.Split(*flagIgnore, ",") {
		if c = strings.TrimSpace(c); c != "" {
			o.Ignore = append(o.Ignore, c)
		}
	}
	switch *flagNoFault {
	case "":
	case "all":
		o.Faults = sim.NoFaults()
	default:
		ks, err := sim.ParseFaultKinds(*flagNoFault)
		if err != nil {
			t.Fatal(err)
		}
		o.Faults = sim.DefaultFaults().Without(ks...)
	}
	return o
}

// TestSimulation runs -sim.seeds worlds from -sim.first, or replays
// -sim.seed verbosely, and fails on any violation.
func TestSimulation(t *testing.T) {
	opts := options(t)
	if *flagSeed >= 0 {
		rep, err := sim.Run(*flagSeed, opts)
		if rep != nil {
			t.Logf("trace of seed %d:\n%s", *flagSeed, rep.TraceText())
			t.Log(rep.Summary())
		}
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failed() {
			t.Fatal(rep.Failure())
		}
		return
	}
	n := *flagSeeds
	if testing.Short() {
		n = min(n, 5)
	}
	start := time.Now()
	type failure struct {
		seed   int64
		checks string
	}
	var failures []failure
	byCheck := map[string][]int64{}
	shown := 0
	for i := 0; i < n; i++ {
		seed := *flagFirst + int64(i)
		rep, err := sim.Run(seed, opts)
		if err != nil {
			t.Errorf("harness: %v", err)
			if rep != nil {
				t.Logf("last trace lines of seed %d:\n  %s", seed, strings.Join(rep.Tail(20), "\n  "))
			}
			continue
		}
		if !rep.Failed() {
			if testing.Verbose() {
				t.Log(rep.Summary())
			}
			continue
		}
		failures = append(failures, failure{seed, strings.Join(rep.Checks(), ",")})
		for _, c := range rep.Checks() {
			byCheck[c] = append(byCheck[c], seed)
		}
		if shown < *flagShow {
			shown++
			t.Errorf("%s\n%s", rep.Summary(), rep.Failure())
		} else {
			t.Errorf("seed %d failed: %s (replay: %s)", seed, strings.Join(rep.Checks(), ", "), rep.ReplayCommand())
		}
	}
	t.Logf("%d seeds (%d..%d) in %v: %d failed", n, *flagFirst, *flagFirst+int64(n)-1, time.Since(start).Round(time.Millisecond), len(failures))
	if len(failures) > 0 {
		var checks []string
		for c := range byCheck {
			checks = append(checks, c)
		}
		sort.Strings(checks)
		var b strings.Builder
		for _, c := range checks {
			fmt.Fprintf(&b, "\n  %-22s %3d seeds: %v", c, len(byCheck[c]), byCheck[c])
		}
		t.Logf("failing checks:%s", b.String())
	}
}

// TestSimulationDeterministic runs seeds twice and compares their traces
// and findings byte for byte.
func TestSimulationDeterministic(t *testing.T) {
	if *flagSeed >= 0 {
		t.Skip("replaying one seed")
	}
	opts := options(t)
	var seeds []int64
	for i := 0; i < *flagDet; i++ {
		seeds = append(seeds, *flagFirst+int64(i))
	}
	if testing.Short() && len(seeds) > 1 {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		a, errA := sim.Run(seed, opts)
		b, errB := sim.Run(seed, opts)
		if errA != nil || errB != nil {
			t.Fatalf("seed %d: harness: %v / %v", seed, errA, errB)
		}
		if len(a.Trace) < 50 {
			t.Errorf("seed %d: only %d trace lines", seed, len(a.Trace))
		}
		ta, tb := a.TraceText(), b.TraceText()
		if ta != tb {
			al, bl := a.Trace, b.Trace
			i := 0
			for i < len(al) && i < len(bl) && al[i] == bl[i] {
				i++
			}
			lo := max(0, i-5)
			t.Fatalf("seed %d: traces differ at line %d (of %d / %d)\nfirst run:\n  %s\nsecond run:\n  %s",
				seed, i+1, len(al), len(bl),
				strings.Join(al[lo:min(len(al), i+5)], "\n  "), strings.Join(bl[lo:min(len(bl), i+5)], "\n  "))
		}
		va, vb := fmt.Sprint(a.Violations), fmt.Sprint(b.Violations)
		if va != vb {
			t.Fatalf("seed %d: same trace, different findings:\n%s\n%s", seed, va, vb)
		}
		t.Logf("seed %d: %d trace lines identical (%d violations, %s)", seed, len(a.Trace), len(a.Violations), strings.Join(a.Checks(), ","))
	}
}
