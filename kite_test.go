package kite_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// handler is a test echo service whose behaviour Request.Action picks.
type handler struct {
	oneways chan *echo.Request
	block   chan struct{} // "block" waits on it
	started chan struct{} // "block" signals it
	seen    atomic.Value  // last ctx deadline seen (time.Time)
}

func (h *handler) Echo(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	if d, ok := ctx.Deadline(); ok {
		h.seen.Store(d)
	}
	switch req.Action {
	case "error":
		return nil, errors.New("boom")
	case "panic":
		panic("oops")
	case "biz":
		return nil, kite.NewBizError(1001, "biz msg", map[string]string{"k": "v"})
	case "code":
		return nil, kite.NewError(kite.CodePermissionDenied, "nope")
	case "sleep":
		time.Sleep(200 * time.Millisecond)
	case "nap": // longer than the poller server's in-line hand-off delay
		time.Sleep(time.Millisecond)
	case "block":
		h.started <- struct{}{}
		<-h.block
	case "meta":
		v, _ := kite.GetValue(ctx, "k1")
		p, _ := kite.GetPersistentValue(ctx, "pk1")
		kite.SendBackwardValue(ctx, "bkey", "bval")
		return &echo.Response{Action: req.Action, Msg: v + "," + p}, nil
	case "ri":
		ri := kite.RPCInfoFromContext(ctx)
		return &echo.Response{Action: ri.Service + "." + ri.Method, Msg: ri.Transport.String()}, nil
	}
	return &echo.Response{Action: req.Action, Msg: req.Msg}, nil
}

func (h *handler) EchoWithException(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	if req.Action == "throw" {
		return nil, &echo.EchoException{Code: 42, Message: "declared"}
	}
	return h.Echo(ctx, req)
}

func (h *handler) EchoOneway(ctx context.Context, req *echo.Request) error {
	if h.oneways != nil {
		h.oneways <- req
	}
	return nil
}

func (h *handler) EchoComplex(ctx context.Context, req *echo.ComplexRequest) (*echo.ComplexResponse, error) {
	return &echo.ComplexResponse{Action: req.Action, Msg: req.Msg, MsgMap: req.MsgMap, SubMsgs: req.SubMsgs, MsgSet: req.MsgSet, FlagMsg: req.FlagMsg}, nil
}

