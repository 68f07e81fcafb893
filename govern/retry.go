package govern

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// RetryChainKey is the persistent metainfo key Kitex puts on every retried
// or backup request (pkg/retry/util.go, TransitKey = "RetryReq", set with
// metainfo.WithPersistentValue to the retry number "1", "2", …). Over
// TTHeader it travels as the string key "RPC_PERSIST_RetryReq"; over HTTP/2
// as "rpc-persist-retryreq". A Kitex server that sees it (in any hop
// downstream, since the value is persistent) does not retry its own calls:
// Kitex's "chain stop", on by default. The client sets it on attempts > 0
// and makes [RetryPolicy.InRetryChain] look for it.
const RetryChainKey = "RetryReq"

// Backoff is the wait before a retry. Make one with [NoBackoff],
// [FixedBackoff] or [ExponentialBackoff]; the zero value is NoBackoff.
type Backoff struct {
	kind      uint8 // 0 none, 1 fixed, 2 exponential
	base, max time.Duration
}

// NoBackoff retries at once, Kitex's default.
func NoBackoff() Backoff { return Backoff{} }

// FixedBackoff waits d before every retry.
func FixedBackoff(d time.Duration) Backoff { return Backoff{kind: 1, base: d} }

// ExponentialBackoff waits a uniformly random time in [0, min(max,
// base×2^(n-1))] before retry n ("full jitter"), which spreads retries of
// many clients apart.
func ExponentialBackoff(base, max time.Duration) Backoff {
	return Backoff{kind: 2, base: base, max: max}
}

// Delay returns the wait before retry n (n ≥ 1), drawing the jitter from
// the random bits r.
func (b Backoff) Delay(n int, r uint64) time.Duration {
	switch b.kind {
	case 1:
		return b.base
	case 2:
		if b.base <= 0 {
			return 0
		}
		ceil := b.max
		if n < 63 {
			if d := float64(b.base) * math.Ldexp(1, n-1); d < float64(b.max) || b.max <= 0 {
				ceil = time.Duration(min(d, math.MaxInt64/2))
			}
		}
		if ceil <= 0 {
			return 0
		}
		return time.Duration(r % (uint64(ceil) + 1))
	}
	return 0
}

// String formats the backoff as its constructor call.
func (b Backoff) String() string {
	switch b.kind {
	case 1:
		return "FixedBackoff(" + b.base.String() + ")"
	case 2:
		return "ExponentialBackoff(" + b.base.String() + ", " + b.max.String() + ")"
	}
	return "NoBackoff()"
}

// RetryPolicy says whether and how a failed call is tried again, and when
// a backup request is sent. The zero value makes one attempt.
type RetryPolicy struct {
	// MaxAttempts bounds the attempts of one call, the first included
	// (Kitex's MaxRetryTimes + 1). 0 and 1 mean no retry.
	MaxAttempts int
	// MaxDuration, when positive, stops starting attempts once this long
	// has passed since the first began (Kitex's MaxDurationMS).
	MaxDuration time.Duration
	// Backoff is the wait before each retry; backup requests do not wait
	// for it.
	Backoff Backoff
	// RetryOn reports whether an attempt's error may be retried; nil means
	// [IsRetryable]. Whatever it says, nothing is retried once the caller's
	// context is done.
	RetryOn Classifier
	// BackupDelay, when positive, turns on backup (hedged) requests: if an
	// attempt has not answered after BackupDelay, another starts beside
	// it, up to MaxAttempts in all. The first success wins and the other
	// attempts' context is canceled; a retryable failure starts the next
	// attempt at once.
	BackupDelay time.Duration
	// SameInstance makes retries go to the instance that failed; by
	// default (false) the client passes the instances already tried to
	// [Balancer.Pick] so that a retry goes elsewhere.
	SameInstance bool
	// InRetryChain reports whether ctx is itself a retried request (it
	// carries [RetryChainKey]); if so Do makes a single attempt, so that
	// retries do not multiply down a call chain. nil disables chain stop.
	InRetryChain func(ctx context.Context) bool
	// Budget, when not nil, caps retries and backup requests at a share of
	// calls; Retriers made from copies of the policy share it.
	Budget *Budget
}

// DefaultRetryPolicy returns Kitex's failure-retry defaults: 3 attempts
// (MaxRetryTimes 2), no backoff, retry on timeouts and connection errors,
// a different instance each time, and a fresh [DefaultBudget].
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, Budget: DefaultBudget()}
}

// DefaultBackupPolicy returns Kitex's backup-request defaults with the
// given delay: one backup request (2 attempts) after delay, and a fresh
// [DefaultBudget].
func DefaultBackupPolicy(delay time.Duration) RetryPolicy {
	return RetryPolicy{MaxAttempts: 2, BackupDelay: delay, Budget: DefaultBudget()}
}

