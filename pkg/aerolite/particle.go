package aerolite

import (
	"encoding/binary"
	"fmt"
	"math"
)

// decodeParticle turns a wire bin value into a stored value.
func decodeParticle(pt byte, b []byte) (any, error) {
	switch pt {
	case ptNull:
		return nil, nil
	case ptInteger:
		if len(b) > 8 {
			return nil, fmt.Errorf("%w: integer of %d bytes", errMalformed, len(b))
		}
		var v uint64
		for _, c := range b {
			v = v<<8 | uint64(c)
		}
		if len(b) > 0 && len(b) < 8 && b[0]&0x80 != 0 {
			v |= ^uint64(0) << (8 * len(b)) // sign-extend short encodings
		}
		return int64(v), nil
	case ptFloat:
		if len(b) != 8 {
			return nil, fmt.Errorf("%w: float of %d bytes", errMalformed, len(b))
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case ptString:
		return string(b), nil
	case ptBlob:
		return append([]byte(nil), b...), nil
	case ptBool:
		if len(b) != 1 {
			return nil, fmt.Errorf("%w: bool of %d bytes", errMalformed, len(b))
		}
		return b[0] != 0, nil
	case ptList, ptMap:
		v, err := decodeMsgpackAll(b)
		if err != nil {
			return nil, err
		}
		if pt == ptList {
			if _, ok := v.(*List); !ok {
				return nil, fmt.Errorf("%w: list particle is not a list", errMalformed)
			}
		} else if _, ok := v.(*Map); !ok {
			return nil, fmt.Errorf("%w: map particle is not a map", errMalformed)
		}
		return v, nil
	case ptGeoJSON:
		// flags(1) ncells(2) cells(8 each) json
		if len(b) < 3 {
			return nil, fmt.Errorf("%w: short geojson", errMalformed)
		}
		n := int(binary.BigEndian.Uint16(b[1:]))
		if 3+8*n > len(b) {
			return nil, fmt.Errorf("%w: geojson cells", errMalformed)
		}
		return GeoJSON(b[3+8*n:]), nil
	}
	return nil, fmt.Errorf("%w: particle type %d", errUnsupportedParticle, pt)
}

var errUnsupportedParticle = fmt.Errorf("unsupported particle")

// encodeParticle turns a stored value into a wire particle.
func encodeParticle(v any) (byte, []byte) {
	switch x := v.(type) {
	case nil:
		return ptNull, nil
	case int64:
		return ptInteger, binary.BigEndian.AppendUint64(nil, uint64(x))
	case int:
		return ptInteger, binary.BigEndian.AppendUint64(nil, uint64(x))
	case float64:
		return ptFloat, binary.BigEndian.AppendUint64(nil, math.Float64bits(x))
	case string:
		return ptString, []byte(x)
	case []byte:
		return ptBlob, x
	case bool:
		if x {
			return ptBool, []byte{1}
		}
		return ptBool, []byte{0}
	case *List:
		return ptList, encodeMsgpack(x)
	case *Map:
		return ptMap, encodeMsgpack(x)
	case GeoJSON:
		out := []byte{0, 0, 0}
		return ptGeoJSON, append(out, x...)
	}
	return ptNull, nil
}

// particleSize approximates the stored size of a value (record-size
// limits) without encoding it: writes check it on every bin.
func particleSize(v any) int {
	switch x := v.(type) {
	case nil:
		return 0
	case int64, int, float64:
		return 8
	case bool:
		return 1
	case string:
		return len(x)
	case []byte:
		return len(x)
	case GeoJSON:
		return len(x) + 3
	case *List:
		n := 5
		for _, it := range x.Items {
			n += 1 + particleSize(it)
		}
		return n
	case *Map:
		n := 5
		for _, e := range x.Entries {
			n += 2 + particleSize(e.Key) + particleSize(e.Value)
		}
		return n
	}
	return 0
}