// leakCheck fails the test if goroutines outlive it.
func leakCheck(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// startServer serves h on 127.0.0.1:0 until the test ends.
func startServer(t testing.TB, h echoserver.Handler, opts ...kite.ServerOption) (*kite.Server, string) {
	t.Helper()
	srv, addr, served := serveOwn(t, h, opts...)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, kite.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return srv, addr
}

// serveOwn serves h on 127.0.0.1:0 for a test that shuts the server down
// itself; served yields what Serve returned.
func serveOwn(t testing.TB, h echoserver.Handler, opts ...kite.ServerOption) (srv *kite.Server, addr string, served <-chan error) {
	t.Helper()
	srv = kite.NewServer(opts...)
	if err := srv.Register(echoserver.NewServiceInfo(), h); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	return srv, ln.Addr().String(), done
}

func newClient(t *testing.T, addr string, opts ...kite.ClientOption) *echoserver.Client {
	t.Helper()
	c, err := echoserver.NewClient(echoserver.ServiceName, append([]kite.ClientOption{kite.WithHostPorts(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var framings = []transport.Framing{transport.Buffered, transport.Framed, transport.TTHeader, transport.TTHeaderFramed}

func TestEchoEveryFramingAndProtocol(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &handler{})
	for _, f := range framings {
		for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
			t.Run(f.String()+"/"+p.String(), func(t *testing.T) {
				c := newClient(t, addr, kite.WithTransport(f), kite.WithProtocol(p))
				for _, msg := range []string{"", "hello", strings.Repeat("x", 100<<10)} {
					resp, err := c.Echo(context.Background(), &echo.Request{Action: "echo", Msg: msg})
					if err != nil {
						t.Fatal(err)
					}
					if resp.Msg != msg || resp.Action != "echo" {
						t.Fatalf("got %q/%d bytes", resp.Action, len(resp.Msg))
					}
				}
				resp, err := c.Echo(context.Background(), &echo.Request{Action: "ri"})
				if err != nil {
					t.Fatal(err)
				}
				if resp.Action != "EchoServer.Echo" || resp.Msg != f.String() {
					t.Errorf("server saw %s over %s", resp.Action, resp.Msg)
				}
			})
		}
	}
}

func TestErrors(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &handler{}, kite.WithLogger(discardLogger()))
	ctx := context.Background()
	for _, f := range framings {
		t.Run(f.String(), func(t *testing.T) {
			c := newClient(t, addr, kite.WithTransport(f))

			_, err := c.Echo(ctx, &echo.Request{Action: "error"})
			var ke *kite.Error
			if !errors.As(err, &ke) || ke.Code != kite.CodeInternal || !ke.Remote || ke.Message != "biz error: boom" {
				t.Errorf("handler error: %#v", err)
			}

			_, err = c.Echo(ctx, &echo.Request{Action: "panic"})
			if kite.CodeOf(err) != kite.CodeInternal || !strings.Contains(err.Error(), "panic: [happened in biz handler, method=EchoServer.Echo, please check the panic at the server side] oops") {
				t.Errorf("panic: %v", err)
			}

			_, err = c.Echo(ctx, &echo.Request{Action: "code"})
			if kite.CodeOf(err) != kite.CodePermissionDenied && kite.CodeOf(err) != kite.CodeInternal {
				t.Errorf("coded error: %v", err)
			}

			_, err = c.EchoWithException(ctx, &echo.Request{Action: "throw"})
			var ee *echo.EchoException
			if !errors.As(err, &ee) || ee.Code != 42 || ee.Message != "declared" {
				t.Errorf("declared exception: %#v", err)
			}

			_, err = c.Echo(ctx, &echo.Request{Action: "biz"})
			var be *kite.BizError
			if f.HasTTHeader() {
				if !errors.As(err, &be) || be.Code != 1001 || be.Message != "biz msg" || be.Extra["k"] != "v" {
					t.Errorf("biz error: %#v", err)
				}
			} else if err != nil {
				t.Errorf("biz error over %v: %v (Kitex returns an empty reply)", f, err)
			}

			// The server still serves after all of that.
			if _, err := c.Echo(ctx, &echo.Request{Action: "echo", Msg: "still"}); err != nil {
				t.Errorf("after errors: %v", err)
			}
		})
	}
}

func TestUnknownMethod(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &handler{})
	for _, f := range framings {
		t.Run(f.String(), func(t *testing.T) {
			cli, err := kite.NewClient("EchoServer", kite.WithHostPorts(addr), kite.WithTransport(f))
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			var res echoserver.EchoResult
			err = cli.Call(context.Background(), "Nope", &echoserver.EchoArgs{Req: &echo.Request{}}, &res)
			want := kite.CodeUnknownService
			if f.HasTTHeader() {
				want = kite.CodeUnknownMethod // isn names a known service
			}
			if kite.CodeOf(err) != want {
				t.Fatalf("got %v, want code %v", err, want)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	leakCheck(t)
	h := &handler{}
	_, addr := startServer(t, h)
	c := newClient(t, addr, kite.WithRPCTimeout(50*time.Millisecond))
	start := time.Now()
	_, err := c.Echo(context.Background(), &echo.Request{Action: "sleep"})
	if kite.CodeOf(err) != kite.CodeDeadlineExceeded || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("timeout is not a net.Error with Timeout(): %v", err)
	}
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("timed out after %v", d)
	}
	// The deadline travelled to the server.
	if _, err := c.Echo(context.Background(), &echo.Request{Action: "echo"}); err != nil {
		t.Fatal(err)
	}
	d, _ := h.seen.Load().(time.Time)
	if d.IsZero() || time.Until(d) > 60*time.Millisecond {
		t.Errorf("handler deadline %v", d)
	}

	// Cancellation interrupts a call in flight.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	c2 := newClient(t, addr)
	if _, err := c2.Echo(ctx, &echo.Request{Action: "sleep"}); kite.CodeOf(err) != kite.CodeCanceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled call: %v", err)
	}
}

func TestMetainfo(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &handler{})
	c := newClient(t, addr)
	ctx := kite.WithValue(context.Background(), "k1", "v1")
	ctx = kite.WithPersistentValue(ctx, "pk1", "pv1")
	ctx = kite.WithBackwardValues(ctx)
	resp, err := c.Echo(ctx, &echo.Request{Action: "meta"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Msg != "v1,pv1" {
		t.Errorf("server saw %q", resp.Msg)
	}
	if bw := kite.RecvBackwardValues(ctx); bw["bkey"] != "bval" {
		t.Errorf("backward values %v", bw)
	}
}

func TestOneway(t *testing.T) {
	leakCheck(t)
	h := &handler{oneways: make(chan *echo.Request, 1)}
	_, addr := startServer(t, h)
	for _, f := range framings {
		c := newClient(t, addr, kite.WithTransport(f))
		if err := c.EchoOneway(context.Background(), &echo.Request{Action: "echo", Msg: f.String()}); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-h.oneways:
			if r.Msg != f.String() {
				t.Errorf("oneway got %q", r.Msg)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%v: oneway call never arrived", f)
		}
	}
}

func TestMiddlewareOrderAndRPCInfo(t *testing.T) {
	leakCheck(t)
	var mu sync.Mutex
	var trail []string
	mw := func(name string) kite.Middleware {
		return func(next kite.Endpoint) kite.Endpoint {
			return func(ctx context.Context, req, resp any) error {
				ri := kite.RPCInfoFromContext(ctx)
				mu.Lock()
				trail = append(trail, name+":"+ri.Method)
				mu.Unlock()
				return next(ctx, req, resp)
			}
		}
	}
	_, addr := startServer(t, &handler{}, kite.WithMiddleware(mw("s1")), kite.WithMiddleware(mw("s2")))
	c := newClient(t, addr, kite.WithMiddleware(mw("c1")), kite.WithMiddleware(mw("c2")))
	if _, err := c.Echo(context.Background(), &echo.Request{Action: "echo"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock() // the poller's socket I/O is invisible to the race detector
	got := strings.Join(trail, " ")
	mu.Unlock()
	if got != "c1:Echo c2:Echo s1:Echo s2:Echo" {
		t.Errorf("middleware trail %q", got)
	}
}

// TestCallTimestamps checks RPCInfo's Start, Sent and Received as a
// client middleware sees them after a call the server takes 200 ms over:
// in order, with the server's time between Sent and Received.
func TestCallTimestamps(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &handler{})
	for _, tc := range []struct {
		name string
		opts []kite.ClientOption
	}{
		{"pooled", nil},
		{"mux", []kite.ClientOption{kite.WithMuxConnection(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var start, sent, received time.Time
			mw := func(next kite.Endpoint) kite.Endpoint {
				return func(ctx context.Context, req, resp any) error {
					err := next(ctx, req, resp)
					ri := kite.RPCInfoFromContext(ctx)
					start, sent, received = ri.Start, ri.Sent, ri.Received
					return err
				}
			}
			c := newClient(t, addr, append(tc.opts, kite.WithMiddleware(mw))...)
			if _, err := c.Echo(context.Background(), &echo.Request{Action: "sleep"}); err != nil {
				t.Fatal(err)
			}
			if sent.Before(start) || received.Sub(sent) < 150*time.Millisecond {
				t.Errorf("Start %v, Sent +%v, Received +%v: want the server's 200 ms between Sent and Received",
					start.Format(time.StampMicro), sent.Sub(start), received.Sub(start))
			}
		})
	}
}

func TestGracefulShutdown(t *testing.T) {
	leakCheck(t)
	h := &handler{block: make(chan struct{}), started: make(chan struct{})}
	srv, addr, served := serveOwn(t, h)
	c := newClient(t, addr)
	idle := newClient(t, addr)
	if _, err := idle.Echo(context.Background(), &echo.Request{Action: "echo"}); err != nil {
		t.Fatal(err)
	}

	result := make(chan error, 1)
	go func() {
		resp, err := c.Echo(context.Background(), &echo.Request{Action: "block", Msg: "in flight"})
		if err == nil && resp.Msg != "in flight" {
			err = errors.New("wrong reply " + resp.Msg)
		}
		result <- err
	}()
	<-h.started
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	time.Sleep(50 * time.Millisecond)
	// New connections are refused while the in-flight call finishes.
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Error("dial succeeded after Shutdown")
	}
	close(h.block)
	if err := <-result; err != nil {
		t.Fatalf("in-flight call: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, kite.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
}

func TestMultipleServices(t *testing.T) {
	leakCheck(t)
	other := echoserver.NewServiceInfo()
	other.Name = "OtherServer"
	srv := kite.NewServer()
	if err := srv.Register(echoserver.NewServiceInfo(), &handler{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(other, otherHandler{&handler{}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(other, &handler{}); err == nil {
		t.Error("duplicate service accepted")
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	a := newClient(t, ln.Addr().String())
	r, err := a.Echo(context.Background(), &echo.Request{Action: "echo", Msg: "x"})
	if err != nil || r.Msg != "x" {
		t.Fatalf("EchoServer: %v %v", r, err)
	}
	cli, _ := kite.NewClient("OtherServer", kite.WithHostPorts(ln.Addr().String()), kite.WithServiceInfo(other))
	defer cli.Close()
	var res echoserver.EchoResult
	if err := cli.Call(context.Background(), "Echo", &echoserver.EchoArgs{Req: &echo.Request{Action: "echo", Msg: "x"}}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Success.Msg != "other:x" {
		t.Errorf("routed to the wrong service: %q", res.Success.Msg)
	}
}

type otherHandler struct{ *handler }

func (o otherHandler) Echo(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	return &echo.Response{Action: req.Action, Msg: "other:" + req.Msg}, nil
}

func TestConcurrentCalls(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &handler{})
	c := newClient(t, addr)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				msg := strings.Repeat("m", i*j)
				r, err := c.Echo(context.Background(), &echo.Request{Action: "echo", Msg: msg})
				if err != nil {
					errs <- err
					return
				}
				if r.Msg != msg {
					errs <- errors.New("mixed-up reply")
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestClientErrors(t *testing.T) {
	if _, err := kite.NewClient("x", kite.WithHostPorts("no-port")); kite.CodeOf(err) != kite.CodeInvalidArgument {
		t.Errorf("bad address: %v", err)
	}
	c, err := echoserver.NewClient("x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Echo(context.Background(), &echo.Request{}); kite.CodeOf(err) != kite.CodeUnavailable {
		t.Errorf("no address: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if _, err := c.Echo(context.Background(), &echo.Request{}, kite.WithTarget(addr)); kite.CodeOf(err) != kite.CodeUnavailable {
		t.Errorf("refused: %v", err)
	}
	c.Close()
	if _, err := c.Echo(context.Background(), &echo.Request{}); kite.CodeOf(err) != kite.CodeUnavailable {
		t.Errorf("after Close: %v", err)
	}
}
