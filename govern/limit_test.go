package govern

import (
	"sync"
	"testing"
	"time"
)

func TestTokenBucketRate(t *testing.T) {
	tb := NewTokenBucket(10, 5) // 10/s, burst 5
	now := t0
	for i := 0; i < 5; i++ {
		if !tb.AllowN(now, 1) {
			t.Fatalf("burst %d refused", i)
		}
	}
	if tb.AllowN(now, 1) {
		t.Fatal("allowed beyond the burst")
	}
	// Over 10 s, at most 10/s pass (plus the burst already spent).
	allowed := 0
	for i := 0; i < 10_000; i++ {
		now = now.Add(time.Millisecond)
		if tb.AllowN(now, 1) {
			allowed++
		}
	}
	if allowed != 100 {
		t.Errorf("%d allowed in 10 s at 10/s", allowed)
	}
	// AllowN takes n at once, or nothing.
	now = now.Add(time.Second) // refill 5 (the burst)
	if tb.AllowN(now, 6) || !tb.AllowN(now, 5) {
		t.Error("AllowN")
	}
	// Time going backwards earns nothing.
	if tb.AllowN(now.Add(-time.Hour), 1) {
		t.Error("past time allowed")
	}
	tb.SetRate(now, 1000, 1000)
	if !tb.AllowN(now.Add(time.Second), 900) {
		t.Error("SetRate")
	}
	if NewTokenBucket(0, 0).Allow() || !NewTokenBucket(-1, 0).Allow() {
		t.Error("zero or unlimited rate")
	}
}

func TestConcurrencyLimiter(t *testing.T) {
	l := NewConcurrencyLimiter(3)
	var wg sync.WaitGroup
	var mu sync.Mutex
	peak, cur := 0, 0
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if l.Acquire() {
					mu.Lock()
					cur++
					peak = max(peak, cur)
					mu.Unlock()
					mu.Lock()
					cur--
					mu.Unlock()
					l.Release()
				}
			}
		}()
	}
	wg.Wait()
	if peak > 3 || l.InUse() != 0 {
		t.Errorf("peak %d, in use %d", peak, l.InUse())
	}
	if s := NewConcurrencyLimiter(0).String(); s != "0/∞" {
		t.Errorf("String() = %q", s)
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(LimitPolicy{MaxConnections: 1, MaxQPS: 2, MaxInFlight: 1})
	if !l.AcceptConn() || l.AcceptConn() {
		t.Fatal("connections")
	}
	l.CloseConn()
	if !l.AcceptConn() {
		t.Fatal("after CloseConn")
	}
	if !l.BeginAt(t0) || l.BeginAt(t0) {
		t.Fatal("in flight")
	}
	l.End()
	if !l.BeginAt(t0) { // second of the QPS burst
		t.Fatal("qps burst")
	}
	l.End()
	if l.BeginAt(t0) {
		t.Fatal("qps exceeded")
	}
	if !l.BeginAt(t0.Add(time.Second)) {
		t.Fatal("qps refill")
	}
	l.End()
	unlimited := NewLimiter(DefaultLimitPolicy())
	for i := 0; i < 1000; i++ {
		if !unlimited.Begin() || !unlimited.AcceptConn() {
			t.Fatal("default policy limited")
		}
	}
	if l.String() == "" {
		t.Error("String")
	}
}

func BenchmarkTokenBucketAllow(b *testing.B) {
	tb := NewTokenBucket(1e9, 1e9)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tb.Allow()
	}
}

func BenchmarkLimiterBeginEnd(b *testing.B) {
	l := NewLimiter(LimitPolicy{MaxQPS: 1e9, MaxInFlight: 1000})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if l.Begin() {
				l.End()
			}
		}
	})
}
