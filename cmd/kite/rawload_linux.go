package main

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawConn is one connection of the raw load: a non-blocking socket outside
// the Go runtime's poller (so its events wake only our loop), with one call
// in flight.
type rawConn struct {
	fd   int
	woff int    // bytes of the request written
	in   []byte // the reply so far
	sent time.Time
	busy bool // a call is in flight
	done bool // failed, or finished its calls
}

// rawLoop drives its connections from one epoll instance on one goroutine.
type rawLoop struct {
	e    rawEcho // a copy: its reference reply is the loop's own
	epfd int
	warm bool // the untimed warm-up call is running

	noPwait2 bool // the kernel has no epoll_pwait2
	conns    []*rawConn
	calls    atomic.Int64
	errs     atomic.Int64
	first    error
	lat      []time.Duration
}

// rawRun runs the raw load: conc connections spread over addrs and over one
// epoll loop per core (GOMAXPROCS). With rate 0 each connection calls again
// as soon as its reply is in; with rate > 0 calls are due at rate per second
// in total, each on a free connection of its loop, and count their latency
// from when they were due. Every connection makes one call before the clock
// starts.
func rawRun(e *rawEcho, addrs []string, conc int, dur time.Duration, rate int, progress io.Writer) (load, error) {
	nl := runtime.GOMAXPROCS(0)
	if nl > conc {
		nl = conc
	}
	loops := make([]*rawLoop, nl)
	defer func() {
		for _, l := range loops {
			if l != nil {
				l.close()
			}
		}
	}()
	for i := range loops {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return load{}, fmt.Errorf("bench: epoll_create1: %w", err)
		}
		loops[i] = &rawLoop{e: *e, epfd: fd}
	}
	for i := 0; i < conc; i++ {
		l := loops[i%nl]
		c, err := rawDial(addrs[i%len(addrs)])
		if err != nil {
			return load{}, err
		}
		c.in = make([]byte, 0, len(e.req)+256)
		l.conns = append(l.conns, c)
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(len(l.conns) - 1)}
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
			unix.Close(c.fd)
			l.conns = l.conns[:len(l.conns)-1]
			return load{}, fmt.Errorf("bench: epoll_ctl: %w", err)
		}
	}
	phase := func(warm bool, start, stop time.Time) {
		var wg sync.WaitGroup
		for i, l := range loops {
			// Loop i's calls are due every nl/rate s, from start + i/rate s.
			var first time.Time
			var interval time.Duration
			if rate > 0 {
				interval = time.Duration(float64(nl) * float64(time.Second) / float64(rate))
				first = start.Add(time.Duration(float64(i) * float64(time.Second) / float64(rate)))
			}
			wg.Add(1)
			go func(l *rawLoop) {
				defer wg.Done()
				l.run(warm, stop, first, interval)
			}(l)
		}
		wg.Wait()
	}
	// The warm-up call: each connection's first request and reply, untimed.
	now := time.Now()
	phase(true, now, now.Add(rawGrace))
	for _, l := range loops {
		if l.errs.Load() > 0 {
			return load{}, fmt.Errorf("bench: warm-up call: %w", l.first)
		}
	}
	start := time.Now()
	stop := start.Add(dur)
	done := make(chan struct{})
	go func() { phase(false, start, stop); close(done) }()
	report(done, start, progress, func() (n, errs int64) {
		for _, l := range loops {
			n += l.calls.Load()
			errs += l.errs.Load()
		}
		return n, errs
	})
	r := load{elapsed: time.Since(start)}
	for _, l := range loops {
		r.calls += l.calls.Load()
		r.errs += l.errs.Load()
		r.lat = append(r.lat, l.lat...)
		if r.firstErr == nil {
			r.firstErr = l.first
		}
	}
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	return r, nil
}

