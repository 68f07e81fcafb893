package epoll

import (
	"sync"
	"sync/atomic"
	"time"
)

// blockSize is the size of a pooled buffer block.
const blockSize = 8 << 10

// block is one link of a connection's input or output chain.
type block struct {
	b    []byte
	r, w int // unread (input) or unsent (output) bytes are b[r:w]
	next *block
}

// blockShard keeps free blocks for reuse. It is not a sync.Pool, which
// every other GC empties: with large messages the GC runs often, and the
// blocks reallocated after each run kept the runtime's scavenger busy
// handing their pages back to the kernel (6 % of a 16 KiB echo server's
// time). Instead the blocks that stayed free for a whole trim period are
// dropped (trimBlocks), so a burst's buffers do not outlive it by long.
// Connections are spread over blockShards so that many cores do not queue
// on one mutex.
type blockShard struct {
	mu   sync.Mutex
	list []*block // the most recently freed last
	low  int      // fewest free blocks since the last trim
	_    [64]byte // keep shards on their own cache lines
}

const (
	numShards      = 16
	maxShardBlocks = 512 // 4 MiB free per shard at most
)

var (
	blockShards [numShards]blockShard
	nextShard   atomic.Uint32
)

// pickShard returns the shard of a new connection.
func pickShard() *blockShard { return &blockShards[nextShard.Add(1)%numShards] }

func getBlock(fb *blockShard, n int) *block {
	if n > blockSize {
		return &block{b: make([]byte, n)} // one-off, left to the GC
	}
	if fb == nil {
		fb = &blockShards[0]
	}
	fb.mu.Lock()
	if k := len(fb.list) - 1; k >= 0 {
		b := fb.list[k]
		fb.list[k] = nil
		fb.list = fb.list[:k]
		fb.low = min(fb.low, k)
		fb.mu.Unlock()
		return b
	}
	fb.mu.Unlock()
	return &block{b: make([]byte, blockSize)}
}

func putBlock(fb *blockShard, b *block) {
	b.r, b.w, b.next = 0, 0, nil
	if cap(b.b) != blockSize {
		return
	}
	if fb == nil {
		fb = &blockShards[0]
	}
	fb.mu.Lock()
	if len(fb.list) < maxShardBlocks {
		fb.list = append(fb.list, b)
	}
	fb.mu.Unlock()
}

// runningLoops counts the poll loops running in the process; the last to
// stop drops the free blocks, which only running loops trim.
var runningLoops atomic.Int32

// dropFreeBlocks gives every free block to the GC.
func dropFreeBlocks() {
	for i := range blockShards {
		fb := &blockShards[i]
		fb.mu.Lock()
		clear(fb.list)
		fb.list, fb.low = nil, 0
		fb.mu.Unlock()
	}
}

// lastBlockTrim is when trimBlocks last ran, in unix nanoseconds; every
// loop calls it, the first each period does the work.
var lastBlockTrim atomic.Int64

// trimBlocks drops the free blocks no one needed since the last trim (the
// oldest, at the bottom of each list), at most once per period.
func trimBlocks(now int64, period time.Duration) {
	last := lastBlockTrim.Load()
	if now-last < int64(period) || !lastBlockTrim.CompareAndSwap(last, now) {
		return
	}
	for i := range blockShards {
		fb := &blockShards[i]
		fb.mu.Lock()
		n := fb.low
		m := copy(fb.list, fb.list[n:])
		clear(fb.list[m:])
		fb.list = fb.list[:m]
		if m == 0 {
			fb.list = nil // let a burst's slice go too
		}
		fb.low = m
		fb.mu.Unlock()
	}
}

// chain is a linked list of blocks. For input, head is the first block not
// yet released, cur the block reading is in, tail the block being filled;
// n counts the unread bytes. For output, head..tail hold unsent bytes.
type chain struct {
	head, cur, tail *block
	n               int
	fb              *blockShard // where its blocks come from and go back
}

// space returns room at the end of the chain for at least min bytes,
// adding a block when the tail has less.
func (ch *chain) space(min int) []byte {
	if ch.tail == nil || len(ch.tail.b)-ch.tail.w < min {
		b := getBlock(ch.fb, min)
		if ch.tail == nil {
			ch.head, ch.cur = b, b
		} else {
			ch.tail.next = b
		}
		ch.tail = b
	}
	return ch.tail.b[ch.tail.w:]
}

// link appends b, holding n bytes, after the tail.
func (ch *chain) link(b *block, n int) {
	b.w = n
	if ch.tail == nil {
		ch.head, ch.cur = b, b
	} else {
		ch.tail.next = b
	}
	ch.tail = b
	ch.n += n
}

// wrote records n bytes appended to the space last returned.
func (ch *chain) wrote(n int) {
	ch.tail.w += n
	ch.n += n
}

// settle moves cur past drained blocks that have a successor.
func (ch *chain) settle() {
	for ch.cur != nil && ch.cur.r == ch.cur.w && ch.cur.next != nil {
		ch.cur = ch.cur.next
	}
}

