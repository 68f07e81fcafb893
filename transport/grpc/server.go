package grpc

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// shutdownPing is the PING data of a graceful shutdown (as grpc-go and
// Kitex send it): its ACK means the client has seen the first GOAWAY.
var shutdownPing = [8]byte{1, 6, 1, 8, 0, 3, 3, 9}

// Server serves gRPC on HTTP/2 connections handed to [Server.ServeConn].
type Server struct {
	cfg     Config
	handler func(*Stream)
	unary   func(path string) bool

	mu       sync.Mutex // guards conns, shutdown and closed
	conns    map[*conn]struct{}
	shutdown bool
	closed   bool
}

// NewServer returns a server that runs handler, in a goroutine of its
// own, for every stream. For paths unary reports true, the handler starts
// once the whole request has arrived; for others (streaming methods) as
// soon as the headers have. unary may be nil (every path streams).
// handler must finish the stream with [Stream.WriteStatus].
//
// Keepalive PINGs are on by default, every 2 hours without traffic, as on
// grpc-go servers: a client that vanished without closing its socket
// (host down, NAT state dropped) otherwise holds its streams and their
// handlers for ever, and an idle PING costs one timer per connection.
func NewServer(cfg Config, handler func(*Stream), unary func(path string) bool) *Server {
	if unary == nil {
		unary = func(string) bool { return false }
	}
	if cfg.Keepalive.Time == 0 {
		cfg.Keepalive.Time = defaultServerKeepaliveTime
	}
	return &Server{cfg: cfg.withDefaults(), handler: handler, unary: unary, conns: make(map[*conn]struct{})}
}

// ServeConn serves one connection until it closes. peeked holds bytes
// already read from nc (the start of the client preface, at least); they
// are read before nc. ServeConn closes nc, and returns once every handler
// it started has returned.
func (srv *Server) ServeConn(nc net.Conn, peeked []byte) {
	var r io.Reader = nc
	if len(peeked) > 0 {
		r = io.MultiReader(bytes.NewReader(append([]byte(nil), peeked...)), nc)
	}
	c := newConn(nc, r, srv.cfg, false)
	c.srv = srv
	var pf [len(http2.ClientPreface)]byte
	if _, err := io.ReadFull(c.br, pf[:]); err != nil || string(pf[:]) != http2.ClientPreface {
		_ = nc.Close()
		return
	}
	c.wbuf = c.initialFrames(c.wbuf)
	c.wsignaled = true
	c.wsignal <- struct{}{}
	c.startKeepalive()
	srv.mu.Lock()
	if srv.closed {
		srv.mu.Unlock()
		c.close(ErrConnClosed)
		return
	}
	srv.conns[c] = struct{}{}
	down := srv.shutdown
	srv.mu.Unlock()
	if down {
		c.goAway("graceful shutdown")
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.writeLoop() }()
	c.hwg = &sync.WaitGroup{}
	c.readLoop()
	wg.Wait()
	c.hwg.Wait()
	srv.mu.Lock()
	delete(srv.conns, c)
	srv.mu.Unlock()
}

// GoAway starts a graceful shutdown of every connection: GOAWAY and a
// PING, then, once the client has acknowledged it, a final GOAWAY naming
// the last stream served. Connections close when their streams finish.
// Connections served later get the same treatment at once.
func (srv *Server) GoAway() {
	srv.mu.Lock()
	srv.shutdown = true
	conns := make([]*conn, 0, len(srv.conns))
	for c := range srv.conns {
		conns = append(conns, c)
	}
	srv.mu.Unlock()
	for _, c := range conns {
		c.goAway("graceful shutdown")
	}
}

// Close ends every connection now, for when a graceful shutdown ran out
// of time: the handlers of streams still open see their contexts
// cancelled, Kitex and Kite clients get RST_STREAM with Kitex's code 1000
// for each (they read it as UNAVAILABLE "graceful shutdown"), a final
// GOAWAY names the last stream served, and each connection closes once
// those frames are written. Other clients, grpc-go's among them, get no
// reset (to them 1000 is UNKNOWN and CANCEL is CANCELLED, which retry
// policies do not retry): the close after the GOAWAY reads as UNAVAILABLE,
// as when a grpc-go server stops. Close returns when the connections have
// closed, after at most 100 ms of writing. Connections served later are
// closed at once.
func (srv *Server) Close() {
	srv.mu.Lock()
	srv.closed = true
	conns := make([]*conn, 0, len(srv.conns))
	for c := range srv.conns {
		conns = append(conns, c)
	}
	srv.mu.Unlock()
	for _, c := range conns {
		c.abort("server closed")
	}
	t := time.NewTimer(abortFlush)
	defer t.Stop()
	expired := false
	for _, c := range conns {
		if !expired {
			select {
			case <-c.done:
			case <-t.C:
				expired = true // the rest are closed without waiting
			}
		}
		c.close(ErrConnClosed)
	}
}

