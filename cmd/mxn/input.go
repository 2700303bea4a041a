package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// decodeJSON parses one JSON document with numbers kept as json.Number, so
// that 5 can become an integer bin and 5.0 a float bin. Trailing data is an
// error: `--rec '{"a":1} x'` is a typo, not a record.
func decodeJSON(text string, into any) error {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty JSON")
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// decodeJSONValue parses raw (one JSON value) into a bin value; see
// binValue.
func decodeJSONValue(raw json.RawMessage) (any, error) {
	var v any
	if err := decodeJSON(string(bytes.TrimSpace(raw)), &v); err != nil {
		return nil, err
	}
	return binValue(v)
}

// binValue converts a decoded JSON value into what the Aerospike client
// stores: integers as int64 (an error if out of range, rather than a silent
// float), other numbers as float64, objects as string-keyed maps, arrays as
// lists. JSON null stays nil, which deletes a bin when written.
func binValue(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		return numberValue(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := binValue(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := binValue(e)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", k, err)
			}
			out[k] = c
		}
		return out, nil
	}
	return v, nil // nil, bool, string
}

func numberValue(n json.Number) (any, error) {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("integer %s does not fit in 64 bits", s)
		}
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("number %s: %w", s, err)
	}
	return f, nil
}
