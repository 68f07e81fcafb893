package govern

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestBreakerTransitions(t *testing.T) {
	var changes []string
	p := DefaultBreakerPolicy()
	p.OnStateChange = func(key string, from, to State) { changes = append(changes, key+":"+from.String()+">"+to.String()) }
	b := NewBreaker("svc", p)
	now := t0
	call := func(err error) error {
		tk, aerr := b.AllowAt(now)
		if aerr != nil {
			return aerr
		}
		b.RecordAt(now, tk, err)
		return nil
	}
	// 199 failures: below MinSamples, stays closed.
	for i := 0; i < 199; i++ {
		if err := call(io.EOF); err != nil {
			t.Fatalf("call %d refused: %v", i, err)
		}
		now = now.Add(time.Millisecond)
	}
	if s := b.State(now); s != StateClosed {
		t.Fatalf("state %v after 199 samples", s)
	}
	// Business errors count as successes.
	if err := call(errors.New("biz")); err != nil || b.State(now) != StateClosed {
		t.Fatalf("biz error: %v %v", err, b.State(now))
	}
	// The 201st sample, a failure, trips it: 200/201 ≥ 50 %.
	call(io.ErrUnexpectedEOF)
	if s := b.State(now); s != StateOpen {
		t.Fatalf("state %v, want open", s)
	}
	if err := call(nil); !errors.Is(err, ErrOpen) {
		t.Fatalf("open breaker allowed a call: %v", err)
	}
	// Cooling: still open at 4.999 s, half-open at 5 s.
	if _, err := b.AllowAt(now.Add(5*time.Second - time.Millisecond)); !errors.Is(err, ErrOpen) {
		t.Fatal("allowed before the cooling timeout")
	}
	now = now.Add(5 * time.Second)
	tk1, err := b.AllowAt(now)
	if err != nil {
		t.Fatalf("probe refused: %v", err)
	}
	if _, err := b.AllowAt(now); !errors.Is(err, ErrOpen) {
		t.Fatal("second concurrent probe allowed")
	}
	// A failed probe reopens.
	b.RecordAt(now, tk1, syscall.ECONNREFUSED)
	if s := b.State(now); s != StateOpen {
		t.Fatalf("state %v after failed probe", s)
	}
	// Half-open again; two successful probes close it.
	now = now.Add(5 * time.Second)
	for i := 0; i < 2; i++ {
		tk, err := b.AllowAt(now)
		if err != nil {
			t.Fatalf("probe %d: %v", i, err)
		}
		b.RecordAt(now, tk, nil)
	}
	if s := b.State(now); s != StateClosed {
		t.Fatalf("state %v after successful probes", s)
	}
	st := b.Snapshot(now)
	if st.Successes+st.Failures != 0 {
		t.Errorf("window not reset on close: %+v", st)
	}
	want := []string{"svc:closed>open", "svc:open>half-open", "svc:half-open>open", "svc:open>half-open", "svc:half-open>closed"}
	if len(changes) != len(want) {
		t.Fatalf("changes %v, want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Errorf("change %d = %s, want %s", i, changes[i], want[i])
		}
	}
}

func TestBreakerStaleTicket(t *testing.T) {
	b := NewBreaker("k", BreakerPolicy{MinSamples: 2})
	old, _ := b.AllowAt(t0)
	for i := 0; i < 2; i++ {
		tk, _ := b.AllowAt(t0)
		b.RecordAt(t0, tk, io.EOF)
	}
	if b.State(t0) != StateOpen {
		t.Fatal("not open")
	}
	now := t0.Add(5 * time.Second)
	probe, err := b.AllowAt(now)
	if err != nil {
		t.Fatal(err)
	}
	// A call admitted before the breaker opened does not count as a probe.
	b.RecordAt(now, old, nil)
	b.RecordAt(now, old, nil)
	if b.State(now) != StateHalfOpen {
		t.Fatalf("stale ticket changed state to %v", b.State(now))
	}
	b.RecordAt(now, probe, nil)
	if _, err := b.AllowAt(now); err != nil {
		t.Fatalf("second probe after the first ended: %v", err)
	}
	b.RecordAt(now, Ticket(0), io.EOF) // the zero ticket is ignored
}

