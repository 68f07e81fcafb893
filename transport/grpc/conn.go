package grpc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Config holds the settings shared by servers and clients. Zero fields take
// the defaults stated on them.
type Config struct {
	// MaxRecvMsgSize is the largest message accepted; larger ones fail
	// with RESOURCE_EXHAUSTED. The default is 4 MiB, as grpc-go's.
	MaxRecvMsgSize int
	// MaxSendMsgSize is the largest message sent; larger ones fail with
	// RESOURCE_EXHAUSTED before anything is written. The default is
	// math.MaxInt32, as grpc-go's.
	MaxSendMsgSize int
	// InitialWindowSize is each stream's receive window: how many bytes of
	// complete, unread messages a stream buffers before the peer must
	// wait. The default is 64 KiB.
	InitialWindowSize int32
	// ConnWindowSize is the connection's receive window. The default is
	// 1 MiB.
	ConnWindowSize int32
	// MaxConcurrentStreams, on a server, is advertised to clients; zero
	// means no limit.
	MaxConcurrentStreams uint32
	// WriteTimeout bounds each write to the connection; a connection that
	// cannot take its bytes for this long is closed. The default is none.
	WriteTimeout time.Duration
	// IdleTimeout, on a server, closes a connection that has no open
	// stream and sends nothing for this long. The default is none. Acks
	// of the server's keepalive PINGs count as the client sending.
	IdleTimeout time.Duration
	// Keepalive sets the PINGs that find a dead peer and, on a server,
	// the connection idleness and age limits.
	Keepalive Keepalive
	// KeepaliveEnforcement, on a server, limits how often clients may
	// ping.
	KeepaliveEnforcement KeepaliveEnforcement
}

func (c *Config) withDefaults() Config {
	d := *c
	if d.MaxRecvMsgSize <= 0 {
		d.MaxRecvMsgSize = 4 << 20
	}
	if d.MaxSendMsgSize <= 0 {
		d.MaxSendMsgSize = math.MaxInt32
	}
	if d.InitialWindowSize <= 0 {
		d.InitialWindowSize = 64 << 10
	}
	if d.ConnWindowSize < 65535 {
		d.ConnWindowSize = 1 << 20
	}
	if d.Keepalive.Timeout <= 0 {
		d.Keepalive.Timeout = defaultKeepaliveTimeout
	}
	if d.KeepaliveEnforcement.MinTime == 0 {
		d.KeepaliveEnforcement.MinTime = defaultPingMinTime
	}
	return d
}

// Errors.
var (
	// ErrConnClosed is returned for streams of a connection that closed.
	ErrConnClosed = errors.New("grpc: connection closed")
	// ErrStreamDone is returned by Send after the stream finished.
	ErrStreamDone = errors.New("grpc: stream finished")
)

const defaultMaxFrame = 16384

// maxPending is how many bytes of DATA frames may wait for the writer: a
// sender finding more waits, so a connection's write buffer stays small
// and is reused rather than regrown.
const maxPending = 256 << 10

