package govern

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// State is a circuit breaker's state.
type State uint8

// Breaker states.
const (
	StateClosed   State = iota // calls pass; outcomes are counted
	StateOpen                  // calls fail fast with ErrOpen until the cooling timeout passes
	StateHalfOpen              // a few probe calls pass to test the callee
)

// String returns "closed", "open" or "half-open".
func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateOpen:
		return "open"
	case StateHalfOpen:
		return "half-open"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// ErrOpen is returned by Allow when the breaker refuses a call.
var ErrOpen = errors.New("govern: circuit breaker is open")

// BreakerPolicy configures a [Breaker]. The zero value of a field takes the
// default of [DefaultBreakerPolicy].
type BreakerPolicy struct {
	// Window is the sliding window outcomes are counted over, in Buckets
	// slices: Kitex's 10 s in 100 buckets of 100 ms.
	Window  time.Duration
	Buckets int
	// ErrorRate trips the breaker when failures/calls in the window reach
	// it, once the window holds at least MinSamples calls: Kitex's 50 %
	// and 200.
	ErrorRate  float64
	MinSamples int
	// CoolingTimeout is how long the breaker stays open before letting
	// probes through: Kitex's 5 s.
	CoolingTimeout time.Duration
	// HalfOpenProbes is how many probe calls may be in flight at once when
	// half-open (1), and HalfOpenSuccesses how many must succeed in a row
	// to close the breaker (Kitex's 2). A failed probe reopens it.
	HalfOpenProbes    int
	HalfOpenSuccesses int
	// IsFailure reports whether an error counts against the callee; nil
	// means [IsFailure]. Other errors, like nil, count as successes.
	IsFailure Classifier
	// OnStateChange, if not nil, is called after every transition, outside
	// the breaker's lock, with the breaker's key.
	OnStateChange func(key string, from, to State)
}

// DefaultBreakerPolicy returns Kitex's circuit breaker defaults: a 10 s
// window of 100 buckets, trip at 50 % failures over at least 200 calls,
// 5 s open, then one probe at a time and 2 successes to close.
func DefaultBreakerPolicy() BreakerPolicy {
	return BreakerPolicy{
		Window: 10 * time.Second, Buckets: 100, ErrorRate: 0.5, MinSamples: 200,
		CoolingTimeout: 5 * time.Second, HalfOpenProbes: 1, HalfOpenSuccesses: 2,
		IsFailure: IsFailure,
	}
}

func (p BreakerPolicy) withDefaults() BreakerPolicy {
	d := DefaultBreakerPolicy()
	if p.Window <= 0 {
		p.Window = d.Window
	}
	if p.Buckets <= 0 {
		p.Buckets = d.Buckets
	}
	if p.ErrorRate <= 0 {
		p.ErrorRate = d.ErrorRate
	}
	if p.MinSamples <= 0 {
		p.MinSamples = d.MinSamples
	}
	if p.CoolingTimeout <= 0 {
		p.CoolingTimeout = d.CoolingTimeout
	}
	if p.HalfOpenProbes <= 0 {
		p.HalfOpenProbes = d.HalfOpenProbes
	}
	if p.HalfOpenSuccesses <= 0 {
		p.HalfOpenSuccesses = d.HalfOpenSuccesses
	}
	if p.IsFailure == nil {
		p.IsFailure = d.IsFailure
	}
	return p
}

// Ticket ties an outcome to the Allow that admitted the call, so that calls
// admitted before a state change do not count after it. The zero Ticket is
// never issued by an open breaker and is ignored by Record.
type Ticket uint64

// Breaker is one circuit breaker: closed, it counts outcomes in a sliding
// window and opens when the error rate crosses the threshold; open, it
// refuses calls until the cooling timeout; half-open, it lets a few probes
// through and closes after enough successes or reopens on a failure.
//
// Use it as gobreaker's two-step breaker: t, err := b.Allow(); if err ==
// nil, make the call, then b.Record(t, callErr). Methods are safe for
// concurrent use and allocate nothing; AllowAt and RecordAt take the time.
type Breaker struct {
	key string
	p   BreakerPolicy
	bkt int64 // bucket length in nanoseconds

	mu        sync.Mutex // guards the fields below
	state     State
	gen       uint64 // advanced on every transition
	openedAt  time.Time
	probes    int // probes in flight (half-open)
	probeOK   int // consecutive successful probes (half-open)
	buckets   []bucket
	lastIdx   int64
	succ, bad int64 // totals over the window
}

