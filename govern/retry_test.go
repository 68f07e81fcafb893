package govern

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackoffRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	if d := NoBackoff().Delay(3, r.Uint64()); d != 0 {
		t.Errorf("none: %v", d)
	}
	if d := FixedBackoff(20*time.Millisecond).Delay(5, r.Uint64()); d != 20*time.Millisecond {
		t.Errorf("fixed: %v", d)
	}
	b := ExponentialBackoff(10*time.Millisecond, time.Second)
	for n := 1; n <= 70; n++ {
		ceil := time.Second
		if n < 20 {
			ceil = min(ceil, 10*time.Millisecond<<(n-1))
		}
		var top time.Duration
		for i := 0; i < 2000; i++ {
			d := b.Delay(n, r.Uint64())
			if d < 0 || d > ceil {
				t.Fatalf("retry %d: delay %v outside [0, %v]", n, d, ceil)
			}
			top = max(top, d)
		}
		if top < ceil*9/10 { // full jitter reaches near the ceiling
			t.Errorf("retry %d: max delay %v of ceiling %v", n, top, ceil)
		}
	}
	if s := b.String(); s != "ExponentialBackoff(10ms, 1s)" {
		t.Errorf("String() = %q", s)
	}
}

func TestBudget(t *testing.T) {
	b := NewBudget(0.1, 1, 5)
	now := t0
	// The burst first.
	for i := 0; i < 5; i++ {
		if !b.WithdrawAt(now) {
			t.Fatalf("burst withdrawal %d refused", i)
		}
	}
	if b.WithdrawAt(now) {
		t.Fatal("empty budget allowed a retry")
	}
	// 1000 calls in one instant earn 100 tokens, capped at the burst of 5.
	for i := 0; i < 1000; i++ {
		b.DepositAt(now)
	}
	if got := b.Tokens(); got != 5 {
		t.Fatalf("tokens %v, want 5", got)
	}
	// Steady state: retries ≤ 10 % of calls + 1/s + burst.
	b = NewBudget(0.1, 1, 5)
	retries, calls := 0, 0
	for s := 0; s < 100; s++ {
		for i := 0; i < 100; i++ {
			now = now.Add(10 * time.Millisecond)
			b.DepositAt(now)
			calls++
			if b.WithdrawAt(now) { // every call fails and wants a retry
				retries++
			}
		}
	}
	limit := 0.1*float64(calls) + 1*100 + 5
	if float64(retries) > limit || float64(retries) < limit-10 {
		t.Errorf("%d retries for %d calls over 100 s, want about %v", retries, calls, limit)
	}
}

var errTimeout = context.DeadlineExceeded

func TestRetrySequential(t *testing.T) {
	r := NewRetrier(RetryPolicy{MaxAttempts: 3})
	var attempts []int
	n, err := r.Do(context.Background(), func(ctx context.Context, a int) error {
		attempts = append(attempts, a)
		if a < 2 {
			return io.EOF
		}
		return nil
	})
	if err != nil || n != 2 || len(attempts) != 3 {
		t.Fatalf("Do = %d, %v after %v", n, err, attempts)
	}
	// Not retryable: one attempt.
	biz := errors.New("biz")
	calls := 0
	if _, err := r.Do(context.Background(), func(context.Context, int) error { calls++; return biz }); err != biz || calls != 1 {
		t.Fatalf("biz: %v after %d", err, calls)
	}
	// Exhausted: the last error.
	calls = 0
	if n, err := r.Do(context.Background(), func(context.Context, int) error { calls++; return errTimeout }); err != errTimeout || calls != 3 || n != 2 {
		t.Fatalf("exhausted: %d %v after %d", n, err, calls)
	}
	if s := r.Snapshot(); s.Calls != 3 || s.Retries != 4 {
		t.Errorf("stats %+v", s)
	}
}

func TestRetryStops(t *testing.T) {
	// Caller's context done: no retry even for a retryable error.
	ctx, cancel := context.WithCancel(context.Background())
	r := NewRetrier(RetryPolicy{MaxAttempts: 5})
	calls := 0
	r.Do(ctx, func(context.Context, int) error { calls++; cancel(); return context.DeadlineExceeded })
	if calls != 1 {
		t.Errorf("retried after the caller's ctx was done: %d calls", calls)
	}
	// Chain stop.
	type key struct{}
	r = NewRetrier(RetryPolicy{MaxAttempts: 5, InRetryChain: func(ctx context.Context) bool { return ctx.Value(key{}) != nil }})
	calls = 0
	r.Do(context.WithValue(context.Background(), key{}, "1"), func(context.Context, int) error { calls++; return io.EOF })
	if calls != 1 {
		t.Errorf("chain stop: %d calls", calls)
	}
	// Budget.
	r = NewRetrier(RetryPolicy{MaxAttempts: 5, Budget: NewBudget(0, 0, 2)})
	calls = 0
	r.Do(context.Background(), func(context.Context, int) error { calls++; return io.EOF })
	if calls != 3 || r.Snapshot().Refused != 1 {
		t.Errorf("budget of 2: %d calls, stats %+v", calls, r.Snapshot())
	}
	// MaxDuration and backoff: a 30 ms backoff does not fit in 20 ms.
	r = NewRetrier(RetryPolicy{MaxAttempts: 5, MaxDuration: 20 * time.Millisecond, Backoff: FixedBackoff(30 * time.Millisecond)})
	calls = 0
	r.Do(context.Background(), func(context.Context, int) error { calls++; return io.EOF })
	if calls != 1 {
		t.Errorf("MaxDuration: %d calls", calls)
	}
	// Backoff longer than the ctx deadline: stop.
	ctx, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	r = NewRetrier(RetryPolicy{MaxAttempts: 5, Backoff: FixedBackoff(time.Second)})
	calls = 0
	start := time.Now()
	r.Do(ctx, func(context.Context, int) error { calls++; return io.EOF })
	if calls != 1 || time.Since(start) > 500*time.Millisecond {
		t.Errorf("deadline: %d calls in %v", calls, time.Since(start))
	}
	// A nil policy (MaxAttempts 0) calls once.
	calls = 0
	NewRetrier(RetryPolicy{}).Do(context.Background(), func(context.Context, int) error { calls++; return io.EOF })
	if calls != 1 {
		t.Errorf("no policy: %d calls", calls)
	}
}

