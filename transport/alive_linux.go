package transport

import (
	"errors"
	"syscall"
)

// liveness peeks at an idle pooled connection. Its RawConn and callback are
// made once per connection so a check allocates nothing.
type liveness struct {
	raw  syscall.RawConn
	peek func(fd uintptr) bool
	ok   bool
	one  [1]byte
}

func (c *Conn) initLiveness() {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	l := &c.live
	l.raw = raw
	l.peek = func(fd uintptr) bool {
		_, _, e := syscall.Recvfrom(int(fd), l.one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// EAGAIN: nothing to read, the connection is idle and open. Data or
		// EOF (no error) means it must not be reused.
		l.ok = errors.Is(e, syscall.EAGAIN)
		return true // never wait for readability
	}
}

// alive reports whether an idle pooled connection can still be used: the
// peer has not closed it and sent nothing unasked. It costs one
// non-blocking recv(MSG_PEEK).
func alive(c *Conn) bool {
	l := &c.live
	if l.raw == nil {
		return true
	}
	l.ok = false
	if err := l.raw.Read(l.peek); err != nil {
		return false
	}
	return l.ok
}
