package echo_test

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/internal/echo"
)

func readHex(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// payload strips TTHeader and Framed framing from a captured stream that
// holds one message.
func payload(t testing.TB, b []byte) []byte {
	t.Helper()
	if len(b) >= 14 && b[4] == 0x10 && b[5] == 0x00 {
		end := 4 + int(binary.BigEndian.Uint32(b))
		b = b[14+4*int(binary.BigEndian.Uint16(b[12:])) : end]
	}
	if len(b) >= 2 && b[0] == 0x80 && b[1] == 0x01 {
		return b
	}
	if len(b) < 4 || int(binary.BigEndian.Uint32(b))+4 != len(b) {
		t.Fatalf("bad framing")
	}
	return b[4:]
}

var msg1K = strings.Repeat("abcdefghijklmnopqrstuvwxyz", 40)[:1024]

func TestVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "thrift_*.hex"))
	if err != nil || len(files) < 30 {
		t.Fatalf("vectors: %v %d", err, len(files))
	}
	for _, f := range files {
		f := filepath.Base(f)
		t.Run(f, func(t *testing.T) {
			p := payload(t, readHex(t, f))
			name, typ, seq, n, err := thrift.ConsumeMessageBegin(p, thrift.Binary)
			if err != nil {
				t.Fatal(err)
			}
			body := p[n:]
			var s thrift.Struct
			switch {
			case typ == thrift.Exception:
				s = new(thrift.ApplicationException)
			case typ == thrift.Call || typ == thrift.Oneway:
				switch string(name) {
				case echo.MethodEchoWithException:
					s = new(echo.EchoWithExceptionArgs)
				case echo.MethodEchoOneway:
					s = new(echo.EchoOnewayArgs)
				default: // Echo, and UnknownMethod, which takes a Request too
					s = new(echo.EchoArgs)
				}
			case string(name) == echo.MethodEchoWithException:
				s = new(echo.EchoWithExceptionResult)
			default:
				s = new(echo.EchoResult)
			}
			m, err := s.ConsumeBinary(body)
			if err != nil || m != len(body) {
				t.Fatalf("%T: %d of %d, %v", s, m, len(body), err)
			}
			checkVector(t, f, s)
			if s.BinarySize() != len(body) {
				t.Fatalf("BinarySize %d, want %d", s.BinarySize(), len(body))
			}
			out := thrift.AppendMessageBegin(nil, thrift.Binary, string(name), typ, seq)
			out = s.AppendBinary(out)
			if string(out) != string(p) {
				t.Fatalf("re-encoded:\n% x\nwant\n% x", out, p)
			}
			// The compact form decodes to the same value.
			c := s.AppendCompact(nil)
			s2 := reflect.New(reflect.TypeOf(s).Elem()).Interface().(thrift.Struct)
			if k, err := s2.ConsumeCompact(c); err != nil || k != len(c) || !reflect.DeepEqual(s, s2) {
				t.Fatalf("compact round trip: %d %v\n%+v\n%+v", k, err, s, s2)
			}
		})
	}
}

