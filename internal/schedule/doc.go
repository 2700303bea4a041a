// Package schedule holds the pure rules of a scheduled Reconciliation or
// Cleanup, after Kubernetes' CronJob controller: parsing a schedule and its
// time zone, deciding whether a run starts now and when to wake up next,
// naming runs, and pruning their history. Time is always passed in.
package schedule
