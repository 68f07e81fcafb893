package kite

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/kite-rpc/kite/codec/protobuf"
	grpct "github.com/kite-rpc/kite/transport/grpc"
)

// StreamKind is the kind of a gRPC method: unary or one of the three
// streaming kinds. It is [MethodInfo.Streaming].
type StreamKind uint8

// Stream kinds.
const (
	Unary           StreamKind = iota // one request, one response
	ClientStreaming                   // many requests, one response
	ServerStreaming                   // one request, many responses
	BidiStreaming                     // many requests, many responses
)

// ServerStream is the server side of a gRPC streaming call; a streaming
// method's Handler receives it as args. RecvMsg and SendMsg may run in two
// goroutines, but neither in two at once. Messages are proto.Message values.
//
// Sending blocks while the client's flow-control window is closed, and the
// client cannot send more than the stream's window ahead of RecvMsg, so a
// slow reader on either side never makes the other buffer without bound.
type ServerStream struct {
	st          *grpct.Stream
	ctx         context.Context
	ri          *RPCInfo
	recvTimeout time.Duration
}

// Context returns the call's context: it carries the RPCInfo, metainfo
// and metadata, and ends when the client cancels, the deadline passes or
// the handler returns.
func (s *ServerStream) Context() context.Context { return s.ctx }

// SetRecvTimeout bounds each later RecvMsg: one that waits longer fails
// with CodeDeadlineExceeded (the stream stays usable). Zero, the default,
// means no bound.
func (s *ServerStream) SetRecvTimeout(d time.Duration) { s.recvTimeout = d }

// RecvMsg receives the next request into m. It returns io.EOF after the
// client's last message.
func (s *ServerStream) RecvMsg(m any) error {
	b, err := s.st.Recv(s.recvTimeout)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return statusToError(err, false)
	}
	if err := protobuf.Unmarshal(b, m); err != nil {
		return &Error{Code: CodeProtocol, Message: "grpc: unmarshal request", Err: err}
	}
	return nil
}

// SendMsg sends one response message.
func (s *ServerStream) SendMsg(m any) error {
	bp := protobuf.GetBuffer()
	defer protobuf.PutBuffer(bp)
	b, err := protobuf.Marshal(*bp, m)
	*bp = b
	if err != nil {
		return &Error{Code: CodeInternal, Message: "grpc: marshal response", Err: err}
	}
	if s.ri.h2.hdrOut != nil {
		if err := s.st.WriteHeader(fieldsOf(s.ri.h2.hdrOut)); err != nil {
			return statusToError(err, false)
		}
	}
	if err := s.st.Send(b, false); err != nil {
		return statusToError(err, false)
	}
	return nil
}

// SetHeader adds md to the response headers, sent with the first message
// or by SendHeader.
func (s *ServerStream) SetHeader(md Metadata) { s.ri.h2.hdrOut = mergeMD(s.ri.h2.hdrOut, md) }

// SendHeader sends the response headers, with md added, now.
func (s *ServerStream) SendHeader(md Metadata) error {
	s.SetHeader(md)
	return statusToError(s.st.WriteHeader(fieldsOf(s.ri.h2.hdrOut)), false)
}

// SetTrailer adds md to the trailers sent when the handler returns.
func (s *ServerStream) SetTrailer(md Metadata) { s.ri.h2.trlOut = mergeMD(s.ri.h2.trlOut, md) }

// ClientStream is the client side of a gRPC streaming call, from
// [Client.NewStream]. SendMsg and RecvMsg may run in two goroutines, but
// neither in two at once. Cancel the call's context, or read until an
// error, to release the stream.
type ClientStream struct {
	st          *grpct.Stream
	ctx         context.Context
	cancel      context.CancelFunc
	recvTimeout time.Duration
	c           *Client
}

// Context returns the call's context.
func (s *ClientStream) Context() context.Context { return s.ctx }

// SetRecvTimeout bounds each later RecvMsg: one that waits longer fails
// with CodeDeadlineExceeded (the stream stays usable). Zero, the default,
// means no bound.
func (s *ClientStream) SetRecvTimeout(d time.Duration) { s.recvTimeout = d }

