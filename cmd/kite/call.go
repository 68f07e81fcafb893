package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// clientFlags are the flags call and bench share.
type clientFlags struct {
	addr, transport, protocol string
}

func (f *clientFlags) register(fs *flag.FlagSet, defAddr string) {
	fs.StringVar(&f.addr, "addr", defAddr, "server address(es), comma-separated")
	fs.StringVar(&f.transport, "transport", "ttheader-framed", "buffered, framed, ttheader, ttheader-framed; kpb or grpc for the protobuf echo")
	fs.StringVar(&f.protocol, "protocol", "binary", "binary or compact")
}

func (f *clientFlags) options() ([]kite.ClientOption, error) {
	tr, ok := transport.ParseFraming(f.transport)
	if !ok {
		return nil, fmt.Errorf("unknown -transport %q (want buffered, framed, ttheader or ttheader-framed)", f.transport)
	}
	var p thrift.Protocol
	switch f.protocol {
	case "binary":
		p = thrift.Binary
	case "compact":
		p = thrift.Compact
	default:
		return nil, fmt.Errorf("unknown -protocol %q (want binary or compact)", f.protocol)
	}
	return []kite.ClientOption{kite.WithTransport(tr), kite.WithProtocol(p)}, nil
}

// call makes one call and prints the reply.
func call(args []string) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, "127.0.0.1:8888")
	method := fs.String("method", "Echo", "Echo, EchoWithException or EchoOneway")
	action := fs.String("action", "echo", "echo, error, bizerror, bizerror-extra, meta, sleep or throw")
	msg := fs.String("msg", "hello", "message")
	timeout := fs.Duration("timeout", 5*time.Second, "RPC timeout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if isPB(cf.transport) { // pbcall.go
		return pbCall(cf.transport, cf.addr, *action, *msg, *timeout)
	}
	opts, err := cf.options()
	if err != nil {
		return err
	}
	opts = append(opts, kite.WithHostPorts(splitAddrs(cf.addr)...), kite.WithRPCTimeout(*timeout))
	cli, err := echoserver.NewClient(echoserver.ServiceName, opts...)
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx := kite.WithBackwardValues(context.Background())
	req := &echo.Request{Action: *action, Msg: *msg}
	var resp *echo.Response
	switch *method {
	case "Echo":
		resp, err = cli.Echo(ctx, req)
	case "EchoWithException":
		resp, err = cli.EchoWithException(ctx, req)
	case "EchoOneway":
		err = cli.EchoOneway(ctx, req)
	default:
		return fmt.Errorf("unknown -method %q", *method)
	}
	if bw := kite.RecvBackwardValues(ctx); len(bw) > 0 {
		fmt.Fprintf(os.Stdout, "backward: %v\n", bw)
	}
	var be *kite.BizError
	var ee *echo.EchoException
	switch {
	case errors.As(err, &be):
		fmt.Printf("biz error: code=%d msg=%q extra=%v\n", be.Code, be.Message, be.Extra)
		return err
	case errors.As(err, &ee):
		fmt.Printf("declared exception: code=%d message=%q\n", ee.Code, ee.Message)
		return err
	case err != nil:
		return err
	case resp == nil:
		fmt.Println("response: <none>")
	default:
		fmt.Printf("response: action=%q msg=%q\n", resp.Action, resp.Msg)
	}
	return nil
}
