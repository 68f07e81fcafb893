package main

import (
	"errors"
	"flag"
	"log/slog"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/internal/pbecho"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
)

func newEchoServer(opts ...kite.ServerOption) (*kite.Server, error) {
	s := kite.NewServer(opts...)
	if err := s.Register(echoserver.NewServiceInfo(), echoHandler{}); err != nil {
		return nil, err
	}
	// The protobuf echo (pbecho.go), over Kitex Protobuf and gRPC.
	if err := s.Register(pbecho.NewStreamServiceInfo(), pbEchoHandler{}); err != nil {
		return nil, err
	}
	return s, nil
}

// serve runs the echo service until SIGINT or SIGTERM.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", ":8888", "listen address")
	poller := pollerFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	po, err := pollerOptions(*poller)
	if err != nil {
		return err
	}
	s, err := newEchoServer(append(serverOpts(po), kite.WithAddress(*addr))...)
	if err != nil {
		return err
	}
	io := *poller
	if io == "" {
		io = "default (epoll on Linux, else net)"
	}
	slog.Info("kite: serving EchoServer (Thrift binary/compact over Buffered, Framed, TTHeader) and protobuf Echo (Kitex Protobuf, gRPC)", "addr", *addr, "poller", io)
	if err := s.Run(); err != nil && !errors.Is(err, kite.ErrServerClosed) {
		return err
	}
	return nil
}
