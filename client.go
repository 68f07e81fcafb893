package kite

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/ttheader"
	"github.com/kite-rpc/kite/epoll"
	"github.com/kite-rpc/kite/govern"
	"github.com/kite-rpc/kite/transport"
)

type clientConfig struct {
	hostPorts      []string
	framing        transport.Framing
	protocol       thrift.Protocol
	rpcTimeout     time.Duration
	connectTimeout time.Duration
	connectSet     bool // WithConnectTimeout given: sent as int key 17
	rwTimeout      time.Duration
	idlService     string
	svcInfo        *ServiceInfo
	resolver       govern.Resolver
	balancer       govern.Balancer
	retry          govern.RetryPolicies
	breaker        *govern.BreakerPolicy
	limit          govern.LimitPolicy
	acl            []govern.ACLRule
	fallback       govern.Fallback
	timeouts       govern.TimeoutPolicy
	short          bool
	muxConns       int // WithMuxConnection (client_mux.go)
	longCfg        transport.LongPoolConfig
	maxFrame       int
	mws            []Middleware
	logger         *slog.Logger
	idlPackage     string      // WithServiceInfo: ServiceInfo.Package, for gRPC paths
	kpb            bool        // WithKitexProtobuf: calls go out as Kitex Protobuf (kpb.go)
	grpc           bool        // WithGRPC: calls go out as gRPC over HTTP/2 (grpc.go)
	tls            *tls.Config // WithTLS: gRPC connections use TLS (grpc.go)
	gzip           bool        // WithCompression("gzip"): gRPC messages compressed
	h2ka           GRPCKeepalive

	poller    *epoll.Poller // WithPoller; nil is the net path
	pollerSet bool          // WithPoller given (else pollerDefault)
}

// Client calls the methods of one service. It is safe for concurrent use;
// create one per service and reuse it.
type Client struct {
	service  string
	cfg      clientConfig
	pool     transport.Pool
	mux      *transport.MuxPool // WithMuxConnection (client_mux.go)
	endpoint Endpoint           // nil without middlewares
	gov      clientGovern

	// the configured timeouts in ms, formatted once for TTHeader
	rpcMS, connectMS       int64
	rpcMSStr, connectMSStr string
	riPool                 sync.Pool
	closed                 atomic.Bool
	h2                     h2Pool // WithGRPC: HTTP/2 connections (grpc.go)
}

// NewClient returns a client of the named service. With no options it sends
// Thrift binary over TTHeader+Framed — what Kitex sends when asked for
// TTHeader, and what carries deadlines, metainfo and business errors — using
// a long connection pool. An address must come from [WithHostPorts] or,
// per call, from [WithTarget].
func NewClient(service string, opts ...ClientOption) (*Client, error) {
	c := &Client{service: service, cfg: clientConfig{
		framing:        transport.TTHeaderFramed,
		protocol:       thrift.Binary,
		connectTimeout: time.Second,
	}}
	for _, o := range opts {
		o.applyClient(&c.cfg)
	}
	if c.cfg.logger == nil {
		c.cfg.logger = slog.Default()
	}
	for _, hp := range c.cfg.hostPorts {
		if _, _, err := net.SplitHostPort(hp); err != nil {
			return nil, &Error{Code: CodeInvalidArgument, Message: "bad address " + strconv.Quote(hp), Err: err}
		}
	}
	switch c.cfg.framing {
	case transport.Buffered, transport.Framed, transport.TTHeader, transport.TTHeaderFramed:
	default:
		return nil, &Error{Code: CodeInvalidArgument, Message: "unknown transport " + c.cfg.framing.String()}
	}
	d := c.cfg.dialer()
	if c.cfg.muxConns > 0 {
		if err := c.muxCheck(); err != nil {
			return nil, err
		}
		c.mux = transport.NewMuxPool(d, c.cfg.muxConns, c.cfg.maxFrame)
	}
	if c.cfg.short {
		c.pool = transport.NewShortPool(d, c.cfg.maxFrame)
	} else {
		c.pool = transport.NewLongPool(d, c.cfg.longCfg, c.cfg.maxFrame)
	}
	if len(c.cfg.mws) > 0 {
		c.endpoint = chain(c.cfg.mws, func(ctx context.Context, req, resp any) error {
			return c.send(ctx, RPCInfoFromContext(ctx), req, resp)
		})
	}
	c.riPool.New = func() any { return new(RPCInfo) }
	c.rpcMS, c.connectMS = c.cfg.rpcTimeout.Milliseconds(), c.cfg.connectTimeout.Milliseconds()
	c.rpcMSStr, c.connectMSStr = strconv.FormatInt(c.rpcMS, 10), strconv.FormatInt(c.connectMS, 10)
	if err := c.initGovern(); err != nil {
		_ = c.pool.Close()
		if c.mux != nil {
			_ = c.mux.Close()
		}
		return nil, err
	}
	return c, nil
}

