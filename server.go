package kite

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/ttheader"
	"github.com/kite-rpc/kite/epoll"
	"github.com/kite-rpc/kite/govern"
	"github.com/kite-rpc/kite/transport"
)

// ErrServerClosed is returned by Serve and Run after Shutdown.
var ErrServerClosed = errors.New("kite: server closed")

type serverConfig struct {
	limit       govern.LimitPolicy
	acl         []govern.ACLRule
	registry    govern.Registry
	instance    govern.Instance
	addr        string
	rwTimeout   time.Duration
	idleTimeout time.Duration
	exitWait    time.Duration
	maxFrame    int
	mws         []Middleware
	logger      *slog.Logger
	poller      *epoll.Poller // WithPoller; nil is the net path
	pollerSet   bool          // WithPoller given (else pollerDefault)
	tls         *tls.Config   // WithTLS (grpc.go)
	h2ka        grpcServerKeepalive
}

// Server serves registered services on one or more listeners, recognising
// Buffered, Framed, TTHeader and TTHeader+Framed framing of Thrift binary
// and compact messages on every connection, per message. Replies use the
// request's framing and protocol. Requests on one connection are handled
// one after another, so pipelined requests are answered in order.
type Server struct {
	cfg      serverConfig
	endpoint Endpoint
	riPool   sync.Pool

	mu        sync.Mutex // guards the fields below
	services  []*service
	byName    map[string]*service
	started   bool
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}

	gov      serverGovern
	shutdown atomic.Bool
	wg       sync.WaitGroup // Serve loops and connections
	h2       h2Server       // gRPC over HTTP/2 (grpc.go)
	workers  workerPool     // out-of-order requests (server_async.go)
}

type service struct {
	info    *ServiceInfo
	impl    any
	methods map[string]*method
}

type method struct {
	name string
	info MethodInfo
	svc  *service
}

type serverConn struct {
	nc     net.Conn
	mu     sync.Mutex // guards active, dead, mux and closeLater
	active int        // requests being handled, in order or out of order
	dead   bool
	mux    bool   // a request carried TTHeader's SupportOutOfOrder: a mux client
	closed func() // poller: close the connection once no request is active

	async sync.WaitGroup // out-of-order requests running (net path: waited for)
	out   asyncConn      // what out-of-order requests reply through
}

// begin marks a request of msg active; false means the connection is being
// closed and the request must not start. outOfOrder reports a request whose
// client takes replies in any order (TTHeader FLAGS SupportOutOfOrder, as
// Kitex's and Kite's mux clients send): it is served on a goroutine of its
// own, as Kitex's mux server does, so a slow call does not hold up the
// calls pipelined behind it.
func (sc *serverConn) begin(msg *transport.Message) (ok, outOfOrder bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.dead {
		return false, false
	}
	sc.active++
	if msg.Framing.HasTTHeader() && msg.Header.Flags&ttheader.FlagSupportOutOfOrder != 0 {
		sc.mux = true
		return true, true
	}
	return true, false
}

// end marks a request done and reports whether the server is shutting
// down. A connection then still answers the requests whose whole frames
// it already holds (pipelined behind this one), with crrst, and closes.
// idle reports that no other request is active.
func (sc *serverConn) end(s *Server) (draining, idle bool) {
	sc.mu.Lock()
	sc.active--
	draining = sc.dead || s.shutdown.Load()
	idle = sc.active == 0
	var closeNow func()
	if idle && sc.closed != nil {
		closeNow, sc.closed = sc.closed, nil
	}
	sc.mu.Unlock()
	if closeNow != nil {
		closeNow()
	}
	return draining, idle
}

// closeWhenIdle runs close now, or once the last active request ends.
func (sc *serverConn) closeWhenIdle(close func()) {
	sc.mu.Lock()
	if sc.active > 0 {
		sc.closed = close
		sc.mu.Unlock()
		return
	}
	sc.mu.Unlock()
	close()
}

// closeForShutdownLocked closes an idle connection of a shutting-down
// server, telling a mux client first with Kitex's control frame, as
// Kitex's mux server does (best effort: an idle connection's socket has
// room). The caller holds sc.mu.
func (sc *serverConn) closeForShutdownLocked() {
	if sc.mux {
		_ = sc.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = sc.nc.Write(muxControlFrame)
	}
	_ = sc.nc.Close()
}

