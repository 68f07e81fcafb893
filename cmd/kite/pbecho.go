package main

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/internal/pbecho"
)

// pbEchoHandler is the built-in protobuf echo service (echo.proto), served
// over Kitex Protobuf and gRPC. It behaves as the Kitex server behind the
// kpb_* and grpc_* vectors, chosen by Request.Action, and adds the
// streaming methods of pbecho.StreamHandler.
type pbEchoHandler struct{}

func (pbEchoHandler) Echo(ctx context.Context, req *pbecho.Request) (*pbecho.Response, error) {
	msg, err := act(ctx, req.Action, req.Msg) // echo.go
	if err != nil {
		return nil, err
	}
	return &pbecho.Response{Action: req.Action, Msg: msg}, nil
}

// ServerStream sends back req's message as many times as req.Action says
// (a decimal count; 1 otherwise).
func (h pbEchoHandler) ServerStream(req *pbecho.Request, st *kite.ServerStreamOf[pbecho.Request, pbecho.Response]) error {
	n, err := strconv.Atoi(req.Action)
	if err != nil || n < 1 {
		n = 1
	}
	for i := 0; i < n; i++ {
		if err := st.Send(&pbecho.Response{Action: strconv.Itoa(i), Msg: req.Msg}); err != nil {
			return err
		}
	}
	return nil
}

// ClientStream answers with the number of requests and the last message.
func (pbEchoHandler) ClientStream(st *kite.ServerStreamOf[pbecho.Request, pbecho.Response]) error {
	var n int
	var last string
	for {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return st.Send(&pbecho.Response{Action: strconv.Itoa(n), Msg: last})
		}
		if err != nil {
			return err
		}
		n++
		last = req.Msg
	}
}

// Bidi echoes every request as it arrives.
func (h pbEchoHandler) Bidi(st *kite.ServerStreamOf[pbecho.Request, pbecho.Response]) error {
	for {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := st.Send(&pbecho.Response{Action: req.Action, Msg: req.Msg}); err != nil {
			return err
		}
	}
}
