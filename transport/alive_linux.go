package transport

import (
	"errors"
	"syscall"
)

// alive reports whether an idle pooled connection can still be used: the
// peer has not closed it and sent nothing unasked. It peeks with MSG_DONTWAIT
// so a healthy idle connection costs one non-blocking syscall.
func alive(c *Conn) bool {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	ok = false
	var one [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, _, e := syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// EAGAIN: nothing to read, the connection is idle and open. Data or
		// EOF (no error) means it must not be reused.
		ok = errors.Is(e, syscall.EAGAIN)
		return true // never wait for readability
	})
	return err == nil && ok
}
