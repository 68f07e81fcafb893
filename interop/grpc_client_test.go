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
	"google.golang.org/grpc/credentials"
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/protobuf/proto"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/internal/pbecho"
	"github.com/kite-rpc/kite/interop/grpcecho"
)

func kiteGRPCClient(t *testing.T, addr string, opts ...kite.ClientOption) *pbecho.Client {
	t.Helper()
	opts = append([]kite.ClientOption{kite.WithGRPC(), kite.WithHostPorts(addr)}, opts...)
	c, err := pbecho.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestKiteClientToGRPCGoServer drives grpc-go's server with Kite's gRPC
// client, with the same checks as the other direction.
func TestKiteClientToGRPCGoServer(t *testing.T) {
	checkGoroutines(t)
	gs := &grpcecho.Server{Canceled: make(chan error, 16)}
	addr := startGRPCGo(t, gs)
	cli := kiteGRPCClient(t, addr)
	testKiteClient(t, cli, addr, gs.Canceled)
}

// TestKiteClientToKiteServer runs the same client checks against Kite's
// own gRPC server.
func TestKiteClientToKiteServer(t *testing.T) {
	checkGoroutines(t)
	h := &kitePB{canceled: make(chan error, 16)}
	addr := startKitePB(t, h)
	cli := kiteGRPCClient(t, addr)
	testKiteClient(t, cli, addr, h.canceled)
}

func testKiteClient(t *testing.T, cli *pbecho.Client, addr string, canceled chan error) {
	ctx := context.Background()
	t.Run("unary", func(t *testing.T) {
		r, err := cli.Echo(ctx, &pbecho.Request{Action: "echo", Msg: "hello"})
		if err != nil || r.Msg != "hello" {
			t.Fatalf("%v %v", r, err)
		}
	})
	t.Run("error", func(t *testing.T) {
		_, err := cli.Echo(ctx, &pbecho.Request{Action: "error"})
		if kite.CodeOf(err) != kite.CodeInternal {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("server-stream", func(t *testing.T) {
		st, err := cli.ServerStream(ctx, &pbecho.Request{Action: strconv.Itoa(n1000), Msg: "x"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			m, err := st.Recv()
			if err == io.EOF {
				if i != n1000 {
					t.Fatalf("got %d", i)
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
		st, err := cli.ClientStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n1000; i++ {
			if err := st.Send(&pbecho.Request{Msg: strconv.Itoa(i)}); err != nil {
				t.Fatal(err)
			}
		}
		m, err := st.CloseAndRecv()
		if err != nil || m.Action != "1000" || m.Msg != "999" {
			t.Fatalf("%v %v", m, err)
		}
	})
	t.Run("bidi", func(t *testing.T) {
		st, err := cli.Bidi(ctx)
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			for i := 0; i < n1000; i++ {
				if err := st.Send(&pbecho.Request{Msg: strconv.Itoa(i)}); err != nil {
					errc <- err
					return
				}
			}
			errc <- st.CloseSend()
		}()
		for i := 0; ; i++ {
			m, err := st.Recv()
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
		start := time.Now()
		_, err := cli.Echo(ctx, &pbecho.Request{Action: "sleep", Msg: "2000"}, kite.WithTimeout(50*time.Millisecond))
		if kite.CodeOf(err) != kite.CodeDeadlineExceeded || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("took %v", d)
		}
		select {
		case <-canceled:
		case <-time.After(2 * time.Second):
			t.Fatal("the server handler's context did not end (grpc-timeout or RST_STREAM missing)")
		}
	})
	t.Run("cancel-mid-stream", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		st, err := cli.Bidi(cctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			if err := st.Send(&pbecho.Request{Msg: "m"}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Recv(); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		if _, err := st.Recv(); kite.CodeOf(err) != kite.CodeCanceled {
			t.Fatalf("after cancel: %v", err)
		}
		select {
		case <-canceled:
		case <-time.After(2 * time.Second):
			t.Fatal("the server did not see the cancellation")
		}
	})
	t.Run("recv-timeout", func(t *testing.T) {
		st, err := cli.Bidi(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st.SetRecvTimeout(30 * time.Millisecond)
		if _, err := st.Recv(); kite.CodeOf(err) != kite.CodeDeadlineExceeded {
			t.Fatalf("recv: %v", err)
		}
		// The stream still works after a receive timed out.
		if err := st.Send(&pbecho.Request{Msg: "late"}); err != nil {
			t.Fatal(err)
		}
		if m, err := st.Recv(); err != nil || m.Msg != "late" {
			t.Fatalf("%v %v", m, err)
		}
		_ = st.CloseSend()
		if _, err := st.Recv(); err != io.EOF {
			t.Fatal(err)
		}
	})
	t.Run("metadata", func(t *testing.T) {
		mctx := kite.WithResponseMetadata(kite.WithMetadata(ctx, kite.Metadata{"x-user": {"u1"}}))
		r, err := cli.Echo(mctx, &pbecho.Request{Action: "md"})
		if err != nil {
			t.Fatal(err)
		}
		hdr, trl := kite.ResponseMetadata(mctx)
		if r.Msg != "u1" || strings.Join(hdr["x-echo-hdr"], ",") != "u1" || strings.Join(trl["x-echo-trl"], ",") != "u1" ||
			strings.Join(trl["x-bin-bin"], ",") != "\x00\x01u1" {
			t.Fatalf("resp %v header %v trailer %v", r, hdr, trl)
		}
	})
	t.Run("status-details", func(t *testing.T) {
		st := &spb.Status{Code: 3, Message: "kite: bad"}
		ei, _ := proto.Marshal(&errdetails.ErrorInfo{Reason: "BAD"})
		_ = ei
		b, _ := proto.Marshal(st)
		mctx := kite.WithResponseMetadata(ctx)
		_, err := cli.Echo(mctx, &pbecho.Request{Action: "details", Msg: string(b)})
		if kite.CodeOf(err) != kite.CodeInvalidArgument {
			t.Fatalf("err %v", err)
		}
		_, trl := kite.ResponseMetadata(mctx)
		det := trl["grpc-status-details-bin"]
		if len(det) != 1 {
			t.Fatalf("trailer %v", trl)
		}
		var got spb.Status
		if err := proto.Unmarshal([]byte(det[0]), &got); err != nil || got.Code != 3 {
			t.Fatalf("details %v %v", &got, err)
		}
	})
	t.Run("gzip", func(t *testing.T) {
		gz := kiteGRPCClient(t, addr, kite.WithCompression("gzip"))
		big := strings.Repeat("gzip me ", 4096)
		r, err := gz.Echo(ctx, &pbecho.Request{Action: "echo", Msg: big})
		if err != nil || r.Msg != big {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("4MB", func(t *testing.T) {
		big := strings.Repeat("x", 4<<20-64)
		r, err := cli.Echo(ctx, &pbecho.Request{Action: "echo", Msg: big})
		if err != nil || len(r.Msg) != len(big) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("too-large", func(t *testing.T) {
		_, err := cli.Echo(ctx, &pbecho.Request{Action: "echo", Msg: strings.Repeat("x", 5<<20)})
		if kite.CodeOf(err) != kite.CodeResourceExhausted {
			t.Fatalf("err %v", err)
		}
		if _, err := cli.Echo(ctx, &pbecho.Request{Action: "echo", Msg: "after"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("100-concurrent", func(t *testing.T) {
		one := kiteGRPCClient(t, addr)
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				st, err := one.Bidi(ctx)
				if err != nil {
					errs <- err
					return
				}
				for j := 0; j < 20; j++ {
					msg := strconv.Itoa(i) + "/" + strconv.Itoa(j)
					if err := st.Send(&pbecho.Request{Msg: msg}); err != nil {
						errs <- err
						return
					}
					m, err := st.Recv()
					if err != nil || m.Msg != msg {
						errs <- errors.New("bad echo")
						return
					}
				}
				_ = st.CloseSend()
				if _, err := st.Recv(); err != io.EOF {
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
}

// TestKiteClientToGRPCGoServerTLS calls grpc-go over TLS.
func TestKiteClientToGRPCGoServerTLS(t *testing.T) {
	checkGoroutines(t)
	srvTLS, cliTLS := selfSigned(t)
	addr := startGRPCGo(t, &grpcecho.Server{}, grpc.Creds(credentials.NewTLS(srvTLS)))
	cli := kiteGRPCClient(t, addr, kite.WithTLS(cliTLS))
	r, err := cli.Echo(context.Background(), &pbecho.Request{Action: "echo", Msg: "tls"})
	if err != nil || r.Msg != "tls" {
		t.Fatalf("%v %v", r, err)
	}
}
