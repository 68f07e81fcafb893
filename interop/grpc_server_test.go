package interop

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/kite-rpc/kite/internal/pbecho"
)

var (
	serverStreamDesc = &grpc.StreamDesc{StreamName: "ServerStream", ServerStreams: true}
	clientStreamDesc = &grpc.StreamDesc{StreamName: "ClientStream", ClientStreams: true}
	bidiDesc         = &grpc.StreamDesc{StreamName: "Bidi", ServerStreams: true, ClientStreams: true}
)

const (
	echoPath = "/protobuf.Echo/echo"
	n1000    = 1000
)

func dialGRPCGo(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// TestGRPCGoClientToKiteServer drives Kite's gRPC server with grpc-go's
// client: unary, the three stream kinds with 1,000 messages, deadlines,
// cancellation, metadata, status details, gzip, large messages,
// concurrency and unknown methods.
func TestGRPCGoClientToKiteServer(t *testing.T) {
	checkGoroutines(t)
	h := &kitePB{canceled: make(chan error, 16)}
	addr := startKitePB(t, h)
	cc := dialGRPCGo(t, addr)
	ctx := context.Background()
	testGRPCGoClient(t, ctx, cc, func() <-chan error { return h.canceled }, true)
}

// testGRPCGoClient runs the client-side checks against a server (Kite's,
// or grpc-go's own as a control).
func testGRPCGoClient(t *testing.T, ctx context.Context, cc *grpc.ClientConn, canceled func() <-chan error, kiteServer bool) {
	t.Run("unary", func(t *testing.T) {
		resp := new(pbecho.Response)
		if err := cc.Invoke(ctx, echoPath, &pbecho.Request{Action: "echo", Msg: "hello"}, resp); err != nil {
			t.Fatal(err)
		}
		if resp.Msg != "hello" || resp.Action != "echo" {
			t.Fatalf("resp %v", resp)
		}
	})
	t.Run("error", func(t *testing.T) {
		err := cc.Invoke(ctx, echoPath, &pbecho.Request{Action: "error"}, new(pbecho.Response))
		if status.Code(err) != codes.Internal {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("server-stream", func(t *testing.T) {
		st, err := cc.NewStream(ctx, serverStreamDesc, "/protobuf.Echo/ServerStream")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SendMsg(&pbecho.Request{Action: strconv.Itoa(n1000), Msg: "x"}); err != nil {
			t.Fatal(err)
		}
		_ = st.CloseSend()
		for i := 0; ; i++ {
			m := new(pbecho.Response)
			err := st.RecvMsg(m)
			if err == io.EOF {
				if i != n1000 {
					t.Fatalf("got %d messages", i)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Action != strconv.Itoa(i) {
				t.Fatalf("message %d: %v", i, m)
			}
		}
	})
	t.Run("client-stream", func(t *testing.T) {
		st, err := cc.NewStream(ctx, clientStreamDesc, "/protobuf.Echo/ClientStream")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n1000; i++ {
			if err := st.SendMsg(&pbecho.Request{Msg: strconv.Itoa(i)}); err != nil {
				t.Fatal(err)
			}
		}
		_ = st.CloseSend()
		m := new(pbecho.Response)
		if err := st.RecvMsg(m); err != nil {
			t.Fatal(err)
		}
		if m.Action != "1000" || m.Msg != "999" {
			t.Fatalf("resp %v", m)
		}
		if err := st.RecvMsg(m); err != io.EOF {
			t.Fatalf("after the response: %v", err)
		}
	})
	t.Run("bidi", func(t *testing.T) {
		st, err := cc.NewStream(ctx, bidiDesc, "/protobuf.Echo/Bidi")
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			for i := 0; i < n1000; i++ {
				if err := st.SendMsg(&pbecho.Request{Action: "b", Msg: strconv.Itoa(i)}); err != nil {
					errc <- err
					return
				}
			}
			errc <- st.CloseSend()
		}()
		for i := 0; ; i++ {
			m := new(pbecho.Response)
			err := st.RecvMsg(m)
			if err == io.EOF {
				if i != n1000 {
					t.Fatalf("got %d", i)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Msg != strconv.Itoa(i) {
				t.Fatalf("message %d: %v", i, m)
			}
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		err := cc.Invoke(dctx, echoPath, &pbecho.Request{Action: "sleep", Msg: "2000"}, new(pbecho.Response))
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("err %v", err)
		}
		select {
		case <-canceled():
		case <-time.After(2 * time.Second):
			t.Fatal("the handler's context did not end")
		}
	})
	t.Run("cancel-mid-stream", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		st, err := cc.NewStream(cctx, bidiDesc, "/protobuf.Echo/Bidi")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			if err := st.SendMsg(&pbecho.Request{Msg: "m"}); err != nil {
				t.Fatal(err)
			}
			if err := st.RecvMsg(new(pbecho.Response)); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		if err := st.RecvMsg(new(pbecho.Response)); status.Code(err) != codes.Canceled {
			t.Fatalf("after cancel: %v", err)
		}
		select {
		case <-canceled():
		case <-time.After(2 * time.Second):
			t.Fatal("the handler did not see the cancellation")
		}
	})
	t.Run("metadata", func(t *testing.T) {
		var hdr, trl metadata.MD
		mctx := metadata.AppendToOutgoingContext(ctx, "x-user", "u1")
		resp := new(pbecho.Response)
		if err := cc.Invoke(mctx, echoPath, &pbecho.Request{Action: "md"}, resp, grpc.Header(&hdr), grpc.Trailer(&trl)); err != nil {
			t.Fatal(err)
		}
		if resp.Msg != "u1" || strings.Join(hdr.Get("x-echo-hdr"), ",") != "u1" || strings.Join(trl.Get("x-echo-trl"), ",") != "u1" ||
			strings.Join(trl.Get("x-bin-bin"), ",") != "\x00\x01u1" {
			t.Fatalf("resp %v header %v trailer %v", resp, hdr, trl)
		}
	})
	t.Run("status-details", func(t *testing.T) {
		msg := "bad"
		if kiteServer {
			st, _ := status.New(codes.InvalidArgument, "kite: bad").WithDetails(&errdetails.ErrorInfo{Reason: "BAD", Domain: "kite.test"})
			b, _ := proto.Marshal(st.Proto())
			msg = string(b)
		}
		err := cc.Invoke(ctx, echoPath, &pbecho.Request{Action: "details", Msg: msg}, new(pbecho.Response))
		st := status.Convert(err)
		if st.Code() != codes.InvalidArgument || len(st.Details()) != 1 {
			t.Fatalf("status %v details %v", st, st.Details())
		}
		if ei, ok := st.Details()[0].(*errdetails.ErrorInfo); !ok || ei.Reason != "BAD" {
			t.Fatalf("details %v", st.Details())
		}
	})
	t.Run("gzip", func(t *testing.T) {
		big := strings.Repeat("gzip me ", 4096)
		resp := new(pbecho.Response)
		if err := cc.Invoke(ctx, echoPath, &pbecho.Request{Action: "echo", Msg: big}, resp, grpc.UseCompressor(gzip.Name)); err != nil {
			t.Fatal(err)
		}
		if resp.Msg != big {
			t.Fatal("gzip echo differs")
		}
	})
	t.Run("4MB", func(t *testing.T) {
		big := strings.Repeat("x", 4<<20-64)
		resp := new(pbecho.Response)
		if err := cc.Invoke(ctx, echoPath, &pbecho.Request{Action: "echo", Msg: big}, resp); err != nil {
			t.Fatal(err)
		}
		if len(resp.Msg) != len(big) {
			t.Fatalf("got %d bytes", len(resp.Msg))
		}
	})
	t.Run("too-large", func(t *testing.T) {
		big := strings.Repeat("x", 5<<20)
		err := cc.Invoke(ctx, echoPath, &pbecho.Request{Action: "echo", Msg: big}, new(pbecho.Response))
		if status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("err %v", err)
		}
		// The connection still works.
		if err := cc.Invoke(ctx, echoPath, &pbecho.Request{Action: "echo", Msg: "after"}, new(pbecho.Response)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("100-concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				st, err := cc.NewStream(ctx, bidiDesc, "/protobuf.Echo/Bidi")
				if err != nil {
					errs <- err
					return
				}
				for j := 0; j < 20; j++ {
					msg := strconv.Itoa(i) + "/" + strconv.Itoa(j)
					if err := st.SendMsg(&pbecho.Request{Msg: msg}); err != nil {
						errs <- err
						return
					}
					m := new(pbecho.Response)
					if err := st.RecvMsg(m); err != nil || m.Msg != msg {
						errs <- errors.New("bad echo " + m.Msg)
						return
					}
				}
				_ = st.CloseSend()
				if err := st.RecvMsg(new(pbecho.Response)); err != io.EOF {
					errs <- err
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
	if kiteServer {
		t.Run("unknown-method", func(t *testing.T) {
			err := cc.Invoke(ctx, "/protobuf.Echo/Nope", &pbecho.Request{}, new(pbecho.Response))
			if status.Code(err) != codes.Unimplemented {
				t.Fatalf("err %v", err)
			}
			err = cc.Invoke(ctx, "/protobuf.Nope/echo", &pbecho.Request{}, new(pbecho.Response))
			if status.Code(err) != codes.Unimplemented {
				t.Fatalf("err %v", err)
			}
		})
		t.Run("biz-error", func(t *testing.T) {
			var trl metadata.MD
			err := cc.Invoke(ctx, echoPath, &pbecho.Request{Action: "biz"}, new(pbecho.Response), grpc.Trailer(&trl))
			if status.Code(err) != codes.Internal || status.Convert(err).Message() != "biz status" ||
				strings.Join(trl.Get("biz-status"), "") != "10001" || strings.Join(trl.Get("biz-extra"), "") != `{"k":"v"}` {
				t.Fatalf("err %v trailer %v", err, trl)
			}
		})
	}
}

// TestGRPCGoClientToKiteServerTLS calls Kite's server over TLS (ALPN h2).
func TestGRPCGoClientToKiteServerTLS(t *testing.T) {
	checkGoroutines(t)
	srvTLS, cliTLS := selfSigned(t)
	addr := startKitePB(t, &kitePB{}, kiteWithTLS(srvTLS))
	cc := dialGRPCGo(t, addr, grpc.WithTransportCredentials(credentials.NewTLS(cliTLS)))
	resp := new(pbecho.Response)
	if err := cc.Invoke(context.Background(), echoPath, &pbecho.Request{Action: "echo", Msg: "tls"}, resp); err != nil {
		t.Fatal(err)
	}
	if resp.Msg != "tls" {
		t.Fatalf("resp %v", resp)
	}
}

var _ = anypb.Any{}
var _ = spb.Status{}
