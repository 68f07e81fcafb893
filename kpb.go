package kite

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/kite-rpc/kite/codec/protobuf"
	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/ttheader"
	"github.com/kite-rpc/kite/transport"
)

// Kitex Protobuf (WIRE.md §4): the 0x9001 envelope inside Framed or
// TTHeaderFramed, protobuf messages as arguments and results, ErrorProto
// exception bodies. A protobuf service's MethodInfo.NewArgs and NewResult
// return the request and response messages themselves (proto.Message
// values), and its Handler fills the response in place.

type kpbOption struct{}

func (kpbOption) applyClient(c *clientConfig) { c.kpb, c.grpc = true, false }
func (kpbOption) String() string              { return "WithKitexProtobuf()" }

// WithKitexProtobuf makes the client send Kitex Protobuf: Call's args and
// result are the request and response proto.Message values. The framing
// is TTHeaderFramed, as Kitex forces it, unless WithTransport(transport.Framed)
// is also given (Framed carries no deadline, metainfo or business error).
// Replaces [WithGRPC]; the last of the two given wins.
func WithKitexProtobuf() ClientOption { return kpbOption{} }

// handleKPB serves one Kitex Protobuf request and writes its reply. It
// reports whether the connection must be closed afterwards.
func (s *Server) handleKPB(nc net.Conn, msg *transport.Message, buf []byte) ([]byte, bool) {
	if !msg.Framing.HasLength() {
		return buf, true // Kitex: "protobuf just support 'framed' trans proto"
	}
	name, typ, seq, n, err := protobuf.ConsumeEnvelope(msg.Body)
	if err != nil || (typ != protobuf.Call && typ != protobuf.Oneway) {
		return buf, true
	}
	ri := s.riPool.Get().(*RPCInfo)
	defer func() { ri.reset(); ri.server = true; s.riPool.Put(ri) }()
	ri.Start = time.Now()
	ri.Received = ri.Start
	ri.SeqID = seq
	ri.RemoteAddr = nc.RemoteAddr()
	ri.Transport, ri.Protocol = msg.Framing, msg.Payload
	if msg.Framing.HasTTHeader() {
		ri.Caller, _ = msg.Header.Int(ttheader.FromService)
		ri.CallerMethod, _ = msg.Header.Int(ttheader.FromMethod)
	}
	m, exType, exMsg := s.lookup(msg, name)
	if m == nil {
		ri.Method = string(name)
		return s.replyKPB(nc, ri, msg, buf, protobuf.Exception, nil, int32(exType), exMsg, nil, true), true
	}
	ri.Service, ri.Method = m.svc.info.Name, m.name
	args := m.info.NewArgs()
	if err := protobuf.Unmarshal(msg.Body[n:], args); err != nil {
		return s.replyKPB(nc, ri, msg, buf, protobuf.Exception, nil, int32(CodeProtocol.ThriftType()), err.Error(), nil, true), true
	}
	var result any
	if !m.info.Oneway {
		result = m.info.NewResult()
	}
	ctx, cancel := handlerContext(ri, msg)
	if cancel != nil {
		defer cancel()
	}
	ri.method = m
	err = s.call(ctx, m, args, result)
	if m.info.Oneway {
		return buf, false
	}
	var be *BizError
	switch {
	case err == nil:
		return s.replyKPB(nc, ri, msg, buf, protobuf.Reply, result, 0, "", nil, false), false
	case errors.As(err, &be):
		return s.replyKPB(nc, ri, msg, buf, protobuf.Reply, nil, 0, "", be, false), false
	default:
		ae := exceptionOf(err)
		return s.replyKPB(nc, ri, msg, buf, protobuf.Exception, nil, int32(ae.Type), ae.Message, nil, false), false
	}
}

