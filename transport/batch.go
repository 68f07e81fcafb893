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
	queue   []byte     // frames waiting for the writing goroutine
	spare   []byte
	err     error // the write error that broke the connection
}

// maxSpare is the largest write batch buffer a Batcher keeps for the next
// batch; larger ones (many big frames at once) go to the GC.
const maxSpare = 1 << 20

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
	b.queue = append(b.queue, frame...)
	if b.writing {
		b.mu.Unlock()
		return nil
	}
	b.writing = true
	b.mu.Unlock()
	runtime.Gosched()
	_ = b.Conn.SetWriteDeadline(deadline)
	var err error
	for {
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.writing = false
			b.mu.Unlock()
			return nil
		}
		batch := b.queue
		b.queue = b.spare[:0]
		b.mu.Unlock()
		_, err = b.Conn.Write(batch)
		if cap(batch) > maxSpare {
			batch = nil
		}
		b.spare = batch
		if err != nil {
			break
		}
	}
	b.mu.Lock()
	b.err, b.writing, b.queue = err, false, nil
	b.mu.Unlock()
	return err
}
