// Package aggregate turns the reports of a run's workers and shards
// (pkg/report) into the status of the mxn API: exact counters summed, rates
// over the common span, latency percentiles from the merged histogram
// buckets, and a verdict. It is pure: no client, no clock.
package aggregate
