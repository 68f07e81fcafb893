package epoll

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// writeFrame is a test frame: length, writer, sequence number, then bytes
// derived from both, so a torn, interleaved or misplaced frame shows.
func writeFrame(writer, seq, size int) []byte {
	f := make([]byte, 12+size)
	binary.BigEndian.PutUint32(f, uint32(8+size))
	binary.BigEndian.PutUint32(f[4:], uint32(writer))
	binary.BigEndian.PutUint32(f[8:], uint32(seq))
	for i := range f[12:] {
		f[12+i] = byte(writer*13 + seq*5 + i)
	}
	return f
}

// TestConcurrentWriteAndEnqueue: goroutines calling Write and others
// calling Enqueue and Flush on one connection, with a reader that lags,
// so the socket refuses output again and again. Every frame must arrive
// whole and in its writer's order: output queued by one side is never cut
// by the other's. On the net.Conn fallback (-tags kite_nopoller) it also
// drives the background writer against blocking Writes.
func TestConcurrentWriteAndEnqueue(t *testing.T) {
	noLeaks(t)
	c, peer := dialPeer(t, New(1))
	const writers, perWriter = 8, 60
	sizes := []int{0, 17, 1000, blockSize, blockSize + 1, 3*blockSize + 5, 100 << 10}

	done := make(chan error, 1)
	go func() {
		r := bufio.NewReaderSize(peer, 4096)
		next := make([]int, writers)
		for n := 0; n < writers*perWriter; n++ {
			if n%50 == 0 {
				time.Sleep(2 * time.Millisecond) // lag: let the socket fill
			}
			var hdr [12]byte
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				done <- err
				return
			}
			size := int(binary.BigEndian.Uint32(hdr[:])) - 8
			w, seq := int(binary.BigEndian.Uint32(hdr[4:])), int(binary.BigEndian.Uint32(hdr[8:]))
			if w < 0 || w >= writers || seq != next[w] || size != sizes[(w+seq)%len(sizes)] {
				done <- fmt.Errorf("frame %d: writer %d seq %d size %d", n, w, seq, size)
				return
			}
			next[w]++
			body := make([]byte, size)
			if _, err := io.ReadFull(r, body); err != nil {
				done <- err
				return
			}
			want := writeFrame(w, seq, size)[12:]
			for i := range body {
				if body[i] != want[i] {
					done <- fmt.Errorf("frame %d (writer %d seq %d): byte %d differs", n, w, seq, i)
					return
				}
			}
		}
		done <- nil
	}()

	var wg sync.WaitGroup
	var flushMu sync.Mutex // Flush is for one goroutine at a time
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for seq := 0; seq < perWriter; seq++ {
				f := writeFrame(w, seq, sizes[(w+seq)%len(sizes)])
				if w%2 == 0 {
					if _, err := c.Write(f); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				flushMu.Lock()
				c.Enqueue(f)
				err := c.Flush()
				flushMu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wrote := make(chan struct{})
	go func() { wg.Wait(); close(wrote) }()
	timeout := time.After(30 * time.Second)
	// A reader that stops at a bad frame leaves the writers blocked on a
	// full socket: fail then, rather than wait for them (closing the
	// connections at cleanup releases them).
	select {
	case <-wrote:
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
		<-wrote
	case <-timeout:
		t.Fatal("the writers did not finish")
	}
	if err := c.Drain(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-timeout:
		t.Fatal("the reader did not get every frame")
	}
	if c.Buffered() != 0 {
		t.Errorf("%d bytes still queued", c.Buffered())
	}
}
