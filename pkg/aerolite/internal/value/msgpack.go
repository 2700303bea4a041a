package value

import (
	"encoding/binary"
	"errors"
	"math"
)

// Aerospike's msgpack dialect, as aerospike-client-go writes and reads it:
// strings and blobs are msgpack str/bin whose first byte is the particle type
// (3 string, 4 blob, 23 GeoJSON); ordered maps start with an ext-header pair
// (0xc7 0x00 flags, nil); 0xd4 0xff 0x00 is the wildcard and 0xd4 0xff 0x01
// infinity.

var errMsgpack = errors.New("malformed msgpack")

// MaxMsgpackDepth bounds the nesting of decoded values; walks over values
// (comparisons of expression operands, size estimates) use it as their bound
// too.
const MaxMsgpackDepth = 256

// DecodeMsgpack decodes one value from b and returns it with the bytes that
// follow it.
func DecodeMsgpack(b []byte) (any, []byte, error) {
	d := msgpackDecoder{buf: b}
	v, err := d.value(0)
	if err != nil {
		return nil, nil, err
	}
	return v, d.buf[d.off:], nil
}

// DecodeMsgpackAll decodes exactly one value that must fill b.
func DecodeMsgpackAll(b []byte) (any, error) {
	v, rest, err := DecodeMsgpack(b)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errMsgpack
	}
	return v, nil
}

type msgpackDecoder struct {
	buf []byte
	off int
}

func (d *msgpackDecoder) need(n int) ([]byte, error) {
	if n < 0 || d.off+n > len(d.buf) {
		return nil, errMsgpack
	}
	s := d.buf[d.off : d.off+n]
	d.off += n
	return s, nil
}

