//go:build (freebsd || netbsd || openbsd || dragonfly) && !kite_nopoller

package epoll

import "golang.org/x/sys/unix"

// readv reads into the first buffer only: the vector form is not in
// x/sys/unix on these systems (raw syscalls are not an option: OpenBSD
// allows system calls only through libc), and one read is what the loop
// did before it read into several blocks.
func readv(fd int, iov [][]byte) (int, error) { return unix.Read(fd, iov[0]) }

// writev writes the slices in order, a write per slice, stopping at the
// first short one, for the same reason.
func writev(fd int, iov [][]byte) (int, error) {
	total := 0
	for _, b := range iov {
		n, err := unix.Write(fd, b)
		if n > 0 {
			total += n
		}
		if err != nil {
			if total > 0 && err == unix.EAGAIN {
				return total, nil
			}
			return total, err
		}
		if n < len(b) {
			return total, nil
		}
	}
	return total, nil
}