// conn is one HTTP/2 connection, either side.
type conn struct {
	nc     net.Conn
	cfg    Config
	client bool
	br     *bufio.Reader
	fr     *http2.Framer
	hdec   *hpack.Decoder // reader goroutine only
	hb     headerBlock    // reader goroutine only: the last header block read

	wmu              sync.Mutex // guards the fields down to peerMaxStreams, and every Stream's send fields
	wcond            *sync.Cond // on wmu: send windows grew, or something failed
	wbuf             []byte     // frames waiting for the writer
	spare            []byte
	wsignaled        bool // the writer has been woken for wbuf
	sentData         bool // server: HEADERS or DATA queued since the peer's last PING
	werr             error
	sendWin          int64 // the peer's connection window
	peerWin          int64 // the peer's SETTINGS_INITIAL_WINDOW_SIZE
	peerFrame        int   // the peer's SETTINGS_MAX_FRAME_SIZE
	enc              encTable
	closeWhenFlushed bool
	wsignal          chan struct{}

	mu           sync.Mutex // guards the fields below
	sconds       *sync.Cond // on mu: a stream slot freed (client)
	streams      map[uint32]*Stream
	maxID        uint32 // server: highest stream id seen; client: last id used
	peerMax      uint32 // client: the server's SETTINGS_MAX_CONCURRENT_STREAMS
	draining     bool   // server: first GOAWAY sent; client: GOAWAY received
	lastID       uint32 // server: streams above it are refused after the second GOAWAY
	finalSent    bool
	closeErr     error
	kaDormant    bool  // client: the pinger waits for a stream (keepalive.go)
	tooManyPings bool  // client: GOAWAY ENHANCE_YOUR_CALM "too_many_pings" received
	idleSince    int64 // server with MaxConnectionIdle: when the last stream ended

	connUnacked int   // reader goroutine only: received, not yet credited
	pingStrikes int   // reader goroutine only (server): early pings in a row
	lastPingAt  int64 // reader goroutine only (server): the peer's last PING

	// Keepalive (keepalive.go); the timers are set before the connection
	// is shared and nil when unused.
	lastRead  atomic.Int64 // nanotime of the last bytes read, with a pinger
	ka        *pinger
	idleTimer *time.Timer
	ageTimer  *time.Timer
	aged      atomic.Bool // MaxConnectionAge passed: the next age tick aborts
	done      chan struct{}
	closeOnce sync.Once
	srv       *Server         // server side
	hwg       *sync.WaitGroup // server: handler goroutines
}

func newConn(nc net.Conn, r io.Reader, cfg Config, client bool) *conn {
	c := &conn{
		nc: nc, cfg: cfg, client: client,
		sendWin: 65535, peerWin: 65535, peerFrame: defaultMaxFrame, peerMax: math.MaxUint32,
		enc:     newEncTable(),
		streams: make(map[uint32]*Stream),
		wsignal: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	c.wcond = sync.NewCond(&c.wmu)
	c.sconds = sync.NewCond(&c.mu)
	if cfg.Keepalive.Time > 0 {
		r = readStamp{r: r, last: &c.lastRead}
	}
	c.br = bufio.NewReaderSize(r, 32<<10)
	c.fr = http2.NewFramer(nil, c.br)
	c.fr.SetReuseFrames()
	c.hdec = hpack.NewDecoder(4096, c.emitField)
	c.hdec.SetMaxStringLength(maxHeaderList)
	return c
}

// initialFrames appends our SETTINGS and the connection window update.
func (c *conn) initialFrames(b []byte) []byte {
	s := []http2.Setting{{ID: http2.SettingMaxFrameSize, Val: defaultMaxFrame}}
	if c.cfg.InitialWindowSize != 65535 {
		s = append(s, http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(c.cfg.InitialWindowSize)})
	}
	if !c.client && c.cfg.MaxConcurrentStreams > 0 {
		s = append(s, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: c.cfg.MaxConcurrentStreams})
	}
	b = appendSettings(b, s...)
	if c.cfg.ConnWindowSize > 65535 {
		b = appendWindowUpdate(b, 0, uint32(c.cfg.ConnWindowSize-65535))
	}
	return b
}

// kick wakes the writer; c.wmu must be held.
func (c *conn) kick() {
	if !c.wsignaled {
		c.wsignaled = true
		select {
		case c.wsignal <- struct{}{}:
		default:
		}
	}
}

// queue appends frames built by f and wakes the writer.
func (c *conn) queue(f func(b []byte) []byte) {
	c.wmu.Lock()
	if c.werr == nil {
		c.wbuf = f(c.wbuf)
		c.kick()
	}
	c.wmu.Unlock()
}

func (c *conn) writeLoop() {
	for {
		select {
		case <-c.wsignal:
		case <-c.done:
			return
		}
		// Let the goroutines that are ready run first: their replies then
		// join this write.
		runtime.Gosched()
		c.wmu.Lock()
		for len(c.wbuf) > 0 {
			buf := c.wbuf
			c.wbuf = c.spare[:0]
			c.wmu.Unlock()
			if c.cfg.WriteTimeout > 0 {
				_ = c.nc.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout))
			}
			_, err := c.nc.Write(buf)
			c.wmu.Lock()
			if cap(buf) <= 4*maxPending {
				c.spare = buf[:0]
			} else {
				c.spare = nil // drop an outsized buffer (never share one with c.wbuf)
			}
			c.wcond.Broadcast() // senders waiting for room in wbuf
			if err != nil {
				c.wmu.Unlock()
				c.close(err)
				return
			}
		}
		c.wsignaled = false
		closing := c.closeWhenFlushed
		c.wmu.Unlock()
		if closing {
			c.close(nil)
			return
		}
	}
}