func (d *msgpackDecoder) uint(n int) (uint64, error) {
	s, err := d.need(n)
	if err != nil {
		return 0, err
	}
	switch n {
	case 1:
		return uint64(s[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(s)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(s)), nil
	}
	return binary.BigEndian.Uint64(s), nil
}

func (d *msgpackDecoder) value(depth int) (any, error) {
	if depth > MaxMsgpackDepth {
		return nil, errMsgpack
	}
	t, err := d.need(1)
	if err != nil {
		return nil, err
	}
	c := t[0]
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c&0xf0 == 0x80:
		return d.mapBody(int(c&0x0f), depth)
	case c&0xf0 == 0x90:
		return d.listBody(int(c&0x0f), depth)
	case c&0xe0 == 0xa0:
		return d.raw(int(c & 0x1f))
	}
	switch c {
	case 0xc0:
		return nil, nil
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	case 0xc4, 0xd9:
		n, err := d.uint(1)
		if err != nil {
			return nil, err
		}
		return d.raw(int(n))
	case 0xc5, 0xda:
		n, err := d.uint(2)
		if err != nil {
			return nil, err
		}
		return d.raw(int(n))
	case 0xc6, 0xdb:
		n, err := d.uint(4)
		if err != nil {
			return nil, err
		}
		return d.raw(int(n))
	case 0xca:
		n, err := d.uint(4)
		if err != nil {
			return nil, err
		}
		return float64(math.Float32frombits(uint32(n))), nil
	case 0xcb:
		n, err := d.uint(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(n), nil
	case 0xcc:
		n, err := d.uint(1)
		return int64(n), err
	case 0xcd:
		n, err := d.uint(2)
		return int64(n), err
	case 0xce:
		n, err := d.uint(4)
		return int64(n), err
	case 0xcf:
		n, err := d.uint(8)
		return int64(n), err
	case 0xd0:
		n, err := d.uint(1)
		return int64(int8(n)), err
	case 0xd1:
		n, err := d.uint(2)
		return int64(int16(n)), err
	case 0xd2:
		n, err := d.uint(4)
		return int64(int32(n)), err
	case 0xd3:
		n, err := d.uint(8)
		return int64(n), err
	case 0xdc:
		n, err := d.uint(2)
		if err != nil {
			return nil, err
		}
		return d.listBody(int(n), depth)
	case 0xdd:
		n, err := d.uint(4)
		if err != nil {
			return nil, err
		}
		return d.listBody(int(n), depth)
	case 0xde:
		n, err := d.uint(2)
		if err != nil {
			return nil, err
		}
		return d.mapBody(int(n), depth)
	case 0xdf:
		n, err := d.uint(4)
		if err != nil {
			return nil, err
		}
		return d.mapBody(int(n), depth)
	case 0xd4: // fixext 1: wildcard / infinity
		s, err := d.need(2)
		if err != nil {
			return nil, err
		}
		if s[0] == 0xff && s[1] == 0x01 {
			return Infinity{}, nil
		}
		if s[0] == 0xff && s[1] == 0x00 {
			return Wildcard{}, nil
		}
		return ExtHeader{Flags: int(s[0])}, nil
	case 0xd5, 0xd6, 0xd7, 0xd8:
		size := map[byte]int{0xd5: 2, 0xd6: 4, 0xd7: 8, 0xd8: 16}[c]
		s, err := d.need(1 + size)
		if err != nil {
			return nil, err
		}
		return ExtHeader{Flags: int(s[0])}, nil
	case 0xc7, 0xc8, 0xc9:
		size := map[byte]int{0xc7: 1, 0xc8: 2, 0xc9: 4}[c]
		n, err := d.uint(size)
		if err != nil {
			return nil, err
		}
		s, err := d.need(1 + int(n))
		if err != nil {
			return nil, err
		}
		return ExtHeader{Flags: int(s[0])}, nil
	}
	return nil, errMsgpack
}

// ExtHeader is the CDT header element (the list or map flags) that a packed
// list or map may start with. DecodeMsgpack consumes it at the head of a
// list or map and returns it as a value anywhere else (where it is never
// storable).
type ExtHeader struct{ Flags int }

// raw decodes a str/bin payload whose first byte is the particle type.
func (d *msgpackDecoder) raw(n int) (any, error) {
	s, err := d.need(n)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return "", nil
	}
	switch s[0] {
	case ParticleString:
		return string(s[1:]), nil
	case ParticleGeoJSON:
		return GeoJSON(s[1:]), nil
	case ParticleBlob:
		return append([]byte(nil), s[1:]...), nil
	}
	// Other particle-typed blobs are kept as bytes (the type byte included is
	// dropped, as the server does for unknown raw types).
	return append([]byte(nil), s[1:]...), nil
}

func (d *msgpackDecoder) listBody(n int, depth int) (any, error) {
	if n > len(d.buf)-d.off {
		return nil, errMsgpack
	}
	l := &List{Items: make([]any, 0, n)}
	for i := 0; i < n; i++ {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if h, ok := v.(ExtHeader); ok && i == 0 {
			l.Ordered = h.Flags&1 != 0
			continue
		}
		l.Items = append(l.Items, v)
	}
	if l.Ordered {
		SortValues(l.Items)
	}
	return l, nil
}

func (d *msgpackDecoder) mapBody(n int, depth int) (any, error) {
	if n > len(d.buf)-d.off {
		return nil, errMsgpack
	}
	m := &Map{Entries: make([]MapEntry, 0, n)}
	for i := 0; i < n; i++ {
		k, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if h, ok := k.(ExtHeader); ok && i == 0 {
			m.Order = h.Flags & 0x0f
			continue
		}
		m.Put(k, v)
	}
	return m, nil
}

// msgpackEncoder appends values in Aerospike's msgpack dialect.
type msgpackEncoder struct{ buf []byte }

// EncodeMsgpack encodes v in Aerospike's msgpack dialect; a value outside
// the model encodes as nil.
func EncodeMsgpack(v any) []byte {
	e := msgpackEncoder{}
	e.value(v)
	return e.buf
}

