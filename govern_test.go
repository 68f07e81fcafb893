package kite_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/govern"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
)

// govHandler answers with its name; "slowfirst" sleeps on the first call
// only; it records the retry marker it sees.
type govHandler struct {
	handler
	name   string
	calls  atomic.Int64
	marker atomic.Value // string
	gate   chan struct{}
}

func (h *govHandler) Echo(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	n := h.calls.Add(1)
	if v, ok := kite.GetPersistentValue(ctx, govern.RetryChainKey); ok {
		h.marker.Store(v)
	}
	switch req.Action {
	case "slowfirst":
		if n == 1 {
			select {
			case <-time.After(2 * time.Second):
			case <-ctx.Done():
			}
		}
	case "gate":
		<-h.gate
	}
	return &echo.Response{Action: req.Action, Msg: h.name}, nil
}

func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestBalancingAcrossInstances(t *testing.T) {
	leakCheck(t)
	var addrs []string
	hs := make([]*govHandler, 3)
	for i := range hs {
		hs[i] = &govHandler{name: string(rune('a' + i))}
		_, a := startServer(t, hs[i])
		addrs = append(addrs, a)
	}
	c := newClient(t, addrs[0], kite.WithHostPorts(addrs[1:]...))
	for i := 0; i < 30; i++ {
		if _, err := c.Echo(context.Background(), &echo.Request{Action: "echo"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range hs {
		if n := h.calls.Load(); n != 10 {
			t.Errorf("instance %s got %d of 30 calls, want 10 (round-robin)", h.name, n)
		}
	}
	// Consistent hashing: one key, one instance.
	ch := newClient(t, addrs[0], kite.WithHostPorts(addrs[1:]...), kite.WithBalancer(govern.NewConsistentHash(govern.DefaultConsistentHashConfig())))
	seen := map[string]bool{}
	for i := 0; i < 10; i++ {
		r, err := ch.Echo(context.Background(), &echo.Request{Action: "echo"}, kite.WithHashKey("user-42"))
		if err != nil {
			t.Fatal(err)
		}
		seen[r.Msg] = true
	}
	if len(seen) != 1 {
		t.Errorf("one hash key reached %d instances", len(seen))
	}
}

func TestRetryOnAnotherInstance(t *testing.T) {
	leakCheck(t)
	h := &govHandler{name: "alive"}
	_, alive := startServer(t, h)
	c := newClient(t, deadAddr(t), kite.WithHostPorts(alive), kite.WithRetry(govern.DefaultRetryPolicy()))
	for i := 0; i < 10; i++ {
		r, err := c.Echo(context.Background(), &echo.Request{Action: "echo"})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if r.Msg != "alive" {
			t.Fatalf("reply from %q", r.Msg)
		}
	}
	if v, _ := h.marker.Load().(string); v != "1" {
		t.Errorf("retried request carried marker %q, want \"1\"", v)
	}
	// Without retry, half the calls fail.
	c2 := newClient(t, deadAddr(t), kite.WithHostPorts(alive))
	failed := 0
	for i := 0; i < 10; i++ {
		if _, err := c2.Echo(context.Background(), &echo.Request{Action: "echo"}); kite.CodeOf(err) == kite.CodeUnavailable {
			failed++
		}
	}
	if failed != 5 {
		t.Errorf("%d of 10 calls failed without retry, want 5", failed)
	}
}

func TestBackupRequest(t *testing.T) {
	leakCheck(t)
	h := &govHandler{name: "x"}
	_, addr := startServer(t, h)
	c := newClient(t, addr, kite.WithRetry(govern.DefaultBackupPolicy(30*time.Millisecond)))
	start := time.Now()
	r, err := c.Echo(context.Background(), &echo.Request{Action: "slowfirst"})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("backup request did not win: %v", d)
	}
	if r.Msg != "x" || h.calls.Load() != 2 {
		t.Errorf("reply %q after %d calls", r.Msg, h.calls.Load())
	}
}

func TestCircuitBreakerOpens(t *testing.T) {
	leakCheck(t)
	p := govern.DefaultBreakerPolicy()
	p.MinSamples, p.CoolingTimeout = 3, time.Minute
	var mu sync.Mutex
	var changes []string
	p.OnStateChange = func(key string, from, to govern.State) {
		mu.Lock()
		changes = append(changes, key+":"+to.String())
		mu.Unlock()
	}
	dead := deadAddr(t)
	c := newClient(t, dead, kite.WithCircuitBreaker(p))
	var last error
	for i := 0; i < 6; i++ {
		_, last = c.Echo(context.Background(), &echo.Request{})
	}
	var ke *kite.Error
	if !errors.As(last, &ke) || ke.Code != kite.CodeUnavailable || !errors.Is(last, govern.ErrOpen) {
		t.Fatalf("after failures: %v", last)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) == 0 {
		t.Error("no state change reported")
	}
}

func TestServerLimits(t *testing.T) {
	leakCheck(t)
	h := &govHandler{name: "x", gate: make(chan struct{})}
	_, addr := startServer(t, h, kite.WithLimit(govern.LimitPolicy{MaxInFlight: 1}))
	c := newClient(t, addr)
	done := make(chan error, 1)
	go func() {
		_, err := c.Echo(context.Background(), &echo.Request{Action: "gate"})
		done <- err
	}()
	for h.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	_, err := c.Echo(context.Background(), &echo.Request{Action: "echo"})
	if kite.CodeOf(err) != kite.CodeResourceExhausted {
		t.Errorf("over MaxInFlight: %v", err)
	}
	close(h.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := c.Echo(context.Background(), &echo.Request{Action: "echo"}); err != nil {
		t.Errorf("after the limit freed: %v", err)
	}
}

func TestServerMaxConnections(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &govHandler{name: "x"}, kite.WithLimit(govern.LimitPolicy{MaxConnections: 1}))
	c1 := newClient(t, addr)
	if _, err := c1.Echo(context.Background(), &echo.Request{}); err != nil {
		t.Fatal(err)
	}
	c2 := newClient(t, addr)
	if _, err := c2.Echo(context.Background(), &echo.Request{}); kite.CodeOf(err) != kite.CodeUnavailable {
		t.Errorf("second connection: %v", err)
	}
}

func TestACL(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &govHandler{name: "x"}, kite.WithACL(govern.DenyMethods("EchoWithException")))
	c := newClient(t, addr)
	if _, err := c.EchoWithException(context.Background(), &echo.Request{}); kite.CodeOf(err) != kite.CodePermissionDenied {
		t.Errorf("server ACL: %v", err)
	}
	if _, err := c.Echo(context.Background(), &echo.Request{}); err != nil {
		t.Errorf("allowed method: %v", err)
	}
	cc := newClient(t, addr, kite.WithACL(govern.DenyMethods("Echo")))
	if _, err := cc.Echo(context.Background(), &echo.Request{}); kite.CodeOf(err) != kite.CodePermissionDenied {
		t.Errorf("client ACL: %v", err)
	}
}

func TestRegistryAndResolver(t *testing.T) {
	leakCheck(t)
	reg := govern.NewMemoryRegistry()
	srv, _ := startServer(t, &govHandler{name: "registered"}, kite.WithRegistry(reg, govern.Instance{}))
	deadline := time.Now().Add(2 * time.Second)
	for {
		ins, _ := reg.Resolve(context.Background(), echoserver.ServiceName)
		if len(ins) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server never registered")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c, err := echoserver.NewClient(echoserver.ServiceName, kite.WithResolver(reg))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Echo(context.Background(), &echo.Request{})
	if err != nil || r.Msg != "registered" {
		t.Fatalf("%v %v", r, err)
	}
	srv.Shutdown(context.Background())
	if ins, _ := reg.Resolve(context.Background(), echoserver.ServiceName); len(ins) != 0 {
		t.Errorf("still registered after Shutdown: %v", ins)
	}
}

func TestFallback(t *testing.T) {
	leakCheck(t)
	c := newClient(t, deadAddr(t), kite.WithFallback(func(ctx context.Context, method string, result any, err error) error {
		result.(*echoserver.EchoResult).Success = &echo.Response{Msg: "fallback for " + method}
		return nil
	}))
	r, err := c.Echo(context.Background(), &echo.Request{})
	if err != nil || r.Msg != "fallback for Echo" {
		t.Fatalf("%v %v", r, err)
	}
}
