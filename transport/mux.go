package transport

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/ttheader"
)

// ErrMuxClosed is the error of calls on a multiplexed connection that was
// closed or broke before their reply came.
var ErrMuxClosed = errors.New("transport: multiplexed connection closed")

// MuxConn is a client connection shared by concurrent calls, as Kitex's
// "mux" connections are: each call writes its request frame at once
// (requests of callers that come while a write is under way go out
// together, in the next write) and waits for the reply with its sequence
// id, which a reader goroutine routes to it; replies may come in any
// order. Frames must carry a length (Framed or TTHeader): a reply is
// matched by the sequence id of its Thrift envelope, or of its TTHeader for
// other payloads.
//
// Callers pipeline on one connection, so the server sees several requests
// per read and can send several replies per write; this is where a
// poller-based server gains most. A server that handles a connection's
// requests one after another (Kitex's default, Apache Thrift's; Kite's
// over Framed) answers them in order, so one slow call delays the calls
// queued behind it on the same connection; Kite's and Kitex's mux servers
// serve TTHeader requests flagged SupportOutOfOrder concurrently.
//
// A MuxConn is safe for concurrent use.
type MuxConn struct {
	nc net.Conn
	rd *Reader

	w Batcher // writes the requests

	mu      sync.Mutex // guards the fields below
	calls   map[int32]*MuxCall
	err     error // set once the connection broke or was closed
	retired bool  // no new calls; closes when the last one ends
	done    chan struct{}
}

// MuxCall is one call's wait for its reply; reuse it for later calls
// (it holds the reply's buffer). The zero value is ready to use. A MuxCall
// is used by one call at a time.
type MuxCall struct {
	ch    chan struct{} // cap 1: the reader delivered Reply or Err
	timer *time.Timer
	// Reply is the reply frame after a successful [MuxConn.RoundTrip];
	// it is valid until the MuxCall's next use.
	Reply []byte
	// Req is scratch space for the caller to encode the request into; the
	// call does not touch it.
	Req []byte
	// Received is when the reader took the reply from the connection
	// after a successful [MuxConn.RoundTrip]: the end of the read that
	// brought its last byte (one clock read serves every reply of a read).
	Received time.Time
	err      error
}

func newMuxConn(nc net.Conn, maxFrame int) *MuxConn {
	mc := &MuxConn{nc: nc, rd: NewReader(nc, maxFrame), calls: make(map[int32]*MuxCall), done: make(chan struct{})}
	mc.w.Conn = nc
	go mc.readLoop()
	return mc
}

// RemoteAddr returns the server's address.
func (mc *MuxConn) RemoteAddr() net.Addr { return mc.nc.RemoteAddr() }

// Broken reports whether the connection can take no more calls.
func (mc *MuxConn) Broken() bool {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return mc.err != nil || mc.retired
}

// RoundTrip writes frame, a request with sequence id seq, and waits for
// its reply into call.Reply until ctx ends or the deadline passes (zero:
// no deadline). With oneway set it only writes. Errors are ctx's error,
// os.ErrDeadlineExceeded, a write error or ErrMuxClosed (wrapping why the
// connection broke); the connection stays usable after a caller's timeout.
func (mc *MuxConn) RoundTrip(ctx context.Context, call *MuxCall, seq int32, frame []byte, deadline time.Time, oneway bool) error {
	if call.ch == nil {
		call.ch = make(chan struct{}, 1)
	}
	call.err = nil
	if !oneway {
		mc.mu.Lock()
		if mc.err != nil {
			err := mc.err
			mc.mu.Unlock()
			return err
		}
		if _, dup := mc.calls[seq]; dup {
			mc.mu.Unlock()
			return errors.New("transport: sequence id already waiting on this connection")
		}
		mc.calls[seq] = call
		mc.mu.Unlock()
	}
	if err := mc.write(frame, deadline); err != nil {
		if !oneway && !mc.forget(call, seq) {
			<-call.ch // fail took the call and signals it: consume that
		}
		return err
	}
	if oneway {
		return nil
	}
	done := ctx.Done()
	if done == nil && deadline.IsZero() {
		<-call.ch // nothing to give up on: no select needed
		return call.err
	}
	var expired <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if call.timer == nil {
			call.timer = time.NewTimer(d)
		} else {
			call.timer.Reset(d)
		}
		expired = call.timer.C
		defer call.timer.Stop()
	}
	select {
	case <-call.ch:
		return call.err
	case <-done:
		if mc.forget(call, seq) {
			return ctx.Err()
		}
	case <-expired:
		if mc.forget(call, seq) {
			return errDeadline
		}
	}
	<-call.ch // the reader took the call just before: its reply is here
	return call.err
}

