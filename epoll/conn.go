package epoll

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// defaultInputLimit is how many unread input bytes a connection buffers
// before the loop stops reading it (SetInputLimit changes it).
const defaultInputLimit = 8 << 20

// Conn is a connection on a [Poller]. It is a net.Conn: Read and Write
// block the calling goroutine (parked, not in a syscall) until the poll loop
// reports readiness or a deadline passes, and a deadline set while a call is
// blocked takes effect at once, a past one interrupting it. Read, Write,
// Close and the deadline setters are safe for concurrent use, as net.Conn
// requires.
//
// Input is read either with Read or, on a server connection, by the handler
// [Conn.Serve] runs, with Peek, Next, Skip and Release; one goroutine at a
// time consumes input. Output is written either with Write or with Malloc
// and Flush.
type Conn struct {
	inMu        sync.Mutex // guards the fields down to idle
	in          chain
	scratch     []byte
	scratchBusy bool   // scratch is lent out until Release
	arrivals    uint64 // counts arrivals of input, EOF and errors
	eof         bool   // the peer closed its side
	rdErr       error  // a read failed; no more input comes
	paused      bool   // input reached the limit; reading waits for Release
	bigReads    bool   // the last read overflowed its room: read into more blocks
	limit       int    // input limit; 0 means defaultInputLimit
	handler     func(*Conn)
	onClose     func()
	running     bool          // handler runs
	runGen      uint32        // counts ContinueRun calls: a run's h returning finds it changed when handed off
	idle        time.Duration // close after this long without input (Serve only)
	finished    bool          // finish ran

	rmu     sync.Mutex // serializes Read callers; guards rtimer
	rtimer  *time.Timer
	wmu     sync.Mutex // serializes Write and Flush callers; guards wtimer
	wtimer  *time.Timer
	outMu   sync.Mutex // guards out, iov and the write syscalls
	out     chain
	iov     [][]byte
	pending atomic.Bool // out holds bytes the socket refused; the loop writes them

	rdCh, wrCh chan struct{} // readiness and deadline-change tokens (cap 1)
	closeCh    chan struct{} // closed by Close
	rdDeadline atomic.Int64  // unix nanoseconds; 0 means none
	wrDeadline atomic.Int64
	lastActive atomic.Int64 // unix nanoseconds of the last input

	// state is refs<<1 | closed: syscalls and handler runs hold a
	// reference; the descriptor is closed and the buffers freed when Close
	// has been called and the last reference goes.
	state atomic.Int64

	laddr, raddr net.Addr
	listening    bool        // a listening socket: read edges only wake Accept
	connecting   atomic.Bool // connect in progress: read edges wake the dialer
	sys          sysConn
}

func (c *Conn) init() {
	c.in.fb = pickShard()
	c.out.fb = c.in.fb
	c.rdCh = make(chan struct{}, 1)
	c.wrCh = make(chan struct{}, 1)
	c.closeCh = make(chan struct{})
	c.lastActive.Store(time.Now().UnixNano())
}

// incref takes a reference, failing once Close was called.
func (c *Conn) incref() bool {
	for {
		s := c.state.Load()
		if s&1 != 0 {
			return false
		}
		if c.state.CompareAndSwap(s, s+2) {
			return true
		}
	}
}

// decref drops a reference, finishing the close with the last one.
func (c *Conn) decref() {
	if c.state.Add(-2) == 1 {
		c.finish()
	}
}

func (c *Conn) closed() bool { return c.state.Load()&1 != 0 }

// Close closes the connection: blocked and later calls fail with
// net.ErrClosed. The descriptor is closed and the buffers freed once no
// syscall and no handler run holds the connection any more; then the
// onClose function given to Serve runs. Closing twice returns an error.
func (c *Conn) Close() error {
	var s int64
	for {
		s = c.state.Load()
		if s&1 != 0 {
			return opError("close", c, net.ErrClosed)
		}
		if c.state.CompareAndSwap(s, s|1) {
			break
		}
	}
	close(c.closeCh)
	c.sysShutdown()
	if s == 0 {
		c.finish()
	}
	return nil
}

// finish runs once, after Close, when no reference is left.
func (c *Conn) finish() {
	c.inMu.Lock()
	c.finished = true
	c.in.free()
	c.scratch = nil
	onClose := c.onClose
	c.onClose, c.handler = nil, nil
	c.inMu.Unlock()
	c.outMu.Lock()
	c.out.free()
	c.iov = nil
	c.outMu.Unlock()
	c.sysClose()
	if onClose != nil {
		onClose()
	}
}

