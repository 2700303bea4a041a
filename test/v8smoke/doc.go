// Package v8smoke checks that aerolite serves the current major Go client,
// aerospike-client-go v8: put, get, operate, filter expressions, batch,
// scan, secondary index create, query and drop, truncate.
//
// Against a server that reports 8.1 (aerolite does), v8 speaks 8.1's info
// syntax: sindex-create:namespace=<ns>;indexname=<ix>;bin=<bin>;type=<type>,
// sindex-stat:namespace=<ns>;indexname=<ix> to wait for the index,
// sindex-delete and sindex-exists with namespace=, and user-agent-set on
// every tend connection.
//
// It is a module of its own so that v8 never becomes a dependency of the
// main module; it starts aerolite in-process through a replace directive.
// `make v8smoke` runs it.
package v8smoke
