package kite_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/ttheader"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// echoFrame encodes an Echo call of framing f with sequence id seq.
func echoFrame(t *testing.T, b []byte, f transport.Framing, seq int32, msg string) []byte {
	t.Helper()
	return callFrame(b, f, seq, msg, false)
}

// sleepFrame encodes a Framed Echo call whose handler sleeps 200 ms.
func sleepFrame(t *testing.T, seq int32) []byte {
	t.Helper()
	b, _ := transport.BeginFrame(nil, transport.Framed, nil)
	b = thrift.AppendMessageBegin(b, thrift.Binary, "Echo", thrift.Call, seq)
	b = thrift.Append(b, thrift.Binary, &echoserver.EchoArgs{Req: &echo.Request{Action: "sleep"}})
	transport.EndFrame(b, 0, transport.Framed)
	return b
}

// readEchoReplies reads n replies and checks they answer seq first..first+n-1
// in order.
func readEchoReplies(t *testing.T, rd *transport.Reader, first, n int, msgOf func(int) string) {
	t.Helper()
	var m transport.Message
	for i := 0; i < n; i++ {
		if err := rd.ReadMessage(&m); err != nil {
			t.Fatalf("reply %d of %d: %v", i, n, err)
		}
		_, typ, seq, k, err := thrift.ConsumeMessageBegin(m.Body, thrift.Binary)
		if err != nil || typ != thrift.Reply {
			t.Fatalf("reply %d: type %v, err %v", i, typ, err)
		}
		if want := int32(first + i); seq != want {
			t.Fatalf("reply %d: seq %d, want %d (out of order)", i, seq, want)
		}
		var res echoserver.EchoResult
		if _, err := thrift.Consume(m.Body[k:], thrift.Binary, &res); err != nil {
			t.Fatal(err)
		}
		if res.Success == nil || res.Success.Msg != msgOf(first+i) {
			t.Fatalf("reply %d: wrong body", i)
		}
	}
}

