package kite

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kite-rpc/kite/epoll"
	"github.com/kite-rpc/kite/transport"
)

// Out-of-order requests: a request whose client takes replies in any order
// (TTHeader FLAGS SupportOutOfOrder, as Kitex's and Kite's mux clients
// send) is served on a worker of its own, as Kitex's mux server serves
// it, so a slow call does not hold up the calls pipelined behind it on
// the connection. Its reply goes out through the connection's Batcher,
// shared with the replies that finish at the same time.

// asyncConn is the connection as out-of-order requests see it.
type asyncConn struct {
	net.Conn
	b         transport.Batcher
	rwTimeout time.Duration

	// On the poller, replies are queued in the connection's output and
	// sent together: by the reply of the last request running, once
	// asyncBatch bytes wait, or by the timer within maxReplyDelay. Workers
	// finishing one after another would otherwise make a write syscall
	// each (a fifth of a TTHeader mux server's time), where the Batcher
	// combines only writers that meet.
	ec      *epoll.Conn
	running atomic.Int32 // out-of-order requests not yet answered
	armed   atomic.Bool  // the timer will flush
	t       *time.Timer
}

// Write sends a reply: on the poller queued with those of the other
// running requests, else through the Batcher.
func (a *asyncConn) Write(p []byte) (int, error) {
	if a.ec != nil {
		if a.ec.Enqueue(p) < asyncBatch && a.running.Load() > 1 {
			if a.armed.CompareAndSwap(false, true) {
				a.t.Reset(maxReplyDelay)
			}
			return len(p), nil
		}
		if err := a.flush(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	var dl time.Time
	if a.rwTimeout > 0 {
		dl = time.Now().Add(a.rwTimeout)
	}
	if err := a.b.Write(p, dl); err != nil {
		return 0, err
	}
	return len(p), nil
}

// asyncBatch is the queued reply bytes that go out without waiting for
// the last running request: with many requests in flight there always is
// another, and flushing from the timer's goroutine costs a goroutine
// start (and its stack's growth) per batch.
const asyncBatch = 16 << 10

// SetWriteDeadline is the Batcher's (or flush's) to set, per batch.
func (a *asyncConn) SetWriteDeadline(time.Time) error { return nil }

// flush sends the queued replies; when the peer leaves a batch's worth
// unread, it waits (up to the write timeout) for the socket to take them.
func (a *asyncConn) flush() error {
	if a.armed.CompareAndSwap(true, false) {
		a.t.Stop() // nothing left for it: under load it would fire every 50 µs
	}
	if err := a.ec.Flush(); err != nil {
		return err
	}
	if a.ec.Buffered() < maxQueuedReplies {
		return nil
	}
	if a.rwTimeout > 0 {
		_ = a.ec.SetWriteDeadline(time.Now().Add(a.rwTimeout))
	}
	return a.ec.Drain()
}

// initAsyncLocked readies sc.out for out-of-order replies; sc.mu is held.
func (s *Server) initAsyncLocked(sc *serverConn) {
	a := &sc.out
	a.Conn, a.b.Conn, a.rwTimeout = sc.nc, sc.nc, s.cfg.rwTimeout
	if ec, ok := sc.nc.(*epoll.Conn); ok {
		a.ec = ec
		a.t = time.AfterFunc(time.Hour, func() {
			a.armed.Store(false)
			_ = ec.Flush()
		})
		a.t.Stop()
	}
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
	sc.out.running.Add(1)
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
	if sc.out.running.Add(-1) == 0 && sc.out.ec != nil && sc.out.ec.Buffered() > 0 {
		_ = sc.out.flush() // the last one running had no reply to send them with
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