// muxControlFrame is what Kitex's mux server sends every connection when
// it shuts down (WIRE.md §7.3): TTHeader sequence id 0 carrying crrst and a
// REPLY "none". A mux client then stops sending on the connection.
var muxControlFrame = []byte{0x00, 0x00, 0x00, 0x2b, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x05, 'c', 'r', 'r', 's', 't', 0x00, 0x01, '1', 0x00, 0x80, 0x01, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x04, 'n', 'o', 'n', 'e', 0x00, 0x00, 0x00, 0x00, 0x00}

// NewServer returns a server; add services with Register, then call Serve
// or Run. Defaults: address ":8888" (Run only), read/write timeout 5 s for
// a started request and its reply, idle connections closed after 10
// minutes, 5 s to finish in-flight calls on Run's shutdown.
func NewServer(opts ...ServerOption) *Server {
	s := &Server{
		cfg: serverConfig{
			addr:        ":8888",
			rwTimeout:   5 * time.Second,
			idleTimeout: 10 * time.Minute,
			exitWait:    5 * time.Second,
		},
		byName:    make(map[string]*service),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*serverConn]struct{}),
	}
	for _, o := range opts {
		o.applyServer(&s.cfg)
	}
	if s.cfg.logger == nil {
		s.cfg.logger = slog.Default()
	}
	s.riPool.New = func() any { return &RPCInfo{server: true} }
	s.endpoint = chain(s.cfg.mws, s.invokeHandler)
	s.initGovern()
	return s
}

// Register adds a service implemented by impl. Several services may share a
// server; a request names its service with the TTHeader key "isn", and a
// request without one goes to the first registered service that has the
// method. Register fails after Serve has started or for a duplicate name.
func (s *Server) Register(info *ServiceInfo, impl any) error {
	if info == nil || info.Name == "" {
		return &Error{Code: CodeInvalidArgument, Message: "Register: service info without a name"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return &Error{Code: CodeInvalidArgument, Message: "Register after Serve"}
	}
	if _, dup := s.byName[info.Name]; dup {
		return &Error{Code: CodeInvalidArgument, Message: "service " + info.Name + " registered twice"}
	}
	svc := &service{info: info, impl: impl, methods: make(map[string]*method, len(info.Methods))}
	for name, mi := range info.Methods {
		if mi.Handler == nil || mi.NewArgs == nil || (!mi.Oneway && mi.NewResult == nil) {
			return &Error{Code: CodeInvalidArgument, Message: "method " + info.Name + "." + name + " lacks Handler, NewArgs or NewResult"}
		}
		svc.methods[name] = &method{name: name, info: mi, svc: svc}
	}
	s.services = append(s.services, svc)
	s.byName[info.Name] = svc
	return nil
}

// Serve accepts connections on ln until Shutdown, then returns
// ErrServerClosed. Serve may be called on several listeners.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shutdown.Load() {
		s.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	s.started = true
	s.listeners[ln] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	s.register(ln)

	if p := s.cfg.pollerOrDefault(); p != nil && s.cfg.tls == nil {
		if pl, err := p.NewListener(ln); err == nil {
			return s.servePoll(ln, pl)
		}
	}
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shutdown.Load() {
				return ErrServerClosed
			}
			if s.backOff(err, &backoff, false) {
				continue
			}
			s.mu.Lock()
			delete(s.listeners, ln)
			s.mu.Unlock()
			return err
		}
		backoff = 0
		if !s.acceptConn() {
			_ = nc.Close() // over MaxConnections
			continue
		}
		sc := &serverConn{nc: nc}
		s.mu.Lock()
		if s.shutdown.Load() {
			s.mu.Unlock()
			_ = nc.Close()
			s.connClosed()
			return ErrServerClosed
		}
		s.conns[sc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(sc)
	}
}

// backOff handles a failed Accept: for a transient failure (EMFILE and
// friends, a timeout, or whatever transient says) it sleeps, doubling the
// wait up to 1 s and logging once per storm, and reports true so the caller
// accepts again instead of spinning.
func (s *Server) backOff(err error, backoff *time.Duration, transient bool) bool {
	var ne net.Error
	if !transient && !(errors.As(err, &ne) && ne.Timeout()) && !isTemporary(err) {
		return false
	}
	if *backoff == 0 {
		*backoff = 5 * time.Millisecond
		s.cfg.logger.Warn("kite: accept failed; backing off", "err", err)
	} else if *backoff < time.Second {
		*backoff *= 2
	}
	time.Sleep(*backoff)
	return true
}

