package kite_test

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/epoll"
	"github.com/kite-rpc/kite/govern"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

var msg1K = strings.Repeat("abcdefghijklmnopqrstuvwxyz", 40)[:1024]

// BenchmarkCall is one unary call through a Kite client and server on
// loopback (allocations of both sides).
func BenchmarkCall(b *testing.B) {
	for _, f := range []transport.Framing{transport.Framed, transport.TTHeaderFramed} {
		b.Run(f.String(), func(b *testing.B) {
			_, addr := startServer(b, &handler{})
			c, err := echoserver.NewClient(echoserver.ServiceName, kite.WithHostPorts(addr), kite.WithTransport(f))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			req := &echo.Request{Action: "echo", Msg: msg1K}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Echo(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cannedServer answers every request on its connections with the same
// pre-encoded reply, its seqid patched, allocating nothing per call: what a
// benchmark against it allocates is the client's.
func cannedServer(tb testing.TB, f transport.Framing, reply thrift.Struct) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				rd := transport.NewReader(conn, 0)
				var m transport.Message
				var out []byte
				for {
					if err := rd.ReadMessage(&m); err != nil {
						return
					}
					name, _, seq, _, _ := thrift.ConsumeMessageBegin(m.Body, thrift.Binary)
					m.Header.Reset()
					m.Header.SeqID = seq
					m.Header.SetInt(22, "2")
					start := len(out)
					out, _ = transport.BeginFrame(out, f, &m.Header)
					out = thrift.AppendMessageBegin(out, thrift.Binary, string(name), thrift.Reply, seq)
					out = reply.AppendBinary(out)
					transport.EndFrame(out, start, f)
					if rd.FrameBuffered() {
						continue // pipelined requests: one write for their replies
					}
					if _, err := conn.Write(out); err != nil {
						return
					}
					out = out[:0]
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// benchClientCalls measures the client side of 1 KiB calls, one at a
// time, against a canned server of framing f.
func benchClientCalls(b *testing.B, f transport.Framing, opts ...kite.ClientOption) {
	addr := cannedServer(b, f, &echoserver.EchoResult{Success: &echo.Response{Action: "echo", Msg: msg1K}})
	opts = append([]kite.ClientOption{kite.WithHostPorts(addr), kite.WithTransport(f)}, opts...)
	cli, err := kite.NewClient(echoserver.ServiceName, opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	args := &echoserver.EchoArgs{Req: &echo.Request{Action: "echo", Msg: msg1K}}
	var res echoserver.EchoResult
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := cli.Call(ctx, "Echo", args, &res); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientCall measures the client side of a call alone.
func BenchmarkClientCall(b *testing.B) {
	for _, f := range []transport.Framing{transport.Framed, transport.TTHeaderFramed} {
		b.Run(f.String(), func(b *testing.B) { benchClientCalls(b, f) })
	}
}

// BenchmarkClientCallPath is BenchmarkClientCall/framed on each client
// I/O path: one call at a time, the caller waiting for each reply.
func BenchmarkClientCallPath(b *testing.B) {
	b.Run("net", func(b *testing.B) { benchClientCalls(b, transport.Framed, kite.WithPoller(nil)) })
	b.Run("epoll", func(b *testing.B) { benchClientCalls(b, transport.Framed, kite.WithPoller(epoll.Default())) })
}

// BenchmarkClientCallGovern is BenchmarkClientCall/framed with an instance
// and method breaker, a retry policy with a budget and a p2c balancer: the
// cost of governance on a call that succeeds.
func BenchmarkClientCallGovern(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchClientCalls(b, transport.Framed) })
	b.Run("governed", func(b *testing.B) {
		benchClientCalls(b, transport.Framed, kite.WithCircuitBreaker(govern.DefaultBreakerPolicy()),
			kite.WithRetry(govern.DefaultRetryPolicy()), kite.WithBalancer(govern.NewP2C(nil)))
	})
}

// BenchmarkClientCallParallel is the client side of 1 KiB calls made by
// 100 goroutines at once, each with a pooled connection of its own or all
// pipelined over two (WithMuxConnection).
func BenchmarkClientCallParallel(b *testing.B) {
	for _, mux := range []int{0, 2} {
		name := "pooled"
		if mux > 0 {
			name = "mux2"
		}
		b.Run(name, func(b *testing.B) {
			addr := cannedServer(b, transport.Framed, &echoserver.EchoResult{Success: &echo.Response{Action: "echo", Msg: msg1K}})
			opts := []kite.ClientOption{kite.WithHostPorts(addr), kite.WithTransport(transport.Framed)}
			if mux > 0 {
				opts = append(opts, kite.WithMuxConnection(mux))
			} else {
				opts = append(opts, kite.WithLongConnection(transport.LongPoolConfig{MaxIdlePerAddress: 200, MaxIdleGlobal: 200}))
			}
			cli, err := kite.NewClient(echoserver.ServiceName, opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer cli.Close()
			args := &echoserver.EchoArgs{Req: &echo.Request{Action: "echo", Msg: msg1K}}
			ctx := context.Background()
			b.SetParallelism((100 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var res echoserver.EchoResult
				for pb.Next() {
					if err := cli.Call(ctx, "Echo", args, &res); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkCallParallelMux is 100 goroutines calling a Kite server in the
// same process over WithMuxConnection(2): over TTHeader the server serves
// the calls out of order on its workers, over Framed in order with
// batched replies.
func BenchmarkCallParallelMux(b *testing.B) {
	for _, f := range []transport.Framing{transport.TTHeaderFramed, transport.Framed} {
		b.Run(f.String(), func(b *testing.B) {
			_, addr := startServer(b, &handler{})
			c, err := echoserver.NewClient(echoserver.ServiceName, kite.WithHostPorts(addr), kite.WithTransport(f), kite.WithMuxConnection(2))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			req := &echo.Request{Action: "echo", Msg: msg1K}
			ctx := context.Background()
			b.SetParallelism((100 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Echo(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkCallGRPC is a unary call over gRPC (Kitex's Thrift over HTTP/2,
// kite.WithGRPC) to a Kite server in the same process: one caller at a
// time, and 100 callers sharing the connection.
func BenchmarkCallGRPC(b *testing.B) {
	c := grpcEchoClient(b)
	req := &echo.Request{Action: "echo", Msg: msg1K}
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := c.Echo(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism((100 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Echo(ctx, req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// grpcEchoClient is a gRPC (kite.WithGRPC) client of a Kite echo server in
// the same process, both closed when the test ends.
func grpcEchoClient(tb testing.TB) *echoserver.Client {
	tb.Helper()
	_, addr := startServer(tb, &handler{})
	c, err := echoserver.NewClient(echoserver.ServiceName, kite.WithHostPorts(addr), kite.WithGRPC())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}
