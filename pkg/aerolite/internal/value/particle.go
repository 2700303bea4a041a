package value

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Particle types on the wire (as_particle_type): the type byte of a bin
// value, of a user key, and of the str/bin payloads of the msgpack dialect.
const (
	ParticleNull    = 0
	ParticleInteger = 1
	ParticleFloat   = 2
	ParticleString  = 3
	ParticleBlob    = 4
	ParticleBool    = 17
	ParticleHLL     = 18
	ParticleMap     = 19
	ParticleList    = 20
	ParticleGeoJSON = 23
)

var (
	errMalformed           = errors.New("malformed message")
	errUnsupportedParticle = errors.New("unsupported particle")
)

// DecodeParticle turns a wire bin value of particle type pt into a stored
// value (a copy: it does not keep b).
func DecodeParticle(pt byte, b []byte) (any, error) {
	switch pt {
	case ParticleNull:
		return nil, nil
	case ParticleInteger:
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
	case ParticleFloat:
		if len(b) != 8 {
			return nil, fmt.Errorf("%w: float of %d bytes", errMalformed, len(b))
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case ParticleString:
		return string(b), nil
	case ParticleBlob:
		return append([]byte(nil), b...), nil
	case ParticleBool:
		if len(b) != 1 {
			return nil, fmt.Errorf("%w: bool of %d bytes", errMalformed, len(b))
		}
		return b[0] != 0, nil
	case ParticleList, ParticleMap:
		v, err := DecodeMsgpackAll(b)
		if err != nil {
			return nil, err
		}
		if pt == ParticleList {
			if _, ok := v.(*List); !ok {
				return nil, fmt.Errorf("%w: list particle is not a list", errMalformed)
			}
		} else if _, ok := v.(*Map); !ok {
			return nil, fmt.Errorf("%w: map particle is not a map", errMalformed)
		}
		return v, nil
	case ParticleGeoJSON:
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

// EncodeParticle turns a stored value into a wire particle: its type and
// bytes (which may alias a []byte value).
func EncodeParticle(v any) (byte, []byte) {
	switch x := v.(type) {
	case nil:
		return ParticleNull, nil
	case int64:
		return ParticleInteger, binary.BigEndian.AppendUint64(nil, uint64(x))
	case int:
		return ParticleInteger, binary.BigEndian.AppendUint64(nil, uint64(x))
	case float64:
		return ParticleFloat, binary.BigEndian.AppendUint64(nil, math.Float64bits(x))
	case string:
		return ParticleString, []byte(x)
	case []byte:
		return ParticleBlob, x
	case bool:
		if x {
			return ParticleBool, []byte{1}
		}
		return ParticleBool, []byte{0}
	case *List:
		return ParticleList, EncodeMsgpack(x)
	case *Map:
		return ParticleMap, EncodeMsgpack(x)
	case GeoJSON:
		out := []byte{0, 0, 0}
		return ParticleGeoJSON, append(out, x...)
	}
	return ParticleNull, nil
}

// ParticleSize approximates the stored size of a value (record-size
// limits) without encoding it: writes check it on every bin.
func ParticleSize(v any) int {
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
			n += 1 + ParticleSize(it)
		}
		return n
	case *Map:
		n := 5
		for _, e := range x.Entries {
			n += 2 + ParticleSize(e.Key) + ParticleSize(e.Value)
		}
		return n
	}
	return 0
}