func isTemporary(err error) bool {
	var se *os.SyscallError
	if errors.As(err, &se) {
		switch se.Err {
		case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED:
			return true
		}
	}
	return false
}

// Run listens on the configured address (WithAddress, default ":8888"),
// serves until SIGINT or SIGTERM, then shuts down gracefully, giving
// in-flight calls the exit wait time (WithExitWaitTime) to finish.
func (s *Server) Run() error {
	ln, err := net.Listen("tcp", s.cfg.addr)
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-sig:
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.exitWait)
	defer cancel()
	err = s.Shutdown(ctx)
	<-errc
	return err
}

// Shutdown stops accepting, closes idle connections, lets in-flight calls
// finish — their replies carry the TTHeader key crrst=1 so Kitex and Kite
// clients drop the connection — and closes each connection after its reply.
// gRPC connections get GOAWAY and finish their streams. If ctx ends first,
// the remaining connections are closed and ctx's error returned; gRPC
// streams still open then end with RST_STREAM 1000 for Kitex and Kite
// clients (UNAVAILABLE "graceful shutdown" to them) and, for other
// clients, with a final GOAWAY and the close (UNAVAILABLE to grpc-go).
func (s *Server) Shutdown(ctx context.Context) error {
	s.deregister(ctx)
	s.mu.Lock()
	s.shutdown.Store(true)
	for ln := range s.listeners {
		_ = ln.Close()
		delete(s.listeners, ln)
	}
	for sc := range s.conns {
		sc.mu.Lock()
		if sc.active == 0 {
			sc.dead = true
			sc.closeForShutdownLocked()
		}
		sc.mu.Unlock()
	}
	s.goAwayHTTP2() // grpc.go: HTTP/2 connections drain with GOAWAY
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	s.mu.Unlock()
	select {
	case <-done:
		s.workers.stop()
		return nil
	case <-ctx.Done():
		s.closeHTTP2() // grpc.go: reset open gRPC streams, final GOAWAY
		s.mu.Lock()
		for sc := range s.conns {
			_ = sc.nc.Close()
		}
		s.mu.Unlock()
		<-done
		s.workers.stop()
		return ctx.Err()
	}
}

func (s *Server) serveConn(sc *serverConn) {
	defer func() {
		sc.async.Wait() // out-of-order requests still answer
		_ = sc.nc.Close()
		s.connClosed()
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
		s.wg.Done()
	}()
	if s.cfg.tls != nil && s.startTLS(sc) { // grpc.go
		return
	}
	rd := transport.NewReader(sc.nc, s.cfg.maxFrame)
	var (
		msg  transport.Message
		wbuf []byte
	)
	out := &queueWriter{Conn: sc.nc}
	defer out.close()
	for {
		if !rd.FrameBuffered() && out.flush() != nil {
			return
		}
		if s.cfg.idleTimeout > 0 {
			_ = sc.nc.SetReadDeadline(time.Now().Add(s.cfg.idleTimeout))
		}
		if err := rd.ReadMessage(&msg); err != nil {
			if errors.Is(err, transport.ErrHTTP2Preface) {
				s.serveHTTP2(sc, rd.Peeked()) // grpc.go
			}
			// EOF, idle timeout, garbage: close without a reply, as Kitex does.
			return
		}
		ok, outOfOrder := sc.begin(&msg)
		if !ok {
			return
		}
		if outOfOrder {
			s.handleAsync(sc, rd.Frame(), &msg) // copies both
			continue
		}
		var closeConn bool
		out.more = rd.FrameBuffered()
		wbuf, closeConn = s.handle(out, &msg, wbuf[:0])
		if cap(wbuf) > 64<<10 {
			wbuf = nil
		}
		if draining, _ := sc.end(s); closeConn || (draining && !rd.FrameBuffered()) {
			return
		}
	}
}

// queueWriter is the net path's reply writer: while another whole request
// is already buffered (the caller pipelines), replies are queued and sent
// together, in one write, before the server next waits for input, or by a
// timer once the first of them has waited maxReplyDelay (a slow handler
// must not hold the replies of the requests before it).
type queueWriter struct {
	net.Conn
	more bool // another whole request is buffered behind this one

	mu sync.Mutex  // guards q against the timer's flush
	q  []byte      // queued replies
	t  *time.Timer // flushes q; made on first use
}

