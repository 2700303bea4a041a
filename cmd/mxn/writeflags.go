package main

import (
	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"
)

// writeFlags are the per-command write conditions: --nx (create only) and
// --gen (expected generation, the optimistic-concurrency check).
type writeFlags struct {
	createOnly bool
	gen        uint32
}

// bindGen declares --gen on cmd.
func (w *writeFlags) bindGen(cmd *cobra.Command) {
	cmd.Flags().Uint32Var(&w.gen, "gen", 0, "expected generation: fail unless the record's generation equals it")
}

// bindNX declares --nx on cmd.
func (w *writeFlags) bindNX(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&w.createOnly, "nx", false, "create only: fail if the record exists")
}

// policy is the client's default write policy with the key stored (so
// scans can name records) and the flags' conditions applied. --gen 0 is a
// real expectation (no record yet), hence the Changed check.
func (w *writeFlags) policy(cmd *cobra.Command, c as.ClientIfc) *as.WritePolicy {
	p := *c.GetDefaultWritePolicy()
	p.SendKey = true
	if w.createOnly {
		p.RecordExistsAction = as.CREATE_ONLY
	}
	if f := cmd.Flags().Lookup("gen"); f != nil && f.Changed {
		p.GenerationPolicy = as.EXPECT_GEN_EQUAL
		p.Generation = w.gen
	}
	return &p
}
