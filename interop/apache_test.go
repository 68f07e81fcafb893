package interop

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	athrift "github.com/apache/thrift/lib/go/thrift"

	"github.com/kite-rpc/kite"
	apecho "github.com/kite-rpc/kite/interop/gen-go/echo"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
)

// Kite's "no such method" reply when the request names no service (no
// TTHeader "isn"): Kitex's TransError 20, UNKNOWN_SERVICE (WIRE.md §8.2).
const thriftUnknownService = 20

// TestApacheClientKiteServer drives a Kite server with Apache Thrift's
// generated Go client over every protocol × framing both sides share.
func TestApacheClientKiteServer(t *testing.T) {
	for _, c := range combos {
		c := c
		t.Run(c.name, func(t *testing.T) {
			checkGoroutines(t)
			addr, h := startKite(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			// One connection carries every call below, in order, so each
			// reply also proves the previous one left the stream aligned.
			cli := dialApache(t, addr, c)

			t.Run("Echo", func(t *testing.T) {
				for i := 0; i < 5; i++ {
					req := &apecho.Request{Action: "echo", Msg: "hi " + strconv.Itoa(i)}
					resp, err := cli.Echo(ctx, req)
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					if resp.Action != req.Action || resp.Msg != req.Msg {
						t.Fatalf("call %d: got %+v, want %+v", i, resp, req)
					}
				}
			})

			t.Run("Echo64KB", func(t *testing.T) {
				req := &apecho.Request{Action: "echo", Msg: longMsg(64 << 10)}
				resp, err := cli.Echo(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if resp.Msg != req.Msg {
					t.Fatalf("64 KB message came back as %d bytes", len(resp.Msg))
				}
			})

			t.Run("EchoWithException/ok", func(t *testing.T) {
				resp, err := cli.EchoWithException(ctx, &apecho.Request{Action: "echo", Msg: "no throw"})
				if err != nil {
					t.Fatal(err)
				}
				if resp.Msg != "no throw" {
					t.Fatalf("got %+v", resp)
				}
			})

			t.Run("EchoWithException/throw", func(t *testing.T) {
				resp, err := cli.EchoWithException(ctx, &apecho.Request{Action: "throw", Msg: "x"})
				var ee *apecho.EchoException
				if !errors.As(err, &ee) {
					t.Fatalf("got (%v, %v), want *EchoException", resp, err)
				}
				if ee.Code != 42 || ee.Message != "thrown: x" {
					t.Fatalf("got %+v, want code 42, message %q", ee, "thrown: x")
				}
			})

			t.Run("EchoWithException/error", func(t *testing.T) {
				resp, err := cli.EchoWithException(ctx, &apecho.Request{Action: "error", Msg: "x"})
				var ae athrift.TApplicationException
				if !errors.As(err, &ae) {
					t.Fatalf("got (%v, %v), want a TApplicationException", resp, err)
				}
				if ae.TypeId() != athrift.INTERNAL_ERROR {
					t.Fatalf("type %d (%v), want INTERNAL_ERROR (6)", ae.TypeId(), ae)
				}
				t.Logf("handler error reached Apache as: %v", ae)
			})

			t.Run("Echo/error", func(t *testing.T) {
				_, err := cli.Echo(ctx, &apecho.Request{Action: "error", Msg: "x"})
				var ae athrift.TApplicationException
				if !errors.As(err, &ae) || ae.TypeId() != athrift.INTERNAL_ERROR {
					t.Fatalf("got %v, want TApplicationException INTERNAL_ERROR", err)
				}
			})

			t.Run("EchoOneway", func(t *testing.T) {
				if err := cli.EchoOneway(ctx, &apecho.Request{Action: "oneway", Msg: "fire"}); err != nil {
					t.Fatal(err)
				}
				select {
				case req := <-h.oneway:
					if req.Action != "oneway" || req.Msg != "fire" {
						t.Fatalf("handler got %+v", req)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("oneway request never reached the Kite handler")
				}
				// No reply may follow a oneway call: the next call's reply
				// must be its own.
				resp, err := cli.Echo(ctx, &apecho.Request{Action: "echo", Msg: "after oneway"})
				if err != nil || resp.Msg != "after oneway" {
					t.Fatalf("call after oneway: (%v, %v)", resp, err)
				}
			})

			t.Run("UnknownMethod", func(t *testing.T) {
				// A raw call of a method the IDL does not have, with
				// Echo's argument and result structs.
				args := &apecho.EchoServerEchoArgs{Req: &apecho.Request{Action: "echo", Msg: "?"}}
				var res apecho.EchoServerEchoResult
				_, err := cli.std.Call(ctx, "NoSuchMethod", args, &res)
				var ae athrift.TApplicationException
				if !errors.As(err, &ae) {
					t.Fatalf("got %v (result %+v), want a TApplicationException", err, res)
				}
				// Kitex (and so Kite) answers an unknown method without a
				// service name with its type 20; Apache servers use 1.
				if ae.TypeId() != athrift.UNKNOWN_METHOD && ae.TypeId() != thriftUnknownService {
					t.Fatalf("type %d (%v), want UNKNOWN_METHOD (1) or UNKNOWN_SERVICE (20)", ae.TypeId(), ae)
				}
				t.Logf("unknown method reached Apache as type %d: %v", ae.TypeId(), ae)

				// The server may close the connection after this reply,
				// as Kitex does; a fresh connection must work.
				cli2 := dialApache(t, addr, c)
				resp, err := cli2.Echo(ctx, &apecho.Request{Action: "echo", Msg: "fresh"})
				if err != nil || resp.Msg != "fresh" {
					t.Fatalf("call on a new connection: (%v, %v)", resp, err)
				}
				_ = cli2.trans.Close()
			})

			_ = cli.trans.Close()
		})
	}
}

// TestKiteClientApacheServer drives an Apache Thrift TSimpleServer running
// the generated processor with Kite's client over every protocol × framing
// both sides share.
func TestKiteClientApacheServer(t *testing.T) {
	for _, c := range combos {
		c := c
		t.Run(c.name, func(t *testing.T) {
			checkGoroutines(t)
			addr, h := startApache(t, c)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			opts := append([]kite.ClientOption{kite.WithHostPorts(addr), kite.WithRPCTimeout(10 * time.Second)}, c.kiteOptions()...)
			cli, err := echoserver.NewClient(echoserver.ServiceName, opts...)
			if err != nil {
				t.Fatal(err)
			}
			// Cleanups run last-in first-out: the client closes its pooled
			// connections before the Apache server waits for them to end.
			t.Cleanup(func() { _ = cli.Close() })

			t.Run("Echo", func(t *testing.T) {
				for i := 0; i < 5; i++ {
					req := &echo.Request{Action: "echo", Msg: "hi " + strconv.Itoa(i)}
					resp, err := cli.Echo(ctx, req)
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					if resp == nil || resp.Action != req.Action || resp.Msg != req.Msg {
						t.Fatalf("call %d: got %+v, want %+v", i, resp, req)
					}
				}
			})

			t.Run("Echo64KB", func(t *testing.T) {
				req := &echo.Request{Action: "echo", Msg: longMsg(64 << 10)}
				resp, err := cli.Echo(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if resp == nil || resp.Msg != req.Msg {
					t.Fatalf("64 KB message did not come back intact")
				}
			})

			t.Run("EchoWithException/ok", func(t *testing.T) {
				resp, err := cli.EchoWithException(ctx, &echo.Request{Action: "echo", Msg: "no throw"})
				if err != nil {
					t.Fatal(err)
				}
				if resp == nil || resp.Msg != "no throw" {
					t.Fatalf("got %+v", resp)
				}
			})

			t.Run("EchoWithException/throw", func(t *testing.T) {
				resp, err := cli.EchoWithException(ctx, &echo.Request{Action: "throw", Msg: "x"})
				var ee *echo.EchoException
				if !errors.As(err, &ee) {
					t.Fatalf("got (%v, %v), want *echo.EchoException", resp, err)
				}
				if ee.Code != 42 || ee.Message != "thrown: x" {
					t.Fatalf("got %+v, want code 42, message %q", ee, "thrown: x")
				}
			})

			t.Run("Echo/error", func(t *testing.T) {
				resp, err := cli.Echo(ctx, &echo.Request{Action: "error", Msg: "x"})
				var ke *kite.Error
				if !errors.As(err, &ke) {
					t.Fatalf("got (%v, %v), want *kite.Error", resp, err)
				}
				if kite.CodeOf(err) != kite.CodeInternal || !ke.Remote {
					t.Fatalf("got %v (code %v, remote %v), want remote %v", err, kite.CodeOf(err), ke.Remote, kite.CodeInternal)
				}
				t.Logf("Apache handler error reached Kite as: %v", err)
			})

			t.Run("EchoWithException/error", func(t *testing.T) {
				_, err := cli.EchoWithException(ctx, &echo.Request{Action: "error", Msg: "x"})
				var ke *kite.Error
				if !errors.As(err, &ke) || kite.CodeOf(err) != kite.CodeInternal {
					t.Fatalf("got %v, want *kite.Error with CodeInternal", err)
				}
			})

			t.Run("UnknownMethod", func(t *testing.T) {
				args := echoserver.EchoArgs{Req: &echo.Request{Action: "echo", Msg: "?"}}
				var res echoserver.EchoResult
				err := cli.Kite().Call(ctx, "NoSuchMethod", &args, &res)
				if kite.CodeOf(err) != kite.CodeUnknownMethod {
					t.Fatalf("got %v (code %v), want %v", err, kite.CodeOf(err), kite.CodeUnknownMethod)
				}
			})

			t.Run("EchoOneway", func(t *testing.T) {
				if err := cli.EchoOneway(ctx, &echo.Request{Action: "oneway", Msg: "fire"}); err != nil {
					t.Fatal(err)
				}
				select {
				case req := <-h.oneway:
					if req.Action != "oneway" || req.Msg != "fire" {
						t.Fatalf("handler got %+v", req)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("oneway request never reached the Apache handler")
				}
				resp, err := cli.Echo(ctx, &echo.Request{Action: "echo", Msg: "after oneway"})
				if err != nil || resp == nil || resp.Msg != "after oneway" {
					t.Fatalf("call after oneway: (%v, %v)", resp, err)
				}
			})

			if !c.framed {
				return // multiplexing needs frames with lengths
			}
			t.Run("MuxConnection", func(t *testing.T) {
				// 50 callers pipelined over one connection: the Apache
				// server answers them in order, each reply reaches its caller.
				mopts := append(opts[:len(opts):len(opts)], kite.WithMuxConnection(1))
				mcli, err := echoserver.NewClient(echoserver.ServiceName, mopts...)
				if err != nil {
					t.Fatal(err)
				}
				defer mcli.Close()
				var wg sync.WaitGroup
				for g := 0; g < 50; g++ {
					wg.Add(1)
					go func(g int) {
						defer wg.Done()
						for i := 0; i < 10; i++ {
							msg := strconv.Itoa(g) + "." + strconv.Itoa(i)
							resp, err := mcli.Echo(ctx, &echo.Request{Action: "echo", Msg: msg})
							if err != nil || resp == nil || resp.Msg != msg {
								t.Errorf("mux call %s: (%v, %v)", msg, resp, err)
								return
							}
						}
					}(g)
				}
				wg.Wait()
			})
		})
	}
}
