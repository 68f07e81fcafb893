package kite_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/ttheader"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// TestShutdownMarksReplies: a reply written during a graceful shutdown
// carries crrst=1, and the server closes the connection after it.
func TestShutdownMarksReplies(t *testing.T) {
	leakCheck(t)
	h := &handler{block: make(chan struct{}), started: make(chan struct{})}
	srv, addr, _ := serveOwn(t, h)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	var hdr ttheader.Header
	hdr.SeqID = 5
	b, _ := transport.BeginFrame(nil, transport.TTHeader, &hdr)
	b = thrift.AppendMessageBegin(b, thrift.Binary, "Echo", thrift.Call, 5)
	b = (&echoserver.EchoArgs{Req: &echo.Request{Action: "block", Msg: "m"}}).AppendBinary(b)
	transport.EndFrame(b, 0, transport.TTHeader)
	if _, err := conn.Write(b); err != nil {
		t.Fatal(err)
	}
	<-h.started
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	time.Sleep(50 * time.Millisecond)
	close(h.block)

	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rd := transport.NewReader(conn, 0)
	var m transport.Message
	if err := rd.ReadMessage(&m); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Header.Str(ttheader.KeyConnReset); v != "1" {
		t.Errorf("reply during shutdown lacks crrst=1: %+v", m.Header)
	}
	if err := rd.ReadMessage(&m); err != io.EOF {
		t.Errorf("connection not closed after the reply: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
