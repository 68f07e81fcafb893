package grpc

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Stream is one gRPC call on a connection, on either side. Send and Recv
// may be called from different goroutines, but each of them from one
// goroutine at a time.
type Stream struct {
	c      *conn
	id     uint32
	ctx    context.Context
	cancel context.CancelFunc

	// Request information, set before the stream is handed out.

	// Path is the :path, "/<package>.<Service>/<Method>".
	Path string
	// Authority is the :authority.
	Authority string
	// ContentType is the request's content-type.
	ContentType string
	// UserAgent is the request's user-agent.
	UserAgent string
	// Header holds the request's regular header fields (server), or the
	// fields the client sent.
	Header []hpack.HeaderField
	// Deadline is the grpc-timeout turned into a time (zero without one).
	Deadline time.Time

	// fbuf holds the received header fields the stream keeps (Header on
	// a server, the response header and trailer on a client) while they
	// fit; nfbuf of its entries are in use. Set on the reader goroutine
	// before the fields are published.
	fbuf  [5]hpack.HeaderField
	nfbuf int

	recvGzip bool // the peer's grpc-encoding is gzip
	sendGzip bool // our messages go out gzip-compressed
	unary    bool // server: the handler starts after the request

	mu        sync.Mutex // guards the receive fields below
	msgs      []message  // complete messages not yet read; msgBuf when it fits
	msgBuf    [1]message // the queue of a unary call, without an allocation
	queued    int        // bytes of complete messages in msgs, prefixes included
	recvAvail int        // receive window as the peer sees it
	pfx       [5]byte
	npfx      int
	cur       []byte
	curLen    int
	remoteEnd bool  // END_STREAM received
	rerr      error // fails Recv at once (reset, connection loss, bad data)
	eofErr    error // returned by Recv once msgs is drained after END_STREAM
	notify    chan struct{}
	started   bool // server: handler started
	finished  bool

	// client response
	respHeader  []hpack.HeaderField
	trailer     []hpack.HeaderField
	headerReady chan struct{}
	stopCancel  func() bool // under mu: the reply can finish the stream before NewStream sets it

	// send fields, guarded by c.wmu
	sendWin  int64
	hdrSent  bool
	localEnd bool
	sendErr  error
}

type message struct {
	b    []byte
	comp bool
}

func newStream(c *conn, id uint32) *Stream {
	s := &Stream{c: c, id: id, notify: make(chan struct{}, 1), recvAvail: int(c.cfg.InitialWindowSize)}
	s.msgs = s.msgBuf[:0]
	return s
}

// Context returns the stream's context: on a server it ends when the
// client cancels, the deadline passes or the handler finishes; on a client
// it is the call's context.
func (s *Stream) Context() context.Context { return s.ctx }

// ID returns the HTTP/2 stream id.
func (s *Stream) ID() uint32 { return s.id }

// wake signals a waiting Recv; s.mu must be held.
func (s *Stream) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// onData takes the payload of a DATA frame (n bytes counted against flow
// control) on the reader goroutine.
func (s *Stream) onData(data []byte, n int, end bool) {
	max := s.c.cfg.MaxRecvMsgSize
	s.mu.Lock()
	if s.rerr != nil || s.remoteEnd {
		s.mu.Unlock()
		return
	}
	s.recvAvail -= n
	for len(data) > 0 {
		if s.npfx < 5 {
			k := copy(s.pfx[s.npfx:], data)
			s.npfx += k
			data = data[k:]
			if s.npfx < 5 {
				break
			}
			l := binary.BigEndian.Uint32(s.pfx[1:])
			if uint64(l) > uint64(max) {
				s.rerr = &StatusError{Code: 8, Message: "grpc: received message larger than max (" +
					strconv.FormatUint(uint64(l), 10) + " vs. " + strconv.Itoa(max) + ")"}
				s.npfx = 0
				s.wake()
				s.mu.Unlock()
				s.startUnary() // the handler answers RESOURCE_EXHAUSTED
				return
			}
			s.curLen = int(l)
			s.cur = make([]byte, 0, l)
		}
		k := s.curLen - len(s.cur)
		if k > len(data) {
			k = len(data)
		}
		s.cur = append(s.cur, data[:k]...)
		data = data[k:]
		s.completeMessage()
	}
	if s.npfx == 5 {
		s.completeMessage() // a zero-length message
	}
	if end {
		s.remoteEnd = true
		if s.npfx != 0 {
			s.rerr = &StatusError{Code: 13, Message: "grpc: stream ended inside a message"}
		} else if s.eofErr == nil {
			s.eofErr = io.EOF
		}
	} else {
		s.creditLocked()
	}
	s.wake()
	s.mu.Unlock()
	if end {
		s.onRemoteEnd()
	}
}