// Close closes the client's idle connections; calls after Close fail.
func (c *Client) Close() error {
	c.closed.Store(true)
	if c.gov.watcher != nil {
		c.gov.watcher.Stop()
	}
	c.h2.close() // grpc.go
	if c.mux != nil {
		_ = c.mux.Close()
	}
	return c.pool.Close()
}

var seqID atomic.Int32

// nextSeqID returns a process-wide sequence id that is never 0, as Kitex's.
func nextSeqID() int32 {
	for {
		if id := seqID.Add(1); id != 0 {
			return id
		}
	}
}

// Call invokes method with args and decodes the reply into result. For
// Thrift, args and result are the method's generated argument and result
// wrappers (thrift.Struct); result is nil for a oneway method. A declared
// exception arrives in result's exception field with a nil error; other
// failures are an *Error, and a server's business error a *BizError.
func (c *Client) Call(ctx context.Context, method string, args, result any, opts ...CallOption) error {
	if c.closed.Load() {
		return &Error{Code: CodeUnavailable, Message: "client closed"}
	}
	ri := c.riPool.Get().(*RPCInfo)
	ri.Service, ri.Method = c.service, method
	ri.Start = time.Now()
	ri.timeout = c.cfg.rpcTimeout
	for _, o := range opts {
		o.applyCall(ri)
	}
	var err error
	if c.endpoint != nil {
		err = c.endpoint(context.WithValue(ctx, rpcInfoKey{}, ri), args, result)
	} else {
		err = c.send(ctx, ri, args, result)
	}
	ri.reset()
	c.riPool.Put(ri)
	return err
}

var pastTime = time.Unix(1, 0)

// invoke makes the call on the wire.
func (c *Client) invoke(ctx context.Context, ri *RPCInfo, args, result any) error {
	switch { // protobuf calls: kpb.go, grpc.go
	case c.cfg.kpb:
		return c.invokeKPB(ctx, ri, args, result)
	case c.cfg.grpc:
		return c.invokeGRPC(ctx, ri, args, result)
	}
	req, ok := args.(thrift.Struct)
	if !ok {
		return &Error{Code: CodeInvalidArgument, Message: "args do not implement thrift.Struct"}
	}
	var res thrift.Struct
	oneway := result == nil
	if !oneway {
		if res, ok = result.(thrift.Struct); !ok {
			return &Error{Code: CodeInvalidArgument, Message: "result does not implement thrift.Struct"}
		}
	}
	if err := ctx.Err(); err != nil {
		return ctxError(err)
	}
	deadline, hasDeadline := ctx.Deadline()
	if ri.timeout > 0 {
		if d := ri.Start.Add(ri.timeout); !hasDeadline || d.Before(deadline) {
			deadline, hasDeadline = d, true
		}
	}
	typ := thrift.Call
	if oneway {
		typ = thrift.Oneway
	}
	if c.mux != nil { // WithMuxConnection
		return c.invokeMux(ctx, ri, req, res, typ, deadline, hasDeadline)
	}
	dctx, cancel := connectContext(ctx, ri)
	conn, err := c.pool.Get(dctx, ri.addr)
	cancel()
	if err != nil {
		return connectError(ctx, ri.addr, err, deadline, hasDeadline)
	}
	c.startThrift(ri, conn.RemoteAddr())

	reuse := false
	defer func() { c.pool.Put(conn, reuse) }()

	switch {
	case hasDeadline:
		_ = conn.SetDeadline(deadline)
	case c.cfg.rwTimeout > 0:
		_ = conn.SetDeadline(time.Now().Add(c.cfg.rwTimeout))
	default:
		_ = conn.SetDeadline(time.Time{})
	}
	if ctx.Done() != nil {
		// Cancellation interrupts the blocked read or write.
		stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(pastTime) })
		defer func() {
			if !stop() {
				// The cancellation may still be setting a past deadline:
				// the connection must not go back to the pool.
				reuse = false
			}
		}()
	}

	buf, err := c.encodeCall(ctx, ri, conn.Buf[:0], req, typ, deadline, hasDeadline)
	conn.Buf = buf
	if err != nil {
		return err
	}
	if _, err = conn.Write(buf); err != nil {
		return c.ioError(ctx, "write", err)
	}
	ri.Sent = time.Now()
	if oneway {
		return nil // like Kitex, never reuse: a reply to a oneway call would poison the pool
	}

	m := &ri.msg
	if err = conn.Reader.ReadMessage(m); err != nil {
		if errors.Is(err, transport.ErrFrameTooLarge) || errors.Is(err, transport.ErrInvalidFrame) {
			return &Error{Code: CodeProtocol, Message: "read reply", Err: err}
		}
		return c.ioError(ctx, "read", err)
	}
	ri.Received = time.Now()
	reuse, err = decodeReply(ctx, ri, m, res)
	return err
}