// errDeadline is what a call past its deadline returns, as a net.Conn's
// read would.
var errDeadline = &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}

// forget removes a waiting call; false means the reader already took it
// and will deliver.
func (mc *MuxConn) forget(call *MuxCall, seq int32) bool {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.calls[seq] != call {
		return false
	}
	delete(mc.calls, seq)
	mc.closeIfDoneLocked()
	return true
}

// write sends frame through the batcher; a write error breaks the
// connection and fails every call on it.
func (mc *MuxConn) write(frame []byte, deadline time.Time) error {
	err := mc.w.Write(frame, deadline)
	if err != nil {
		mc.fail(err)
	}
	return err
}

// readLoop routes replies to their calls until the connection fails.
func (mc *MuxConn) readLoop() {
	var m Message
	var now time.Time
	woken := 0 // callers woken since the loop last yielded
	for {
		read := !mc.rd.FrameBuffered() // this message needs a read
		err := mc.rd.ReadMessage(&m)
		if err != nil {
			mc.fail(err)
			return
		}
		if read {
			now = time.Now()
		}
		if m.Framing.HasTTHeader() {
			if v, _ := m.Header.Str(ttheader.KeyConnReset); v != "" {
				// The server is going away: Kitex's mux server says so in
				// a control frame (sequence id 0) or on a reply.
				mc.Retire()
			}
			if m.Header.SeqID == 0 {
				continue // a control frame answers no call
			}
		}
		seq, ok := replySeq(&m)
		if !ok {
			mc.fail(ErrInvalidFrame)
			return
		}
		mc.mu.Lock()
		call := mc.calls[seq]
		delete(mc.calls, seq)
		// A retired connection closes once its last call has its reply.
		last := call != nil && mc.retired && len(mc.calls) == 0 && mc.err == nil
		mc.mu.Unlock()
		if call == nil {
			continue // the caller gave up: a late reply
		}
		call.Reply = append(call.Reply[:0], mc.rd.Frame()...)
		call.Received = now
		call.ch <- struct{}{}
		if last {
			_ = mc.nc.Close() // the next read fails and finishes the close
		}
		if woken++; woken == yieldEvery {
			// Let the woken callers run before waking more: past the
			// runtime's local run queue (256) the oldest would wait in
			// its global queue and run last.
			woken = 0
			runtime.Gosched()
		}
	}
}

// yieldEvery is how many callers the reader wakes before it yields: of 16,
// 64 and 128 (three kite bench runs each, 1,000 callers on two
// connections), 64 gave the lowest tail; against not yielding, five runs
// each: median p99 7.4 ms without, 6.7 ms with.
const yieldEvery = 64

// replySeq is the sequence id a reply answers.
func replySeq(m *Message) (int32, bool) {
	var p thrift.Protocol
	switch m.Payload {
	case ThriftBinary:
		p = thrift.Binary
	case ThriftCompact:
		p = thrift.Compact
	default:
		return m.Header.SeqID, m.Framing.HasTTHeader()
	}
	_, _, seq, _, err := thrift.ConsumeMessageBegin(m.Body, p)
	return seq, err == nil
}

// fail breaks the connection: waiting calls end with ErrMuxClosed.
func (mc *MuxConn) fail(cause error) {
	mc.mu.Lock()
	if mc.err == nil {
		mc.err = &muxError{cause}
		close(mc.done)
	}
	calls := mc.calls
	mc.calls = map[int32]*MuxCall{}
	err := mc.err
	mc.mu.Unlock()
	_ = mc.nc.Close()
	for _, c := range calls {
		c.err = err
		c.ch <- struct{}{}
	}
}

// muxError is ErrMuxClosed with the reason.
type muxError struct{ cause error }

