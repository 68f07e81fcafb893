package govern_test

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kite-rpc/kite/govern"
)

// Smooth weighted round-robin spreads an instance's turns out instead of
// sending them in a burst.
func ExampleRoundRobin() {
	b := govern.NewRoundRobin()
	b.Update([]govern.Instance{{Addr: "a:1", Weight: 5}, {Addr: "b:1", Weight: 1}, {Addr: "c:1", Weight: 1}})
	for i := 0; i < 7; i++ {
		in, _ := b.Pick("", nil)
		b.Done(in.Addr, 0, nil)
		fmt.Print(in.Addr[:1])
	}
	fmt.Println()
	fmt.Println(b)
	// Output:
	// aabacaa
	// wrr[a:1(w=5) b:1(w=1) c:1(w=1)]
}

// A key keeps its instance in every process; a retry passes the instances
// already tried and moves on along the ring.
func ExampleConsistentHash() {
	b := govern.NewConsistentHash(govern.DefaultConsistentHashConfig())
	b.Update(govern.HostPorts("10.0.0.1:8888", "10.0.0.2:8888", "10.0.0.3:8888"))
	first, _ := b.Pick("user-42", nil)
	again, _ := b.Pick("user-42", nil)
	retry, _ := b.Pick("user-42", []string{first.Addr})
	fmt.Println(first.Addr == again.Addr, retry.Addr != first.Addr)
	// Output: true true
}

// Retrier.Do runs the attempts; the client marks attempts after the first
// with govern.RetryChainKey.
func ExampleRetrier_Do() {
	r := govern.NewRetrier(govern.RetryPolicy{
		MaxAttempts: 3,
		Backoff:     govern.ExponentialBackoff(time.Millisecond, 10*time.Millisecond),
	})
	attempt, err := r.Do(context.Background(), func(ctx context.Context, attempt int) error {
		fmt.Println("attempt", attempt)
		if attempt < 2 {
			return io.ErrUnexpectedEOF // a broken connection: retryable
		}
		return nil
	})
	fmt.Println(attempt, err)
	// Output:
	// attempt 0
	// attempt 1
	// attempt 2
	// 2 <nil>
}

// A breaker driven with explicit times: it opens at the error rate, then
// lets a probe through after the cooling timeout.
func ExampleBreaker() {
	p := govern.DefaultBreakerPolicy()
	p.MinSamples = 4
	p.OnStateChange = func(key string, from, to govern.State) { fmt.Println(key, from, "->", to) }
	b := govern.NewBreaker("echo", p)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, err := range []error{nil, nil, io.EOF, io.EOF} {
		t, _ := b.AllowAt(now)
		b.RecordAt(now, t, err)
	}
	_, err := b.AllowAt(now)
	fmt.Println(err)
	t, err := b.AllowAt(now.Add(5 * time.Second))
	fmt.Println(err)
	b.RecordAt(now.Add(5*time.Second), t, nil)
	fmt.Println(b.State(now.Add(5 * time.Second)))
	// Output:
	// echo closed -> open
	// govern: circuit breaker is open
	// echo open -> half-open
	// <nil>
	// half-open
}

// A TokenBucket admits a burst, then its rate.
func ExampleTokenBucket() {
	tb := govern.NewTokenBucket(2, 2) // 2 a second, burst 2
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	fmt.Println(tb.AllowN(now, 1), tb.AllowN(now, 1), tb.AllowN(now, 1))
	fmt.Println(tb.AllowN(now.Add(500*time.Millisecond), 1))
	// Output:
	// true true false
	// true
}
