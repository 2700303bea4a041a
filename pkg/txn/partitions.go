package txn

import (
	"fmt"
	"strconv"
	"strings"
)

// PartitionCount is Aerospike's number of partitions.
const PartitionCount = 4096

// PartitionRange is a range of partitions [Begin, Begin+Count).
type PartitionRange struct {
	Begin int `json:"begin"`
	Count int `json:"count"`
}

// AllPartitions covers the whole namespace.
var AllPartitions = PartitionRange{Begin: 0, Count: PartitionCount}

func (r PartitionRange) String() string { return fmt.Sprintf("%d:%d", r.Begin, r.Count) }

// Validate checks the range lies within the 4096 partitions.
func (r PartitionRange) Validate() error {
	if r.Begin < 0 || r.Count <= 0 || r.Begin+r.Count > PartitionCount {
		return fmt.Errorf("partition range %d:%d is not within 0:%d", r.Begin, r.Count, PartitionCount)
	}
	return nil
}

// ParsePartitionRange parses "begin:count" (e.g. "0:1024").
func ParsePartitionRange(s string) (PartitionRange, error) {
	b, c, ok := strings.Cut(s, ":")
	if !ok {
		return PartitionRange{}, fmt.Errorf("partition range %q: want begin:count", s)
	}
	begin, err1 := strconv.Atoi(b)
	count, err2 := strconv.Atoi(c)
	if err1 != nil || err2 != nil {
		return PartitionRange{}, fmt.Errorf("partition range %q: begin and count must be integers", s)
	}
	r := PartitionRange{Begin: begin, Count: count}
	return r, r.Validate()
}

// Split divides r into n contiguous ranges of near-equal size (fewer when r
// has fewer than n partitions), so several workers can share the work.
func (r PartitionRange) Split(n int) []PartitionRange {
	if n <= 0 {
		n = 1
	}
	if n > r.Count {
		n = r.Count
	}
	out := make([]PartitionRange, 0, n)
	begin := r.Begin
	for i := 0; i < n; i++ {
		size := r.Count / n
		if i < r.Count%n {
			size++
		}
		out = append(out, PartitionRange{Begin: begin, Count: size})
		begin += size
	}
	return out
}