func checkVector(t *testing.T, file string, s thrift.Struct) {
	t.Helper()
	req := func() *echo.Request {
		switch a := s.(type) {
		case *echo.EchoArgs:
			return a.Req
		case *echo.EchoWithExceptionArgs:
			return a.Req
		case *echo.EchoOnewayArgs:
			return a.Req
		}
		return nil
	}()
	switch {
	case strings.HasSuffix(file, ".req.hex"):
		if req == nil {
			t.Fatalf("%T has no request", s)
		}
		want := "hello"
		if strings.Contains(file, "_1k") {
			want = msg1K
		}
		if req.Msg != want {
			t.Fatalf("msg %q", req.Msg)
		}
		action := "echo"
		switch {
		case strings.Contains(file, "bizerror"):
			action = "bizerror"
		case strings.Contains(file, "error"):
			action = "error"
		case strings.Contains(file, "exception"):
			action = "throw"
		case strings.Contains(file, "framed_metainfo"):
			action = "meta"
		}
		if req.Action != action {
			t.Fatalf("action %q, want %q", req.Action, action)
		}
	case strings.Contains(file, "bizerror"):
		if r := s.(*echo.EchoResult); r.Success != nil {
			t.Fatalf("bizerror reply has a success field: %+v", r.Success)
		}
	case strings.Contains(file, "thrift_exception"):
		r := s.(*echo.EchoWithExceptionResult)
		want := &echo.EchoException{Code: 42, Message: "kitexlab declared exception"}
		if r.Success != nil || !reflect.DeepEqual(r.Err, want) {
			t.Fatalf("got %+v %+v", r.Success, r.Err)
		}
		if got := r.Err.Error(); got != "EchoException({Code:42 Message:kitexlab declared exception})" {
			t.Fatalf("Error() = %q", got)
		}
	case strings.Contains(file, "thrift_echo"):
		r := s.(*echo.EchoResult)
		if r.Success == nil || r.Success.Action != "echo" && r.Success.Action != "meta" {
			t.Fatalf("got %+v", r.Success)
		}
	}
}

