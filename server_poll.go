package kite

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kite-rpc/kite/epoll"
	"github.com/kite-rpc/kite/transport"
)

// servePoll is Serve on the poller: accepted sockets join pl's poll loops
// and have no goroutine while idle; a goroutine runs only while a
// connection has whole frames to handle (pollConn.serve). Shutdown works as
// on the net path: s.conns and s.wg track the connections, sc.active counts
// the requests being handled.
func (s *Server) servePoll(ln net.Listener, pl *epoll.Listener) error {
	// Shutdown closes what s.listeners holds: the poller's listener, which
	// closes ln and wakes AcceptConn.
	s.mu.Lock()
	delete(s.listeners, ln)
	s.listeners[pl] = struct{}{}
	if s.shutdown.Load() {
		s.mu.Unlock()
		_ = pl.Close()
		return ErrServerClosed
	}
	s.mu.Unlock()
	var backoff time.Duration
	for {
		c, err := pl.AcceptConn()
		if err != nil {
			if s.shutdown.Load() {
				return ErrServerClosed
			}
			if s.backOff(err, &backoff, isPollerFull(err)) {
				continue
			}
			s.mu.Lock()
			delete(s.listeners, pl)
			s.mu.Unlock()
			_ = pl.Close()
			return err
		}
		backoff = 0
		if !s.acceptConn() {
			_ = c.Close() // over MaxConnections
			continue
		}
		pc := &pollConn{s: s, sc: serverConn{nc: c}}
		s.mu.Lock()
		if s.shutdown.Load() {
			s.mu.Unlock()
			_ = c.Close()
			s.connClosed()
			return ErrServerClosed
		}
		s.conns[&pc.sc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		max := s.cfg.maxFrame
		if max <= 0 {
			max = transport.DefaultMaxFrameSize
		}
		c.SetInputLimit(max + 64<<10)
		c.Serve(pc.serve, pc.closed, s.cfg.idleTimeout)
	}
}

// isPollerFull reports a connection the poller could not register (the
// kernel's watch limit or memory): like EMFILE, worth backing off from.
func isPollerFull(err error) bool {
	var se *os.SyscallError
	return errors.As(err, &se) && se.Syscall == "epoll_ctl"
}

// pollConn is a server connection on the poller.
type pollConn struct {
	s  *Server
	sc serverConn
}

// pollScratch is what a handler run needs; pooled, so an idle connection
// holds none of it.
type pollScratch struct {
	msg  transport.Message
	wbuf []byte
	out  batchWriter

	// An out-of-order request is handled in line; if it takes longer
	// than handOffAfter, the timer hands the rest of the input to another
	// goroutine (epoll.Conn.ContinueRun). state is inlineRunning,
	// inlineDone or inlineHandedOff; the callback acks each firing: that
	// it saw inlineDone (the handler stopped the timer too late) or that
	// the run is handed off.
	req   asyncReq
	state atomic.Int32
	ht    *time.Timer
	ack   chan struct{}
	conn  *epoll.Conn // the connection the armed timer hands on
}

const (
	inlineRunning = iota
	inlineDone
	inlineHandedOff
)

// handOffAfter is how long an out-of-order request is handled in line
// before the requests pipelined behind it go on without it: at most
// this long does a slow call hold up the calls behind it. Handing every
// request to a worker, as Kitex's mux server does, cost a goroutine switch
// per request (kite bench -transport ttheader -mux 2, in line against
// workers: c = 100 1.07x the qps at 0.85x the server's CPU per call,
// c = 1000 1.20x at 0.68x; BENCHMARKS.md, fourth session).
const handOffAfter = 100 * time.Microsecond

func newPollScratch() any {
	ps := new(pollScratch)
	ps.out.t = time.AfterFunc(time.Hour, func() {
		if c := ps.out.cur.Load(); c != nil {
			_ = c.Flush()
		}
	})
	ps.out.t.Stop()
	ps.ack = make(chan struct{}, 1)
	ps.ht = time.AfterFunc(time.Hour, func() {
		if ps.state.CompareAndSwap(inlineRunning, inlineHandedOff) {
			// This goroutine serves the input from here on; the
			// handler waits for the ack (the run must be taken over
			// before its serve returns) and then ps is no longer ours.
			ps.conn.ContinueRun(func() { ps.ack <- struct{}{} })
			return
		}
		ps.ack <- struct{}{}
	})
	ps.ht.Stop()
	return ps
}

// batchWriter is the connection a handler run writes replies to. While
// more requests of the run wait in the input (pipelined), replies are
// queued in the connection's output and go out together, in one writev,
// with the reply to the last of them; a lone reply is written directly.
// One write per batch instead of one per request is where the poller
// gains most over a goroutine per connection when callers pipeline.
type batchWriter struct {
	*epoll.Conn
	more bool // another request follows the one being handled

	// The timer flushes replies queued for maxReplyDelay, so a slow
	// handler does not hold the replies of the requests before it; cur is
	// the connection it flushes (nil between runs).
	t   *time.Timer
	cur atomic.Pointer[epoll.Conn]
}

// maxReplyDelay bounds how long a reply waits in a batch for the replies
// of the requests pipelined behind it.
const maxReplyDelay = 50 * time.Microsecond

// Write queues p behind earlier replies of the run or writes it.
func (w *batchWriter) Write(p []byte) (int, error) {
	if w.more {
		queued := w.Enqueue(p)
		if queued < maxQueuedReplies {
			if queued == len(p) { // the first of the batch
				w.t.Reset(maxReplyDelay)
			}
			return len(p), nil
		}
		// A caller that pipelines without reading its replies: send, and
		// wait for the socket once this much is queued (backpressure).
		if err := w.Flush(); err != nil {
			return 0, err
		}
		if w.Buffered() >= maxQueuedReplies {
			if err := w.Drain(); err != nil {
				return 0, err
			}
		}
		return len(p), nil
	}
	if w.Buffered() > 0 {
		w.Enqueue(p)
		if err := w.Flush(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return w.Conn.Write(p)
}

// finish sends what the run queued; before a close it also waits (a
// bounded time) for the socket to take it, so no reply is lost.
func (w *batchWriter) finish(closing bool) {
	w.t.Stop()
	if w.Buffered() == 0 {
		return
	}
	if !closing {
		_ = w.Flush()
		return
	}
	_ = w.SetWriteDeadline(time.Now().Add(closeDrainTimeout))
	_ = w.Drain()
}

// maxQueuedReplies is the output a handler run queues before it sends.
const maxQueuedReplies = 64 << 10

// closeDrainTimeout bounds how long a closing connection waits for the
// peer to take queued replies.
const closeDrainTimeout = 5 * time.Second

var pollScratchPool = sync.Pool{New: newPollScratch}

// serve handles the whole frames c holds, in order, then returns; the
// poller runs it again when more input arrives. The message body aliases
// c's input, which is released after the reply is written.
func (pc *pollConn) serve(c *epoll.Conn) {
	s, sc := pc.s, &pc.sc
	ps := pollScratchPool.Get().(*pollScratch)
	ps.out.Conn = c
	ps.out.cur.Store(c)
	defer func() {
		ps.out.t.Stop()
		ps.out.cur.Store(nil)
		ps.out.Conn, ps.out.more = nil, false
		ps.msg.Body = nil
		if cap(ps.wbuf) > 64<<10 {
			ps.wbuf = nil
		}
		pollScratchPool.Put(ps)
	}()
	draining := false
	for {
		n := c.Len()
		if n == 0 {
			break
		}
		b := c.PeekBlock()
		size, err := transport.ParseMessage(b, &ps.msg, s.cfg.maxFrame)
		for err == transport.ErrNeedMore && len(b) < n && size <= n {
			// The frame may be all here but span blocks: look at more of
			// it, its whole length once the parser knows it (it may first
			// only know how many bytes tell the framing apart).
			want := n
			if size > len(b) {
				want = size
			}
			b, _ = c.Peek(want)
			size, err = transport.ParseMessage(b, &ps.msg, s.cfg.maxFrame)
		}
		if err == transport.ErrNeedMore {
			break
		}
		if err == transport.ErrHTTP2Preface {
			// HTTP/2 reads its connection as a stream, with a goroutine of
			// its own: hand it what arrived and the connection.
			ps.out.finish(false)
			b, _ = c.Next(c.Len())
			peeked := append([]byte(nil), b...)
			c.Release()
			c.StopServing()
			s.serveHTTP2(sc, peeked) // grpc.go
			_ = c.Close()
			return
		}
		if err != nil {
			// Garbage or a frame too large: close without a reply, as
			// Kitex does and the net path does (replies to the requests
			// before it are sent first).
			pc.shut(c, ps)
			return
		}
		ok, outOfOrder := sc.begin(&ps.msg)
		if !ok {
			pc.shut(c, ps)
			return
		}
		if outOfOrder {
			ps.out.more = n > size
			own, d := pc.serveInline(c, ps, b[:size])
			if !own {
				return // handed off: another goroutine serves c now
			}
			draining = draining || d
			continue
		}
		var closeConn bool
		ps.out.more = n > size
		ps.wbuf, closeConn = s.handle(&ps.out, &ps.msg, ps.wbuf[:0])
		c.Skip(size)
		c.Release()
		if d, _ := sc.end(s); d {
			draining = true
		}
		if closeConn {
			pc.shut(c, ps)
			return
		}
	}
	c.Release()
	if draining || c.PeerClosed() {
		// Shutting down (the whole requests that were here are answered)
		// or EOF: a partial request never will be.
		pc.shut(c, ps)
		return
	}
	ps.out.finish(false)
}

// serveInline handles an out-of-order request, whose whole frame is frame
// and whose message is ps.msg, on the run's goroutine. Both are copied
// first and the input released, so that if the handler takes longer than
// handOffAfter the timer can hand the input on to another goroutine, which
// serves the requests behind this one while it finishes. It reports
// whether the run is still this goroutine's (if not, the reply has been
// sent and serve must return at once) and whether the server is shutting
// down.
func (pc *pollConn) serveInline(c *epoll.Conn, ps *pollScratch, frame []byte) (own, draining bool) {
	s, sc, r := pc.s, &pc.sc, &ps.req
	r.frame = append(r.frame[:0], frame...)
	r.parsed = copyMessage(&r.msg, &ps.msg, r.frame)
	c.Skip(len(frame))
	c.Release()
	ok := r.parsed
	if !ok {
		_, err := transport.ParseMessage(r.frame, &r.msg, s.cfg.maxFrame)
		ok = err == nil
	}
	ps.conn = c
	ps.state.Store(inlineRunning)
	ps.ht.Reset(handOffAfter)
	if ok {
		// A reply that would close the connection (an undecodable call)
		// leaves it open: the other calls on a multiplexed connection are
		// still good (as handleAsync).
		r.wbuf, _ = s.handle(&ps.out, &r.msg, r.wbuf[:0])
	}
	r.msg.Body = nil
	if cap(r.frame) > 64<<10 {
		r.frame = nil
	}
	if cap(r.wbuf) > 64<<10 {
		r.wbuf = nil
	}
	if ps.state.CompareAndSwap(inlineRunning, inlineDone) {
		if !ps.ht.Stop() {
			<-ps.ack // the callback fired as the handler ended: let it finish
		}
		draining, _ = sc.end(s)
		return true, draining
	}
	// Handed off: once the run is the other goroutine's, send the reply
	// now (the run that queued others behind it is no longer this one's)
	// and end as serveAsync ends a request.
	<-ps.ack
	ps.out.finish(false)
	if draining, idle := sc.end(s); draining && idle {
		sc.mu.Lock()
		sc.closeForShutdownLocked()
		sc.mu.Unlock()
	}
	return false, false
}

// shut ends the connection: the replies queued by this run are sent, no
// more input is handled, and it closes once its out-of-order requests
// have answered.
func (pc *pollConn) shut(c *epoll.Conn, ps *pollScratch) {
	ps.out.finish(true)
	c.StopServing()
	sc := &pc.sc
	sc.closeWhenIdle(func() {
		if !pc.s.shutdown.Load() {
			_ = c.Close()
			return
		}
		// Shutting down: a mux connection gets Kitex's control frame
		// first. Shutdown sends it only to connections idle at that
		// moment; one whose last request was still ending closes here.
		sc.mu.Lock()
		sc.closeForShutdownLocked()
		sc.mu.Unlock()
	})
}

// closed forgets the connection once the poller has closed it. It runs on
// its own goroutine because Shutdown closes connections holding s.mu.
func (pc *pollConn) closed() {
	go func() {
		pc.s.connClosed()
		pc.s.mu.Lock()
		delete(pc.s.conns, &pc.sc)
		pc.s.mu.Unlock()
		pc.s.wg.Done()
	}()
}
