package kite_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/epoll"
	"github.com/kite-rpc/kite/govern"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
)

// greeter implements echoserver.Handler for the examples.
type greeter struct{ echoserver.Handler }

func (greeter) Echo(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	switch req.Action {
	case "fail":
		return nil, kite.NewBizError(404, "no such greeting", map[string]string{"hint": "try echo"})
	case "meta":
		v, _ := kite.GetValue(ctx, "tenant")
		kite.SendBackwardValue(ctx, "served-by", "example")
		return &echo.Response{Action: req.Action, Msg: "tenant=" + v}, nil
	}
	return &echo.Response{Action: req.Action, Msg: "hello, " + req.Msg}, nil
}

// serve starts a server for an example and returns its address and a stop
// function.
func serve(opts ...kite.ServerOption) (string, func()) {
	srv := kite.NewServer(opts...)
	if err := srv.Register(echoserver.NewServiceInfo(), greeter{}); err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Shutdown(context.Background()) }
}

// A server and a client in one process.
func Example() {
	addr, stop := serve()
	defer stop()

	cli, err := echoserver.NewClient("EchoServer", kite.WithHostPorts(addr), kite.WithRPCTimeout(time.Second))
	if err != nil {
		panic(err)
	}
	defer cli.Close()
	resp, err := cli.Echo(context.Background(), &echo.Request{Action: "echo", Msg: "kite"})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Msg)
	// Output: hello, kite
}

// A middleware sees every call with its RPCInfo.
func ExampleWithMiddleware() {
	logCalls := func(next kite.Endpoint) kite.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			ri := kite.RPCInfoFromContext(ctx)
			err := next(ctx, req, resp)
			fmt.Printf("%s.%s over %s: %v\n", ri.Service, ri.Method, ri.Transport, err)
			return err
		}
	}
	addr, stop := serve(kite.WithMiddleware(logCalls))
	defer stop()
	cli, _ := echoserver.NewClient("EchoServer", kite.WithHostPorts(addr))
	defer cli.Close()
	cli.Echo(context.Background(), &echo.Request{Action: "echo", Msg: "mw"})
	// Output: EchoServer.Echo over ttheader-framed: <nil>
}

// Metainfo travels to the server; backward values come back.
func ExampleWithValue() {
	addr, stop := serve()
	defer stop()
	cli, _ := echoserver.NewClient("EchoServer", kite.WithHostPorts(addr))
	defer cli.Close()

	ctx := kite.WithValue(context.Background(), "tenant", "blue")
	ctx = kite.WithBackwardValues(ctx)
	resp, _ := cli.Echo(ctx, &echo.Request{Action: "meta"})
	fmt.Println(resp.Msg)
	fmt.Println(kite.RecvBackwardValues(ctx)["served-by"])
	// Output:
	// tenant=blue
	// example
}

// Errors carry a code; business errors are their own type.
func ExampleCodeOf() {
	addr, stop := serve()
	defer stop()
	cli, _ := echoserver.NewClient("EchoServer", kite.WithHostPorts(addr))
	defer cli.Close()

	_, err := cli.Echo(context.Background(), &echo.Request{Action: "fail"})
	var be *kite.BizError
	if errors.As(err, &be) {
		fmt.Println(be.Code, be.Message, be.Extra["hint"])
	}

	_, err = cli.Echo(context.Background(), &echo.Request{}, kite.WithTarget("127.0.0.1:1"))
	fmt.Println(kite.CodeOf(err), kite.CodeOf(err).GRPCCode())
	// Output:
	// 404 no such greeting try echo
	// unavailable 14
}

// Governance: two instances, one of them down; retries go to the other.
func ExampleWithRetry() {
	addr, stop := serve()
	defer stop()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := ln.Addr().String()
	ln.Close()

	cli, _ := echoserver.NewClient("EchoServer",
		kite.WithHostPorts(down, addr),
		kite.WithRetry(govern.DefaultRetryPolicy()),
		kite.WithCircuitBreaker(govern.DefaultBreakerPolicy()),
	)
	defer cli.Close()
	for i := 0; i < 3; i++ {
		resp, err := cli.Echo(context.Background(), &echo.Request{Msg: "kite"})
		fmt.Println(resp.Msg, err)
	}
	// Output:
	// hello, kite <nil>
	// hello, kite <nil>
	// hello, kite <nil>
}

// Many goroutines calling over two shared connections: their requests are
// pipelined, and each reply finds its caller by sequence id.
func ExampleWithMuxConnection() {
	addr, stop := serve()
	defer stop()

	cli, err := echoserver.NewClient("EchoServer", kite.WithHostPorts(addr),
		kite.WithMuxConnection(2), kite.WithRPCTimeout(time.Second))
	if err != nil {
		panic(err)
	}
	defer cli.Close()
	var wg sync.WaitGroup
	replies := make([]string, 100)
	for i := range replies {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := cli.Echo(context.Background(), &echo.Request{Action: "echo", Msg: strconv.Itoa(i)})
			if err != nil {
				panic(err)
			}
			replies[i] = resp.Msg
		}(i)
	}
	wg.Wait()
	fmt.Println(replies[0], replies[99])
	// Output: hello, 0 hello, 99
}

// Picking the I/O path: a server on the net package (a goroutine per
// connection) and a client whose connections sit on a poller of its own
// with two loops. Without WithPoller each side takes the faster path
// measured for it (see WithPoller).
func ExampleWithPoller() {
	addr, stop := serve(kite.WithPoller(nil))
	defer stop()

	cli, err := echoserver.NewClient("EchoServer", kite.WithHostPorts(addr), kite.WithPoller(epoll.New(2)))
	if err != nil {
		panic(err)
	}
	defer cli.Close()
	resp, err := cli.Echo(context.Background(), &echo.Request{Action: "echo", Msg: "poller"})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Msg)
	// Output: hello, poller
}
