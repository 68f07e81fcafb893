//go:build !race

package govern

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// The per-call methods allocate nothing.
func TestAllocs(t *testing.T) {
	var ins []Instance
	for i := 0; i < 8; i++ {
		ins = append(ins, Instance{Addr: "10.0.0." + strconv.Itoa(i) + ":80", Weight: 10 + i})
	}
	tried := []string{ins[0].Addr}
	for name, b := range map[string]Balancer{
		"wrr": NewRoundRobin(), "random": NewWeightedRandom(nil), "p2c": NewP2C(nil),
		"consistent": NewConsistentHash(DefaultConsistentHashConfig()),
		"bounded":    NewConsistentHash(ConsistentHashConfig{LoadBound: 1.25}),
	} {
		b.Update(ins)
		if n := testing.AllocsPerRun(100, func() {
			in, _ := b.Pick("user-1", tried)
			b.Done(in.Addr, time.Millisecond, nil)
		}); n != 0 {
			t.Errorf("%s: %v allocs per Pick+Done", name, n)
		}
	}
	now := time.Now()
	set := NewBreakerSet(DefaultBreakerPolicy())
	set.Get("k")
	tb := NewTokenBucket(1e9, 1e9)
	l := NewLimiter(LimitPolicy{MaxQPS: 1e9, MaxInFlight: 10})
	r := NewRetrier(DefaultRetryPolicy())
	call := func(context.Context, int) error { return nil }
	tp := TimeoutPolicy{"*": {RPC: time.Second}}
	if n := testing.AllocsPerRun(100, func() {
		tk, err := set.Allow("k", now)
		if err == nil {
			set.Record("k", now, tk, nil)
		}
		tb.AllowN(now, 1)
		if l.BeginAt(now) {
			l.End()
		}
		r.Do(context.Background(), call)
		_ = tp.Lookup("Echo")
	}); n != 0 {
		t.Errorf("%v allocs per breaker, limiter, retrier and timeout lookup", n)
	}
}
