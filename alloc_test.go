//go:build !race

package kite_test

import (
	"context"
	"testing"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// TestClientCallAllocs holds the client side of a call to its budget: the
// reply struct and its two strings, nothing per call besides.
func TestClientCallAllocs(t *testing.T) {
	addr := cannedServer(t, transport.Framed, &echoserver.EchoResult{Success: &echo.Response{Action: "echo", Msg: msg1K}})
	cli, err := kite.NewClient(echoserver.ServiceName, kite.WithHostPorts(addr), kite.WithTransport(transport.Framed))
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
	if n := testing.AllocsPerRun(200, call); n > 4 {
		t.Errorf("%v allocs per call, budget 4", n)
	}
}

// TestClientCallAllocsTTHeader: with TTHeader and a fixed RPC timeout the
// client still allocates only the reply (the budget of 4 includes the
// canned server's one allocation decoding the request header).
func TestClientCallAllocsTTHeader(t *testing.T) {
	addr := cannedServer(t, transport.TTHeaderFramed, &echoserver.EchoResult{Success: &echo.Response{Action: "echo", Msg: msg1K}})
	cli, err := kite.NewClient(echoserver.ServiceName, kite.WithHostPorts(addr), kite.WithRPCTimeout(time.Second))
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
	if n := testing.AllocsPerRun(200, call); n > 4 {
		t.Errorf("%v allocs per call, budget 4", n)
	}
}
