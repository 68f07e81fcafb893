//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly) || kite_nopoller

package epoll

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// Supported reports whether this system has a real poller; where it is
// false, connections are served through the net package.
const Supported = false

// Mechanism names the I/O mechanism: here, the net package.
const Mechanism = "net"

// loop is unused here: each connection has a reader goroutine instead.
type loop struct{}

// sysConn is the net.Conn side of a Conn. A goroutine per connection reads
// it into the input chain, standing in for the poll loop.
type sysConn struct {
	nc     net.Conn
	idle   atomic.Int64
	resume chan struct{}

	// A net.Conn's write blocks until it is done, but Flush must not: the
	// output is written by a goroutine of its own (writeOut), one write
	// at a time. Guarded by outMu.
	writing bool
	werr    error // the write error that broke the connection
}

// startRun runs h for c on a new goroutine.
func (c *Conn) startRun(h func(*Conn)) { go c.run(h) }

func (p *Poller) newConn(nc net.Conn) *Conn {
	c := &Conn{laddr: nc.LocalAddr(), raddr: nc.RemoteAddr()}
	c.init()
	c.sys.nc = nc
	c.sys.resume = make(chan struct{}, 1)
	c.incref() // held by the reader until it exits
	go c.reader()
	return c
}

// reader moves bytes from the net.Conn into the input until it ends.
func (c *Conn) reader() {
	defer c.decref()
	buf := make([]byte, blockSize)
	for {
		c.inMu.Lock()
		for c.in.n >= c.inLimit() && !c.closed() {
			c.paused = true
			c.inMu.Unlock()
			select {
			case <-c.sys.resume:
			case <-c.closeCh:
			}
			c.inMu.Lock()
		}
		c.inMu.Unlock()
		if idle := c.sys.idle.Load(); idle > 0 {
			_ = c.sys.nc.SetReadDeadline(time.Now().Add(time.Duration(idle)))
		}
		n, err := c.sys.nc.Read(buf)
		c.inMu.Lock()
		if c.finished || c.closed() {
			c.inMu.Unlock()
			return
		}
		for k := 0; k < n; {
			m := copy(c.in.space(1), buf[k:n])
			c.in.wrote(m)
			k += m
		}
		var ne net.Error
		switch {
		case err == nil:
		case errors.As(err, &ne) && ne.Timeout() && c.sys.idle.Load() > 0:
			if !c.running && n == 0 {
				c.inMu.Unlock()
				_ = c.Close()
				return
			}
			err = nil
		case errors.Is(err, errEOF):
			c.eof = true
		default:
			c.rdErr = err
		}
		if n > 0 || err != nil {
			c.lastActive.Store(time.Now().UnixNano())
			c.arrivedLocked()
		}
		c.inMu.Unlock()
		if err != nil {
			return
		}
	}
}

func (c *Conn) resumeInput() {
	c.inMu.Lock()
	c.paused = false
	c.inMu.Unlock()
	select {
	case c.sys.resume <- struct{}{}:
	default:
	}
}

func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}

func (c *Conn) sysWrite(p []byte) (int, error) {
	n, err := c.sys.nc.Write(p)
	return n, unwrapOp(err)
}

// sysWritev starts writing iov, the head of the output, on a goroutine
// and reports that the socket took nothing yet, as a full socket would;
// the goroutine drops what it wrote from the output when it is done. The
// output's blocks stay put meanwhile: nothing else consumes them while a
// write is under way, and the write holds a reference, so a Close frees
// them only after it.
func (c *Conn) sysWritev(iov [][]byte) (int, error) {
	switch {
	case c.sys.werr != nil:
		return 0, c.sys.werr
	case c.sys.writing:
		return 0, errAgain
	case !c.incref():
		return 0, net.ErrClosed
	}
	c.sys.writing = true
	go c.writeOut(net.Buffers(append([][]byte(nil), iov...)))
	return 0, errAgain
}

// writeOut writes bufs, then what was queued meanwhile, and wakes a
// writer waiting in Drain or Write.
func (c *Conn) writeOut(bufs net.Buffers) {
	n, err := bufs.WriteTo(c.sys.nc)
	c.outMu.Lock()
	c.sys.writing = false
	c.consumeLocked(int(n))
	var ne net.Error
	switch {
	case err == nil:
		_ = c.flushLocked() // starts the next write, if any
	case errors.As(err, &ne) && ne.Timeout():
		// The write deadline passed: the rest stays queued for a Flush or
		// Write after the deadline moves; retrying now would fail again.
	default:
		c.sys.werr = unwrapOp(err)
	}
	c.outMu.Unlock()
	c.decref()
	select {
	case c.wrCh <- struct{}{}:
	default:
	}
}

func (c *Conn) sysShutdown() { _ = c.sys.nc.Close() }

func (c *Conn) sysClose() {}

func (c *Conn) sysServe(idle time.Duration) {
	c.sys.idle.Store(int64(idle))
	if idle > 0 {
		_ = c.sys.nc.SetReadDeadline(time.Now().Add(idle)) // the reader re-arms it
	}
}

func (c *Conn) sysDeadline(r, w time.Time, setR, setW bool) error {
	if setW {
		return c.sys.nc.SetWriteDeadline(w)
	}
	return nil
}

// Listener accepts connections from a net.Listener and wraps them.
type Listener struct {
	ln net.Listener
	p  *Poller
}

// NewListener returns a Listener wrapping ln's connections.
func (p *Poller) NewListener(ln net.Listener) (*Listener, error) {
	return &Listener{ln: ln, p: p}, nil
}

// AcceptConn waits for and returns the next connection.
func (l *Listener) AcceptConn() (*Conn, error) {
	nc, err := l.ln.Accept()
	if err != nil {
		return nil, err
	}
	return l.p.newConn(nc), nil
}

// Accept is AcceptConn for net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptConn()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Addr returns the listener's address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close closes the underlying listener.
func (l *Listener) Close() error { return l.ln.Close() }

// DialContext dials with the net package and wraps the connection.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	nc, err := (&net.Dialer{Timeout: d.Timeout}).DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return d.poller().newConn(nc), nil
}

var errEOF = io.EOF
