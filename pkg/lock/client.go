package lock

import as "github.com/aerospike/aerospike-client-go/v7"

// Client is the part of the Aerospike client a Locker uses. *as.Client
// satisfies it; fault and crash wrappers implement exactly these calls.
type Client interface {
	Get(policy *as.BasePolicy, key *as.Key, binNames ...string) (*as.Record, as.Error)
	Operate(policy *as.WritePolicy, key *as.Key, operations ...*as.Operation) (*as.Record, as.Error)
	// BatchOperate takes the locks of a transfer in one call (AcquireAll).
	BatchOperate(policy *as.BatchPolicy, records []as.BatchRecordIfc) as.Error
}
