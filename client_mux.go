package kite

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/transport"
)

type muxOption int

func (o muxOption) applyClient(c *clientConfig) { c.muxConns = int(o) }
func (o muxOption) String() string              { return "WithMuxConnection(" + strconv.Itoa(int(o)) + ")" }

// WithMuxConnection makes the client share n connections per address
// among all its calls, as Kitex's option of the same name does: calls are
// pipelined on a connection and replies matched by sequence id, so many
// concurrent callers need few connections, and their requests and the
// server's replies travel several per read and write. It needs a framing
// with lengths (TTHeader, the default, or Framed) and Thrift. Over TTHeader
// the requests are what Kitex's mux client sends (FLAGS SupportOutOfOrder),
// so a Kitex server with WithMuxTransport, which takes only TTHeader, serves
// them; a reply or Kitex's shutdown control frame carrying crrst retires
// the connection (new calls dial another; it closes when its calls end).
//
// Kite's server, like Kitex's with WithMuxTransport, serves such TTHeader
// requests concurrently and answers each when it is done. A server that
// handles a connection's requests in order (over Framed, Kitex's default
// server, Apache Thrift's) answers pipelined calls one after another, so
// there a slow call delays those behind it on its connection. n < 1
// means 1.
func WithMuxConnection(n int) ClientOption {
	if n < 1 {
		n = 1
	}
	return muxOption(n)
}

// muxCheck refuses WithMuxConnection where replies cannot be matched.
func (c *Client) muxCheck() error {
	if c.cfg.kpb || c.cfg.grpc {
		return &Error{Code: CodeInvalidArgument, Message: "WithMuxConnection is for Thrift; gRPC multiplexes already"}
	}
	if c.cfg.short {
		return &Error{Code: CodeInvalidArgument, Message: "WithMuxConnection and WithShortConnection exclude each other"}
	}
	if !c.cfg.framing.HasLength() && !c.cfg.framing.HasTTHeader() {
		return &Error{Code: CodeInvalidArgument, Message: "WithMuxConnection needs a framed transport, not " + c.cfg.framing.String()}
	}
	return nil
}

// invokeMux is invoke's wire part on a multiplexed connection.
func (c *Client) invokeMux(ctx context.Context, ri *RPCInfo, req, res thrift.Struct, typ thrift.MessageType, deadline time.Time, hasDeadline bool) error {
	dctx, cancel := connectContext(ctx, ri)
	mc, err := c.mux.Get(dctx, ri.addr)
	cancel()
	if err != nil {
		return connectError(ctx, ri.addr, err, deadline, hasDeadline)
	}
	c.startThrift(ri, mc.RemoteAddr())
	if !hasDeadline && c.cfg.rwTimeout > 0 {
		deadline = time.Now().Add(c.cfg.rwTimeout)
	}
	call := &ri.mux
	buf, err := c.encodeCall(ctx, ri, call.Req[:0], req, typ, deadline, hasDeadline)
	call.Req = buf
	if err != nil {
		return err
	}
	ri.Sent = time.Now() // handed to the connection, which writes it now or with the next batch
	err = mc.RoundTrip(ctx, call, ri.SeqID, buf, deadline, typ == thrift.Oneway)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return ctxError(ctx.Err())
		case errors.Is(err, transport.ErrFrameTooLarge) || errors.Is(err, transport.ErrInvalidFrame):
			return &Error{Code: CodeProtocol, Message: "read reply", Err: err}
		}
		return c.ioError(ctx, "call", err)
	}
	if typ == thrift.Oneway {
		return nil
	}
	ri.Received = call.Received
	m := &ri.msg
	if _, err := transport.ParseMessage(call.Reply, m, 0); err != nil {
		return &Error{Code: CodeProtocol, Message: "read reply", Err: err}
	}
	_, err = decodeReply(ctx, ri, m, res) // crrst: the reader retired mc
	return err
}
