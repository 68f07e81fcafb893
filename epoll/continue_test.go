package epoll

import (
	"encoding/binary"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestContinueRun has a handler that, on a frame "slow", copies it out,
// hands the run on with ContinueRun and then waits: the frames behind it
// must be answered meanwhile by the goroutine that took over, never by two
// goroutines reading the input at once, and once the slow frames are let
// go the connection keeps serving and closes cleanly.
func TestContinueRun(t *testing.T) {
	noLeaks(t)
	p := New(1)
	ln, addr := listen(t, p)
	release := make(chan struct{})
	var reading, overlaps, slowDone atomic.Int32
	var closed sync.WaitGroup
	var h func(c *Conn)
	h = func(c *Conn) {
		if reading.Add(1) != 1 {
			overlaps.Add(1)
		}
		for {
			hdr, err := c.Peek(4)
			if err != nil {
				break
			}
			n := 4 + int(binary.BigEndian.Uint32(hdr))
			b, err := c.Peek(n)
			if err != nil {
				break
			}
			msg := string(b[4:]) // a copy: the input is released below
			c.Skip(n)
			c.Release()
			if strings.HasPrefix(msg, "slow") {
				reading.Add(-1)
				handed := make(chan struct{})
				go c.ContinueRun(func() { close(handed) })
				<-handed
				<-release
				_, _ = c.Write(frame(msg))
				slowDone.Add(1)
				return // the run is the other goroutine's now
			}
			if _, err := c.Write(frame(msg)); err != nil {
				break
			}
		}
		c.Release()
		if c.PeerClosed() {
			c.Close()
		}
		reading.Add(-1)
	}
	closed.Add(1)
	go func() {
		c, err := ln.AcceptConn()
		if err != nil {
			closed.Done()
			return
		}
		c.Serve(h, closed.Done, 0)
	}()
	t.Cleanup(func() { ln.Close() })

	c := dial(t, p, addr)
	var all []byte
	for i := 0; i < 5; i++ {
		all = append(all, frame("slow"+string(rune('0'+i)))...)
		for j := 0; j < 20; j++ {
			all = append(all, frame("fast"+string(rune('a'+i))+string(rune('a'+j)))...)
		}
	}
	if _, err := c.Write(all); err != nil {
		t.Fatal(err)
	}
	// Every fast frame is answered, in order, while the slow ones wait.
	for i := 0; i < 5; i++ {
		for j := 0; j < 20; j++ {
			want := "fast" + string(rune('a'+i)) + string(rune('a'+j))
			if got := readFrame(t, c); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		}
	}
	close(release)
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		seen[readFrame(t, c)] = true
	}
	for i := 0; i < 5; i++ {
		if s := "slow" + string(rune('0'+i)); !seen[s] {
			t.Errorf("no reply to %s: got %v", s, seen)
		}
	}
	// The connection still serves, one run at a time.
	for i := 0; i < 50; i++ {
		if _, err := c.Write(frame("again")); err != nil {
			t.Fatal(err)
		}
		if got := readFrame(t, c); got != "again" {
			t.Fatalf("got %q", got)
		}
	}
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d handler calls read the input while another did", n)
	}
	c.Close()
	done := make(chan struct{})
	go func() { closed.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the served connection did not close after the peer did")
	}
	if slowDone.Load() != 5 {
		t.Errorf("%d slow frames finished", slowDone.Load())
	}
}
