// Package wire is the Aerospike wire protocol as aerolite speaks it: proto
// frames, AS_MSG messages with their fields and operations, the writer of
// response messages, and the server's result codes. It decodes and encodes;
// what a command means is the server's business (package aerolite).
package wire

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
	ProtoVersion        = 2
	ProtoInfo           = 1
	ProtoAdmin          = 2 // security: login, authenticate, user admin
	ProtoMsg            = 3
	ProtoMsgCompressed  = 4
	MsgHeaderSize       = 22
	DefaultMaxFrameSize = 128 << 20 // the server's proto size limit
)

// Message header flags (as_msg info1/info2/info3).
const (
	Info1Read            = 1 << 0
	Info1GetAll          = 1 << 1
	Info1ShortQuery      = 1 << 2
	Info1Batch           = 1 << 3
	Info1NoBinData       = 1 << 5
	Info1CompressResp    = 1 << 7
	Info2Write           = 1 << 0
	Info2Delete          = 1 << 1
	Info2Generation      = 1 << 2
	Info2GenerationGT    = 1 << 3
	Info2DurableDelete   = 1 << 4
	Info2CreateOnly      = 1 << 5
	Info2RespondAllOps   = 1 << 7
	Info3Last            = 1 << 0
	Info3PartitionDone   = 1 << 2
	Info3UpdateOnly      = 1 << 3
	Info3CreateOrReplace = 1 << 4
	Info3ReplaceOnly     = 1 << 5
)

// Field types (as_msg_field_type).
const (
	FieldNamespace     = 0
	FieldSet           = 1
	FieldKey           = 2
	FieldDigest        = 4
	FieldTranID        = 7
	FieldScanOptions   = 8
	FieldSocketTimeout = 9
	FieldRecsPerSec    = 10
	FieldPIDArray      = 11
	FieldDigestArray   = 12
	FieldMaxRecords    = 13
	FieldBValArray     = 15
	FieldIndexName     = 21
	FieldIndexRange    = 22
	FieldIndexContext  = 23
	FieldIndexType     = 26
	FieldUDFPackage    = 30
	FieldQueryBinList  = 40
	FieldBatchIndex    = 41
	FieldBatchWithSet  = 42
	FieldFilterExp     = 43
)

// Operation types (as_msg_op).
const (
	OpRead       = 1
	OpWrite      = 2
	OpCDTRead    = 3
	OpCDTModify  = 4
	OpAdd        = 5
	OpExpRead    = 7
	OpExpModify  = 8
	OpAppend     = 9
	OpPrepend    = 10
	OpTouch      = 11
	OpBitRead    = 12
	OpBitModify  = 13
	OpDelete     = 14
	OpHLLRead    = 15
	OpHLLModify  = 16
	MaxBinName   = 15
	OpHeaderSize = 8
)

// ErrMalformed is the error of a frame or message that cannot be decoded;
// the server closes the connection on it.
var ErrMalformed = errors.New("malformed message")

// Field is one message field.
type Field struct {
	Type byte   // Field* constant
	Data []byte // aliases the frame body
}

// Op is one message operation.
type Op struct {
	Type     byte   // Op* constant
	Particle byte   // particle type of Value
	Name     string // bin name
	Value    []byte // aliases the frame body
}

// Message is a decoded AS_MSG. Its fields' data and ops' values alias the
// frame body it was parsed from.
type Message struct {
	Info1, Info2, Info3 byte
	ResultCode          byte
	Generation          uint32
	TTL                 uint32
	Timeout             uint32
	Fields              []Field
	Ops                 []Op
}

// Field returns the data of the first field of type t.
func (m *Message) Field(t byte) ([]byte, bool) {
	for i := range m.Fields {
		if m.Fields[i].Type == t {
			return m.Fields[i].Data, true
		}
	}
	return nil, false
}

// ParseMessage decodes an AS_MSG body (after the 8-byte proto header).
func ParseMessage(b []byte) (*Message, error) {
	m, rest, err := ParseMessageHeaderAndBody(b)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(rest))
	}
	return m, nil
}

// ParseMessageHeaderAndBody decodes one AS_MSG (header, fields and ops)
// from the start of b and returns it with the bytes that follow it.
func ParseMessageHeaderAndBody(b []byte) (*Message, []byte, error) {
	if len(b) < MsgHeaderSize || b[0] != MsgHeaderSize {
		return nil, nil, fmt.Errorf("%w: short header", ErrMalformed)
	}
	m := &Message{
		Info1:      b[1],
		Info2:      b[2],
		Info3:      b[3],
		ResultCode: b[5],
		Generation: binary.BigEndian.Uint32(b[6:]),
		TTL:        binary.BigEndian.Uint32(b[10:]),
		Timeout:    binary.BigEndian.Uint32(b[14:]),
	}
	nFields := int(binary.BigEndian.Uint16(b[18:]))
	nOps := int(binary.BigEndian.Uint16(b[20:]))
	b = b[MsgHeaderSize:]
	var err error
	if m.Fields, b, err = ParseFields(b, nFields); err != nil {
		return nil, nil, err
	}
	if m.Ops, b, err = ParseOps(b, nOps); err != nil {
		return nil, nil, err
	}
	return m, b, nil
}

