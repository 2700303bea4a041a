package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxnlabs/mxn/pkg/workload"
)

func TestEncodeTrimsSampleToFit(t *testing.T) {
	r := &Report{Kind: KindReconcile, Reconcile: &Reconcile{Drifted: 1000, Verdict: "Unbalanced"}}
	for i := 0; i < 1000; i++ {
		r.Reconcile.Sample = append(r.Reconcile.Sample, DriftedAccount{UKey: fmt.Sprintf("usr%d", i), Balance: 123456, Logged: 1, Drift: 123455})
	}
	b, err := r.Encode()
	if err != nil || len(b) > MaxBytes {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Reconcile.SampleTruncated || len(got.Reconcile.Sample) == 0 || len(got.Reconcile.Sample) >= 1000 || got.Reconcile.Sample[0].UKey != "usr0" {
		t.Fatalf("sample %d truncated %v", len(got.Reconcile.Sample), got.Reconcile.SampleTruncated)
	}
}

func TestEncodeTooBig(t *testing.T) {
	r := &Report{Kind: KindVerify, Error: strings.Repeat("x", MaxBytes)}
	if _, err := r.Encode(); !errors.Is(err, ErrTooBig) {
		t.Fatalf("err %v", err)
	}
}

func TestWriteFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "termination-log")
	in := &Report{Kind: KindWorkload, StartUnixMs: 1, EndUnixMs: 2, Workload: &workload.Summary{Mode: "single", Committed: 5}}
	if err := WriteFile(path, in); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	out, err := Decode(b)
	if err != nil || out.Kind != KindWorkload || out.Workload.Committed != 5 || out.EndUnixMs != 2 || out.V != Version {
		t.Fatalf("%+v, %v", out, err)
	}
	for _, bad := range []string{`{`, `{"v":2,"kind":"x"}`, `{"v":1}`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("%s: decoded", bad)
		}
	}
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "such"), in); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

// The trimmed sample keeps as many entries as fit, not far fewer.
func TestEncodeKeepsMostThatFit(t *testing.T) {
	r := &Report{Kind: KindReconcile, Reconcile: &Reconcile{Drifted: 100}}
	for i := 0; i < 100; i++ {
		r.Reconcile.Sample = append(r.Reconcile.Sample, DriftedAccount{UKey: fmt.Sprintf("usr%d", i), Balance: 1, Drift: 1})
	}
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	one := len(`{"ukey":"usr10","bal":1,"log_amt":0,"pend_amt":0,"drift":1},`)
	if len(b) > MaxBytes || len(b) < MaxBytes-2*one {
		t.Fatalf("%d bytes: want close to %d", len(b), MaxBytes)
	}
}
