package kite

import (
	"bytes"
	"net"
	"sync"
	"time"

	"github.com/kite-rpc/kite/transport"
)

// Out-of-order requests: a request whose client takes replies in any order
// (TTHeader FLAGS SupportOutOfOrder, as Kitex's and Kite's mux clients
// send) must not hold up the calls pipelined behind it on the connection
// when it is slow. On the net path it is served on a worker of its own,
// as Kitex's mux server serves it, and its reply goes out through the
// connection's Batcher, shared with the replies that finish at the same
// time. On the poller it is handled in line and hands the connection on
// only when it takes long (serveInline, server_poll.go).

// asyncConn is the connection as out-of-order requests see it on the net
// path: replies go through the Batcher, so those finishing together share
// a write.
type asyncConn struct {
	net.Conn
	b         transport.Batcher
	rwTimeout time.Duration
}

// Write sends a reply through the Batcher.
func (a *asyncConn) Write(p []byte) (int, error) {
	var dl time.Time
	if a.rwTimeout > 0 {
		dl = time.Now().Add(a.rwTimeout)
	}
	if err := a.b.Write(p, dl); err != nil {
		return 0, err
	}
	return len(p), nil
}

// SetWriteDeadline is the Batcher's to set, per batch.
func (a *asyncConn) SetWriteDeadline(time.Time) error { return nil }

// initAsyncLocked readies sc.out for out-of-order replies; sc.mu is held.
func (s *Server) initAsyncLocked(sc *serverConn) {
	a := &sc.out
	a.Conn, a.b.Conn, a.rwTimeout = sc.nc, sc.nc, s.cfg.rwTimeout
}

// asyncTask is one out-of-order request: its connection and a pooled copy
// of its whole frame.
type asyncTask struct {
	sc  *serverConn
	req *asyncReq
}

// asyncReq holds an out-of-order request's frame and, once parsed, its
// message; pooled with their capacity.
type asyncReq struct {
	frame  []byte
	msg    transport.Message
	parsed bool   // msg holds the frame's message
	wbuf   []byte // the reply is encoded here
}

var asyncReqPool = sync.Pool{New: func() any { return new(asyncReq) }}

// handleAsync serves an out-of-order request whose whole frame is frame
// and whose message, parsed from it, is m (both are copied: the caller's
// bytes may be reused at once). A reply that would close the connection
// (an undecodable call) leaves it open instead: the other calls on a
// multiplexed connection are still good.
func (s *Server) handleAsync(sc *serverConn, frame []byte, m *transport.Message) {
	sc.mu.Lock()
	if sc.out.Conn == nil {
		s.initAsyncLocked(sc)
	}
	sc.mu.Unlock()
	r := asyncReqPool.Get().(*asyncReq)
	r.frame = append(r.frame[:0], frame...)
	r.parsed = copyMessage(&r.msg, m, r.frame)
	sc.async.Add(1)
	s.workers.run(s, asyncTask{sc, r})
}

// copyMessage makes dst m with its body in frame, a copy of m's frame,
// reusing dst's header slices (m's header strings are copies already, not
// views of the input). The body is the frame's tail in every framing; if
// it is not (it would be a bug), it reports false and the worker parses
// the frame again.
func copyMessage(dst, m *transport.Message, frame []byte) bool {
	off := len(frame) - len(m.Body)
	if off < 0 || !bytes.Equal(frame[off:], m.Body) {
		return false
	}
	h := &dst.Header
	ints, strs, tr := h.Ints, h.Strs, h.Transforms
	*dst = *m
	dst.Header.Ints = append(ints[:0], m.Header.Ints...)
	dst.Header.Strs = append(strs[:0], m.Header.Strs...)
	dst.Header.Transforms = append(tr[:0], m.Header.Transforms...)
	dst.Body = frame[off:]
	return true
}

