// Package epoll is Kite's poller: non-blocking sockets watched by a few poll
// loops (epoll on Linux, kqueue on macOS and the BSDs) with zero-copy
// connection buffers, so that an idle connection costs a small struct and no
// goroutine. Other systems get the same API over the net package (one
// goroutine per connection, as net serves, and one more while output the
// socket has not taken yet is written, so that Flush does not block there
// either). Building with the tag kite_nopoller selects that fallback on
// every system: CI runs the tests so on Linux, where the fallback would
// otherwise never run.
//
// # The contract
//
// A [Poller] owns a fixed number of poll loops ([New] picks it from
// GOMAXPROCS when asked for 0). A loop is a goroutine waiting for its epoll
// instance (parked in the Go runtime's poller, which watches the epoll
// descriptor; see poll_epoll.go) or blocked in kevent; it starts with its
// first connection and stops, releasing its
// epoll and wake-up descriptors, when its last connection closes, so a
// process that stops using the poller returns to the goroutines and file
// descriptors it had. A loop is woken by an eventfd (Linux) or a pipe
// (kqueue) when it must stop.
//
// A [Conn] is a connection registered with one loop. It is a net.Conn
// (Read, Write, Close, deadlines, addresses) with blocking methods that park
// the calling goroutine until the loop reports readiness or the deadline
// passes, so crypto/tls, x/net/http2 and the transport pools run over it
// unchanged. A [Dialer] opens client Conns (it is a transport.Dialer); a
// [Listener] accepts server Conns.
//
// A server Conn is driven by [Conn.Serve]: whenever input arrives and no
// handler runs for the connection, the handler runs on a goroutine (an
// idle one of the few each loop keeps for handler runs, or a new one) and
// consumes whole frames with [Conn.Peek], [Conn.Skip] and [Conn.Release].
// Only one handler runs per connection at a time, so pipelined requests are
// answered in order; between requests the connection has no goroutine.
//
// # Edge-triggered
//
// Every socket is registered once, for reading and writing, edge-triggered
// (EPOLLET / EV_CLEAR), and never modified again. That is the Go runtime's
// choice and it suits this design: the loop drains a readable socket into
// the connection's input itself, so it never needs a second notification
// for bytes it already has, and a parked writer is woken by the one edge
// that says the send buffer has room again. Level-triggered would need an
// epoll_ctl per write that fills the socket and per input limit reached, or
// wake the loop again and again for the same bytes. Because an event is only
// a hint, stale or spurious events are harmless: every reader and writer
// retries its syscall and waits again on EAGAIN.
//
// # Events carry an index, not a pointer
//
// The event's user data holds the index of the connection in its loop's
// table (a []*Conn guarded by the loop's mutex), not a pointer: the kernel
// is invisible to the garbage collector, so a pointer stored only in the
// kernel could be freed or moved out from under it. The table keeps every
// registered Conn reachable; a closed connection's slot is reused, and the
// rare event for an old occupant of a slot is one of the harmless spurious
// events above.
//
// # Buffers
//
// Input is a chain of pooled 8 KiB blocks that the loop fills (with one
// readv into several blocks once a connection's input outgrows one); it is
// read without copying: Peek, Next and Skip return or pass over bytes that
// stay valid until [Conn.Release], which gives drained blocks back to the
// pool. A view spanning blocks is copied into one contiguous buffer. A
// connection with no unread input holds no block. The pool is a set of
// free lists that the loops trim each second to what the last second used,
// and that the last loop to stop empties. Output is encoded in place into
// blocks from [Conn.Malloc] and written with writev by [Conn.Flush]; what
// the socket does not take is written by the loop when it becomes writable
// again. [Conn.Write] (net.Conn) writes the caller's slice directly.
package epoll

import (
	"errors"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of the package.
var (
	// ErrUnsupported is returned by NewListener for a listener whose socket
	// the poller cannot take (it does not implement syscall.Conn).
	ErrUnsupported = errors.New("epoll: listener not supported by the poller")
	// ErrShortInput is returned by Peek and Next for more bytes than the
	// input holds.
	ErrShortInput = errors.New("epoll: fewer bytes buffered than asked for")
)

// Poller is a set of poll loops that connections are spread over. It is
// safe for concurrent use; most programs share [Default].
type Poller struct {
	loops []*loop
	next  atomic.Uint32
}

// New returns a poller with n loops, or with [DefaultLoops] loops when n <= 0.
// Loops start with their first connection and stop with their last, so a
// Poller that serves nothing holds no goroutine and no descriptor.
func New(n int) *Poller {
	if n <= 0 {
		n = DefaultLoops()
	}
	p := &Poller{loops: make([]*loop, n)}
	for i := range p.loops {
		p.loops[i] = &loop{}
	}
	return p
}

// DefaultLoops returns the loop count New picks: one loop per four
// GOMAXPROCS, at least one. A loop only moves bytes between sockets and
// buffers, so a few keep up with many handler goroutines.
func DefaultLoops() int {
	n := runtime.GOMAXPROCS(0) / 4
	if n < 1 {
		n = 1
	}
	return n
}

var (
	defaultOnce   sync.Once
	defaultPoller *Poller
)

// Default returns the process-wide poller, made by New(0) on first use.
func Default() *Poller {
	defaultOnce.Do(func() { defaultPoller = New(0) })
	return defaultPoller
}

// Loops returns the number of poll loops.
func (p *Poller) Loops() int { return len(p.loops) }

// String describes the poller: its mechanism and loop count.
func (p *Poller) String() string {
	return "epoll.Poller(" + Mechanism + ", " + strconv.Itoa(len(p.loops)) + " loops)"
}

// pick returns the loop for a new connection, round robin.
func (p *Poller) pick() *loop {
	return p.loops[int(p.next.Add(1)-1)%len(p.loops)]
}

// Dialer opens client connections on a poller; it implements
// transport.Dialer. The zero value dials on [Default] without a timeout.
type Dialer struct {
	// Poller is the poller the connections join; nil means Default().
	Poller *Poller
	// Timeout bounds connecting, name resolution included; zero means no
	// limit beyond the context's.
	Timeout time.Duration
}

func (d *Dialer) poller() *Poller {
	if d.Poller != nil {
		return d.Poller
	}
	return Default()
}

// opError wraps err as net does, so callers' errors.Is / net.Error checks
// hold.
func opError(op string, c *Conn, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.laddr, Addr: c.raddr, Err: err}
}
