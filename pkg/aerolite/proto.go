package aerolite

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
)

// Proto framing: every frame starts with 8 bytes, version (2), type and a
// 48-bit big-endian body size.
const (
	protoVersion        = 2
	protoInfo           = 1
	protoMsg            = 3
	protoMsgCompressed  = 4
	msgHeaderSize       = 22
	defaultMaxFrameSize = 128 << 20 // the server's proto size limit
)

// Message header flags (as_msg info1/info2/info3).
const (
	info1Read            = 1 << 0
	info1GetAll          = 1 << 1
	info1ShortQuery      = 1 << 2
	info1Batch           = 1 << 3
	info1NoBinData       = 1 << 5
	info1CompressResp    = 1 << 7
	info2Write           = 1 << 0
	info2Delete          = 1 << 1
	info2Generation      = 1 << 2
	info2GenerationGT    = 1 << 3
	info2DurableDelete   = 1 << 4
	info2CreateOnly      = 1 << 5
	info2RespondAllOps   = 1 << 7
	info3Last            = 1 << 0
	info3PartitionDone   = 1 << 2
	info3UpdateOnly      = 1 << 3
	info3CreateOrReplace = 1 << 4
	info3ReplaceOnly     = 1 << 5
)

// Field types (as_msg_field_type).
const (
	fieldNamespace     = 0
	fieldSet           = 1
	fieldKey           = 2
	fieldDigest        = 4
	fieldTranID        = 7
	fieldScanOptions   = 8
	fieldSocketTimeout = 9
	fieldRecsPerSec    = 10
	fieldPIDArray      = 11
	fieldDigestArray   = 12
	fieldMaxRecords    = 13
	fieldBValArray     = 15
	fieldIndexName     = 21
	fieldIndexRange    = 22
	fieldIndexContext  = 23
	fieldIndexType     = 26
	fieldUDFPackage    = 30
	fieldQueryBinList  = 40
	fieldBatchIndex    = 41
	fieldBatchWithSet  = 42
	fieldFilterExp     = 43
)

// Operation types (as_msg_op).
const (
	opRead       = 1
	opWrite      = 2
	opCDTRead    = 3
	opCDTModify  = 4
	opAdd        = 5
	opExpRead    = 7
	opExpModify  = 8
	opAppend     = 9
	opPrepend    = 10
	opTouch      = 11
	opBitRead    = 12
	opBitModify  = 13
	opDelete     = 14
	opHLLRead    = 15
	opHLLModify  = 16
	maxBinName   = 15
	opHeaderSize = 8
)

var errMalformed = errors.New("malformed message")

// field is one message field.
type field struct {
	typ  byte
	data []byte
}

// op is one message operation.
type op struct {
	typ      byte
	particle byte
	name     string
	value    []byte
}

// message is a decoded AS_MSG.
type message struct {
	info1, info2, info3 byte
	resultCode          byte
	generation          uint32
	ttl                 uint32
	timeout             uint32
	fields              []field
	ops                 []op
}

func (m *message) field(t byte) ([]byte, bool) {
	for i := range m.fields {
		if m.fields[i].typ == t {
			return m.fields[i].data, true
		}
	}
	return nil, false
}

// parseMessage decodes an AS_MSG body (after the 8-byte proto header).
func parseMessage(b []byte) (*message, error) {
	m, rest, err := parseMessageHeaderAndBody(b)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errMalformed, len(rest))
	}
	return m, nil
}

func parseMessageHeaderAndBody(b []byte) (*message, []byte, error) {
	if len(b) < msgHeaderSize || b[0] != msgHeaderSize {
		return nil, nil, fmt.Errorf("%w: short header", errMalformed)
	}
	m := &message{
		info1:      b[1],
		info2:      b[2],
		info3:      b[3],
		resultCode: b[5],
		generation: binary.BigEndian.Uint32(b[6:]),
		ttl:        binary.BigEndian.Uint32(b[10:]),
		timeout:    binary.BigEndian.Uint32(b[14:]),
	}
	nFields := int(binary.BigEndian.Uint16(b[18:]))
	nOps := int(binary.BigEndian.Uint16(b[20:]))
	b = b[msgHeaderSize:]
	var err error
	if m.fields, b, err = parseFields(b, nFields); err != nil {
		return nil, nil, err
	}
	if m.ops, b, err = parseOps(b, nOps); err != nil {
		return nil, nil, err
	}
	return m, b, nil
}

