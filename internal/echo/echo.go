// Package echo holds the Thrift types of the echo service behind the
// captured Kitex vectors (echo.thrift: service EchoServer), with
// hand-written codecs shaped like generated code: every struct implements
// [thrift.Struct] for the binary and the compact protocol.
//
// Encoding follows Kitex's generated code: required and default fields are
// always written, optional fields only when non-nil, and a nil struct
// pointer (a nil receiver included) encodes as an empty struct. Decoding
// resets the receiver, skips unknown fields and fields of an unexpected
// type, and fails with an error satisfying
// errors.Is(err, [thrift.ErrRequiredField]) when a required field is
// missing.
package echo

import "fmt"

// ServiceName is the IDL name of the service.
const ServiceName = "EchoServer"

// Method names of EchoServer.
const (
	MethodEcho              = "Echo"
	MethodEchoComplex       = "EchoComplex"
	MethodEchoWithException = "EchoWithException"
	MethodEchoOneway        = "EchoOneway"
)

// Request is the argument of Echo, EchoWithException and EchoOneway.
type Request struct {
	Action string // Action is field 1, required.
	Msg    string // Msg is field 2, required.
}

// Response is the result of Echo and EchoWithException.
type Response struct {
	Action string // Action is field 1, required.
	Msg    string // Msg is field 2, required.
}

// SubMessage is an element of the EchoComplex payload.
type SubMessage struct {
	ID    *int64  // ID is field 1, optional.
	Value *string // Value is field 2, optional.
}

// Message is an element of the EchoComplex payload.
type Message struct {
	ID          *int64        // ID is field 1, optional.
	Value       *string       // Value is field 2, optional.
	SubMessages []*SubMessage // SubMessages is field 3, optional list<SubMessage>.
}

// ComplexRequest is the argument of EchoComplex.
type ComplexRequest struct {
	Action   string                 // Action is field 1, required.
	Msg      string                 // Msg is field 2, required.
	MsgMap   map[string]*SubMessage // MsgMap is field 3, required map<string, SubMessage>.
	SubMsgs  []*SubMessage          // SubMsgs is field 4, required list<SubMessage>.
	MsgSet   []*Message             // MsgSet is field 5, optional set<Message>.
	FlagMsg  *Message               // FlagMsg is field 6, required.
	MockCost *string                // MockCost is field 7, optional.
}

// ComplexResponse is the result of EchoComplex.
type ComplexResponse struct {
	Action  string                 // Action is field 1, required.
	Msg     string                 // Msg is field 2, required.
	MsgMap  map[string]*SubMessage // MsgMap is field 3, required map<string, SubMessage>.
	SubMsgs []*SubMessage          // SubMsgs is field 4, required list<SubMessage>.
	MsgSet  []*Message             // MsgSet is field 5, optional set<Message>.
	FlagMsg *Message               // FlagMsg is field 6, required.
}

// EchoException is the exception EchoWithException declares (result field
// 1). It implements error.
type EchoException struct {
	Code    int32  // Code is field 1.
	Message string // Message is field 2.
}

// Error returns the text Kitex's generated code gives, for example
// "EchoException({Code:42 Message:kitexlab declared exception})".
func (e *EchoException) Error() string {
	if e == nil {
		return "EchoException(<nil>)"
	}
	return fmt.Sprintf("EchoException(%+v)", *e)
}

// EchoArgs is the argument struct of Echo.
type EchoArgs struct {
	Req *Request // Req is field 1.
}

// EchoResult is the result struct of Echo.
type EchoResult struct {
	Success *Response // Success is field 0, written when non-nil.
}

// EchoComplexArgs is the argument struct of EchoComplex.
type EchoComplexArgs struct {
	Req *ComplexRequest // Req is field 1.
}

// EchoComplexResult is the result struct of EchoComplex.
type EchoComplexResult struct {
	Success *ComplexResponse // Success is field 0, written when non-nil.
}

// EchoWithExceptionArgs is the argument struct of EchoWithException.
type EchoWithExceptionArgs struct {
	Req *Request // Req is field 1.
}

// EchoWithExceptionResult is the result struct of EchoWithException.
type EchoWithExceptionResult struct {
	Success *Response      // Success is field 0, written when non-nil.
	Err     *EchoException // Err is field 1, written when non-nil.
}

// EchoOnewayArgs is the argument struct of EchoOneway (a oneway method: it
// has no result struct).
type EchoOnewayArgs struct {
	Req *Request // Req is field 1.
}
