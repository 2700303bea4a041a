package txn

import (
	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// Client is the part of the Aerospike client pkg/txn uses: the calls a
// transaction, cleanup and reconciliation really make. *as.Client
// satisfies it. Wrappers that inject faults or count requests
// (pkg/txn/txntest) implement every method explicitly, so the compiler
// tells them when this list grows.
type Client interface {
	lock.Client
	Put(policy *as.WritePolicy, key *as.Key, binMap as.BinMap) as.Error
	Query(policy *as.QueryPolicy, statement *as.Statement) (*as.Recordset, as.Error)
	QueryPartitions(policy *as.QueryPolicy, statement *as.Statement, partitionFilter *as.PartitionFilter) (*as.Recordset, as.Error)
	CreateIndex(policy *as.WritePolicy, namespace, setName, indexName, binName string, indexType as.IndexType) (*as.IndexTask, as.Error)
}

var _ Client = (*as.Client)(nil)
