// This file is copied into the temporary module of protoc-gen-kite's
// end-to-end test, next to the code protoc generates from e2e.proto.

package e2epb_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/kitee2e/e2epb"
	"github.com/kite-rpc/kite"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// unknown is an unknown field (99: "x") the Echo handler adds to its
// reply; the generated reply copy must keep it.
var unknown = protowire.AppendString(protowire.AppendTag(nil, 99, protowire.BytesType), "x")

type server struct{}

var _ e2epb.EchoHandler = server{}

func (server) Echo(ctx context.Context, req *e2epb.Req) (*e2epb.Resp, error) {
	if req.Msg == "fail" {
		return nil, &kite.Error{Code: kite.CodeInvalidArgument, Message: "asked to fail"}
	}
	resp := &e2epb.Resp{
		Msg:    req.Msg,
		Value:  &e2epb.Resp_Number{Number: int64(req.N)},
		Note:   proto.String("note"),
		Tags:   []string{"a", "b"},
		Counts: map[string]int32{"n": req.N},
		Inner:  &e2epb.Inner{V: "inner"},
	}
	resp.ProtoReflect().SetUnknown(unknown)
	return resp, nil
}

func (server) Ping(ctx context.Context, req *emptypb.Empty) (*emptypb.Empty, error) {
	return new(emptypb.Empty), nil
}

func (server) ServerStream(req *e2epb.Req, st *kite.ServerStreamOf[e2epb.Req, e2epb.Resp]) error {
	for i := 0; i < int(req.N); i++ {
		if err := st.Send(&e2epb.Resp{Msg: req.Msg + strconv.Itoa(i)}); err != nil {
			return err
		}
	}
	return nil
}

func (server) ClientStream(st *kite.ServerStreamOf[e2epb.Req, e2epb.Resp]) error {
	var msgs []string
	for {
		req, err := st.Recv()
		if err == io.EOF {
			return st.Send(&e2epb.Resp{Msg: strings.Join(msgs, ",")})
		}
		if err != nil {
			return err
		}
		msgs = append(msgs, req.Msg)
	}
}

func (server) Bidi(st *kite.ServerStreamOf[e2epb.Req, e2epb.Resp]) error {
	for {
		req, err := st.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := st.Send(&e2epb.Resp{Msg: "re:" + req.Msg}); err != nil {
			return err
		}
	}
}

func start(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := e2epb.NewEchoServer(server{})
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return ln.Addr().String()
}

func client(t *testing.T, addr string, protocol kite.ClientOption) *e2epb.EchoClient {
	t.Helper()
	c, err := e2epb.NewEchoClient(e2epb.EchoServiceName, protocol, kite.WithHostPorts(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestServiceInfo(t *testing.T) {
	si := e2epb.EchoServiceInfo()
	if si.Name != "Echo" || si.Package != "kite.e2e.v1" {
		t.Errorf("Name, Package = %q, %q", si.Name, si.Package)
	}
	want := map[string]kite.StreamKind{
		"Echo": kite.Unary, "Ping": kite.Unary, "ServerStream": kite.ServerStreaming,
		"ClientStream": kite.ClientStreaming, "Bidi": kite.BidiStreaming,
	}
	if len(si.Methods) != len(want) {
		t.Errorf("%d methods, want %d", len(si.Methods), len(want))
	}
	for name, kind := range want {
		m, ok := si.Methods[name]
		if !ok {
			t.Errorf("no method %s", name)
			continue
		}
		if m.Streaming != kind {
			t.Errorf("%s: Streaming = %v, want %v", name, m.Streaming, kind)
		}
		if _, ok := m.NewArgs().(proto.Message); !ok {
			t.Errorf("%s: NewArgs is not a proto.Message", name)
		}
		if _, ok := m.NewResult().(proto.Message); !ok {
			t.Errorf("%s: NewResult is not a proto.Message", name)
		}
	}
}

func testUnary(t *testing.T, c *e2epb.EchoClient) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.Echo(ctx, &e2epb.Req{Msg: "hello", N: 7})
	if err != nil {
		t.Fatalf("Echo: %v", err)
	}
	want := &e2epb.Resp{
		Msg: "hello", Value: &e2epb.Resp_Number{Number: 7}, Note: proto.String("note"),
		Tags: []string{"a", "b"}, Counts: map[string]int32{"n": 7}, Inner: &e2epb.Inner{V: "inner"},
	}
	want.ProtoReflect().SetUnknown(unknown)
	if !proto.Equal(resp, want) {
		t.Errorf("Echo = %v, want %v", resp, want)
	}
	if u := resp.ProtoReflect().GetUnknown(); !bytes.Equal(u, unknown) {
		t.Errorf("unknown fields = %x, want %x", u, unknown)
	}
	if _, err := c.Echo(ctx, &e2epb.Req{Msg: "fail"}); err == nil {
		t.Error("Echo(fail) succeeded")
	} else if !strings.Contains(err.Error(), "asked to fail") {
		t.Errorf("Echo(fail) = %v, want the handler's error", err)
	}
	if _, err := c.Ping(ctx, new(emptypb.Empty)); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestGRPC(t *testing.T) {
	addr := start(t)
	c := client(t, addr, kite.WithGRPC())
	t.Run("Unary", func(t *testing.T) {
		testUnary(t, c)
		_, err := c.Echo(context.Background(), &e2epb.Req{Msg: "fail"})
		if code := kite.CodeOf(err); code != kite.CodeInvalidArgument {
			t.Errorf("Echo(fail): code %v, want %v", code, kite.CodeInvalidArgument)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t.Run("ServerStream", func(t *testing.T) {
		st, err := c.ServerStream(ctx, &e2epb.Req{Msg: "m", N: 3})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			r, err := st.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, r.Msg)
		}
		if strings.Join(got, " ") != "m0 m1 m2" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("ClientStream", func(t *testing.T) {
		st, err := c.ClientStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []string{"a", "b", "c"} {
			if err := st.Send(&e2epb.Req{Msg: m}); err != nil {
				t.Fatal(err)
			}
		}
		r, err := st.CloseAndRecv()
		if err != nil {
			t.Fatal(err)
		}
		if r.Msg != "a,b,c" {
			t.Errorf("got %q", r.Msg)
		}
	})
	t.Run("Bidi", func(t *testing.T) {
		st, err := c.Bidi(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []string{"x", "y"} {
			if err := st.Send(&e2epb.Req{Msg: m}); err != nil {
				t.Fatal(err)
			}
			r, err := st.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if r.Msg != "re:"+m {
				t.Errorf("got %q, want %q", r.Msg, "re:"+m)
			}
		}
		if err := st.CloseSend(); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recv(); err != io.EOF {
			t.Errorf("Recv after CloseSend = %v, want io.EOF", err)
		}
	})
}

func TestKitexProtobuf(t *testing.T) {
	addr := start(t)
	testUnary(t, client(t, addr, kite.WithKitexProtobuf()))
}