func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if runtime.NumGoroutine() <= want {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Errorf("%d goroutines, want %d", runtime.NumGoroutine(), want)
}

func TestHedgeFirstSuccessWins(t *testing.T) {
	before := runtime.NumGoroutine()
	r := NewRetrier(RetryPolicy{MaxAttempts: 3, BackupDelay: 5 * time.Millisecond})
	var canceled atomic.Int32
	start := time.Now()
	n, err := r.Do(context.Background(), func(ctx context.Context, a int) error {
		if a == 2 { // the second backup answers fast
			return nil
		}
		<-ctx.Done() // the first two hang until canceled
		canceled.Add(1)
		return ctx.Err()
	})
	if err != nil || n != 2 {
		t.Fatalf("Do = %d, %v", n, err)
	}
	// Do returns only after the losers returned: both saw cancellation.
	if c := canceled.Load(); c != 2 {
		t.Errorf("%d losers canceled, want 2", c)
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Errorf("took %v", el)
	}
	if s := r.Snapshot(); s.Backups != 2 {
		t.Errorf("stats %+v", s)
	}
	waitGoroutines(t, before)
}

func TestHedgeFirstAttemptWins(t *testing.T) {
	before := runtime.NumGoroutine()
	r := NewRetrier(RetryPolicy{MaxAttempts: 2, BackupDelay: time.Hour})
	n, err := r.Do(context.Background(), func(ctx context.Context, a int) error { return nil })
	if err != nil || n != 0 || r.Snapshot().Backups != 0 {
		t.Fatalf("Do = %d, %v, %+v", n, err, r.Snapshot())
	}
	waitGoroutines(t, before)
}

func TestHedgeFailures(t *testing.T) {
	before := runtime.NumGoroutine()
	// A retryable failure starts the next attempt at once, without waiting
	// for the backup delay.
	r := NewRetrier(RetryPolicy{MaxAttempts: 3, BackupDelay: time.Hour})
	start := time.Now()
	n, err := r.Do(context.Background(), func(ctx context.Context, a int) error {
		if a < 2 {
			return io.EOF
		}
		return nil
	})
	if err != nil || n != 2 || time.Since(start) > time.Second {
		t.Fatalf("Do = %d, %v", n, err)
	}
	// All fail: the last error.
	n, err = r.Do(context.Background(), func(ctx context.Context, a int) error { return io.EOF })
	if err != io.EOF || n != 2 {
		t.Fatalf("all fail: %d %v", n, err)
	}
	// A non-retryable error ends the call and cancels the others.
	biz := errors.New("biz")
	r = NewRetrier(RetryPolicy{MaxAttempts: 3, BackupDelay: time.Millisecond})
	var canceled atomic.Int32
	n, err = r.Do(context.Background(), func(ctx context.Context, a int) error {
		if a == 1 {
			return biz
		}
		<-ctx.Done()
		canceled.Add(1)
		return ctx.Err()
	})
	if err != biz || n != 1 || canceled.Load() < 1 {
		t.Fatalf("biz: %d %v canceled %d", n, err, canceled.Load())
	}
	// A panicking attempt becomes an error.
	r = NewRetrier(RetryPolicy{MaxAttempts: 2, BackupDelay: time.Hour, RetryOn: func(error) bool { return false }})
	if _, err := r.Do(context.Background(), func(ctx context.Context, a int) error { panic("boom") }); err == nil {
		t.Fatal("panic not reported")
	}
	// The caller cancels: attempts see it, Do returns.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(5*time.Millisecond, cancel)
	r = NewRetrier(RetryPolicy{MaxAttempts: 3, BackupDelay: time.Millisecond})
	if _, err := r.Do(ctx, func(ctx context.Context, a int) error { <-ctx.Done(); return ctx.Err() }); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	waitGoroutines(t, before)
}

func TestRetryPolicies(t *testing.T) {
	ps := RetryPolicies{"*": {MaxAttempts: 2}, "Echo": {MaxAttempts: 4}}
	if p, ok := ps.Lookup("Echo"); !ok || p.MaxAttempts != 4 {
		t.Error("Echo")
	}
	if p, ok := ps.Lookup("Other"); !ok || p.MaxAttempts != 2 {
		t.Error("wildcard")
	}
	if _, ok := (RetryPolicies{}).Lookup("x"); ok {
		t.Error("empty")
	}
	s := NewRetrierSet(ps)
	if s.Lookup("Echo").Policy().MaxAttempts != 4 || s.Lookup("x").Policy().MaxAttempts != 2 {
		t.Error("RetrierSet")
	}
	if (*RetrierSet)(nil).Lookup("x") != nil || NewRetrierSet(RetryPolicies{"A": {}}).Lookup("B") != nil {
		t.Error("nil lookups")
	}
}

func BenchmarkRetryDoNoRetry(b *testing.B) {
	r := NewRetrier(DefaultRetryPolicy())
	ctx := context.Background()
	call := func(context.Context, int) error { return nil }
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r.Do(ctx, call)
	}
}

func BenchmarkBudget(b *testing.B) {
	bu := DefaultBudget()
	now := time.Now()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		bu.DepositAt(now)
		bu.WithdrawAt(now)
	}
}