// rawDial connects a socket with plain system calls, so that the Go
// runtime's poller never watches it, and then makes it non-blocking.
func rawDial(addr string) (*rawConn, error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, err
	}
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ip4 := ta.IP.To4(); ip4 != nil {
		a := &unix.SockaddrInet4{Port: ta.Port}
		copy(a.Addr[:], ip4)
		sa = a
	} else {
		family = unix.AF_INET6
		a := &unix.SockaddrInet6{Port: ta.Port}
		copy(a.Addr[:], ta.IP.To16())
		sa = a
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("bench: socket: %w", err)
	}
	// SO_SNDTIMEO bounds a blocking connect too (socket(7)).
	tv := unix.NsecToTimeval(int64(rawGrace))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bench: dial %s: %w", addr, err)
	}
	for {
		err = unix.Connect(fd, sa)
		if err != unix.EINTR {
			break
		}
	}
	if err == nil {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bench: dial %s: %w", addr, err)
	}
	return &rawConn{fd: fd}, nil
}

func (l *rawLoop) close() {
	for _, c := range l.conns {
		unix.Close(c.fd)
	}
	unix.Close(l.epfd)
}

// fail records err and, with c, ends that connection's calls.
func (l *rawLoop) fail(c *rawConn, err error) {
	l.errs.Add(1)
	if l.first == nil {
		l.first = err
	}
	if c != nil {
		if c.busy && !l.warm {
			l.calls.Add(1)
		}
		c.done = true
	}
}

// send starts a call on c at t.
func (l *rawLoop) send(c *rawConn, t time.Time) error {
	c.sent = t
	c.woff = 0
	c.busy = true
	return c.write(l.e.req)
}

