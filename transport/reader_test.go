package transport

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/kite-rpc/kite/codec/ttheader"
)

func readHex(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// vectorFraming is what each captured case uses, from its notes.
func vectorFraming(name string) Framing {
	switch {
	case strings.Contains(name, "ttheaderframed"), strings.Contains(name, "_mux"), strings.HasPrefix(name, "kpb_"):
		return TTHeaderFramed
	case strings.Contains(name, "ttheader"):
		return TTHeader
	case strings.Contains(name, "buffered"):
		return Buffered
	}
	return Framed
}

func TestReadVectors(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.hex")
	if len(files) == 0 {
		t.Fatal("no vectors in testdata")
	}
	for _, f := range files {
		b := readHex(t, f)
		if len(b) == 0 {
			continue // oneway: no reply
		}
		name := strings.TrimSuffix(filepath.Base(f), ".hex")
		t.Run(name, func(t *testing.T) {
			for _, src := range []struct {
				name string
				r    io.Reader
			}{{"whole", bytes.NewReader(b)}, {"one-byte", iotest.OneByteReader(bytes.NewReader(b))}} {
				rd := NewReader(src.r, 0)
				var m Message
				if err := rd.ReadMessage(&m); err != nil {
					t.Fatalf("%s: %v", src.name, err)
				}
				if want := vectorFraming(name); m.Framing != want {
					t.Errorf("%s: framing %v, want %v", src.name, m.Framing, want)
				}
				wantPayload := ThriftBinary
				if strings.HasPrefix(name, "kpb_") {
					wantPayload = KitexProtobuf
				}
				if m.Payload != wantPayload {
					t.Errorf("%s: payload %v, want %v", src.name, m.Payload, wantPayload)
				}
				if m.Size != len(b) {
					t.Errorf("%s: size %d, want %d", src.name, m.Size, len(b))
				}
				if !bytes.HasSuffix(b, m.Body) || len(m.Body) == 0 {
					t.Errorf("%s: body is not the tail of the frame", src.name)
				}
				if err := rd.ReadMessage(&m); err != io.EOF {
					t.Errorf("%s: after the frame: %v, want EOF", src.name, err)
				}
			}
		})
	}
}

func TestReadPipelined(t *testing.T) {
	var all []byte
	names := []string{"thrift_echo_framed.req", "thrift_echo_buffered.req", "thrift_echo_ttheader.req", "thrift_echo_ttheaderframed.req"}
	for _, n := range names {
		all = append(all, readHex(t, "testdata/"+n+".hex")...)
	}
	all = append(all, all...)
	rd := NewReader(bytes.NewReader(all), 0)
	var m Message
	for i := 0; i < 2*len(names); i++ {
		if err := rd.ReadMessage(&m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if want := vectorFraming(names[i%len(names)]); m.Framing != want {
			t.Fatalf("message %d: framing %v, want %v", i, m.Framing, want)
		}
	}
	if err := rd.ReadMessage(&m); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

func TestReadErrors(t *testing.T) {
	framed := readHex(t, "testdata/thrift_echo_framed.req.hex")
	tth := readHex(t, "testdata/thrift_echo_ttheader.req.hex")
	cases := []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"empty", nil, 0, io.EOF},
		{"http2", []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, ErrHTTP2Preface},
		{"http1", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0, ErrInvalidFrame},
		{"zeros", make([]byte, 8), 0, ErrInvalidFrame},
		{"non-strict binary", []byte{0, 0, 0, 4, 'E', 'c', 'h', 'o', 1, 0, 0, 0, 9, 0}, 0, ErrInvalidFrame},
		{"framed too large", framed, 16, ErrFrameTooLarge},
		{"ttheader too large", tth, 32, ErrFrameTooLarge},
		{"2GB framed", []byte{0x7f, 0xff, 0xff, 0xff, 0x80, 0x01, 0x00, 0x01}, 0, ErrFrameTooLarge},
		{"truncated framed", framed[:20], 0, io.ErrUnexpectedEOF},
		{"truncated ttheader", tth[:40], 0, io.ErrUnexpectedEOF},
		{"buffered too large", readHex(t, "testdata/thrift_echo_buffered.req.hex"), 16, ErrFrameTooLarge},
		{"bad ttheader payload", append(append([]byte{}, tth[:len(tth)-48]...), make([]byte, 48)...), 0, ErrInvalidFrame},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rd := NewReader(bytes.NewReader(c.in), c.max)
			var m Message
			err := rd.ReadMessage(&m)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestFrameRoundTrip(t *testing.T) {
	body := readHex(t, "testdata/thrift_echo_buffered.req.hex")
	for _, f := range []Framing{Buffered, Framed, TTHeader, TTHeaderFramed} {
		var h ttheader.Header
		h.SeqID = 7
		h.SetStr(ttheader.KeyIDLServiceName, "EchoServer")
		h.SetInt(ttheader.MsgType, "1")
		b, err := BeginFrame(nil, f, &h)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != Overhead(f, &h) {
			t.Errorf("%v: overhead %d, wrote %d", f, Overhead(f, &h), len(b))
		}
		b = append(b, body...)
		EndFrame(b, 0, f)
		var m Message
		if err := NewReader(bytes.NewReader(b), 0).ReadMessage(&m); err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		if m.Framing != f || !bytes.Equal(m.Body, body) {
			t.Errorf("%v: read back framing %v body %x", f, m.Framing, m.Body)
		}
		if f.HasTTHeader() {
			if v, _ := m.Header.Str(ttheader.KeyIDLServiceName); v != "EchoServer" || m.Header.SeqID != 7 {
				t.Errorf("%v: header %+v", f, m.Header)
			}
		}
	}
}

func TestFramingNames(t *testing.T) {
	for _, f := range []Framing{Buffered, Framed, TTHeader, TTHeaderFramed} {
		if g, ok := ParseFraming(f.String()); !ok || g != f {
			t.Errorf("ParseFraming(%q) = %v, %v", f.String(), g, ok)
		}
	}
}

func FuzzReadMessage(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.hex")
	for _, p := range files {
		f.Add(readHex(f, p))
	}
	f.Add([]byte("PRI * HTTP/2.0"))
	f.Add(meshFrame(readHex(f, "testdata/thrift_echo_framed.req.hex"), "k", "v"))
	f.Add(meshFrame(readHex(f, "testdata/thrift_echo_buffered.req.hex")))
	f.Fuzz(func(t *testing.T, in []byte) {
		rd := NewReader(bytes.NewReader(in), 1<<16)
		var m Message
		for i := 0; i < 8; i++ {
			if err := rd.ReadMessage(&m); err != nil {
				return
			}
			if m.Size <= 0 || m.Size > len(in) || len(m.Body) > m.Size {
				t.Fatalf("size %d body %d of %d input bytes", m.Size, len(m.Body), len(in))
			}
		}
	})
}

func BenchmarkReadFramed(b *testing.B) {
	frame := readHex(b, "testdata/thrift_echo_ttheader_1k.req.hex")
	src := bytes.NewReader(nil)
	rd := NewReader(src, 0)
	var m Message
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for i := 0; i < b.N; i++ {
		src.Reset(frame)
		if err := rd.ReadMessage(&m); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseMessageNeedMore(t *testing.T) {
	for _, name := range []string{"thrift_echo_framed.req", "thrift_echo_buffered.req", "thrift_echo_ttheader.req", "thrift_echo_ttheaderframed.req"} {
		b := readHex(t, "testdata/"+name+".hex")
		var m Message
		for i := 0; i < len(b); i++ {
			n, err := ParseMessage(b[:i], &m, 0)
			if err != ErrNeedMore {
				t.Fatalf("%s: %d of %d bytes: %v", name, i, len(b), err)
			}
			if n != 0 && n != 8 && n != len(b) {
				t.Fatalf("%s: %d of %d bytes: need hint %d", name, i, len(b), n)
			}
		}
		if n, err := ParseMessage(b, &m, 0); err != nil || n != len(b) {
			t.Fatalf("%s: whole frame: %d, %v", name, n, err)
		}
	}
}

// TestFrameBuffered checks the cheap "is a whole frame already buffered"
// test servers batch pipelined replies by.
func TestFrameBuffered(t *testing.T) {
	framed := readHex(t, "testdata/thrift_echo_framed.req.hex")
	tth := readHex(t, "testdata/thrift_echo_ttheader.req.hex")
	buffered := readHex(t, "testdata/thrift_echo_buffered.req.hex")
	cases := []struct {
		name string
		in   []byte // the source: one frame is read, then FrameBuffered asked
		want bool
	}{
		{"framed then framed", append(append([]byte(nil), framed...), framed...), true},
		{"framed then half", append(append([]byte(nil), framed...), framed[:len(framed)-1]...), false},
		{"framed then 3 bytes", append(append([]byte(nil), framed...), framed[:3]...), false},
		{"framed alone", framed, false},
		{"framed then ttheader", append(append([]byte(nil), framed...), tth...), true},
		{"ttheader then half", append(append([]byte(nil), tth...), tth[:20]...), false},
		{"framed then buffered", append(append([]byte(nil), framed...), buffered...), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rd := NewReader(bytes.NewReader(tc.in), 0)
			var m Message
			if err := rd.ReadMessage(&m); err != nil {
				t.Fatal(err)
			}
			// bytes.Reader hands the Reader everything in its first read.
			if got := rd.FrameBuffered(); got != tc.want {
				t.Fatalf("FrameBuffered = %v, want %v (buffered %d)", got, tc.want, rd.Buffered())
			}
		})
	}
}
