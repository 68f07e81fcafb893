//go:build !kite_nopoller

package epoll

import "golang.org/x/sys/unix"

// noSigPipe makes a write to a closed socket fail with EPIPE instead of
// raising SIGPIPE.
func noSigPipe(fd int) { _ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1) }