func parseFields(b []byte, n int) ([]field, []byte, error) {
	if n > len(b)/5 {
		return nil, nil, fmt.Errorf("%w: %d fields", errMalformed, n)
	}
	fields := make([]field, 0, n)
	for i := 0; i < n; i++ {
		if len(b) < 5 {
			return nil, nil, fmt.Errorf("%w: short field", errMalformed)
		}
		size := int(binary.BigEndian.Uint32(b))
		if size > len(b)-4 && i == n-1 && (b[4] == fieldBatchIndex || b[4] == fieldBatchWithSet) {
			// The client sizes the batch field as everything after the
			// header, counting a filter field written before it too; the
			// server tolerates the overrun, so clamp it.
			size = len(b) - 4
		}
		if size < 1 || size > len(b)-4 {
			return nil, nil, fmt.Errorf("%w: field size %d", errMalformed, size)
		}
		fields = append(fields, field{typ: b[4], data: b[5 : 4+size]})
		b = b[4+size:]
	}
	return fields, b, nil
}

func parseOps(b []byte, n int) ([]op, []byte, error) {
	if n > len(b)/opHeaderSize {
		return nil, nil, fmt.Errorf("%w: %d ops", errMalformed, n)
	}
	ops := make([]op, 0, n)
	for i := 0; i < n; i++ {
		if len(b) < opHeaderSize {
			return nil, nil, fmt.Errorf("%w: short op", errMalformed)
		}
		size := int(binary.BigEndian.Uint32(b))
		nameLen := int(b[7])
		if size < 4+nameLen || size > len(b)-4 {
			return nil, nil, fmt.Errorf("%w: op size %d", errMalformed, size)
		}
		ops = append(ops, op{
			typ:      b[4],
			particle: b[5],
			name:     string(b[8 : 8+nameLen]),
			value:    b[8+nameLen : 4+size],
		})
		b = b[4+size:]
	}
	return ops, b, nil
}

// frameHeader encodes a proto header.
func frameHeader(typ byte, size int) [8]byte {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], uint64(size))
	h[0] = protoVersion
	h[1] = typ
	return h
}

// decompressFrame unpacks a compressed AS_MSG frame body: 8 bytes of
// uncompressed size, then zlib data holding a whole proto frame.
func decompressFrame(body []byte, maxSize int) ([]byte, error) {
	if len(body) < 8 {
		return nil, fmt.Errorf("%w: short compressed frame", errMalformed)
	}
	size := binary.BigEndian.Uint64(body)
	if size > uint64(maxSize)+8 || size < 8 {
		return nil, fmt.Errorf("%w: compressed size %d", errMalformed, size)
	}
	zr, err := zlib.NewReader(bytes.NewReader(body[8:]))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	}
	defer zr.Close()
	out := make([]byte, size)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if out[0] != protoVersion || out[1] != protoMsg {
		return nil, fmt.Errorf("%w: inner frame type %d", errMalformed, out[1])
	}
	inner := binary.BigEndian.Uint64(out) & 0xffffffffffff
	if inner != size-8 {
		return nil, fmt.Errorf("%w: inner frame size", errMalformed)
	}
	return out[8:], nil
}

// respWriter builds response messages into one buffer.
type respWriter struct {
	buf []byte
}

// beginMsg starts a message; finish it with endMsg.
func (w *respWriter) header(info3 byte, rc ResultCode, gen, ttl, index uint32, nFields, nOps int) {
	var h [msgHeaderSize]byte
	h[0] = msgHeaderSize
	h[3] = info3
	h[5] = byte(rc)
	binary.BigEndian.PutUint32(h[6:], gen)
	binary.BigEndian.PutUint32(h[10:], ttl)
	binary.BigEndian.PutUint32(h[14:], index)
	binary.BigEndian.PutUint16(h[18:], uint16(nFields))
	binary.BigEndian.PutUint16(h[20:], uint16(nOps))
	w.buf = append(w.buf, h[:]...)
}

func (w *respWriter) field(t byte, data []byte) {
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(len(data)+1))
	w.buf = append(w.buf, t)
	w.buf = append(w.buf, data...)
}

// bin writes one result bin (an op entry).
func (w *respWriter) bin(name string, v any) {
	pt, data := value.EncodeParticle(v)
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(4+len(name)+len(data)))
	w.buf = append(w.buf, opRead, pt, 0, byte(len(name)))
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, data...)
}
