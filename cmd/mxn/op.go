package main

import (
	"encoding/json"
	"fmt"
	"strings"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newOpCmd) }

func newOpCmd() *cobra.Command {
	var opsJSON string
	var wf writeFlags
	cmd := &cobra.Command{
		Use:   "op",
		Short: "Apply a list of simple operations to a record in one operate call",
		Long: `Apply a JSON list of operations to one record atomically and print the
record the server returns (the results of get operations).

Operations: {"op":"put","bin":B,"value":V} (null deletes the bin),
{"op":"add","bin":B,"value":N}, {"op":"append"|"prepend","bin":B,"value":S},
{"op":"get","bin":B} (omit bin for all bins), {"op":"touch"}, {"op":"delete"}.`,
		Example: `  mxn op -u usr0 --ops '[{"op":"add","bin":"bal","value":5},{"op":"get","bin":"bal"}]'`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := configOf(cmd)
			if err != nil {
				return err
			}
			key, err := cfg.key()
			if err != nil {
				return err
			}
			ops, err := parseOps(opsJSON)
			if err != nil {
				return err
			}
			return withClient(cmd, func(c as.ClientIfc, cfg *globalConfig) error {
				rec, err := c.Operate(wf.policy(cmd, c), key, ops...)
				if err != nil {
					return fmt.Errorf("op %s: %w", cfg.UKey, asErr(err))
				}
				if rec == nil {
					return nil
				}
				return printJSON(cfg.Stdout, viewRecord(rec))
			})
		},
	}
	cmd.Flags().StringVar(&opsJSON, "ops", "", "operations as a JSON list (see above)")
	_ = cmd.MarkFlagRequired("ops")
	wf.bindNX(cmd)
	wf.bindGen(cmd)
	return cmd
}

// opSpec is one element of --ops. Value stays raw so that a missing value
// can be told from null.
type opSpec struct {
	Op    string          `json:"op"`
	Bin   string          `json:"bin"`
	Value json.RawMessage `json:"value"`
}

// parseOps reads --ops into client operations; every problem is a usage
// error naming the offending element.
func parseOps(text string) ([]*as.Operation, error) {
	var specs []opSpec
	if err := decodeJSON(text, &specs); err != nil {
		return nil, usageErrorf("--ops: %v (want a JSON list of {op, bin, value})", err)
	}
	if len(specs) == 0 {
		return nil, usageErrorf("--ops: no operations given")
	}
	ops := make([]*as.Operation, len(specs))
	for i, s := range specs {
		op, err := s.operation()
		if err != nil {
			return nil, usageErrorf("--ops[%d] (%s): %v", i, s.Op, err)
		}
		ops[i] = op
	}
	return ops, nil
}

func (s opSpec) operation() (*as.Operation, error) {
	switch strings.ToLower(s.Op) {
	case "put":
		v, err := s.value(true)
		if err != nil {
			return nil, err
		}
		return as.PutOp(as.NewBin(s.Bin, v)), nil
	case "add":
		v, err := s.value(false)
		if err != nil {
			return nil, err
		}
		switch v.(type) {
		case int64, float64:
			return as.AddOp(as.NewBin(s.Bin, v)), nil
		}
		return nil, fmt.Errorf("value must be a number")
	case "append", "prepend":
		v, err := s.value(false)
		if err != nil {
			return nil, err
		}
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("value must be a string")
		}
		if strings.EqualFold(s.Op, "append") {
			return as.AppendOp(as.NewBin(s.Bin, str)), nil
		}
		return as.PrependOp(as.NewBin(s.Bin, str)), nil
	case "get":
		if s.Value != nil {
			return nil, fmt.Errorf("get takes no value")
		}
		if s.Bin == "" {
			return as.GetOp(), nil
		}
		return as.GetBinOp(s.Bin), nil
	case "touch", "delete":
		if s.Bin != "" || s.Value != nil {
			return nil, fmt.Errorf("%s takes no bin or value", s.Op)
		}
		if strings.EqualFold(s.Op, "touch") {
			return as.TouchOp(), nil
		}
		return as.DeleteOp(), nil
	case "":
		return nil, fmt.Errorf(`missing "op"`)
	}
	return nil, fmt.Errorf("unknown op (want put|add|append|prepend|get|touch|delete)")
}

// value checks the bin and decodes the value; null is accepted only where
// it means something (put deletes the bin).
func (s opSpec) value(nullOK bool) (any, error) {
	if s.Bin == "" {
		return nil, fmt.Errorf(`missing "bin"`)
	}
	if s.Value == nil {
		return nil, fmt.Errorf(`missing "value"`)
	}
	v, err := decodeJSONValue(s.Value)
	if err != nil {
		return nil, fmt.Errorf("value: %w", err)
	}
	if v == nil && !nullOK {
		return nil, fmt.Errorf("value must not be null")
	}
	return v, nil
}
