package protobuf

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrorSize returns the encoded size of an ErrorProto.
func ErrorSize(typeID int32, msg string) int {
	n := 0
	if typeID != 0 {
		n += 1 + protowire.SizeVarint(uint64(int64(typeID)))
	}
	if msg != "" {
		n += 1 + protowire.SizeBytes(len(msg))
	}
	return n
}

// AppendError appends the exception body Kitex sends for a failed Kitex
// Protobuf call (WIRE.md §4):
//
//	message ErrorProto { int32 TypeID = 1; string Message = 2; }
//
// typeID is a TApplicationException type (6 for handler errors).
func AppendError(b []byte, typeID int32, msg string) []byte {
	if typeID != 0 {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(typeID)))
	}
	if msg != "" {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, msg)
	}
	return b
}

var errBadError = errors.New("protobuf: malformed ErrorProto")

// ConsumeError parses an ErrorProto, skipping unknown fields.
func ConsumeError(b []byte) (typeID int32, msg string, err error) {
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, "", errBadError
		}
		b = b[n:]
		switch {
		case num == 1 && wt == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return 0, "", errBadError
			}
			typeID, b = int32(v), b[n:]
		case num == 2 && wt == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return 0, "", errBadError
			}
			msg, b = string(v), b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, wt, b)
			if n < 0 {
				return 0, "", errBadError
			}
			b = b[n:]
		}
	}
	return typeID, msg, nil
}
