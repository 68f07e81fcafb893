package grpc

import (
	"io"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
)

// Keepalive configures the HTTP/2 PINGs that find a dead peer, and on a
// server the limits on a connection's idleness and age. The semantics are
// grpc-go's keepalive.ClientParameters and keepalive.ServerParameters.
type Keepalive struct {
	// Time is how long a connection may go without receiving anything
	// before this side sends a PING. Zero takes the default: none on a
	// client, 2 hours on a server (as grpc-go). Negative turns pings off.
	//
	// grpc-go raises a client's Time below 10 s to 10 s; Kite does not.
	// Servers limit how often they accept pings (grpc-go's and Kitex's
	// default is one per 5 minutes while streams are open, one per 2
	// hours without),
	// and answer more with GOAWAY ENHANCE_YOUR_CALM "too_many_pings",
	// closing the connection: see [KeepaliveEnforcement].
	Time time.Duration
	// Timeout is how long to wait after a PING for any frame from the
	// peer before closing the connection; its streams then fail as the
	// connection closed (UNAVAILABLE). The default is 20 s.
	Timeout time.Duration
	// PermitWithoutStream, on a client, sends pings while no stream is
	// open; otherwise an idle connection is left alone until the next
	// call. The default is false.
	PermitWithoutStream bool
	// MaxConnectionIdle, on a server, starts a graceful shutdown of a
	// connection (GOAWAY) that has had no open stream for this long. The
	// default is none.
	MaxConnectionIdle time.Duration
	// MaxConnectionAge, on a server, starts a graceful shutdown of a
	// connection this old, give or take 10% so that connections made
	// together do not all go at once. The default is none.
	MaxConnectionAge time.Duration
	// MaxConnectionAgeGrace, on a server, is how long streams may run
	// after MaxConnectionAge; those still open then end (see
	// [Server.Close]). The default is no limit.
	MaxConnectionAgeGrace time.Duration
}

// KeepaliveEnforcement is how often a server lets clients ping, as
// grpc-go's keepalive.EnforcementPolicy. A ping that comes sooner than
// allowed is a strike; the third strike in a row is answered with GOAWAY
// ENHANCE_YOUR_CALM, debug data "too_many_pings", and the connection
// closes. A ping after the server sent headers or data clears the strikes:
// clients measure bandwidth with pings that follow data.
type KeepaliveEnforcement struct {
	// MinTime is the least time between pings while streams are open.
	// Zero takes the default, 5 minutes; negative accepts any rate.
	MinTime time.Duration
	// PermitWithoutStream accepts pings (at MinTime) while no stream is
	// open; otherwise such pings are allowed only every 2 hours. The
	// default is false.
	PermitWithoutStream bool
}

const (
	defaultServerKeepaliveTime = 2 * time.Hour
	defaultKeepaliveTimeout    = 20 * time.Second
	defaultPingMinTime         = 5 * time.Minute
	// idlePingMinTime is the least time between pings on a connection
	// without streams when the policy does not permit them (grpc-go's).
	idlePingMinTime = 2 * time.Hour
	// maxPingStrikes is how many early pings are let through; one more
	// ends the connection (grpc-go's count).
	maxPingStrikes = 2
	// abortFlush bounds how long closing a connection waits for its last
	// frames (RST_STREAM, GOAWAY) to be written.
	abortFlush = 100 * time.Millisecond
)

// keepalivePing is the data of our keepalive PINGs (zero, as grpc-go's).
var keepalivePing [8]byte

// ErrKeepalive is the error of streams whose connection was closed
// because a keepalive PING went unanswered. It matches ErrConnClosed
// under errors.Is.
var ErrKeepalive error = &connClosedError{"grpc: connection closed: keepalive ping not acknowledged in time"}

// errGraceExpired fails the streams a server resets when it closes a
// connection before they finished.
var errGraceExpired error = &connClosedError{"grpc: connection closed: server shutdown"}

type connClosedError struct{ msg string }

func (e *connClosedError) Error() string        { return e.msg }
func (e *connClosedError) Is(target error) bool { return target == ErrConnClosed }

// epoch makes monotonic timestamps that fit in an int64.
var epoch = time.Now()

func nanotime() int64 { return int64(time.Since(epoch)) }

// readStamp records when bytes last arrived. Stamping each read, not each
// frame, costs one clock read per syscall however many frames it brings.
type readStamp struct {
	r    io.Reader
	last *atomic.Int64
}

