// Command netpollecho serves the Thrift echo (EchoServer.Echo, Framed,
// binary) on github.com/cloudwego/netpoll, with Kite's generated codec: the
// reference poller of BENCHMARKS.md's epoll section. It does only what the
// echo needs (no header sniffing, RPCInfo, middlewares or limits), so it
// bounds what a poller with Kite's codec can do, not what Kitex does.
//
//	netpollecho -addr 127.0.0.1:9002
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"log"
	"time"

	"github.com/cloudwego/netpoll"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9002", "listen address")
	flag.Parse()
	ln, err := netpoll.CreateListener("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	loop, err := netpoll.NewEventLoop(onRequest, netpoll.WithIdleTimeout(10*time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("netpollecho: serving EchoServer.Echo (Framed, binary) on %s", *addr)
	log.Fatal(loop.Serve(ln))
}

var errBadFrame = errors.New("netpollecho: not a Framed Thrift binary Echo call")

// onRequest answers every whole frame the connection holds, flushing the
// replies once, as Kite's poller server does.
func onRequest(_ context.Context, conn netpoll.Connection) error {
	r, w := conn.Reader(), conn.Writer()
	defer r.Release()
	for r.Len() >= 4 {
		hdr, err := r.Peek(4)
		if err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint32(hdr))
		if n <= 0 || n > 16<<20 {
			return errBadFrame
		}
		frame, err := r.Next(4 + n) // waits for the rest of the frame
		if err != nil {
			return err
		}
		name, typ, seq, k, err := thrift.ConsumeMessageBegin(frame[4:], thrift.Binary)
		if err != nil || typ != thrift.Call || string(name) != "Echo" {
			return errBadFrame
		}
		var args echoserver.EchoArgs
		if _, err := thrift.Consume(frame[4+k:], thrift.Binary, &args); err != nil {
			return err
		}
		res := echoserver.EchoResult{Success: &echo.Response{}}
		if args.Req != nil {
			res.Success.Action, res.Success.Msg = args.Req.Action, args.Req.Msg
		}
		size := 4 + thrift.MessageBeginSize(thrift.Binary, "Echo") + res.BinarySize()
		out, err := w.Malloc(size)
		if err != nil {
			return err
		}
		b := thrift.AppendMessageBegin(out[:4], thrift.Binary, "Echo", thrift.Reply, seq)
		b = res.AppendBinary(b)
		if len(b) != size {
			return errors.New("netpollecho: reply size miscounted")
		}
		binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	}
	return w.Flush()
}