// close tears the connection down: every stream fails with err (or
// ErrConnClosed).
func (c *conn) close(err error) {
	c.closeOnce.Do(func() {
		if err == nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
			err = ErrConnClosed
		}
		c.mu.Lock()
		c.closeErr = err
		streams := make([]*Stream, 0, len(c.streams))
		for _, s := range c.streams {
			streams = append(streams, s)
		}
		c.streams = map[uint32]*Stream{}
		c.sconds.Broadcast()
		c.mu.Unlock()
		c.wmu.Lock()
		if c.werr == nil {
			c.werr = err
		}
		c.wcond.Broadcast()
		c.wmu.Unlock()
		close(c.done)
		c.stopKeepalive()
		_ = c.nc.Close()
		for _, s := range streams {
			s.fail(err)
		}
	})
}

// readLoop reads frames until the connection fails.
func (c *conn) readLoop() {
	var err error
	defer func() { c.close(err) }()
	for {
		if !c.client && c.cfg.IdleTimeout > 0 {
			// Only a connection without streams can be idle; a stream
			// waiting on its handler keeps it open.
			c.mu.Lock()
			idle := len(c.streams) == 0
			c.mu.Unlock()
			if idle {
				_ = c.nc.SetReadDeadline(time.Now().Add(c.cfg.IdleTimeout))
			} else {
				_ = c.nc.SetReadDeadline(time.Time{})
			}
		}
		var f http2.Frame
		f, err = c.fr.ReadFrame()
		if hf, ok := f.(*http2.HeadersFrame); ok && err == nil {
			err = c.readHeaderBlock(hf)
		}
		if sf, ok := f.(*http2.SettingsFrame); ok && err == nil && !sf.IsAck() {
			// Out-of-range values are a connection error (RFC 9113
			// §6.5.2); a MAX_FRAME_SIZE of 0 made the writer loop for ever.
			err = sf.ForeachSetting(func(s http2.Setting) error { return s.Valid() })
		}
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				c.resetStream(se.StreamID, se.Code)
				err = nil
				continue
			}
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				c.goAwayAndClose(http2.ErrCode(ce))
			}
			return
		}
		switch f := f.(type) {
		case *http2.HeadersFrame:
			if c.client {
				c.onResponseHeaders(&c.hb)
			} else {
				c.onRequestHeaders(&c.hb)
			}
		case *http2.DataFrame:
			c.onData(f)
		case *http2.WindowUpdateFrame:
			var s *Stream
			if f.StreamID != 0 {
				if s = c.stream(f.StreamID); s == nil {
					continue
				}
			}
			c.wmu.Lock()
			win := &c.sendWin
			if s != nil {
				win = &s.sendWin
			}
			over := *win+int64(f.Increment) > maxWindow
			if !over {
				*win += int64(f.Increment)
				c.wcond.Broadcast()
			}
			c.wmu.Unlock()
			switch {
			case over && s == nil: // RFC 9113 §6.9.1
				err = http2.ConnectionError(http2.ErrCodeFlowControl)
				c.goAwayAndClose(http2.ErrCodeFlowControl)
				return
			case over:
				c.resetStream(s.id, http2.ErrCodeFlowControl)
			}
		case *http2.SettingsFrame:
			if f.IsAck() {
				continue
			}
			c.onSettings(f)
		case *http2.RSTStreamFrame:
			if s := c.stream(f.StreamID); s != nil {
				s.onReset(f.ErrCode)
			}
		case *http2.PingFrame:
			if f.IsAck() {
				if !c.client && f.Data == shutdownPing {
					c.finalGoAway()
				}
				continue
			}
			c.onPing(f.Data)
		case *http2.GoAwayFrame:
			if c.client {
				calm := f.ErrCode == http2.ErrCodeEnhanceYourCalm && string(f.DebugData()) == "too_many_pings"
				c.onGoAway(f.LastStreamID, calm)
			}
		}
	}
}

