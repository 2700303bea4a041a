package cdt

import (
	"bytes"
	"math/rand"
	"sort"
	"testing"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// TestCDTMalformed checks that malformed payloads are refused, not panicked on.
func TestCDTMalformed(t *testing.T) {
	list := ctL(1, 2, 3)
	cases := []struct {
		name   string
		modify bool
		pl     []byte
	}{
		{"empty", false, nil},
		{"one byte", false, []byte{0}},
		{"args not an array", false, []byte{0, 16, 5}},
		{"truncated args", false, []byte{0, 19, 0x92, 7}},
		{"unknown list opcode", false, ctPL(15)},
		{"modify opcode in a read", false, ctPL(1, 1)},
		{"read opcode in a modify", true, ctPL(16)},
		{"too few args", false, ctPL(19, ctRtValue)},
		{"too many args", false, ctPL(19, ctRtValue, 0, 1)},
		{"index not an int", false, ctPL(19, ctRtValue, "x")},
		{"return type not an int", false, ctPL(19, "x", 0)},
		{"value list not a list", false, ctPL(23, ctRtValue, 5)},
		{"list form without opcode", false, value.EncodeMsgpack(ctL())},
		{"list form opcode not an int", false, value.EncodeMsgpack(ctL("x"))},
		{"context with 2 items", false, value.EncodeMsgpack(ctL(0xff, ctL(0x10, 0)))},
		{"odd context", false, value.EncodeMsgpack(ctL(0xff, ctL(0x10), ctL(16)))},
		{"empty context", false, value.EncodeMsgpack(ctL(0xff, ctL(), ctL(16)))},
		{"context type not an int", false, value.EncodeMsgpack(ctL(0xff, ctL("x", 0), ctL(16)))},
		{"empty inner op", false, value.EncodeMsgpack(ctL(0xff, ctL(0x10, 0), ctL()))},
		{"append items not a list", true, ctPL(2, 5)},
	}
	for _, c := range cases {
		_, _, _, changed, rc := Apply(c.modify, c.pl, list, true)
		if rc != wire.ParameterError || changed {
			t.Errorf("%s: rc %d changed %v, want PARAMETER_ERROR", c.name, rc, changed)
		}
	}
	// A map opcode on a map bin: unknown opcodes and misplaced ones.
	for _, c := range []struct {
		modify bool
		pl     []byte
	}{{false, ctPL(200)}, {true, ctPL(71)}, {false, ctPL(67, "a", 1)}, {true, ctPL(96)}} {
		if _, _, _, _, rc := Apply(c.modify, c.pl, ctM("a", 1), true); rc != wire.ParameterError {
			t.Errorf("map opcode %x: rc %d, want PARAMETER_ERROR", c.pl, rc)
		}
	}
	// The list form without a context is accepted too.
	if res, _, _, _, rc := Apply(false, value.EncodeMsgpack(ctL(16)), list, true); rc != wire.OK || ctNorm(res) != "3" {
		t.Errorf("list form size: %v %d", res, rc)
	}
}

// TestCDTRandomNoPanic runs random (mostly malformed) operations on random
// values: nothing may panic and the current value may never change.
func TestCDTRandomNoPanic(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var randVal func(depth int) any
	randVal = func(depth int) any {
		switch k := r.Intn(10); {
		case k < 3:
			return int64(r.Intn(9) - 4)
		case k < 5:
			return string(rune('a' + r.Intn(5)))
		case k == 5:
			return nil
		case k == 6 && depth < 3:
			l := &value.List{Ordered: r.Intn(4) == 0}
			for i := r.Intn(5); i > 0; i-- {
				l.Items = append(l.Items, randVal(depth+1))
			}
			if l.Ordered {
				value.SortValues(l.Items)
			}
			return l
		case k == 7 && depth < 3:
			m := &value.Map{Order: []int{0, 1, 3}[r.Intn(3)]}
			for i := r.Intn(5); i > 0; i-- {
				m.Put(randVal(3), randVal(depth+1))
			}
			return m
		case k == 8:
			return value.Wildcard{}
		}
		return 1.5
	}
	codes := make([]int, 0, len(cdtOpSpecs))
	for c := range cdtOpSpecs {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for i := 0; i < 30000; i++ {
		code := codes[r.Intn(len(codes))]
		args := make([]any, r.Intn(5))
		for j := range args {
			if r.Intn(2) == 0 {
				args[j] = int64(r.Intn(12) - 5)
			} else {
				args[j] = randVal(1)
			}
		}
		var p []byte
		if r.Intn(3) == 0 {
			ctx := []any{int64([]int{0x10, 0x11, 0x13, 0x20, 0x21, 0x22, 0x23, 0x50, 0x90, 0xd0, 0x62, 0xa2}[r.Intn(12)]), randVal(2)}
			p = value.EncodeMsgpack(&value.List{Items: []any{int64(0xff), &value.List{Items: ctx}, &value.List{Items: append([]any{int64(code)}, args...)}}})
		} else {
			p = ctPL(code, args...)
		}
		if r.Intn(10) == 0 && len(p) > 2 {
			p = p[:r.Intn(len(p))] // truncated
		}
		cur := randVal(0)
		exists := r.Intn(8) != 0
		before := value.EncodeMsgpack(cur)
		for _, modify := range []bool{false, true} {
			func() {
				defer func() {
					if e := recover(); e != nil {
						t.Fatalf("panic %v: code %d modify %v payload %x value %s", e, code, modify, p, ctNorm(cur))
					}
				}()
				Apply(modify, p, cur, exists)
			}()
		}
		if !bytes.Equal(before, value.EncodeMsgpack(cur)) {
			t.Fatalf("value mutated by code %d payload %x", code, p)
		}
	}
}

// FuzzCDT feeds arbitrary payloads to Apply.
func FuzzCDT(f *testing.F) {
	f.Add(true, ctPL(1, 5))
	f.Add(false, ctPL(25, ctRtValue, 1, 3))
	f.Add(true, ctPLC([]any{0x22 | 0x40, "a", 0x10 | 0x80, 3}, 67, "k", 1, 1))
	f.Fuzz(func(t *testing.T, modify bool, p []byte) {
		cur := ctL(1, "a", ctL(2, 3), ctM("k", ctL(4)), 2.5)
		before := value.EncodeMsgpack(cur)
		Apply(modify, p, cur, true)
		Apply(modify, p, nil, false)
		Apply(modify, p, ctM("a", 1, "b", ctM("c", ctL(1))), true)
		if !bytes.Equal(before, value.EncodeMsgpack(cur)) {
			t.Fatal("value mutated")
		}
	})
}
