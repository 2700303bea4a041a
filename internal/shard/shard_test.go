package shard

import (
	"strings"
	"testing"

	"github.com/mxnlabs/mxn/pkg/txn"
)

func TestRanges(t *testing.T) {
	tests := map[string]struct {
		shards    int32
		wantErr   string
		wantSizes map[int]int // partition count -> number of shards of that size
		wantFirst string
		wantLast  string
	}{
		"one":   {shards: 1, wantSizes: map[int]int{4096: 1}, wantFirst: "0:4096", wantLast: "0:4096"},
		"two":   {shards: 2, wantSizes: map[int]int{2048: 2}, wantFirst: "0:2048", wantLast: "2048:2048"},
		"three": {shards: 3, wantSizes: map[int]int{1366: 1, 1365: 2}, wantFirst: "0:1366", wantLast: "2731:1365"},
		"seven": {shards: 7, wantSizes: map[int]int{586: 1, 585: 6}, wantFirst: "0:586", wantLast: "3511:585"},
		"4096":  {shards: 4096, wantSizes: map[int]int{1: 4096}, wantFirst: "0:1", wantLast: "4095:1"},
		"zero":  {shards: 0, wantErr: "between 1 and 4096, not 0"},
		"minus": {shards: -3, wantErr: "between 1 and 4096, not -3"},
		"4097":  {shards: 4097, wantErr: "between 1 and 4096, not 4097"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Ranges(tc.shards)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Ranges(%d) error = %v, want %q", tc.shards, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != int(tc.shards) {
				t.Fatalf("%d ranges, want %d", len(got), tc.shards)
			}
			var covered [txn.PartitionCount]int
			sizes := map[int]int{}
			for _, r := range got {
				if err := r.Validate(); err != nil {
					t.Fatal(err)
				}
				sizes[r.Count]++
				for p := r.Begin; p < r.Begin+r.Count; p++ {
					covered[p]++
				}
				// Args round-trips through the parser mxn uses.
				back, err := txn.ParsePartitionRange(Args(r))
				if err != nil || back != r {
					t.Fatalf("Args(%v) = %q parses back to %v, %v", r, Args(r), back, err)
				}
			}
			for p, n := range covered {
				if n != 1 {
					t.Fatalf("partition %d covered %d times", p, n)
				}
			}
			if len(sizes) != len(tc.wantSizes) {
				t.Fatalf("sizes %v, want %v", sizes, tc.wantSizes)
			}
			for k, v := range tc.wantSizes {
				if sizes[k] != v {
					t.Fatalf("sizes %v, want %v", sizes, tc.wantSizes)
				}
			}
			if Args(got[0]) != tc.wantFirst || Args(got[len(got)-1]) != tc.wantLast {
				t.Errorf("first %s last %s, want %s and %s", Args(got[0]), Args(got[len(got)-1]), tc.wantFirst, tc.wantLast)
			}
		})
	}
}
