package kite_test

import (
	"context"
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

// slowHandler sleeps delay before answering.
type slowHandler struct {
	govHandler
	delay time.Duration
}

func (h *slowHandler) Echo(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	h.calls.Add(1)
	time.Sleep(h.delay)
	return &echo.Response{Msg: h.name}, nil
}

// serveOn starts a server on addr ("127.0.0.1:0" for any) and returns it
// with its address; stop shuts it down.
func serveOn(t *testing.T, addr string, h echoserver.Handler, opts ...kite.ServerOption) (string, func()) {
	t.Helper()
	srv := kite.NewServer(opts...)
	if err := srv.Register(echoserver.NewServiceInfo(), h); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
			<-done
		})
	}
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

// TestKilledInstanceUnderLoad: three servers, one shut down mid-load; with
// retries every call still succeeds.
func TestKilledInstanceUnderLoad(t *testing.T) {
	leakCheck(t)
	var addrs []string
	var stops []func()
	for i := 0; i < 3; i++ {
		a, stop := serveOn(t, "127.0.0.1:0", &govHandler{name: "s"})
		addrs, stops = append(addrs, a), append(stops, stop)
	}
	p := govern.DefaultRetryPolicy()
	p.Budget = nil // the test measures retries, not the budget
	c := newClient(t, addrs[0], kite.WithHostPorts(addrs[1:]...), kite.WithRetry(p), kite.WithRPCTimeout(2*time.Second))
	var ok, failed atomic.Int64
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				if _, err := c.Echo(context.Background(), &echo.Request{Action: "echo"}); err != nil {
					failed.Add(1)
					t.Log(err)
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	stops[1]() // killed mid-load
	time.Sleep(200 * time.Millisecond)
	close(stopLoad)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() == 0 {
		t.Fatalf("%d calls failed, %d succeeded", failed.Load(), ok.Load())
	}
}

// TestP2CShiftsLoadFromSlowInstance: p2c sends most calls to the fast one.
func TestP2CShiftsLoadFromSlowInstance(t *testing.T) {
	leakCheck(t)
	fast := &slowHandler{delay: 0}
	slow := &slowHandler{delay: 20 * time.Millisecond}
	fa, _ := serveOn(t, "127.0.0.1:0", fast)
	sa, _ := serveOn(t, "127.0.0.1:0", slow)
	c := newClient(t, fa, kite.WithHostPorts(sa), kite.WithBalancer(govern.NewP2C(nil)))
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				c.Echo(context.Background(), &echo.Request{})
			}
		}()
	}
	wg.Wait()
	f, s := fast.calls.Load(), slow.calls.Load()
	if f < 4*s {
		t.Errorf("p2c: fast instance %d calls, slow %d; want the fast one to take ≥ 80%%", f, s)
	}
}

// TestInstanceBreakerOpensAndRecovers: an instance that refuses
// connections trips its breaker; once it is back, a probe closes it.
func TestInstanceBreakerOpensAndRecovers(t *testing.T) {
	leakCheck(t)
	addr := deadAddr(t)
	p := govern.DefaultBreakerPolicy()
	p.MinSamples, p.CoolingTimeout, p.HalfOpenSuccesses = 4, 100*time.Millisecond, 1
	var mu sync.Mutex
	var states []govern.State
	p.OnStateChange = func(key string, from, to govern.State) {
		mu.Lock()
		states = append(states, to)
		mu.Unlock()
	}
	c := newClient(t, addr, kite.WithCircuitBreaker(p))
	for i := 0; i < 6; i++ {
		c.Echo(context.Background(), &echo.Request{})
	}
	start := time.Now()
	if _, err := c.Echo(context.Background(), &echo.Request{}); kite.CodeOf(err) != kite.CodeUnavailable || time.Since(start) > 10*time.Millisecond {
		t.Fatalf("open breaker: %v after %v", err, time.Since(start))
	}
	serveOn(t, addr, &govHandler{name: "back"})
	time.Sleep(150 * time.Millisecond) // cooling
	var err error
	for i := 0; i < 5; i++ {
		if _, err = c.Echo(context.Background(), &echo.Request{}); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(states) < 3 || states[0] != govern.StateOpen || states[len(states)-1] != govern.StateClosed {
		t.Errorf("state changes %v, want open … half-open, closed", states)
	}
}

// TestQPSLimitAnswersFast: requests over MaxQPS are refused at once with
// an overload error, not queued.
func TestQPSLimitAnswersFast(t *testing.T) {
	leakCheck(t)
	addr, _ := serveOn(t, "127.0.0.1:0", &govHandler{name: "x"}, kite.WithLimit(govern.LimitPolicy{MaxQPS: 5}))
	c := newClient(t, addr)
	var over int
	start := time.Now()
	for i := 0; i < 50; i++ {
		_, err := c.Echo(context.Background(), &echo.Request{})
		if kite.CodeOf(err) == kite.CodeResourceExhausted {
			over++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if over < 40 {
		t.Errorf("%d of 50 calls refused, want ≥ 40 at 5 QPS", over)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusals took %v: the server stalled", d)
	}
}
