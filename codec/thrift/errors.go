package thrift

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every decode error of this package satisfies errors.Is
// with exactly one of them.
var (
	// ErrShort means the input ends before the value does: more bytes
	// could complete it.
	ErrShort = errors.New("thrift: unexpected end of input")
	// ErrInvalidLength means a string, binary or container length is
	// negative or does not fit in an int32.
	ErrInvalidLength = errors.New("thrift: invalid data length")
	// ErrInvalidData means the bytes are malformed in another way, such as
	// a varint longer than its type allows.
	ErrInvalidData = errors.New("thrift: invalid data")
	// ErrDepth means values are nested deeper than 64 levels.
	ErrDepth = errors.New("thrift: depth limit exceeded")
	// ErrBadVersion means a message envelope has an unknown protocol id or
	// version (including non-strict binary messages).
	ErrBadVersion = errors.New("thrift: bad version")
	// ErrInvalidType means a type id is not a Thrift type.
	ErrInvalidType = errors.New("thrift: invalid type")
	// ErrRequiredField means a required field is missing from a struct.
	ErrRequiredField = errors.New("thrift: required field missing")
)

// protoError is a preallocated decode error: Error returns text (Kitex's
// text for the same failure where there is one) and errors.Is sees kind.
type protoError struct {
	text string
	kind error
}

func (e *protoError) Error() string { return e.text }
func (e *protoError) Unwrap() error { return e.kind }

var (
	errReadMessage = &protoError{"ReadMessageBegin: buf too small", ErrShort}
	errBadVersion  = &protoError{"ReadMessageBegin: bad version", ErrBadVersion}
	errMessageType = &protoError{"ReadMessageBegin: invalid message type", ErrInvalidData}
	errReadField   = &protoError{"ReadFieldBegin: buf too small", ErrShort}
	errReadMap     = &protoError{"ReadMapBegin: buf too small", ErrShort}
	errReadList    = &protoError{"ReadListBegin: buf too small", ErrShort}
	errReadSet     = &protoError{"ReadSetBegin: buf too small", ErrShort}
	errReadString  = &protoError{"ReadString: buf too small", ErrShort}
	errReadBinary  = &protoError{"ReadBinary: buf too small", ErrShort}
	errReadBool    = &protoError{"ReadBool: len(buf) < 1", ErrShort}
	errReadByte    = &protoError{"ReadByte: len(buf) < 1", ErrShort}
	errReadI16     = &protoError{"ReadI16: len(buf) < 2", ErrShort}
	errReadI32     = &protoError{"ReadI32: len(buf) < 4", ErrShort}
	errReadI64     = &protoError{"ReadI64: len(buf) < 8", ErrShort}
	errReadDouble  = &protoError{"ReadDouble: len(buf) < 8", ErrShort}
	errReadUUID    = &protoError{"ReadUUID: len(buf) < 16", ErrShort}
	errReadVarint  = &protoError{"ReadVarint: buf too small", ErrShort}
	errShort       = &protoError{"buffer too short", ErrShort}
	errDataLength  = &protoError{"invalid data length", ErrInvalidLength}
	errVarint      = &protoError{"invalid varint", ErrInvalidData}
	errDepth       = &protoError{"depth limit exceeded", ErrDepth}
)

// typeError reports an unknown type id. It is one byte wide, so converting
// it to an error does not allocate.
type typeError Type

func (e typeError) Error() string { return "unknown data type " + strconv.Itoa(int(e)) }
func (e typeError) Unwrap() error { return ErrInvalidType }

// RequiredFieldError reports that a required field is missing from a
// decoded struct. Generated code keeps one preallocated value per required
// field. It satisfies errors.Is(err, [ErrRequiredField]).
type RequiredFieldError struct {
	Struct string // Struct is the IDL name of the struct.
	Field  string // Field is the IDL name of the missing field.
}

// Error returns Kitex's text, "required field <Field> is not set".
func (e *RequiredFieldError) Error() string { return "required field " + e.Field + " is not set" }

// Unwrap returns [ErrRequiredField].
func (e *RequiredFieldError) Unwrap() error { return ErrRequiredField }
