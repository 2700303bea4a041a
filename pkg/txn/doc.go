// Package txn implements multi-record transactions on Aerospike, which is
// atomic per record only, on top of the record locks of package lock.
//
// A transaction moves amounts between account records (bin bal) and
// writes one log record per leg (set <set>log, key "<ukey>:<txnid>"). Its
// outcome is decided by one single-record write, the commit point: the
// log record of its first leg in canonical (ukey) order, the primary.
// Every leg leaves a pending entry in its account's ptxns list from the
// moment it is locked until its amount is applied (commit) or dropped
// (abort); applying an amount and removing its entry is one atomic write.
// A log counts towards its account's balance iff its transaction is
// committed and its entry is no longer pending, so after any crash the
// accounts stay balanced and cleanup can finish every transaction by
// reading its primary. docs/protocol.md has the full argument.
package txn