// replyKPB encodes and writes a Kitex Protobuf reply: result for a Reply,
// or an ErrorProto of exType and exMsg for an Exception.
func (s *Server) replyKPB(nc net.Conn, ri *RPCInfo, req *transport.Message, buf []byte,
	typ protobuf.MessageType, result any, exType int32, exMsg string, be *BizError, closing bool) []byte {
	h := &ri.hdr
	if req.Framing.HasTTHeader() {
		s.replyHeader(ri, req, h, typ == protobuf.Reply, be, closing)
	}
	var err error
	if buf, err = transport.BeginFrame(buf, req.Framing, h); err != nil {
		s.cfg.logger.Warn("kite: reply header", "err", err)
		return buf
	}
	start := len(buf)
	buf = protobuf.AppendEnvelope(buf, typ, ri.Method, ri.SeqID)
	if typ == protobuf.Exception {
		buf = protobuf.AppendError(buf, exType, exMsg)
	} else if result != nil {
		if buf, err = protobuf.Marshal(buf, result); err != nil {
			buf = protobuf.AppendError(protobuf.AppendEnvelope(buf[:start], protobuf.Exception, ri.Method, ri.SeqID),
				int32(CodeProtocol.ThriftType()), "encode result: "+err.Error())
			if req.Framing.HasTTHeader() {
				h.SetInt(ttheader.MsgType, "3")
				buf2, _ := transport.BeginFrame(nil, req.Framing, h)
				buf = append(buf2, buf[start:]...)
			}
		}
	}
	transport.EndFrame(buf, 0, req.Framing)
	if s.cfg.rwTimeout > 0 {
		_ = nc.SetWriteDeadline(time.Now().Add(s.cfg.rwTimeout))
	}
	if _, err := nc.Write(buf); err == nil {
		ri.Sent = time.Now()
	}
	return buf
}

// replyHeader fills the TTHeader of a reply to req as Kitex's
// ServerTTHeaderHandler does: message type, business error, backward
// metainfo and the close hint.
func (s *Server) replyHeader(ri *RPCInfo, req *transport.Message, h *ttheader.Header, ok bool, be *BizError, closing bool) {
	h.Reset()
	h.SeqID = ri.SeqID
	h.ProtocolID = req.Header.ProtocolID
	if be != nil {
		h.SetStr(ttheader.KeyBizStatus, strconv.Itoa(int(be.Code)))
		h.SetStr(ttheader.KeyBizMessage, be.Message)
		if len(be.Extra) > 0 {
			if x, err := json.Marshal(be.Extra); err == nil {
				h.SetStr(ttheader.KeyBizExtra, string(x))
			}
		}
	}
	if closing || s.shutdown.Load() {
		h.SetStr(ttheader.KeyConnReset, "1")
	}
	for _, e := range ri.backward {
		h.SetStr(e.Key, e.Value)
	}
	if ok {
		h.SetInt(ttheader.MsgType, "2")
	} else {
		h.SetInt(ttheader.MsgType, "3")
	}
}