type bucket struct {
	idx       int64
	succ, bad int64
}

// NewBreaker returns a closed breaker named key (the name is only passed to
// OnStateChange and shown by String).
func NewBreaker(key string, p BreakerPolicy) *Breaker {
	p = p.withDefaults()
	bl := int64(p.Window) / int64(p.Buckets)
	if bl <= 0 {
		bl = 1
	}
	return &Breaker{key: key, p: p, bkt: bl, gen: 1, buckets: make([]bucket, p.Buckets)}
}

// Allow asks whether a call may go ahead now. It is AllowAt(time.Now()).
func (b *Breaker) Allow() (Ticket, error) { return b.AllowAt(time.Now()) }

// AllowAt asks whether a call may go ahead at now: it returns a Ticket to
// pass to Record, or ErrOpen.
func (b *Breaker) AllowAt(now time.Time) (Ticket, error) {
	b.mu.Lock()
	from := b.state
	if b.state == StateOpen && now.Sub(b.openedAt) >= b.p.CoolingTimeout {
		b.setLocked(StateHalfOpen, now)
	}
	var t Ticket
	var err error
	switch b.state {
	case StateClosed:
		t = Ticket(b.gen << 1)
	case StateHalfOpen:
		if b.probes < b.p.HalfOpenProbes {
			b.probes++
			t = Ticket(b.gen<<1 | 1)
		} else {
			err = ErrOpen
		}
	default:
		err = ErrOpen
	}
	to := b.state
	b.mu.Unlock()
	b.notify(from, to)
	return t, err
}

// Record reports the outcome of a call Allow admitted. It is
// RecordAt(time.Now(), t, err).
func (b *Breaker) Record(t Ticket, err error) { b.RecordAt(time.Now(), t, err) }

// RecordAt reports at now the outcome err of the call admitted with t;
// err is classified with the policy's IsFailure.
func (b *Breaker) RecordAt(now time.Time, t Ticket, err error) {
	fail := err != nil && b.p.IsFailure(err)
	b.mu.Lock()
	from := b.state
	if uint64(t)>>1 == b.gen {
		if t&1 == 1 { // a probe
			if b.state == StateHalfOpen {
				b.probes--
				if fail {
					b.setLocked(StateOpen, now)
				} else if b.probeOK++; b.probeOK >= b.p.HalfOpenSuccesses {
					b.setLocked(StateClosed, now)
				}
			}
		} else if b.state == StateClosed {
			b.addLocked(now, fail)
			total := b.succ + b.bad
			if fail && total >= int64(b.p.MinSamples) && float64(b.bad) >= b.p.ErrorRate*float64(total) {
				b.setLocked(StateOpen, now)
			}
		}
	}
	to := b.state
	b.mu.Unlock()
	b.notify(from, to)
}

func (b *Breaker) notify(from, to State) {
	if from != to && b.p.OnStateChange != nil {
		b.p.OnStateChange(b.key, from, to)
	}
}

func (b *Breaker) setLocked(s State, now time.Time) {
	b.state = s
	b.gen++
	b.probes, b.probeOK = 0, 0
	if s == StateOpen {
		b.openedAt = now
	}
	if s == StateClosed {
		for i := range b.buckets {
			b.buckets[i] = bucket{}
		}
		b.succ, b.bad = 0, 0
	}
}

// advanceLocked moves the window to now and returns now's bucket.
func (b *Breaker) advanceLocked(now time.Time) *bucket {
	idx := now.UnixNano() / b.bkt
	n := int64(len(b.buckets))
	if idx > b.lastIdx {
		if idx-b.lastIdx >= n {
			for i := range b.buckets {
				b.buckets[i] = bucket{}
			}
			b.succ, b.bad = 0, 0
		} else {
			for i := b.lastIdx + 1; i <= idx; i++ {
				bk := &b.buckets[i%n]
				b.succ -= bk.succ
				b.bad -= bk.bad
				*bk = bucket{idx: i}
			}
		}
		b.lastIdx = idx
	} else {
		idx = b.lastIdx // a time from the past counts in the current bucket
	}
	bk := &b.buckets[idx%n]
	bk.idx = idx
	return bk
}

