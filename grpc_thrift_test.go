package kite_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/kite_gen/echo"
)

// TestThriftOverGRPCClient calls a Thrift service over gRPC (Kitex's
// application/grpc+thrift) with a kite gen client and WithGRPC: replies,
// declared exceptions, handler errors and deadlines arrive as over
// TTHeader; oneway methods are refused.
func TestThriftOverGRPCClient(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &handler{})
	cli := newClient(t, addr, kite.WithGRPC(), kite.WithRPCTimeout(5*time.Second))
	ctx := context.Background()

	resp, err := cli.Echo(ctx, &echo.Request{Action: "echo", Msg: strings.Repeat("g", 100<<10)})
	if err != nil || len(resp.Msg) != 100<<10 {
		t.Fatalf("echo: %v", err)
	}
	resp, err = cli.Echo(ctx, &echo.Request{Action: "ri"})
	if err != nil || resp.Action != "EchoServer.Echo" {
		t.Fatalf("rpcinfo: %+v %v", resp, err)
	}
	_, err = cli.EchoWithException(ctx, &echo.Request{Action: "throw"})
	var ee *echo.EchoException
	if !errors.As(err, &ee) || ee.Code != 42 {
		t.Fatalf("declared exception: %v", err)
	}
	_, err = cli.Echo(ctx, &echo.Request{Action: "error"})
	if kite.CodeOf(err) != kite.CodeInternal || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("handler error: %v (code %v)", err, kite.CodeOf(err))
	}
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = cli.Echo(tctx, &echo.Request{Action: "sleep"})
	if kite.CodeOf(err) != kite.CodeDeadlineExceeded {
		t.Fatalf("deadline: %v", err)
	}
	if err := cli.EchoOneway(ctx, &echo.Request{}); kite.CodeOf(err) != kite.CodeInvalidArgument {
		t.Fatalf("oneway over gRPC: %v, want InvalidArgument", err)
	}
}
