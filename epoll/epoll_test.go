package epoll

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echoServer serves length-prefixed frames (4-byte big-endian length, then
// the payload) on p, answering each frame with itself, in order.
type echoServer struct {
	ln     *Listener
	closed atomic.Int64 // connections whose onClose ran
	served atomic.Int64 // frames answered
	wg     sync.WaitGroup
}

// listen returns a poller listener on 127.0.0.1:0 and its address.
func listen(t *testing.T, p *Poller) (*Listener, string) {
	t.Helper()
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := p.NewListener(nl)
	if err != nil {
		t.Fatal(err)
	}
	return ln, nl.Addr().String()
}

func startEcho(t *testing.T, p *Poller) (*echoServer, string) {
	t.Helper()
	ln, addr := listen(t, p)
	s := &echoServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.AcceptConn()
			if err != nil {
				return
			}
			c.Serve(s.serve, func() { s.closed.Add(1) }, 0)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s, addr
}

func (s *echoServer) serve(c *Conn) {
	for {
		hdr, err := c.Peek(4)
		if err != nil {
			break
		}
		n := 4 + int(binary.BigEndian.Uint32(hdr))
		frame, err := c.Peek(n)
		if err != nil {
			break // not all here yet
		}
		// Counted before the reply goes: a client that has read it may
		// look at the count at once.
		s.served.Add(1)
		if _, err := c.Write(frame); err != nil {
			c.Close()
			return
		}
		c.Skip(n)
		c.Release()
	}
	c.Release()
	if c.PeerClosed() {
		c.Close()
	}
}

func frame(payload string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
	return append(b, payload...)
}

func dial(t *testing.T, p *Poller, addr string) net.Conn {
	t.Helper()
	c, err := (&Dialer{Poller: p, Timeout: time.Second}).DialContext(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readFrame(t *testing.T, c net.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [4]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// countFDs returns the number of open descriptors, or -1 where /proc is
// missing.
func countFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// noLeaks fails the test unless descriptors and goroutines return to what
// they were when it was called.
func noLeaks(t *testing.T) {
	fds, gs := countFDs(), runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if countFDs() <= fds && runtime.NumGoroutine() <= gs {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		buf := make([]byte, 1<<16)
		t.Errorf("fds %d -> %d, goroutines %d -> %d\n%s", fds, countFDs(), gs, runtime.NumGoroutine(),
			buf[:runtime.Stack(buf, true)])
	})
}

func TestFrameOneByteAtATime(t *testing.T) {
	noLeaks(t)
	p := New(1)
	_, addr := startEcho(t, p)
	c := dial(t, p, addr)
	defer c.Close()
	for _, b := range frame("byte by byte") {
		if _, err := c.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if got := readFrame(t, c); got != "byte by byte" {
		t.Fatalf("got %q", got)
	}
}

func TestFrameLargerThanABlock(t *testing.T) {
	noLeaks(t)
	p := New(1)
	_, addr := startEcho(t, p)
	c := dial(t, p, addr)
	defer c.Close()
	for _, n := range []int{blockSize - 4, blockSize, 3*blockSize + 17, 1 << 20} {
		msg := strings.Repeat("x", n-1) + "y"
		go c.Write(frame(msg))
		if got := readFrame(t, c); got != msg {
			t.Fatalf("%d bytes: got %d bytes", n, len(got))
		}
	}
}

// TestFrameSizesAlternate sends frames of alternating sizes on one
// connection, so its reads switch between one block and several (readv)
// and back; every byte must arrive in order, on both sides.
func TestFrameSizesAlternate(t *testing.T) {
	noLeaks(t)
	p := New(1)
	_, addr := startEcho(t, p)
	c := dial(t, p, addr)
	defer c.Close()
	sizes := []int{3, 40 << 10, 5, 2*blockSize - 4, 1, 4*blockSize + 100, 64, 200 << 10, 7}
	var all []byte
	var msgs []string
	for i, n := range sizes {
		b := make([]byte, n)
		for j := range b {
			b[j] = byte('a' + (i+j)%26)
		}
		msgs = append(msgs, string(b))
		all = append(all, frame(string(b))...)
	}
	for _, together := range []bool{false, true} {
		if together {
			go c.Write(all)
		}
		for i, msg := range msgs {
			if !together {
				go c.Write(frame(msg))
			}
			if got := readFrame(t, c); got != msg {
				t.Fatalf("together %v, frame %d (%d bytes): got %d bytes, differing", together, i, len(msg), len(got))
			}
		}
	}
}

func TestPipelinedFramesInOneWrite(t *testing.T) {
	noLeaks(t)
	p := New(1)
	s, addr := startEcho(t, p)
	c := dial(t, p, addr)
	defer c.Close()
	var all []byte
	const n = 2000
	for i := 0; i < n; i++ {
		all = append(all, frame(strings.Repeat("p", i%50)+string(rune('a'+i%26)))...)
	}
	go c.Write(all)
	for i := 0; i < n; i++ {
		want := strings.Repeat("p", i%50) + string(rune('a'+i%26))
		if got := readFrame(t, c); got != want {
			t.Fatalf("frame %d: got %q, want %q", i, got, want)
		}
	}
	if s.served.Load() != n {
		t.Errorf("served %d", s.served.Load())
	}
}

func TestPeerHalfCloseMidFrame(t *testing.T) {
	noLeaks(t)
	p := New(1)
	s, addr := startEcho(t, p)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	b := frame("cut short")
	nc.Write(b[:7])
	nc.(*net.TCPConn).CloseWrite()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := nc.Read(make([]byte, 10)); err != io.EOF {
		t.Fatalf("read %d, %v; want EOF: the server closes", n, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.closed.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s.closed.Load() != 1 {
		t.Fatal("onClose did not run")
	}
}

func TestHalfCloseAfterWholeFrameIsAnswered(t *testing.T) {
	noLeaks(t)
	p := New(1)
	_, addr := startEcho(t, p)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write(frame("last words"))
	nc.(*net.TCPConn).CloseWrite()
	if got := readFrame(t, nc); got != "last words" {
		t.Fatalf("got %q", got)
	}
}

func TestDeadlines(t *testing.T) {
	noLeaks(t)
	p := New(1)
	_, addr := startEcho(t, p)
	c := dial(t, p, addr)
	defer c.Close()

	// A read deadline in the future times out a read that gets nothing.
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	start := time.Now()
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past deadline: %v", err)
	}
	if d := time.Since(start); d < 15*time.Millisecond || d > time.Second {
		t.Errorf("timed out after %v", d)
	}

	// A past deadline interrupts a read blocked without one.
	c.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 1)); done <- err }()
	time.Sleep(20 * time.Millisecond)
	c.SetReadDeadline(time.Unix(1, 0))
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("interrupted read: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("past deadline did not interrupt Read")
	}

	// Clearing the deadline makes the connection usable again.
	c.SetDeadline(time.Time{})
	c.Write(frame("again"))
	if got := readFrame(t, c); got != "again" {
		t.Fatalf("got %q", got)
	}

	// Close interrupts a blocked read.
	go func() { _, err := c.Read(make([]byte, 1)); done <- err }()
	time.Sleep(10 * time.Millisecond)
	c.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after Close: %v", err)
	}
}

// dialPeer returns a poller client connection and the net.Conn the
// listener accepted for it; both close when the test ends.
func dialPeer(t *testing.T, p *Poller) (*Conn, net.Conn) {
	t.Helper()
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	c := dial(t, p, nl.Addr().String())
	t.Cleanup(func() { c.Close() })
	peer, err := nl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	return c.(*Conn), peer
}

func TestMallocFlushResumesWhenWritable(t *testing.T) {
	noLeaks(t)
	ec, peer := dialPeer(t, New(1))
	const total = 16 << 20 // far more than the socket buffers hold
	for i := 0; i < total/blockSize; i++ {
		b := ec.Malloc(blockSize)
		for j := range b {
			b[j] = byte(i)
		}
	}
	if err := ec.Flush(); err != nil {
		t.Fatal(err)
	}
	if ec.Buffered() == 0 {
		t.Fatal("the socket took 16 MiB at once; the test needs a partial write")
	}
	got := make([]byte, total)
	peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < total; i += blockSize {
		if got[i] != byte(i/blockSize) || got[i+blockSize-1] != byte(i/blockSize) {
			t.Fatalf("block %d corrupted", i/blockSize)
		}
	}
	if ec.Buffered() != 0 {
		t.Errorf("%d bytes left", ec.Buffered())
	}
}

func TestDialRefused(t *testing.T) {
	noLeaks(t)
	nl, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := nl.Addr().String()
	nl.Close()
	start := time.Now()
	_, err := (&Dialer{Poller: New(1), Timeout: 2 * time.Second}).DialContext(context.Background(), "tcp", addr)
	if err == nil || time.Since(start) > time.Second {
		t.Fatalf("dial to a closed port: %v after %v", err, time.Since(start))
	}
}

func TestCloseFreesBuffers(t *testing.T) {
	noLeaks(t)
	p := New(1)
	nl, _ := net.Listen("tcp", "127.0.0.1:0")
	defer nl.Close()
	c := dial(t, p, nl.Addr().String()).(*Conn)
	peer, _ := nl.Accept()
	defer peer.Close()
	peer.Write(bytes.Repeat([]byte("z"), 3*blockSize))
	deadline := time.Now().Add(5 * time.Second)
	for c.Len() < 3*blockSize && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if c.Len() != 3*blockSize {
		t.Fatalf("buffered %d", c.Len())
	}
	c.Close()
	// The buffers go when the last reference does: at once on the poller;
	// on the net.Conn fallback when its reader goroutine has seen the close.
	freed := func() bool {
		c.inMu.Lock()
		defer c.inMu.Unlock()
		return c.in.head == nil && c.in.n == 0
	}
	for deadline := time.Now().Add(5 * time.Second); !freed() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if !freed() {
		t.Error("input blocks kept after Close")
	}
}

func TestReadWriteConcurrentEcho(t *testing.T) {
	noLeaks(t)
	p := New(2)
	_, addr := startEcho(t, p)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := dial(t, p, addr)
			defer c.Close()
			for j := 0; j < 50; j++ {
				msg := strings.Repeat(string(rune('a'+i)), i*j+1)
				if _, err := c.Write(frame(msg)); err != nil {
					t.Error(err)
					return
				}
				if got := readFrame(t, c); got != msg {
					t.Errorf("got %d bytes", len(got))
					return
				}
			}
		}(i)
	}
	wg.Wait()
}

