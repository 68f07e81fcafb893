package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/internal/pbecho"
)

// h2Request is the first request stream of an HTTP/2 client connection:
// its header fields and the bytes of its DATA frames.
type h2Request struct {
	headers map[string]string
	data    []byte
}

// readH2Request parses a client's side of an HTTP/2 connection up to the
// end of stream 1.
func readH2Request(t *testing.T, r io.Reader) h2Request {
	t.Helper()
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(r, preface); err != nil || string(preface) != http2.ClientPreface {
		t.Fatalf("preface %q: %v", preface, err)
	}
	fr := http2.NewFramer(io.Discard, r)
	req := h2Request{headers: map[string]string{}}
	dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) { req.headers[f.Name] = f.Value })
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading frames: %v", err)
		}
		switch f := f.(type) {
		case *http2.HeadersFrame:
			if _, err := dec.Write(f.HeaderBlockFragment()); err != nil {
				t.Fatal(err)
			}
			if f.StreamEnded() {
				return req
			}
		case *http2.DataFrame:
			req.data = append(req.data, f.Data()...)
			if f.StreamEnded() {
				return req
			}
		}
	}
}

// TestGRPCClientRequestsAsKitex: Kite's gRPC client sends what a Kitex
// client sends for the same unary call — the same routing and content
// headers and the same length-prefixed message bytes.
func TestGRPCClientRequestsAsKitex(t *testing.T) {
	cases := []struct {
		name, action string
		meta         bool
	}{
		{"grpc_echo_unary", "echo", false},
		{"grpc_echo_unary_metainfo", "meta", true},
		{"grpc_error_unary", "error", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { grpcClientRequestAsKitex(t, c.name, c.action, c.meta) })
	}
}

func grpcClientRequestAsKitex(t *testing.T, name, action string, meta bool) {
	want := readH2Request(t, bytes.NewReader(readHex(t, "testdata/"+name+".req.hex")))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan h2Request, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		got <- readH2Request(t, conn)
	}()

	cli, err := pbecho.NewClient(kite.WithHostPorts(ln.Addr().String()), kite.WithGRPC())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if meta {
		ctx = kite.WithValue(ctx, "k1", "v1")
		ctx = kite.WithPersistentValue(ctx, "pk1", "pv1")
	}
	go cli.Echo(ctx, &pbecho.Request{Action: action, Msg: "hello"}) // the fake server never answers

	var g h2Request
	select {
	case g = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no request arrived")
	}
	cancel()
	for _, k := range []string{":method", ":scheme", ":path", "content-type", "te"} {
		if g.headers[k] != want.headers[k] {
			t.Errorf("header %s = %q, Kitex sends %q", k, g.headers[k], want.headers[k])
		}
	}
	if g.headers[":authority"] == "" {
		t.Error("no :authority")
	}
	if !strings.HasSuffix(g.headers["grpc-timeout"], "m") && !strings.HasSuffix(g.headers["grpc-timeout"], "u") {
		t.Errorf("grpc-timeout %q for a 2 s deadline", g.headers["grpc-timeout"])
	}
	if meta && (want.headers["rpc-transit-k1"] != "v1" || want.headers["rpc-persist-pk1"] != "pv1") {
		t.Fatalf("the captured request lacks its metainfo headers: %v", want.headers)
	}
	for k, v := range want.headers {
		if strings.HasPrefix(k, "rpc-transit-") || strings.HasPrefix(k, "rpc-persist-") {
			if g.headers[k] != v {
				t.Errorf("metainfo header %s = %q, Kitex sends %q", k, g.headers[k], v)
			}
		}
	}
	if !bytes.Equal(g.data, want.data) {
		t.Errorf("message bytes\n got  %x\n want %x", g.data, want.data)
	}
}
