package echoserver_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

func readHex(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// payload strips TTHeader and Framed framing from a captured stream that
// holds one message.
func payload(t testing.TB, b []byte) []byte {
	t.Helper()
	if len(b) >= 14 && b[4] == 0x10 && b[5] == 0x00 {
		end := 4 + int(binary.BigEndian.Uint32(b))
		b = b[14+4*int(binary.BigEndian.Uint16(b[12:])) : end]
	}
	if len(b) >= 2 && b[0] == 0x80 && b[1] == 0x01 {
		return b
	}
	if len(b) < 4 || int(binary.BigEndian.Uint32(b))+4 != len(b) {
		t.Fatalf("bad framing")
	}
	return b[4:]
}

// TestKitexVectors decodes every Thrift message a real Kitex sent or
// answered (testdata, copied from ../../../../shared/vectors) with the
// generated structs, and checks that re-encoding gives the same bytes and
// that BinarySize is exact.
func TestKitexVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "thrift_*.hex"))
	if err != nil || len(files) < 30 {
		t.Fatalf("vectors: %v %d", err, len(files))
	}
	for _, f := range files {
		f := filepath.Base(f)
		t.Run(f, func(t *testing.T) {
			p := payload(t, readHex(t, f))
			name, typ, seq, n, err := thrift.ConsumeMessageBegin(p, thrift.Binary)
			if err != nil {
				t.Fatal(err)
			}
			body := p[n:]
			var s thrift.Struct
			switch {
			case typ == thrift.Exception:
				s = new(thrift.ApplicationException)
			case typ == thrift.Call || typ == thrift.Oneway:
				switch string(name) {
				case echoserver.MethodEchoWithException:
					s = new(echoserver.EchoWithExceptionArgs)
				case echoserver.MethodEchoOneway:
					s = new(echoserver.EchoOnewayArgs)
				default:
					s = new(echoserver.EchoArgs)
				}
			case string(name) == echoserver.MethodEchoWithException:
				s = new(echoserver.EchoWithExceptionResult)
			default:
				s = new(echoserver.EchoResult)
			}
			m, err := s.ConsumeBinary(body)
			if err != nil || m != len(body) {
				t.Fatalf("%T: %d of %d, %v", s, m, len(body), err)
			}
			if s.BinarySize() != len(body) {
				t.Fatalf("BinarySize %d, want %d", s.BinarySize(), len(body))
			}
			out := s.AppendBinary(thrift.AppendMessageBegin(nil, thrift.Binary, string(name), typ, seq))
			if string(out) != string(p) {
				t.Fatalf("re-encoded:\n% x\nwant\n% x", out, p)
			}
			if r, ok := s.(*echoserver.EchoWithExceptionResult); ok && strings.Contains(f, "exception") {
				if r.Err == nil || r.Err.Code != 42 || r.Err.Error() != "EchoException({Code:42 Message:kitexlab declared exception})" {
					t.Fatalf("exception %v", r.Err)
				}
			}
			c := s.AppendCompact(nil)
			s2 := reflect.New(reflect.TypeOf(s).Elem()).Interface().(thrift.Struct)
			if k, err := s2.ConsumeCompact(c); err != nil || k != len(c) || !reflect.DeepEqual(s, s2) {
				t.Fatalf("compact round trip: %d %v\n%+v\n%+v", k, err, s, s2)
			}
		})
	}
}

type handler struct{ oneways chan *echo.Request }

func (h *handler) Echo(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	return &echo.Response{Action: req.Action, Msg: req.Msg}, nil
}

func (h *handler) EchoComplex(ctx context.Context, req *echo.ComplexRequest) (*echo.ComplexResponse, error) {
	return &echo.ComplexResponse{Action: req.Action, Msg: req.Msg, MsgMap: req.MsgMap, SubMsgs: req.SubMsgs,
		MsgSet: req.MsgSet, FlagMsg: req.FlagMsg}, nil
}

func (h *handler) EchoWithException(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	if req.Action == "throw" {
		return nil, &echo.EchoException{Code: 42, Message: "declared"}
	}
	if req.Action == "error" {
		return nil, errors.New("plain failure")
	}
	return h.Echo(ctx, req)
}

func (h *handler) EchoOneway(ctx context.Context, req *echo.Request) error {
	h.oneways <- req
	return nil
}

// TestClientServer runs the generated server and client against each
// other over loopback, in every framing and both protocols.
func TestClientServer(t *testing.T) {
	h := &handler{oneways: make(chan *echo.Request, 1)}
	srv := echoserver.NewServer(h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-done; !errors.Is(err, kite.ErrServerClosed) {
			t.Error(err)
		}
	}()
	ctx := context.Background()
	id, val := int64(7), "seven"
	sub := &echo.SubMessage{ID: &id, Value: &val}
	creq := &echo.ComplexRequest{Action: "a", Msg: "m", MsgMap: map[string]*echo.SubMessage{"k": sub},
		SubMsgs: []*echo.SubMessage{sub, {}}, MsgSet: []*echo.Message{{ID: &id, SubMessages: []*echo.SubMessage{sub}}},
		FlagMsg: &echo.Message{Value: &val}}
	for _, f := range []transport.Framing{transport.Buffered, transport.Framed, transport.TTHeader, transport.TTHeaderFramed} {
		for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
			c, err := echoserver.NewClient(echoserver.ServiceName, kite.WithHostPorts(ln.Addr().String()),
				kite.WithTransport(f), kite.WithProtocol(p))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Echo(ctx, &echo.Request{Action: "echo", Msg: f.String()})
			if err != nil || resp.Msg != f.String() {
				t.Fatalf("%v %v: Echo: %v %v", f, p, resp, err)
			}
			cresp, err := c.EchoComplex(ctx, creq)
			if err != nil || !reflect.DeepEqual(cresp.MsgMap, creq.MsgMap) || !reflect.DeepEqual(cresp.SubMsgs[0], sub) ||
				*cresp.MsgSet[0].SubMessages[0].Value != "seven" || *cresp.FlagMsg.Value != "seven" {
				t.Fatalf("%v %v: EchoComplex: %+v %v", f, p, cresp, err)
			}
			_, err = c.EchoWithException(ctx, &echo.Request{Action: "throw"})
			var ee *echo.EchoException
			if !errors.As(err, &ee) || ee.Code != 42 || ee.Message != "declared" {
				t.Fatalf("%v %v: EchoWithException: %v", f, p, err)
			}
			if _, err = c.EchoWithException(ctx, &echo.Request{Action: "error"}); err == nil || errors.As(err, &ee) {
				t.Fatalf("%v %v: plain error: %v", f, p, err)
			}
			if err := c.EchoOneway(ctx, &echo.Request{Action: "one", Msg: "way"}); err != nil {
				t.Fatal(err)
			}
			select {
			case r := <-h.oneways:
				if r.Msg != "way" {
					t.Fatalf("oneway got %+v", r)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%v %v: oneway never arrived", f, p)
			}
			if c.Kite() == nil {
				t.Fatal("no kite client")
			}
			c.Close()
		}
	}
}