// connectContext bounds dialling by the call's connect timeout (a
// per-method WithTimeouts policy) and ctx; a shorter RPC timeout is not
// applied to it, which would cost a context per call.
func connectContext(ctx context.Context, ri *RPCInfo) (context.Context, context.CancelFunc) {
	if ri.connectTimeout > 0 {
		return context.WithTimeout(ctx, ri.connectTimeout)
	}
	return ctx, func() {}
}

// startThrift records a Thrift call's connection and wire settings and
// gives it its sequence id.
func (c *Client) startThrift(ri *RPCInfo, remote net.Addr) {
	ri.RemoteAddr = remote
	ri.Transport, ri.Protocol = c.cfg.framing, payloadOf(c.cfg.protocol)
	ri.SeqID = nextSeqID()
}

// connectError is the error of a call that got no connection to addr.
func connectError(ctx context.Context, addr string, err error, deadline time.Time, hasDeadline bool) error {
	if ctx.Err() != nil {
		return ctxError(ctx.Err())
	}
	if hasDeadline && !time.Now().Before(deadline) {
		return &Error{Code: CodeDeadlineExceeded, Message: "connect to " + addr, Err: err}
	}
	return &Error{Code: CodeUnavailable, Message: "connect to " + addr, Err: err}
}

// encodeCall appends the request frame of ri's call to buf.
func (c *Client) encodeCall(ctx context.Context, ri *RPCInfo, buf []byte, req thrift.Struct, typ thrift.MessageType, deadline time.Time, hasDeadline bool) ([]byte, error) {
	h := &ri.hdr
	if c.cfg.framing.HasTTHeader() {
		c.fillHeader(ctx, ri, h, typ, deadline, hasDeadline)
		if c.mux != nil {
			h.Flags = ttheader.FlagSupportOutOfOrder // as Kitex's mux client
		}
	}
	need := transport.Overhead(c.cfg.framing, h) + thrift.MessageBeginSize(c.cfg.protocol, ri.Method) + req.BinarySize()
	if cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	buf, err := transport.BeginFrame(buf, c.cfg.framing, h)
	if err != nil {
		return buf, &Error{Code: CodeInvalidArgument, Message: "encode header", Err: err}
	}
	buf = thrift.AppendMessageBegin(buf, c.cfg.protocol, ri.Method, typ, ri.SeqID)
	buf = thrift.Append(buf, c.cfg.protocol, req)
	transport.EndFrame(buf, 0, c.cfg.framing)
	return buf, nil
}

