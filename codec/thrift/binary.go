package thrift

import (
	"encoding/binary"
	"math"
)

// Exact sizes of fixed-size binary protocol items.
const (
	FieldBeginSize = 3  // FieldBeginSize is the size of a field header: type, i16 id.
	FieldStopSize  = 1  // FieldStopSize is the size of the STOP byte ending a struct.
	MapBeginSize   = 6  // MapBeginSize is the size of a map header: key type, value type, i32 count.
	ListBeginSize  = 5  // ListBeginSize is the size of a list header: element type, i32 count.
	SetBeginSize   = 5  // SetBeginSize is the size of a set header: element type, i32 count.
	BoolSize       = 1  // BoolSize is the size of a bool.
	ByteSize       = 1  // ByteSize is the size of a byte (i8).
	I16Size        = 2  // I16Size is the size of an i16.
	I32Size        = 4  // I32Size is the size of an i32.
	I64Size        = 8  // I64Size is the size of an i64.
	DoubleSize     = 8  // DoubleSize is the size of a double.
	UUIDSize       = 16 // UUIDSize is the size of a uuid, in both protocols.
)

// SizeString returns the binary size of string s: 4 + len(s).
func SizeString(s string) int { return 4 + len(s) }

// SizeBinary returns the binary size of binary v: 4 + len(v).
func SizeBinary(v []byte) int { return 4 + len(v) }

// AppendFieldBegin appends a binary field header for a field of type t with
// id id.
func AppendFieldBegin(b []byte, t Type, id int16) []byte {
	return append(b, byte(t), byte(uint16(id)>>8), byte(id))
}

// AppendFieldStop appends the STOP byte that ends a struct.
func AppendFieldStop(b []byte) []byte { return append(b, byte(STOP)) }

// AppendMapBegin appends a binary map header.
func AppendMapBegin(b []byte, kt, vt Type, size int) []byte {
	return binary.BigEndian.AppendUint32(append(b, byte(kt), byte(vt)), uint32(size))
}

// AppendListBegin appends a binary list header.
func AppendListBegin(b []byte, et Type, size int) []byte {
	return binary.BigEndian.AppendUint32(append(b, byte(et)), uint32(size))
}

// AppendSetBegin appends a binary set header.
func AppendSetBegin(b []byte, et Type, size int) []byte {
	return binary.BigEndian.AppendUint32(append(b, byte(et)), uint32(size))
}

// AppendBool appends a binary bool (1 or 0).
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendByte appends a byte (i8).
func AppendByte(b []byte, v int8) []byte { return append(b, byte(v)) }

// AppendI16 appends a big-endian i16.
func AppendI16(b []byte, v int16) []byte { return append(b, byte(uint16(v)>>8), byte(v)) }

// AppendI32 appends a big-endian i32.
func AppendI32(b []byte, v int32) []byte { return binary.BigEndian.AppendUint32(b, uint32(v)) }

// AppendI64 appends a big-endian i64.
func AppendI64(b []byte, v int64) []byte { return binary.BigEndian.AppendUint64(b, uint64(v)) }

// AppendDouble appends a big-endian IEEE 754 double.
func AppendDouble(b []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
}

// AppendString appends a binary string: i32 length, then the bytes.
func AppendString(b []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...)
}

// AppendBinary appends a binary value: i32 length, then the bytes.
func AppendBinary(b []byte, v []byte) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(v))), v...)
}

// AppendUUID appends a uuid: its 16 bytes in order. The compact protocol
// encodes uuids the same way.
func AppendUUID(b []byte, v [16]byte) []byte { return append(b, v[:]...) }

// ConsumeFieldBegin decodes a binary field header. For the STOP byte it
// returns t == STOP and n == 1. It does not check t: the caller skips
// fields it does not know, and [Skip] rejects invalid types.
func ConsumeFieldBegin(b []byte) (t Type, id int16, n int, err error) {
	if len(b) < 1 {
		return 0, 0, 0, errReadField
	}
	t = Type(b[0])
	if t == STOP {
		return STOP, 0, 1, nil
	}
	if len(b) < 3 {
		return 0, 0, 0, errReadField
	}
	return t, int16(binary.BigEndian.Uint16(b[1:])), 3, nil
}

// ConsumeMapBegin decodes a binary map header. It fails unless b holds at
// least enough bytes for size keys and values of the given types, so the
// caller may allocate size entries.
func ConsumeMapBegin(b []byte) (kt, vt Type, size, n int, err error) {
	if len(b) < MapBeginSize {
		return 0, 0, 0, 0, errReadMap
	}
	kt, vt = Type(b[0]), Type(b[1])
	s := int32(binary.BigEndian.Uint32(b[2:]))
	if s < 0 {
		return 0, 0, 0, 0, errDataLength
	}
	if s > 0 {
		if minSize[kt] == 0 {
			return 0, 0, 0, 0, typeError(kt)
		}
		if minSize[vt] == 0 {
			return 0, 0, 0, 0, typeError(vt)
		}
		if uint64(s)*uint64(minSize[kt]+minSize[vt]) > uint64(len(b)-MapBeginSize) {
			return 0, 0, 0, 0, errReadMap
		}
	}
	return kt, vt, int(s), MapBeginSize, nil
}

