//go:build linux && !kite_nopoller

package epoll

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Mechanism names the kernel interface the loops use.
const Mechanism = "epoll"

// sysPoller is an epoll instance and the eventfd that wakes it.
//
// The loop does not block in epoll_wait: the epoll descriptor is itself
// pollable, so it is handed to the Go runtime's poller (os.NewFile) and the
// loop goroutine parks there until the instance has events, then collects
// them with a non-blocking epoll_wait. A goroutine blocked in a syscall
// holds its P until sysmon hands it off, which on a small GOMAXPROCS costs
// more than the runtime's own poller saves; parked, it costs nothing. If
// the runtime cannot poll the descriptor, the loop blocks in epoll_wait.
//
// The runtime watches epfd edge-triggered, and the kernel raises an edge
// on epfd for every event queued on the instance (ep_poll_callback wakes
// the instance's pollers whether or not the item was already queued); the
// runtime latches an edge that comes while nobody waits, and clears the
// latch only when a raw read begins. So poll stays in one rc.Read while it
// runs: the read function collects and handles one batch and returns false
// to park at once instead of calling epoll_wait again to find nothing. A
// stale edge (for events already collected) costs one empty epoll_wait,
// which is what checking before parking would cost every time. A full
// batch may leave events queued that will raise no new edge, so the loop
// first writes its eventfd: the runtime notices that edge when it next
// polls, after the handlers the batch started have run (on one P, when
// its run queue is empty), and the loop collects the rest in the order the
// kernel queued them.
type sysPoller struct {
	epfd, wfd int
	file      *os.File              // owns epfd; registered with the runtime poller
	rc        syscall.RawConn       // file's, or nil to block in epoll_wait
	until     time.Time             // file's read deadline
	collect   func(fd uintptr) bool // rc.Read's: collects events, calls handle; made once
	handle    func(n int) bool      // poll's
	werr      error
	events    []unix.EpollEvent
	wbuf      [8]byte
}

const wakeIdx = -1

// batchEvents is how many events a loop handles before it lets the
// handlers they started run. It keeps the handler runs a batch readies
// within the runtime's local run queue (256), which serves them in the
// order they came; beyond it the runtime moves the oldest to its global
// queue and serves them last, which at 1,000 busy connections stretched
// the tail latency.
const batchEvents = 128

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
	p := &sysPoller{epfd: epfd, wfd: wfd, events: make([]unix.EpollEvent, batchEvents)}
	if unix.SetNonblock(epfd, true) == nil {
		// The File owns epfd from here on (its finalizer would close it),
		// pollable or not; epoll_wait ignores O_NONBLOCK.
		p.file = os.NewFile(uintptr(epfd), "epoll")
		if p.file.SetReadDeadline(time.Time{}) == nil { // pollable
			p.rc, _ = p.file.SyscallConn()
			p.collect = func(fd uintptr) bool {
				for {
					n, err := unix.EpollWait(int(fd), p.events, 0)
					switch {
					case err == unix.EINTR:
						continue
					case err != nil:
						p.werr = err
						return true
					case n == 0:
						return false // park until the next edge
					}
					if p.handle(n) {
						return true
					}
					if n == len(p.events) {
						// More may wait: let the handlers just started
						// run before collecting them, then come back.
						p.wake()
					}
					return false
				}
			}
		}
	}
	return p, nil
}

// add registers fd once, for reading and writing, edge-triggered; the
// event's data is the connection's slot.
func (p *sysPoller) add(fd int, idx int32) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: idx}
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
}

// poll waits for events until the time until (forever when it is zero)
// and calls handle with each batch, until handle returns true or the time
// passes.
func (p *sysPoller) poll(until time.Time, handle func(n int) bool) error {
	if p.rc == nil {
		ms := -1
		if !until.IsZero() {
			ms = int(time.Until(until) / time.Millisecond)
			if ms < 0 {
				ms = 0
			}
		}
		n, err := unix.EpollWait(p.epfd, p.events, ms)
		if err != nil {
			return err
		}
		if n > 0 {
			handle(n)
		}
		return nil
	}
	if !until.Equal(p.until) {
		_ = p.file.SetReadDeadline(until)
		p.until = until
	}
	p.handle, p.werr = handle, nil
	err := p.rc.Read(p.collect)
	p.handle = nil
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil
		}
		return err
	}
	return p.werr
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
	if p.file != nil {
		_ = p.file.Close() // closes epfd
	} else {
		_ = unix.Close(p.epfd)
	}
}

func acceptNB(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}

func socketNB(family int) (int, error) {
	return unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

func writev(fd int, iov [][]byte) (int, error) { return unix.Writev(fd, iov) }

func readv(fd int, iov [][]byte) (int, error) { return unix.Readv(fd, iov) }

var _ = syscall.Errno(0)