// decodeReply decodes reply m of ri's call into res. It reports whether
// the connection may carry more calls (see readReplyHeader).
func decodeReply(ctx context.Context, ri *RPCInfo, m *transport.Message, res thrift.Struct) (reuse bool, err error) {
	var p thrift.Protocol
	switch m.Payload {
	case transport.ThriftBinary:
		p = thrift.Binary
	case transport.ThriftCompact:
		p = thrift.Compact
	default:
		return false, &Error{Code: CodeInvalidProtocol, Message: "reply payload is " + m.Payload.String()}
	}
	name, rtyp, rseq, n, err := thrift.ConsumeMessageBegin(m.Body, p)
	if err != nil {
		return false, &Error{Code: CodeProtocol, Message: "reply envelope", Err: err}
	}
	body := m.Body[n:]
	switch rtyp {
	case thrift.Exception:
		var ae thrift.ApplicationException
		if _, err := thrift.Consume(body, p, &ae); err != nil {
			return false, &Error{Code: CodeProtocol, Message: "exception reply", Err: err}
		}
		return false, remoteException(int32(ae.Type), ae.Error())
	case thrift.Reply:
	default:
		return false, &Error{Code: CodeInvalidMessageType, Message: "reply message type " + strconv.Itoa(int(rtyp))}
	}
	if err := checkReply(ri, name, rseq); err != nil {
		return false, err
	}
	if _, err := thrift.Consume(body, p, res); err != nil {
		return false, &Error{Code: CodeProtocol, Message: "decode result", Err: err}
	}
	return readReplyHeader(ctx, m)
}

// checkReply checks a REPLY envelope against the call, as Kitex does.
func checkReply(ri *RPCInfo, name []byte, seq int32) error {
	if seq != ri.SeqID {
		return &Error{Code: CodeBadSequenceID, Message: "reply seqid " + strconv.Itoa(int(seq)) + ", want " + strconv.Itoa(int(ri.SeqID))}
	}
	if string(name) != ri.Method {
		return &Error{Code: CodeWrongMethodName, Message: "wrong method name, expect=" + ri.Method + ", actual=" + string(name)}
	}
	return nil
}

// readReplyHeader applies what a reply's TTHeader says: backward values go
// to ctx's store, a business status becomes the call's *BizError, and crrst
// (or a malformed status) keeps the connection out of the pool. It reports
// whether the connection may be reused.
func readReplyHeader(ctx context.Context, m *transport.Message) (reuse bool, err error) {
	if !m.Framing.HasTTHeader() {
		return true, nil
	}
	v, _ := m.Header.Str(ttheader.KeyConnReset)
	reuse = v == ""
	if len(m.Header.Strs) > 0 {
		recordBackward(ctx, &m.Header)
	}
	be, err := bizError(&m.Header)
	switch {
	case err != nil:
		return false, err
	case be != nil:
		return reuse, be
	}
	return reuse, nil
}

// fillHeader writes the rich TTHeader Kitex's ClientTTHeaderHandler sends,
// plus the call's metainfo.
func (c *Client) fillHeader(ctx context.Context, ri *RPCInfo, h *ttheader.Header, typ thrift.MessageType, deadline time.Time, hasDeadline bool) {
	h.Reset()
	h.SeqID = ri.SeqID
	if c.cfg.protocol == thrift.Compact {
		h.ProtocolID = ttheader.ProtocolCompact
	}
	if c.cfg.framing.HasLength() {
		h.SetInt(ttheader.TransportType, "framed")
	} else {
		h.SetInt(ttheader.TransportType, "unframed")
	}
	var from, fromMethod string
	if up := RPCInfoFromContext(ctx); up != nil && up.server {
		from, fromMethod = up.Service, up.Method
	}
	h.SetInt(ttheader.FromService, from)
	h.SetInt(ttheader.ToService, c.service)
	h.SetInt(ttheader.ToMethod, ri.Method)
	h.SetInt(ttheader.FromMethod, fromMethod)
	if typ == thrift.Oneway {
		h.SetInt(ttheader.MsgType, "4")
	} else {
		h.SetInt(ttheader.MsgType, "1")
	}
	if hasDeadline {
		// The configured RPC timeout, as Kitex sends it; or, when a context
		// deadline comes sooner, what is left of it, so deadlines propagate
		// across hops (Kitex drops them).
		var ms int64
		if ri.timeout > 0 && deadline.Equal(ri.Start.Add(ri.timeout)) {
			ms = ri.timeout.Milliseconds()
		} else {
			ms = time.Until(deadline).Milliseconds()
		}
		if ms < 1 {
			ms = 1
		}
		h.SetInt(ttheader.RPCTimeout, c.msString(ms))
	}
	if c.cfg.connectSet && c.cfg.connectTimeout > 0 {
		h.SetInt(ttheader.ConnectTimeout, c.msString(c.cfg.connectTimeout.Milliseconds()))
	}
	isn := c.cfg.idlService
	if isn == "" {
		isn = c.service
	}
	h.SetStr(ttheader.KeyIDLServiceName, isn)
	appendOutgoing(ctx, h)
}