func (s *Stream) completeMessage() {
	if s.npfx == 5 && len(s.cur) == s.curLen {
		s.msgs = append(s.msgs, message{b: s.cur, comp: s.pfx[0] != 0})
		s.queued += s.curLen + 5
		s.npfx, s.cur, s.curLen = 0, nil, 0
	}
}

// creditLocked opens the stream's receive window as far as the unread
// messages allow, and always far enough to finish the message in progress.
func (s *Stream) creditLocked() {
	if s.remoteEnd || s.rerr != nil {
		return
	}
	w := int(s.c.cfg.InitialWindowSize)
	desired := w - s.queued
	rem := 0
	if s.npfx == 5 {
		rem = s.curLen - len(s.cur)
	} else if s.npfx > 0 {
		rem = 5 - s.npfx
	}
	if rem > desired {
		desired = rem
	}
	inc := desired - s.recvAvail
	if inc > 0 && (inc >= w/4 || s.recvAvail < rem) {
		s.recvAvail += inc
		id := s.id
		s.c.queue(func(b []byte) []byte { return appendWindowUpdate(b, id, uint32(inc)) })
	}
}

// Recv returns the next message, decompressed; the bytes are the
// caller's. It returns io.EOF after the peer's last message (on a client
// only when the call succeeded; otherwise the status as a *StatusError).
// A positive timeout bounds the wait, failing with DEADLINE_EXCEEDED.
func (s *Stream) Recv(timeout time.Duration) ([]byte, error) {
	var timer <-chan time.Time
	s.mu.Lock()
	for len(s.msgs) == 0 {
		if s.rerr != nil {
			err := s.rerr
			s.mu.Unlock()
			return nil, err
		}
		if s.eofErr != nil {
			err := s.eofErr
			s.mu.Unlock()
			return nil, err
		}
		s.mu.Unlock()
		if timeout > 0 && timer == nil {
			t := time.NewTimer(timeout)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-s.notify:
		case <-s.ctx.Done():
			s.mu.Lock()
			if len(s.msgs) == 0 && s.rerr == nil && s.eofErr == nil {
				s.mu.Unlock()
				return nil, ctxStatus(s.ctx.Err())
			}
			s.mu.Unlock()
		case <-timer:
			return nil, &StatusError{Code: 4, Message: "grpc: receive timed out after " + timeout.String()}
		}
		s.mu.Lock()
	}
	m := s.msgs[0]
	s.msgs[0] = message{}
	s.msgs = s.msgs[1:]
	if len(s.msgs) == 0 {
		s.msgs = s.msgBuf[:0] // the next message need not grow a slice
	}
	s.queued -= len(m.b) + 5
	s.creditLocked()
	if len(s.msgs) > 0 || s.rerr != nil || s.eofErr != nil {
		s.wake()
	}
	s.mu.Unlock()
	if m.comp {
		if !s.recvGzip {
			return nil, &StatusError{Code: 13, Message: "grpc: compressed flag set on a stream without grpc-encoding"}
		}
		b, err := gunzip(m.b, s.c.cfg.MaxRecvMsgSize)
		if err == errTooLarge {
			return nil, &StatusError{Code: 8, Message: "grpc: decompressed message larger than max (" + strconv.Itoa(s.c.cfg.MaxRecvMsgSize) + ")"}
		}
		if err != nil {
			return nil, &StatusError{Code: 13, Message: "grpc: decompress: " + err.Error()}
		}
		return b, nil
	}
	return m.b, nil
}

func ctxStatus(err error) *StatusError {
	if err == context.DeadlineExceeded {
		return &StatusError{Code: 4, Message: "context deadline exceeded"}
	}
	return &StatusError{Code: 1, Message: "context canceled"}
}