// Serve makes c a server connection. Whenever input arrives (or the peer
// closes, or reading fails) while h is not running for c, h runs on a
// goroutine of c's loop's worker pool (or a new one); it consumes what whole frames the input holds with Peek, Skip
// and Release, and returns. If input arrived while it ran, h runs again at
// once; otherwise the connection has no goroutine until more comes. h closes
// c when [Conn.PeerClosed] reports the input ended. onClose, if not nil,
// runs once after c is closed and its buffers freed.
//
// With idle > 0, a connection that receives nothing for idle while h is not
// running is closed (checked every 100 ms or so). Serve is called once,
// before any Read.
func (c *Conn) Serve(h func(*Conn), onClose func(), idle time.Duration) {
	c.inMu.Lock()
	if c.finished {
		c.inMu.Unlock()
		if onClose != nil {
			onClose()
		}
		return
	}
	c.handler, c.onClose, c.idle = h, onClose, idle
	if c.in.n > 0 || c.eof || c.rdErr != nil {
		c.dispatchLocked()
	}
	c.inMu.Unlock()
	c.sysServe(idle)
}

// StopServing ends Serve's handler runs, from the handler: input that
// arrives later is left for Read, as on a connection never served, and no
// idle timeout applies. The onClose function still runs at Close. A server
// uses it to hand a connection to a protocol that reads it as a stream.
func (c *Conn) StopServing() {
	c.inMu.Lock()
	c.handler = nil
	c.idle = 0
	c.inMu.Unlock()
	c.sysServe(0)
}

// dispatchLocked starts the handler unless it runs already.
func (c *Conn) dispatchLocked() {
	if c.handler == nil || c.running || !c.incref() {
		return
	}
	c.running = true
	c.startRun(c.handler)
}

func (c *Conn) run(h func(*Conn)) {
	for {
		c.inMu.Lock()
		seen, gen := c.arrivals, c.runGen
		c.inMu.Unlock()
		h(c)
		c.inMu.Lock()
		if c.runGen != gen {
			// ContinueRun took the run over while h worked: it ends
			// there, with the reference it holds.
			c.inMu.Unlock()
			return
		}
		if c.arrivals == seen || c.closed() || c.handler == nil {
			c.running = false
			c.inMu.Unlock()
			break
		}
		c.inMu.Unlock()
	}
	c.lastActive.Store(time.Now().UnixNano())
	c.decref()
}

// ContinueRun takes over the handler run in progress on the calling
// goroutine: it calls ready (if not nil) once the run is its own, then the
// handler, at once and again as input arrives, as the poller would have.
// The handler call it took over from must not touch the input any more
// and must not return before ready was called; when it returns, the run
// goes on here instead of starting the handler again.
//
// A server answering requests out of order uses it to handle each in line
// and hand the input on only when one takes long: the slow handler copies
// its request out of the input and goes on with it, and another goroutine
// serves the requests behind it, so the common, quick case costs no
// goroutine switch. Calling it when no run is in progress, or twice for
// one handler call, is a bug.
func (c *Conn) ContinueRun(ready func()) {
	c.inMu.Lock()
	c.runGen++
	h := c.handler
	c.inMu.Unlock()
	if ready != nil {
		ready()
	}
	if h == nil {
		h = func(*Conn) {} // StopServing was called: end the run
	}
	c.run(h)
}

// arrivedLocked records new input and wakes its consumer.
func (c *Conn) arrivedLocked() {
	c.arrivals++
	if c.handler != nil {
		c.dispatchLocked()
		return
	}
	select {
	case c.rdCh <- struct{}{}:
	default:
	}
}

// PeerClosed reports whether the input has ended: the peer closed its side
// or reading failed. Bytes buffered before that can still be read.
func (c *Conn) PeerClosed() bool {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	return c.eof || c.rdErr != nil
}

// SetInputLimit sets how many unread bytes the connection buffers before
// the loop stops reading from the socket until the consumer releases some
// (default 8 MiB). A server sets it above its largest frame.
func (c *Conn) SetInputLimit(n int) {
	c.inMu.Lock()
	c.limit = n
	c.inMu.Unlock()
}

func (c *Conn) inLimit() int {
	if c.limit > 0 {
		return c.limit
	}
	return defaultInputLimit
}

// Read reads buffered input, waiting for the loop to receive some.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		c.inMu.Lock()
		if c.closed() {
			c.inMu.Unlock()
			return 0, opError("read", c, net.ErrClosed)
		}
		if c.in.n > 0 {
			n := c.readIntoLocked(p)
			resume := c.paused && c.in.n < c.inLimit()/2
			c.inMu.Unlock()
			if resume {
				c.resumeInput()
			}
			return n, nil
		}
		eof, rdErr := c.eof, c.rdErr
		c.inMu.Unlock()
		if eof {
			return 0, io.EOF
		}
		if rdErr != nil {
			return 0, opError("read", c, rdErr)
		}
		if err := c.wait(c.rdCh, &c.rdDeadline, &c.rtimer); err != nil {
			return 0, opError("read", c, err)
		}
	}
}

// Write writes p after any output queued by Malloc, Enqueue or an earlier
// Flush, waiting for the socket to take it all or the write deadline to
// pass. What the socket does not take at once joins the queue, so that
// bytes from Write and from Flush (which other goroutines may call) never
// interleave; after a deadline error that rest may still be sent.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.incref() {
		return 0, opError("write", c, net.ErrClosed)
	}
	c.outMu.Lock()
	n := 0
	var err error
	if c.out.n == 0 {
		n, err = c.sysWrite(p)
	}
	if err != nil && err != errAgain {
		c.outMu.Unlock()
		c.decref()
		return n, opError("write", c, err)
	}
	for rest := p[n:]; len(rest) > 0; {
		k := copy(c.out.space(1), rest)
		c.out.wrote(k)
		rest = rest[k:]
	}
	c.outMu.Unlock()
	c.decref()
	if n == len(p) {
		return n, nil
	}
	if err := c.drain(); err != nil {
		return n, opError("write", c, err)
	}
	return len(p), nil
}