// msString formats a millisecond count for a TTHeader key, reusing the
// strings of the client's configured timeouts so a call with a fixed RPC
// timeout does not allocate one.
func (c *Client) msString(ms int64) string {
	switch ms {
	case c.rpcMS:
		return c.rpcMSStr
	case c.connectMS:
		return c.connectMSStr
	}
	return strconv.FormatInt(ms, 10)
}

// bizError reads a business status error from a reply header.
func bizError(h *ttheader.Header) (*BizError, error) {
	s, ok := h.Str(ttheader.KeyBizStatus)
	if !ok || s == "" || s == "0" {
		return nil, nil
	}
	code, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return nil, &Error{Code: CodeProtocol, Message: "malformed biz-status " + strconv.Quote(s)}
	}
	be := &BizError{Code: int32(code)}
	be.Message, _ = h.Str(ttheader.KeyBizMessage)
	if x, ok := h.Str(ttheader.KeyBizExtra); ok && x != "" {
		if err := json.Unmarshal([]byte(x), &be.Extra); err != nil {
			return nil, &Error{Code: CodeProtocol, Message: "malformed header info, extra: " + x, Err: err}
		}
	}
	return be, nil
}

func ctxError(err error) *Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeDeadlineExceeded, Err: err}
	}
	return &Error{Code: CodeCanceled, Err: err}
}

// ioError classifies a failed read or write on a connection.
func (c *Client) ioError(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return &Error{Code: codeOfCtx(cerr), Message: op, Err: cerr}
	}
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &Error{Code: CodeDeadlineExceeded, Message: op, Err: err}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Code: CodeUnavailable, Message: op + ": connection closed by peer", Err: err}
	}
	return &Error{Code: CodeUnavailable, Message: op, Err: err}
}

func codeOfCtx(err error) Code {
	if errors.Is(err, context.DeadlineExceeded) {
		return CodeDeadlineExceeded
	}
	return CodeCanceled
}

func payloadOf(p thrift.Protocol) transport.Payload {
	if p == thrift.Compact {
		return transport.ThriftCompact
	}
	return transport.ThriftBinary
}

// Client options.

type hostPortsOption []string

func (o hostPortsOption) applyClient(c *clientConfig) { c.hostPorts = append(c.hostPorts, o...) }
func (o hostPortsOption) String() string {
	return "WithHostPorts(" + strings.Join(o, ", ") + ")"
}

// WithHostPorts sets the addresses ("host:port") calls go to, taken in
// turn. Giving it twice adds to the list. There is no default.
func WithHostPorts(addrs ...string) ClientOption { return hostPortsOption(addrs) }

type transportOption transport.Framing

func (o transportOption) applyClient(c *clientConfig) { c.framing = transport.Framing(o) }
func (o transportOption) String() string {
	return "WithTransport(" + transport.Framing(o).String() + ")"
}

// WithTransport sets the framing of requests: transport.Buffered,
// transport.Framed (what Apache Thrift servers and Kitex's default client
// use), transport.TTHeader or transport.TTHeaderFramed (the default). The
// last value given wins.
func WithTransport(f transport.Framing) ClientOption { return transportOption(f) }

type protocolOption thrift.Protocol

