//go:build !race

package kite_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// clientCallAllocs returns the allocations of one 1 KiB call against a
// canned server of framing f.
func clientCallAllocs(t *testing.T, f transport.Framing, opts ...kite.ClientOption) float64 {
	addr := cannedServer(t, f, &echoserver.EchoResult{Success: &echo.Response{Action: "echo", Msg: msg1K}})
	cli, err := kite.NewClient(echoserver.ServiceName, append([]kite.ClientOption{kite.WithHostPorts(addr), kite.WithTransport(f)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	args := &echoserver.EchoArgs{Req: &echo.Request{Action: "echo", Msg: msg1K}}
	var res echoserver.EchoResult
	ctx := context.Background()
	call := func() {
		if err := cli.Call(ctx, "Echo", args, &res); err != nil {
			t.Fatal(err)
		}
	}
	call()
	return testing.AllocsPerRun(200, call)
}

// TestClientCallAllocs holds the client side of a call to its budget: the
// reply struct and its two strings, nothing per call besides.
func TestClientCallAllocs(t *testing.T) {
	if n := clientCallAllocs(t, transport.Framed); n > 4 {
		t.Errorf("%v allocs per call, budget 4", n)
	}
}

// TestClientCallAllocsTTHeader: with TTHeader and a fixed RPC timeout the
// client still allocates only the reply (the budget of 4 includes the
// canned server's one allocation decoding the request header).
func TestClientCallAllocsTTHeader(t *testing.T) {
	if n := clientCallAllocs(t, transport.TTHeaderFramed, kite.WithRPCTimeout(time.Second)); n > 4 {
		t.Errorf("%v allocs per call, budget 4", n)
	}
}

// TestServerCallAllocs counts what the server allocates for one Framed
// echo: a raw client that allocates nothing writes the request and reads
// the reply, so the count is the server's. The budget is the decoded
// request (args, Request, two strings), the result wrapper and the
// handler's Response: nothing of Kite's own per request.
func TestServerCallAllocs(t *testing.T) {
	_, addr := startServer(t, &handler{})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := echoFrame(t, nil, transport.Framed, 7, "hello")
	var reply [256]byte
	var n int
	call := func() {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, reply[:4]); err != nil {
			t.Fatal(err)
		}
		n = int(binary.BigEndian.Uint32(reply[:4]))
		if _, err := io.ReadFull(c, reply[4:4+n]); err != nil {
			t.Fatal(err)
		}
	}
	call()
	if got := testing.AllocsPerRun(200, call); got > 6 {
		t.Errorf("%v allocs per request on the server, budget 6", got)
	}
}

// TestGRPCCallAllocs holds a unary Thrift-over-gRPC echo of 1 KiB, Kite
// client and Kite server in one process, to its budget of 25 allocations
// for both sides together. About half are the call's own values (args,
// result and reply structs and their strings, each side); the rest are
// per stream: each side's Stream, its notify channel and message buffer,
// the client's header channel, the server handler's contexts and
// goroutine, and x/net's HeadersFrame for each of the three header
// blocks. Header fields decode from the HPACK dynamic table without
// allocating; a regression there shows as 8 or more allocations more.
func TestGRPCCallAllocs(t *testing.T) {
	c := grpcEchoClient(t)
	req := &echo.Request{Action: "echo", Msg: msg1K}
	ctx := context.Background()
	call := func() {
		if _, err := c.Echo(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	call()
	if n := testing.AllocsPerRun(200, call); n > 25 {
		t.Errorf("%v allocs per gRPC call (client and server), budget 25", n)
	}
}
