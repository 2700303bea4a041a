package lock

import as "github.com/aerospike/aerospike-client-go/v7"

// FenceExpression is the filter every write of a lock holder carries,
// beside the generation check: the lock on the record is still the one
// this Acquire call took (lck.owner). The 16-bit generation wraps after
// 65,536 writes, a few seconds on a hot account, so a holder that stalled
// can find the generation it remembers again; it cannot find its owner
// nonce again, because every other writer first replaces or removes lck.
// A write refused by it fails with FILTERED_OUT and applies nothing.
func FenceExpression(lk *Lock) *as.Expression {
	return ownerIs(lk.Owner)
}

func ownerIs(owner string) *as.Expression {
	return as.ExpEq(
		as.ExpMapGetByKey(as.MapReturnType.VALUE, as.ExpTypeSTRING, as.ExpStringVal("owner"), as.ExpMapBin(BinLock)),
		as.ExpStringVal(owner))
}

// heldBy fences a steal or re-entry: the lock is still the one that was
// read (its owner nonce; a lock written without one, by the prototype, by
// its txnid).
func heldBy(h Held) *as.Expression {
	if h.Owner != "" {
		return ownerIs(h.Owner)
	}
	return as.ExpEq(
		as.ExpMapGetByKey(as.MapReturnType.VALUE, as.ExpTypeSTRING, as.ExpStringVal("txnid"), as.ExpMapBin(BinLock)),
		as.ExpStringVal(h.Holder))
}

// ReleasePolicy returns the write policy of a release of lk: base with a
// generation check against lk.Generation and the fence.
func ReleasePolicy(base *as.WritePolicy, lk *Lock) *as.WritePolicy {
	wp := *base
	wp.GenerationPolicy = as.EXPECT_GEN_EQUAL
	wp.Generation = lk.Generation
	wp.FilterExpression = FenceExpression(lk)
	wp.RecordExistsAction = as.UPDATE_ONLY
	return &wp
}

// BatchWritePolicyOf is the per-record part of a write policy, for the
// same write sent as a record of a batch (the batch-level part: timeouts,
// retries, is the batch policy's).
func BatchWritePolicyOf(p *as.WritePolicy) *as.BatchWritePolicy {
	return &as.BatchWritePolicy{
		FilterExpression:   p.FilterExpression,
		RecordExistsAction: p.RecordExistsAction,
		CommitLevel:        p.CommitLevel,
		GenerationPolicy:   p.GenerationPolicy,
		Generation:         p.Generation,
		Expiration:         p.Expiration,
		DurableDelete:      p.DurableDelete,
		SendKey:            p.SendKey,
	}
}
