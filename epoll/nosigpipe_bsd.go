//go:build freebsd || netbsd || openbsd || dragonfly

package epoll

// noSigPipe does nothing here: the Go runtime ignores SIGPIPE for sockets.
func noSigPipe(fd int) {}
