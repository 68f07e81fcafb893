package protobuf_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/kite-rpc/kite/codec/protobuf"
	"github.com/kite-rpc/kite/internal/pbecho"
)

func readHex(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// kpbBody returns the Kitex Protobuf envelope inside a captured
// TTHeaderFramed frame.
func kpbBody(b []byte) []byte {
	hsize := 14 + 4*(int(b[12])<<8|int(b[13]))
	return b[hsize+4:]
}

func TestEnvelopeVectors(t *testing.T) {
	req := kpbBody(readHex(t, "kpb_echo_ttheaderframed.req.hex"))
	name, typ, seq, n, err := protobuf.ConsumeEnvelope(req)
	if err != nil || string(name) != "echo" || typ != protobuf.Call || seq != 1 {
		t.Fatalf("%q %v %d %v", name, typ, seq, err)
	}
	var m pbecho.Request
	if err := protobuf.Unmarshal(req[n:], &m); err != nil || m.Action != "echo" || m.Msg != "hello" {
		t.Fatalf("%v %v", &m, err)
	}
	// Re-encoding gives Kitex's bytes.
	b := protobuf.AppendEnvelope(nil, protobuf.Call, "echo", 1)
	if b, err = protobuf.Marshal(b, &m); err != nil || !bytes.Equal(b, req) {
		t.Fatalf("re-encoded %x\nwant        %x", b, req)
	}

	resp := kpbBody(readHex(t, "kpb_error_ttheaderframed.resp.hex"))
	_, typ, _, n, err = protobuf.ConsumeEnvelope(resp)
	if err != nil || typ != protobuf.Exception {
		t.Fatal(typ, err)
	}
	id, msg, err := protobuf.ConsumeError(resp[n:])
	if err != nil || id != 6 || msg != "biz error: kitexlab: plain handler error" {
		t.Fatalf("%d %q %v", id, msg, err)
	}
	if e := protobuf.AppendError(nil, id, msg); !bytes.Equal(e, resp[n:]) || protobuf.ErrorSize(id, msg) != len(e) {
		t.Fatalf("ErrorProto %x, want %x", e, resp[n:])
	}
}

func TestPrefix(t *testing.T) {
	b := protobuf.AppendPrefix(nil, true, 300)
	c, n, ok := protobuf.ConsumePrefix(b)
	if !ok || !c || n != 300 || len(b) != protobuf.PrefixSize {
		t.Fatal(c, n, ok)
	}
	if _, _, ok := protobuf.ConsumePrefix(b[:4]); ok {
		t.Fatal("short prefix accepted")
	}
}

func FuzzConsumeEnvelope(f *testing.F) {
	for _, name := range []string{"kpb_echo_ttheaderframed.req.hex", "kpb_echo_ttheaderframed_metainfo.resp.hex", "kpb_error_ttheaderframed.resp.hex"} {
		f.Add(kpbBody(readHex(f, name)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		name, _, _, n, err := protobuf.ConsumeEnvelope(b)
		if err != nil {
			return
		}
		if n > len(b) || len(name) > len(b) {
			t.Fatalf("n=%d for %d bytes", n, len(b))
		}
		_, _, _ = protobuf.ConsumeError(b[n:])
	})
}
