package main

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	as "github.com/aerospike/aerospike-client-go/v7"
)

func TestJSONValueRendering(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   any
		want string
	}{
		{int(7), `7`},
		{int64(math.MaxInt64), `9223372036854775807`},
		{5.0, `5.0`},
		{1.5e300, `1.5e+300`},
		{math.NaN(), `"NaN"`},
		{math.Inf(-1), `"-Inf"`},
		{[]byte{0, 1, 2}, `"AAEC"`},
		{as.HLLValue{0xff}, `"/w=="`},
		{"<a&b>", `"<a&b>"`},
		{[]any{1, "x", nil, []byte("hi")}, `[1,"x",null,"aGk="]`},
		{as.OpResults{1, 2}, `[1,2]`},
		// Integer keys sort numerically, before strings; floats last.
		{map[any]any{10: "a", 9: "b", "k": 1, 2.5: true}, `{"9":"b","10":"a","k":1,"2.5":true}`},
		// Ordered maps keep the server's order.
		{[]as.MapPair{{Key: "z", Value: 1}, {Key: "a", Value: 2.0}}, `{"z":1,"a":2.0}`},
		{map[string]any{"b": map[any]any{"x": nil}, "a": 1}, `{"a":1,"b":{"x":null}}`},
		{as.GeoJSONValue(`{"type":"Point","coordinates":[1,2]}`), `{"type":"Point","coordinates":[1,2]}`},
	}
	for _, tc := range cases {
		got, err := marshalJSON(jsonValue(tc.in))
		if err != nil {
			t.Errorf("%#v: %v", tc.in, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%#v: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestViewRecord(t *testing.T) {
	t.Parallel()
	key, _ := as.NewKey("test", "mxn", "usr0")
	rec := &as.Record{Key: key, Generation: 3, Expiration: math.MaxUint32, Bins: as.BinMap{"bal": 5}}
	var buf bytes.Buffer
	if err := printJSON(&buf, viewRecord(rec)); err != nil {
		t.Fatal(err)
	}
	if want := `{"ukey":"usr0","gen":3,"ttl":-1,"bins":{"bal":5}}` + "\n"; buf.String() != want {
		t.Errorf("got %s want %s", buf.String(), want)
	}

	// Without a stored key the digest identifies the record.
	digestOnly, _ := as.NewKeyWithDigest("test", "mxn", nil, key.Digest())
	v := viewRecord(&as.Record{Key: digestOnly, Expiration: 60, Bins: as.BinMap{}})
	if v.UKey != nil || len(v.Digest) != 40 || v.TTL != 60 {
		t.Errorf("digest-only view %+v", v)
	}
}

func TestBinValueFromJSON(t *testing.T) {
	t.Parallel()
	var obj map[string]any
	if err := decodeJSON(`{"i":-3,"f":1.0,"e":1e2,"l":[1,{"x":2}],"n":null,"b":true}`, &obj); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for k, v := range obj {
		c, err := binValue(v)
		if err != nil {
			t.Fatal(err)
		}
		got[k] = c
	}
	if got["i"] != int64(-3) || got["f"] != 1.0 || got["e"] != 100.0 || got["n"] != nil || got["b"] != true {
		t.Errorf("scalars %#v", got)
	}
	l := got["l"].([]any)
	if l[0] != int64(1) || l[1].(map[string]any)["x"] != int64(2) {
		t.Errorf("nested %#v", l)
	}
	if _, err := binValue(json.Number("18446744073709551616")); err == nil {
		t.Error("2^64 accepted as an integer")
	}
}
