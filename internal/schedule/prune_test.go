package schedule

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mxnlabs/mxn/api/v1alpha1"
)

func run(name string, phase v1alpha1.RunPhase, startMin int) v1alpha1.RunRef {
	r := v1alpha1.RunRef{Name: name, Phase: phase}
	if startMin >= 0 {
		st := metav1.NewTime(utc(2026, time.March, 2, 10, startMin, 0))
		r.StartTime = &st
	}
	return r
}

func names(runs []v1alpha1.RunRef) []string {
	out := []string{}
	for _, r := range runs {
		out = append(out, r.Name)
	}
	return out
}

func TestPrune(t *testing.T) {
	const (
		ok   = v1alpha1.RunSucceeded
		fail = v1alpha1.RunFailed
		busy = v1alpha1.RunRunning
	)
	history := []v1alpha1.RunRef{
		run("s1", ok, 1), run("f2", fail, 2), run("s3", ok, 3), run("r4", busy, 4),
		run("s5", ok, 5), run("f6", fail, 6), run("s7", ok, 7), run("r0", busy, 0),
	}
	tests := map[string]struct {
		runs           []v1alpha1.RunRef
		success, fails *int32
		keep, del      []string
	}{
		"empty": {keep: []string{}, del: []string{}},
		"defaults: 3 succeeded, 1 failed, every running": {
			runs: history,
			keep: []string{"s7", "f6", "s5", "r4", "s3", "r0"}, del: []string{"f2", "s1"},
		},
		"zero limits keep only the running": {
			runs: history, success: ptr(int32(0)), fails: ptr(int32(0)),
			keep: []string{"r4", "r0"}, del: []string{"s7", "f6", "s5", "s3", "f2", "s1"},
		},
		"large limits keep everything": {
			runs: history, success: ptr(int32(100)), fails: ptr(int32(100)),
			keep: []string{"s7", "f6", "s5", "r4", "s3", "f2", "s1", "r0"}, del: []string{},
		},
		"a run without a start time is the oldest": {
			runs: []v1alpha1.RunRef{run("never", ok, -1), run("s1", ok, 1)}, success: ptr(int32(1)),
			keep: []string{"s1"}, del: []string{"never"},
		},
		"scheduled time stands in for a missing start time": {
			runs: []v1alpha1.RunRef{
				{Name: "sched9", Phase: fail, ScheduledTime: ptr(metav1.NewTime(utc(2026, time.March, 2, 10, 9, 0)))},
				run("f1", fail, 1),
			},
			keep: []string{"sched9"}, del: []string{"f1"},
		},
		"equal start times: by name, newest-looking first": {
			runs: []v1alpha1.RunRef{run("a", ok, 1), run("b", ok, 1)}, success: ptr(int32(1)),
			keep: []string{"b"}, del: []string{"a"},
		},
		"negative limits are zero": {
			runs: []v1alpha1.RunRef{run("s1", ok, 1)}, success: ptr(int32(-1)),
			keep: []string{}, del: []string{"s1"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			before := names(tc.runs)
			keep, del := Prune(tc.runs, tc.success, tc.fails)
			if got := names(keep); !equal(got, tc.keep) {
				t.Errorf("keep = %v, want %v", got, tc.keep)
			}
			if got := names(del); !equal(got, tc.del) {
				t.Errorf("delete = %v, want %v", got, tc.del)
			}
			if !equal(names(tc.runs), before) {
				t.Errorf("Prune reordered its input")
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
