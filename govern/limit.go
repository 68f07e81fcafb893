package govern

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ErrLimited is returned when a limiter refuses a call or connection; the
// server maps it to Kite's "resource exhausted".
var ErrLimited = errors.New("govern: over limit")

// TokenBucket is a rate limiter in the manner of x/time/rate's Limiter: it
// holds up to burst tokens, refilled at r tokens a second, and an event
// that finds a token takes it. A rate of 0 refuses everything; a negative
// or infinite rate allows everything. Methods are safe for concurrent use
// and allocate nothing.
type TokenBucket struct {
	mu     sync.Mutex // guards the fields below
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// NewTokenBucket returns a full bucket of burst tokens refilled at r a
// second.
func NewTokenBucket(r float64, burst int) *TokenBucket {
	return &TokenBucket{rate: r, burst: float64(burst), tokens: float64(burst)}
}

// Allow is AllowN(time.Now(), 1).
func (tb *TokenBucket) Allow() bool { return tb.AllowN(time.Now(), 1) }

// AllowN reports whether n events may happen at now, and if so takes n
// tokens. Times earlier than a previous call's count as that time.
func (tb *TokenBucket) AllowN(now time.Time, n int) bool {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.rate < 0 || math.IsInf(tb.rate, 1) {
		return true
	}
	tb.advanceLocked(now)
	if float64(n) > tb.tokens {
		return false
	}
	tb.tokens -= float64(n)
	return true
}

func (tb *TokenBucket) advanceLocked(now time.Time) {
	if tb.last.IsZero() {
		tb.last = now
		return
	}
	if now.After(tb.last) {
		tb.tokens = min(tb.burst, tb.tokens+now.Sub(tb.last).Seconds()*tb.rate)
		tb.last = now
	}
}

// SetRate changes the rate and burst at now, keeping the tokens earned so
// far (capped at the new burst).
func (tb *TokenBucket) SetRate(now time.Time, r float64, burst int) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.advanceLocked(now)
	tb.rate, tb.burst = r, float64(burst)
	tb.tokens = min(tb.tokens, tb.burst)
}

// Tokens returns the tokens available at now.
func (tb *TokenBucket) Tokens(now time.Time) float64 {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.advanceLocked(now)
	return tb.tokens
}

// String formats the bucket as "rate=100/s burst=100 tokens=42.0".
func (tb *TokenBucket) String() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return "rate=" + strconv.FormatFloat(tb.rate, 'g', -1, 64) + "/s burst=" +
		strconv.FormatFloat(tb.burst, 'g', -1, 64) + " tokens=" + strconv.FormatFloat(tb.tokens, 'f', 1, 64)
}

// ConcurrencyLimiter bounds how many things are in progress at once: calls
// in flight, or open connections. Acquire takes a slot, Release returns it.
// A max of 0 or less means no limit (slots are still counted). It is
// lock-free and allocates nothing.
type ConcurrencyLimiter struct {
	max int64
	n   atomic.Int64
}

// NewConcurrencyLimiter returns a limiter of max slots.
func NewConcurrencyLimiter(max int) *ConcurrencyLimiter {
	return &ConcurrencyLimiter{max: int64(max)}
}

// Acquire takes a slot and reports whether there was one; only a true
// result must be matched by a Release.
func (l *ConcurrencyLimiter) Acquire() bool {
	if l.n.Add(1) > l.max && l.max > 0 {
		l.n.Add(-1)
		return false
	}
	return true
}

// Release returns a slot taken by Acquire.
func (l *ConcurrencyLimiter) Release() { l.n.Add(-1) }

// InUse returns the slots taken.
func (l *ConcurrencyLimiter) InUse() int { return int(l.n.Load()) }

// String formats the limiter as "3/100" ("3/∞" without a limit).
func (l *ConcurrencyLimiter) String() string {
	m := "∞"
	if l.max > 0 {
		m = strconv.FormatInt(l.max, 10)
	}
	return strconv.FormatInt(l.n.Load(), 10) + "/" + m
}

// LimitPolicy is a server's (or a client's) overload protection. Zero
// fields mean no limit, Kitex's default.
type LimitPolicy struct {
	// MaxConnections bounds the open connections of a server; more are
	// closed on accept.
	MaxConnections int
	// MaxQPS bounds requests a second, with a burst of MaxQPS (Kitex's QPS
	// limiter).
	MaxQPS int
	// MaxInFlight bounds requests being handled at once (server), or calls
	// outstanding to one service (client).
	MaxInFlight int
}

// DefaultLimitPolicy returns no limits, as Kitex has by default.
func DefaultLimitPolicy() LimitPolicy { return LimitPolicy{} }

// String formats the policy as "limits(conns=…, qps=…, inflight=…)".
func (p LimitPolicy) String() string {
	return "limits(conns=" + strconv.Itoa(p.MaxConnections) + ", qps=" + strconv.Itoa(p.MaxQPS) +
		", inflight=" + strconv.Itoa(p.MaxInFlight) + ")"
}

// Limiter applies a LimitPolicy. A server calls AcceptConn for each new
// connection (closing it on false) and CloseConn when it closes, and
// Begin for each request (refusing it with ErrLimited on false) and End
// when its reply is written. A client may use Begin/End per call. It is
// safe for concurrent use and allocates nothing.
type Limiter struct {
	p       LimitPolicy
	conns   *ConcurrencyLimiter
	reqs    *ConcurrencyLimiter
	qps     *TokenBucket // nil without MaxQPS
	refused atomic.Int64
}

// NewLimiter returns a Limiter of p.
func NewLimiter(p LimitPolicy) *Limiter {
	l := &Limiter{p: p, conns: NewConcurrencyLimiter(p.MaxConnections), reqs: NewConcurrencyLimiter(p.MaxInFlight)}
	if p.MaxQPS > 0 {
		l.qps = NewTokenBucket(float64(p.MaxQPS), p.MaxQPS)
	}
	return l
}

// AcceptConn reports whether a new connection may stay open.
func (l *Limiter) AcceptConn() bool {
	if !l.conns.Acquire() {
		l.refused.Add(1)
		return false
	}
	return true
}

// CloseConn releases a connection AcceptConn admitted.
func (l *Limiter) CloseConn() { l.conns.Release() }

// Begin is BeginAt(time.Now()).
func (l *Limiter) Begin() bool { return l.BeginAt(time.Now()) }

// BeginAt reports whether a request may start at now; only a true result
// must be matched by End.
func (l *Limiter) BeginAt(now time.Time) bool {
	if !l.reqs.Acquire() {
		l.refused.Add(1)
		return false
	}
	if l.qps != nil && !l.qps.AllowN(now, 1) {
		l.reqs.Release()
		l.refused.Add(1)
		return false
	}
	return true
}

// End releases a request BeginAt admitted.
func (l *Limiter) End() { l.reqs.Release() }

// String shows the policy and current use.
func (l *Limiter) String() string {
	s := l.p.String() + " conns=" + l.conns.String() + " inflight=" + l.reqs.String()
	if l.qps != nil {
		s += " qps(" + l.qps.String() + ")"
	}
	return s + " refused=" + strconv.FormatInt(l.refused.Load(), 10)
}
