//go:build (linux || darwin || freebsd || netbsd || openbsd || dragonfly) && !kite_nopoller

package epoll

import (
	"io"
	"testing"
	"time"
)

// TestFreeBlocksDroppedWhenLoopsStop: once the process's last poll loop
// stops, no free block is kept (no loop is left to trim them).
func TestFreeBlocksDroppedWhenLoopsStop(t *testing.T) {
	waitLoops := func() bool {
		for deadline := time.Now().Add(3 * time.Second); runningLoops.Load() != 0; {
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(5 * time.Millisecond)
		}
		return true
	}
	if !waitLoops() {
		t.Skip("other tests' loops still run")
	}
	p := New(1)
	ln, addr := listen(t, p)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.AcceptConn()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
	}()
	c := dial(t, p, addr)
	msg := make([]byte, 40<<10)
	go c.Write(msg)
	got := make([]byte, len(msg))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	c.Close()
	<-done
	ln.Close()
	if !waitLoops() {
		t.Fatal("the loop did not stop after its last connection closed")
	}
	for i := range blockShards {
		fb := &blockShards[i]
		fb.mu.Lock()
		n := len(fb.list)
		fb.mu.Unlock()
		if n != 0 {
			t.Errorf("shard %d keeps %d free blocks with no loop running", i, n)
		}
	}
}