// serveAsync is a worker's part of handleAsync.
func (s *Server) serveAsync(t asyncTask) {
	sc, r := t.sc, t.req
	defer sc.async.Done()
	ok := r.parsed
	if !ok {
		_, err := transport.ParseMessage(r.frame, &r.msg, s.cfg.maxFrame)
		ok = err == nil
	}
	if ok {
		r.wbuf, _ = s.handle(&sc.out, &r.msg, r.wbuf[:0])
	}
	r.msg.Body = nil
	r.msg.Header.Reset()
	if cap(r.frame) > 64<<10 {
		r.frame = nil
	}
	if cap(r.wbuf) > 64<<10 {
		r.wbuf = nil
	}
	asyncReqPool.Put(r)
	if draining, idle := sc.end(s); draining && idle {
		// Shutting down and this was the last call: nothing else will end
		// the connection (its reader may be waiting for input).
		sc.mu.Lock()
		sc.closeForShutdownLocked()
		sc.mu.Unlock()
	}
}

// workerPool keeps goroutines for out-of-order requests, so that a request
// neither starts a goroutine nor grows a fresh stack (a handler's stack
// grows past the initial size, and copying it cost more than the rest of
// a small call). Idle workers wait for work until the server shuts down;
// beyond keptWorkers, those a whole second did not need are dismissed.
type workerPool struct {
	mu     sync.Mutex // guards the fields below
	idle   []chan asyncTask
	spare  int         // fewest idle workers since the last trim
	trim   *time.Timer // runs trimIdle while more than keptWorkers wait
	armed  bool        // trim is set
	closed bool
}

const (
	// maxIdleWorkers bounds the workers kept waiting; more start when more
	// requests run at once, and exit after theirs. At 1,000 requests in
	// flight a bound of 256 started the rest afresh each time; with the
	// flush timer's goroutines, growing new stacks took 13 % of the
	// server's time.
	maxIdleWorkers = 1024
	// keptWorkers is how many idle workers stay however long they wait.
	keptWorkers = 256
)

func (p *workerPool) run(s *Server, t asyncTask) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.spare = min(p.spare, n-1)
		p.mu.Unlock()
		w <- t
		return
	}
	p.mu.Unlock()
	go p.work(s, make(chan asyncTask, 1), t)
}

func (p *workerPool) work(s *Server, w chan asyncTask, t asyncTask) {
	for t.sc != nil {
		s.serveAsync(t)
		p.mu.Lock()
		if p.closed || len(p.idle) >= maxIdleWorkers {
			p.mu.Unlock()
			return
		}
		p.idle = append(p.idle, w)
		if len(p.idle) > keptWorkers && !p.armed {
			p.armTrimLocked()
		}
		p.mu.Unlock()
		t = <-w
	}
}

// armTrimLocked has trimIdle run in a second, starting a trim period.
func (p *workerPool) armTrimLocked() {
	p.armed, p.spare = true, len(p.idle)
	if p.trim == nil {
		p.trim = time.AfterFunc(time.Second, p.trimIdle)
	} else {
		p.trim.Reset(time.Second)
	}
}

// trimIdle dismisses the idle workers beyond keptWorkers that the last
// second did not need (the oldest, at the bottom of the list).
func (p *workerPool) trimIdle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed = false
	if p.closed {
		return
	}
	n := min(p.spare, len(p.idle)-keptWorkers)
	for i := 0; i < n; i++ {
		p.idle[i] <- asyncTask{}
	}
	if n > 0 {
		m := copy(p.idle, p.idle[n:])
		clear(p.idle[m:])
		p.idle = p.idle[:m]
	}
	if len(p.idle) > keptWorkers {
		p.armTrimLocked()
	}
}

// stop dismisses the idle workers; busy ones exit after their request.
func (p *workerPool) stop() {
	p.mu.Lock()
	p.closed = true
	for _, w := range p.idle {
		w <- asyncTask{}
	}
	p.idle = nil
	if p.trim != nil {
		p.trim.Stop()
	}
	p.mu.Unlock()
}