// goAway starts a graceful shutdown of the connection: GOAWAY with debug,
// and the PING whose ack leads to the final GOAWAY.
func (c *conn) goAway(debug string) {
	c.mu.Lock()
	if c.draining {
		c.mu.Unlock()
		return
	}
	c.draining = true
	c.mu.Unlock()
	c.queue(func(b []byte) []byte {
		b = appendGoAway(b, 0x7fffffff, http2.ErrCodeNo, debug)
		return appendPing(b, false, shutdownPing)
	})
}

func (c *conn) finalGoAway() {
	c.mu.Lock()
	if c.finalSent {
		c.mu.Unlock()
		return
	}
	c.finalSent = true
	c.lastID = c.maxID
	last := c.lastID
	idle := len(c.streams) == 0
	c.mu.Unlock()
	c.queue(func(b []byte) []byte { return appendGoAway(b, last, http2.ErrCodeNo, "") })
	if idle {
		c.flushAndClose()
	}
}

// onRequestHeaders starts a stream (server side).
func (c *conn) onRequestHeaders(h *headerBlock) {
	id := h.streamID
	c.mu.Lock()
	if s := c.streams[id]; s != nil {
		c.mu.Unlock()
		if h.ended { // trailers from the client: the end of its messages
			s.onData(nil, 0, true)
		}
		return
	}
	if id%2 == 0 || id <= c.maxID {
		c.mu.Unlock()
		c.queue(func(b []byte) []byte { return appendRSTStream(b, id, http2.ErrCodeStreamClosed) })
		return
	}
	c.maxID = id
	if c.finalSent && id > c.lastID {
		c.mu.Unlock()
		c.queue(func(b []byte) []byte { return appendRSTStream(b, id, http2.ErrCodeRefusedStream) })
		return
	}
	s := newStream(c, id)
	method := h.method
	var enc, acceptEnc, timeout string
	for _, hf := range h.fields {
		switch hf.Name {
		case ":path":
			s.Path = hf.Value
		case ":authority":
			s.Authority = hf.Value
		case "content-type":
			s.ContentType = hf.Value
		case "user-agent":
			s.UserAgent = hf.Value
		case "grpc-timeout":
			timeout = hf.Value
		case "grpc-encoding":
			enc = hf.Value
		case "grpc-accept-encoding":
			acceptEnc = hf.Value
		}
	}
	s.Header = s.keepFields(h.regular())
	if timeout != "" {
		if d, ok := DecodeTimeout(timeout); ok {
			s.Deadline = time.Now().Add(d)
		}
	}
	// The context and kind are set before the stream is published: a
	// connection closing at once fails (cancels, and for a unary method
	// starts) every published stream.
	s.ctx, s.cancel = streamCtx(context.Background(), s.Deadline)
	s.unary = c.srv.unary(s.Path)
	c.streams[id] = s
	c.wmu.Lock()
	s.sendWin = c.peerWin
	c.wmu.Unlock()
	c.mu.Unlock()

	switch {
	case method != "POST":
		s.reject("405", 13, "grpc: invalid :method "+method)
		return
	case !strings.HasPrefix(s.ContentType, "application/grpc"):
		s.reject("415", 13, "grpc: invalid gRPC request content-type "+s.ContentType)
		return
	}
	switch enc {
	case "", "identity":
	case "gzip":
		s.recvGzip = true
		s.sendGzip = acceptsGzip(acceptEnc) || acceptEnc == ""
	default:
		c.wmu.Lock()
		s.hdrSent = true // trailers-only below, with grpc-accept-encoding
		c.wmu.Unlock()
		s.WriteStatus(12, "grpc: Decompressor is not installed for grpc-encoding \""+enc+"\"",
			[]hpack.HeaderField{{Name: "grpc-accept-encoding", Value: "gzip"}})
		return
	}
	if h.ended { // no messages: a unary handler starts at the end, here
		s.onData(nil, 0, true)
	}
	if !s.unary {
		s.start() // a streaming handler may answer a stream without messages
	}
}

// reject answers a request that is not gRPC with an HTTP status.
func (s *Stream) reject(status string, code uint32, msg string) {
	c := s.c
	c.wmu.Lock()
	s.hdrSent, s.localEnd = true, true
	c.appendHeaderBlock(s.id, true, func(b []byte) []byte {
		b = appendField(b, ":status", status)
		b = c.enc.appendIndexed(b, "content-type", "application/grpc")
		return c.enc.appendStatus(b, code, msg)
	})
	c.wmu.Unlock()
	s.cancel()
	c.removeStream(s)
}

