//go:build (linux || darwin || freebsd || netbsd || openbsd || dragonfly) && !kite_nopoller

package epoll

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Supported reports whether this system has a real poller; where it is
// false, connections are served through the net package.
const Supported = true

// sysConn is the descriptor side of a Conn.
type sysConn struct {
	fd   int
	lp   *loop
	idx  int32
	idle atomic.Int64 // the Serve idle timeout in nanoseconds; 0 means none
}

// loop is one poll loop and its connection table.
type loop struct {
	mu      sync.Mutex // guards the fields below
	sp      *sysPoller // nil while the loop is stopped
	running bool
	conns   []*Conn // indexed by the event's user data
	free    []int32 // unused slots of conns
	count   int

	idlers atomic.Int32 // connections with an idle timeout

	wmu     sync.Mutex // guards the fields below
	workers []*worker  // idle workers, the most recently used last
	spare   int        // fewest idle workers since the last trim
	live    bool       // the loop runs; workers may wait for work
}

// maxIdleWorkers bounds the workers a loop keeps waiting for handler runs;
// more are started when more connections have input at once, and exit
// after their run. It is high because a worker started for a burst costs
// a goroutine start and stack growth per run, which at 1,000 busy
// connections measured several per cent of the server's time; the workers
// a burst leaves idle are dismissed by trimWorkers within two trimEvery.
const maxIdleWorkers = 1024

// trimEvery is how often a loop dismisses the workers that were not needed
// since its last look.
const trimEvery = time.Second

// worker is a goroutine that runs handlers for its loop's connections, one
// run after another, so that a handler run does not start a goroutine and
// grow its stack again each time. Between runs it waits in the loop's idle
// list; it exits when the loop stops or the list is full.
type worker struct {
	next chan task // cap 1
}

type task struct {
	c *Conn
	h func(*Conn)
}

// startRun runs h for c on an idle worker of c's loop, or a new one. The
// caller holds c.inMu and a reference for the run.
func (c *Conn) startRun(h func(*Conn)) {
	l := c.sys.lp
	l.wmu.Lock()
	if n := len(l.workers); n > 0 {
		w := l.workers[n-1]
		l.workers[n-1] = nil
		l.workers = l.workers[:n-1]
		l.spare = min(l.spare, n-1)
		l.wmu.Unlock()
		w.next <- task{c, h}
		return
	}
	l.wmu.Unlock()
	go l.work(&worker{next: make(chan task, 1)}, task{c, h})
}

func (l *loop) work(w *worker, t task) {
	for t.c != nil {
		t.c.run(t.h)
		l.wmu.Lock()
		if !l.live || len(l.workers) >= maxIdleWorkers {
			l.wmu.Unlock()
			return
		}
		l.workers = append(l.workers, w)
		l.wmu.Unlock()
		t = <-w.next
	}
}

// trimWorkers dismisses the workers that stayed idle since the last trim
// (the oldest, at the bottom of the list).
func (l *loop) trimWorkers() {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	n := l.spare
	for i := 0; i < n; i++ {
		l.workers[i].next <- task{}
	}
	m := copy(l.workers, l.workers[n:])
	clear(l.workers[m:])
	l.workers = l.workers[:m]
	l.spare = m
}

// setLive records whether the loop runs; stopping it dismisses its idle
// workers.
func (l *loop) setLive(live bool) {
	l.wmu.Lock()
	l.live = live
	if !live {
		for i, w := range l.workers {
			w.next <- task{}
			l.workers[i] = nil
		}
		l.workers, l.spare = nil, 0
	}
	l.wmu.Unlock()
}

type ready struct {
	c          *Conn
	r, w, hang bool
}

// add registers c with the loop, starting it if it is stopped.
func (l *loop) add(c *Conn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sp == nil {
		sp, err := newSysPoller()
		if err != nil {
			return err
		}
		l.sp = sp
	}
	var idx int32
	if n := len(l.free); n > 0 {
		idx = l.free[n-1]
		l.free = l.free[:n-1]
	} else {
		idx = int32(len(l.conns))
		l.conns = append(l.conns, nil)
	}
	c.sys.lp, c.sys.idx = l, idx
	l.conns[idx] = c
	if err := l.sp.add(c.sys.fd, idx); err != nil {
		l.conns[idx] = nil
		l.free = append(l.free, idx)
		if l.count == 0 && !l.running {
			l.sp.close()
			l.sp = nil
		}
		return err
	}
	l.count++
	if !l.running {
		l.running = true
		runningLoops.Add(1)
		l.setLive(true)
		go l.run(l.sp)
	}
	return nil
}

