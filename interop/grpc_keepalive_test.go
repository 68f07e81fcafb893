package interop

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/internal/pbecho"
	"github.com/kite-rpc/kite/interop/grpcecho"
)

// tapFrame is a frame seen on a tapped connection.
type tapFrame struct {
	conn       int  // the tapped connection's number, from 0
	fromClient bool // sent by the client
	typ        http2.FrameType
	ack        bool    // PING ack
	data       [8]byte // PING
	code       http2.ErrCode
	debug      string
	stream     uint32
	at         time.Time
}

func (f tapFrame) String() string {
	dir := "server"
	if f.fromClient {
		dir = "client"
	}
	s := fmt.Sprintf("conn %d %s: %v", f.conn, dir, f.typ)
	switch f.typ {
	case http2.FramePing:
		s += " ack=" + strconv.FormatBool(f.ack)
	case http2.FrameGoAway:
		s += fmt.Sprintf(" %v %q", f.code, f.debug)
	case http2.FrameRSTStream:
		s += fmt.Sprintf(" stream %d %v", f.stream, f.code)
	}
	return s
}

// tap records the HTTP/2 frames of the connections it wraps, both ways.
type tap struct {
	mu     sync.Mutex // guards frames, starts and n
	frames []tapFrame
	starts []time.Time
	n      int
	wg     sync.WaitGroup // parsers
}

// wrap taps nc; client tells whether nc is the client's end.
func (tp *tap) wrap(nc net.Conn, client bool) net.Conn {
	tp.mu.Lock()
	id := tp.n
	tp.n++
	tp.starts = append(tp.starts, time.Now())
	tp.mu.Unlock()
	c := &tapConn{Conn: nc}
	var toServer, toClient *io.PipeReader
	toServer, c.toServer = io.Pipe()
	toClient, c.toClient = io.Pipe()
	tp.wg.Add(2)
	go tp.parse(id, true, toServer)
	go tp.parse(id, false, toClient)
	c.client = client
	return c
}

func (tp *tap) parse(id int, fromClient bool, r *io.PipeReader) {
	defer tp.wg.Done()
	defer func() { _, _ = io.Copy(io.Discard, r) }()
	if fromClient {
		var pf [len(http2.ClientPreface)]byte
		if _, err := io.ReadFull(r, pf[:]); err != nil {
			return
		}
	}
	fr := http2.NewFramer(nil, r)
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		tf := tapFrame{conn: id, fromClient: fromClient, typ: f.Header().Type, stream: f.Header().StreamID, at: time.Now()}
		switch f := f.(type) {
		case *http2.PingFrame:
			tf.ack, tf.data = f.IsAck(), f.Data
		case *http2.GoAwayFrame:
			tf.code, tf.debug = f.ErrCode, string(f.DebugData())
		case *http2.RSTStreamFrame:
			tf.code = f.ErrCode
		}
		tp.mu.Lock()
		tp.frames = append(tp.frames, tf)
		tp.mu.Unlock()
	}
}

// find returns the frames that match accepts.
func (tp *tap) find(match func(tapFrame) bool) []tapFrame {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	var out []tapFrame
	for _, f := range tp.frames {
		if match(f) {
			out = append(out, f)
		}
	}
	return out
}

