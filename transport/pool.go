package transport

import (
	"context"
	"net"
	"time"
)

// Dialer opens connections for a pool; *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Conn is a client connection handed out by a [Pool]: the network
// connection, a [Reader] over it and a scratch buffer the caller encodes
// requests into. A Conn is used by one call at a time.
type Conn struct {
	net.Conn
	// Reader reads reply frames from Conn.
	Reader *Reader
	// Buf is scratch space for encoding a request; callers reuse its
	// capacity (Buf[:0]) and store the grown slice back.
	Buf []byte

	addr    string
	idleAt  time.Time // when the connection was put back
	created time.Time
	live    liveness // per-platform idle-connection check
}

// Addr returns the address the connection was dialled to.
func (c *Conn) Addr() string { return c.addr }

// Pool hands out client connections to an address.
type Pool interface {
	// Get returns a connection to addr, reusing an idle one when it can.
	Get(ctx context.Context, addr string) (*Conn, error)
	// Put gives c back. With reuse false, or when the pool has no room,
	// c is closed.
	Put(c *Conn, reuse bool)
	// Close closes every idle connection and makes later Gets fail.
	// Connections in use are closed when they are Put back.
	Close() error
}

const maxKeptBuf = 64 << 10 // a Conn's encode buffer beyond this is dropped on Put

func dial(ctx context.Context, d Dialer, addr string, maxFrame int) (*Conn, error) {
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true) // the default already, stated for clarity
	}
	c := &Conn{Conn: nc, Reader: NewReader(nc, maxFrame), addr: addr, created: time.Now()}
	c.initLiveness()
	return c, nil
}

// ShortPool dials a new connection for every call and closes it afterwards,
// as Kitex's short connections do.
type ShortPool struct {
	dialer   Dialer
	maxFrame int
}

// NewShortPool returns a pool without reuse. maxFrame bounds reply frames
// (DefaultMaxFrameSize when <= 0).
func NewShortPool(d Dialer, maxFrame int) *ShortPool {
	return &ShortPool{dialer: d, maxFrame: maxFrame}
}

// Get dials addr.
func (p *ShortPool) Get(ctx context.Context, addr string) (*Conn, error) {
	return dial(ctx, p.dialer, addr, p.maxFrame)
}

// Put closes c.
func (p *ShortPool) Put(c *Conn, reuse bool) { _ = c.Close() }

// Close does nothing: a ShortPool keeps no connections.
func (p *ShortPool) Close() error { return nil }
