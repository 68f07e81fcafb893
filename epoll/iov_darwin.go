//go:build !kite_nopoller

package epoll

import "golang.org/x/sys/unix"

// readv and writev are the vector system calls, which x/sys/unix has on
// macOS: a connection whose reads overflow a block reads into several in
// one call, and a flush writes the output chain in one call.
func readv(fd int, iov [][]byte) (int, error) { return unix.Readv(fd, iov) }

func writev(fd int, iov [][]byte) (int, error) { return unix.Writev(fd, iov) }
