package kite

import (
	"net"
	"runtime"

	"github.com/kite-rpc/kite/epoll"
	"github.com/kite-rpc/kite/transport"
)

type pollerOption struct{ p *epoll.Poller }

func (o pollerOption) applyClient(c *clientConfig) { c.poller, c.pollerSet = o.p, true }
func (o pollerOption) applyServer(c *serverConfig) { c.poller, c.pollerSet = o.p, true }
func (o pollerOption) String() string {
	if o.p == nil {
		return "WithPoller(nil)"
	}
	return "WithPoller(" + o.p.String() + ")"
}

// WithPoller picks the I/O path: connections on p, a poller from package
// epoll (epoll.Default() is shared; epoll.New(n) has n loops), or, with
// nil, the standard net package with a goroutine per connection. A server
// whose listener the poller cannot take (not a *net.TCPListener) serves it
// through net. Where epoll.Supported is false the poller itself runs over
// net. The default differs by side, each the faster one measured
// (BENCHMARKS.md, "epoll vs net"): servers use epoll.Default() on Linux
// (ahead from 100 concurrent callers up, at about a quarter of the memory per idle
// connection) and net elsewhere; clients use net, whose direct hand-off to
// the runtime's poller makes one call at a time about 1.7× faster than the
// poller's extra goroutine hop (the loop waking the caller also wakes an
// idle P: two futex calls per call; BenchmarkClientCallPath) — except
// clients with WithMuxConnection,
// whose few shared connections measured faster on the poller, and use it
// on Linux. The last value given wins.
func WithPoller(p *epoll.Poller) Option { return pollerOption{p} }

// pollerDefault returns the poller used without WithPoller: epoll.Default()
// on Linux, where BENCHMARKS.md ("epoll vs net") measured it ahead under
// concurrency and at about a quarter of the memory per idle connection; nil (the
// net path) elsewhere, where it is not measured yet. Tests replace it to
// run the suite on either path.
var pollerDefault = func() *epoll.Poller {
	if runtime.GOOS == "linux" && epoll.Supported {
		return epoll.Default()
	}
	return nil
}

func (c *serverConfig) pollerOrDefault() *epoll.Poller {
	if c.pollerSet {
		return c.poller
	}
	return pollerDefault()
}

// clientPollerDefault is the poller clients use without WithPoller: none
// (the net path), which measured faster per call (see WithPoller). Tests
// replace it to run the suite on either path.
var clientPollerDefault = func() *epoll.Poller { return nil }

// muxPollerDefault is the poller of WithMuxConnection clients without
// WithPoller: the servers' default (epoll on Linux), which measured
// 1.14–1.19× the net path's qps for pipelined calls from 100 callers up
// and level at one (BENCHMARKS.md, "Client path for pipelined calls").
var muxPollerDefault = func() *epoll.Poller { return pollerDefault() }

// dialer returns the dialer the client's pools use.
func (c *clientConfig) dialer() transport.Dialer {
	p := c.poller
	switch {
	case c.pollerSet:
	case c.muxConns > 0:
		p = muxPollerDefault()
	default:
		p = clientPollerDefault()
	}
	if p == nil {
		return &net.Dialer{Timeout: c.connectTimeout}
	}
	return &epoll.Dialer{Poller: p, Timeout: c.connectTimeout}
}
