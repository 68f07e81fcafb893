package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/internal/pbecho"
	"github.com/kite-rpc/kite/interop/grpcecho"
)

// kitePB is the Kite-side protobuf echo, behaving as grpcecho.Server.
type kitePB struct {
	canceled chan error
}

func (h *kitePB) Echo(ctx context.Context, req *pbecho.Request) (*pbecho.Response, error) {
	switch req.Action {
	case "error":
		return nil, errors.New("kite: plain handler error")
	case "biz":
		return nil, kite.NewBizError(10001, "biz status", map[string]string{"k": "v"})
	case "sleep":
		ms, _ := strconv.Atoi(req.Msg)
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-ctx.Done():
			notify(h.canceled, ctx.Err())
			return nil, ctx.Err()
		}
	case "md":
		md := kite.MetadataFromContext(ctx)
		u := strings.Join(md["x-user"], ",")
		kite.SetHeader(ctx, kite.Metadata{"x-echo-hdr": {u}})
		kite.SetTrailer(ctx, kite.Metadata{"x-echo-trl": {u}, "x-bin-bin": {"\x00\x01" + u}})
		return &pbecho.Response{Action: req.Action, Msg: u}, nil
	case "details":
		kite.SetTrailer(ctx, kite.Metadata{"grpc-status-details-bin": {req.Msg}})
		return nil, kite.NewError(kite.CodeInvalidArgument, "kite: bad")
	}
	return &pbecho.Response{Action: req.Action, Msg: req.Msg}, nil
}

func (h *kitePB) ServerStream(req *pbecho.Request, st *kite.ServerStreamOf[pbecho.Request, pbecho.Response]) error {
	n, _ := strconv.Atoi(req.Action)
	for i := 0; i < n || i == 0; i++ {
		if err := st.Send(&pbecho.Response{Action: strconv.Itoa(i), Msg: req.Msg}); err != nil {
			return err
		}
	}
	return nil
}

func (h *kitePB) ClientStream(st *kite.ServerStreamOf[pbecho.Request, pbecho.Response]) error {
	n, last := 0, ""
	for {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return st.Send(&pbecho.Response{Action: strconv.Itoa(n), Msg: last})
		}
		if err != nil {
			return err
		}
		n, last = n+1, req.Msg
	}
}

func (h *kitePB) Bidi(st *kite.ServerStreamOf[pbecho.Request, pbecho.Response]) error {
	for {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			notify(h.canceled, err)
			return err
		}
		if err := st.Send(&pbecho.Response{Action: req.Action, Msg: req.Msg}); err != nil {
			return err
		}
	}
}

// startKitePB starts a Kite server with the protobuf echo (and the Thrift
// one, to prove they share the port).
func startKitePB(t *testing.T, h *kitePB, opts ...kite.ServerOption) string {
	t.Helper()
	srv := kite.NewServer(opts...)
	if err := srv.Register(pbecho.NewStreamServiceInfo(), h); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("kite shutdown: %v", err)
		}
		<-done
	})
	return ln.Addr().String()
}

// startGRPCGo starts a grpc-go echo server.
func startGRPCGo(t *testing.T, s *grpcecho.Server, opts ...grpc.ServerOption) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(opts...)
	gs.RegisterService(&grpcecho.ServiceDesc, s)
	done := make(chan struct{})
	go func() { _ = gs.Serve(ln); close(done) }()
	t.Cleanup(func() { gs.Stop(); <-done })
	return ln.Addr().String()
}

// selfSigned returns a server TLS config for 127.0.0.1 and a client config
// trusting it.
func selfSigned(t *testing.T) (*tls.Config, *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kite-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{"h2"}}
	return srv, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

func kiteWithTLS(cfg *tls.Config) kite.ServerOption { return kite.WithTLS(cfg) }

// notify reports err on c without blocking.
func notify(c chan error, err error) {
	select {
	case c <- err:
	default:
	}
}
