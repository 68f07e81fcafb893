package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
)

// TestGRPCThrift: a Thrift method called over gRPC the way Kitex does it
// (WIRE.md §5.1): path /<package>.<Service>/<Method>, content-type
// application/grpc+thrift, the Args wrapper as the message; the reply is the
// Result wrapper.
func TestGRPCThrift(t *testing.T) {
	addr, stop := startEchoServer(t)
	defer stop()

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, http2.ClientPreface)
	fr := http2.NewFramer(conn, conn)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/echo.EchoServer/Echo"},
		{":authority", "EchoServer"}, {"content-type", "application/grpc+thrift"}, {"te", "trailers"}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	args := (&echoserver.EchoArgs{Req: &echo.Request{Action: "echo", Msg: "hi"}}).AppendBinary(nil)
	msg := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(args)))
	fr.WriteData(1, true, append(msg, args...))

	var data []byte
	headers := map[string]string{}
	for done := false; !done; {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			for _, hf := range f.Fields {
				headers[hf.Name] = hf.Value
			}
			done = f.StreamEnded()
		case *http2.DataFrame:
			data = append(data, f.Data()...)
			done = f.StreamEnded()
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		}
	}
	if headers["grpc-status"] != "0" || headers["content-type"] != "application/grpc+thrift" {
		t.Fatalf("headers %v", headers)
	}
	if len(data) < 5 {
		t.Fatalf("reply %x", data)
	}
	var res echoserver.EchoResult
	if _, err := res.ConsumeBinary(data[5:]); err != nil {
		t.Fatal(err)
	}
	if res.Success == nil || res.Success.Msg != "hi" {
		t.Fatalf("result %+v", res)
	}
}
