package exp

import (
	"encoding/binary"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/store"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
)

// Record metadata, key and bins.

const (
	expOpDigestModulo = 64
	expOpDeviceSize   = 65
	expOpLastUpdate   = 66
	expOpSinceUpdate  = 67
	expOpVoidTime     = 68
	expOpTTL          = 69
	expOpSetName      = 70
	expOpKeyExists    = 71
	expOpIsTombstone  = 72
	expOpMemorySize   = 73
	expOpRecordSize   = 74
	expOpKey          = 80
	expOpBin          = 81
	expOpBinType      = 82
	expOpCond         = 123
	expOpVar          = 124
	expOpLet          = 125
	expOpQuote        = 126
	expOpCall         = 127
)

type expMetaNode struct {
	op  int
	mod int64 // digest modulo divisor (non-zero)
}

func (n *expMetaNode) resultType() expType {
	switch n.op {
	case expOpSetName:
		return expTypeStr
	case expOpKeyExists, expOpIsTombstone:
		return expTypeBool
	}
	return expTypeInt
}

func (n *expMetaNode) eval(s *expState) (any, bool) {
	r := s.ctx.Rec
	if r == nil {
		return nil, false
	}
	const msPerSec, nsPerMs = 1000, 1_000_000
	switch n.op {
	case expOpDigestModulo:
		// The server reads digest bytes 16..19 as a native (little-endian)
		// 32-bit unsigned integer.
		v := int64(binary.LittleEndian.Uint32(r.Digest[16:20]))
		return v % n.mod, true
	case expOpDeviceSize:
		// aerolite keeps everything in memory, for which the server
		// reports a device size of 0.
		return int64(0), true
	case expOpMemorySize, expOpRecordSize:
		return expRecordSize(r), true
	case expOpLastUpdate:
		// The server keeps the last-update time in milliseconds.
		return r.LastUpdate / nsPerMs * nsPerMs, true
	case expOpSinceUpdate:
		since := s.ctx.Now.UnixMilli() - r.LastUpdate/nsPerMs
		return max(since, 0), true
	case expOpVoidTime:
		if r.VoidTime == 0 {
			return int64(-1), true
		}
		return (int64(r.VoidTime) + store.CitrusleafEpoch) * msPerSec * nsPerMs, true
	case expOpTTL:
		if r.VoidTime == 0 {
			return int64(-1), true
		}
		// The server floors the TTL of a not-yet-removed record at 1.
		left := int64(r.VoidTime) + store.CitrusleafEpoch - s.ctx.Now.Unix()
		return max(left, 1), true
	case expOpSetName:
		return r.Set, true
	case expOpKeyExists:
		return r.Key != nil, true
	case expOpIsTombstone:
		return false, true // aerolite never keeps tombstones
	}
	return nil, false
}

// expRecordSize approximates the size of the record in the server's storage
// format: a fixed header, the stored key, then each bin's name and particle.
func expRecordSize(r *store.Record) int64 {
	const header = 35
	n := int64(header)
	if r.Key != nil {
		n += 1 + expValueSize(r.Key, 0)
	}
	for _, b := range r.Bins {
		n += 2 + int64(len(b.Name)) + expValueSize(b.Value, 0)
	}
	return (n + 15) / 16 * 16
}

// expValueSize approximates the stored size of a particle.
func expValueSize(v any, depth int) int64 {
	if depth > value.MaxMsgpackDepth {
		return 0
	}
	switch x := v.(type) {
	case int64, float64:
		return 8
	case bool:
		return 1
	case string:
		return 4 + int64(len(x))
	case []byte:
		return 4 + int64(len(x))
	case value.GeoJSON:
		return 4 + int64(len(x))
	case *value.List, *value.Map:
		return 4 + int64(len(value.EncodeMsgpack(x)))
	}
	return 0
}

// expKeyNode is ExpKey(type): the stored user key, unknown when no key was
// stored or it has another type.
type expKeyNode struct{ t expType }

func (n *expKeyNode) resultType() expType { return n.t }
func (n *expKeyNode) eval(s *expState) (any, bool) {
	r := s.ctx.Rec
	if r == nil || r.Key == nil || expTypeOf(r.Key) != n.t {
		return nil, false
	}
	return r.Key, true
}

// expBinNode is a typed bin read (ExpIntBin and friends): unknown when the
// bin is missing or holds another type.
type expBinNode struct {
	name string
	t    expType
}

func (n *expBinNode) resultType() expType { return n.t }
func (n *expBinNode) eval(s *expState) (any, bool) {
	r := s.ctx.Rec
	if r == nil {
		return nil, false
	}
	v, ok := r.Bin(n.name)
	if !ok || v == nil || expTypeOf(v) != n.t {
		return nil, false
	}
	return v, true
}

// expBinTypeNode is ExpBinType: the bin's particle type, 0 when missing.
type expBinTypeNode struct{ name string }

func (n *expBinTypeNode) resultType() expType { return expTypeInt }
func (n *expBinTypeNode) eval(s *expState) (any, bool) {
	r := s.ctx.Rec
	if r == nil {
		return nil, false
	}
	v, ok := r.Bin(n.name)
	if !ok {
		return int64(value.ParticleNull), true
	}
	return expParticleType(v), true
}