// TestPipelinedRequests sends many requests before reading any reply (the
// servers answer them in order, sending a batch of replies together) and
// checks that nothing is lost when the input ends with garbage or a
// half-close, or when the caller reads its replies late.
func TestPipelinedRequests(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &handler{})
	dial := func(t *testing.T) *net.TCPConn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		return c.(*net.TCPConn)
	}
	for _, f := range []transport.Framing{transport.Framed, transport.TTHeader, transport.TTHeaderFramed, transport.Buffered} {
		t.Run(f.String(), func(t *testing.T) {
			c := dial(t)
			var b []byte
			for i := 1; i <= 200; i++ {
				b = echoFrame(t, b, f, int32(i), small(i))
			}
			if _, err := c.Write(b); err != nil {
				t.Fatal(err)
			}
			rd := transport.NewReader(c, 0)
			readEchoReplies(t, rd, 1, 200, small)
			// The connection is still good for one more round.
			if _, err := c.Write(echoFrame(t, nil, f, 201, small(201))); err != nil {
				t.Fatal(err)
			}
			readEchoReplies(t, rd, 201, 1, small)
		})
	}
	t.Run("then garbage", func(t *testing.T) {
		c := dial(t)
		var b []byte
		for i := 1; i <= 20; i++ {
			b = echoFrame(t, b, transport.Framed, int32(i), small(i))
		}
		b = append(b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		rd := transport.NewReader(c, 0)
		readEchoReplies(t, rd, 1, 20, small)
		var m transport.Message
		if err := rd.ReadMessage(&m); !errors.Is(err, io.EOF) {
			t.Fatalf("after garbage: %v, want the connection closed", err)
		}
	})
	t.Run("then half-close", func(t *testing.T) {
		c := dial(t)
		var b []byte
		for i := 1; i <= 50; i++ {
			b = echoFrame(t, b, transport.TTHeaderFramed, int32(i), small(i))
		}
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		_ = c.CloseWrite()
		rd := transport.NewReader(c, 0)
		readEchoReplies(t, rd, 1, 50, small)
		var m transport.Message
		if err := rd.ReadMessage(&m); !errors.Is(err, io.EOF) {
			t.Fatalf("after half-close: %v, want EOF", err)
		}
	})
	t.Run("slow handler does not hold earlier replies", func(t *testing.T) {
		// An echo and a 200 ms sleep pipelined: the echo's reply must not
		// wait in a batch for the sleep's.
		c := dial(t)
		b := echoFrame(t, nil, transport.Framed, 1, small(1))
		start := len(b)
		b = echoFrame(t, b, transport.Framed, 2, "slow")
		// Make the second call the handler's "sleep" action.
		b = append(b[:start], sleepFrame(t, 2)...)
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		rd := transport.NewReader(c, 0)
		began := time.Now()
		readEchoReplies(t, rd, 1, 1, small)
		if d := time.Since(began); d > 120*time.Millisecond {
			t.Fatalf("the first reply took %v: held behind the slow call", d)
		}
		var m transport.Message
		if err := rd.ReadMessage(&m); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("replies read late", func(t *testing.T) {
		// 400 × 16 KiB of requests written while nothing is read for a
		// while (the server's queued replies fill the sockets and it must
		// wait for them to drain): all are answered once the caller reads.
		c := dial(t)
		big := func(i int) string { return strings.Repeat(string(rune('a'+i%26)), 16<<10) }
		werr := make(chan error, 1)
		go func() {
			var b []byte
			for i := 1; i <= 400; i++ {
				b = echoFrame(t, b[:0], transport.Framed, int32(i), big(i))
				if _, err := c.Write(b); err != nil {
					werr <- err
					return
				}
			}
			werr <- nil
		}()
		time.Sleep(300 * time.Millisecond)
		rd := transport.NewReader(c, 0)
		readEchoReplies(t, rd, 1, 400, big)
		if err := <-werr; err != nil {
			t.Fatal(err)
		}
	})
}

// TestShutdownAnswersPipelined: requests already received when Shutdown
// begins are all answered (with crrst) before the connection closes, not
// dropped; a mux client's idle connection gets Kitex's control frame.
func TestShutdownAnswersPipelined(t *testing.T) {
	leakCheck(t)
	t.Run("pipelined behind a slow call", func(t *testing.T) {
		srv, addr := startServer(t, &handler{})
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		b := ttFrame(t, nil, 0, 1, &echo.Request{Action: "sleep"})
		for i := 2; i <= 6; i++ {
			b = ttFrame(t, b, 0, int32(i), &echo.Request{Action: "echo", Msg: small(i)})
		}
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // the sleep is running
		done := make(chan error, 1)
		go func() { done <- srv.Shutdown(context.Background()) }()
		rd := transport.NewReader(c, 0)
		var m transport.Message
		for i := 1; i <= 6; i++ {
			if err := rd.ReadMessage(&m); err != nil {
				t.Fatalf("reply %d: %v (requests received before Shutdown were dropped)", i, err)
			}
			if v, _ := m.Header.Str(ttheader.KeyConnReset); v != "1" {
				t.Fatalf("reply %d without crrst", i)
			}
		}
		if err := rd.ReadMessage(&m); !errors.Is(err, io.EOF) {
			t.Fatalf("after the replies: %v, want EOF", err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	// Repeated: Shutdown can land while the request that was just
	// answered is still ending, and the connection must then get the frame
	// as it closes (on the poller it did not, in about 2 % of runs).
	t.Run("mux control frame", func(t *testing.T) {
		for i := 0; i < 30; i++ {
			srv, addr := startServer(t, &handler{})
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write(ttFrame(t, nil, ttheader.FlagSupportOutOfOrder, 1, &echo.Request{Action: "echo", Msg: "m"})); err != nil {
				t.Fatal(err)
			}
			rd := transport.NewReader(c, 0)
			var m transport.Message
			if err := rd.ReadMessage(&m); err != nil {
				t.Fatal(err)
			}
			if err := srv.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(c)
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, muxControlFrame) { // mux_test.go: WIRE.md §7.3
				t.Fatalf("run %d: after Shutdown the mux connection got % x, want Kitex's control frame", i, got)
			}
		}
	})
}

// small is the message of pipelined call i.
func small(i int) string { return "m" + strconv.Itoa(i) }

// ttFrame encodes a TTHeader (unframed payload) Echo call with flags.
func ttFrame(t *testing.T, b []byte, flags uint16, seq int32, req *echo.Request) []byte {
	t.Helper()
	start := len(b)
	b, err := transport.BeginFrame(b, transport.TTHeader, &ttheader.Header{SeqID: seq, Flags: flags})
	if err != nil {
		t.Fatal(err)
	}
	b = thrift.AppendMessageBegin(b, thrift.Binary, "Echo", thrift.Call, seq)
	b = thrift.Append(b, thrift.Binary, &echoserver.EchoArgs{Req: req})
	transport.EndFrame(b, start, transport.TTHeader)
	return b
}

// TestMeshHeaderRequest sends requests behind a MeshHeader (WIRE.md §2.4,
// what a mesh proxy puts before a Framed or Buffered message): the server
// reads the metainfo in its key-values and answers in the inner framing,
// without a MeshHeader, as Kitex does.
func TestMeshHeaderRequest(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &handler{})
	for _, f := range []transport.Framing{transport.Framed, transport.Buffered} {
		t.Run(f.String(), func(t *testing.T) {
			inner, _ := transport.BeginFrame(nil, f, nil)
			inner = thrift.AppendMessageBegin(inner, thrift.Binary, "Echo", thrift.Call, 7)
			inner = thrift.Append(inner, thrift.Binary, &echoserver.EchoArgs{Req: &echo.Request{Action: "meta"}})
			transport.EndFrame(inner, 0, f)
			var info []byte
			info = binary.BigEndian.AppendUint16(info, 2)
			for _, s := range []string{ttheader.PrefixTransient + "k1", "v1", ttheader.PrefixPersistent + "pk1", "pv1"} {
				info = binary.BigEndian.AppendUint16(info, uint16(len(s)))
				info = append(info, s...)
			}
			req := binary.BigEndian.AppendUint16([]byte{0xFF, 0xAF}, uint16(len(info)))
			req = append(append(req, info...), inner...)

			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			var m transport.Message
			if err := transport.NewReader(c, 0).ReadMessage(&m); err != nil {
				t.Fatal(err)
			}
			if m.Framing != f || m.Mesh {
				t.Errorf("reply framing %v, mesh %v; want %v without a MeshHeader", m.Framing, m.Mesh, f)
			}
			_, typ, seq, k, err := thrift.ConsumeMessageBegin(m.Body, thrift.Binary)
			if err != nil || typ != thrift.Reply || seq != 7 {
				t.Fatalf("reply type %v seq %d: %v", typ, seq, err)
			}
			var res echoserver.EchoResult
			if _, err := thrift.Consume(m.Body[k:], thrift.Binary, &res); err != nil {
				t.Fatal(err)
			}
			if res.Success == nil || res.Success.Msg != "v1,pv1" {
				t.Errorf("metainfo the handler saw: %+v, want v1,pv1", res.Success)
			}
		})
	}
}