func TestRequiredFields(t *testing.T) {
	for _, c := range []struct {
		name  string
		s     thrift.Struct
		input []byte
		field string
	}{
		{"Request empty", new(echo.Request), []byte{0}, "action"},
		{"Request no msg", new(echo.Request), thrift.AppendFieldStop(thrift.AppendString(thrift.AppendFieldBegin(nil, thrift.STRING, 1), "a")), "msg"},
		{"Request wrong type", new(echo.Request), thrift.AppendFieldStop(thrift.AppendI32(thrift.AppendFieldBegin(nil, thrift.I32, 1), 5)), "action"},
		{"Response empty", new(echo.Response), []byte{0}, "action"},
	} {
		_, err := c.s.ConsumeBinary(c.input)
		if !errors.Is(err, thrift.ErrRequiredField) || err.Error() != "required field "+c.field+" is not set" {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// ComplexRequest without flagMsg (field 6).
	b := thrift.AppendFieldBegin(nil, thrift.STRING, 1)
	b = thrift.AppendString(b, "a")
	b = thrift.AppendFieldBegin(b, thrift.STRING, 2)
	b = thrift.AppendString(b, "m")
	b = thrift.AppendFieldBegin(b, thrift.MAP, 3)
	b = thrift.AppendMapBegin(b, thrift.STRING, thrift.STRUCT, 0)
	b = thrift.AppendFieldBegin(b, thrift.LIST, 4)
	b = thrift.AppendListBegin(b, thrift.STRUCT, 0)
	b = thrift.AppendFieldStop(b)
	var cr echo.ComplexRequest
	if _, err := cr.ConsumeBinary(b); !errors.Is(err, thrift.ErrRequiredField) || !strings.Contains(err.Error(), "flagMsg") {
		t.Errorf("ComplexRequest without flagMsg: %v", err)
	}
	var rfe *thrift.RequiredFieldError
	if _, err := cr.ConsumeBinary([]byte{0}); !errors.As(err, &rfe) || rfe.Struct != "ComplexRequest" || rfe.Field != "action" {
		t.Errorf("ComplexRequest empty: %v", err)
	}
	if _, err := cr.ConsumeCompact([]byte{0}); !errors.Is(err, thrift.ErrRequiredField) {
		t.Errorf("compact: %v", err)
	}
}

// Unknown fields and fields of an unexpected type are skipped, in both
// protocols.
func TestUnknownFields(t *testing.T) {
	want := &echo.Request{Action: "a", Msg: "m"}
	b := thrift.AppendFieldBegin(nil, thrift.LIST, 9)
	b = thrift.AppendListBegin(b, thrift.STRING, 1)
	b = thrift.AppendString(b, "x")
	b = thrift.AppendFieldBegin(b, thrift.I32, 1) // wrong type for action
	b = thrift.AppendI32(b, 7)
	b = append(b, want.AppendBinary(nil)...)
	var got echo.Request
	if n, err := got.ConsumeBinary(b); err != nil || n != len(b) || got != *want {
		t.Fatalf("binary: %d %v %+v", n, err, got)
	}

	c := thrift.AppendCompactBoolField(nil, true, 5, 0)
	c = thrift.AppendCompactFieldBegin(c, thrift.MAP, 7, 5)
	c = thrift.AppendCompactMapBegin(c, thrift.I32, thrift.DOUBLE, 1)
	c = thrift.AppendCompactI32(c, 1)
	c = thrift.AppendCompactDouble(c, 2)
	c = thrift.AppendCompactFieldBegin(c, thrift.STRING, 1, 7)
	c = thrift.AppendCompactString(c, "a")
	c = thrift.AppendCompactBoolField(c, false, 3, 1)
	c = thrift.AppendCompactFieldBegin(c, thrift.STRING, 2, 3)
	c = thrift.AppendCompactString(c, "m")
	c = thrift.AppendFieldStop(c)
	got = echo.Request{}
	if n, err := got.ConsumeCompact(c); err != nil || n != len(c) || got != *want {
		t.Fatalf("compact: %d %v %+v", n, err, got)
	}

	// A list with the wrong element type is skipped, leaving the field unset.
	m := thrift.AppendFieldBegin(nil, thrift.LIST, 3)
	m = thrift.AppendListBegin(m, thrift.I32, 2)
	m = thrift.AppendI32(thrift.AppendI32(m, 1), 2)
	m = thrift.AppendFieldStop(m)
	var msg echo.Message
	if n, err := msg.ConsumeBinary(m); err != nil || n != len(m) || msg.SubMessages != nil {
		t.Fatalf("wrong element type: %d %v %+v", n, err, msg)
	}
}

func TestNilEncoding(t *testing.T) {
	// Kitex writes a nil struct field as an empty struct.
	args := &echo.EchoArgs{}
	if got := args.AppendBinary(nil); string(got) != "\x0c\x00\x01\x00\x00" || args.BinarySize() != 5 {
		t.Fatalf("nil Req: % x", got)
	}
	res := &echo.EchoResult{}
	if got := res.AppendBinary(nil); string(got) != "\x00" || res.BinarySize() != 1 {
		t.Fatalf("nil Success: % x", got)
	}
	if got := (&echo.EchoWithExceptionResult{Err: &echo.EchoException{}}).AppendCompact(nil); string(got) != "\x1c\x15\x00\x18\x00\x00\x00" {
		t.Fatalf("compact exception result: % x", got)
	}
	if got := (&echo.EchoResult{Success: &echo.Response{}}).AppendCompact(nil); string(got) != "\x0c\x00\x18\x00\x18\x00\x00\x00" {
		t.Fatalf("compact success result: % x", got)
	}
}

func TestEchoExceptionError(t *testing.T) {
	var err error = &echo.EchoException{Code: 42, Message: "kitexlab declared exception"}
	if err.Error() != "EchoException({Code:42 Message:kitexlab declared exception})" {
		t.Fatal(err.Error())
	}
}

// ---- property tests ----

func randStr(r *rand.Rand) string {
	b := make([]byte, r.Intn(40))
	r.Read(b)
	return string(b)
}

func randOptStr(r *rand.Rand) *string {
	if r.Intn(3) == 0 {
		return nil
	}
	s := randStr(r)
	return &s
}

func randOptI64(r *rand.Rand) *int64 {
	if r.Intn(3) == 0 {
		return nil
	}
	v := int64(r.Uint64()) >> uint(r.Intn(64))
	return &v
}

func randSub(r *rand.Rand) *echo.SubMessage {
	return &echo.SubMessage{ID: randOptI64(r), Value: randOptStr(r)}
}

func randSubs(r *rand.Rand, nilOK bool) []*echo.SubMessage {
	if nilOK && r.Intn(3) == 0 {
		return nil
	}
	n := r.Intn(4)
	if r.Intn(10) == 0 {
		n = 15 + r.Intn(5)
	}
	l := make([]*echo.SubMessage, n)
	for i := range l {
		l[i] = randSub(r)
	}
	return l
}

func randMessage(r *rand.Rand) *echo.Message {
	return &echo.Message{ID: randOptI64(r), Value: randOptStr(r), SubMessages: randSubs(r, true)}
}

func randMap(r *rand.Rand) map[string]*echo.SubMessage {
	m := make(map[string]*echo.SubMessage)
	for i, n := 0, r.Intn(5); i < n; i++ {
		m[randStr(r)] = randSub(r)
	}
	return m
}

func randSet(r *rand.Rand) []*echo.Message {
	if r.Intn(3) == 0 {
		return nil
	}
	l := make([]*echo.Message, r.Intn(4))
	for i := range l {
		l[i] = randMessage(r)
	}
	return l
}

func randValues(r *rand.Rand) []thrift.Struct {
	req := &echo.Request{Action: randStr(r), Msg: randStr(r)}
	resp := &echo.Response{Action: randStr(r), Msg: randStr(r)}
	creq := &echo.ComplexRequest{Action: randStr(r), Msg: randStr(r), MsgMap: randMap(r), SubMsgs: randSubs(r, false),
		MsgSet: randSet(r), FlagMsg: randMessage(r), MockCost: randOptStr(r)}
	cresp := &echo.ComplexResponse{Action: randStr(r), Msg: randStr(r), MsgMap: randMap(r), SubMsgs: randSubs(r, false),
		MsgSet: randSet(r), FlagMsg: randMessage(r)}
	exc := &echo.EchoException{Code: int32(r.Uint32()), Message: randStr(r)}
	var optResp *echo.Response
	var optExc *echo.EchoException
	var optCresp *echo.ComplexResponse
	if r.Intn(2) == 0 {
		optResp = resp
	} else {
		optExc = exc
	}
	if r.Intn(2) == 0 {
		optCresp = cresp
	}
	return []thrift.Struct{req, resp, randSub(r), randMessage(r), creq, cresp, exc,
		&echo.EchoArgs{Req: req}, &echo.EchoResult{Success: optResp},
		&echo.EchoComplexArgs{Req: creq}, &echo.EchoComplexResult{Success: optCresp},
		&echo.EchoWithExceptionArgs{Req: req}, &echo.EchoWithExceptionResult{Success: optResp, Err: optExc},
		&echo.EchoOnewayArgs{Req: req},
	}
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		for _, v := range randValues(r) {
			for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
				b := thrift.Append([]byte{0xee}, p, v)[1:]
				if p == thrift.Binary && len(b) != v.BinarySize() {
					t.Fatalf("%T: BinarySize %d, encoded %d", v, v.BinarySize(), len(b))
				}
				if n, err := thrift.Skip(b, p, thrift.STRUCT); err != nil || n != len(b) {
					t.Fatalf("%T %v: Skip %d %v of %d", v, p, n, err, len(b))
				}
				got := reflect.New(reflect.TypeOf(v).Elem()).Interface().(thrift.Struct)
				n, err := thrift.Consume(b, p, got)
				if err != nil || n != len(b) {
					t.Fatalf("%T %v: %d %v of %d", v, p, n, err, len(b))
				}
				if !reflect.DeepEqual(got, v) {
					t.Fatalf("%T %v:\n got %+v\nwant %+v", v, p, got, v)
				}
				if i%20 == 0 {
					for j := 0; j < len(b); j++ {
						if _, err := thrift.Consume(b[:j], p, got); !errors.Is(err, thrift.ErrShort) && !errors.Is(err, thrift.ErrRequiredField) {
							t.Fatalf("%T %v prefix %d/%d: %v", v, p, j, len(b), err)
						}
					}
				}
			}
		}
	}
}