func (e *muxError) Error() string {
	if e.cause == nil {
		return ErrMuxClosed.Error()
	}
	return ErrMuxClosed.Error() + ": " + e.cause.Error()
}
func (e *muxError) Unwrap() []error { return []error{ErrMuxClosed, e.cause} }

// Retire stops new calls on the connection (the server asked for it to be
// reset); it closes once its calls have ended.
func (mc *MuxConn) Retire() {
	mc.mu.Lock()
	mc.retired = true
	mc.closeIfDoneLocked()
	mc.mu.Unlock()
}

func (mc *MuxConn) closeIfDoneLocked() {
	if mc.retired && len(mc.calls) == 0 && mc.err == nil {
		_ = mc.nc.Close() // the reader fails and finishes the close
	}
}

// Close closes the connection; waiting calls end with ErrMuxClosed.
func (mc *MuxConn) Close() error {
	mc.fail(net.ErrClosed)
	return nil
}

// MuxPool keeps a fixed number of [MuxConn]s per address and spreads calls
// over them round robin; broken ones are replaced on the next Get.
//
// A MuxPool is safe for concurrent use.
type MuxPool struct {
	dialer   Dialer
	size     int
	maxFrame int

	mu     sync.Mutex // guards the fields below
	conns  map[string]*muxSlots
	closed bool
}

type muxSlots struct {
	next  uint32
	conns []*MuxConn
	dial  []chan struct{} // non-nil while slot i is being dialled
	old   []*MuxConn      // replaced connections that may still have calls
}

// liveOnly returns the connections of l that have not finished closing.
func liveOnly(l []*MuxConn) []*MuxConn {
	var live []*MuxConn
	for _, mc := range l {
		select {
		case <-mc.done:
		default:
			live = append(live, mc)
		}
	}
	return live
}

// NewMuxPool returns a pool of size connections per address (1 when
// size < 1), dialled with d. maxFrame bounds reply frames
// (DefaultMaxFrameSize when <= 0).
func NewMuxPool(d Dialer, size, maxFrame int) *MuxPool {
	if size < 1 {
		size = 1
	}
	return &MuxPool{dialer: d, size: size, maxFrame: maxFrame, conns: make(map[string]*muxSlots)}
}

// Get returns the next connection to addr, dialling it if it is missing or
// broken. Callers that need the same slot while it is dialled wait for it.
func (p *MuxPool) Get(ctx context.Context, addr string) (*MuxConn, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrPoolClosed
		}
		s := p.conns[addr]
		if s == nil {
			s = &muxSlots{conns: make([]*MuxConn, p.size), dial: make([]chan struct{}, p.size)}
			p.conns[addr] = s
		}
		i := int(s.next % uint32(p.size))
		s.next++
		if mc := s.conns[i]; mc != nil && !mc.Broken() {
			p.mu.Unlock()
			return mc, nil
		}
		if wait := s.dial[i]; wait != nil {
			p.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		wait := make(chan struct{})
		s.dial[i] = wait
		if old := s.conns[i]; old != nil {
			// A retired connection closes itself once its calls end;
			// until then Close must still find it.
			s.conns[i] = nil
			s.old = append(s.old[:0:0], liveOnly(s.old)...)
			s.old = append(s.old, old)
		}
		p.mu.Unlock()

		nc, err := p.dialer.DialContext(ctx, "tcp", addr)
		var mc *MuxConn
		if err == nil {
			if tc, ok := nc.(*net.TCPConn); ok {
				_ = tc.SetNoDelay(true)
			}
			mc = newMuxConn(nc, p.maxFrame)
		}
		p.mu.Lock()
		s.dial[i] = nil
		close(wait)
		if err == nil {
			if p.closed {
				p.mu.Unlock()
				_ = mc.Close()
				return nil, ErrPoolClosed
			}
			s.conns[i] = mc
		}
		p.mu.Unlock()
		return mc, err
	}
}

// Close closes every connection; later Gets fail with ErrPoolClosed.
func (p *MuxPool) Close() error {
	p.mu.Lock()
	p.closed = true
	var all []*MuxConn
	for _, s := range p.conns {
		for _, mc := range s.conns {
			if mc != nil {
				all = append(all, mc)
			}
		}
		all = append(all, s.old...)
	}
	p.conns = nil
	p.mu.Unlock()
	for _, mc := range all {
		_ = mc.Close()
	}
	return nil
}