func TestBreakerWindowSlides(t *testing.T) {
	b := NewBreaker("k", BreakerPolicy{MinSamples: 10})
	now := t0
	for i := 0; i < 9; i++ {
		tk, _ := b.AllowAt(now)
		b.RecordAt(now, tk, os.ErrDeadlineExceeded)
	}
	if st := b.Snapshot(now); st.Failures != 9 || st.ErrorRate() != 1 {
		t.Fatalf("%+v", st)
	}
	// 10 s later the failures have left the window: one more does not trip.
	now = now.Add(10 * time.Second)
	tk, _ := b.AllowAt(now)
	b.RecordAt(now, tk, context.DeadlineExceeded)
	if st := b.Snapshot(now); st.State != StateClosed || st.Failures != 1 {
		t.Fatalf("after window: %+v", st)
	}
	// Half the window later, old buckets expire one by one.
	for i := 0; i < 9; i++ {
		now = now.Add(time.Second)
		tk, _ := b.AllowAt(now)
		b.RecordAt(now, tk, io.EOF)
	}
	if st := b.Snapshot(now); st.State != StateOpen {
		t.Fatalf("want open after 10 failures within 10 s: %+v", st)
	}
}

func TestBreakerSet(t *testing.T) {
	s := NewBreakerSet(BreakerPolicy{MinSamples: 1, ErrorRate: 0.5})
	tk, err := s.Allow("10.0.0.1:80", t0)
	if err != nil {
		t.Fatal(err)
	}
	s.Record("10.0.0.1:80", t0, tk, io.EOF)
	if _, err := s.Allow("10.0.0.1:80", t0); !errors.Is(err, ErrOpen) {
		t.Fatal("instance breaker not open")
	}
	if _, err := s.Allow("10.0.0.2:80", t0); err != nil {
		t.Fatal("other instance affected")
	}
	snap := s.Snapshot(t0)
	if len(snap) != 2 || snap[0].State != StateOpen || snap[1].State != StateClosed {
		t.Fatalf("snapshot %v", snap)
	}
	s.Forget("10.0.0.1:80")
	if _, err := s.Allow("10.0.0.1:80", t0); err != nil {
		t.Fatal("forgotten breaker still open")
	}
	if k := ServiceKey("a", "b", "m"); k != "a/b/m" {
		t.Errorf("ServiceKey = %q", k)
	}
}

func TestClassifiers(t *testing.T) {
	timeoutErr := &netTimeout{}
	for _, c := range []struct {
		err              error
		retry, isFailure bool
	}{
		{nil, false, false},
		{context.Canceled, false, false},
		{context.DeadlineExceeded, true, true},
		{os.ErrDeadlineExceeded, true, true},
		{timeoutErr, true, true},
		{io.EOF, true, true},
		{os.NewSyscallError("connect", syscall.ECONNREFUSED), true, true},
		{syscall.ECONNRESET, true, true},
		{errors.New("biz error"), false, false},
	} {
		if got := IsRetryable(c.err); got != c.retry {
			t.Errorf("IsRetryable(%v) = %v", c.err, got)
		}
		if got := IsFailure(c.err); got != c.isFailure {
			t.Errorf("IsFailure(%v) = %v", c.err, got)
		}
	}
}

type netTimeout struct{}

func (*netTimeout) Error() string   { return "i/o timeout" }
func (*netTimeout) Timeout() bool   { return true }
func (*netTimeout) Temporary() bool { return true }

func BenchmarkBreakerAllowRecord(b *testing.B) {
	br := NewBreaker("k", DefaultBreakerPolicy())
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tk, err := br.AllowAt(now)
		if err == nil {
			br.RecordAt(now, tk, nil)
		}
	}
}

func BenchmarkBreakerSetAllowRecord(b *testing.B) {
	s := NewBreakerSet(DefaultBreakerPolicy())
	s.Get("10.0.0.1:8888")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		br := s.Get("10.0.0.1:8888")
		tk, err := br.Allow()
		if err == nil {
			br.Record(tk, nil)
		}
	}
}