// Write queues p while more requests are buffered, else writes it after
// what is queued.
func (w *queueWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if !w.more && len(w.q) == 0 {
		w.mu.Unlock()
		return w.Conn.Write(p)
	}
	first := len(w.q) == 0
	w.q = append(w.q, p...)
	if w.more && len(w.q) < maxQueuedReplies {
		if first {
			if w.t == nil {
				w.t = time.AfterFunc(maxReplyDelay, func() { _ = w.flush() })
			} else {
				w.t.Reset(maxReplyDelay)
			}
		}
		w.mu.Unlock()
		return len(p), nil
	}
	err := w.flushLocked()
	w.mu.Unlock()
	return len(p), err
}

// flush writes the queued replies.
func (w *queueWriter) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *queueWriter) flushLocked() error {
	if len(w.q) == 0 {
		return nil
	}
	if w.t != nil {
		w.t.Stop()
	}
	_, err := w.Conn.Write(w.q)
	if cap(w.q) > 16<<10 { // an idle connection keeps no large queue
		w.q = nil
	} else {
		w.q = w.q[:0]
	}
	return err
}

// close flushes and stops the timer, when the connection ends.
func (w *queueWriter) close() {
	_ = w.flush()
	w.mu.Lock()
	if w.t != nil {
		w.t.Stop()
	}
	w.mu.Unlock()
}

// handle serves one request and writes its reply, if any. It reports
// whether the connection must be closed afterwards.
func (s *Server) handle(nc net.Conn, msg *transport.Message, buf []byte) ([]byte, bool) {
	var p thrift.Protocol
	switch msg.Payload {
	case transport.ThriftBinary:
		p = thrift.Binary
	case transport.ThriftCompact:
		p = thrift.Compact
	case transport.KitexProtobuf:
		return s.handleKPB(nc, msg, buf) // kpb.go
	default:
		return buf, true
	}
	name, typ, seq, n, err := thrift.ConsumeMessageBegin(msg.Body, p)
	if err != nil || (typ != thrift.Call && typ != thrift.Oneway) {
		return buf, true // no method name to answer with: close silently
	}
	ri := s.riPool.Get().(*RPCInfo)
	defer func() { ri.reset(); ri.server = true; s.riPool.Put(ri) }()
	ri.Start = time.Now()
	ri.Received = ri.Start
	ri.SeqID = seq
	ri.RemoteAddr = nc.RemoteAddr()
	ri.Transport, ri.Protocol = msg.Framing, msg.Payload
	if msg.Framing.HasTTHeader() {
		ri.Caller, _ = msg.Header.Int(ttheader.FromService)
		ri.CallerMethod, _ = msg.Header.Int(ttheader.FromMethod)
	}

	m, exType, exMsg := s.lookup(msg, name)
	if m == nil {
		ri.Method = string(name)
		return s.reply(nc, ri, msg, p, buf, thrift.Exception, thrift.NewApplicationException(exType, exMsg), nil, true), true
	}
	ri.Service, ri.Method = m.svc.info.Name, m.name
	args := m.info.NewArgs()
	as, ok := args.(thrift.Struct)
	if !ok {
		return s.reply(nc, ri, msg, p, buf, thrift.Exception, thrift.NewApplicationException(thrift.ExInvalidProtocol, "args of "+m.name+" are not a Thrift struct"), nil, true), true
	}
	if _, err := thrift.Consume(msg.Body[n:], p, as); err != nil {
		return s.reply(nc, ri, msg, p, buf, thrift.Exception, thrift.NewApplicationException(thrift.ExProtocolError, err.Error()), nil, true), true
	}
	var result any
	if !m.info.Oneway {
		result = m.info.NewResult()
	}

	ctx, cancel := handlerContext(ri, msg)
	if cancel != nil {
		defer cancel()
	}
	ri.method = m
	err = s.call(ctx, m, args, result)
	if m.info.Oneway {
		return buf, false
	}
	if err == nil {
		rs, ok := result.(thrift.Struct)
		if !ok {
			return s.reply(nc, ri, msg, p, buf, thrift.Exception, thrift.NewApplicationException(thrift.ExInvalidProtocol, "result of "+m.name+" is not a Thrift struct"), nil, false), false
		}
		return s.reply(nc, ri, msg, p, buf, thrift.Reply, rs, nil, false), false
	}
	if be := bizErrorOf(err); be != nil {
		return s.reply(nc, ri, msg, p, buf, thrift.Reply, emptyStruct{}, be, false), false
	}
	return s.reply(nc, ri, msg, p, buf, thrift.Exception, exceptionOf(err), nil, false), false
}

