package kite_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	grpct "github.com/kite-rpc/kite/transport/grpc"
)

// waitForCtx is an echo handler whose Echo returns only when its context
// ends.
type waitForCtx struct {
	echoserver.Handler
	started chan struct{}
}

func (h waitForCtx) Echo(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	h.started <- struct{}{}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestGRPCShutdownGraceExpiry: when Shutdown's context ends with a gRPC
// call still running, the call fails with the server's RST_STREAM
// (UNAVAILABLE "graceful shutdown" for a Kite client), not as a dropped
// connection, and the handler's context is cancelled.
func TestGRPCShutdownGraceExpiry(t *testing.T) {
	leakCheck(t)
	h := waitForCtx{started: make(chan struct{}, 1)}
	srv, addr, served := serveOwn(t, h)
	cli := newClient(t, addr, kite.WithGRPC(), kite.WithRPCTimeout(5*time.Second))
	callErr := make(chan error, 1)
	go func() {
		_, err := cli.Echo(context.Background(), &echo.Request{Action: "wait"})
		callErr <- err
	}()
	<-h.started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v", err)
	}
	<-served
	err := <-callErr
	if kite.CodeOf(err) != kite.CodeUnavailable || !strings.Contains(err.Error(), "graceful shutdown") {
		t.Fatalf("call: %v (code %v), want UNAVAILABLE graceful shutdown", err, kite.CodeOf(err))
	}
}

// rawH2Server accepts HTTP/2 connections and answers only SETTINGS; it
// reports each connection and the PINGs received on it.
type rawH2Server struct {
	ln    net.Listener
	conns chan *rawH2Conn
	wg    sync.WaitGroup
}

type rawH2Conn struct {
	nc      net.Conn
	start   time.Time
	pings   chan time.Time
	onPing  func(fr *http2.Framer, data [8]byte) // nil: no answer
	wmu     sync.Mutex
	stopped chan struct{}
}

func startRawH2(t *testing.T, onPing func(fr *http2.Framer, data [8]byte)) *rawH2Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawH2Server{ln: ln, conns: make(chan *rawH2Conn, 16)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			c := &rawH2Conn{nc: nc, start: time.Now(), pings: make(chan time.Time, 64), onPing: onPing, stopped: make(chan struct{})}
			s.conns <- c
			s.wg.Add(1)
			go func() { defer s.wg.Done(); c.serve() }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case c := <-s.conns:
				c.nc.Close()
				continue
			default:
			}
			break
		}
		s.wg.Wait()
	})
	return s
}

func (c *rawH2Conn) serve() {
	defer close(c.stopped)
	defer c.nc.Close()
	var pf [len(http2.ClientPreface)]byte
	if _, err := io.ReadFull(c.nc, pf[:]); err != nil {
		return
	}
	fr := http2.NewFramer(c.nc, c.nc)
	if fr.WriteSettings() != nil {
		return
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		if p, ok := f.(*http2.PingFrame); ok && !p.IsAck() {
			c.pings <- time.Now()
			if c.onPing != nil {
				c.onPing(fr, p.Data)
			}
		}
	}
}

func (s *rawH2Server) next(t *testing.T) *rawH2Conn {
	t.Helper()
	select {
	case c := <-s.conns:
		t.Cleanup(func() { c.nc.Close() })
		return c
	case <-time.After(2 * time.Second):
		t.Fatal("no connection")
		return nil
	}
}

// TestGRPCClientKeepalive: a client whose server stops answering closes
// the connection after Time + Timeout; the call fails with UNAVAILABLE
// and the next call dials anew.
func TestGRPCClientKeepalive(t *testing.T) {
	leakCheck(t)
	s := startRawH2(t, nil)
	cli := newClient(t, s.ln.Addr().String(), kite.WithGRPC(), kite.WithRPCTimeout(5*time.Second),
		kite.WithGRPCKeepalive(kite.GRPCKeepalive{Time: 50 * time.Millisecond, Timeout: 100 * time.Millisecond}))
	start := time.Now()
	_, err := cli.Echo(context.Background(), &echo.Request{})
	if kite.CodeOf(err) != kite.CodeUnavailable || !errors.Is(err, grpct.ErrKeepalive) {
		t.Fatalf("call: %v (code %v), want UNAVAILABLE from keepalive", err, kite.CodeOf(err))
	}
	if d := time.Since(start); d < 140*time.Millisecond || d > 2*time.Second {
		t.Errorf("failed after %v; Time + Timeout is 150ms", d)
	}
	c1 := s.next(t)
	<-c1.stopped // the client closed it
	tctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _ = cli.Echo(tctx, &echo.Request{})
	s.next(t) // dialled anew
}

// TestGRPCClientTooManyPings: after a server closes a connection with
// GOAWAY ENHANCE_YOUR_CALM "too_many_pings", the client's new connections
// ping half as often, as grpc-go's do.
func TestGRPCClientTooManyPings(t *testing.T) {
	leakCheck(t)
	const kaTime = 40 * time.Millisecond
	s := startRawH2(t, func(fr *http2.Framer, data [8]byte) {
		_ = fr.WritePing(true, data)
		_ = fr.WriteGoAway(0, http2.ErrCodeEnhanceYourCalm, []byte("too_many_pings"))
	})
	cli := newClient(t, s.ln.Addr().String(), kite.WithGRPC(),
		kite.WithGRPCKeepalive(kite.GRPCKeepalive{Time: kaTime, Timeout: time.Second, PermitWithoutStream: true}))
	call := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_, _ = cli.Echo(ctx, &echo.Request{}) // the raw server never answers
	}
	call()
	c1 := s.next(t)
	if d := (<-c1.pings).Sub(c1.start); d < kaTime-5*time.Millisecond {
		t.Errorf("first connection pinged after %v; Time is %v", d, kaTime)
	}
	time.Sleep(20 * time.Millisecond) // the GOAWAY arrives
	call()
	c2 := s.next(t)
	select {
	case at := <-c2.pings:
		if d := at.Sub(c2.start); d < 2*kaTime-5*time.Millisecond {
			t.Errorf("second connection pinged after %v; want Time doubled to %v", d, 2*kaTime)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("second connection not pinged")
	}
}
