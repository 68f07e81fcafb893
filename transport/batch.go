package transport

import (
	"net"
	"runtime"
	"sync"
	"time"
)

// Batcher writes whole frames from many goroutines to one connection:
// frames that come while a write is under way are queued and go out
// together in the next write, by the goroutine that was writing. The
// writer first yields once, so that goroutines already runnable (often
// woken together by one read) queue their frames behind it: on one P each
// would otherwise run alone and make its own write. Clients pipelining
// calls (MuxConn) and servers answering them out of order use it.
//
// The zero value with Conn set is ready to use; a Batcher is safe for
// concurrent use.
type Batcher struct {
	Conn net.Conn

	mu      sync.Mutex // guards the fields below
	writing bool       // a goroutine is writing; others queue
	queue   []*chunk   // frames waiting for the writing goroutine, in order
	next    []*chunk   // an empty list for the next queue, kept by the writer
	err     error      // the write error that broke the connection
}

// chunk is a piece of a Batcher's queue. The queue is a list of chunks
// rather than one growing buffer: with many large frames waiting (1,000
// callers of 16 KiB over two connections queue megabytes) a single buffer
// was copied on every growth and, too large to keep, allocated afresh
// for each batch; copying the frames into it took 15 % of such a client's
// time, 5 times what encoding the same bytes took.
type chunk struct{ b []byte }

// chunkSize is the size of the pooled chunks; a frame larger than a chunk
// gets one of its own, which is not pooled.
const chunkSize = 64 << 10

// chunks are shared by all Batchers: a connection that sends a few small
// frames holds none between its batches.
var chunks = sync.Pool{New: func() any { return &chunk{b: make([]byte, 0, chunkSize)} }}

// Write queues frame and, unless another goroutine is writing, writes the
// queue until it is empty, with deadline (zero: none) as the connection's
// write deadline: a stuck socket fails the write of every frame queued,
// no later than this caller's deadline. After a write error every Write
// fails with it at once. Once Write returns, frame may be reused.
func (b *Batcher) Write(frame []byte, deadline time.Time) error {
	b.mu.Lock()
	if b.err != nil {
		err := b.err
		b.mu.Unlock()
		return err
	}
	b.appendLocked(frame)
	if b.writing {
		b.mu.Unlock()
		return nil
	}
	b.writing = true
	b.mu.Unlock()
	runtime.Gosched()
	_ = b.Conn.SetWriteDeadline(deadline)
	var err error
	var batch []*chunk // the chunks just written
	for {
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.writing = false
			b.next = batch
			b.mu.Unlock()
			return nil
		}
		if batch == nil {
			batch, b.next = b.next, nil // the writer's now
		}
		batch, b.queue = b.queue, batch[:0]
		b.mu.Unlock()
		for _, c := range batch {
			if err == nil {
				_, err = b.Conn.Write(c.b)
			}
			putChunk(c)
		}
		clear(batch)
		if err != nil {
			break
		}
	}
	b.mu.Lock()
	b.err, b.writing = err, false
	for _, c := range b.queue {
		putChunk(c) // not written: the connection is broken
	}
	b.queue = nil
	b.mu.Unlock()
	return err
}

// appendLocked copies frame to the end of the queue.
func (b *Batcher) appendLocked(frame []byte) {
	if n := len(b.queue); n > 0 {
		if last := b.queue[n-1]; cap(last.b)-len(last.b) >= len(frame) {
			last.b = append(last.b, frame...)
			return
		}
	}
	var c *chunk
	if len(frame) > chunkSize {
		c = &chunk{b: make([]byte, 0, len(frame))}
	} else {
		c = chunks.Get().(*chunk)
	}
	c.b = append(c.b, frame...)
	b.queue = append(b.queue, c)
}

// putChunk gives a pooled chunk back; an outsized one goes to the GC.
func putChunk(c *chunk) {
	if cap(c.b) == chunkSize {
		c.b = c.b[:0]
		chunks.Put(c)
	}
}
