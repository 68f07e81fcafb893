package main

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/netpoll"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// TestEchoWithKiteClient checks the reference server answers Kite's client,
// one call per connection and pipelined, with the bytes it was sent. (No
// goroutine count: netpoll keeps its poll goroutines for the process.)
func TestEchoWithKiteClient(t *testing.T) {
	ln, err := netpoll.CreateListener("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	loop, err := netpoll.NewEventLoop(onRequest)
	if err != nil {
		t.Fatal(err)
	}
	go loop.Serve(ln)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = loop.Shutdown(ctx)
	}()
	for _, mux := range []int{0, 2} {
		opts := []kite.ClientOption{kite.WithHostPorts(ln.Addr().String()), kite.WithTransport(transport.Framed), kite.WithRPCTimeout(5 * time.Second)}
		if mux > 0 {
			opts = append(opts, kite.WithMuxConnection(mux))
		}
		cli, err := echoserver.NewClient(echoserver.ServiceName, opts...)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := 0; g < 20; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					msg := strconv.Itoa(g*100+i) + string(make([]byte, g*500))
					resp, err := cli.Echo(context.Background(), &echo.Request{Action: "echo", Msg: msg})
					if err != nil || resp.Msg != msg || resp.Action != "echo" {
						t.Errorf("mux=%d call %d/%d: %v", mux, g, i, err)
						return
					}
				}
			}(g)
		}
		wg.Wait()
		cli.Close()
	}
}
