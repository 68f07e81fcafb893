package epoll

import "sync"

// blockSize is the size of a pooled buffer block.
const blockSize = 8 << 10

// block is one link of a connection's input or output chain.
type block struct {
	b    []byte
	r, w int // unread (input) or unsent (output) bytes are b[r:w]
	next *block
}

var blockPool = sync.Pool{New: func() any { return &block{b: make([]byte, blockSize)} }}

func getBlock(n int) *block {
	if n > blockSize {
		return &block{b: make([]byte, n)} // one-off, left to the GC
	}
	return blockPool.Get().(*block)
}

func putBlock(b *block) {
	b.r, b.w, b.next = 0, 0, nil
	if cap(b.b) == blockSize {
		blockPool.Put(b)
	}
}

// chain is a linked list of blocks. For input, head is the first block not
// yet released, cur the block reading is in, tail the block being filled;
// n counts the unread bytes. For output, head..tail hold unsent bytes.
type chain struct {
	head, cur, tail *block
	n               int
}

// space returns room at the end of the chain for at least min bytes,
// adding a block when the tail has less.
func (ch *chain) space(min int) []byte {
	if ch.tail == nil || len(ch.tail.b)-ch.tail.w < min {
		b := getBlock(min)
		if ch.tail == nil {
			ch.head, ch.cur = b, b
		} else {
			ch.tail.next = b
		}
		ch.tail = b
	}
	return ch.tail.b[ch.tail.w:]
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
		putBlock(b)
	}
	if ch.n == 0 && ch.head != nil {
		putBlock(ch.head)
		ch.head, ch.cur, ch.tail = nil, nil, nil
	}
}

// free gives every block back.
func (ch *chain) free() {
	for b := ch.head; b != nil; {
		next := b.next
		putBlock(b)
		b = next
	}
	*ch = chain{}
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
// one-off buffer), to be sent by the next [Conn.Flush].
func (c *Conn) Enqueue(p []byte) {
	c.outMu.Lock()
	for len(p) > 0 {
		k := copy(c.out.space(1), p)
		c.out.wrote(k)
		p = p[k:]
	}
	c.outMu.Unlock()
}

// Buffered returns the number of output bytes not yet written to the socket.
func (c *Conn) Buffered() int {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return c.out.n
}