// ParseFields decodes n message fields from the start of b and returns
// them with the bytes that follow them.
func ParseFields(b []byte, n int) ([]Field, []byte, error) {
	if n > len(b)/5 {
		return nil, nil, fmt.Errorf("%w: %d fields", ErrMalformed, n)
	}
	fields := make([]Field, 0, n)
	for i := 0; i < n; i++ {
		if len(b) < 5 {
			return nil, nil, fmt.Errorf("%w: short field", ErrMalformed)
		}
		size := int(binary.BigEndian.Uint32(b))
		if size > len(b)-4 && i == n-1 && (b[4] == FieldBatchIndex || b[4] == FieldBatchWithSet) {
			// The client sizes the batch field as everything after the
			// header, counting a filter field written before it too; the
			// server tolerates the overrun, so clamp it.
			size = len(b) - 4
		}
		if size < 1 || size > len(b)-4 {
			return nil, nil, fmt.Errorf("%w: field size %d", ErrMalformed, size)
		}
		fields = append(fields, Field{Type: b[4], Data: b[5 : 4+size]})
		b = b[4+size:]
	}
	return fields, b, nil
}

// ParseOps decodes n message operations from the start of b and returns
// them with the bytes that follow them.
func ParseOps(b []byte, n int) ([]Op, []byte, error) {
	if n > len(b)/OpHeaderSize {
		return nil, nil, fmt.Errorf("%w: %d ops", ErrMalformed, n)
	}
	ops := make([]Op, 0, n)
	for i := 0; i < n; i++ {
		if len(b) < OpHeaderSize {
			return nil, nil, fmt.Errorf("%w: short op", ErrMalformed)
		}
		size := int(binary.BigEndian.Uint32(b))
		nameLen := int(b[7])
		if size < 4+nameLen || size > len(b)-4 {
			return nil, nil, fmt.Errorf("%w: op size %d", ErrMalformed, size)
		}
		ops = append(ops, Op{
			Type:     b[4],
			Particle: b[5],
			Name:     string(b[8 : 8+nameLen]),
			Value:    b[8+nameLen : 4+size],
		})
		b = b[4+size:]
	}
	return ops, b, nil
}

// FrameHeader encodes a proto header.
func FrameHeader(typ byte, size int) [8]byte {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], uint64(size))
	h[0] = ProtoVersion
	h[1] = typ
	return h
}

// DecompressFrame unpacks a compressed AS_MSG frame body: 8 bytes of
// uncompressed size, then zlib data holding a whole proto frame.
func DecompressFrame(body []byte, maxSize int) ([]byte, error) {
	if len(body) < 8 {
		return nil, fmt.Errorf("%w: short compressed frame", ErrMalformed)
	}
	size := binary.BigEndian.Uint64(body)
	if size > uint64(maxSize)+8 || size < 8 {
		return nil, fmt.Errorf("%w: compressed size %d", ErrMalformed, size)
	}
	zr, err := zlib.NewReader(bytes.NewReader(body[8:]))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	defer zr.Close()
	out := make([]byte, size)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if out[0] != ProtoVersion || out[1] != ProtoMsg {
		return nil, fmt.Errorf("%w: inner frame type %d", ErrMalformed, out[1])
	}
	inner := binary.BigEndian.Uint64(out) & 0xffffffffffff
	if inner != size-8 {
		return nil, fmt.Errorf("%w: inner frame size", ErrMalformed)
	}
	return out[8:], nil
}

// RespWriter builds response messages into one buffer: start it with 8
// bytes of room for the proto header, which FinishFrame fills in.
type RespWriter struct {
	Buf []byte
}

// Header appends a message header; nFields fields and nOps bins follow.
func (w *RespWriter) Header(info3 byte, rc ResultCode, gen, ttl, index uint32, nFields, nOps int) {
	var h [MsgHeaderSize]byte
	h[0] = MsgHeaderSize
	h[3] = info3
	h[5] = byte(rc)
	binary.BigEndian.PutUint32(h[6:], gen)
	binary.BigEndian.PutUint32(h[10:], ttl)
	binary.BigEndian.PutUint32(h[14:], index)
	binary.BigEndian.PutUint16(h[18:], uint16(nFields))
	binary.BigEndian.PutUint16(h[20:], uint16(nOps))
	w.Buf = append(w.Buf, h[:]...)
}

// Field appends one message field.
func (w *RespWriter) Field(t byte, data []byte) {
	w.Buf = binary.BigEndian.AppendUint32(w.Buf, uint32(len(data)+1))
	w.Buf = append(w.Buf, t)
	w.Buf = append(w.Buf, data...)
}

// Bin appends one result bin (an op entry).
func (w *RespWriter) Bin(name string, v any) {
	pt, data := value.EncodeParticle(v)
	w.Buf = binary.BigEndian.AppendUint32(w.Buf, uint32(4+len(name)+len(data)))
	w.Buf = append(w.Buf, OpRead, pt, 0, byte(len(name)))
	w.Buf = append(w.Buf, name...)
	w.Buf = append(w.Buf, data...)
}

// FinishFrame fills in the proto header of a response built after 8 bytes
// of room. Responses are never compressed: like Community Edition, aerolite
// ignores the client's request for compressed responses.
func FinishFrame(buf []byte) []byte {
	h := FrameHeader(ProtoMsg, len(buf)-8)
	copy(buf, h[:])
	return buf
}