// remove frees c's slot; the loop stops once it has no connection.
func (l *loop) remove(c *Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[c.sys.idx] != c {
		return
	}
	l.conns[c.sys.idx] = nil
	l.free = append(l.free, c.sys.idx)
	l.count--
	if l.count == 0 {
		// Give the table back too: a server that had 10,000 connections
		// should not keep their slots.
		l.conns, l.free = nil, nil
		if l.running {
			l.sp.wake()
		}
	}
}

const sweepEvery = 100 * time.Millisecond

// run waits for events until the loop has no connection. sysPoller.poll
// hands it each batch of events (handle); after a batch that drained the
// queue the loop parks at once, so the handlers it woke run before it
// looks again and the next wake-up collects what arrived meanwhile.
func (l *loop) run(sp *sysPoller) {
	var (
		batch     []ready
		lastSweep = time.Now()
		lastTrim  = lastSweep
		until     time.Time // the deadline poll was given
	)
	// timers runs the sweep and the trim that are due; true means the
	// poll deadline changes.
	timers := func(now time.Time) bool {
		changed := false
		if l.idlers.Load() > 0 && now.Sub(lastSweep) >= sweepEvery {
			lastSweep = now
			l.sweep(now.UnixNano())
			changed = true
		}
		if now.Sub(lastTrim) >= trimEvery {
			lastTrim = now
			l.trimWorkers()
			trimBlocks(now.UnixNano(), trimEvery)
			changed = true
		}
		return changed
	}
	// handle dispatches a batch; true ends the poll call, to stop the loop
	// or to give it a new deadline.
	handle := func(n int) bool {
		l.mu.Lock()
		if l.count == 0 {
			l.mu.Unlock()
			return true // run decides, under l.mu, whether to stop
		}
		batch = batch[:0]
		for i := 0; i < n; i++ {
			idx, r, w, hang := sp.event(i)
			if idx < 0 {
				sp.drainWake()
				continue
			}
			if int(idx) < len(l.conns) {
				if c := l.conns[idx]; c != nil {
					batch = append(batch, ready{c, r, w, hang})
				}
			}
		}
		l.mu.Unlock()

		// One clock read per batch: it dates the input for idle timeouts
		// (a batch takes microseconds; timeouts are seconds).
		now := time.Now()
		for i := range batch {
			e := &batch[i]
			if e.r {
				e.c.readable(e.hang, now.UnixNano())
			}
			if e.w {
				e.c.writable()
			}
			e.c = nil
		}
		if timers(now) {
			return true
		}
		// A new idle timeout or the first idle workers need a deadline.
		return until.IsZero() && (l.idlers.Load() > 0 || l.hasIdleWorkers())
	}
	for {
		until = time.Time{}
		if l.idlers.Load() > 0 {
			until = lastSweep.Add(sweepEvery)
		}
		if l.hasIdleWorkers() {
			if t := lastTrim.Add(trimEvery); until.IsZero() || t.Before(until) {
				until = t
			}
		}
		err := sp.poll(until, handle)
		if err != nil && err != unix.EINTR {
			// EBADF/EINVAL cannot happen while the loop owns sp; do not spin
			// if the impossible happens.
			time.Sleep(10 * time.Millisecond)
		}
		l.mu.Lock()
		// Stop only if still empty: a connection added since handle saw
		// none was registered with this sp and needs this loop.
		if l.count == 0 {
			l.sp = nil
			l.running = false
			if runningLoops.Add(-1) == 0 {
				dropFreeBlocks() // no loop is left to trim them
			}
			l.setLive(false)
			l.mu.Unlock()
			sp.close()
			return
		}
		l.mu.Unlock()
		timers(time.Now())
	}
}

// hasIdleWorkers reports whether workers wait for handler runs.
func (l *loop) hasIdleWorkers() bool {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return len(l.workers) > 0
}

