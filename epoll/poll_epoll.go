//go:build linux

package epoll

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Mechanism names the kernel interface the loops use.
const Mechanism = "epoll"

// sysPoller is an epoll instance and the eventfd that wakes it.
type sysPoller struct {
	epfd, wfd int
	events    []unix.EpollEvent
	wbuf      [8]byte
}

const wakeIdx = -1

func newSysPoller() (*sysPoller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeIdx}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev); err != nil {
		_ = unix.Close(wfd)
		_ = unix.Close(epfd)
		return nil, err
	}
	return &sysPoller{epfd: epfd, wfd: wfd, events: make([]unix.EpollEvent, 256)}, nil
}

// add registers fd once, for reading and writing, edge-triggered; the
// event's data is the connection's slot.
func (p *sysPoller) add(fd int, idx int32) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: idx}
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
}

func (p *sysPoller) wait(ms int) (int, error) {
	return unix.EpollWait(p.epfd, p.events, ms)
}

// event returns the slot of event i and what it reports: readable (or
// hung up), writable, and whether the peer hung up or the socket failed.
func (p *sysPoller) event(i int) (idx int32, r, w, hang bool) {
	e := &p.events[i]
	hang = e.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0
	r = e.Events&unix.EPOLLIN != 0 || hang
	w = e.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0
	return e.Fd, r, w, hang
}

func (p *sysPoller) wake() {
	p.wbuf = [8]byte{1}
	_, _ = unix.Write(p.wfd, p.wbuf[:])
}

func (p *sysPoller) drainWake() {
	var b [8]byte
	_, _ = unix.Read(p.wfd, b[:])
}

func (p *sysPoller) close() {
	_ = unix.Close(p.wfd)
	_ = unix.Close(p.epfd)
}

func acceptNB(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}

func socketNB(family int) (int, error) {
	return unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

func writev(fd int, iov [][]byte) (int, error) { return unix.Writev(fd, iov) }

var _ = syscall.Errno(0)
