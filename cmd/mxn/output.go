package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	as "github.com/aerospike/aerospike-client-go/v7"
)

// recordView is how mxn prints a record: one JSON object per line.
type recordView struct {
	UKey   any    `json:"ukey,omitempty"`   // the user key, when stored (SendKey)
	Digest string `json:"digest,omitempty"` // hex digest when the key was not stored
	Gen    uint32 `json:"gen"`
	TTL    int64  `json:"ttl"` // seconds left; -1 never expires
	Bins   any    `json:"bins"`
}

// viewRecord converts a client record for printing.
func viewRecord(rec *as.Record) recordView {
	v := recordView{Gen: rec.Generation, TTL: ttlSeconds(rec.Expiration), Bins: jsonValue(map[string]any(rec.Bins))}
	if rec.Key != nil {
		// A record read without its stored key has a nil or null user key.
		if k := rec.Key.Value(); k != nil && k.GetObject() != nil {
			v.UKey = jsonValue(k.GetObject())
		} else {
			v.Digest = hex.EncodeToString(rec.Key.Digest())
		}
	}
	return v
}

// ttlSeconds maps the client's "never expires" (MaxUint32) to -1, the
// value Aerospike tools and the write policy use for it.
func ttlSeconds(expiration uint32) int64 {
	if expiration == math.MaxUint32 {
		return -1
	}
	return int64(expiration)
}

// printJSON writes v as one line of JSON. HTML escaping is off: output is
// for terminals and scripts, and "<" should stay "<".
func printJSON(w io.Writer, v any) error {
	b, err := marshalJSON(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// jsonValue converts a value read from Aerospike into one encoding/json
// renders faithfully: integers stay integers, floats keep a decimal point
// (so they read back as floats), bytes become base64, and maps with any
// key type become JSON objects in a stable order.
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return x
	case float32:
		return floatJSON(float64(x))
	case float64:
		return floatJSON(x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case as.HLLValue:
		return base64.StdEncoding.EncodeToString(x)
	case as.GeoJSONValue:
		if json.Valid([]byte(x)) {
			return json.RawMessage(x)
		}
		return string(x)
	case []any:
		return jsonList(x)
	case as.OpResults: // several results for one bin in an operate
		return jsonList(x)
	case map[string]any:
		obj := make(orderedObject, 0, len(x))
		for k, val := range x {
			obj = append(obj, jsonMember{k, val})
		}
		sort.Slice(obj, func(i, j int) bool { return obj[i].Key < obj[j].Key })
		return obj.converted()
	case map[any]any:
		return jsonMap(x)
	case []as.MapPair: // ordered maps keep the server's order
		obj := make(orderedObject, len(x))
		for i, p := range x {
			obj[i] = jsonMember{mapKeyString(p.Key), p.Value}
		}
		return obj.converted()
	case as.Value:
		return jsonValue(x.GetObject())
	}
	return reflectJSON(v)
}

func jsonList(l []any) []any {
	out := make([]any, len(l))
	for i, e := range l {
		out[i] = jsonValue(e)
	}
	return out
}

// jsonMap orders keys roughly as Aerospike orders them (nil, bool, int,
// string, bytes, float) so that integer keys sort numerically.
func jsonMap(m map[any]any) orderedObject {
	keys := make([]any, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
	obj := make(orderedObject, len(keys))
	for i, k := range keys {
		obj[i] = jsonMember{mapKeyString(k), m[k]}
	}
	return obj.converted()
}

func keyLess(a, b any) bool {
	ra, rb := keyRank(a), keyRank(b)
	if ra != rb {
		return ra < rb
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	switch {
	case va.CanInt() && vb.CanInt():
		return va.Int() < vb.Int()
	case va.CanFloat() && vb.CanFloat():
		return va.Float() < vb.Float()
	}
	return mapKeyString(a) < mapKeyString(b)
}

// keyRank groups map keys by type in Aerospike's order.
func keyRank(k any) int {
	switch k.(type) {
	case nil:
		return 0
	case bool:
		return 1
	case int, int8, int16, int32, int64:
		return 2
	case uint, uint8, uint16, uint32, uint64:
		return 3 // not produced by the client; kept apart from signed ints
	case string:
		return 4
	case []byte:
		return 5
	case float32, float64:
		return 6
	}
	return 7
}

// mapKeyString renders a map key as a JSON object name.
func mapKeyString(k any) string {
	switch x := k.(type) {
	case string:
		return x
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case nil:
		return "null"
	}
	return fmt.Sprint(k)
}

// floatJSON renders a float so it reads back as a float ("5.0", not "5");
// NaN and infinities, which JSON lacks, become strings.
func floatJSON(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64) // "NaN", "+Inf", "-Inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return json.Number(s)
}

// reflectJSON handles named types the switch does not list (a []byte or
// string under another name); anything else is printed with %v.
func reflectJSON(v any) any {
	rv := reflect.ValueOf(v)
	switch {
	case rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8:
		return base64.StdEncoding.EncodeToString(rv.Bytes())
	case rv.Kind() == reflect.String:
		return rv.String()
	case rv.CanInt():
		return rv.Int()
	case rv.CanUint():
		return rv.Uint()
	case rv.CanFloat():
		return floatJSON(rv.Float())
	}
	return fmt.Sprintf("%v", v)
}

// orderedObject is a JSON object that keeps its members' order.
type orderedObject []jsonMember

type jsonMember struct {
	Key   string
	Value any
}

// converted applies jsonValue to every member value.
func (o orderedObject) converted() orderedObject {
	for i := range o {
		o[i].Value = jsonValue(o[i].Value)
	}
	return o
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	buf := []byte{'{'}
	for i, m := range o {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, err := marshalJSON(m.Key)
		if err != nil {
			return nil, err
		}
		v, err := marshalJSON(m.Value)
		if err != nil {
			return nil, fmt.Errorf("bin or map key %q: %w", m.Key, err)
		}
		buf = append(append(append(buf, k...), ':'), v...)
	}
	return append(buf, '}'), nil
}
