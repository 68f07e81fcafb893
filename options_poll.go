package kite

import (
	"net"

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
// net. The default is the net package (see BENCHMARKS.md for why); the
// last value given wins.
func WithPoller(p *epoll.Poller) Option { return pollerOption{p} }

// pollerDefault returns the poller used without WithPoller: nil, the net
// path. Tests replace it to run the suite on the poller.
var pollerDefault = func() *epoll.Poller { return nil }

func (c *serverConfig) pollerOrDefault() *epoll.Poller {
	if c.pollerSet {
		return c.poller
	}
	return pollerDefault()
}

// dialer returns the dialer the client's pools use.
func (c *clientConfig) dialer() transport.Dialer {
	p := c.poller
	if !c.pollerSet {
		p = pollerDefault()
	}
	if p == nil {
		return &net.Dialer{Timeout: c.connectTimeout}
	}
	return &epoll.Dialer{Poller: p, Timeout: c.connectTimeout}
}