func (r readStamp) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.last.Store(nanotime())
	}
	return n, err
}

// pinger sends a connection's keepalive PINGs from a timer: an idle
// connection costs no goroutine, and the read path only stamps the time.
type pinger struct {
	time, timeout time.Duration
	permitIdle    bool // client: ping without open streams
	timer         *time.Timer

	mu       sync.Mutex // guards the fields below; serialises ticks
	prevRead int64      // c.lastRead at the previous tick
	pingAt   int64      // when the unanswered PING went out; 0 if none
}

// startKeepalive arms the connection's timers; it runs before the
// connection is shared, so close sees the timers.
func (c *conn) startKeepalive() {
	ka := c.cfg.Keepalive
	if !c.client {
		c.lastPingAt = math.MinInt64 / 2 // the first ping is never early
		c.idleSince = nanotime()
	}
	// The timers are made stopped and started once the fields their
	// functions read are set: starting one orders those writes before
	// its function runs.
	if ka.Time > 0 {
		c.lastRead.Store(nanotime())
		c.ka = &pinger{time: ka.Time, timeout: ka.Timeout, permitIdle: ka.PermitWithoutStream, prevRead: c.lastRead.Load()}
		c.ka.timer = stoppedTimer(c.keepaliveTick)
	}
	if !c.client && ka.MaxConnectionIdle > 0 {
		c.idleTimer = stoppedTimer(c.idleTick)
	}
	if !c.client && ka.MaxConnectionAge > 0 {
		c.ageTimer = stoppedTimer(c.ageTick)
	}
	if c.ka != nil {
		c.ka.timer.Reset(ka.Time)
	}
	if c.idleTimer != nil {
		c.idleTimer.Reset(ka.MaxConnectionIdle)
	}
	if c.ageTimer != nil {
		d := ka.MaxConnectionAge
		if j := int64(d / 5); j > 0 {
			d += time.Duration(rand.Int64N(j)) - d/10
		}
		c.ageTimer.Reset(d)
	}
}

func stoppedTimer(f func()) *time.Timer {
	t := time.AfterFunc(time.Hour, f)
	t.Stop()
	return t
}

// stopKeepalive stops the timers of a closed connection. A tick already
// running sees c.done closed and stops there.
func (c *conn) stopKeepalive() {
	if c.ka != nil {
		c.ka.timer.Stop()
	}
	if c.idleTimer != nil {
		c.idleTimer.Stop()
	}
	if c.ageTimer != nil {
		c.ageTimer.Stop()
	}
}

func (c *conn) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// keepaliveTick runs when the connection may have been silent for Time,
// or a PING's Timeout may have passed.
func (c *conn) keepaliveTick() {
	p := c.ka
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.closed() {
		return
	}
	now := nanotime()
	if last := c.lastRead.Load(); last > p.prevRead {
		// Something arrived (the ack, or anything else): the peer lives.
		p.prevRead, p.pingAt = last, 0
		if d := last + int64(p.time) - now; d > 0 {
			p.timer.Reset(time.Duration(d))
			return
		}
	}
	if p.pingAt != 0 && now-p.pingAt >= int64(p.timeout) {
		c.close(ErrKeepalive)
		return
	}
	if c.client && !p.permitIdle {
		c.mu.Lock()
		idle := len(c.streams) == 0
		c.kaDormant = idle // NewStream wakes the timer
		c.mu.Unlock()
		if idle {
			p.pingAt = 0 // a stream's first tick pings afresh
			return
		}
	}
	if p.pingAt == 0 {
		c.queue(func(b []byte) []byte { return appendPing(b, false, keepalivePing) })
		p.pingAt = now
	}
	// Look again when the timeout ends, or sooner at Time, so that an
	// acked ping makes way for the next one Time after the ack.
	d := time.Duration(p.pingAt + int64(p.timeout) - now)
	if p.time < d {
		d = p.time
	}
	p.timer.Reset(d)
}

// wakeKeepalive restarts a dormant client pinger once a stream opens;
// c.mu must be held.
func (c *conn) wakeKeepaliveLocked() {
	if c.kaDormant {
		c.kaDormant = false
		c.ka.timer.Reset(0)
	}
}

