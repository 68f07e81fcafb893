// Package kite is a small, fast, stdlib-first RPC library that speaks the
// wire protocols of the Kitex ecosystem — Thrift binary and compact over
// TTHeader, Framed and Buffered — so a Kite service calls and is called by
// Kitex and Apache Thrift peers.
//
// A server registers services described by a [ServiceInfo] and serves them
// on one port, recognising every framing per message:
//
//	srv := kite.NewServer(kite.WithAddress(":8888"))
//	srv.Register(echo.NewServiceInfo(), handler)
//	srv.Run() // until SIGINT/SIGTERM, then a graceful shutdown
//
// A client calls methods by name with generated argument and result structs:
//
//	cli, _ := kite.NewClient("EchoServer", kite.WithHostPorts("127.0.0.1:8888"))
//	err := cli.Call(ctx, "Echo", &args, &result)
//
// Both sides run [Middleware] around an [Endpoint], as Kitex does, and see
// the call's [RPCInfo]. Failures are [*Error] values with a [Code];
// business errors are [*BizError]. Metadata crosses hops with [WithValue]
// and [WithPersistentValue].
package kite

import (
	"context"
	"net"
	"time"

	"github.com/kite-rpc/kite/codec/ttheader"
	"github.com/kite-rpc/kite/transport"
)

// Endpoint is one step of a call: req is the argument struct, resp the
// result struct.
type Endpoint func(ctx context.Context, req, resp any) error

// Middleware wraps an Endpoint, as in Kitex.
type Middleware func(Endpoint) Endpoint

// chain composes middlewares so that the first one given runs outermost.
func chain(mws []Middleware, e Endpoint) Endpoint {
	for i := len(mws) - 1; i >= 0; i-- {
		e = mws[i](e)
	}
	return e
}

// ServiceInfo describes a service: its IDL name and its methods. Generated
// code provides one per service.
type ServiceInfo struct {
	// Name is the IDL service name; Kitex peers send it as the TTHeader
	// key "isn" to pick a service on a multi-service server.
	Name string
	// Package is the IDL package: the protobuf package, or the Thrift
	// namespace. gRPC names a method /<Package>.<Name>/<Method>
	// (/<Name>/<Method> when Package is empty).
	Package string
	// Methods maps method names to their descriptions.
	Methods map[string]MethodInfo
}

// MethodInfo describes one method of a service.
type MethodInfo struct {
	// Handler calls the implementation impl (the value given to
	// Server.Register) with the decoded args and fills result. It returns
	// nil when the implementation returned a declared exception, which it
	// stores in result as the IDL's result field.
	Handler func(ctx context.Context, impl, args, result any) error
	// NewArgs and NewResult allocate the method's argument and result
	// structs (thrift.Struct values for Thrift methods).
	NewArgs   func() any
	NewResult func() any
	// Oneway methods get no reply.
	Oneway bool
	// Streaming says whether the method is a gRPC streaming method, and of
	// which kind; the zero value is a unary method. A streaming method's
	// Handler is called with a *ServerStream as args and a nil result.
	Streaming StreamKind
}

// RPCInfo describes the call in progress; middlewares and handlers read it
// with [RPCInfoFromContext]. Kite reuses RPCInfo values: one is valid until
// the call (client) or handler (server) returns.
type RPCInfo struct {
	// Service and Method name the callee.
	Service, Method string
	// Caller and CallerMethod name the calling service and method when the
	// caller sent them (TTHeader int keys 3 and 20).
	Caller, CallerMethod string
	// SeqID is the message's sequence id.
	SeqID int32
	// RemoteAddr is the peer's address (on a client, once connected).
	RemoteAddr net.Addr
	// Transport is the framing the request used.
	Transport transport.Framing
	// Protocol is the payload encoding.
	Protocol transport.Payload
	// Start is when the call began (client) or its frame was read (server).
	Start time.Time
	// Sent and Received are when the request was written and the reply read
	// (client), or the request read and the reply written (server).
	Sent, Received time.Time

	// client-side per-call settings
	target         string // WithTarget: no balancing
	addr           string // the instance this attempt goes to
	hashKey        string
	timeout        time.Duration
	timeoutSet     bool          // by WithTimeout: per-method policies do not apply
	connectTimeout time.Duration // per-method policy; 0: the client's
	server         bool
	method         *method // server: the method being served

	hdr      ttheader.Header // request header (client) / reply header (server)
	msg      transport.Message
	backward []ttheader.StrKV  // server: values for the reply
	mux      transport.MuxCall // client: WithMuxConnection's wait, kept with its buffer
	meta     *metaNode         // server: the request's metainfo (handlerBase)
	h2       grpcCall          // gRPC calls: metadata in and out (grpc.go)
}

type rpcInfoKey struct{}

// RPCInfoFromContext returns the RPCInfo of the call ctx belongs to, or nil.
func RPCInfoFromContext(ctx context.Context) *RPCInfo {
	ri, _ := ctx.Value(rpcInfoKey{}).(*RPCInfo)
	return ri
}

func (ri *RPCInfo) reset() {
	hdr, msg, bw, mux := ri.hdr, ri.msg, ri.backward[:0], ri.mux
	hdr.Reset()
	msg.Body = nil
	if cap(mux.Reply) > 64<<10 {
		mux.Reply = nil
	}
	if cap(mux.Req) > 64<<10 {
		mux.Req = nil
	}
	*ri = RPCInfo{hdr: hdr, msg: msg, backward: bw, mux: mux}
}
