package thrift

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// Compact protocol type ids, as they appear in field and collection headers.
const (
	compactBoolTrue  = 1
	compactBoolFalse = 2
)

// toCompact maps binary type ids to compact type ids; zero marks a type the
// compact protocol cannot carry. BOOL maps to 1 (BOOLEAN_TRUE), which is
// what the Apache implementations write as a collection element type.
var toCompact = [256]byte{
	BOOL: 1, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, STRING: 8,
	LIST: 9, SET: 10, MAP: 11, STRUCT: 12, UUID: 13,
}

// fromCompact maps compact type ids to binary type ids; STOP marks an
// invalid id (except for id 0 in a field header, which is STOP).
var fromCompact = [16]Type{
	1: BOOL, 2: BOOL, 3: BYTE, 4: I16, 5: I32, 6: I64, 7: DOUBLE, 8: STRING,
	9: LIST, 10: SET, 11: MAP, 12: STRUCT, 13: UUID,
}

// compactMinSize holds, per binary type id, the fewest bytes a value of that
// type takes as a compact collection element; zero marks an invalid type.
var compactMinSize = [256]uint8{
	BOOL: 1, BYTE: 1, DOUBLE: 8, I16: 1, I32: 1, I64: 1,
	STRING: 1, STRUCT: 1, MAP: 1, SET: 1, LIST: 1, UUID: 16,
}

