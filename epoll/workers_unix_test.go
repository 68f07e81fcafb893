//go:build (linux || darwin || freebsd || netbsd || openbsd || dragonfly) && !kite_nopoller

package epoll

import (
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// idleWorkers is the number of workers l keeps waiting for handler runs.
func (l *loop) idleWorkers() int {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return len(l.workers)
}

// TestWorkersTrimmedAfterBurst holds 300 handler runs at once, so the loop
// starts 300 workers, then keeps one connection busy: the workers the
// burst left idle must be dismissed within two trims while the loop runs,
// and their goroutines end.
func TestWorkersTrimmedAfterBurst(t *testing.T) {
	const burst = 300
	p := New(1)
	ln, addr := listen(t, p)
	gs := runtime.NumGoroutine()
	var (
		entered atomic.Int32
		gate    = make(chan struct{})
		wg      sync.WaitGroup
	)
	serve := func(c *Conn) {
		for {
			hdr, err := c.Peek(4)
			if err != nil {
				break
			}
			n := 4 + int(binary.BigEndian.Uint32(hdr))
			f, err := c.Peek(n)
			if err != nil {
				break
			}
			if f[4] == 'b' { // a burst request waits for the gate
				entered.Add(1)
				<-gate
			}
			if _, err := c.Write(f); err != nil {
				break
			}
			c.Skip(n)
			c.Release()
		}
		c.Release()
		if c.PeerClosed() {
			c.Close()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.AcceptConn()
			if err != nil {
				return
			}
			c.Serve(serve, nil, 0)
		}
	}()
	defer func() {
		ln.Close()
		wg.Wait()
	}()

	conns := make([]net.Conn, burst)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(frame("b")); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for deadline := time.Now().Add(5 * time.Second); entered.Load() < burst; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d handler runs started", entered.Load(), burst)
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	for _, c := range conns {
		readFrame(t, c)
	}
	l := p.loops[0]
	for deadline := time.Now().Add(time.Second); l.idleWorkers() < burst; {
		if time.Now().After(deadline) {
			t.Fatalf("after the burst %d workers wait, want %d", l.idleWorkers(), burst)
		}
		time.Sleep(time.Millisecond)
	}

	// One connection stays busy: one or two workers are used, the rest
	// must go within two trims.
	busy := conns[0]
	var b [5]byte
	for deadline := time.Now().Add(2*trimEvery + time.Second); l.idleWorkers() > 2; {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers still wait %v after the burst", l.idleWorkers(), 2*trimEvery+time.Second)
		}
		if _, err := busy.Write(frame("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(busy, b[:]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	// Dismissed workers exit when next scheduled.
	for deadline := time.Now().Add(3 * time.Second); runtime.NumGoroutine() > gs+10; {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines %d before the burst, %d after the trim", gs, runtime.NumGoroutine())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