func (e *msgpackEncoder) value(v any) {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, 0xc0)
	case bool:
		if x {
			e.buf = append(e.buf, 0xc3)
		} else {
			e.buf = append(e.buf, 0xc2)
		}
	case int64:
		e.int(x)
	case int:
		e.int(int64(x))
	case float64:
		e.buf = append(e.buf, 0xcb)
		e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(x))
	case string:
		e.strHeader(len(x) + 1)
		e.buf = append(e.buf, ParticleString)
		e.buf = append(e.buf, x...)
	case GeoJSON:
		e.binHeader(len(x) + 1)
		e.buf = append(e.buf, ParticleGeoJSON)
		e.buf = append(e.buf, x...)
	case []byte:
		e.binHeader(len(x) + 1)
		e.buf = append(e.buf, ParticleBlob)
		e.buf = append(e.buf, x...)
	case *List:
		n := len(x.Items)
		if x.Ordered {
			e.arrayHeader(n + 1)
			e.buf = append(e.buf, 0xc7, 0x00, 0x01)
		} else {
			e.arrayHeader(n)
		}
		for _, it := range x.Items {
			e.value(it)
		}
	case *Map:
		n := len(x.Entries)
		if x.Order != MapUnordered {
			e.mapHeader(n + 1)
			e.buf = append(e.buf, 0xc7, 0x00, byte(x.Order), 0xc0)
		} else {
			e.mapHeader(n)
		}
		for _, en := range x.Entries {
			e.value(en.Key)
			e.value(en.Value)
		}
	case Wildcard:
		e.buf = append(e.buf, 0xd4, 0xff, 0x00)
	case Infinity:
		e.buf = append(e.buf, 0xd4, 0xff, 0x01)
	default:
		e.buf = append(e.buf, 0xc0)
	}
}

func (e *msgpackEncoder) int(x int64) {
	switch {
	case x >= 0 && x <= 0x7f:
		e.buf = append(e.buf, byte(x))
	case x < 0 && x >= -32:
		e.buf = append(e.buf, byte(int8(x)))
	case x >= 0 && x <= math.MaxUint8:
		e.buf = append(e.buf, 0xcc, byte(x))
	case x >= 0 && x <= math.MaxUint16:
		e.buf = append(e.buf, 0xcd)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(x))
	case x >= 0 && x <= math.MaxUint32:
		e.buf = append(e.buf, 0xce)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(x))
	case x >= 0:
		e.buf = append(e.buf, 0xcf)
		e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(x))
	case x >= math.MinInt8:
		e.buf = append(e.buf, 0xd0, byte(int8(x)))
	case x >= math.MinInt16:
		e.buf = append(e.buf, 0xd1)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(int16(x)))
	case x >= math.MinInt32:
		e.buf = append(e.buf, 0xd2)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(int32(x)))
	default:
		e.buf = append(e.buf, 0xd3)
		e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(x))
	}
}

func (e *msgpackEncoder) strHeader(n int) {
	switch {
	case n < 32:
		e.buf = append(e.buf, 0xa0|byte(n))
	case n < 256:
		e.buf = append(e.buf, 0xd9, byte(n))
	case n < 65536:
		e.buf = append(e.buf, 0xda)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(n))
	default:
		e.buf = append(e.buf, 0xdb)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	}
}

func (e *msgpackEncoder) binHeader(n int) {
	switch {
	case n < 256:
		e.buf = append(e.buf, 0xc4, byte(n))
	case n < 65536:
		e.buf = append(e.buf, 0xc5)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(n))
	default:
		e.buf = append(e.buf, 0xc6)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	}
}

func (e *msgpackEncoder) arrayHeader(n int) {
	switch {
	case n < 16:
		e.buf = append(e.buf, 0x90|byte(n))
	case n < 65536:
		e.buf = append(e.buf, 0xdc)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(n))
	default:
		e.buf = append(e.buf, 0xdd)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	}
}

func (e *msgpackEncoder) mapHeader(n int) {
	switch {
	case n < 16:
		e.buf = append(e.buf, 0x80|byte(n))
	case n < 65536:
		e.buf = append(e.buf, 0xde)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(n))
	default:
		e.buf = append(e.buf, 0xdf)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	}
}