// sweep closes served connections idle past their timeout.
func (l *loop) sweep(now int64) {
	var old []*Conn
	l.mu.Lock()
	for _, c := range l.conns {
		if c == nil {
			continue
		}
		if idle := c.sys.idle.Load(); idle > 0 && now-c.lastActive.Load() > idle {
			old = append(old, c)
		}
	}
	l.mu.Unlock()
	for _, c := range old {
		c.inMu.Lock()
		busy := c.running
		c.inMu.Unlock()
		if !busy && now-c.lastActive.Load() > c.sys.idle.Load() {
			_ = c.Close()
		}
	}
}

// readable is the loop's reaction to a read edge: move what the socket
// holds into the input and wake its consumer.
func (c *Conn) readable(hang bool, now int64) {
	if c.listening {
		select {
		case c.rdCh <- struct{}{}:
		default:
		}
		return
	}
	if c.connecting.Load() {
		// A failed connect reports readable too; its error is for
		// SO_ERROR, not for a read to swallow.
		c.writable()
		return
	}
	if !c.incref() {
		return
	}
	c.inMu.Lock()
	if !c.paused && c.fillLocked(hang) {
		c.lastActive.Store(now)
		c.arrivedLocked()
	}
	c.inMu.Unlock()
	c.decref()
}

// resumeInput reads again after the consumer made room below the limit.
func (c *Conn) resumeInput() {
	if !c.incref() {
		return
	}
	c.inMu.Lock()
	if c.paused {
		c.paused = false
		if c.fillLocked(true) {
			c.arrivedLocked()
		}
	}
	c.inMu.Unlock()
	c.decref()
}

// fillLocked reads from the socket into the input until it would block, a
// short read says it is drained (unless all is set: the peer hung up and
// its EOF must be seen now), or the input limit is reached. It reports
// whether bytes, EOF or an error arrived. The caller holds a reference.
func (c *Conn) fillLocked(all bool) bool {
	got := false
	for !c.eof && c.rdErr == nil {
		if c.in.n >= c.inLimit() {
			c.paused = true
			break
		}
		prev := c.in.tail
		n, full, err := c.readLocked(c.in.space(1024))
		if n > 0 {
			got = true
			if !full && !all {
				break
			}
			continue
		}
		if c.in.tail != prev && c.in.tail.w == 0 {
			c.unlinkTailLocked(prev)
		}
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
		case err == nil: // n == 0: the peer closed its side
			c.eof, got = true, true
		default:
			c.rdErr, got = os.NewSyscallError("read", err), true
		}
		break
	}
	return got
}

// readBlocks is how many fresh blocks a read may fill after the tail's
// room once a connection's input outgrows one read: a 16 KiB message then
// takes one read syscall instead of three.
const readBlocks = 3

// readLocked reads from the socket into buf, the input's tail room, and,
// while the connection's reads overflow it, into fresh blocks too (one
// readv). It reports the bytes read and whether they filled all the room
// offered (more may wait in the socket).
func (c *Conn) readLocked(buf []byte) (n int, full bool, err error) {
	if !c.bigReads {
		n, err = unix.Read(c.sys.fd, buf)
		if n > 0 {
			c.in.wrote(n)
		}
		full = n == len(buf)
		c.bigReads = full
		return n, full, err
	}
	var blocks [readBlocks]*block
	var iov [readBlocks + 1][]byte
	iov[0] = buf
	for i := range blocks {
		blocks[i] = getBlock(c.in.fb, blockSize)
		iov[i+1] = blocks[i].b
	}
	n, err = readv(c.sys.fd, iov[:])
	rest := 0
	if n > 0 {
		c.in.wrote(min(n, len(buf)))
		rest = n - len(buf)
	}
	for _, b := range blocks {
		if rest <= 0 {
			putBlock(c.in.fb, b)
			continue
		}
		k := min(rest, len(b.b))
		c.in.link(b, k)
		rest -= k
	}
	c.bigReads = n > len(buf)
	return n, n == len(buf)+readBlocks*blockSize, err
}

// unlinkTailLocked drops an empty block space just added after prev.
func (c *Conn) unlinkTailLocked(prev *block) {
	b := c.in.tail
	if prev == nil {
		c.in.head, c.in.cur, c.in.tail = nil, nil, nil
	} else {
		prev.next = nil
		c.in.tail = prev
		if c.in.cur == b {
			c.in.cur = prev
		}
	}
	putBlock(c.in.fb, b)
}