// bizErrorOf returns the *BizError in err's chain, or nil. (A function of
// its own so that the variable errors.As needs is only allocated when a
// handler failed.)
func bizErrorOf(err error) *BizError {
	var be *BizError
	if errors.As(err, &be) {
		return be
	}
	return nil
}

// call runs the middleware chain and the handler, turning a panic into an
// error reply.
func (s *Server) call(ctx context.Context, m *method, args, result any) (err error) {
	if err := s.admit(ctx, m); err != nil {
		return err // limits and ACL run before middlewares
	}
	defer s.done()
	defer func() {
		if v := recover(); v != nil {
			s.cfg.logger.Error("kite: handler panic", "service", m.svc.info.Name, "method", m.name,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = panicError{msg: "panic: [happened in biz handler, method=" + m.svc.info.Name + "." + m.name +
				", please check the panic at the server side] " + fmt.Sprint(v)}
		}
	}()
	return s.endpoint(ctx, args, result)
}

// invokeHandler is the innermost endpoint: the user's implementation.
func (s *Server) invokeHandler(ctx context.Context, args, result any) error {
	m := RPCInfoFromContext(ctx).method
	return m.info.Handler(ctx, m.svc.impl, args, result)
}

// handlerContext builds a handler's context from a request: its RPCInfo,
// the metainfo (from TTHeader's or a MeshHeader's string keys) and, from
// TTHeader int key 12, the caller's deadline. cancel is nil when no
// deadline was set.
func handlerContext(ri *RPCInfo, msg *transport.Message) (ctx context.Context, cancel context.CancelFunc) {
	ctx = handlerBase{ri}
	if msg.Mesh {
		ri.meta = incoming(&msg.Header)
		return ctx, nil
	}
	if !msg.Framing.HasTTHeader() {
		return ctx, nil
	}
	ri.meta = incoming(&msg.Header)
	if v, ok := msg.Header.Int(ttheader.RPCTimeout); ok {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
			ctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
		}
	}
	return ctx, cancel
}

// handlerBase is the root of a handler's context: Background with the
// call's RPCInfo and incoming metainfo as values. It lives in the pooled
// RPCInfo, where context.WithValue would allocate twice per request.
type handlerBase struct{ ri *RPCInfo }

func (handlerBase) Deadline() (time.Time, bool) { return time.Time{}, false }
func (handlerBase) Done() <-chan struct{}       { return nil }
func (handlerBase) Err() error                  { return nil }

// Value returns the RPCInfo and the metainfo; nil for any other key.
func (c handlerBase) Value(key any) any {
	switch key.(type) {
	case rpcInfoKey:
		return c.ri
	case metaKey:
		if c.ri.meta != nil {
			return c.ri.meta
		}
	}
	return nil
}

func (handlerBase) String() string { return "kite.handlerContext" }

type panicError struct{ msg string }

func (e panicError) Error() string { return e.msg }

// exceptionOf turns a handler error into the TApplicationException Kitex
// sends for it (WIRE.md §1.5).
func exceptionOf(err error) *thrift.ApplicationException {
	var ad admissionError
	if errors.As(err, &ad) {
		return thrift.NewApplicationException(thrift.ExInternalError, ad.err.Message)
	}
	var pe panicError
	if errors.As(err, &pe) {
		return thrift.NewApplicationException(thrift.ExInternalError, pe.msg)
	}
	var ae *thrift.ApplicationException
	if errors.As(err, &ae) {
		return thrift.NewApplicationException(ae.Type, ae.Message+" [biz error]")
	}
	var ke *Error
	if errors.As(err, &ke) {
		return thrift.NewApplicationException(thrift.ExceptionType(ke.Code.ThriftType()), ke.Message+" [biz error]")
	}
	return thrift.NewApplicationException(thrift.ExInternalError, "biz error: "+err.Error())
}

// lookup finds the method a request names (WIRE.md §8.2).
func (s *Server) lookup(msg *transport.Message, name []byte) (*method, thrift.ExceptionType, string) {
	isn := ""
	if msg.Framing.HasTTHeader() {
		isn, _ = msg.Header.Str(ttheader.KeyIDLServiceName)
	}
	if isn != "" {
		if svc := s.byName[isn]; svc != nil {
			if m := svc.methods[string(name)]; m != nil {
				return m, 0, ""
			}
			return nil, thrift.ExUnknownMethod, "unknown method " + string(name) + " (service " + isn + ")"
		}
		// An unknown isn: the method decides if exactly one service has it.
		var found *method
		for _, svc := range s.services {
			if m := svc.methods[string(name)]; m != nil {
				if found != nil {
					found = nil
					break
				}
				found = m
			}
		}
		if found != nil {
			return found, 0, ""
		}
		return nil, thrift.ExUnknownService, "unknown service " + isn + ", method " + string(name)
	}
	for _, svc := range s.services {
		if m := svc.methods[string(name)]; m != nil {
			return m, 0, ""
		}
	}
	return nil, thrift.ExUnknownService, "unknown service , method " + string(name)
}

