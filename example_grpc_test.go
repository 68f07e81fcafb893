package kite_test

import (
	"context"
	"fmt"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
)

// gRPC keepalive on both sides. The client pings connections that have
// been quiet for a minute, idle ones too, and drops those that do not
// answer within 10 s; the server lets it (its default policy allows one
// ping per 5 minutes, none on idle connections) and drains connections
// after about 30 minutes, so that clients spread over new instances.
func ExampleWithGRPCKeepalive() {
	addr, stop := serve(
		kite.WithGRPCKeepaliveEnforcement(kite.GRPCKeepaliveEnforcement{MinTime: time.Minute, PermitWithoutStream: true}),
		kite.WithGRPCServerKeepalive(kite.GRPCServerKeepalive{MaxConnectionAge: 30 * time.Minute, MaxConnectionAgeGrace: time.Minute}),
	)
	defer stop()

	ka := kite.WithGRPCKeepalive(kite.GRPCKeepalive{Time: time.Minute, Timeout: 10 * time.Second, PermitWithoutStream: true})
	cli, err := echoserver.NewClient("EchoServer", kite.WithHostPorts(addr), kite.WithGRPC(), ka)
	if err != nil {
		panic(err)
	}
	defer cli.Close()
	resp, err := cli.Echo(context.Background(), &echo.Request{Action: "echo", Msg: "kite"})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Msg)
	fmt.Println(ka)
	// Output:
	// hello, kite
	// WithGRPCKeepalive(1m0s, 10s, true)
}