func (o protocolOption) applyClient(c *clientConfig) { c.protocol = thrift.Protocol(o) }
func (o protocolOption) String() string {
	return "WithProtocol(" + thrift.Protocol(o).String() + ")"
}

// WithProtocol sets the Thrift protocol: thrift.Binary (the default; the
// only one Kitex servers accept) or thrift.Compact. The last value wins.
func WithProtocol(p thrift.Protocol) ClientOption { return protocolOption(p) }

type rpcTimeoutOption time.Duration

func (o rpcTimeoutOption) applyClient(c *clientConfig) { c.rpcTimeout = time.Duration(o) }
func (o rpcTimeoutOption) String() string {
	return "WithRPCTimeout(" + time.Duration(o).String() + ")"
}

// WithRPCTimeout bounds every call, connecting included; a context deadline
// that comes sooner wins. Over TTHeader the time left travels to the server
// (int key 12), which makes it the handler's deadline. The default is none.
// The last value given wins.
func WithRPCTimeout(d time.Duration) ClientOption { return rpcTimeoutOption(d) }

type connectTimeoutOption time.Duration

func (o connectTimeoutOption) applyClient(c *clientConfig) {
	c.connectTimeout, c.connectSet = time.Duration(o), true
}
func (o connectTimeoutOption) String() string {
	return "WithConnectTimeout(" + time.Duration(o).String() + ")"
}

// WithConnectTimeout bounds dialling a connection. The default is 1 s
// (Kitex's 50 ms fails under ordinary load spikes). The last value wins.
func WithConnectTimeout(d time.Duration) ClientOption { return connectTimeoutOption(d) }

type shortConnOption struct{}

func (shortConnOption) applyClient(c *clientConfig) { c.short = true }
func (shortConnOption) String() string              { return "WithShortConnection()" }

// WithShortConnection makes every call use a new connection, closed after
// the reply. The default is a long connection pool.
func WithShortConnection() ClientOption { return shortConnOption{} }

type longConnOption transport.LongPoolConfig

func (o longConnOption) applyClient(c *clientConfig) {
	c.short = false
	c.longCfg = transport.LongPoolConfig(o)
}
func (o longConnOption) String() string {
	return "WithLongConnection(" + strconv.Itoa(o.MaxIdlePerAddress) + ", " + strconv.Itoa(o.MaxIdleGlobal) + ", " + o.MaxIdleTimeout.String() + ")"
}

// WithLongConnection tunes the long connection pool, the default: by
// default 10 idle connections per address, 100 in all, closed after one
// idle minute (zero fields keep those). The last value given wins.
func WithLongConnection(cfg transport.LongPoolConfig) ClientOption { return longConnOption(cfg) }

type serviceInfoOption struct{ info *ServiceInfo }

func (o serviceInfoOption) applyClient(c *clientConfig) {
	if o.info != nil {
		c.idlService = o.info.Name
		c.idlPackage = o.info.Package
		c.svcInfo = o.info
	}
}
func (o serviceInfoOption) String() string { return "WithServiceInfo(...)" }

// WithServiceInfo tells the client which IDL service it calls; generated
// clients pass it. Its name travels as the TTHeader key "isn", which picks
// the service on a multi-service server; without it the client's service
// name is sent. The last value given wins.
func WithServiceInfo(info *ServiceInfo) ClientOption { return serviceInfoOption{info} }

// Call options.

type targetOption string

func (o targetOption) applyCall(ri *RPCInfo) { ri.target = string(o) }
func (o targetOption) String() string        { return "WithTarget(" + string(o) + ")" }

// WithTarget sends one call to addr instead of the client's addresses.
func WithTarget(addr string) CallOption { return targetOption(addr) }

type timeoutOption time.Duration

func (o timeoutOption) applyCall(ri *RPCInfo) { ri.timeout, ri.timeoutSet = time.Duration(o), true }
func (o timeoutOption) String() string        { return "WithTimeout(" + time.Duration(o).String() + ")" }

// WithTimeout sets one call's RPC timeout, replacing WithRPCTimeout's.
func WithTimeout(d time.Duration) CallOption { return timeoutOption(d) }
