package runstate

import (
	"context"
	"errors"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
	"github.com/mxnlabs/mxn/pkg/workload"
)

// The waiting logic alone, on a fake clock: it polls every PollInterval,
// retries failed reads, and opens on enough workers or a release.
func TestWaitReadyLogic(t *testing.T) {
	cases := []struct {
		name     string
		reads    []func() (int, bool, error)
		timeout  time.Duration
		wantErr  error
		wantPoll int
	}{
		{"ready at once", []func() (int, bool, error){ret(3, false, nil)}, 0, nil, 1},
		{"ready on the third read", []func() (int, bool, error){ret(1, false, nil), ret(2, false, nil), ret(3, false, nil)}, 0, nil, 3},
		{"read errors retried", []func() (int, bool, error){ret(0, false, errors.New("timeout")), ret(3, false, nil)}, 0, nil, 2},
		{"released", []func() (int, bool, error){ret(1, false, nil), ret(1, true, nil)}, 0, nil, 2},
		{"timeout", []func() (int, bool, error){ret(2, false, nil)}, time.Second, ErrBarrierTimeout, int(time.Second/PollInterval) + 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := lock.NewFakeClock(time.Unix(1_000, 0))
			start := clock.Now()
			polls := 0
			read := func() (int, bool, error) {
				r := tc.reads[min(polls, len(tc.reads)-1)]
				polls++
				return r()
			}
			var deadline time.Time
			if tc.timeout > 0 {
				deadline = start.Add(tc.timeout)
			}
			err := waitReady(context.Background(), read, "r", 3, clock, deadline)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if polls != tc.wantPoll {
				t.Errorf("%d reads, want %d", polls, tc.wantPoll)
			}
			if got := clock.Now().Sub(start); got != time.Duration(polls-1)*PollInterval {
				t.Errorf("waited %v for %d reads", got, polls)
			}
		})
	}
}

func ret(n int, released bool, err error) func() (int, bool, error) {
	return func() (int, bool, error) { return n, released, err }
}

func TestParseBarrierAndProgressCodec(t *testing.T) {
	if n, rel := parseBarrier(as.BinMap{BinReady: []any{0, 2}}); n != 2 || rel {
		t.Errorf("parseBarrier: %d %v", n, rel)
	}
	if n, rel := parseBarrier(as.BinMap{BinRelease: 123}); n != 0 || !rel {
		t.Errorf("parseBarrier release: %d %v", n, rel)
	}
	bins, err := encodeProgress(&workload.Summary{Committed: 3}, 42, true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := decodeProgress(bins)
	if err != nil || p.Summary.Committed != 3 || p.TsUnixMs != 42 || !p.Done {
		t.Fatalf("%+v, %v", p, err)
	}
	if _, err := decodeProgress(as.BinMap{BinSummary: "{"}); err == nil {
		t.Error("bad JSON decoded")
	}
	if _, err := decodeProgress(as.BinMap{}); err == nil {
		t.Error("missing bin decoded")
	}
}