// String describes the policy, e.g.
// "retry(max=3, backoff=NoBackoff(), budget=…)".
func (p RetryPolicy) String() string {
	s := "retry(max=" + strconv.Itoa(p.MaxAttempts)
	if p.MaxDuration > 0 {
		s += ", maxDuration=" + p.MaxDuration.String()
	}
	s += ", backoff=" + p.Backoff.String()
	if p.BackupDelay > 0 {
		s += ", backupDelay=" + p.BackupDelay.String()
	}
	if p.SameInstance {
		s += ", sameInstance"
	}
	if p.Budget != nil {
		s += ", budget=" + p.Budget.String()
	}
	return s + ")"
}

// RetryPolicies maps method names to policies; the [Wildcard] entry "*"
// applies to methods without one of their own.
type RetryPolicies map[string]RetryPolicy

// Lookup returns the policy of method, else the "*" policy; ok is false
// when there is neither.
func (ps RetryPolicies) Lookup(method string) (p RetryPolicy, ok bool) {
	if p, ok = ps[method]; ok {
		return p, true
	}
	p, ok = ps[Wildcard]
	return p, ok
}

// Retrier runs calls under a [RetryPolicy]. Create one per policy (per
// service and method) with [NewRetrier] and share it; it is safe for
// concurrent use.
type Retrier struct {
	p   RetryPolicy
	rng rng

	calls, retries, backups, refused atomic.Int64
}

// NewRetrier returns a Retrier of p.
func NewRetrier(p RetryPolicy) *Retrier {
	if p.RetryOn == nil {
		p.RetryOn = IsRetryable
	}
	return &Retrier{p: p}
}

// SetRand makes the backoff jitter come from src (for tests); nil restores
// the runtime's generator. Call it before the Retrier is used.
func (r *Retrier) SetRand(src RandSource) { r.rng.src = src }

// Policy returns the Retrier's policy.
func (r *Retrier) Policy() RetryPolicy { return r.p }

// Do calls call until an attempt succeeds or the policy says stop, and
// returns the index of the attempt whose outcome it reports (0 for the
// first) with that attempt's error. Attempts are numbered from 0; the
// client marks attempts > 0 with [RetryChainKey] and, unless SameInstance,
// steers them away from the instances already tried.
//
// A retry happens only when: the error is retryable (RetryOn), attempts
// remain, the caller's ctx is not done, InRetryChain is false, the backoff
// ends before ctx's deadline and within MaxDuration, and the Budget has a
// token. Without BackupDelay, attempts run one after another on the
// caller's goroutine and Do allocates nothing beyond the backoff timer.
//
// With BackupDelay, each attempt runs in a goroutine with a context derived
// from ctx. When one succeeds, or fails with an error that is not retried,
// the others' context is canceled, and Do returns only after every attempt
// it started has returned: call must honour its context, and may write to
// state it owns per attempt (a result struct per attempt index) without
// racing the winner. A panic in an attempt is returned as an error.
func (r *Retrier) Do(ctx context.Context, call func(ctx context.Context, attempt int) error) (int, error) {
	p := &r.p
	if p.MaxAttempts <= 1 {
		return 0, call(ctx, 0)
	}
	r.calls.Add(1)
	if p.Budget != nil {
		p.Budget.Deposit()
	}
	chainStop := p.InRetryChain != nil && p.InRetryChain(ctx)
	start := time.Now()
	if p.BackupDelay > 0 && !chainStop {
		return r.hedge(ctx, start, call)
	}
	for attempt := 0; ; attempt++ {
		err := call(ctx, attempt)
		if err == nil || chainStop || attempt+1 >= p.MaxAttempts || ctx.Err() != nil || !p.RetryOn(err) {
			return attempt, err
		}
		delay := p.Backoff.Delay(attempt+1, r.rng.Uint64())
		if !r.mayStart(ctx, start, delay) {
			return attempt, err
		}
		r.retries.Add(1)
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return attempt, err
			}
		}
	}
}

// mayStart checks time limits and takes a budget token for one more attempt.
func (r *Retrier) mayStart(ctx context.Context, start time.Time, delay time.Duration) bool {
	if r.p.MaxDuration > 0 && time.Since(start)+delay >= r.p.MaxDuration {
		return false
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= delay {
		return false
	}
	if r.p.Budget != nil && !r.p.Budget.Withdraw() {
		r.refused.Add(1)
		return false
	}
	return true
}

type attemptResult struct {
	attempt int
	err     error
}

func (r *Retrier) hedge(ctx context.Context, start time.Time, call func(context.Context, int) error) (int, error) {
	p := &r.p
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan attemptResult, p.MaxAttempts)
	launched, running := 0, 0
	launch := func() {
		a := launched
		launched++
		running++
		go func() {
			var err error
			defer func() {
				if v := recover(); v != nil {
					err = fmt.Errorf("govern: panic in attempt %d: %v", a, v)
				}
				results <- attemptResult{a, err}
			}()
			err = call(hctx, a)
		}()
	}
	// finish cancels the losers and waits for them.
	finish := func(res attemptResult) (int, error) {
		cancel()
		for ; running > 0; running-- {
			<-results
		}
		return res.attempt, res.err
	}
	launch()
	timer := time.NewTimer(p.BackupDelay)
	defer timer.Stop()
	last := attemptResult{}
	for {
		select {
		case res := <-results:
			running--
			if res.err == nil || ctx.Err() != nil || !p.RetryOn(res.err) {
				return finish(res)
			}
			last = res
			if launched < p.MaxAttempts && r.mayStart(ctx, start, 0) {
				r.retries.Add(1)
				launch()
				if !timer.Stop() {
					select {
					case <-timer.C:
					default:
					}
				}
				timer.Reset(p.BackupDelay)
			} else if running == 0 {
				return last.attempt, last.err
			}
		case <-timer.C:
			if launched < p.MaxAttempts && r.mayStart(ctx, start, 0) {
				r.backups.Add(1)
				launch()
				timer.Reset(p.BackupDelay)
			}
		}
	}
}