// TestEnqueueSpansBlocks queues pieces smaller and larger than a block
// and checks the peer receives them whole and in order.
func TestEnqueueSpansBlocks(t *testing.T) {
	noLeaks(t)
	ec, peer := dialPeer(t, New(1))
	var want []byte
	for i, n := range []int{10, blockSize - 3, 20 << 10, 1, blockSize, 3 * blockSize / 2} {
		piece := make([]byte, n)
		for j := range piece {
			piece[j] = byte(i*31 + j)
		}
		ec.Enqueue(piece)
		want = append(want, piece...)
	}
	if ec.Buffered() != len(want) {
		t.Fatalf("Buffered = %d, want %d", ec.Buffered(), len(want))
	}
	if err := ec.Drain(); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("bytes differ")
	}
}

// TestDialAfterLastClose closes a poller's only connection and dials the
// next at once, many times: the new connection must not be registered with
// a loop that is stopping (it would never see its connect complete).
func TestDialAfterLastClose(t *testing.T) {
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	noLeaks(t) // after the runtime's own poller exists
	go func() {
		for {
			c, err := nl.Accept()
			if err != nil {
				return
			}
			go func() { // not io.Copy: its splice pipes stay pooled, as fds
				var b [64]byte
				for {
					n, err := c.Read(b[:])
					if err != nil {
						break
					}
					if _, err := c.Write(b[:n]); err != nil {
						break
					}
				}
				c.Close()
			}()
		}
	}()
	p := New(1)
	b := []byte{7}
	for i := 0; i < 3000; i++ {
		c := dial(t, p, nl.Addr().String())
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		c.Close()
	}
}