// waitFor waits up to d for a frame that match accepts.
func (tp *tap) waitFor(t *testing.T, d time.Duration, what string, match func(tapFrame) bool) tapFrame {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if fs := tp.find(match); len(fs) > 0 {
			return fs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (tp *tap) conns() int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.n
}

type tapConn struct {
	net.Conn
	client             bool
	toServer, toClient *io.PipeWriter

	// Close waits for reads and writes in progress to hand their bytes to
	// the parsers before it closes the pipes: the peer may see a frame
	// (a GOAWAY) and close before the writer has copied it, and closing a
	// pipe drops what its parser has not read.
	mu     sync.Mutex
	busy   int // reads and writes in progress
	idle   *sync.Cond
	closed bool
}

// begin and end bracket a read or a write; end hands p to the parser of
// that direction.
func (c *tapConn) begin() {
	c.mu.Lock()
	c.busy++
	c.mu.Unlock()
}

func (c *tapConn) end(w *io.PipeWriter, p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(p) > 0 && !c.closed {
		_, _ = w.Write(p)
	}
	if c.busy--; c.busy == 0 && c.idle != nil {
		c.idle.Broadcast()
	}
}

func (c *tapConn) Read(p []byte) (int, error) {
	c.begin()
	n, err := c.Conn.Read(p)
	if c.client {
		c.end(c.toClient, p[:n])
	} else {
		c.end(c.toServer, p[:n])
	}
	return n, err
}

func (c *tapConn) Write(p []byte) (int, error) {
	c.begin()
	n, err := c.Conn.Write(p)
	if c.client {
		c.end(c.toServer, p[:n])
	} else {
		c.end(c.toClient, p[:n])
	}
	return n, err
}

func (c *tapConn) Close() error {
	err := c.Conn.Close() // ends the reads and writes in progress
	c.mu.Lock()
	if c.idle == nil {
		c.idle = sync.NewCond(&c.mu)
	}
	for c.busy > 0 {
		c.idle.Wait()
	}
	if !c.closed {
		c.closed = true
		c.toServer.Close()
		c.toClient.Close()
	}
	c.mu.Unlock()
	return err
}

type tapListener struct {
	net.Listener
	tp *tap
}

func (l tapListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.tp.wrap(nc, false), nil
}

// dialTapped dials a grpc-go client whose connections tp records.
func dialTapped(t *testing.T, addr string, tp *tap, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			var d net.Dialer
			nc, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			return tp.wrap(nc, true), nil
		}),
	}, opts...)
	cc := dialGRPCGo(t, addr, opts...)
	t.Cleanup(func() { _ = cc.Close(); tp.wg.Wait() }) // runs before dialGRPCGo's Close: close here
	return cc
}

// startGRPCGoTapped starts a grpc-go echo server whose connections tp
// records.
func startGRPCGoTapped(t *testing.T, tp *tap, opts ...grpc.ServerOption) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(opts...)
	gs.RegisterService(&grpcecho.ServiceDesc, &grpcecho.Server{})
	done := make(chan struct{})
	go func() { _ = gs.Serve(tapListener{ln, tp}); close(done) }()
	t.Cleanup(func() { gs.Stop(); <-done; tp.wg.Wait() })
	return ln.Addr().String()
}

func isGoAwayFrame(f tapFrame) bool { return f.typ == http2.FrameGoAway }

// bdpPing is the data of grpc-go's bandwidth-estimation PINGs; its
// keepalive PINGs carry zeros.
var bdpPing = [8]byte{2, 4, 16, 16, 9, 14, 7, 7}

func echoOnce(t *testing.T, cc *grpc.ClientConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp := new(pbecho.Response)
	if err := cc.Invoke(ctx, echoPath, &pbecho.Request{Action: "echo", Msg: "hi"}, resp); err != nil || resp.Msg != "hi" {
		t.Fatalf("echo: %v %v", resp, err)
	}
}

// TestKeepaliveKiteServerPingsGRPCGoClient: a Kite server's keepalive
// PINGs are answered by grpc-go's client and keep the connection.
func TestKeepaliveKiteServerPingsGRPCGoClient(t *testing.T) {
	checkGoroutines(t)
	addr := startKitePB(t, &kitePB{}, kite.WithGRPCServerKeepalive(kite.GRPCServerKeepalive{Time: 50 * time.Millisecond, Timeout: 500 * time.Millisecond}))
	tp := &tap{}
	cc := dialTapped(t, addr, tp)
	echoOnce(t, cc)
	time.Sleep(300 * time.Millisecond)
	pings := tp.find(func(f tapFrame) bool { return f.typ == http2.FramePing && !f.fromClient && !f.ack })
	acks := tp.find(func(f tapFrame) bool { return f.typ == http2.FramePing && f.fromClient && f.ack })
	if len(pings) < 3 || len(acks) < len(pings)-1 {
		t.Errorf("%d PINGs from the server, %d acks", len(pings), len(acks))
	}
	echoOnce(t, cc)
	if n := tp.conns(); n != 1 || len(tp.find(isGoAwayFrame)) > 0 {
		t.Errorf("%d connections, GOAWAYs %v", n, tp.find(isGoAwayFrame))
	}
}