// run makes calls until stop: in the warm-up one per connection, untimed;
// otherwise, in a closed loop (interval 0), a new call as each reply comes
// in, the reply's time stamping both the call it ends and the call it
// starts; paced, a call every interval from first on, on whichever
// connection is free, its latency counted from when it was due.
func (l *rawLoop) run(warm bool, stop time.Time, first time.Time, interval time.Duration) {
	l.warm = warm
	events := make([]unix.EpollEvent, 256)
	paced := !warm && interval > 0
	alive, busy := 0, 0
	var free []*rawConn // paced: the connections with no call in flight
	now := time.Now()
	for _, c := range l.conns {
		if c.done {
			continue
		}
		alive++
		if paced {
			free = append(free, c)
			continue
		}
		if err := l.send(c, now); err != nil {
			l.fail(c, err)
			alive--
			continue
		}
		busy++
	}
	if !warm {
		l.lat = make([]time.Duration, 0, 1<<16)
	}
	due := first
	end := stop.Add(rawGrace)
	if warm {
		end = stop
	}
	for {
		now = time.Now()
		for paced && len(free) > 0 && !now.Before(due) && due.Before(stop) {
			c := free[len(free)-1]
			free = free[:len(free)-1]
			if c.done {
				continue
			}
			due = due.Add(interval)
			if err := l.send(c, due.Add(-interval)); err != nil {
				l.fail(c, err)
				alive--
				continue
			}
			busy++
		}
		if alive == 0 || busy == 0 && (warm || !now.Before(stop)) || !now.Before(end) {
			break
		}
		// Paced, wake for the next call due, or at stop to end an idle run;
		// otherwise replies wake the loop, and end bounds a wait for lost ones.
		wake := end
		if paced && now.Before(stop) {
			wake = stop
			if len(free) > 0 && due.Before(stop) {
				wake = due
			}
		}
		n, err := l.wait(events, wake.Sub(now))
		if err != nil {
			for _, c := range l.conns {
				if !c.done {
					l.fail(c, err)
				}
			}
			return
		}
		for _, ev := range events[:n] {
			c := l.conns[ev.Fd]
			if c.done {
				continue
			}
			if ev.Events&unix.EPOLLOUT != 0 && c.woff < len(l.e.req) {
				if err := c.write(l.e.req); err != nil {
					l.fail(c, err)
					alive--
					busy--
					continue
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP|unix.EPOLLRDHUP) == 0 {
				continue
			}
			whole, err := c.read()
			if err != nil {
				if c.busy {
					busy--
				}
				l.fail(c, err)
				alive--
				continue
			}
			if !whole {
				continue
			}
			if !c.busy {
				l.fail(c, fmt.Errorf("%w: a frame with no call in flight", errRawReply))
				alive--
				continue
			}
			t := time.Now()
			err = l.e.check(c.in)
			c.in = c.in[:0]
			c.busy = false
			busy--
			if warm {
				if err != nil {
					l.fail(c, err)
					alive--
				}
				continue
			}
			l.calls.Add(1)
			if err != nil {
				l.fail(nil, err) // counted above
			} else {
				l.lat = append(l.lat, t.Sub(c.sent))
			}
			switch {
			case paced:
				free = append(free, c)
			case t.Before(stop):
				if err := l.send(c, t); err != nil {
					l.fail(c, err)
					alive--
					continue
				}
				busy++
			}
		}
	}
	// Calls still in flight now were not answered within the grace period.
	for _, c := range l.conns {
		if c.busy && !c.done {
			l.fail(c, errRawUnanswered)
		}
	}
}

// wait waits up to d for events, to the nanosecond with epoll_pwait2
// (Linux 5.11 on) so that paced calls leave on time, else to the
// millisecond with epoll_wait.
func (l *rawLoop) wait(events []unix.EpollEvent, d time.Duration) (int, error) {
	if d < 0 {
		d = 0
	}
	for {
		if !l.noPwait2 {
			ts := unix.NsecToTimespec(int64(d))
			n, _, e := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(l.epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), uintptr(unsafe.Pointer(&ts)), 0, 0)
			switch e {
			case 0:
				return int(n), nil
			case unix.EINTR:
				continue
			case unix.ENOSYS:
				l.noPwait2 = true
				continue
			}
			return 0, fmt.Errorf("bench: epoll_pwait2: %w", e)
		}
		n, err := unix.EpollWait(l.epfd, events, int((d+time.Millisecond-1)/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("bench: epoll_wait: %w", err)
		}
		return n, nil
	}
}

// write writes what is left of the request; on EAGAIN the rest waits for
// the socket's next EPOLLOUT edge.
func (c *rawConn) write(req []byte) error {
	for c.woff < len(req) {
		n, err := unix.Write(c.fd, req[c.woff:])
		switch {
		case err == unix.EAGAIN:
			return nil
		case err == unix.EINTR:
			continue
		case err != nil:
			return fmt.Errorf("bench: write: %w", err)
		}
		c.woff += n
	}
	return nil
}

// read reads until the reply is whole or the socket is drained, and reports
// whether it is whole. Bytes beyond the reply are an error: the server sent
// something that was not asked for.
func (c *rawConn) read() (bool, error) {
	for {
		if len(c.in) == cap(c.in) {
			c.in = append(c.in, 0)[:len(c.in)]
		}
		n, err := unix.Read(c.fd, c.in[len(c.in):cap(c.in)])
		switch {
		case err == unix.EAGAIN:
			return false, nil
		case err == unix.EINTR:
			continue
		case err != nil:
			return false, fmt.Errorf("bench: read: %w", err)
		case n == 0:
			return false, fmt.Errorf("bench: read: %w", io.ErrUnexpectedEOF)
		}
		c.in = c.in[:len(c.in)+n]
		fl := frameLen(c.in)
		if fl == 0 {
			continue
		}
		if fl > rawMaxFrame {
			return false, fmt.Errorf("%w: frame of %d bytes", errRawReply, fl)
		}
		if len(c.in) > fl {
			return false, fmt.Errorf("%w: %d bytes beyond the reply", errRawReply, len(c.in)-fl)
		}
		if len(c.in) == fl {
			return true, nil
		}
		if cap(c.in) < fl {
			c.in = append(make([]byte, 0, fl), c.in...)
		}
	}
}
