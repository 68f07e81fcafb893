package interop

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	athrift "github.com/apache/thrift/lib/go/thrift"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/codec/thrift"
	apecho "github.com/kite-rpc/kite/interop/gen-go/echo"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// combo is one cell of the Apache-interoperable part of the protocol
// matrix: a Thrift protocol over a framing.
type combo struct {
	name    string
	compact bool
	framed  bool
}

var combos = []combo{
	{"binary-framed", false, true},
	{"binary-buffered", false, false},
	{"compact-framed", true, true},
	{"compact-buffered", true, false},
}

func (c combo) kiteOptions() []kite.ClientOption {
	f, p := transport.Buffered, thrift.Binary
	if c.framed {
		f = transport.Framed
	}
	if c.compact {
		p = thrift.Compact
	}
	return []kite.ClientOption{kite.WithTransport(f), kite.WithProtocol(p)}
}

// apacheConf is the configuration every Apache transport and protocol in
// these tests uses: bounded waits, so a wrong reply fails instead of hanging.
func apacheConf() *athrift.TConfiguration {
	return &athrift.TConfiguration{
		ConnectTimeout: 5 * time.Second,
		SocketTimeout:  10 * time.Second,
	}
}

// apacheProtocolFactory returns the Apache protocol factory for c.
func (c combo) apacheProtocolFactory() athrift.TProtocolFactory {
	if c.compact {
		return athrift.NewTCompactProtocolFactoryConf(apacheConf())
	}
	return athrift.NewTBinaryProtocolFactoryConf(apacheConf())
}

// apacheTransportFactory returns the server-side Apache transport factory
// for c: framed, or a plain buffered transport.
func (c combo) apacheTransportFactory() athrift.TTransportFactory {
	if c.framed {
		return athrift.NewTFramedTransportFactoryConf(athrift.NewTTransportFactory(), apacheConf())
	}
	return athrift.NewTBufferedTransportFactory(8192)
}

// apacheClient is a generated Apache Thrift client on one connection.
type apacheClient struct {
	*apecho.EchoServerClient
	std   *athrift.TStandardClient
	trans athrift.TTransport
}

// dialApache opens an Apache Thrift client to addr speaking c.
func dialApache(t *testing.T, addr string, c combo) *apacheClient {
	t.Helper()
	conf := apacheConf()
	var trans athrift.TTransport = athrift.NewTSocketConf(addr, conf)
	if c.framed {
		trans = athrift.NewTFramedTransportConf(trans, conf)
	} else {
		trans = athrift.NewTBufferedTransport(trans, 8192)
	}
	if err := trans.Open(); err != nil {
		t.Fatalf("apache open %s: %v", addr, err)
	}
	proto := c.apacheProtocolFactory().GetProtocol(trans)
	std := athrift.NewTStandardClient(proto, proto)
	ac := &apacheClient{EchoServerClient: apecho.NewEchoServerClient(std), std: std, trans: trans}
	t.Cleanup(func() { _ = trans.Close() })
	return ac
}

// checkGoroutines records the goroutine count now and registers a cleanup
// that waits (up to 5s) for the count to come back down. Call it first in
// a test so its cleanup runs last.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// kiteHandler is the Kite-side EchoServer implementation: Echo echoes,
// action "throw" raises the declared exception from EchoWithException,
// action "error" fails with a plain error, EchoOneway reports on oneway.
type kiteHandler struct {
	oneway chan *echo.Request
}

func (h *kiteHandler) Echo(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	if req.Action == "error" {
		return nil, errors.New("boom")
	}
	return &echo.Response{Action: req.Action, Msg: req.Msg}, nil
}

func (h *kiteHandler) EchoComplex(ctx context.Context, req *echo.ComplexRequest) (*echo.ComplexResponse, error) {
	return nil, errors.New("EchoComplex is not implemented by this test")
}

func (h *kiteHandler) EchoWithException(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	switch req.Action {
	case "throw":
		return nil, &echo.EchoException{Code: 42, Message: "thrown: " + req.Msg}
	case "error":
		return nil, errors.New("boom")
	}
	return &echo.Response{Action: req.Action, Msg: req.Msg}, nil
}

func (h *kiteHandler) EchoOneway(ctx context.Context, req *echo.Request) error {
	select {
	case h.oneway <- req:
	default:
	}
	return nil
}

// startKite starts a Kite server on 127.0.0.1:0 and registers its
// shutdown as a cleanup.
func startKite(t *testing.T) (string, *kiteHandler) {
	t.Helper()
	h := &kiteHandler{oneway: make(chan *echo.Request, 4)}
	srv := kite.NewServer()
	if err := srv.Register(echoserver.NewServiceInfo(), h); err != nil {
		t.Fatalf("register: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("kite shutdown: %v", err)
		}
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, kite.ErrServerClosed) {
				t.Errorf("kite serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("kite Serve did not return after Shutdown")
		}
	})
	return ln.Addr().String(), h
}

// apacheHandler is the Apache-side EchoServer implementation, with the
// same behaviour as kiteHandler.
type apacheHandler struct {
	oneway chan *apecho.Request
}

func (h *apacheHandler) Echo(ctx context.Context, req *apecho.Request) (*apecho.Response, error) {
	if req.Action == "error" {
		return nil, errors.New("boom")
	}
	return &apecho.Response{Action: req.Action, Msg: req.Msg}, nil
}

func (h *apacheHandler) EchoComplex(ctx context.Context, req *apecho.ComplexRequest) (*apecho.ComplexResponse, error) {
	return nil, errors.New("EchoComplex is not implemented by this test")
}

func (h *apacheHandler) EchoWithException(ctx context.Context, req *apecho.Request) (*apecho.Response, error) {
	switch req.Action {
	case "throw":
		return nil, &apecho.EchoException{Code: 42, Message: "thrown: " + req.Msg}
	case "error":
		return nil, errors.New("boom")
	}
	return &apecho.Response{Action: req.Action, Msg: req.Msg}, nil
}

func (h *apacheHandler) EchoOneway(ctx context.Context, req *apecho.Request) error {
	select {
	case h.oneway <- req:
	default:
	}
	return nil
}

// startApache starts an Apache Thrift TSimpleServer with the generated
// processor on 127.0.0.1:0, speaking c, and registers its stop as a cleanup.
func startApache(t *testing.T, c combo) (string, *apacheHandler) {
	t.Helper()
	h := &apacheHandler{oneway: make(chan *apecho.Request, 4)}
	ss, err := athrift.NewTServerSocket("127.0.0.1:0")
	if err != nil {
		t.Fatalf("apache server socket: %v", err)
	}
	if err := ss.Listen(); err != nil {
		t.Fatalf("apache listen: %v", err)
	}
	srv := athrift.NewTSimpleServer4(apecho.NewEchoServerProcessor(h), ss, c.apacheTransportFactory(), c.apacheProtocolFactory())
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		stopped := make(chan error, 1)
		go func() { stopped <- srv.Stop() }()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("apache stop: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("apache Stop did not return (a connection was left open)")
			return
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("apache serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("apache Serve did not return after Stop")
		}
	})
	return ss.Addr().String(), h
}

// longMsg returns an n-byte message that is not all one byte.
func longMsg(n int) string {
	var b strings.Builder
	b.Grow(n)
	for b.Len() < n {
		b.WriteString("0123456789abcdefghijklmnopqrstuvwxyz")
	}
	return b.String()[:n]
}
