package exp

import (
	"encoding/binary"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
)

// A minimal msgpack cursor for the expression structure. Values (constants
// and CDT arguments) are decoded by value.DecodeMsgpack; op codes, counts and raw
// names are read here because names carry no particle-type byte.

type expReader struct {
	b   []byte
	off int
}

func (r *expReader) peek() (byte, bool) {
	if r.off >= len(r.b) {
		return 0, false
	}
	return r.b[r.off], true
}

func (r *expReader) take(n int) ([]byte, bool) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, false
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, true
}

func (r *expReader) uint(n int) (uint64, bool) {
	s, ok := r.take(n)
	if !ok {
		return 0, false
	}
	switch n {
	case 1:
		return uint64(s[0]), true
	case 2:
		return uint64(binary.BigEndian.Uint16(s)), true
	case 4:
		return uint64(binary.BigEndian.Uint32(s)), true
	}
	return binary.BigEndian.Uint64(s), true
}

func expIsArray(c byte) bool { return c&0xf0 == 0x90 || c == 0xdc || c == 0xdd }

// arrayHeader consumes an array header and returns its element count.
func (r *expReader) arrayHeader() (int, bool) {
	c, ok := r.peek()
	if !ok || !expIsArray(c) {
		return 0, false
	}
	r.off++
	n := uint64(c & 0x0f)
	switch c {
	case 0xdc:
		n, ok = r.uint(2)
	case 0xdd:
		n, ok = r.uint(4)
	}
	// Every element takes at least one byte.
	if !ok || n > uint64(len(r.b)-r.off) {
		return 0, false
	}
	return int(n), true
}

// int consumes a msgpack integer.
func (r *expReader) int() (int64, bool) {
	c, ok := r.peek()
	if !ok {
		return 0, false
	}
	if c <= 0x7f {
		r.off++
		return int64(c), true
	}
	if c >= 0xe0 {
		r.off++
		return int64(int8(c)), true
	}
	if c < 0xcc || c > 0xd3 {
		return 0, false
	}
	// 0xcc..0xcf are unsigned, 0xd0..0xd3 signed, of 1, 2, 4, 8 bytes.
	size := 1 << ((c - 0xcc) & 3)
	r.off++
	u, ok := r.uint(size)
	if !ok {
		return 0, false
	}
	switch c {
	case 0xd0:
		return int64(int8(u)), true
	case 0xd1:
		return int64(int16(u)), true
	case 0xd2:
		return int64(int32(u)), true
	}
	return int64(u), true
}

// raw consumes a msgpack str or bin and returns its bytes unchanged.
func (r *expReader) raw() ([]byte, bool) {
	c, ok := r.peek()
	if !ok {
		return nil, false
	}
	var n uint64
	switch {
	case c&0xe0 == 0xa0:
		r.off++
		n = uint64(c & 0x1f)
	case c == 0xd9 || c == 0xc4:
		r.off++
		n, ok = r.uint(1)
	case c == 0xda || c == 0xc5:
		r.off++
		n, ok = r.uint(2)
	case c == 0xdb || c == 0xc6:
		r.off++
		n, ok = r.uint(4)
	default:
		return nil, false
	}
	if !ok {
		return nil, false
	}
	return r.take(int(n))
}

func expIsRaw(c byte) bool {
	return c&0xe0 == 0xa0 || (c >= 0xd9 && c <= 0xdb) || (c >= 0xc4 && c <= 0xc6)
}

func expIsMap(c byte) bool { return c&0xf0 == 0x80 || c == 0xde || c == 0xdf }

// value decodes one msgpack value in Aerospike's dialect.
func (r *expReader) value() (any, bool) {
	v, rest, err := value.DecodeMsgpack(r.b[r.off:])
	if err != nil {
		return nil, false
	}
	r.off = len(r.b) - len(rest)
	return v, true
}
