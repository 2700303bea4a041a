// Package lock implements per-record locks kept inside Aerospike records,
// compatible with the records the mxn Python prototype wrote:
//
//	lck    map {txnid, ukey}   who holds the lock
//	lckto  int                 lock deadline, epoch milliseconds
//	ptxns  list of "ukey:txnid" transactions pending on this record
//
// Acquiring is one Operate (create-only map put of lck, lckto, append to
// ptxns, read back). A lock whose deadline plus a grace period has passed
// may be stolen, but only with a generation check, so that of two
// contenders at most one wins. Releasing is one generation-checked Operate
// that may carry the caller's writes (e.g. bal += amt), so that applying an
// amount and clearing its pending entry happen atomically.
package lock
