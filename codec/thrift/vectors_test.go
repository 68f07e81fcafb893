package thrift_test

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
)

// readHex reads a testdata .hex file (whitespace-separated lowercase hex).
func readHex(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// mustHex decodes a hex string with optional spaces.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(strings.Join(strings.Fields(s), ""), "|", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// payload strips TTHeader and Framed framing from a captured byte stream
// holding one message and returns the Thrift payload.
func payload(t testing.TB, b []byte) []byte {
	t.Helper()
	if len(b) >= 14 && b[4] == 0x10 && b[5] == 0x00 { // TTHeader
		end := 4 + int(binary.BigEndian.Uint32(b))
		start := 14 + 4*int(binary.BigEndian.Uint16(b[12:]))
		if end != len(b) || start > end {
			t.Fatalf("bad TTHeader framing")
		}
		b = b[start:end]
	}
	if len(b) >= 2 && b[0] == 0x80 && b[1] == 0x01 {
		return b
	}
	if len(b) < 4 || int(binary.BigEndian.Uint32(b))+4 != len(b) {
		t.Fatalf("bad Framed framing")
	}
	return b[4:]
}

type vectorCase struct {
	file   string
	method string
	typ    thrift.MessageType
}

var vectorCases = []vectorCase{
	{"thrift_bizerror_framed.req.hex", "Echo", thrift.Call},
	{"thrift_bizerror_framed.resp.hex", "Echo", thrift.Reply},
	{"thrift_bizerror_ttheader.req.hex", "Echo", thrift.Call},
	{"thrift_bizerror_ttheader.resp.hex", "Echo", thrift.Reply},
	{"thrift_echo_buffered.req.hex", "Echo", thrift.Call},
	{"thrift_echo_buffered.resp.hex", "Echo", thrift.Reply},
	{"thrift_echo_framed.req.hex", "Echo", thrift.Call},
	{"thrift_echo_framed.resp.hex", "Echo", thrift.Reply},
	{"thrift_echo_framed_metainfo.req.hex", "Echo", thrift.Call},
	{"thrift_echo_framed_metainfo.resp.hex", "Echo", thrift.Reply},
	{"thrift_echo_mux.req.hex", "Echo", thrift.Call},
	{"thrift_echo_mux.resp.hex", "Echo", thrift.Reply},
	{"thrift_echo_ttheader.req.hex", "Echo", thrift.Call},
	{"thrift_echo_ttheader.resp.hex", "Echo", thrift.Reply},
	{"thrift_echo_ttheader_1k.req.hex", "Echo", thrift.Call},
	{"thrift_echo_ttheader_1k.resp.hex", "Echo", thrift.Reply},
	{"thrift_echo_ttheader_metainfo.req.hex", "Echo", thrift.Call},
	{"thrift_echo_ttheader_metainfo.resp.hex", "Echo", thrift.Reply},
	{"thrift_echo_ttheader_nometahandler.req.hex", "Echo", thrift.Call},
	{"thrift_echo_ttheader_nometahandler.resp.hex", "Echo", thrift.Reply},
	{"thrift_echo_ttheader_rpctimeout.req.hex", "Echo", thrift.Call},
	{"thrift_echo_ttheader_rpctimeout.resp.hex", "Echo", thrift.Reply},
	{"thrift_echo_ttheaderframed.req.hex", "Echo", thrift.Call},
	{"thrift_echo_ttheaderframed.resp.hex", "Echo", thrift.Reply},
	{"thrift_error_framed.req.hex", "Echo", thrift.Call},
	{"thrift_error_framed.resp.hex", "Echo", thrift.Exception},
	{"thrift_error_ttheader.req.hex", "Echo", thrift.Call},
	{"thrift_error_ttheader.resp.hex", "Echo", thrift.Exception},
	{"thrift_exception_ttheader.req.hex", "EchoWithException", thrift.Call},
	{"thrift_exception_ttheader.resp.hex", "EchoWithException", thrift.Reply},
	{"thrift_oneway_framed.req.hex", "EchoOneway", thrift.Oneway},
	{"thrift_oneway_ttheader.req.hex", "EchoOneway", thrift.Oneway},
	{"thrift_unknown_method_ttheader.req.hex", "UnknownMethod", thrift.Call},
	{"thrift_unknown_method_ttheader.resp.hex", "UnknownMethod", thrift.Exception},
}

func TestVectorsEnvelope(t *testing.T) {
	for _, c := range vectorCases {
		t.Run(c.file, func(t *testing.T) {
			p := payload(t, readHex(t, c.file))
			name, typ, seq, n, err := thrift.ConsumeMessageBegin(p, thrift.Binary)
			if err != nil {
				t.Fatal(err)
			}
			if string(name) != c.method || typ != c.typ || seq != 1 {
				t.Fatalf("got %q %v %d, want %q %v 1", name, typ, seq, c.method, c.typ)
			}
			if n != thrift.MessageBeginSize(thrift.Binary, c.method) {
				t.Fatalf("envelope size %d, MessageBeginSize %d", n, thrift.MessageBeginSize(thrift.Binary, c.method))
			}
			// Re-encoding the envelope gives the same bytes.
			if got := thrift.AppendMessageBegin(nil, thrift.Binary, c.method, c.typ, 1); string(got) != string(p[:n]) {
				t.Fatalf("re-encoded envelope % x, want % x", got, p[:n])
			}
			m, err := thrift.SkipMessage(p, thrift.Binary)
			if err != nil || m != len(p) {
				t.Fatalf("SkipMessage = %d, %v; want %d", m, err, len(p))
			}
			// Every proper prefix needs more bytes.
			for i := 0; i < len(p); i++ {
				if _, err := thrift.SkipMessage(p[:i], thrift.Binary); !errors.Is(err, thrift.ErrShort) {
					t.Fatalf("SkipMessage(prefix %d) = %v, want ErrShort", i, err)
				}
			}
			// Trailing bytes are not part of the message.
			if m, err := thrift.SkipMessage(append(p[:len(p):len(p)], 0x80, 1), thrift.Binary); err != nil || m != len(p) {
				t.Fatalf("SkipMessage with trailing bytes = %d, %v", m, err)
			}
			if c.typ == thrift.Exception {
				var e thrift.ApplicationException
				k, err := e.ConsumeBinary(p[n:])
				if err != nil || n+k != len(p) {
					t.Fatalf("ApplicationException: %d, %v", k, err)
				}
				if got := e.AppendBinary(nil); string(got) != string(p[n:]) {
					t.Fatalf("re-encoded exception % x, want % x", got, p[n:])
				}
				t.Logf("exception %v: %s", e.Type, e.Error())
			}
		})
	}
}

func TestVectorExceptions(t *testing.T) {
	for _, c := range []struct {
		file string
		typ  thrift.ExceptionType
		msg  string
	}{
		{"thrift_error_framed.resp.hex", thrift.ExInternalError, "biz error: kitexlab: plain handler error"},
		{"thrift_unknown_method_ttheader.resp.hex", thrift.ExUnknownMethod, "unknown method UnknownMethod (service EchoServer)"},
	} {
		p := payload(t, readHex(t, c.file))
		_, _, _, n, err := thrift.ConsumeMessageBegin(p, thrift.Binary)
		if err != nil {
			t.Fatal(err)
		}
		var e thrift.ApplicationException
		if _, err := thrift.Consume(p[n:], thrift.Binary, &e); err != nil {
			t.Fatal(err)
		}
		if e.Type != c.typ || e.Message != c.msg {
			t.Errorf("%s: got %v %q, want %v %q", c.file, e.Type, e.Message, c.typ, c.msg)
		}
	}
}

// The golden cases of WIRE.md §10 (payload after framing).
func TestWireGoldenCases(t *testing.T) {
	for _, c := range []struct {
		name, hex string
		method    string
		typ       thrift.MessageType
		seq       int32
	}{
		{"GC-1 req", "80 01 00 01 00 00 00 04 45 63 68 6f 00 00 00 01 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00", "Echo", thrift.Call, 1},
		{"GC-1 resp", "80 01 00 02 00 00 00 04 45 63 68 6f 00 00 00 01 0c 00 00 0b 00 01 00 00 00 02 68 69 00 00", "Echo", thrift.Reply, 1},
		{"GC-6 resp", "80 01 00 03 00 00 00 04 45 63 68 6f 00 00 00 06 0b 00 01 00 00 00 0f 62 69 7a 20 65 72 72 6f 72 3a 20 62 6f 6f 6d 08 00 02 00 00 00 06 00", "Echo", thrift.Exception, 6},
		{"GC-7 resp", "80 01 00 02 00 00 00 04 45 63 68 6f 00 00 00 07 0c 00 01 08 00 01 00 00 00 07 0b 00 02 00 00 00 03 62 61 64 00 00", "Echo", thrift.Reply, 7},
		{"GC-8 resp", "80 01 00 03 00 00 00 04 4e 6f 70 65 00 00 00 06 0b 00 01 00 00 00 1d 75 6e 6b 6e 6f 77 6e 20 73 65 72 76 69 63 65 20 2c 20 6d 65 74 68 6f 64 20 4e 6f 70 65 08 00 02 00 00 00 14 00", "Nope", thrift.Exception, 6},
		{"GC-11 resp", "80 01 00 02 00 00 00 04 45 63 68 6f 00 00 00 15 00", "Echo", thrift.Reply, 21},
		{"GC-12 req", "80 01 00 04 00 00 00 06 4f 6e 65 77 61 79 00 00 00 0f 0c 00 01 0b 00 01 00 00 00 02 6f 77 00 00", "Oneway", thrift.Oneway, 15},
	} {
		p := mustHex(c.hex)
		name, typ, seq, n, err := thrift.ConsumeMessageBegin(p, thrift.Binary)
		if err != nil || string(name) != c.method || typ != c.typ || seq != c.seq {
			t.Errorf("%s: %q %v %d %v", c.name, name, typ, seq, err)
			continue
		}
		if m, err := thrift.SkipMessage(p, thrift.Binary); err != nil || m != len(p) {
			t.Errorf("%s: SkipMessage %d %v", c.name, m, err)
		}
		if got := thrift.AppendMessageBegin(nil, thrift.Binary, c.method, c.typ, c.seq); string(got) != string(p[:n]) {
			t.Errorf("%s: envelope % x", c.name, got)
		}
	}
}
