//go:build (darwin || freebsd || netbsd || openbsd || dragonfly) && !kite_nopoller

package epoll

import (
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Mechanism names the kernel interface the loops use.
const Mechanism = "kqueue"

// sysPoller is a kqueue and the pipe that wakes it.
type sysPoller struct {
	kq     int
	pr, pw int
	events []unix.Kevent_t
}

const wakeIdx = -1

// setUdata stores a connection's slot in the event's user data, which is a
// pointer on some systems and an integer on others. Slots are small
// integers, never the address of a Go object, so the garbage collector
// ignores them.
func setUdata(ev *unix.Kevent_t, idx int32) {
	*(*uintptr)(unsafe.Pointer(&ev.Udata)) = uintptr(uint32(idx))
}

func getUdata(ev *unix.Kevent_t) int32 {
	return int32(uint32(*(*uintptr)(unsafe.Pointer(&ev.Udata))))
}

func newSysPoller() (*sysPoller, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, err
	}
	unix.CloseOnExec(kq)
	var p [2]int
	syscall.ForkLock.RLock()
	err = unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		_ = unix.Close(kq)
		return nil, err
	}
	_ = unix.SetNonblock(p[0], true)
	_ = unix.SetNonblock(p[1], true)
	sp := &sysPoller{kq: kq, pr: p[0], pw: p[1], events: make([]unix.Kevent_t, 256)}
	var ev [1]unix.Kevent_t
	unix.SetKevent(&ev[0], p[0], unix.EVFILT_READ, unix.EV_ADD)
	setUdata(&ev[0], wakeIdx)
	if _, err := unix.Kevent(kq, ev[:], nil, nil); err != nil {
		sp.close()
		return nil, err
	}
	return sp, nil
}

// add registers fd once, for reading and writing, edge-triggered
// (EV_CLEAR); the event's data is the connection's slot.
func (p *sysPoller) add(fd int, idx int32) error {
	var ev [2]unix.Kevent_t
	unix.SetKevent(&ev[0], fd, unix.EVFILT_READ, unix.EV_ADD|unix.EV_CLEAR)
	unix.SetKevent(&ev[1], fd, unix.EVFILT_WRITE, unix.EV_ADD|unix.EV_CLEAR)
	setUdata(&ev[0], idx)
	setUdata(&ev[1], idx)
	_, err := unix.Kevent(p.kq, ev[:], nil, nil)
	return err
}

// poll blocks in kevent until events come or the time until (forever when
// it is zero), and calls handle with them.
func (p *sysPoller) poll(until time.Time, handle func(n int) bool) error {
	var ts *unix.Timespec
	if !until.IsZero() {
		d := time.Until(until)
		if d < 0 {
			d = 0
		}
		t := unix.NsecToTimespec(int64(d))
		ts = &t
	}
	n, err := unix.Kevent(p.kq, nil, p.events, ts)
	if err != nil {
		return err
	}
	if n > 0 {
		handle(n)
	}
	return nil
}

// event returns the slot of event i and what it reports. kqueue reports
// reading and writing as separate events.
func (p *sysPoller) event(i int) (idx int32, r, w, hang bool) {
	e := &p.events[i]
	hang = e.Flags&(unix.EV_EOF|unix.EV_ERROR) != 0
	switch e.Filter {
	case unix.EVFILT_READ:
		r = true
	case unix.EVFILT_WRITE:
		w = true
	}
	return getUdata(e), r, w, hang
}

func (p *sysPoller) wake() {
	_, _ = unix.Write(p.pw, []byte{1})
}

func (p *sysPoller) drainWake() {
	var b [16]byte
	_, _ = unix.Read(p.pr, b[:])
}

func (p *sysPoller) close() {
	_ = unix.Close(p.pr)
	_ = unix.Close(p.pw)
	_ = unix.Close(p.kq)
}

// acceptNB accepts a connection and makes it non-blocking; not every
// system here has accept4.
func acceptNB(fd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		_ = unix.Close(nfd)
		return -1, nil, err
	}
	noSigPipe(nfd)
	return nfd, sa, nil
}

func socketNB(family int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	noSigPipe(fd)
	return fd, nil
}
