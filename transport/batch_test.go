package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(tb testing.TB) (client, server net.Conn) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		tb.Fatal("accept failed")
	}
	tb.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// batchFrame is a test frame: length, writer, sequence number, then
// filler bytes derived from both, so a torn or misplaced frame shows.
func batchFrame(writer, seq, size int) []byte {
	f := make([]byte, 12+size)
	binary.BigEndian.PutUint32(f, uint32(8+size))
	binary.BigEndian.PutUint32(f[4:], uint32(writer))
	binary.BigEndian.PutUint32(f[8:], uint32(seq))
	for i := range f[12:] {
		f[12+i] = byte(writer*31 + seq*7 + i)
	}
	return f
}

// Frames written from many goroutines at once, small and larger than a
// chunk, arrive whole, each once, in each writer's order.
func TestBatcherKeepsFramesWholeAndInOrder(t *testing.T) {
	client, server := tcpPair(t)
	b := &Batcher{Conn: client}
	const writers, perWriter = 8, 48
	sizes := []int{0, 1, 100, 1000, chunkSize - 12, chunkSize, chunkSize + 1, 3 * chunkSize}

	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		r := bufio.NewReader(server)
		next := make([]int, writers)
		for n := 0; n < writers*perWriter; n++ {
			var hdr [12]byte
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				done <- result{err}
				return
			}
			size := int(binary.BigEndian.Uint32(hdr[:])) - 8
			w, seq := int(binary.BigEndian.Uint32(hdr[4:])), int(binary.BigEndian.Uint32(hdr[8:]))
			if w >= writers || seq != next[w] || size != sizes[seq%len(sizes)] {
				done <- result{errors.New("frame " + strconv.Itoa(n) + ": writer " + strconv.Itoa(w) + " seq " + strconv.Itoa(seq) + " size " + strconv.Itoa(size))}
				return
			}
			next[w]++
			body := make([]byte, size)
			if _, err := io.ReadFull(r, body); err != nil {
				done <- result{err}
				return
			}
			want := batchFrame(w, seq, size)[12:]
			for i := range body {
				if body[i] != want[i] {
					done <- result{errors.New("frame " + strconv.Itoa(n) + ": byte " + strconv.Itoa(i) + " differs")}
					return
				}
			}
		}
		done <- result{}
	}()

	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for seq := 0; seq < perWriter; seq++ {
				f := batchFrame(w, seq, sizes[seq%len(sizes)])
				if err := b.Write(f, time.Time{}); err != nil {
					t.Error(err)
					return
				}
				clear(f) // the frame may be reused once Write returns
				if seq%7 == 0 {
					runtime.Gosched()
				}
			}
		}(w)
	}
	wg.Wait()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("reader did not get every frame")
	}
}

// A write that fails breaks the Batcher: that Write and every later one
// return the error, and the queue is dropped.
func TestBatcherWriteError(t *testing.T) {
	client, _ := tcpPair(t)
	b := &Batcher{Conn: client}
	// Nobody reads: a past deadline fails the first write at once.
	err := b.Write(make([]byte, 1024), time.Now().Add(-time.Second))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("write past its deadline: %v, want a timeout", err)
	}
	if err2 := b.Write([]byte{1}, time.Time{}); err2 == nil {
		t.Fatal("a broken Batcher accepted another frame")
	}
	b.mu.Lock()
	queued := len(b.queue)
	b.mu.Unlock()
	if queued != 0 {
		t.Fatalf("%d chunks still queued after the error", queued)
	}
}

// BenchmarkBatcher is 100 goroutines writing frames through one Batcher to
// a loopback connection whose far end discards them.
func BenchmarkBatcher(b *testing.B) {
	for _, size := range []int{128, 1024, 16384} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			client, server := tcpPair(b)
			go func() { _, _ = io.Copy(io.Discard, server) }()
			bt := &Batcher{Conn: client}
			b.SetBytes(int64(size))
			b.SetParallelism((100 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				f := make([]byte, size)
				for pb.Next() {
					if err := bt.Write(f, time.Time{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
