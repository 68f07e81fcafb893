package transport

import (
	"context"
	"sync"
	"time"
)

// LongPoolConfig tunes a [LongPool]. The zero value of a field means its
// default, which matches Kitex's long pool.
type LongPoolConfig struct {
	// MaxIdlePerAddress is how many idle connections are kept per address
	// (default 10).
	MaxIdlePerAddress int
	// MaxIdleGlobal is how many idle connections are kept in all
	// (default 100).
	MaxIdleGlobal int
	// MaxIdleTimeout closes connections idle for longer (default 1 minute).
	MaxIdleTimeout time.Duration
}

func (c LongPoolConfig) withDefaults() LongPoolConfig {
	if c.MaxIdlePerAddress <= 0 {
		c.MaxIdlePerAddress = 10
	}
	if c.MaxIdleGlobal <= 0 {
		c.MaxIdleGlobal = 100
	}
	if c.MaxIdleTimeout <= 0 {
		c.MaxIdleTimeout = time.Minute
	}
	return c
}

// LongPool keeps idle connections per address and hands out the most
// recently used one first (LIFO), so a quiet period lets the older ones time
// out. Connections that saw an error are not reused: the caller Puts them
// with reuse false. A background janitor, started with the first idle
// connection and stopped by Close, closes connections idle for too long.
//
// A LongPool is safe for concurrent use.
type LongPool struct {
	dialer   Dialer
	cfg      LongPoolConfig
	maxFrame int

	mu      sync.Mutex // guards the fields below
	idle    map[string][]*Conn
	nIdle   int
	closed  bool
	janitor chan struct{} // closed by Close; nil until the janitor starts
	done    chan struct{} // closed when the janitor has exited
}

// NewLongPool returns a pool dialling with d. maxFrame bounds reply frames
// (DefaultMaxFrameSize when <= 0).
func NewLongPool(d Dialer, cfg LongPoolConfig, maxFrame int) *LongPool {
	return &LongPool{dialer: d, cfg: cfg.withDefaults(), maxFrame: maxFrame, idle: make(map[string][]*Conn)}
}

// Get returns the most recently idled live connection to addr or dials one.
//
// An idle connection is checked with a non-blocking peek (see alive)
// before it is handed out, outside the pool's lock so that concurrent Gets
// do not queue behind the system call. The peek is kept even for a
// connection idled a moment ago: a server or proxy that closes after a
// reply (a request limit per connection, say) sends its FIN right behind
// the reply, and a caller calling again at once must not be handed that
// connection.
func (p *LongPool) Get(ctx context.Context, addr string) (*Conn, error) {
	now := time.Now()
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrPoolClosed
		}
		list := p.idle[addr]
		if len(list) == 0 {
			p.mu.Unlock()
			break
		}
		c := list[len(list)-1]
		list[len(list)-1] = nil
		p.idle[addr] = list[:len(list)-1]
		p.nIdle--
		p.mu.Unlock()
		if now.Sub(c.idleAt) < p.cfg.MaxIdleTimeout && c.Reader.Buffered() == 0 && alive(c) {
			return c, nil
		}
		_ = c.Close()
	}
	return dial(ctx, p.dialer, addr, p.maxFrame)
}

// Put returns c to its address's idle list, or closes it when reuse is
// false, the pool is closed or full, or c holds unread bytes.
func (p *LongPool) Put(c *Conn, reuse bool) {
	if !reuse || c.Reader.Buffered() != 0 {
		_ = c.Close()
		return
	}
	if cap(c.Buf) > maxKeptBuf {
		c.Buf = nil
	}
	c.idleAt = time.Now()
	p.mu.Lock()
	if p.closed || p.nIdle >= p.cfg.MaxIdleGlobal || len(p.idle[c.addr]) >= p.cfg.MaxIdlePerAddress {
		p.mu.Unlock()
		_ = c.Close()
		return
	}
	p.idle[c.addr] = append(p.idle[c.addr], c)
	p.nIdle++
	if p.janitor == nil {
		p.janitor, p.done = make(chan struct{}), make(chan struct{})
		go p.clean(p.janitor, p.done)
	}
	p.mu.Unlock()
}

// CloseIdle closes the idle connections to addr, as when discovery drops
// the instance; connections in use are closed when they are Put back only if
// the caller says so.
func (p *LongPool) CloseIdle(addr string) {
	p.mu.Lock()
	list := p.idle[addr]
	delete(p.idle, addr)
	p.nIdle -= len(list)
	p.mu.Unlock()
	for _, c := range list {
		_ = c.Close()
	}
}

// Idle returns the number of idle connections the pool holds.
func (p *LongPool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nIdle
}

// Close closes the idle connections and stops the janitor.
func (p *LongPool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for addr, list := range p.idle {
		for _, c := range list {
			_ = c.Close()
		}
		delete(p.idle, addr)
	}
	p.nIdle = 0
	stop, done := p.janitor, p.done
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	return nil
}

// clean closes timed-out idle connections until stop is closed.
func (p *LongPool) clean(stop, done chan struct{}) {
	defer close(done)
	period := p.cfg.MaxIdleTimeout / 2
	if period < 100*time.Millisecond {
		period = 100 * time.Millisecond
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			for addr, list := range p.idle {
				// LIFO: the oldest are at the front.
				n := 0
				for n < len(list) && now.Sub(list[n].idleAt) >= p.cfg.MaxIdleTimeout {
					_ = list[n].Close()
					n++
				}
				if n > 0 {
					p.nIdle -= n
					rest := append(list[:0], list[n:]...)
					for i := len(rest); i < len(list); i++ {
						list[i] = nil
					}
					if len(rest) == 0 {
						delete(p.idle, addr)
					} else {
						p.idle[addr] = rest
					}
				}
			}
			p.mu.Unlock()
		}
	}
}
