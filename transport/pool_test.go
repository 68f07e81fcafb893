package transport

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// listen accepts connections and keeps them until the test ends; closePeer
// closes every accepted connection.
func listen(t testing.TB) (addr string, closePeers func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	closeAll := func() {
		// Wait for the accept loop to see the connections dialled so far.
		for i := 0; i < 100; i++ {
			mu.Lock()
			n := len(conns)
			mu.Unlock()
			if n > 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
		conns = nil
	}
	t.Cleanup(func() { ln.Close(); <-done; closeAll() })
	return ln.Addr().String(), closeAll
}

func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

func TestLongPoolLIFOAndLimits(t *testing.T) {
	checkGoroutines(t)
	addr, _ := listen(t)
	p := NewLongPool(&net.Dialer{}, LongPoolConfig{MaxIdlePerAddress: 2}, 0)
	defer p.Close()
	ctx := context.Background()
	var cs []*Conn
	for i := 0; i < 3; i++ {
		c, err := p.Get(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	p.Put(cs[0], true)
	p.Put(cs[1], true)
	p.Put(cs[2], true) // over MaxIdlePerAddress: closed
	if n := p.Idle(); n != 2 {
		t.Fatalf("idle %d, want 2", n)
	}
	if _, err := cs[2].Write([]byte{0}); err == nil {
		t.Error("the connection over the limit was not closed")
	}
	c, err := p.Get(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if c != cs[1] {
		t.Error("Get did not return the most recently idled connection")
	}
	p.Put(c, false) // an error: closed, not kept
	if n := p.Idle(); n != 1 {
		t.Fatalf("idle %d after a discard, want 1", n)
	}
}

func TestLongPoolIdleTimeout(t *testing.T) {
	checkGoroutines(t)
	addr, _ := listen(t)
	p := NewLongPool(&net.Dialer{}, LongPoolConfig{MaxIdleTimeout: 50 * time.Millisecond}, 0)
	c, err := p.Get(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	p.Put(c, true)
	deadline := time.Now().Add(2 * time.Second)
	for p.Idle() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if p.Idle() != 0 {
		t.Fatal("idle connection was not closed by the janitor")
	}
	p.Close()
	if _, err := p.Get(context.Background(), addr); !errors.Is(err, ErrPoolClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
}

func TestShortPool(t *testing.T) {
	addr, _ := listen(t)
	p := NewShortPool(&net.Dialer{}, 0)
	c, err := p.Get(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr() != addr {
		t.Errorf("Addr %q", c.Addr())
	}
	p.Put(c, true)
	if _, err := c.Write([]byte{0}); err == nil {
		t.Error("short pool kept the connection")
	}
}

func TestLongPoolCloseIdle(t *testing.T) {
	checkGoroutines(t)
	addr, _ := listen(t)
	p := NewLongPool(&net.Dialer{}, LongPoolConfig{}, 0)
	defer p.Close()
	c, err := p.Get(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	p.Put(c, true)
	p.CloseIdle(addr)
	if p.Idle() != 0 {
		t.Fatal("CloseIdle kept a connection")
	}
	if _, err := c.Write([]byte{0}); err == nil {
		t.Error("connection still open")
	}
}

// BenchmarkLongPoolGetPut is the pool's part of a pooled call: 100
// goroutines taking a connection to one address and giving it back, as
// callers that call again at once do.
func BenchmarkLongPoolGetPut(b *testing.B) {
	addr, _ := listen(b)
	p := NewLongPool(&net.Dialer{}, LongPoolConfig{MaxIdlePerAddress: 200, MaxIdleGlobal: 200}, 0)
	defer p.Close()
	b.SetParallelism(50)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, err := p.Get(context.Background(), addr)
			if err != nil {
				b.Error(err)
				return
			}
			p.Put(c, true)
		}
	})
}

// listenPeers accepts connections and hands each to the test on peers;
// the test's end closes the listener and every connection.
func listenPeers(t *testing.T) (addr string, peers <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn)
	go func() {
		defer close(ch)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ch <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for c := range ch {
			c.Close()
		}
	})
	return ln.Addr().String(), ch
}

// An idle connection the peer spoiled is not handed out again: closed a
// while ago; holding bytes nobody asked for; or closed right behind its
// last reply (a proxy's request limit per connection, say) and taken again
// a moment later, however recently it went idle. Each case spoils and
// retakes several connections in a row.
func TestLongPoolSkipsUnusableConnections(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("liveness peeking is Linux-only")
	}
	cases := []struct {
		name  string
		spoil func(peer net.Conn) error
		wait  time.Duration
	}{
		{"closed", func(s net.Conn) error { return s.Close() }, 50 * time.Millisecond},
		{"stray bytes", func(s net.Conn) error { _, err := s.Write([]byte{0}); return err }, 20 * time.Millisecond},
		// No wait: on loopback the close delivers the FIN before it returns.
		{"closed right after use", func(s net.Conn) error { return s.Close() }, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			addr, peers := listenPeers(t)
			p := NewLongPool(&net.Dialer{}, LongPoolConfig{}, 0)
			defer p.Close()
			c, err := p.Get(context.Background(), addr)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 5; i++ {
				s := <-peers
				p.Put(c, true)
				if err := tc.spoil(s); err != nil {
					t.Fatal(err)
				}
				if tc.wait > 0 {
					time.Sleep(tc.wait)
				}
				c2, err := p.Get(context.Background(), addr)
				s.Close()
				if err != nil {
					t.Fatal(err)
				}
				if c2 == c {
					t.Fatalf("round %d: the spoiled connection was handed out again", i)
				}
				c = c2
			}
			p.Put(c, false)
		})
	}
}