// start runs the handler (once).
func (s *Stream) start() {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return
	}
	s.started = true
	s.mu.Unlock()
	c := s.c
	c.hwg.Add(1)
	go func() {
		defer c.hwg.Done()
		c.srv.handler(s)
		s.WriteStatus(2, "grpc: handler returned without a status", nil) // no-op after a status
		s.cancel()
		c.removeStream(s)
	}()
}

// startUnary starts a unary handler now that its request is complete (or
// failed).
func (s *Stream) startUnary() {
	if !s.c.client && s.unary {
		s.start()
	}
}

// onRemoteEnd runs after END_STREAM from the peer.
func (s *Stream) onRemoteEnd() {
	if s.c.client {
		s.mu.Lock()
		if !s.finished && s.rerr == nil {
			s.rerr = &StatusError{Code: 13, Message: "grpc: server closed the stream without sending trailers"}
		}
		s.mu.Unlock()
		s.finishClient()
		return
	}
	s.startUnary()
}

// appendHeaderBlock appends a header block built by f as HEADERS (and
// CONTINUATION) frames; c.wmu must be held.
func (c *conn) appendHeaderBlock(id uint32, end bool, f func(b []byte) []byte) {
	if c.werr != nil {
		return
	}
	c.sentData = true
	start := len(c.wbuf)
	c.wbuf = append(c.wbuf, make([]byte, frameHeaderLen)...)
	c.wbuf = f(c.enc.startBlock(c.wbuf))
	n := len(c.wbuf) - start - frameHeaderLen
	if n <= c.peerFrame {
		fl := http2.FlagHeadersEndHeaders
		if end {
			fl |= http2.FlagHeadersEndStream
		}
		appendFrameHeader(c.wbuf[start:start], n, http2.FrameHeaders, fl, id)
	} else {
		block := append([]byte(nil), c.wbuf[start+frameHeaderLen:]...)
		c.wbuf = appendHeaders(c.wbuf[:start], id, block, end, c.peerFrame)
	}
	c.kick()
}

func appendFields(b []byte, md []hpack.HeaderField) []byte {
	for _, hf := range md {
		b = appendField(b, hf.Name, hf.Value)
	}
	return b
}

// appendResponseHeaders appends the response HEADERS frame; c.wmu must be
// held.
func (s *Stream) appendResponseHeaders(b []byte, md []hpack.HeaderField) []byte {
	c := s.c
	c.wbuf = b
	s.hdrSent = true
	c.appendHeaderBlock(s.id, false, func(b []byte) []byte {
		b = append(b, blockStatus200...)
		b = c.enc.appendIndexed(b, "content-type", s.ContentType)
		if s.sendGzip {
			b = c.enc.appendIndexed(b, "grpc-encoding", "gzip")
		}
		return appendFields(b, md)
	})
	return c.wbuf
}

// WriteHeader sends the response headers with md now (server). It does
// nothing once headers were sent.
func (s *Stream) WriteHeader(md []hpack.HeaderField) error {
	c := s.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := s.sendCheck(); err != nil {
		return err
	}
	if !s.hdrSent {
		c.wbuf = s.appendResponseHeaders(c.wbuf, md)
	}
	return nil
}

// WriteStatus ends the stream (server) with a status and trailer fields
// md: trailers after the headers, or a trailers-only response when no
// headers were sent. Later calls do nothing.
func (s *Stream) WriteStatus(code uint32, msg string, md []hpack.HeaderField) {
	s.mu.Lock()
	remoteEnd := s.remoteEnd
	s.mu.Unlock()
	c := s.c
	c.wmu.Lock()
	if s.localEnd || c.werr != nil || (s.sendErr != nil && s.sendErr != ErrStreamDone) {
		s.localEnd = true
		c.wmu.Unlock()
		return
	}
	s.localEnd = true
	if !s.hdrSent {
		s.hdrSent = true
		c.appendHeaderBlock(s.id, true, func(b []byte) []byte {
			b = append(b, blockStatus200...)
			ct := s.ContentType
			if ct == "" {
				ct = "application/grpc"
			}
			b = c.enc.appendIndexed(b, "content-type", ct)
			b = c.enc.appendStatus(b, code, msg)
			return appendFields(b, md)
		})
	} else {
		c.appendHeaderBlock(s.id, true, func(b []byte) []byte {
			return appendFields(c.enc.appendStatus(b, code, msg), md)
		})
	}
	if !remoteEnd {
		c.wbuf = appendRSTStream(c.wbuf, s.id, http2.ErrCodeNo)
	}
	c.wmu.Unlock()
}

// SendGzip reports whether messages sent on s are gzip-compressed.
func (s *Stream) SendGzip() bool { return s.sendGzip }
