package kite

import (
	"context"
	"errors"
	"strconv"
)

// Code classifies an [Error]. Each code maps to a Thrift
// TApplicationException type ([Code.ThriftType]) and a gRPC status code
// ([Code.GRPCCode]), and back ([CodeFromThrift], [CodeFromGRPC]).
type Code uint8

// Codes. The first group are the Thrift TApplicationException types
// (including Kitex's 20 and 21); the second group are conditions a caller
// meets before or around the wire, named as gRPC names them.
const (
	CodeOK                    Code = iota // no error; what CodeOf(nil) returns
	CodeUnknown                           // Thrift 0 UNKNOWN
	CodeUnknownMethod                     // Thrift 1 UNKNOWN_METHOD
	CodeInvalidMessageType                // Thrift 2 INVALID_MESSAGE_TYPE
	CodeWrongMethodName                   // Thrift 3 WRONG_METHOD_NAME
	CodeBadSequenceID                     // Thrift 4 BAD_SEQUENCE_ID
	CodeMissingResult                     // Thrift 5 MISSING_RESULT
	CodeInternal                          // Thrift 6 INTERNAL_ERROR: handler errors and panics
	CodeProtocol                          // Thrift 7 PROTOCOL_ERROR: bytes that do not decode
	CodeInvalidTransform                  // Thrift 8 INVALID_TRANSFORM
	CodeInvalidProtocol                   // Thrift 9 INVALID_PROTOCOL
	CodeUnsupportedClientType             // Thrift 10 UNSUPPORTED_CLIENT_TYPE
	CodeUnknownService                    // Thrift 20 (Kitex): no service has the method
	CodeNoServiceName                     // Thrift 21 (Kitex): no service name given
	CodeCanceled                          // the caller's context was canceled
	CodeDeadlineExceeded                  // the call's deadline or RPC timeout passed
	CodeUnavailable                       // no connection could be made, or it broke
	CodeResourceExhausted                 // a limit refused the call
	CodePermissionDenied                  // an ACL rule refused the call
	CodeInvalidArgument                   // the caller passed something unusable
	numCodes
)

var codeNames = [numCodes]string{
	"ok", "unknown", "unknown method", "invalid message type", "wrong method name",
	"bad sequence id", "missing result", "internal error", "protocol error",
	"invalid transform", "invalid protocol", "unsupported client type",
	"unknown service", "no service name", "canceled", "deadline exceeded",
	"unavailable", "resource exhausted", "permission denied", "invalid argument",
}

// thriftTypes maps a Code to its TApplicationException type.
var thriftTypes = [numCodes]int32{0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 21, 6, 6, 6, 6, 6, 6}

// grpcCodes maps a Code to a gRPC status code (codes.Code values).
var grpcCodes = [numCodes]uint32{0, 2, 12, 13, 13, 13, 13, 13, 13, 13, 13, 13, 12, 3, 1, 4, 14, 8, 7, 3}

// String returns the code's name in lower case, e.g. "deadline exceeded".
func (c Code) String() string {
	if c < numCodes {
		return codeNames[c]
	}
	return "code(" + strconv.Itoa(int(c)) + ")"
}

// MarshalText implements encoding.TextMarshaler with [Code.String].
func (c Code) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// ThriftType returns the TApplicationException type that carries c on the
// wire. Codes without a Thrift counterpart travel as INTERNAL_ERROR (6).
func (c Code) ThriftType() int32 {
	if c < numCodes {
		return thriftTypes[c]
	}
	return 0
}

// GRPCCode returns the gRPC status code for c.
func (c Code) GRPCCode() uint32 {
	if c < numCodes {
		return grpcCodes[c]
	}
	return 2
}

// CodeFromThrift returns the Code of a TApplicationException type.
// Unknown types give CodeUnknown.
func CodeFromThrift(t int32) Code {
	switch {
	case t >= 0 && t <= 10:
		return Code(t) + CodeUnknown
	case t == 20:
		return CodeUnknownService
	case t == 21:
		return CodeNoServiceName
	}
	return CodeUnknown
}

// CodeFromGRPC returns the Code of a gRPC status code.
func CodeFromGRPC(c uint32) Code {
	switch c {
	case 0:
		return CodeOK
	case 1:
		return CodeCanceled
	case 3, 9, 11:
		return CodeInvalidArgument
	case 4:
		return CodeDeadlineExceeded
	case 7, 16:
		return CodePermissionDenied
	case 8:
		return CodeResourceExhausted
	case 12:
		return CodeUnknownMethod
	case 13, 15:
		return CodeInternal
	case 14:
		return CodeUnavailable
	}
	return CodeUnknown
}

// Error is the error a [Client] returns for everything but business
// errors: a Code, a message, and the underlying cause when there is one.
// Errors from the remote side (TApplicationException replies) have Remote set.
// A timeout satisfies net.Error and errors.Is(err, context.DeadlineExceeded).
type Error struct {
	Code    Code
	Message string
	// Remote is true when the peer sent this error as an exception reply.
	Remote bool
	// Err is the cause, if any; Unwrap returns it.
	Err error
}

// NewError returns an *Error with code c and message msg. A handler that
// returns one makes the server reply with an exception of c's Thrift type.
func NewError(c Code, msg string) *Error { return &Error{Code: c, Message: msg} }

// Error formats as "kite: <code>: <message>", with the cause appended.
func (e *Error) Error() string {
	s := "kite: " + e.Code.String()
	if e.Remote {
		s += " (remote)"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil && (e.Message == "" || e.Message != e.Err.Error()) {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, context.DeadlineExceeded) and context.Canceled
// true for the matching codes even when the cause is a network error.
func (e *Error) Is(target error) bool {
	switch target {
	case context.DeadlineExceeded:
		return e.Code == CodeDeadlineExceeded
	case context.Canceled:
		return e.Code == CodeCanceled
	}
	return false
}

// Timeout reports whether the call ran out of time (net.Error).
func (e *Error) Timeout() bool { return e.Code == CodeDeadlineExceeded }

// Temporary reports whether retrying may help (net.Error).
func (e *Error) Temporary() bool {
	return e.Code == CodeDeadlineExceeded || e.Code == CodeUnavailable || e.Code == CodeResourceExhausted
}

// CodeOf returns the Code of err: CodeOK for nil, the Code of an *Error in
// its chain, CodeCanceled / CodeDeadlineExceeded for the context errors,
// and CodeUnknown otherwise. A *BizError is CodeInternal, as Kitex's gRPC
// status mapping treats it.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	var ke *Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return CodeDeadlineExceeded
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	var be *BizError
	if errors.As(err, &be) {
		return CodeInternal
	}
	return CodeUnknown
}

// BizError is a business status error: an application-level code, message
// and extra key/values that a handler returns and the caller receives as a
// *BizError, carried in TTHeader (biz-status, biz-message, biz-extra) as
// Kitex's BizStatusError is. Over Buffered and Framed there is no place for
// it: the caller gets an empty reply, as with Kitex.
type BizError struct {
	Code    int32
	Message string
	Extra   map[string]string
}

// NewBizError returns a business error; extra may be nil.
func NewBizError(code int32, msg string, extra map[string]string) *BizError {
	return &BizError{Code: code, Message: msg, Extra: extra}
}

// Error formats as Kitex does: "biz error: code=<c>, msg=<m>".
func (e *BizError) Error() string {
	return "biz error: code=" + strconv.Itoa(int(e.Code)) + ", msg=" + e.Message
}