// RetrierStats counts what a Retrier did.
type RetrierStats struct {
	Calls   int64 // calls under a policy with MaxAttempts > 1
	Retries int64 // attempts started after a failure
	Backups int64 // attempts started after BackupDelay
	Refused int64 // retries or backups the Budget refused
}

// Snapshot returns the Retrier's counters.
func (r *Retrier) Snapshot() RetrierStats {
	return RetrierStats{r.calls.Load(), r.retries.Load(), r.backups.Load(), r.refused.Load()}
}

// String shows the policy and counters.
func (r *Retrier) String() string {
	s := r.Snapshot()
	return r.p.String() + " calls=" + strconv.FormatInt(s.Calls, 10) + " retries=" + strconv.FormatInt(s.Retries, 10) +
		" backups=" + strconv.FormatInt(s.Backups, 10) + " refused=" + strconv.FormatInt(s.Refused, 10)
}

// RetrierSet holds a Retrier per method of a [RetryPolicies]; build it once
// per client. It is read-only and safe for concurrent use.
type RetrierSet struct {
	byMethod map[string]*Retrier
	def      *Retrier
}

// NewRetrierSet makes a Retrier for every policy in ps.
func NewRetrierSet(ps RetryPolicies) *RetrierSet {
	s := &RetrierSet{byMethod: make(map[string]*Retrier, len(ps))}
	for m, p := range ps {
		if m == Wildcard {
			s.def = NewRetrier(p)
		} else {
			s.byMethod[m] = NewRetrier(p)
		}
	}
	return s
}

// Lookup returns the Retrier of method, else the "*" one, else nil (no
// retries). A nil set returns nil.
func (s *RetrierSet) Lookup(method string) *Retrier {
	if s == nil {
		return nil
	}
	if r, ok := s.byMethod[method]; ok {
		return r
	}
	return s.def
}

// Budget limits retries to a share of calls, as gRPC's retry throttling
// and Finagle's retry budget do, with a token bucket: every call deposits
// ratio tokens, time adds minPerSecond tokens a second, the balance never
// exceeds burst, and each retry or backup request takes a whole token. So
// over any period retries ≤ ratio × calls + minPerSecond × seconds + burst,
// and a failing service cannot be hit with a retry storm. Methods are safe
// for concurrent use and allocate nothing; the …At variants take the
// current time for tests.
type Budget struct {
	ratio, perSec, burst float64

	mu     sync.Mutex // guards tokens and last
	tokens float64
	last   time.Time
}

// NewBudget returns a full budget of burst tokens.
func NewBudget(ratio, minPerSecond float64, burst int) *Budget {
	return &Budget{ratio: ratio, perSec: minPerSecond, burst: float64(burst), tokens: float64(burst)}
}

// DefaultBudget returns a budget of 10 % of calls (the error rate at which
// Kitex's retry circuit breaker stops retrying) plus 10 retries a second,
// with a burst of 10.
func DefaultBudget() *Budget { return NewBudget(0.1, 10, 10) }

func (b *Budget) refillLocked(now time.Time) {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.perSec)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
}

// Deposit records a call. It is DepositAt(time.Now()).
func (b *Budget) Deposit() { b.DepositAt(time.Now()) }

// DepositAt records a call at now.
func (b *Budget) DepositAt(now time.Time) {
	b.mu.Lock()
	b.refillLocked(now)
	b.tokens = min(b.burst, b.tokens+b.ratio)
	b.mu.Unlock()
}

// Withdraw takes a token for a retry and reports whether there was one.
// It is WithdrawAt(time.Now()).
func (b *Budget) Withdraw() bool { return b.WithdrawAt(time.Now()) }

// WithdrawAt takes a token at now and reports whether there was one.
func (b *Budget) WithdrawAt(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refillLocked(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Tokens returns the balance.
func (b *Budget) Tokens() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}

// String formats the budget as "ratio=0.1 min=10/s tokens=7.3/10".
func (b *Budget) String() string {
	return "ratio=" + strconv.FormatFloat(b.ratio, 'g', -1, 64) +
		" min=" + strconv.FormatFloat(b.perSec, 'g', -1, 64) + "/s tokens=" +
		strconv.FormatFloat(b.Tokens(), 'f', 1, 64) + "/" + strconv.FormatFloat(b.burst, 'g', -1, 64)
}