// SizeVarint returns the size of v as an unsigned LEB128 varint (1 to 10
// bytes).
func SizeVarint(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

// AppendVarint appends v as an unsigned LEB128 varint.
func AppendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// ConsumeVarint decodes an unsigned LEB128 varint of at most 10 bytes.
func ConsumeVarint(b []byte) (v uint64, n int, err error) {
	v, n = consumeVarint(b)
	if n <= 0 {
		if n == 0 {
			return 0, 0, errReadVarint
		}
		return 0, 0, errVarint
	}
	return v, n, nil
}

// consumeVarint returns n == 0 if b ends inside the varint and n < 0 if the
// varint is longer than 10 bytes or overflows 64 bits.
func consumeVarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	var v uint64
	for i := 0; i < 10; i++ {
		if i >= len(b) {
			return 0, 0
		}
		c := b[i]
		if i == 9 && c > 1 {
			return 0, -1
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, -1
}

// consumeLength decodes a varint length that must fit in an int32.
func consumeLength(b []byte, short error) (int, int, error) {
	v, n := consumeVarint(b)
	if n <= 0 {
		if n == 0 {
			return 0, 0, short
		}
		return 0, 0, errVarint
	}
	if v > math.MaxInt32 {
		return 0, 0, errDataLength
	}
	return int(v), n, nil
}

func zigzag32(v int32) uint64 { return uint64(uint32(v<<1) ^ uint32(v>>31)) }
func zigzag64(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }

// SizeCompactFieldBegin returns the size of the compact header of field id
// following field last (0 for the first field of a struct).
func SizeCompactFieldBegin(id, last int16) int {
	if d := int(id) - int(last); d > 0 && d <= 15 {
		return 1
	}
	return 1 + SizeVarint(zigzag32(int32(id)))
}

// AppendCompactFieldBegin appends the compact header of field id of type t,
// following field last (0 for the first field of a struct): one byte when
// id-last is 1..15, else the type byte and the zigzag varint id. Bool fields
// carry their value in the header: use [AppendCompactBoolField] for them.
// The caller keeps last = id for the next field. A struct ends with
// [AppendFieldStop], which both protocols share.
func AppendCompactFieldBegin(b []byte, t Type, id, last int16) []byte {
	return appendCompactField(b, toCompact[t], id, last)
}

// AppendCompactBoolField appends the compact header of bool field id with
// value v (the value lives in the header; nothing follows it).
func AppendCompactBoolField(b []byte, v bool, id, last int16) []byte {
	if v {
		return appendCompactField(b, compactBoolTrue, id, last)
	}
	return appendCompactField(b, compactBoolFalse, id, last)
}

func appendCompactField(b []byte, ct byte, id, last int16) []byte {
	if d := int(id) - int(last); d > 0 && d <= 15 {
		return append(b, byte(d)<<4|ct)
	}
	return AppendVarint(append(b, ct), zigzag32(int32(id)))
}

// ConsumeCompactFieldBegin decodes a compact field header following field
// last (0 for the first field of a struct). For the STOP byte it returns
// t == STOP and n == 1. t is a binary type id. For bool fields t is BOOL
// and bv holds the value, which the header carries; no value follows. The
// caller keeps last = id for the next field.
func ConsumeCompactFieldBegin(b []byte, last int16) (t Type, id int16, bv bool, n int, err error) {
	if len(b) < 1 {
		return 0, 0, false, 0, errReadField
	}
	h := b[0]
	if h == 0 {
		return STOP, 0, false, 1, nil
	}
	ct := h & 0x0f
	t = fromCompact[ct]
	if t == STOP {
		return 0, 0, false, 0, typeError(ct)
	}
	bv = ct == compactBoolTrue
	if d := h >> 4; d != 0 {
		return t, last + int16(d), bv, 1, nil
	}
	v, m := consumeVarint(b[1:])
	if m <= 0 {
		if m == 0 {
			return 0, 0, false, 0, errReadField
		}
		return 0, 0, false, 0, errVarint
	}
	return t, int16(unzigzag(v)), bv, 1 + m, nil
}

// SizeCompactMapBegin returns the size of a compact map header.
func SizeCompactMapBegin(size int) int {
	if size == 0 {
		return 1
	}
	return SizeVarint(uint64(size)) + 1
}

// AppendCompactMapBegin appends a compact map header: a single 0 byte for
// an empty map, else the varint size and a byte holding both types.
func AppendCompactMapBegin(b []byte, kt, vt Type, size int) []byte {
	if size == 0 {
		return append(b, 0)
	}
	return append(AppendVarint(b, uint64(size)), toCompact[kt]<<4|toCompact[vt])
}

// ConsumeCompactMapBegin decodes a compact map header. Types are binary type
// ids (STOP for an empty map). It fails unless b holds at least enough bytes
// for size keys and values, so the caller may allocate size entries.
func ConsumeCompactMapBegin(b []byte) (kt, vt Type, size, n int, err error) {
	size, n, err = consumeLength(b, errReadMap)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if size == 0 {
		return STOP, STOP, 0, n, nil
	}
	if n >= len(b) {
		return 0, 0, 0, 0, errReadMap
	}
	h := b[n]
	n++
	kt, vt = fromCompact[h>>4], fromCompact[h&0x0f]
	if kt == STOP {
		return 0, 0, 0, 0, typeError(h >> 4)
	}
	if vt == STOP {
		return 0, 0, 0, 0, typeError(h & 0x0f)
	}
	if uint64(size)*uint64(compactMinSize[kt]+compactMinSize[vt]) > uint64(len(b)-n) {
		return 0, 0, 0, 0, errReadMap
	}
	return kt, vt, size, n, nil
}

// SizeCompactListBegin returns the size of a compact list or set header.
func SizeCompactListBegin(size int) int {
	if size < 15 {
		return 1
	}
	return 1 + SizeVarint(uint64(size))
}

// AppendCompactListBegin appends a compact list header: one byte when size
// is below 15, else 0xF|type and the varint size.
func AppendCompactListBegin(b []byte, et Type, size int) []byte {
	if size < 15 {
		return append(b, byte(size)<<4|toCompact[et])
	}
	return AppendVarint(append(b, 0xf0|toCompact[et]), uint64(size))
}

// AppendCompactSetBegin appends a compact set header (same form as a list).
func AppendCompactSetBegin(b []byte, et Type, size int) []byte {
	return AppendCompactListBegin(b, et, size)
}

// ConsumeCompactListBegin decodes a compact list header; et is a binary type
// id. It fails unless b holds at least enough bytes for size elements, so
// the caller may allocate size elements.
func ConsumeCompactListBegin(b []byte) (et Type, size, n int, err error) {
	return consumeCompactCollection(b, errReadList)
}

// ConsumeCompactSetBegin decodes a compact set header, like
// [ConsumeCompactListBegin].
func ConsumeCompactSetBegin(b []byte) (et Type, size, n int, err error) {
	return consumeCompactCollection(b, errReadSet)
}

func consumeCompactCollection(b []byte, short error) (Type, int, int, error) {
	if len(b) < 1 {
		return 0, 0, 0, short
	}
	h := b[0]
	et := fromCompact[h&0x0f]
	if et == STOP {
		return 0, 0, 0, typeError(h & 0x0f)
	}
	size, n := int(h>>4), 1
	if size == 15 {
		s, m, err := consumeLength(b[1:], short)
		if err != nil {
			return 0, 0, 0, err
		}
		size, n = s, 1+m
	}
	if uint64(size)*uint64(compactMinSize[et]) > uint64(len(b)-n) {
		return 0, 0, 0, short
	}
	return et, size, n, nil
}

// AppendCompactBool appends a bool collection element: 1 for true, 2 for
// false (what the Apache implementations write; decoders treat anything
// but 1 as false).
func AppendCompactBool(b []byte, v bool) []byte {
	if v {
		return append(b, compactBoolTrue)
	}
	return append(b, compactBoolFalse)
}

// ConsumeCompactBool decodes a bool collection element; only 1 is true.
// Bool fields carry their value in the field header instead (see
// [ConsumeCompactFieldBegin]).
func ConsumeCompactBool(b []byte) (v bool, n int, err error) {
	if len(b) < 1 {
		return false, 0, errReadBool
	}
	return b[0] == compactBoolTrue, 1, nil
}

// SizeCompactI16 returns the compact size of v.
func SizeCompactI16(v int16) int { return SizeVarint(zigzag32(int32(v))) }

// SizeCompactI32 returns the compact size of v.
func SizeCompactI32(v int32) int { return SizeVarint(zigzag32(v)) }

// SizeCompactI64 returns the compact size of v.
func SizeCompactI64(v int64) int { return SizeVarint(zigzag64(v)) }

// SizeCompactString returns the compact size of s: varint length plus bytes.
func SizeCompactString(s string) int { return SizeVarint(uint64(len(s))) + len(s) }

// SizeCompactBinary returns the compact size of v: varint length plus bytes.
func SizeCompactBinary(v []byte) int { return SizeVarint(uint64(len(v))) + len(v) }

// AppendCompactI16 appends v as a zigzag varint.
func AppendCompactI16(b []byte, v int16) []byte { return AppendVarint(b, zigzag32(int32(v))) }

// AppendCompactI32 appends v as a zigzag varint.
func AppendCompactI32(b []byte, v int32) []byte { return AppendVarint(b, zigzag32(v)) }

// AppendCompactI64 appends v as a zigzag varint.
func AppendCompactI64(b []byte, v int64) []byte { return AppendVarint(b, zigzag64(v)) }

// AppendCompactDouble appends v as a little-endian IEEE 754 double.
func AppendCompactDouble(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

// AppendCompactString appends s: varint length, then the bytes.
func AppendCompactString(b []byte, s string) []byte {
	return append(AppendVarint(b, uint64(len(s))), s...)
}

// AppendCompactBinary appends v: varint length, then the bytes.
func AppendCompactBinary(b []byte, v []byte) []byte {
	return append(AppendVarint(b, uint64(len(v))), v...)
}

// ConsumeCompactI16 decodes a zigzag varint i16 (truncating wider values,
// as Apache does).
func ConsumeCompactI16(b []byte) (v int16, n int, err error) {
	x, n := consumeVarint(b)
	if n <= 0 {
		return 0, 0, varintError(n, errReadI16)
	}
	return int16(unzigzag(x)), n, nil
}

// ConsumeCompactI32 decodes a zigzag varint i32 (truncating wider values,
// as Apache does).
func ConsumeCompactI32(b []byte) (v int32, n int, err error) {
	x, n := consumeVarint(b)
	if n <= 0 {
		return 0, 0, varintError(n, errReadI32)
	}
	return int32(unzigzag(x)), n, nil
}

// ConsumeCompactI64 decodes a zigzag varint i64.
func ConsumeCompactI64(b []byte) (v int64, n int, err error) {
	x, n := consumeVarint(b)
	if n <= 0 {
		return 0, 0, varintError(n, errReadI64)
	}
	return unzigzag(x), n, nil
}

func varintError(n int, short error) error {
	if n == 0 {
		return short
	}
	return errVarint
}

// ConsumeCompactDouble decodes a little-endian IEEE 754 double.
func ConsumeCompactDouble(b []byte) (v float64, n int, err error) {
	if len(b) < 8 {
		return 0, 0, errReadDouble
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), 8, nil
}

// ConsumeCompactString decodes a compact string and copies it.
func ConsumeCompactString(b []byte) (v string, n int, err error) {
	s, n, err := consumeCompactBytes(b, errReadString)
	if err != nil {
		return "", 0, err
	}
	return string(s), n, nil
}

// ConsumeCompactBinary decodes a compact binary value and copies it. An
// empty value decodes as a non-nil empty slice.
func ConsumeCompactBinary(b []byte) (v []byte, n int, err error) {
	s, n, err := consumeCompactBytes(b, errReadBinary)
	if err != nil {
		return nil, 0, err
	}
	return append([]byte{}, s...), n, nil
}

// ConsumeCompactBytes decodes a compact string or binary value without
// copying: v aliases b.
func ConsumeCompactBytes(b []byte) (v []byte, n int, err error) {
	return consumeCompactBytes(b, errReadBinary)
}

func consumeCompactBytes(b []byte, short error) ([]byte, int, error) {
	l, m, err := consumeLength(b, short)
	if err != nil {
		return nil, 0, err
	}
	if l > len(b)-m {
		return nil, 0, short
	}
	end := m + l
	return b[m:end:end], end, nil
}