// invokeKPB makes a Kitex Protobuf call on the wire: args and result are
// the request and response messages.
func (c *Client) invokeKPB(ctx context.Context, ri *RPCInfo, args, result any) error {
	if !protobuf.IsMessage(args) {
		return &Error{Code: CodeInvalidArgument, Message: "args are not a proto.Message"}
	}
	oneway := result == nil
	if !oneway && !protobuf.IsMessage(result) {
		return &Error{Code: CodeInvalidArgument, Message: "result is not a proto.Message"}
	}
	if err := ctx.Err(); err != nil {
		return ctxError(err)
	}
	framing := transport.TTHeaderFramed
	if c.cfg.framing == transport.Framed {
		framing = transport.Framed
	}
	deadline, hasDeadline := ctx.Deadline()
	if ri.timeout > 0 {
		if d := ri.Start.Add(ri.timeout); !hasDeadline || d.Before(deadline) {
			deadline, hasDeadline = d, true
		}
	}
	addr, err := c.pickAddr(ri)
	if err != nil {
		return err
	}
	conn, err := c.pool.Get(ctx, addr)
	if err != nil {
		if ctx.Err() != nil {
			return ctxError(ctx.Err())
		}
		if hasDeadline && !time.Now().Before(deadline) {
			return &Error{Code: CodeDeadlineExceeded, Message: "connect to " + addr, Err: err}
		}
		return &Error{Code: CodeUnavailable, Message: "connect to " + addr, Err: err}
	}
	ri.RemoteAddr = conn.RemoteAddr()
	ri.Transport, ri.Protocol = framing, transport.KitexProtobuf
	ri.SeqID = nextSeqID()
	reuse := false
	defer func() { c.pool.Put(conn, reuse) }()
	if hasDeadline {
		_ = conn.SetDeadline(deadline)
	} else {
		_ = conn.SetDeadline(time.Time{})
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(pastTime) })
		defer func() {
			if !stop() {
				// The cancellation may still be setting a past deadline:
				// the connection must not go back to the pool.
				reuse = false
			}
		}()
	}
	h := &ri.hdr
	if framing.HasTTHeader() {
		c.fillHeaderKPB(ctx, ri, h, oneway, deadline, hasDeadline)
	}
	typ := protobuf.Call
	if oneway {
		typ = protobuf.Oneway
	}
	buf := conn.Buf[:0]
	if buf, err = transport.BeginFrame(buf, framing, h); err != nil {
		return &Error{Code: CodeInvalidArgument, Message: "encode header", Err: err}
	}
	buf = protobuf.AppendEnvelope(buf, typ, ri.Method, ri.SeqID)
	if buf, err = protobuf.Marshal(buf, args); err != nil {
		conn.Buf = buf
		return &Error{Code: CodeInvalidArgument, Message: "encode args", Err: err}
	}
	transport.EndFrame(buf, 0, framing)
	conn.Buf = buf
	if _, err = conn.Write(buf); err != nil {
		return c.ioError(ctx, "write", err)
	}
	ri.Sent = time.Now()
	if oneway {
		return nil
	}
	m := &ri.msg
	if err = conn.Reader.ReadMessage(m); err != nil {
		if errors.Is(err, transport.ErrFrameTooLarge) || errors.Is(err, transport.ErrInvalidFrame) {
			return &Error{Code: CodeProtocol, Message: "read reply", Err: err}
		}
		return c.ioError(ctx, "read", err)
	}
	ri.Received = time.Now()
	if m.Payload != transport.KitexProtobuf {
		return &Error{Code: CodeInvalidProtocol, Message: "reply payload is " + m.Payload.String()}
	}
	name, rtyp, rseq, n, err := protobuf.ConsumeEnvelope(m.Body)
	if err != nil {
		return &Error{Code: CodeProtocol, Message: "reply envelope", Err: err}
	}
	body := m.Body[n:]
	switch rtyp {
	case protobuf.Exception:
		t, msg, err := protobuf.ConsumeError(body)
		if err != nil {
			return &Error{Code: CodeProtocol, Message: "exception reply", Err: err}
		}
		return &Error{Code: CodeFromThrift(t), Message: msg, Remote: true}
	case protobuf.Reply:
	default:
		return &Error{Code: CodeInvalidMessageType, Message: "reply message type " + strconv.Itoa(int(rtyp))}
	}
	if err := checkReply(ri, name, rseq); err != nil {
		return err
	}
	ok, herr := readReplyHeader(ctx, m)
	if herr != nil {
		reuse = ok
		return herr // a business error's reply carries an empty body
	}
	if err := protobuf.Unmarshal(body, result); err != nil {
		return &Error{Code: CodeProtocol, Message: "decode result", Err: err}
	}
	reuse = ok
	return nil
}

// pickAddr returns the address of the next call: the instance the client's
// governance chose (client_govern.go), the call's target, or — for calls
// that bypass it, such as streams — the balancer's pick.
func (c *Client) pickAddr(ri *RPCInfo) (string, error) {
	if ri.addr != "" {
		return ri.addr, nil
	}
	if ri.target != "" {
		return ri.target, nil
	}
	in, err := c.gov.balancer.Pick(ri.hashKey, nil)
	if err != nil {
		return "", &Error{Code: CodeUnavailable, Message: "no instance of " + c.service + ": use WithHostPorts, WithResolver or WithTarget", Err: err}
	}
	return in.Addr, nil
}

// fillHeaderKPB writes the TTHeader of a Kitex Protobuf request: the same
// keys as a Thrift request's (the payload's protocol id stays 0, as Kitex
// writes it).
func (c *Client) fillHeaderKPB(ctx context.Context, ri *RPCInfo, h *ttheader.Header, oneway bool, deadline time.Time, hasDeadline bool) {
	typ := thrift.Call
	if oneway {
		typ = thrift.Oneway
	}
	c.fillHeader(ctx, ri, h, typ, deadline, hasDeadline)
	h.ProtocolID = ttheader.ProtocolBinary
	h.SetInt(ttheader.TransportType, "framed")
}