// Send sends one message; with end set it also ends this side of the
// stream (END_STREAM on the last DATA frame). It blocks while the peer's
// flow-control windows are closed.
func (s *Stream) Send(msg []byte, end bool) error {
	if len(msg) > s.c.cfg.MaxSendMsgSize {
		return &StatusError{Code: 8, Message: "grpc: trying to send message larger than max (" +
			strconv.Itoa(len(msg)) + " vs. " + strconv.Itoa(s.c.cfg.MaxSendMsgSize) + ")"}
	}
	var pfx [5]byte
	if s.sendGzip && len(msg) > 0 {
		z, err := gzipAppend(nil, msg)
		if err != nil {
			return &StatusError{Code: 13, Message: "grpc: compress: " + err.Error()}
		}
		msg = z
		pfx[0] = 1
	}
	binary.BigEndian.PutUint32(pfx[1:], uint32(len(msg)))
	c := s.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := s.sendCheck(); err != nil {
		return err
	}
	if !c.client && !s.hdrSent {
		c.wbuf = s.appendResponseHeaders(c.wbuf, nil)
	}
	total := 5 + len(msg)
	for off := 0; off < total; {
		if len(c.wbuf) >= maxPending {
			c.kick()
			c.wcond.Wait()
			if err := s.sendCheck(); err != nil {
				return err
			}
			continue
		}
		avail := s.sendWin
		if c.sendWin < avail {
			avail = c.sendWin
		}
		if int64(c.peerFrame) < avail {
			avail = int64(c.peerFrame)
		}
		if avail <= 0 {
			c.kick()
			c.wcond.Wait()
			if err := s.sendCheck(); err != nil {
				return err
			}
			continue
		}
		n := total - off
		if int64(n) > avail {
			n = int(avail)
		}
		var f http2.Flags
		if end && off+n == total {
			f = http2.FlagDataEndStream
		}
		c.wbuf = appendFrameHeader(c.wbuf, n, http2.FrameData, f, s.id)
		for k := off; k < off+n; {
			if k < 5 {
				j := off + n
				if j > 5 {
					j = 5
				}
				c.wbuf = append(c.wbuf, pfx[k:j]...)
				k = j
				continue
			}
			c.wbuf = append(c.wbuf, msg[k-5:off+n-5]...)
			k = off + n
		}
		s.sendWin -= int64(n)
		c.sendWin -= int64(n)
		off += n
		c.sentData = true // pings that follow are not keepalive abuse
		c.kick()
	}
	if end {
		s.localEnd = true
	}
	return nil
}

// sendCheck reports why nothing more can be sent; c.wmu must be held.
func (s *Stream) sendCheck() error {
	switch {
	case s.c.werr != nil:
		return s.c.werr
	case s.sendErr != nil:
		return s.sendErr
	case s.localEnd:
		return ErrStreamDone
	}
	return nil
}

// onReset handles RST_STREAM from the peer.
func (s *Stream) onReset(code http2.ErrCode) {
	var err error
	switch code {
	case http2.ErrCodeCancel:
		err = &StatusError{Code: 1, Message: "grpc: stream canceled by the peer"}
	case http2.ErrCodeRefusedStream:
		err = &StatusError{Code: 14, Message: "grpc: stream refused by the peer"}
	case http2.ErrCodeNo:
		// The peer finished and needs no more from us; what arrived stands.
		s.c.wmu.Lock()
		if s.sendErr == nil {
			s.sendErr = ErrStreamDone
		}
		s.c.wcond.Broadcast()
		s.c.wmu.Unlock()
		return
	case 1000:
		err = &StatusError{Code: 14, Message: "grpc: graceful shutdown"}
	default:
		err = &StatusError{Code: 13, Message: "grpc: stream reset by the peer: " + code.String()}
	}
	s.fail(err)
}

// fail ends the stream with err on both directions.
func (s *Stream) fail(err error) {
	s.mu.Lock()
	if s.rerr == nil && !(s.c.client && s.finished) {
		s.rerr = err
	}
	s.wake()
	s.mu.Unlock()
	s.c.wmu.Lock()
	if s.sendErr == nil {
		s.sendErr = err
	}
	s.c.wcond.Broadcast()
	s.c.wmu.Unlock()
	if s.c.client {
		s.finishClient()
	} else {
		s.cancel()
		s.startUnary()
	}
	s.c.removeStream(s)
}

// Reset cancels the stream: RST_STREAM(CANCEL) to the peer, and errors for
// local Send and Recv.
func (s *Stream) Reset(err error) {
	s.c.queue(func(b []byte) []byte { return appendRSTStream(b, s.id, http2.ErrCodeCancel) })
	s.fail(err)
}

// RemoteAddr returns the peer's address.
func (s *Stream) RemoteAddr() net.Addr { return s.c.nc.RemoteAddr() }