func (c *Conn) sysWrite(p []byte) (int, error) {
	for {
		n, err := unix.Write(c.sys.fd, p)
		if n < 0 {
			n = 0
		}
		switch err {
		case nil:
			if n < len(p) {
				return n, errAgain
			}
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return n, errAgain
		}
		return n, os.NewSyscallError("write", err)
	}
}

func (c *Conn) sysWritev(iov [][]byte) (int, error) {
	total := 0
	for _, b := range iov {
		total += len(b)
	}
	for {
		n, err := writev(c.sys.fd, iov)
		if n < 0 {
			n = 0
		}
		switch err {
		case nil:
			if n < total {
				return n, errAgain
			}
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return n, errAgain
		}
		return n, os.NewSyscallError("writev", err)
	}
}

func (c *Conn) sysShutdown() {}

func (c *Conn) sysClose() {
	if c.sys.idle.Swap(0) > 0 {
		c.sys.lp.idlers.Add(-1)
	}
	_ = unix.Close(c.sys.fd)
	c.sys.lp.remove(c)
}

func (c *Conn) sysServe(idle time.Duration) {
	old := c.sys.idle.Swap(int64(idle))
	switch {
	case idle > 0 && old == 0:
		c.sys.lp.idlers.Add(1)
	case idle <= 0 && old > 0:
		c.sys.lp.idlers.Add(-1)
	}
}

func (c *Conn) sysDeadline(r, w time.Time, setR, setW bool) error { return nil }

// newConn wraps a connected non-blocking socket and registers it.
func (p *Poller) newConn(fd int, raddr net.Addr, connecting bool) (*Conn, error) {
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	c := &Conn{raddr: raddr}
	c.connecting.Store(connecting)
	c.init()
	c.sys.fd = fd
	if sa, err := unix.Getsockname(fd); err == nil {
		c.laddr = tcpAddr(sa)
	}
	if err := p.pick().add(c); err != nil {
		_ = unix.Close(fd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return c, nil
}

func tcpAddr(sa unix.Sockaddr) net.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: append(net.IP(nil), sa.Addr[:]...), Port: sa.Port}
	case *unix.SockaddrInet6:
		a := &net.TCPAddr{IP: append(net.IP(nil), sa.Addr[:]...), Port: sa.Port}
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				a.Zone = ifi.Name
			}
		}
		return a
	}
	return nil
}

// Listener accepts connections from a net.Listener's socket straight onto
// a poller: it watches a duplicate of the listening socket in a poll loop
// and accepts with accept4, so accepted sockets never touch the net
// package. It implements net.Listener; close it (not the net.Listener it
// wraps) to stop accepting.
type Listener struct {
	ln net.Listener
	lc *Conn // the duplicate listening socket, registered for read edges
	p  *Poller
}