func (b *Breaker) addLocked(now time.Time, fail bool) {
	bk := b.advanceLocked(now)
	if fail {
		bk.bad++
		b.bad++
	} else {
		bk.succ++
		b.succ++
	}
}

// BreakerStats is a Breaker's state and its window's counts.
type BreakerStats struct {
	Key       string
	State     State
	Successes int64 // in the window (closed state)
	Failures  int64
	OpenedAt  time.Time // of the last opening
}

// ErrorRate returns Failures/(Successes+Failures), or 0 without calls.
func (s BreakerStats) ErrorRate() float64 {
	if t := s.Successes + s.Failures; t > 0 {
		return float64(s.Failures) / float64(t)
	}
	return 0
}

// String formats the stats as "key: closed 3/200 failed".
func (s BreakerStats) String() string {
	return s.Key + ": " + s.State.String() + " " + strconv.FormatInt(s.Failures, 10) + "/" +
		strconv.FormatInt(s.Successes+s.Failures, 10) + " failed"
}

// State returns the state at now; an open breaker past its cooling timeout
// reports half-open although it changes only at the next Allow.
func (b *Breaker) State(now time.Time) State {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == StateOpen && now.Sub(b.openedAt) >= b.p.CoolingTimeout {
		return StateHalfOpen
	}
	return b.state
}

// Snapshot returns the state and the window's counts at now.
func (b *Breaker) Snapshot(now time.Time) BreakerStats {
	b.mu.Lock()
	if b.state == StateClosed {
		b.advanceLocked(now)
	}
	s := BreakerStats{Key: b.key, State: b.state, Successes: b.succ, Failures: b.bad, OpenedAt: b.openedAt}
	b.mu.Unlock()
	return s
}

// String formats Snapshot(time.Now()).
func (b *Breaker) String() string { return b.Snapshot(time.Now()).String() }

// BreakerSet holds breakers by key, created on first use with one policy:
// per address for instance breakers, per [ServiceKey] for service breakers.
// Forget drops the breaker of an instance that went away. It is safe for
// concurrent use; Get of an existing key allocates nothing.
type BreakerSet struct {
	p  BreakerPolicy
	mu sync.RWMutex // guards m
	m  map[string]*Breaker
}

// NewBreakerSet returns an empty set whose breakers use p.
func NewBreakerSet(p BreakerPolicy) *BreakerSet {
	return &BreakerSet{p: p.withDefaults(), m: make(map[string]*Breaker)}
}

// ServiceKey returns the key of a service-level breaker,
// "caller/callee/method", as Kitex builds it.
func ServiceKey(caller, callee, method string) string {
	return caller + "/" + callee + "/" + method
}

// Get returns the breaker of key, creating it closed if needed.
func (s *BreakerSet) Get(key string) *Breaker {
	s.mu.RLock()
	b := s.m[key]
	s.mu.RUnlock()
	if b != nil {
		return b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b = s.m[key]; b == nil {
		b = NewBreaker(key, s.p)
		s.m[key] = b
	}
	return b
}

// Allow is Get(key).AllowAt(now).
func (s *BreakerSet) Allow(key string, now time.Time) (Ticket, error) {
	return s.Get(key).AllowAt(now)
}

// Record is Get(key).RecordAt(now, t, err).
func (s *BreakerSet) Record(key string, now time.Time, t Ticket, err error) {
	s.Get(key).RecordAt(now, t, err)
}

// Forget drops the breaker of key; a later Get starts a fresh one.
func (s *BreakerSet) Forget(key string) {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

// Snapshot returns every breaker's stats at now, sorted by key.
func (s *BreakerSet) Snapshot(now time.Time) []BreakerStats {
	s.mu.RLock()
	bs := make([]*Breaker, 0, len(s.m))
	for _, b := range s.m {
		bs = append(bs, b)
	}
	s.mu.RUnlock()
	out := make([]BreakerStats, len(bs))
	for i, b := range bs {
		out[i] = b.Snapshot(now)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// String lists the breakers, one per line.
func (s *BreakerSet) String() string {
	var b strings.Builder
	for i, st := range s.Snapshot(time.Now()) {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(st.String())
	}
	return b.String()
}
