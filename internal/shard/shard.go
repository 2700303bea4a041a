// Package shard splits Aerospike's 4096 partitions across the Jobs of a run
// and says how each Job is told its share.
package shard

import (
	"fmt"

	"github.com/mxnlabs/mxn/pkg/txn"
)

// MaxShards is the most shards a run may have: one partition each.
const MaxShards = txn.PartitionCount

// Ranges returns the partitions of each of shards Jobs: contiguous ranges
// of near-equal size covering every partition exactly once, in order.
func Ranges(shards int32) ([]txn.PartitionRange, error) {
	if shards < 1 || shards > MaxShards {
		return nil, fmt.Errorf("shards must be between 1 and %d, not %d", MaxShards, shards)
	}
	return txn.AllPartitions.Split(int(shards)), nil
}

// Args is the value of `mxn --partitions` for r: "begin:count".
func Args(r txn.PartitionRange) string { return fmt.Sprintf("%d:%d", r.Begin, r.Count) }