// NewListener returns a Listener taking ln's connections onto p. ln must be
// a TCP listener with a socket (a *net.TCPListener); others give
// ErrUnsupported.
func (p *Poller) NewListener(ln net.Listener) (*Listener, error) {
	if _, ok := ln.Addr().(*net.TCPAddr); !ok {
		return nil, ErrUnsupported
	}
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil, ErrUnsupported
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, os.NewSyscallError("dup", derr)
	}
	lc := &Conn{listening: true, laddr: ln.Addr()}
	lc.init()
	lc.sys.fd = fd
	if err := p.pick().add(lc); err != nil {
		_ = unix.Close(fd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return &Listener{ln: ln, lc: lc, p: p}, nil
}

// AcceptConn waits for and returns the next connection. Errors are
// net.ErrClosed after Close, or an *os.SyscallError from accept, such as
// EMFILE, which the caller should back off from.
func (l *Listener) AcceptConn() (*Conn, error) {
	lc := l.lc
	for {
		if !lc.incref() {
			return nil, opError("accept", lc, net.ErrClosed)
		}
		nfd, sa, err := acceptNB(lc.sys.fd)
		lc.decref()
		switch err {
		case nil:
			return l.p.newConn(nfd, tcpAddr(sa), false)
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if err := lc.wait(lc.rdCh, &lc.rdDeadline, &lc.rtimer); err != nil {
				return nil, opError("accept", lc, err)
			}
			continue
		}
		return nil, os.NewSyscallError("accept", err)
	}
}

// Accept is AcceptConn for net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptConn()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Addr returns the listener's address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close stops accepting and closes the wrapped listener.
func (l *Listener) Close() error {
	err := l.ln.Close()
	if cerr := l.lc.Close(); err == nil {
		err = cerr
	}
	return err
}

// DialContext connects to address ("host:port") over network ("tcp",
// "tcp4" or "tcp6") with a non-blocking connect watched by the poller.
// Other networks are dialled by the net package.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return (&net.Dialer{Timeout: d.Timeout}).DialContext(ctx, network, address)
	}
	if d.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.Timeout)
		defer cancel()
	}
	host, service, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	port, err := strconv.Atoi(service)
	if err != nil {
		if port, err = net.DefaultResolver.LookupPort(ctx, network, service); err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		if host == "" {
			host = "localhost"
		}
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	var first error
	addr := &net.TCPAddr{Port: port}
	for _, ip := range ips {
		if ip4 := ip.To4(); ip4 != nil && network != "tcp6" {
			ip = ip4
		} else if ip4 != nil || network == "tcp4" {
			continue
		}
		raddr := &net.TCPAddr{IP: ip, Port: port}
		if first == nil {
			addr = raddr // the address the error names
		}
		c, err := d.dial(ctx, raddr)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if first == nil {
		first = errors.New("no suitable address")
	}
	return nil, &net.OpError{Op: "dial", Net: network, Addr: addr, Err: first}
}

func (d *Dialer) dial(ctx context.Context, raddr *net.TCPAddr) (*Conn, error) {
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ip4 := raddr.IP.To4(); ip4 != nil {
		s := &unix.SockaddrInet4{Port: raddr.Port}
		copy(s.Addr[:], ip4)
		sa = s
	} else {
		family = unix.AF_INET6
		s := &unix.SockaddrInet6{Port: raddr.Port}
		copy(s.Addr[:], raddr.IP.To16())
		sa = s
	}
	fd, err := socketNB(family)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	err = unix.Connect(fd, sa)
	for err == unix.EINTR {
		err = unix.Connect(fd, sa)
	}
	if err != nil && err != unix.EINPROGRESS && err != unix.EALREADY {
		_ = unix.Close(fd)
		return nil, os.NewSyscallError("connect", err)
	}
	c, aerr := d.poller().newConn(fd, raddr, err != nil)
	if aerr != nil {
		return nil, aerr
	}
	if err == nil {
		return c, nil
	}
	connected := func() (*Conn, error) {
		if sa, err := unix.Getsockname(fd); err == nil {
			c.laddr = tcpAddr(sa)
		}
		c.connecting.Store(false)
		c.readable(true, time.Now().UnixNano()) // bytes that came while connecting
		return c, nil
	}
	for {
		select {
		case <-c.wrCh:
		case <-ctx.Done():
			_ = c.Close()
			return nil, ctx.Err()
		}
		soerr, gerr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if gerr != nil {
			_ = c.Close()
			return nil, os.NewSyscallError("getsockopt", gerr)
		}
		switch e := syscall.Errno(soerr); e {
		case 0:
			if _, perr := unix.Getpeername(fd); perr == nil {
				return connected()
			}
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		default:
			_ = c.Close()
			return nil, os.NewSyscallError("connect", e)
		}
	}
}

// SyscallConn gives access to the socket for checks that do not wait; the
// transport pools use it to peek at idle connections. Its Read refuses (with
// an error) when the poller already holds unread input or saw the end of
// it, and otherwise calls f once without waiting for readiness.
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return rawConn{c}, nil }

type rawConn struct{ c *Conn }

var errNotIdle = errors.New("epoll: connection has buffered input")

func (r rawConn) Control(f func(fd uintptr)) error {
	if !r.c.incref() {
		return net.ErrClosed
	}
	defer r.c.decref()
	f(uintptr(r.c.sys.fd))
	return nil
}

func (r rawConn) Read(f func(fd uintptr) bool) error {
	r.c.inMu.Lock()
	busy := r.c.in.n > 0 || r.c.eof || r.c.rdErr != nil
	r.c.inMu.Unlock()
	if busy {
		return errNotIdle
	}
	return r.Control(func(fd uintptr) { f(fd) })
}

func (r rawConn) Write(f func(fd uintptr) bool) error {
	return r.Control(func(fd uintptr) { f(fd) })
}