// ConsumeListBegin decodes a binary list header. It fails unless b holds at
// least enough bytes for size elements of type et, so the caller may
// allocate size elements.
func ConsumeListBegin(b []byte) (et Type, size, n int, err error) {
	if len(b) < ListBeginSize {
		return 0, 0, 0, errReadList
	}
	et, size, err = collectionBegin(b, errReadList)
	return et, size, ListBeginSize, err
}

// ConsumeSetBegin decodes a binary set header, like [ConsumeListBegin].
func ConsumeSetBegin(b []byte) (et Type, size, n int, err error) {
	if len(b) < SetBeginSize {
		return 0, 0, 0, errReadSet
	}
	et, size, err = collectionBegin(b, errReadSet)
	return et, size, SetBeginSize, err
}

func collectionBegin(b []byte, short error) (Type, int, error) {
	et := Type(b[0])
	s := int32(binary.BigEndian.Uint32(b[1:]))
	if s < 0 {
		return 0, 0, errDataLength
	}
	if s > 0 {
		if minSize[et] == 0 {
			return 0, 0, typeError(et)
		}
		if uint64(s)*uint64(minSize[et]) > uint64(len(b)-5) {
			return 0, 0, short
		}
	}
	return et, int(s), nil
}

// ConsumeBool decodes a binary bool; only the byte 1 is true.
func ConsumeBool(b []byte) (v bool, n int, err error) {
	if len(b) < 1 {
		return false, 0, errReadBool
	}
	return b[0] == 1, 1, nil
}

// ConsumeByte decodes a byte (i8).
func ConsumeByte(b []byte) (v int8, n int, err error) {
	if len(b) < 1 {
		return 0, 0, errReadByte
	}
	return int8(b[0]), 1, nil
}

// ConsumeI16 decodes a big-endian i16.
func ConsumeI16(b []byte) (v int16, n int, err error) {
	if len(b) < 2 {
		return 0, 0, errReadI16
	}
	return int16(binary.BigEndian.Uint16(b)), 2, nil
}

// ConsumeI32 decodes a big-endian i32.
func ConsumeI32(b []byte) (v int32, n int, err error) {
	if len(b) < 4 {
		return 0, 0, errReadI32
	}
	return int32(binary.BigEndian.Uint32(b)), 4, nil
}

// ConsumeI64 decodes a big-endian i64.
func ConsumeI64(b []byte) (v int64, n int, err error) {
	if len(b) < 8 {
		return 0, 0, errReadI64
	}
	return int64(binary.BigEndian.Uint64(b)), 8, nil
}

// ConsumeDouble decodes a big-endian IEEE 754 double.
func ConsumeDouble(b []byte) (v float64, n int, err error) {
	if len(b) < 8 {
		return 0, 0, errReadDouble
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b)), 8, nil
}

// ConsumeUUID decodes a uuid (16 bytes, both protocols).
func ConsumeUUID(b []byte) (v [16]byte, n int, err error) {
	if len(b) < 16 {
		return v, 0, errReadUUID
	}
	copy(v[:], b)
	return v, 16, nil
}

// ConsumeString decodes a binary string and copies it.
func ConsumeString(b []byte) (v string, n int, err error) {
	s, n, err := consumeBytes(b, errReadString)
	if err != nil {
		return "", 0, err
	}
	return string(s), n, nil
}

// ConsumeBinary decodes a binary value and copies it. An empty value
// decodes as a non-nil empty slice.
func ConsumeBinary(b []byte) (v []byte, n int, err error) {
	s, n, err := consumeBytes(b, errReadBinary)
	if err != nil {
		return nil, 0, err
	}
	return append([]byte{}, s...), n, nil
}

// ConsumeBytes decodes a binary string or binary value without copying:
// v aliases b.
func ConsumeBytes(b []byte) (v []byte, n int, err error) {
	return consumeBytes(b, errReadBinary)
}

func consumeBytes(b []byte, short error) ([]byte, int, error) {
	if len(b) < 4 {
		return nil, 0, short
	}
	l := int32(binary.BigEndian.Uint32(b))
	if l < 0 {
		return nil, 0, errDataLength
	}
	if int64(l) > int64(len(b)-4) {
		return nil, 0, short
	}
	end := 4 + int(l)
	return b[4:end:end], end, nil
}
