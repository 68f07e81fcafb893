package kite

import (
	"log/slog"
	"strconv"
	"time"
)

// ClientOption configures a [Client]; pass it to [NewClient].
type ClientOption interface {
	applyClient(*clientConfig)
	String() string
}

// ServerOption configures a [Server]; pass it to [NewServer].
type ServerOption interface {
	applyServer(*serverConfig)
	String() string
}

// Option configures either side: it is both a ClientOption and a
// ServerOption.
type Option interface {
	ClientOption
	ServerOption
}

// CallOption configures one call; pass it to [Client.Call].
type CallOption interface {
	applyCall(*RPCInfo)
	String() string
}

type middlewareOption struct{ mw Middleware }

func (o middlewareOption) applyClient(c *clientConfig) { c.mws = append(c.mws, o.mw) }
func (o middlewareOption) applyServer(c *serverConfig) { c.mws = append(c.mws, o.mw) }
func (o middlewareOption) String() string              { return "WithMiddleware(...)" }

// WithMiddleware adds a middleware. Middlewares run in the order they were
// given, the first outermost; each call of WithMiddleware adds one more.
// There are none by default.
func WithMiddleware(mw Middleware) Option { return middlewareOption{mw} }

type maxFrameOption int

func (o maxFrameOption) applyClient(c *clientConfig) { c.maxFrame = int(o) }
func (o maxFrameOption) applyServer(c *serverConfig) { c.maxFrame = int(o) }
func (o maxFrameOption) String() string {
	return "WithMaxFrameSize(" + strconv.Itoa(int(o)) + ")"
}

// WithMaxFrameSize sets the largest frame the side reads, in bytes; longer
// frames are refused before anything is allocated for them (a server closes
// the connection, a client fails the call). The default is
// transport.DefaultMaxFrameSize (4 MiB); the last value given wins.
func WithMaxFrameSize(n int) Option { return maxFrameOption(n) }

type loggerOption struct{ l *slog.Logger }

func (o loggerOption) applyClient(c *clientConfig) { c.logger = o.l }
func (o loggerOption) applyServer(c *serverConfig) { c.logger = o.l }
func (o loggerOption) String() string              { return "WithLogger(...)" }

// WithLogger sets the logger for events that are not a caller's error:
// handler panics, accept failures, dropped connections. The default is
// slog.Default(); the last value given wins.
func WithLogger(l *slog.Logger) Option { return loggerOption{l} }

type rwTimeoutOption time.Duration

func (o rwTimeoutOption) applyClient(c *clientConfig) { c.rwTimeout = time.Duration(o) }
func (o rwTimeoutOption) applyServer(c *serverConfig) { c.rwTimeout = time.Duration(o) }
func (o rwTimeoutOption) String() string {
	return "WithReadWriteTimeout(" + time.Duration(o).String() + ")"
}

// WithReadWriteTimeout bounds the network I/O of one call. On a server it
// bounds writing each reply (default 5 s, as Kitex's). On a client it bounds
// writing the request and reading the reply of a call that has no deadline
// of its own (default none: set WithRPCTimeout). Zero disables it; the last
// value given wins.
func WithReadWriteTimeout(d time.Duration) Option { return rwTimeoutOption(d) }