// peek returns the next n unread bytes, copying into scratch when they span
// blocks. It needs n <= ch.n.
func (ch *chain) peek(n int, scratch func(int) []byte) []byte {
	ch.settle()
	b := ch.cur
	if b.w-b.r >= n {
		return b.b[b.r : b.r+n]
	}
	out := scratch(n)
	k := 0
	for k < n {
		k += copy(out[k:], b.b[b.r:b.w])
		b = b.next
	}
	return out[:n]
}

// skip passes over n unread bytes; n <= ch.n.
func (ch *chain) skip(n int) {
	ch.n -= n
	for n > 0 {
		ch.settle()
		b := ch.cur
		k := b.w - b.r
		if k > n {
			k = n
		}
		b.r += k
		n -= k
	}
}

// release frees the blocks before cur, and cur too when all is read.
func (ch *chain) release() {
	ch.settle()
	for ch.head != nil && ch.head != ch.cur {
		b := ch.head
		ch.head = b.next
		putBlock(ch.fb, b)
	}
	if ch.n == 0 && ch.head != nil {
		putBlock(ch.fb, ch.head)
		ch.head, ch.cur, ch.tail = nil, nil, nil
	}
}

// free gives every block back.
func (ch *chain) free() {
	for b := ch.head; b != nil; {
		next := b.next
		putBlock(ch.fb, b)
		b = next
	}
	*ch = chain{fb: ch.fb}
}

// Len returns the number of input bytes buffered and not yet read.
func (c *Conn) Len() int {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	return c.in.n
}

// Peek returns the next n bytes of input without consuming them, or
// ErrShortInput when fewer are buffered. The bytes are not copied unless
// they span blocks; either way they stay valid until [Conn.Release].
// Input is consumed by one goroutine at a time: the handler [Conn.Serve]
// runs, or a caller of Read.
func (c *Conn) Peek(n int) ([]byte, error) {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	if n > c.in.n || n < 0 {
		return nil, ErrShortInput
	}
	if n == 0 {
		return nil, nil
	}
	return c.in.peek(n, c.scratchLocked), nil
}

// PeekBlock returns the unread input in the first block that holds any,
// without copying: a prefix of what Peek(Len()) returns, valid until
// [Conn.Release]. It is empty when nothing is buffered.
func (c *Conn) PeekBlock() []byte {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	if c.in.n == 0 {
		return nil
	}
	c.in.settle()
	return c.in.cur.b[c.in.cur.r:c.in.cur.w]
}

// Next returns the next n bytes of input and consumes them; like Peek's,
// the bytes stay valid until Release.
func (c *Conn) Next(n int) ([]byte, error) {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	if n > c.in.n || n < 0 {
		return nil, ErrShortInput
	}
	if n == 0 {
		return nil, nil
	}
	b := c.in.peek(n, c.scratchLocked)
	c.in.skip(n)
	return b, nil
}

// Skip consumes the next n bytes of input (all of it, when fewer are
// buffered).
func (c *Conn) Skip(n int) {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	if n > c.in.n {
		n = c.in.n
	}
	if n > 0 {
		c.in.skip(n)
	}
}

// Release ends the life of every byte slice Peek and Next returned: drained
// blocks go back to the pool. A connection whose input is all consumed and
// released holds no buffer.
func (c *Conn) Release() {
	c.inMu.Lock()
	c.in.release()
	c.scratchBusy = false
	if cap(c.scratch) > 64<<10 {
		c.scratch = nil
	}
	resume := c.paused && c.in.n < c.inLimit()/2
	c.inMu.Unlock()
	if resume {
		c.resumeInput()
	}
}

// scratchLocked returns a contiguous buffer of n bytes for a view spanning
// blocks: the connection's own until Release, a fresh one when that is
// taken.
func (c *Conn) scratchLocked(n int) []byte {
	if c.scratchBusy {
		return make([]byte, n)
	}
	c.scratchBusy = true
	if cap(c.scratch) < n {
		c.scratch = make([]byte, n)
	}
	return c.scratch[:n]
}

// readInto copies buffered input into p and releases what it drained; it
// is Read's path for bytes the loop has already received.
func (c *Conn) readIntoLocked(p []byte) int {
	n := 0
	for n < len(p) && c.in.n > 0 {
		c.in.settle()
		b := c.in.cur
		k := copy(p[n:], b.b[b.r:b.w])
		b.r += k
		c.in.n -= k
		n += k
	}
	if !c.scratchBusy {
		c.in.release()
	}
	return n
}

// Malloc returns n bytes at the end of the output to encode into; they are
// sent by the next [Conn.Flush]. The slice is valid until then. Malloc and
// Flush are used by one goroutine at a time.
func (c *Conn) Malloc(n int) []byte {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	b := c.out.space(n)[:n]
	c.out.wrote(n)
	return b
}

// Enqueue copies p to the end of the output, filling the last block's
// room and then pooled blocks (where Malloc of more than a block needs a
// one-off buffer), to be sent by the next [Conn.Flush]. It returns the
// output bytes not yet written, p included, as [Conn.Buffered] would.
func (c *Conn) Enqueue(p []byte) int {
	c.outMu.Lock()
	for len(p) > 0 {
		k := copy(c.out.space(1), p)
		c.out.wrote(k)
		p = p[k:]
	}
	n := c.out.n
	c.outMu.Unlock()
	return n
}

// Buffered returns the number of output bytes not yet written to the socket.
func (c *Conn) Buffered() int {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return c.out.n
}