// SendMsg sends one request message. After the server has finished the
// call it returns io.EOF; RecvMsg then reports the call's status.
func (s *ClientStream) SendMsg(m any) error {
	bp := protobuf.GetBuffer()
	defer protobuf.PutBuffer(bp)
	b, err := protobuf.Marshal(*bp, m)
	*bp = b
	if err != nil {
		return &Error{Code: CodeInvalidArgument, Message: "grpc: marshal request", Err: err}
	}
	if err := s.st.Send(b, false); err != nil {
		if errors.Is(err, grpct.ErrStreamDone) {
			return io.EOF
		}
		return s.err(err)
	}
	return nil
}

// CloseSend tells the server no more requests follow.
func (s *ClientStream) CloseSend() error {
	if err := s.st.CloseSend(); err != nil && !errors.Is(err, grpct.ErrStreamDone) {
		return s.err(err)
	}
	return nil
}

// RecvMsg receives the next response into m. It returns io.EOF when the
// call ended with status OK, and the call's error otherwise (an *Error
// with the gRPC code, or a *BizError).
func (s *ClientStream) RecvMsg(m any) error {
	b, err := s.st.Recv(s.recvTimeout)
	if err != nil {
		if grpct.IsEOF(err) {
			s.done()
			return io.EOF
		}
		if se := new(grpct.StatusError); errors.As(err, &se) && se.Code == 4 && s.recvTimeout > 0 && s.ctx.Err() == nil {
			return &Error{Code: CodeDeadlineExceeded, Message: se.Message}
		}
		s.done()
		return s.err(err)
	}
	if err := protobuf.Unmarshal(b, m); err != nil {
		return &Error{Code: CodeProtocol, Message: "grpc: unmarshal response", Err: err}
	}
	return nil
}

// Header waits for the response headers and returns their metadata.
func (s *ClientStream) Header() (Metadata, error) {
	f, err := s.st.ResponseHeader()
	if err != nil {
		return nil, s.err(err)
	}
	return metadataOf(f), nil
}

// Trailer returns the trailer metadata, once RecvMsg has returned an error
// or io.EOF.
func (s *ClientStream) Trailer() Metadata { return metadataOf(s.st.Trailer()) }

func (s *ClientStream) done() {
	if s.cancel != nil {
		s.cancel()
	}
}

func (s *ClientStream) err(err error) error {
	if cerr := s.ctx.Err(); cerr != nil {
		return ctxError(cerr)
	}
	return statusToErrorWithTrailer(err, s.st.Trailer())
}

// ClientStreamOf is a typed view of a ClientStream for generated code:
// Req and Resp are the message types (their pointers are proto.Message).
type ClientStreamOf[Req, Resp any] struct{ *ClientStream }

// NewClientStreamOf wraps st.
func NewClientStreamOf[Req, Resp any](st *ClientStream) *ClientStreamOf[Req, Resp] {
	return &ClientStreamOf[Req, Resp]{st}
}

// Send sends one request.
func (s *ClientStreamOf[Req, Resp]) Send(m *Req) error { return s.SendMsg(m) }

// Recv receives one response.
func (s *ClientStreamOf[Req, Resp]) Recv() (*Resp, error) {
	m := new(Resp)
	if err := s.RecvMsg(m); err != nil {
		return nil, err
	}
	return m, nil
}

// CloseAndRecv ends the requests and receives the one response of a
// client-streaming call.
func (s *ClientStreamOf[Req, Resp]) CloseAndRecv() (*Resp, error) {
	if err := s.CloseSend(); err != nil {
		return nil, err
	}
	m, err := s.Recv()
	if err != nil {
		return nil, err
	}
	var extra Resp
	if err := s.RecvMsg(&extra); err != io.EOF {
		if err == nil {
			return nil, &Error{Code: CodeInternal, Message: "grpc: more than one response to a client-streaming call"}
		}
		return nil, err
	}
	return m, nil
}

// ServerStreamOf is a typed view of a ServerStream for generated code.
type ServerStreamOf[Req, Resp any] struct{ *ServerStream }

// NewServerStreamOf wraps st.
func NewServerStreamOf[Req, Resp any](st *ServerStream) *ServerStreamOf[Req, Resp] {
	return &ServerStreamOf[Req, Resp]{st}
}

// Recv receives one request; io.EOF after the last.
func (s *ServerStreamOf[Req, Resp]) Recv() (*Req, error) {
	m := new(Req)
	if err := s.RecvMsg(m); err != nil {
		return nil, err
	}
	return m, nil
}

// Send sends one response.
func (s *ServerStreamOf[Req, Resp]) Send(m *Resp) error { return s.SendMsg(m) }
