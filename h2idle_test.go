package kite_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/internal/pbecho"
)

// TestHTTP2IdleTimeout: an HTTP/2 connection with no stream that sends
// nothing is closed after the server's idle timeout.
func TestHTTP2IdleTimeout(t *testing.T) {
	leakCheck(t)
	srv := kite.NewServer(kite.WithIdleTimeout(100 * time.Millisecond))
	if err := srv.Register(pbecho.NewServiceInfo(), pbEcho{}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, http2.ClientPreface)
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Fatalf("connection not closed by the server: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed after %v", d)
	}
}

type pbEcho struct{}

func (pbEcho) Echo(ctx context.Context, req *pbecho.Request) (*pbecho.Response, error) {
	return &pbecho.Response{Action: req.Action, Msg: req.Msg}, nil
}