// TestKeepaliveGRPCGoBDPPingsPassKiteEnforcement: grpc-go's client pings
// after receiving data to measure bandwidth; Kite's default enforcement
// must let those through, as grpc-go's server does.
func TestKeepaliveGRPCGoBDPPingsPassKiteEnforcement(t *testing.T) {
	checkGoroutines(t)
	addr := startKitePB(t, &kitePB{})
	tp := &tap{}
	cc := dialTapped(t, addr, tp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	big := strings.Repeat("b", 64<<10)
	for i := 0; i < 20; i++ {
		resp := new(pbecho.Response)
		if err := cc.Invoke(ctx, echoPath, &pbecho.Request{Action: "echo", Msg: big}, resp); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	st, err := cc.NewStream(ctx, serverStreamDesc, "/protobuf.Echo/ServerStream")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SendMsg(&pbecho.Request{Action: "200", Msg: strings.Repeat("s", 4<<10)}); err != nil {
		t.Fatal(err)
	}
	_ = st.CloseSend()
	for {
		if err := st.RecvMsg(new(pbecho.Response)); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	pings := tp.find(func(f tapFrame) bool { return f.typ == http2.FramePing && f.fromClient && !f.ack && f.data == bdpPing })
	if len(pings) < 4 {
		t.Errorf("only %d BDP PINGs from grpc-go's client; the test means to see them", len(pings))
	}
	if g := tp.find(isGoAwayFrame); len(g) > 0 || tp.conns() != 1 {
		t.Errorf("%d connections, GOAWAYs %v", tp.conns(), g)
	}
}

// TestKeepaliveGRPCGoClientPingsKiteServer: grpc-go's client keepalive
// (Time at its 10 s minimum) is answered by a Kite server whose policy
// allows it. The test takes over 10 s.
func TestKeepaliveGRPCGoClientPingsKiteServer(t *testing.T) {
	if testing.Short() {
		t.Skip("grpc-go pings at most every 10 s")
	}
	checkGoroutines(t)
	addr := startKitePB(t, &kitePB{}, kite.WithGRPCKeepaliveEnforcement(kite.GRPCKeepaliveEnforcement{MinTime: 5 * time.Second, PermitWithoutStream: true}))
	tp := &tap{}
	cc := dialTapped(t, addr, tp, grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: time.Second, PermitWithoutStream: true}))
	echoOnce(t, cc)
	var zero [8]byte
	ping := tp.waitFor(t, 12*time.Second, "keepalive PING from grpc-go", func(f tapFrame) bool {
		return f.typ == http2.FramePing && f.fromClient && !f.ack && f.data == zero
	})
	tp.waitFor(t, time.Second, "PING ack from Kite", func(f tapFrame) bool {
		return f.typ == http2.FramePing && !f.fromClient && f.ack && f.data == zero
	})
	tp.mu.Lock()
	start := tp.starts[0]
	tp.mu.Unlock()
	if d := ping.at.Sub(start); d < 10*time.Second {
		t.Errorf("keepalive PING after %v", d)
	}
	time.Sleep(1200 * time.Millisecond) // past grpc-go's Timeout
	echoOnce(t, cc)
	if g := tp.find(isGoAwayFrame); len(g) > 0 || tp.conns() != 1 {
		t.Errorf("%d connections, GOAWAYs %v", tp.conns(), g)
	}
}

// TestKeepaliveKiteClientDefaultsVsGRPCGoServer: a Kite client with the
// defaults (no pings) is never told off by a grpc-go server's default
// enforcement, however busy or idle.
func TestKeepaliveKiteClientDefaultsVsGRPCGoServer(t *testing.T) {
	checkGoroutines(t)
	tp := &tap{}
	addr := startGRPCGoTapped(t, tp)
	cli := kiteGRPCClient(t, addr)
	ctx := context.Background()
	big := strings.Repeat("b", 64<<10)
	for i := 0; i < 20; i++ {
		if _, err := cli.Echo(ctx, &pbecho.Request{Action: "echo", Msg: big}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := cli.Echo(ctx, &pbecho.Request{Action: "echo"}); err != nil {
		t.Fatal(err)
	}
	if g := tp.find(isGoAwayFrame); len(g) > 0 || tp.conns() != 1 {
		t.Errorf("%d connections, GOAWAYs %v", tp.conns(), g)
	}
}

// TestKeepaliveKiteClientVsGRPCGoServer: a Kite client's pings are
// answered by grpc-go's server when its policy allows them; a server
// with the default policy answers pings on an idle connection with GOAWAY
// ENHANCE_YOUR_CALM "too_many_pings", and the client goes on on a new
// connection that pings half as often.
func TestKeepaliveKiteClientVsGRPCGoServer(t *testing.T) {
	const kaTime = 50 * time.Millisecond
	ka := kite.WithGRPCKeepalive(kite.GRPCKeepalive{Time: kaTime, Timeout: time.Second, PermitWithoutStream: true})
	t.Run("allowed", func(t *testing.T) {
		checkGoroutines(t)
		tp := &tap{}
		addr := startGRPCGoTapped(t, tp, grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Millisecond, PermitWithoutStream: true}))
		cli := kiteGRPCClient(t, addr, ka)
		if _, err := cli.Echo(context.Background(), &pbecho.Request{Action: "echo"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(6 * kaTime)
		pings := tp.find(func(f tapFrame) bool { return f.typ == http2.FramePing && f.fromClient && !f.ack })
		if len(pings) < 3 {
			t.Errorf("%d PINGs from Kite's client in %v; Time is %v", len(pings), 6*kaTime, kaTime)
		}
		if _, err := cli.Echo(context.Background(), &pbecho.Request{Action: "echo"}); err != nil {
			t.Fatal(err)
		}
		if g := tp.find(isGoAwayFrame); len(g) > 0 || tp.conns() != 1 {
			t.Errorf("%d connections, GOAWAYs %v", tp.conns(), g)
		}
	})
	t.Run("too many", func(t *testing.T) {
		checkGoroutines(t)
		tp := &tap{}
		addr := startGRPCGoTapped(t, tp)
		cli := kiteGRPCClient(t, addr, ka)
		if _, err := cli.Echo(context.Background(), &pbecho.Request{Action: "echo"}); err != nil {
			t.Fatal(err)
		}
		g := tp.waitFor(t, 2*time.Second, "GOAWAY", isGoAwayFrame)
		if g.code != http2.ErrCodeEnhanceYourCalm || g.debug != "too_many_pings" {
			t.Fatalf("got %v", g)
		}
		time.Sleep(50 * time.Millisecond) // the connection closes
		if _, err := cli.Echo(context.Background(), &pbecho.Request{Action: "echo"}); err != nil {
			t.Fatalf("call after GOAWAY: %v", err)
		}
		if tp.conns() != 2 {
			t.Fatalf("%d connections, want a second one", tp.conns())
		}
		first := tp.waitFor(t, 2*time.Second, "PING on the new connection", func(f tapFrame) bool {
			return f.conn == 1 && f.typ == http2.FramePing && f.fromClient && !f.ack
		})
		tp.mu.Lock()
		start := tp.starts[1]
		tp.mu.Unlock()
		if d := first.at.Sub(start); d < 2*kaTime-10*time.Millisecond {
			t.Errorf("new connection pinged after %v; want Time doubled to %v", d, 2*kaTime)
		}
	})
}

// TestGraceExpiryKiteServerToGRPCGoClient: when a Kite server's Shutdown
// runs out of time, grpc-go's client gets a final GOAWAY and its open
// stream fails with UNAVAILABLE when the connection closes, as from a
// grpc-go server's Stop: no RST_STREAM, whose codes it would read as
// CANCELLED or UNKNOWN.
func TestGraceExpiryKiteServerToGRPCGoClient(t *testing.T) {
	checkGoroutines(t)
	srv := kite.NewServer()
	if err := srv.Register(pbecho.NewStreamServiceInfo(), &kitePB{}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	tp := &tap{}
	cc := dialTapped(t, ln.Addr().String(), tp)
	st, err := cc.NewStream(context.Background(), bidiDesc, "/protobuf.Echo/Bidi")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SendMsg(&pbecho.Request{Action: "a", Msg: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecvMsg(new(pbecho.Response)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Errorf("Shutdown: %v", err)
	}
	<-served
	err = st.RecvMsg(new(pbecho.Response))
	if status.Code(err) != codes.Unavailable {
		t.Errorf("RecvMsg: %v, want UNAVAILABLE", err)
	}
	rst := tp.find(func(f tapFrame) bool { return f.typ == http2.FrameRSTStream && !f.fromClient })
	goAways := tp.find(func(f tapFrame) bool { return isGoAwayFrame(f) && !f.fromClient })
	if len(rst) != 0 || len(goAways) == 0 {
		t.Errorf("RST_STREAMs %v, GOAWAYs %v; want no RST_STREAM and a final GOAWAY", rst, goAways)
	}
}