// lastStreamID returns the highest stream id seen (server) or used
// (client); it takes c.mu, so c.wmu must not be held.
func (c *conn) lastStreamID() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxID
}

// maxWindow is the largest flow-control window HTTP/2 allows (2^31-1).
const maxWindow = 1<<31 - 1

// goAwayAndClose ends the connection for a connection error: GOAWAY with
// code, then the close once it is written (or after abortFlush). It runs
// on the reader goroutine, whose deferred close follows.
func (c *conn) goAwayAndClose(code http2.ErrCode) {
	// maxID is read before queue takes c.wmu: NewStream takes c.mu, then
	// c.wmu (the other order deadlocked).
	last := c.lastStreamID()
	c.queue(func(b []byte) []byte { return appendGoAway(b, last, code, "") })
	c.flushAndClose()
	// Let the writer send the GOAWAY (and close) before the deferred close
	// cuts it off; a peer that reads nothing gets abortFlush.
	t := time.NewTimer(abortFlush)
	select {
	case <-c.done:
	case <-t.C:
	}
	t.Stop()
}

// flushAndClose closes the connection once queued frames are written.
func (c *conn) flushAndClose() {
	c.wmu.Lock()
	c.closeWhenFlushed = true
	c.kick()
	c.wmu.Unlock()
}

func (c *conn) stream(id uint32) *Stream {
	c.mu.Lock()
	s := c.streams[id]
	c.mu.Unlock()
	return s
}

func (c *conn) onSettings(f *http2.SettingsFrame) {
	c.mu.Lock() // lock order: mu, then wmu
	c.wmu.Lock()
	_ = f.ForeachSetting(func(s http2.Setting) error {
		switch s.ID {
		case http2.SettingInitialWindowSize:
			delta := int64(s.Val) - c.peerWin
			c.peerWin = int64(s.Val)
			for _, st := range c.streams {
				st.sendWin += delta
			}
		case http2.SettingMaxFrameSize:
			c.peerFrame = int(s.Val)
		case http2.SettingHeaderTableSize:
			c.enc.setLimit(s.Val) // in force from our ACK, queued below
		case http2.SettingMaxConcurrentStreams:
			c.peerMax = s.Val
			c.sconds.Broadcast()
		}
		return nil
	})
	c.wbuf = appendFrameHeader(c.wbuf, 0, http2.FrameSettings, http2.FlagSettingsAck, 0)
	c.kick()
	c.wcond.Broadcast()
	c.wmu.Unlock()
	c.mu.Unlock()
}

func (c *conn) onData(f *http2.DataFrame) {
	n := int(f.Length)
	if n > 0 {
		c.connUnacked += n
		if c.connUnacked >= int(c.cfg.ConnWindowSize)/4 {
			inc := c.connUnacked
			c.connUnacked = 0
			c.queue(func(b []byte) []byte { return appendWindowUpdate(b, 0, uint32(inc)) })
		}
	}
	s := c.stream(f.StreamID)
	if s == nil {
		return
	}
	s.onData(f.Data(), n, f.StreamEnded())
}

// resetStream answers a stream-level protocol error with RST_STREAM.
func (c *conn) resetStream(id uint32, code http2.ErrCode) {
	c.queue(func(b []byte) []byte { return appendRSTStream(b, id, code) })
	if s := c.stream(id); s != nil {
		s.onReset(code)
	}
}

// removeStream forgets s.
func (c *conn) removeStream(s *Stream) {
	c.mu.Lock()
	if c.streams[s.id] == s {
		delete(c.streams, s.id)
	}
	idle := len(c.streams) == 0
	if idle && c.idleTimer != nil {
		c.idleSince = nanotime()
	}
	c.sconds.Broadcast()
	closing := idle && ((c.finalSent && !c.client) || (c.client && c.draining))
	c.mu.Unlock()
	if closing {
		c.flushAndClose()
	}
}

// streamCtx returns a cancellable context for a stream with an optional deadline.
func streamCtx(parent context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if !deadline.IsZero() {
		return context.WithDeadline(parent, deadline)
	}
	return context.WithCancel(parent)
}
