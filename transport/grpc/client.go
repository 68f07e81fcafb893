package grpc

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// ErrGoAway is returned by NewStream on a connection the server is
// shutting down; the call may be retried on another connection.
var ErrGoAway = &StatusError{Code: 14, Message: "grpc: the connection is draining (GOAWAY)"}

// ClientConn is the client side of one HTTP/2 connection (h2c with prior
// knowledge, or TLS with ALPN h2 done by the caller). It is safe for
// concurrent use; every stream is one call.
type ClientConn struct {
	c *conn
}

// NewClientConn starts HTTP/2 on nc: it sends the preface and settings and
// starts the connection's reader and writer goroutines.
func NewClientConn(nc net.Conn, cfg Config) *ClientConn {
	c := newConn(nc, nc, cfg.withDefaults(), true)
	c.maxID = 0
	c.wbuf = append(c.wbuf, http2.ClientPreface...)
	c.wbuf = c.initialFrames(c.wbuf)
	c.wsignaled = true
	c.wsignal <- struct{}{}
	c.startKeepalive()
	go c.writeLoop()
	go c.readLoop()
	return &ClientConn{c: c}
}

// Close closes the connection; its streams fail.
func (cc *ClientConn) Close() error {
	cc.c.close(ErrConnClosed)
	return nil
}

// Done is closed when the connection has closed.
func (cc *ClientConn) Done() <-chan struct{} { return cc.c.done }

// Usable reports whether new streams may start on the connection.
func (cc *ClientConn) Usable() bool {
	cc.c.mu.Lock()
	defer cc.c.mu.Unlock()
	return cc.c.closeErr == nil && !cc.c.draining
}

// TooManyPings reports whether the server ended the connection with GOAWAY
// ENHANCE_YOUR_CALM "too_many_pings": it allows fewer keepalive PINGs than
// [Keepalive.Time] sends. grpc-go clients then double their Time for new
// connections, and so does kite's.
func (cc *ClientConn) TooManyPings() bool {
	cc.c.mu.Lock()
	defer cc.c.mu.Unlock()
	return cc.c.tooManyPings
}

// Streams returns the number of open streams.
func (cc *ClientConn) Streams() int {
	cc.c.mu.Lock()
	defer cc.c.mu.Unlock()
	return len(cc.c.streams)
}

// Request describes the HEADERS of a new call.
type Request struct {
	// Path is "/<package>.<Service>/<Method>".
	Path string
	// Authority is the :authority; by Kitex's convention the callee's
	// service name.
	Authority string
	// TLS selects the https scheme.
	TLS bool
	// UserAgent is sent as user-agent.
	UserAgent string
	// Timeout, when positive, is sent as grpc-timeout.
	Timeout time.Duration
	// Gzip compresses the call's messages (grpc-encoding gzip).
	Gzip bool
	// Metadata are further header fields; names must be lower case.
	Metadata []hpack.HeaderField
	// ContentType is the content-type; empty means "application/grpc"
	// (protobuf). Kitex's Thrift over gRPC is "application/grpc+thrift".
	ContentType string
}

// NewStream starts a call: it sends the HEADERS of req. ctx governs the
// whole call: when it ends the stream is reset with RST_STREAM(CANCEL).
// It waits while the server's stream limit is reached.
func (cc *ClientConn) NewStream(ctx context.Context, req *Request) (*Stream, error) {
	c := cc.c
	if err := ctx.Err(); err != nil {
		return nil, ctxStatus(err)
	}
	c.mu.Lock()
	var stop func() bool
	for {
		if c.closeErr != nil {
			err := c.closeErr
			c.mu.Unlock()
			if stop != nil {
				stop()
			}
			return nil, err
		}
		if c.draining || c.maxID >= 0x7ffffffd {
			c.draining = true
			c.mu.Unlock()
			if stop != nil {
				stop()
			}
			return nil, ErrGoAway
		}
		if uint32(len(c.streams)) < c.peerMax {
			break
		}
		if err := ctx.Err(); err != nil {
			c.mu.Unlock()
			if stop != nil {
				stop()
			}
			return nil, ctxStatus(err)
		}
		if stop == nil {
			stop = context.AfterFunc(ctx, func() { c.mu.Lock(); c.sconds.Broadcast(); c.mu.Unlock() })
		}
		c.sconds.Wait()
	}
	if stop != nil {
		stop()
	}
	c.maxID += 2
	if c.maxID == 2 {
		c.maxID = 1
	}
	s := newStream(c, c.maxID)
	s.ctx = ctx
	s.Path = req.Path
	s.Authority = req.Authority
	s.ContentType = req.ContentType
	if s.ContentType == "" {
		s.ContentType = "application/grpc"
	}
	s.UserAgent = req.UserAgent
	s.Header = req.Metadata
	s.sendGzip = req.Gzip
	s.headerReady = make(chan struct{})
	c.streams[s.id] = s
	if c.ka != nil {
		c.wakeKeepaliveLocked()
	}
	c.wmu.Lock()
	s.sendWin = c.peerWin
	s.hdrSent = true
	c.appendHeaderBlock(s.id, false, func(b []byte) []byte {
		b = append(b, blockMethodPOST...)
		if req.TLS {
			b = append(b, blockSchemeHTTPS...)
		} else {
			b = append(b, blockSchemeHTTP...)
		}
		e := &c.enc
		b = e.appendIndexed(b, ":path", req.Path)
		b = e.appendIndexed(b, ":authority", req.Authority)
		b = e.appendIndexed(b, "content-type", s.ContentType)
		if req.UserAgent != "" {
			b = e.appendIndexed(b, "user-agent", req.UserAgent)
		}
		b = e.appendIndexed(b, "te", "trailers")
		if req.Timeout > 0 {
			b = appendField(b, "grpc-timeout", EncodeTimeout(req.Timeout)) // new every call
		}
		if req.Gzip {
			b = e.appendIndexed(b, "grpc-encoding", "gzip")
		}
		b = e.appendIndexed(b, "grpc-accept-encoding", "gzip")
		return appendFields(b, req.Metadata)
	})
	err := c.werr
	c.wmu.Unlock()
	c.mu.Unlock()
	if err != nil {
		c.removeStream(s)
		return nil, err
	}
	if ctx.Done() != nil {
		// The reply may already have come (and finished the stream) on
		// the reader goroutine: stopCancel is set under s.mu.
		stop := context.AfterFunc(ctx, func() { s.Reset(ctxStatus(ctx.Err())) })
		s.mu.Lock()
		if s.finished {
			s.mu.Unlock()
			stop()
		} else {
			s.stopCancel = stop
			s.mu.Unlock()
		}
	}
	return s, nil
}

