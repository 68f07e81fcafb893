package main

import (
	"context"
	"net"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/internal/pbecho"
	"github.com/kite-rpc/kite/transport"
)

// TestKPBServerRepliesAsKitex replays the kpb_* captures: the reply must
// match Kitex's (TTHeader as maps, envelope and message bytes exactly).
func TestKPBServerRepliesAsKitex(t *testing.T) {
	addr, stop := startEchoServer(t)
	defer stop()
	for _, name := range []string{"kpb_echo_ttheaderframed", "kpb_echo_ttheaderframed_metainfo", "kpb_error_ttheaderframed"} {
		t.Run(name, func(t *testing.T) {
			req := readHex(t, "testdata/"+name+".req.hex")
			want := readHex(t, "testdata/"+name+".resp.hex")
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write(req); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			got, err := parseFrame(t, transport.NewReader(conn, 0))
			if err != nil {
				t.Fatalf("reading reply: %v", err)
			}
			exp, err := parseFrame(t, transport.NewReader(strings.NewReader(string(want)), 0))
			if err != nil {
				t.Fatal(err)
			}
			if got.payload != transport.KitexProtobuf {
				t.Errorf("payload %v", got.payload)
			}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("reply differs from Kitex's\n got  %+v\n want %+v\n got body  %x\n want body %x", got, exp, got.body, exp.body)
			}
		})
	}
}

// TestKPBClientRequestsAsKitex checks that a Kite Kitex-Protobuf client
// sends what Kitex sent (headers as maps; the envelope and message exactly)
// and decodes Kitex's reply.
func TestKPBClientRequestsAsKitex(t *testing.T) {
	for _, tc := range []struct {
		name    string
		action  string
		meta    bool
		wantErr string
	}{
		{"kpb_echo_ttheaderframed", "echo", false, ""},
		{"kpb_echo_ttheaderframed_metainfo", "meta", true, ""},
		{"kpb_error_ttheaderframed", "error", false, "biz error: kitexlab: plain handler error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp, err := parseFrame(t, transport.NewReader(strings.NewReader(string(readHex(t, "testdata/"+tc.name+".req.hex"))), 0))
			if err != nil {
				t.Fatal(err)
			}
			resp := readHex(t, "testdata/"+tc.name+".resp.hex")
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			gotc := make(chan parsed, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				p, err := parseFrame(t, transport.NewReader(conn, 0))
				if err != nil {
					close(gotc)
					return
				}
				gotc <- p
				conn.Write(withKPBSeq(resp, p.seq))
				var one [1]byte
				conn.Read(one[:])
			}()
			cli, err := pbecho.NewClient(kite.WithKitexProtobuf(), kite.WithHostPorts(ln.Addr().String()))
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			ctx := context.Background()
			if tc.meta {
				ctx = kite.WithValue(ctx, "k1", "v1")
				ctx = kite.WithPersistentValue(ctx, "pk1", "pv1")
				ctx = kite.WithBackwardValues(ctx)
			}
			r, err := cli.Echo(ctx, &pbecho.Request{Action: tc.action, Msg: "hello"})
			got, ok := <-gotc
			if !ok {
				t.Fatal("server did not get a frame")
			}
			// Kitex's seq ids are 1 (a fresh process); compare the rest.
			got.seq, exp.seq = 0, 0
			got.body = withoutKPBSeq(got.body)
			exp.body = withoutKPBSeq(exp.body)
			if !reflect.DeepEqual(got.body, exp.body) || got.framing != exp.framing || got.payload != exp.payload {
				t.Errorf("request differs\n got  %x\n want %x", got.body, exp.body)
			}
			for k, v := range exp.strs {
				if got.strs[k] != v {
					t.Errorf("str key %q = %q, want %q", k, got.strs[k], v)
				}
			}
			for _, k := range []uint16{1, 6, 9, 22} {
				if got.ints[k] != exp.ints[k] {
					t.Errorf("int key %d = %q, want %q", k, got.ints[k], exp.ints[k])
				}
			}
			if tc.wantErr != "" {
				ke, ok := err.(*kite.Error)
				if !ok || ke.Code != kite.CodeInternal || ke.Message != tc.wantErr || !ke.Remote {
					t.Fatalf("err = %#v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.meta {
				if r.Msg != "transient={k1=v1} persistent={pk1=pv1}" {
					t.Errorf("msg %q", r.Msg)
				}
				if bw := kite.RecvBackwardValues(ctx); bw["bkey"] != "bval" {
					t.Errorf("backward %v", bw)
				}
			} else if r.Action != "echo" || r.Msg != "hello" {
				t.Errorf("resp %v", r)
			}
		})
	}
}

// withoutKPBSeq blanks the seqid of a Kitex Protobuf envelope.
func withoutKPBSeq(b []byte) []byte {
	b = append([]byte(nil), b...)
	n := int(b[4])<<24 | int(b[5])<<16 | int(b[6])<<8 | int(b[7])
	copy(b[8+n:12+n], []byte{0, 0, 0, 0})
	return b
}

// withKPBSeq rewrites a captured TTHeaderFramed reply for seq.
func withKPBSeq(b []byte, seq int32) []byte {
	b = append([]byte(nil), b...)
	put := func(off int) {
		b[off], b[off+1], b[off+2], b[off+3] = byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq)
	}
	put(8) // TTHeader SEQID
	hsize := 14 + 4*(int(b[12])<<8|int(b[13]))
	env := hsize + 4
	n := int(b[env+4])<<24 | int(b[env+5])<<16 | int(b[env+6])<<8 | int(b[env+7])
	put(env + 8 + n)
	return b
}

// h2Exchange is what one side of a captured HTTP/2 exchange said on
// stream 1: decoded header blocks (sorted fields) and DATA payloads.
type h2Exchange struct {
	headers [][]string
	data    [][]byte
}

func readH2(t *testing.T, conn net.Conn, skipPreface bool) h2Exchange {
	t.Helper()
	if skipPreface {
		var pf [len(http2.ClientPreface)]byte
		if _, err := conn.Read(pf[:]); err != nil {
			t.Fatal(err)
		}
	}
	fr := http2.NewFramer(nil, conn)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	var ex h2Exchange
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return ex
		}
		if f.Header().StreamID != 1 {
			continue
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			var fs []string
			for _, hf := range f.Fields {
				fs = append(fs, hf.Name+": "+hf.Value)
			}
			sort.Strings(fs)
			ex.headers = append(ex.headers, fs)
			if f.StreamEnded() {
				return ex
			}
		case *http2.DataFrame:
			if len(f.Data()) > 0 {
				ex.data = append(ex.data, append([]byte(nil), f.Data()...))
			}
			if f.StreamEnded() {
				return ex
			}
		}
	}
}

type bytesConn struct {
	net.Conn
	r *strings.Reader
}

func (c bytesConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// TestGRPCServerRepliesAsKitex replays the grpc_* captures: the response
// headers, trailers (decoded) and message bytes must match Kitex's.
func TestGRPCServerRepliesAsKitex(t *testing.T) {
	addr, stop := startEchoServer(t)
	defer stop()
	for _, name := range []string{"grpc_echo_unary", "grpc_echo_unary_metainfo", "grpc_error_unary"} {
		t.Run(name, func(t *testing.T) {
			req := readHex(t, "testdata/"+name+".req.hex")
			want := readHex(t, "testdata/"+name+".resp.hex")
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write(req); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			got := readH2(t, conn, false)
			exp := readH2(t, bytesConn{r: strings.NewReader(string(want))}, false)
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("reply differs from Kitex's\n got  %q\n want %q", got, exp)
			}
		})
	}
}
