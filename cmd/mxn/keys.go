package main

import (
	"fmt"

	as "github.com/aerospike/aerospike-client-go/v7"
)

// logSetSuffix names a set's transaction log set: accounts in "mxn" log to
// "mxnlog".
const logSetSuffix = "log"

// logSet is the transaction log set of the account set.
func (cfg *globalConfig) logSet() string { return cfg.Set + logSetSuffix }

// key is the account record addressed by --namespace, --set and --ukey.
func (cfg *globalConfig) key() (*as.Key, error) {
	if cfg.UKey == "" {
		return nil, usageErrorf("--ukey is required")
	}
	return recordKey(cfg.Namespace, cfg.Set, cfg.UKey)
}

// recordKey builds a string-keyed record key; "*" is reserved for "all
// sets" (scan) and is no set name.
func recordKey(ns, set, ukey string) (*as.Key, error) {
	if set == "*" {
		return nil, usageErrorf("--set '*' only lists sets (scan); name a set")
	}
	key, err := as.NewKey(ns, set, ukey)
	if err != nil {
		return nil, fmt.Errorf("key %s/%s/%s: %w", ns, set, ukey, asErr(err))
	}
	return key, nil
}
