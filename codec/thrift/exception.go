package thrift

import "strconv"

// ExceptionType is the type code of a TApplicationException (WIRE.md §1.4).
type ExceptionType int32

// Exception types. 0–10 are Apache Thrift's; 20 and 21 are Kitex's.
const (
	ExUnknown               ExceptionType = 0
	ExUnknownMethod         ExceptionType = 1
	ExInvalidMessageType    ExceptionType = 2
	ExWrongMethodName       ExceptionType = 3
	ExBadSequenceID         ExceptionType = 4
	ExMissingResult         ExceptionType = 5
	ExInternalError         ExceptionType = 6
	ExProtocolError         ExceptionType = 7
	ExInvalidTransform      ExceptionType = 8
	ExInvalidProtocol       ExceptionType = 9
	ExUnsupportedClientType ExceptionType = 10
	// ExUnknownService is what Kitex sends for an unknown method when the
	// request names no service (plain Framed/Buffered calls).
	ExUnknownService ExceptionType = 20
	// ExNoServiceName is defined by Kitex but not sent.
	ExNoServiceName ExceptionType = 21
)

var exceptionNames = [...]string{
	ExUnknown:               "UNKNOWN",
	ExUnknownMethod:         "UNKNOWN_METHOD",
	ExInvalidMessageType:    "INVALID_MESSAGE_TYPE",
	ExWrongMethodName:       "WRONG_METHOD_NAME",
	ExBadSequenceID:         "BAD_SEQUENCE_ID",
	ExMissingResult:         "MISSING_RESULT",
	ExInternalError:         "INTERNAL_ERROR",
	ExProtocolError:         "PROTOCOL_ERROR",
	ExInvalidTransform:      "INVALID_TRANSFORM",
	ExInvalidProtocol:       "INVALID_PROTOCOL",
	ExUnsupportedClientType: "UNSUPPORTED_CLIENT_TYPE",
	ExUnknownService:        "UNKNOWN_SERVICE",
	ExNoServiceName:         "NO_SERVICE_NAME",
}

// defaultMessages are Apache Thrift's texts for exceptions without a
// message, which Kitex uses too.
var defaultMessages = [...]string{
	ExUnknown:               "unknown application exception",
	ExUnknownMethod:         "unknown method",
	ExInvalidMessageType:    "invalid message type",
	ExWrongMethodName:       "wrong method name",
	ExBadSequenceID:         "bad sequence ID",
	ExMissingResult:         "missing result",
	ExInternalError:         "unknown internal error",
	ExProtocolError:         "unknown protocol error",
	ExInvalidTransform:      "Invalid transform",
	ExInvalidProtocol:       "Invalid protocol",
	ExUnsupportedClientType: "Unsupported client type",
}

// String returns the upper-case name of t (for example "UNKNOWN_METHOD"),
// or "ExceptionType(n)" for an unknown code.
func (t ExceptionType) String() string {
	if t >= 0 && int(t) < len(exceptionNames) && exceptionNames[t] != "" {
		return exceptionNames[t]
	}
	return "ExceptionType(" + strconv.Itoa(int(t)) + ")"
}

// ApplicationException is Thrift's TApplicationException: the struct an
// EXCEPTION message carries. It implements [Struct] and error.
//
// The encoders write field 1 (message, even when empty), then field 2
// (type), then STOP, as Kitex does. The decoders accept the fields in any
// order and skip unknown ones.
type ApplicationException struct {
	Message string        // Message is field 1.
	Type    ExceptionType // Type is field 2.
}

// NewApplicationException returns an ApplicationException of type t with
// message msg.
func NewApplicationException(t ExceptionType, msg string) *ApplicationException {
	return &ApplicationException{Message: msg, Type: t}
}

// Error returns the message, or, when it is empty, Apache's default text
// for the type ("unknown method", ...; "unknown exception type [n]" for
// types without one), as Kitex does.
func (e *ApplicationException) Error() string {
	if e.Message != "" {
		return e.Message
	}
	if e.Type >= 0 && int(e.Type) < len(defaultMessages) {
		return defaultMessages[e.Type]
	}
	return "unknown exception type [" + strconv.Itoa(int(e.Type)) + "]"
}

// TypeID returns the type as an int32, for code that reads Kitex's
// TransError and Apache's exceptions through the same method.
func (e *ApplicationException) TypeID() int32 { return int32(e.Type) }

// BinarySize returns the exact size of the binary encoding.
func (e *ApplicationException) BinarySize() int {
	return FieldBeginSize + SizeString(e.Message) + FieldBeginSize + I32Size + FieldStopSize
}

// AppendBinary appends `0b 00 01 <len> <msg> 08 00 02 <type> 00`.
func (e *ApplicationException) AppendBinary(b []byte) []byte {
	b = AppendFieldBegin(b, STRING, 1)
	b = AppendString(b, e.Message)
	b = AppendFieldBegin(b, I32, 2)
	b = AppendI32(b, int32(e.Type))
	return AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into e.
func (e *ApplicationException) ConsumeBinary(b []byte) (int, error) {
	*e = ApplicationException{}
	off := 0
	for {
		t, id, n, err := ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == STOP {
			return off, nil
		}
		switch {
		case id == 1 && t == STRING:
			e.Message, n, err = ConsumeString(b[off:])
		case id == 2 && t == I32:
			var v int32
			v, n, err = ConsumeI32(b[off:])
			e.Type = ExceptionType(v)
		default:
			n, err = SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// AppendCompact appends the compact encoding (field 1, field 2, STOP).
func (e *ApplicationException) AppendCompact(b []byte) []byte {
	b = AppendCompactFieldBegin(b, STRING, 1, 0)
	b = AppendCompactString(b, e.Message)
	b = AppendCompactFieldBegin(b, I32, 2, 1)
	b = AppendCompactI32(b, int32(e.Type))
	return AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into e.
func (e *ApplicationException) ConsumeCompact(b []byte) (int, error) {
	*e = ApplicationException{}
	off := 0
	var last int16
	for {
		t, id, _, n, err := ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == STOP {
			return off, nil
		}
		last = id
		switch {
		case id == 1 && t == STRING:
			e.Message, n, err = ConsumeCompactString(b[off:])
		case id == 2 && t == I32:
			var v int32
			v, n, err = ConsumeCompactI32(b[off:])
			e.Type = ExceptionType(v)
		default:
			n, err = SkipCompactField(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}