// idleTick drains a server connection that has had no stream for
// MaxConnectionIdle.
func (c *conn) idleTick() {
	if c.closed() {
		return
	}
	d := c.cfg.Keepalive.MaxConnectionIdle
	c.mu.Lock()
	busy := len(c.streams) > 0
	left := time.Duration(c.idleSince + int64(d) - nanotime())
	c.mu.Unlock()
	switch {
	case busy:
		c.idleTimer.Reset(d)
	case left > 0:
		c.idleTimer.Reset(left)
	default:
		c.goAway("max_idle")
	}
}

// ageTick drains a server connection at MaxConnectionAge and, on its
// second run, ends it after MaxConnectionAgeGrace.
func (c *conn) ageTick() {
	if c.closed() {
		return
	}
	if !c.aged.Swap(true) {
		c.goAway("max_age")
		if g := c.cfg.Keepalive.MaxConnectionAgeGrace; g > 0 {
			c.ageTimer.Reset(g)
		}
		return
	}
	c.abort("max_age grace period expired")
}

// onPing answers a PING from the peer and, on a server, holds it against
// the enforcement policy. It runs on the reader goroutine.
func (c *conn) onPing(data [8]byte) {
	c.wmu.Lock()
	sent := c.sentData
	c.sentData = false
	if c.werr == nil {
		c.wbuf = appendPing(c.wbuf, true, data)
		c.kick()
	}
	c.wmu.Unlock()
	pol := c.cfg.KeepaliveEnforcement
	if c.client || pol.MinTime < 0 {
		return
	}
	now := nanotime()
	prev := c.lastPingAt
	c.lastPingAt = now
	if sent {
		c.pingStrikes = 0
		return
	}
	min := pol.MinTime
	if !pol.PermitWithoutStream {
		c.mu.Lock()
		if len(c.streams) == 0 {
			min = idlePingMinTime
		}
		c.mu.Unlock()
	}
	if now-prev < int64(min) {
		c.pingStrikes++
	}
	if c.pingStrikes > maxPingStrikes {
		c.mu.Lock()
		c.draining = true
		if !c.finalSent {
			c.finalSent, c.lastID = true, c.maxID
		}
		last := c.lastID
		c.mu.Unlock()
		c.queue(func(b []byte) []byte {
			return appendGoAway(b, last, http2.ErrCodeEnhanceYourCalm, "too_many_pings")
		})
		c.flushAndClose()
	}
}

// graceResetCode is the RST_STREAM code for a stream cut off when the
// server stops waiting for it, and whether to send one. Kitex servers send
// their own code 1000, which Kitex and Kite clients read as UNAVAILABLE
// "graceful shutdown". Other clients get no reset: to grpc-go 1000 is an
// unknown code (UNKNOWN) and CANCEL reads as CANCELLED, which retry
// policies do not retry, while the connection closing after the final
// GOAWAY reads as UNAVAILABLE, what a grpc-go server's Stop gives them.
func graceResetCode(s *Stream) (http2.ErrCode, bool) {
	if hasPrefix(s.UserAgent, "kitex/") || hasPrefix(s.UserAgent, "kite-grpc") {
		return 1000, true
	}
	return 0, false
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// abort ends a server connection now: every stream still open gets
// RST_STREAM, then a final GOAWAY names the last stream served, and the
// connection closes once those are written (within abortFlush without a
// WriteTimeout). The streams' handlers see their contexts cancelled.
func (c *conn) abort(debug string) {
	c.mu.Lock()
	if c.closeErr != nil {
		c.mu.Unlock()
		return
	}
	c.draining = true
	if !c.finalSent {
		c.finalSent, c.lastID = true, c.maxID
	}
	last := c.lastID
	open := make([]*Stream, 0, len(c.streams))
	for _, s := range c.streams {
		open = append(open, s)
	}
	c.mu.Unlock()
	c.wmu.Lock()
	if c.werr == nil {
		for _, s := range open {
			if !s.localEnd {
				if code, ok := graceResetCode(s); ok {
					c.wbuf = appendRSTStream(c.wbuf, s.id, code)
				}
				s.localEnd = true // nothing more goes out on it
			}
			if s.sendErr == nil {
				s.sendErr = errGraceExpired
			}
		}
		c.wbuf = appendGoAway(c.wbuf, last, http2.ErrCodeNo, debug)
	}
	c.closeWhenFlushed = true
	c.kick()
	c.wcond.Broadcast()
	c.wmu.Unlock()
	if c.cfg.WriteTimeout <= 0 {
		_ = c.nc.SetWriteDeadline(time.Now().Add(abortFlush))
	}
	for _, s := range open {
		s.fail(errGraceExpired)
	}
}
