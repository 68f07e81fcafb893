// Package grpcecho is the protobuf echo service (echo.proto) on grpc-go:
// the peer of Kite's gRPC interop tests and the reference server of the
// gRPC benchmark. It behaves as Kite's built-in protobuf echo does.
package grpcecho

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/kite-rpc/kite/internal/pbecho"
)

// Server implements the Echo service; its zero value is ready.
type Server struct {
	// Canceled, if set, receives each handler's ctx error when a handler
	// observes its call being cancelled.
	Canceled chan error
}

// Echo answers by Request.Action: "echo" (and anything else) echoes;
// "error" fails with INTERNAL; "sleep" waits Msg milliseconds; "md" echoes
// the x-user metadata as header x-echo-hdr and trailer x-echo-trl;
// "details" fails with INVALID_ARGUMENT carrying an ErrorInfo detail;
// "big" answers with Msg's length in bytes as Msg.
func (s *Server) Echo(ctx context.Context, req *pbecho.Request) (*pbecho.Response, error) {
	switch req.Action {
	case "error":
		return nil, status.Error(codes.Internal, "grpcecho: plain handler error")
	case "sleep":
		ms, _ := strconv.Atoi(req.Msg)
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-ctx.Done():
			s.notify(ctx.Err())
			return nil, ctx.Err()
		}
	case "md":
		md, _ := metadata.FromIncomingContext(ctx)
		u := strings.Join(md.Get("x-user"), ",")
		_ = grpc.SetHeader(ctx, metadata.Pairs("x-echo-hdr", u))
		_ = grpc.SetTrailer(ctx, metadata.Pairs("x-echo-trl", u, "x-bin-bin", "\x00\x01"+u))
		return &pbecho.Response{Action: req.Action, Msg: u}, nil
	case "details":
		st, _ := status.New(codes.InvalidArgument, "grpcecho: bad "+req.Msg).WithDetails(&errdetails.ErrorInfo{Reason: "BAD", Domain: "kite.test"})
		return nil, st.Err()
	}
	return &pbecho.Response{Action: req.Action, Msg: req.Msg}, nil
}

// ServiceDesc describes protobuf.Echo with echo and three streaming
// methods, as protoc-gen-go-grpc would.
var ServiceDesc = grpc.ServiceDesc{
	ServiceName: "protobuf.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{MethodName: "echo", Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		in := new(pbecho.Request)
		if err := dec(in); err != nil {
			return nil, err
		}
		return srv.(*Server).Echo(ctx, in)
	}}},
	Streams: []grpc.StreamDesc{
		{StreamName: "ServerStream", ServerStreams: true, Handler: func(srv any, st grpc.ServerStream) error {
			in := new(pbecho.Request)
			if err := st.RecvMsg(in); err != nil {
				return err
			}
			n, _ := strconv.Atoi(in.Action)
			for i := 0; i < n || i == 0; i++ {
				if err := st.SendMsg(&pbecho.Response{Action: strconv.Itoa(i), Msg: in.Msg}); err != nil {
					return err
				}
			}
			return nil
		}},
		{StreamName: "ClientStream", ClientStreams: true, Handler: func(srv any, st grpc.ServerStream) error {
			n, last := 0, ""
			for {
				in := new(pbecho.Request)
				err := st.RecvMsg(in)
				if errors.Is(err, io.EOF) {
					return st.SendMsg(&pbecho.Response{Action: strconv.Itoa(n), Msg: last})
				}
				if err != nil {
					return err
				}
				n, last = n+1, in.Msg
			}
		}},
		{StreamName: "Bidi", ServerStreams: true, ClientStreams: true, Handler: func(srv any, st grpc.ServerStream) error {
			for {
				in := new(pbecho.Request)
				err := st.RecvMsg(in)
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					srv.(*Server).notify(err)
					return err
				}
				if err := st.SendMsg(&pbecho.Response{Action: in.Action, Msg: in.Msg}); err != nil {
					return err
				}
			}
		}},
	},
}

func (s *Server) notify(err error) {
	select {
	case s.Canceled <- err:
	default:
	}
}