// Flush writes the output Malloc prepared, with one writev where the socket
// takes it all. What it does not take stays queued and is written by the
// poll loop when the socket becomes writable again; a later Write or
// [Conn.Drain] waits for it. Flush does not block.
func (c *Conn) Flush() error {
	c.outMu.Lock()
	err := c.flushLocked()
	c.outMu.Unlock()
	if err != nil {
		return opError("write", c, err)
	}
	return nil
}

// Drain flushes and waits until all output is written or the write
// deadline passes.
func (c *Conn) Drain() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.drain(); err != nil {
		return opError("write", c, err)
	}
	return nil
}

func (c *Conn) drain() error {
	for {
		c.outMu.Lock()
		err := c.flushLocked()
		left := c.out.n
		c.outMu.Unlock()
		if err != nil {
			return err
		}
		if left == 0 {
			return nil
		}
		if err := c.wait(c.wrCh, &c.wrDeadline, &c.wtimer); err != nil {
			return err
		}
	}
}

// flushLocked writes queued output until the socket refuses more.
func (c *Conn) flushLocked() error {
	for c.out.n > 0 {
		c.iov = c.iov[:0]
		for b := c.out.head; b != nil && len(c.iov) < 64; b = b.next {
			if b.w > b.r {
				c.iov = append(c.iov, b.b[b.r:b.w])
			}
		}
		if !c.incref() {
			return net.ErrClosed
		}
		n, err := c.sysWritev(c.iov)
		c.decref()
		c.consumeLocked(n)
		if err == errAgain {
			c.pending.Store(true)
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// consumeLocked drops n written bytes from the head of the output.
func (c *Conn) consumeLocked(n int) {
	c.out.n -= n
	for n > 0 {
		b := c.out.head
		k := b.w - b.r
		if k > n {
			k = n
		}
		b.r += k
		n -= k
		if b.r == b.w && b.next != nil {
			c.out.head = b.next
			putBlock(c.out.fb, b)
		}
	}
	if c.out.n == 0 {
		c.out.free()
		c.pending.Store(false)
	}
}

// writable is the loop's reaction to a write edge: write what Flush left,
// wake a waiting writer.
func (c *Conn) writable() {
	if c.pending.Load() {
		c.outMu.Lock()
		_ = c.flushLocked()
		c.outMu.Unlock()
	}
	select {
	case c.wrCh <- struct{}{}:
	default:
	}
}

// wait parks until a token arrives on ch, the deadline in dl passes, or c
// closes. It returns nil when the caller should retry.
func (c *Conn) wait(ch chan struct{}, dl *atomic.Int64, tp **time.Timer) error {
	d := dl.Load()
	if d == 0 {
		select {
		case <-ch:
			return nil
		case <-c.closeCh:
			return net.ErrClosed
		}
	}
	left := time.Until(time.Unix(0, d))
	if left <= 0 {
		return os.ErrDeadlineExceeded
	}
	t := *tp
	if t == nil {
		t = time.NewTimer(left)
		*tp = t
	} else {
		t.Reset(left)
	}
	select {
	case <-ch:
		t.Stop()
		return nil
	case <-t.C:
		return nil // the caller rechecks: the deadline may have moved
	case <-c.closeCh:
		t.Stop()
		return net.ErrClosed
	}
}

func storeDeadline(dl *atomic.Int64, ch chan struct{}, t time.Time) {
	if t.IsZero() {
		dl.Store(0)
	} else {
		n := t.UnixNano()
		if n == 0 {
			n = 1
		}
		dl.Store(n)
	}
	select { // a blocked call re-reads its deadline
	case ch <- struct{}{}:
	default:
	}
}

// SetDeadline sets the read and write deadlines; see net.Conn.
func (c *Conn) SetDeadline(t time.Time) error {
	storeDeadline(&c.rdDeadline, c.rdCh, t)
	storeDeadline(&c.wrDeadline, c.wrCh, t)
	return c.sysDeadline(t, t, true, true)
}

// SetReadDeadline sets the read deadline; a blocked Read returns
// os.ErrDeadlineExceeded once it passes, at once for a past one.
func (c *Conn) SetReadDeadline(t time.Time) error {
	storeDeadline(&c.rdDeadline, c.rdCh, t)
	return nil
}

// SetWriteDeadline sets the write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	storeDeadline(&c.wrDeadline, c.wrCh, t)
	return c.sysDeadline(time.Time{}, t, false, true)
}

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

// errAgain is what sysWrite and sysWritev return when the socket takes no
// more for now.
var errAgain = errors.New("epoll: try again")

var _ net.Conn = (*Conn)(nil)
