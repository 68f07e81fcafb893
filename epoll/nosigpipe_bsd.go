//go:build (freebsd || netbsd || openbsd || dragonfly) && !kite_nopoller

package epoll

// noSigPipe does nothing here: the Go runtime ignores SIGPIPE for sockets.
func noSigPipe(fd int) {}
