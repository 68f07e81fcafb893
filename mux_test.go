package kite_test

import (
	"context"
	"errors"
	"math/rand"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/ttheader"
	"github.com/kite-rpc/kite/epoll"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// TestMuxConnection runs many concurrent calls over WithMuxConnection(2):
// every reply reaches its caller, over two connections, for each framing
// and protocol; errors, business errors, timeouts and oneway calls behave
// as on pooled connections.
func TestMuxConnection(t *testing.T) {
	leakCheck(t)
	srv := kite.NewServer(kite.WithLogger(discardLogger()))
	if err := srv.Register(echoserver.NewServiceInfo(), &handler{oneways: make(chan *echo.Request, 10)}); err != nil {
		t.Fatal(err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{Listener: inner}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	addr := inner.Addr().String()

	for _, f := range []transport.Framing{transport.Framed, transport.TTHeader, transport.TTHeaderFramed} {
		for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
			t.Run(f.String()+"/"+p.String(), func(t *testing.T) {
				before := ln.n.Load()
				cli := newClient(t, addr, kite.WithMuxConnection(2), kite.WithTransport(f), kite.WithProtocol(p), kite.WithRPCTimeout(10*time.Second))
				var wg sync.WaitGroup
				errs := make(chan error, 100)
				for g := 0; g < 100; g++ {
					wg.Add(1)
					go func(g int) {
						defer wg.Done()
						for i := 0; i < 20; i++ {
							msg := strconv.Itoa(g) + "/" + strconv.Itoa(i)
							resp, err := cli.Echo(context.Background(), &echo.Request{Action: "echo", Msg: msg})
							if err != nil {
								errs <- err
								return
							}
							if resp.Msg != msg {
								errs <- errors.New("reply " + resp.Msg + " for " + msg)
								return
							}
						}
					}(g)
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatal(err)
				}
				if n := ln.n.Load() - before; n != 2 {
					t.Fatalf("%d connections for 2,000 calls, want 2", n)
				}
			})
		}
	}

	cli := newClient(t, addr, kite.WithMuxConnection(1))
	t.Run("errors", func(t *testing.T) {
		_, err := cli.Echo(context.Background(), &echo.Request{Action: "error"})
		if kite.CodeOf(err) != kite.CodeInternal {
			t.Fatalf("handler error: %v", err)
		}
		_, err = cli.Echo(context.Background(), &echo.Request{Action: "biz"})
		var be *kite.BizError
		if !errors.As(err, &be) || be.Code != 1001 {
			t.Fatalf("biz error: %v", err)
		}
		_, err = cli.EchoWithException(context.Background(), &echo.Request{Action: "throw"})
		var ee *echo.EchoException
		if !errors.As(err, &ee) || ee.Code != 42 {
			t.Fatalf("declared exception: %v", err)
		}
		if resp, err := cli.Echo(context.Background(), &echo.Request{Action: "echo", Msg: "after"}); err != nil || resp.Msg != "after" {
			t.Fatalf("after errors: %v %v", resp, err)
		}
	})
	t.Run("metainfo", func(t *testing.T) {
		// Served out of order: the worker sees the request's TTHeader.
		ctx := kite.WithValue(context.Background(), "k1", "v1")
		ctx = kite.WithPersistentValue(ctx, "pk1", "pv1")
		ctx = kite.WithBackwardValues(ctx)
		resp, err := cli.Echo(ctx, &echo.Request{Action: "meta"})
		if err != nil || resp.Msg != "v1,pv1" {
			t.Fatalf("metainfo: %+v %v", resp, err)
		}
		if bw := kite.RecvBackwardValues(ctx); bw["bkey"] != "bval" {
			t.Fatalf("backward values %v", bw)
		}
	})
	t.Run("timeout then reuse", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := cli.Echo(ctx, &echo.Request{Action: "sleep"})
		if kite.CodeOf(err) != kite.CodeDeadlineExceeded {
			t.Fatalf("sleeping call: %v", err)
		}
		if d := time.Since(start); d > 150*time.Millisecond {
			t.Fatalf("timeout took %v", d)
		}
		// The late reply is dropped; the connection serves the next call.
		if resp, err := cli.Echo(context.Background(), &echo.Request{Action: "echo", Msg: "next"}); err != nil || resp.Msg != "next" {
			t.Fatalf("after timeout: %v %v", resp, err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err := cli.Echo(ctx, &echo.Request{Action: "sleep"})
		if kite.CodeOf(err) != kite.CodeCanceled {
			t.Fatalf("cancelled call: %v", err)
		}
	})
	t.Run("oneway", func(t *testing.T) {
		if err := cli.EchoOneway(context.Background(), &echo.Request{Action: "ow", Msg: "1"}); err != nil {
			t.Fatal(err)
		}
		if resp, err := cli.Echo(context.Background(), &echo.Request{Action: "echo", Msg: "x"}); err != nil || resp.Msg != "x" {
			t.Fatalf("after oneway: %v %v", resp, err)
		}
	})
}

// TestMuxConnectionOutOfOrder answers two pipelined calls in reverse
// order, as a server handling a connection's requests concurrently may:
// each reply must reach its own caller.
func TestMuxConnectionOutOfOrder(t *testing.T) {
	leakCheck(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		rd := transport.NewReader(c, 0)
		var frames [][]byte
		for len(frames) < 2 {
			var m transport.Message
			if rd.ReadMessage(&m) != nil {
				return
			}
			seq, args, ok := decodeEchoCall(&m)
			if !ok {
				return
			}
			var b []byte
			b = append(b, 0, 0, 0, 0)
			b = thrift.AppendMessageBegin(b, thrift.Binary, "Echo", thrift.Reply, seq)
			b = thrift.Append(b, thrift.Binary, &echoserver.EchoResult{Success: &echo.Response{Msg: args.Req.Msg}})
			transport.EndFrame(b, 0, transport.Framed)
			frames = append(frames, b)
		}
		_, _ = c.Write(append(frames[1], frames[0]...))
		var m transport.Message
		_ = rd.ReadMessage(&m) // until the client closes
	}()
	cli := newClient(t, ln.Addr().String(), kite.WithMuxConnection(1), kite.WithTransport(transport.Framed), kite.WithRPCTimeout(5*time.Second))
	var wg sync.WaitGroup
	for _, msg := range []string{"first", "second"} {
		wg.Add(1)
		go func(msg string) {
			defer wg.Done()
			resp, err := cli.Echo(context.Background(), &echo.Request{Msg: msg})
			if err != nil || resp.Msg != msg {
				t.Errorf("%s: got %v, %v", msg, resp, err)
			}
		}(msg)
	}
	wg.Wait()
	cli.Close()
}

// TestMuxConnectionBroken: calls waiting on a connection the server closes
// fail at once with Unavailable-class errors, and the next call dials a
// new connection.
func TestMuxConnectionBroken(t *testing.T) {
	leakCheck(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	cli := newClient(t, ln.Addr().String(), kite.WithMuxConnection(1), kite.WithRPCTimeout(5*time.Second))
	done := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			_, err := cli.Echo(context.Background(), &echo.Request{Msg: "x"})
			done <- err
		}()
	}
	c := <-accepted
	time.Sleep(50 * time.Millisecond) // let the three calls write
	c.Close()
	for i := 0; i < 3; i++ {
		select {
		case err := <-done:
			if err == nil || kite.CodeOf(err) == kite.CodeDeadlineExceeded {
				t.Fatalf("call on a closed connection: %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("a call on a closed connection did not end")
		}
	}
	go func() {
		_, err := cli.Echo(context.Background(), &echo.Request{Msg: "y"})
		done <- err
	}()
	select {
	case c2 := <-accepted:
		c2.Close()
	case <-time.After(2 * time.Second):
		t.Fatal("no new connection after the old one broke")
	}
	<-done
	cli.Close()
}

func TestMuxConnectionOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []kite.ClientOption
	}{
		{"buffered", []kite.ClientOption{kite.WithTransport(transport.Buffered)}},
		{"short", []kite.ClientOption{kite.WithShortConnection()}},
	} {
		opts := append([]kite.ClientOption{kite.WithHostPorts("127.0.0.1:1"), kite.WithMuxConnection(2)}, tc.opts...)
		if _, err := echoserver.NewClient(echoserver.ServiceName, opts...); kite.CodeOf(err) != kite.CodeInvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", tc.name, err)
		}
	}
}

// muxControlFrame is what Kitex's mux server sends every connection when
// it shuts down (WIRE.md §7.3): TTHeader seq 0 with crrst, a REPLY "none".
var muxControlFrame = []byte{0x00, 0x00, 0x00, 0x2b, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x05, 0x63, 0x72, 0x72, 0x73, 0x74, 0x00, 0x01, 0x31, 0x00, 0x80, 0x01, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x04, 0x6e, 0x6f, 0x6e, 0x65, 0x00, 0x00, 0x00, 0x00, 0x00}

// TestMuxConnectionReset: a reply whose TTHeader says crrst, or Kitex's
// control frame (the server is going away), retires the connection: later
// calls dial a new one, and the old one is closed by the client once its
// calls have ended.
func TestMuxConnectionReset(t *testing.T) {
	for _, control := range []bool{false, true} {
		name := "crrst on a reply"
		if control {
			name = "control frame"
		}
		t.Run(name, func(t *testing.T) { testMuxReset(t, control) })
	}
}

func testMuxReset(t *testing.T, control bool) {
	leakCheck(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	closedByClient := make(chan int32, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			id := accepted.Add(1)
			go func() {
				defer c.Close()
				rd := transport.NewReader(c, 0)
				var m transport.Message
				var out []byte
				for {
					if err := rd.ReadMessage(&m); err != nil {
						closedByClient <- id
						return
					}
					seq, args, ok := decodeEchoCall(&m)
					if !ok {
						return
					}
					m.Header.Reset()
					m.Header.SeqID = seq
					if id == 1 && !control {
						m.Header.SetStr(ttheader.KeyConnReset, "1")
					}
					out, _ = transport.BeginFrame(out[:0], transport.TTHeaderFramed, &m.Header)
					out = thrift.AppendMessageBegin(out, thrift.Binary, "Echo", thrift.Reply, seq)
					out = thrift.Append(out, thrift.Binary, &echoserver.EchoResult{Success: &echo.Response{Msg: args.Req.Msg}})
					transport.EndFrame(out, 0, transport.TTHeaderFramed)
					if id == 1 && control {
						// Before the reply, so the client has seen it
						// when its caller makes the next call.
						out = append(muxControlFrame[:len(muxControlFrame):len(muxControlFrame)], out...)
					}
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			}()
		}
	}()
	cli := newClient(t, ln.Addr().String(), kite.WithMuxConnection(1), kite.WithRPCTimeout(5*time.Second))
	for i, want := range []int32{1, 2, 2} {
		resp, err := cli.Echo(context.Background(), &echo.Request{Msg: strconv.Itoa(i)})
		if err != nil || resp.Msg != strconv.Itoa(i) {
			t.Fatalf("call %d: %v %v", i, resp, err)
		}
		if got := accepted.Load(); got != want {
			t.Fatalf("after call %d: %d connections, want %d", i, got, want)
		}
	}
	select {
	case id := <-closedByClient:
		if id != 1 {
			t.Fatalf("connection %d closed, want the retired one (1)", id)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the retired connection was not closed")
	}
	cli.Close()
}

// TestMuxServerOutOfOrder: a Kite server answers a mux client's calls
// (TTHeader SupportOutOfOrder) concurrently, as Kitex's mux server does:
// calls sharing one connection do not wait for each other, and a fast
// call pipelined behind a slow one is answered first.
func TestMuxServerOutOfOrder(t *testing.T) {
	leakCheck(t)
	_, addr := startServer(t, &handler{})
	cli := newClient(t, addr, kite.WithMuxConnection(1), kite.WithRPCTimeout(5*time.Second))
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := cli.Echo(context.Background(), &echo.Request{Action: "sleep"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("20 calls of 200 ms over one connection took %v: served one after another", d)
	}

	// On the wire: a sleep then an echo, pipelined; the echo's reply first.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	b := ttFrame(t, nil, ttheader.FlagSupportOutOfOrder, 1, &echo.Request{Action: "sleep"})
	b = ttFrame(t, b, ttheader.FlagSupportOutOfOrder, 2, &echo.Request{Action: "echo", Msg: "fast"})
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	rd := transport.NewReader(c, 0)
	for _, want := range []int32{2, 1} {
		var m transport.Message
		if err := rd.ReadMessage(&m); err != nil {
			t.Fatal(err)
		}
		if m.Header.SeqID != want {
			t.Fatalf("reply to %d, want %d first", m.Header.SeqID, want)
		}
	}
}

// TestMuxClientSurvivesHostileServer calls, over mux connections, a server
// that answers in random order and also sends replies for unknown
// sequence ids, duplicate replies, garbage, drops requests and closes
// connections. Every call must end by its timeout with either its own
// reply or an error (never another call's reply), and closing the client
// must leave no goroutine behind.
func TestMuxClientSurvivesHostileServer(t *testing.T) {
	leakCheck(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	var conns sync.WaitGroup
	go func() {
		for i := int64(0); ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func(c net.Conn, rng *rand.Rand) {
				defer conns.Done()
				defer c.Close()
				hostileMuxServe(c, rng)
			}(c, rand.New(rand.NewSource(seed+i)))
		}
	}()
	for _, f := range []transport.Framing{transport.Framed, transport.TTHeaderFramed} {
		t.Run(f.String(), func(t *testing.T) {
			cli := newClient(t, ln.Addr().String(), kite.WithMuxConnection(2), kite.WithTransport(f), kite.WithRPCTimeout(300*time.Millisecond))
			var wg sync.WaitGroup
			var ok, failed atomic.Int32
			for g := 0; g < 50; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for i := 0; i < 40; i++ {
						msg := strconv.Itoa(g) + "/" + strconv.Itoa(i)
						start := time.Now()
						resp, err := cli.Echo(context.Background(), &echo.Request{Action: "echo", Msg: msg})
						if d := time.Since(start); d > 2*time.Second {
							t.Errorf("a call took %v with a 300 ms timeout", d)
						}
						switch {
						case err != nil:
							failed.Add(1)
						case resp.Msg != msg:
							t.Errorf("call %s got the reply of %s", msg, resp.Msg)
						default:
							ok.Add(1)
						}
					}
				}(g)
			}
			wg.Wait()
			t.Logf("%d calls answered, %d failed", ok.Load(), failed.Load())
			if ok.Load() == 0 || failed.Load() == 0 {
				t.Errorf("%d answered, %d failed: the server's mix did not happen", ok.Load(), failed.Load())
			}
			cli.Close()
		})
	}
	ln.Close()
	conns.Wait()
}

// decodeEchoCall decodes the Echo call in m, as the test servers here read
// their requests.
func decodeEchoCall(m *transport.Message) (seq int32, args echoserver.EchoArgs, ok bool) {
	_, _, seq, n, err := thrift.ConsumeMessageBegin(m.Body, thrift.Binary)
	if err != nil {
		return 0, args, false
	}
	_, err = thrift.Consume(m.Body[n:], thrift.Binary, &args)
	return seq, args, err == nil
}

// hostileMuxServe answers the requests on c, mostly correctly and in a
// shuffled order, sometimes not at all or wrongly, until c fails.
func hostileMuxServe(c net.Conn, rng *rand.Rand) {
	rd := transport.NewReader(c, 0)
	var pending [][]byte
	for {
		var m transport.Message
		if err := rd.ReadMessage(&m); err != nil {
			return
		}
		seq, args, ok := decodeEchoCall(&m)
		if !ok {
			return
		}
		reply := func(seq int32, msg string) []byte {
			h := &ttheader.Header{SeqID: seq}
			b, _ := transport.BeginFrame(nil, m.Framing, h)
			b = thrift.AppendMessageBegin(b, thrift.Binary, "Echo", thrift.Reply, seq)
			b = thrift.Append(b, thrift.Binary, &echoserver.EchoResult{Success: &echo.Response{Msg: msg}})
			transport.EndFrame(b, 0, m.Framing)
			return b
		}
		switch r := rng.Intn(100); {
		case r < 80:
			pending = append(pending, reply(seq, args.Req.Msg))
		case r < 88:
			pending = append(pending, reply(seq+1<<20, "not yours")) // an unknown sequence id
		case r < 94:
			b := reply(seq, args.Req.Msg)
			pending = append(pending, b, b) // the same reply twice
		case r < 96: // dropped: the call times out
		case r < 98:
			_, _ = c.Write([]byte("garbage!garbage!"))
			return
		default:
			return // closed with calls waiting
		}
		if rng.Intn(3) == 0 { // flush what is pending, shuffled
			rng.Shuffle(len(pending), func(i, j int) { pending[i], pending[j] = pending[j], pending[i] })
			var out []byte
			for _, b := range pending {
				out = append(out, b...)
			}
			pending = pending[:0]
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

// TestOutOfOrderWorkersTrimmed runs 400 out-of-order calls at once on the
// net path (each on a worker of its own), then none: within a couple of
// seconds the server keeps no more than its 256 standing workers. (On the
// poller a request is handled in line and hands the connection on when
// slow: TestOutOfOrderHandOff.)
func TestOutOfOrderWorkersTrimmed(t *testing.T) {
	leakCheck(t)
	const burst = 400
	h := &handler{block: make(chan struct{}), started: make(chan struct{}, burst)}
	_, addr := startServer(t, h, kite.WithPoller(nil))
	cli := newClient(t, addr, kite.WithMuxConnection(1), kite.WithRPCTimeout(10*time.Second))
	base := runtime.NumGoroutine()
	blockedBurst(t, cli, h, burst)()
	if n := runtime.NumGoroutine() - base; n < burst-50 {
		t.Fatalf("after the burst %d goroutines more than before; want about %d idle workers", n, burst)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine()-base > 256+10 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines more than before the burst, 5 s after it", runtime.NumGoroutine()-base)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pollerPaths are the server I/O paths, for tests of both.
var pollerPaths = []struct {
	name string
	p    *epoll.Poller
}{{"epoll", epoll.Default()}, {"net", nil}}

// TestOutOfOrderHandOff: a slow out-of-order request does not hold up
// those behind it, on either I/O path (the poller handles each in line
// and hands the connection on when one takes long; the net path runs each
// on a worker). 400 calls that block must all be running at once over one
// connection, and calls that nap (longer than the hand-off delay) mixed
// with quick ones, from many goroutines, must each get their own reply.
func TestOutOfOrderHandOff(t *testing.T) {
	for _, path := range pollerPaths {
		t.Run(path.name, func(t *testing.T) {
			leakCheck(t)
			const burst = 400
			h := &handler{block: make(chan struct{}), started: make(chan struct{}, burst)}
			_, addr := startServer(t, h, kite.WithPoller(path.p))
			cli := newClient(t, addr, kite.WithMuxConnection(1), kite.WithRPCTimeout(10*time.Second))
			blockedBurst(t, cli, h, burst)() // fails if a blocked call holds up those behind it

			var wg sync.WaitGroup
			const callers, calls = 32, 40
			for g := 0; g < callers; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < calls; i++ {
						action := "echo"
						if (g+i)%4 == 0 {
							action = "nap"
						}
						msg := strconv.Itoa(g) + "/" + strconv.Itoa(i)
						res, err := cli.Echo(context.Background(), &echo.Request{Action: action, Msg: msg})
						if err != nil {
							t.Error(err)
							return
						}
						if res.Action != action || res.Msg != msg {
							t.Errorf("call %s %s: reply %s %s", action, msg, res.Action, res.Msg)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// blockedBurst starts n "block" calls on cli and waits until h runs them
// all at once (failing the test if they do not start within 5 s); release
// lets them finish and waits for their replies.
func blockedBurst(t *testing.T, cli *echoserver.Client, h *handler, n int) (release func()) {
	t.Helper()
	var wg sync.WaitGroup
	var once sync.Once
	release = func() {
		once.Do(func() { close(h.block) })
		wg.Wait()
	}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := cli.Echo(context.Background(), &echo.Request{Action: "block"}); err != nil {
				t.Error(err)
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case <-h.started:
		case <-time.After(5 * time.Second):
			release() // so that the server can stop
			t.Fatalf("%d of %d blocking calls started", i, n)
		}
	}
	return release
}

// TestShutdownWaitsForHandedOffCalls: a graceful shutdown waits for
// out-of-order calls still running (on the poller, each handed off: it
// blocked past the hand-off delay), answers them when they finish, and
// leaves nothing behind, on both I/O paths.
func TestShutdownWaitsForHandedOffCalls(t *testing.T) {
	for _, path := range pollerPaths {
		t.Run(path.name, func(t *testing.T) {
			leakCheck(t)
			const calls = 50
			h := &handler{block: make(chan struct{}), started: make(chan struct{}, calls)}
			srv, addr, served := serveOwn(t, h, kite.WithPoller(path.p))
			cli := newClient(t, addr, kite.WithMuxConnection(1), kite.WithRPCTimeout(10*time.Second))
			release := blockedBurst(t, cli, h, calls)
			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				shut <- srv.Shutdown(ctx)
			}()
			time.Sleep(100 * time.Millisecond) // Shutdown is waiting for the calls
			select {
			case err := <-shut:
				t.Fatalf("Shutdown returned %v with %d calls running", err, calls)
			default:
			}
			release() // every call must get its reply
			if err := <-shut; err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if err := <-served; !errors.Is(err, kite.ErrServerClosed) {
				t.Errorf("Serve returned %v", err)
			}
		})
	}
}