// reply encodes and writes one reply in the request's framing.
func (s *Server) reply(nc net.Conn, ri *RPCInfo, req *transport.Message, p thrift.Protocol, buf []byte,
	typ thrift.MessageType, body thrift.Struct, be *BizError, closing bool) []byte {
	h := &ri.hdr
	if req.Framing.HasTTHeader() {
		h.Reset()
		h.SeqID = ri.SeqID
		h.ProtocolID = req.Header.ProtocolID
		if be != nil {
			h.SetStr(ttheader.KeyBizStatus, strconv.Itoa(int(be.Code)))
			h.SetStr(ttheader.KeyBizMessage, be.Message)
			if len(be.Extra) > 0 {
				if x, err := json.Marshal(be.Extra); err == nil {
					h.SetStr(ttheader.KeyBizExtra, string(x))
				}
			}
		}
		if closing || s.shutdown.Load() {
			h.SetStr(ttheader.KeyConnReset, "1")
		}
		for _, e := range ri.backward {
			h.SetStr(e.Key, e.Value)
		}
		if typ == thrift.Reply {
			h.SetInt(ttheader.MsgType, "2")
		} else {
			h.SetInt(ttheader.MsgType, "3")
		}
	}
	var err error
	if buf, err = transport.BeginFrame(buf, req.Framing, h); err != nil {
		s.cfg.logger.Warn("kite: reply header", "err", err)
		return buf
	}
	buf = thrift.AppendMessageBegin(buf, p, ri.Method, typ, ri.SeqID)
	buf = thrift.Append(buf, p, body)
	transport.EndFrame(buf, 0, req.Framing)
	if s.cfg.rwTimeout > 0 {
		_ = nc.SetWriteDeadline(time.Now().Add(s.cfg.rwTimeout))
	}
	if _, err := nc.Write(buf); err == nil {
		ri.Sent = time.Now()
	}
	return buf
}

// emptyStruct is the result struct of a business-error reply: just STOP.
type emptyStruct struct{}

func (emptyStruct) BinarySize() int               { return 1 }
func (emptyStruct) AppendBinary(b []byte) []byte  { return append(b, 0) }
func (emptyStruct) AppendCompact(b []byte) []byte { return append(b, 0) }
func (emptyStruct) ConsumeBinary(b []byte) (int, error) {
	return thrift.Skip(b, thrift.Binary, thrift.STRUCT)
}
func (emptyStruct) ConsumeCompact(b []byte) (int, error) {
	return thrift.Skip(b, thrift.Compact, thrift.STRUCT)
}

// Server options.

type addressOption string

func (o addressOption) applyServer(c *serverConfig) { c.addr = string(o) }
func (o addressOption) String() string              { return "WithAddress(" + string(o) + ")" }

// WithAddress sets the address Run listens on. The default is ":8888", as
// Kitex's; the last value given wins. Serve ignores it.
func WithAddress(addr string) ServerOption { return addressOption(addr) }

type idleTimeoutOption time.Duration

func (o idleTimeoutOption) applyServer(c *serverConfig) { c.idleTimeout = time.Duration(o) }
func (o idleTimeoutOption) String() string {
	return "WithIdleTimeout(" + time.Duration(o).String() + ")"
}

// WithIdleTimeout closes connections that send nothing for d. The default
// is 10 minutes, as Kitex's; zero disables it. The last value given wins.
func WithIdleTimeout(d time.Duration) ServerOption { return idleTimeoutOption(d) }

type exitWaitOption time.Duration

func (o exitWaitOption) applyServer(c *serverConfig) { c.exitWait = time.Duration(o) }
func (o exitWaitOption) String() string {
	return "WithExitWaitTime(" + time.Duration(o).String() + ")"
}

// WithExitWaitTime sets how long Run's graceful shutdown waits for
// in-flight calls. The default is 5 s; the last value given wins.
func WithExitWaitTime(d time.Duration) ServerOption { return exitWaitOption(d) }