// CloseSend ends the client's side of the stream (an empty DATA frame with
// END_STREAM).
func (s *Stream) CloseSend() error {
	c := s.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if s.localEnd {
		return nil
	}
	if err := s.sendCheck(); err != nil {
		return err
	}
	c.wbuf = appendFrameHeader(c.wbuf, 0, http2.FrameData, http2.FlagDataEndStream, s.id)
	s.localEnd = true
	c.kick()
	return nil
}

// ResponseHeader waits for the response headers (client) and returns
// their regular fields. A trailers-only response has none.
func (s *Stream) ResponseHeader() ([]hpack.HeaderField, error) {
	select {
	case <-s.headerReady:
	case <-s.ctx.Done():
		select {
		case <-s.headerReady:
		default:
			return nil, ctxStatus(s.ctx.Err())
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.respHeader == nil && s.rerr != nil {
		return nil, s.rerr
	}
	return s.respHeader, nil
}

// Trailer returns the trailer fields (client), once Recv has returned an
// error; nil before.
func (s *Stream) Trailer() []hpack.HeaderField {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trailer
}

// finishClient ends a client stream (once).
func (s *Stream) finishClient() {
	s.mu.Lock()
	if s.finished {
		s.mu.Unlock()
		return
	}
	s.finished = true
	select {
	case <-s.headerReady:
	default:
		close(s.headerReady)
	}
	s.wake()
	stop := s.stopCancel
	s.stopCancel = nil
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	s.c.wmu.Lock()
	if s.sendErr == nil {
		s.sendErr = ErrStreamDone
	}
	s.c.wcond.Broadcast()
	s.c.wmu.Unlock()
	s.c.removeStream(s)
}

func statusOf(fields []hpack.HeaderField) error {
	code, msg, found := uint64(2), "", false
	for _, hf := range fields {
		switch hf.Name {
		case "grpc-status":
			if v, err := strconv.ParseUint(hf.Value, 10, 32); err == nil {
				code, found = v, true
			}
		case "grpc-message":
			msg = decodeGRPCMessage(hf.Value)
		}
	}
	if !found {
		return &StatusError{Code: 2, Message: "grpc: missing grpc-status in trailers"}
	}
	if code == 0 {
		return nil
	}
	return &StatusError{Code: uint32(code), Message: msg}
}

// onResponseHeaders handles response headers and trailers (client side).
func (c *conn) onResponseHeaders(h *headerBlock) {
	s := c.stream(h.streamID)
	if s == nil {
		return
	}
	ended := h.ended
	s.mu.Lock()
	if s.finished {
		s.mu.Unlock()
		return
	}
	first := s.respHeader == nil && s.trailer == nil
	select {
	case <-s.headerReady:
		first = false
	default:
	}
	if first {
		if st := h.status; st != "200" {
			s.rerr = &StatusError{Code: httpStatusCode(st), Message: "grpc: unexpected HTTP status code " + st}
			s.mu.Unlock()
			s.Reset(s.rerr)
			return
		}
		if ended {
			s.trailer = s.keepFields(h.regular())
		} else {
			s.respHeader = s.keepFields(h.regular())
			for _, hf := range s.respHeader {
				if hf.Name == "grpc-encoding" && hf.Value == "gzip" {
					s.recvGzip = true
				}
			}
		}
		close(s.headerReady)
	} else {
		s.trailer = s.keepFields(h.regular())
		if !ended {
			s.rerr = &StatusError{Code: 13, Message: "grpc: trailers without END_STREAM"}
		}
	}
	if ended {
		s.remoteEnd = true
		if err := statusOf(s.trailer); err != nil {
			s.eofErr = err
		} else {
			s.eofErr = errEOF
		}
		if s.npfx != 0 && s.rerr == nil {
			s.rerr = &StatusError{Code: 13, Message: "grpc: stream ended inside a message"}
		}
	}
	s.wake()
	s.mu.Unlock()
	if ended {
		s.finishClient()
	}
}

// onGoAway stops new streams; those the server will not process fail with
// UNAVAILABLE, and the connection closes when the rest finish.
func (c *conn) onGoAway(last uint32, tooManyPings bool) {
	c.mu.Lock()
	c.draining = true
	if tooManyPings {
		c.tooManyPings = true
	}
	var refused []*Stream
	for id, s := range c.streams {
		if id > last {
			refused = append(refused, s)
		}
	}
	idle := len(c.streams) == 0
	c.sconds.Broadcast()
	c.mu.Unlock()
	for _, s := range refused {
		s.fail(&StatusError{Code: 14, Message: "grpc: stream refused by GOAWAY"})
	}
	if idle {
		c.flushAndClose()
	}
}

var errEOF = eofError()

// IsEOF reports whether err is the clean end of a stream.
func IsEOF(err error) bool { return errors.Is(err, errEOF) }
