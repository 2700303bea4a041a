// Package groupcommit is a txn.Client that lets the concurrent calls of
// one process share batch commands (issue 13, item 2: group commit).
//
// A transaction makes four round trips (docs/protocol.md §3); with many
// transactions running at once, most of the cost is the per-command
// overhead of the client, the network and the server, not the work on the
// records. Client.Operate, Put, Get and BatchOperate therefore go through
// a queue: a call is sent at once while fewer than Options.MaxInFlight
// commands of its kind are in flight, and the calls that arrive meanwhile
// are sent together, in one BatchOperate, when one of them returns
// ("natural batching": no timer, no added latency when idle).
//
// Every caller gets what its own single call would have returned: the
// same *as.Record (bins as the single call's parser folds them) and an
// error with the same result code, which lock.Classify classifies the
// same. Calls that a batch cannot express exactly are passed through
// unbatched. If a batch command fails after it may have been sent, every
// write whose own answer did not arrive is reported in doubt, as a single
// write whose reply was lost; reads are never reported in doubt.
//
// Calls are batched only with calls whose batch-level policy fields agree
// (timeouts, retries, read modes, replica policy...: a "lane"); the
// per-record fields (generation, exists action, filter, TTL, send key,
// commit level, durable delete) travel in each record's own policy. A
// call's TotalTimeout counts from when it was made: if it passes while
// the call is queued, the call fails unsent (ErrExpired); once sent, the
// batch command has the whole TotalTimeout, so a call may take up to
// about twice its TotalTimeout in all, never less than it.
//
// Two calls on one record are never put into one batch: a batch is a set
// of independent single-record commands only when its keys are distinct
// (the order and isolation of two sub-commands on one key are not
// specified by the server, and asconform does not record them), so the
// second call waits for the next batch.
package groupcommit
