package aerolite

import (
	"encoding/hex"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Conversions between the Go values of the direct-access API (state.go) and
// the store's value model: what Put accepts (storeValue), what Get and Scan
// return (clientValue), and the text Dump and CheckGet print.

// integerValue converts any Go integer that fits an int64.
func integerValue(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// writeBins writes one "  name: value" line per bin, sorted by name.
func writeBins(b *strings.Builder, bins []Bin) {
	sorted := append([]Bin(nil), bins...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, bin := range sorted {
		b.WriteString("  ")
		b.WriteString(bin.Name)
		b.WriteString(": ")
		writeValue(b, bin.Value)
		b.WriteByte('\n')
	}
}

// writeValue formats a stored value for Dump.
func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("nil")
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		f := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(f, ".eIN") {
			f += ".0"
		}
		b.WriteString(f)
	case string:
		b.WriteString(strconv.Quote(x))
	case []byte:
		b.WriteString("0x")
		b.WriteString(hex.EncodeToString(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case GeoJSON:
		b.WriteString("geojson(")
		b.WriteString(strconv.Quote(string(x)))
		b.WriteByte(')')
	case *List:
		b.WriteByte('[')
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, it)
		}
		b.WriteByte(']')
	case *Map:
		b.WriteByte('{')
		for i, e := range x.Entries {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, e.Key)
			b.WriteString(": ")
			writeValue(b, e.Value)
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "%#v", v)
	}
}

// clientValue copies a stored value into the client's Go types.
func clientValue(v any) any {
	switch x := v.(type) {
	case int64:
		if x >= math.MinInt && x <= math.MaxInt {
			return int(x)
		}
		return x
	case []byte:
		return append([]byte{}, x...)
	case *List:
		out := make([]any, len(x.Items))
		for i, it := range x.Items {
			out[i] = clientValue(it)
		}
		return out
	case *Map:
		out := make(map[any]any, len(x.Entries))
		for _, e := range x.Entries {
			out[clientMapKey(e.Key)] = clientValue(e.Value)
		}
		return out
	}
	return v // nil, bool, float64, string, GeoJSON: immutable
}

// clientMapKey is a map key as the client unpacks it: a blob becomes a
// byte array ([]byte cannot be a Go map key).
func clientMapKey(k any) any {
	switch x := k.(type) {
	case []byte:
		a := reflect.New(reflect.ArrayOf(len(x), reflect.TypeOf(byte(0)))).Elem()
		reflect.Copy(a, reflect.ValueOf(x))
		return a.Interface()
	case *List, *Map:
		var b strings.Builder
		writeValue(&b, x)
		return b.String() // not a valid Go map key; the client cannot read it either
	}
	return clientValue(k)
}

// storeValue converts a Go value into the store's representation (package
// internal/value), copying it.
func storeValue(v any) (any, error) {
	if n, ok := integerValue(v); ok {
		return n, nil
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case string:
		return x, nil
	case bool:
		return x, nil
	case GeoJSON:
		return x, nil
	case []byte:
		return append([]byte{}, x...), nil
	case *List:
		return Clone(x), nil
	case *Map:
		return Clone(x), nil
	case []any:
		l := &List{Items: make([]any, len(x))}
		for i, it := range x {
			sv, err := storeValue(it)
			if err != nil {
				return nil, err
			}
			l.Items[i] = sv
		}
		return l, nil
	case map[any]any:
		m := &Map{}
		for k, it := range x {
			if err := mapPut(m, k, it); err != nil {
				return nil, err
			}
		}
		return m, nil
	case map[string]any:
		m := &Map{}
		for k, it := range x {
			if err := mapPut(m, k, it); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if rv.Uint() > math.MaxInt64 {
			return nil, fmt.Errorf("integer %v overflows int64", v)
		}
		return int64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return b, nil
		}
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return &List{Items: []any{}}, nil
		}
		l := &List{Items: make([]any, rv.Len())}
		for i := range l.Items {
			sv, err := storeValue(rv.Index(i).Interface())
			if err != nil {
				return nil, err
			}
			l.Items[i] = sv
		}
		return l, nil
	case reflect.Map:
		m := &Map{}
		it := rv.MapRange()
		for it.Next() {
			if err := mapPut(m, it.Key().Interface(), it.Value().Interface()); err != nil {
				return nil, err
			}
		}
		return m, nil
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, nil
		}
		return storeValue(rv.Elem().Interface())
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

func mapPut(m *Map, k, v any) error {
	sk, err := storeValue(k)
	if err != nil {
		return err
	}
	sv, err := storeValue(v)
	if err != nil {
		return err
	}
	m.Put(sk, sv)
	return nil
}