func FuzzComplexRequest(f *testing.F) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 5; i++ {
		v := randValues(r)[4]
		f.Add(v.AppendBinary(nil), false)
		f.Add(v.AppendCompact(nil), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, compact bool) {
		p := thrift.Binary
		if compact {
			p = thrift.Compact
		}
		var v echo.ComplexRequest
		n, err := thrift.Consume(b, p, &v)
		if err != nil {
			return
		}
		if n > len(b) {
			t.Fatalf("n %d > %d", n, len(b))
		}
		out := thrift.Append(nil, p, &v)
		if p == thrift.Binary && len(out) != v.BinarySize() {
			t.Fatalf("BinarySize %d, encoded %d", v.BinarySize(), len(out))
		}
		var v2 echo.ComplexRequest
		if _, err := thrift.Consume(out, p, &v2); err != nil || !reflect.DeepEqual(&v, &v2) {
			t.Fatalf("re-decode: %v\n%+v\n%+v", err, v, v2)
		}
	})
}

func FuzzEchoArgs(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "thrift_*.req.hex"))
	for _, file := range files {
		p := payload(f, readHex(f, filepath.Base(file)))
		_, _, _, n, _ := thrift.ConsumeMessageBegin(p, thrift.Binary)
		f.Add(p[n:], false)
	}
	f.Add((&echo.EchoArgs{Req: &echo.Request{Action: "echo", Msg: "hi"}}).AppendCompact(nil), true)
	f.Fuzz(func(t *testing.T, b []byte, compact bool) {
		p := thrift.Binary
		if compact {
			p = thrift.Compact
		}
		var v echo.EchoArgs
		if _, err := thrift.Consume(b, p, &v); err != nil || v.Req == nil {
			return // a nil Req is written as an empty (invalid) Request, as Kitex does
		}
		var v2 echo.EchoArgs
		if _, err := thrift.Consume(thrift.Append(nil, p, &v), p, &v2); err != nil || !reflect.DeepEqual(&v, &v2) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

// ---- benchmarks ----

func BenchmarkEchoArgs(b *testing.B) {
	args := &echo.EchoArgs{Req: &echo.Request{Action: "echo", Msg: msg1K}}
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		b.Run("encode/"+p.String(), func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 2048)
			b.SetBytes(int64(len(thrift.Append(nil, p, args))))
			for i := 0; i < b.N; i++ {
				buf = thrift.AppendMessageBegin(buf[:0], p, echo.MethodEcho, thrift.Call, int32(i))
				buf = thrift.Append(buf, p, args)
			}
		})
		b.Run("decode/"+p.String(), func(b *testing.B) {
			b.ReportAllocs()
			buf := thrift.AppendMessageBegin(nil, p, echo.MethodEcho, thrift.Call, 1)
			buf = thrift.Append(buf, p, args)
			b.SetBytes(int64(len(buf)))
			var v echo.EchoArgs
			for i := 0; i < b.N; i++ {
				_, _, _, n, err := thrift.ConsumeMessageBegin(buf, p)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := thrift.Consume(buf[n:], p, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkComplexRequest(b *testing.B) {
	v := randValues(rand.New(rand.NewSource(5)))[4]
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		b.Run("encode/"+p.String(), func(b *testing.B) {
			b.ReportAllocs()
			buf := thrift.Append(nil, p, v)
			b.SetBytes(int64(len(buf)))
			for i := 0; i < b.N; i++ {
				buf = thrift.Append(buf[:0], p, v)
			}
		})
		b.Run("decode/"+p.String(), func(b *testing.B) {
			b.ReportAllocs()
			buf := thrift.Append(nil, p, v)
			b.SetBytes(int64(len(buf)))
			var out echo.ComplexRequest
			for i := 0; i < b.N; i++ {
				if _, err := thrift.Consume(buf, p, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
