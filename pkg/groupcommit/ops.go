package groupcommit

import (
	"reflect"

	as "github.com/aerospike/aerospike-client-go/v7"
)

// opKind identifies an operation type of the client (its unexported
// OperationType). The client decides the wire flags of a command from the
// op types (operate_args.go, batch_attr.go) but does not export them, so
// they are read by reflection, and the kinds are learnt from the client's
// own constructors at init: nothing here depends on the client's numbers.
type opKind struct {
	code, dist byte
	write      bool
}

// Fields of as.Operation and of its opType read by reflection; ok is false
// if the client's layout is not the one expected, and then every Operate
// is passed through unbatched.
var opFields struct {
	ok                 bool
	opType, binName    []int
	code, dist, isWrte []int
}

// The kinds the batching decisions need, learnt at init.
var (
	kindRead, kindReadHeader, kindCDTRead                   opKind
	kindMapRead, kindExpRead, kindBitRead, kindHLLRead      opKind
	kindMapModify, kindExpModify, kindBitModify, kindHLLMod opKind
)

func init() {
	t := reflect.TypeOf(as.Operation{})
	ot, ok1 := t.FieldByName("opType")
	bn, ok2 := t.FieldByName("binName")
	if !ok1 || !ok2 || ot.Type.Kind() != reflect.Struct || bn.Type.Kind() != reflect.String {
		return
	}
	code, ok3 := ot.Type.FieldByName("op")
	dist, ok4 := ot.Type.FieldByName("enumDist")
	wr, ok5 := ot.Type.FieldByName("isWrite")
	if !ok3 || !ok4 || !ok5 || code.Type.Kind() != reflect.Uint8 || dist.Type.Kind() != reflect.Uint8 || wr.Type.Kind() != reflect.Bool {
		return
	}
	opFields.opType, opFields.binName = ot.Index, bn.Index
	opFields.code, opFields.dist, opFields.isWrte = code.Index, dist.Index, wr.Index
	opFields.ok = true

	kindRead, _ = kindOf(as.GetBinOp("b"))
	kindReadHeader, _ = kindOf(as.GetHeaderOp())
	kindCDTRead, _ = kindOf(as.ListSizeOp("b"))
	kindMapRead, _ = kindOf(as.MapSizeOp("b"))
	kindExpRead, _ = kindOf(as.ExpReadOp("b", as.ExpIntVal(1), as.ExpReadFlagDefault))
	kindBitRead, _ = kindOf(as.BitCountOp("b", 0, 1))
	kindHLLRead, _ = kindOf(as.HLLGetCountOp("b"))
	kindMapModify, _ = kindOf(as.MapClearOp("b"))
	kindExpModify, _ = kindOf(as.ExpWriteOp("b", as.ExpIntVal(1), as.ExpWriteFlagDefault))
	kindBitModify, _ = kindOf(as.BitSetIntOp(as.DefaultBitPolicy(), "b", 0, 8, 1))
	kindHLLMod, _ = kindOf(as.HLLInitOp(as.DefaultHLLPolicy(), "b", 4, 0))
}

// kindOf returns an operation's kind and bin name.
func kindOf(op *as.Operation) (opKind, string) {
	v := reflect.ValueOf(op).Elem()
	t := v.FieldByIndex(opFields.opType)
	return opKind{
		code:  byte(t.FieldByIndex(opFields.code).Uint()),
		dist:  byte(t.FieldByIndex(opFields.dist).Uint()),
		write: t.FieldByIndex(opFields.isWrte).Bool(),
	}, v.FieldByIndex(opFields.binName).String()
}

// opsShape is what the client derives from an Operate's ops.
type opsShape struct {
	write bool // some op writes
	// respondAll: a single Operate asks for one result per op
	// (INFO2_RESPOND_ALL_OPS): map, bit, HLL or expression ops, or
	// WritePolicy.RespondPerEachOp, and no read-all (operate_args.go).
	respondAll bool
	getAll     bool // a read op without a bin name (GetOp): INFO1_GET_ALL
	header     bool // a GetHeaderOp
	// respondAllKinds: a map, bit, HLL or expression op.
	respondAllKinds bool
}

func shapeOf(ops []*as.Operation, respondPerEachOp bool) opsShape {
	var s opsShape
	for _, op := range ops {
		k, bin := kindOf(op)
		switch k {
		case kindMapRead, kindExpRead, kindBitRead, kindHLLRead:
			s.respondAllKinds = true
			s.getAll = s.getAll || bin == ""
		case kindRead, kindCDTRead:
			s.getAll = s.getAll || bin == ""
		case kindReadHeader:
			s.header = true
		case kindMapModify, kindExpModify, kindBitModify, kindHLLMod:
			s.respondAllKinds = true
		}
		if k.write {
			s.write = true
		}
	}
	s.respondAll = (s.respondAllKinds || respondPerEachOp) && !s.getAll
	return s
}
