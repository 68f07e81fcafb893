package thrift_test

import (
	"strings"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
)

var msg1K = strings.Repeat("abcdefghijklmnopqrstuvwxyz", 40)[:1024]

// appendEchoRequest appends the CALL message of Echo(Request{action, msg})
// with the low-level functions, as generated code does.
func appendEchoRequest(b []byte, p thrift.Protocol, action, msg string) []byte {
	b = thrift.AppendMessageBegin(b, p, "Echo", thrift.Call, 1)
	if p == thrift.Compact {
		b = thrift.AppendCompactFieldBegin(b, thrift.STRUCT, 1, 0)
		b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 1, 0)
		b = thrift.AppendCompactString(b, action)
		b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 2, 1)
		b = thrift.AppendCompactString(b, msg)
		return thrift.AppendFieldStop(thrift.AppendFieldStop(b))
	}
	b = thrift.AppendFieldBegin(b, thrift.STRUCT, 1)
	b = thrift.AppendFieldBegin(b, thrift.STRING, 1)
	b = thrift.AppendString(b, action)
	b = thrift.AppendFieldBegin(b, thrift.STRING, 2)
	b = thrift.AppendString(b, msg)
	return thrift.AppendFieldStop(thrift.AppendFieldStop(b))
}

type echoRequest struct{ action, msg string }

// consumeEchoRequestBinary decodes what appendEchoRequest wrote (binary).
func consumeEchoRequestBinary(b []byte, r *echoRequest) error {
	_, _, _, off, err := thrift.ConsumeMessageBegin(b, thrift.Binary)
	if err != nil {
		return err
	}
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return err
		}
		off += n
		if t == thrift.STOP {
			return nil
		}
		if id != 1 || t != thrift.STRUCT {
			if n, err = thrift.SkipBinary(b[off:], t); err != nil {
				return err
			}
			off += n
			continue
		}
		for {
			t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
			if err != nil {
				return err
			}
			off += n
			if t == thrift.STOP {
				break
			}
			switch {
			case id == 1 && t == thrift.STRING:
				r.action, n, err = thrift.ConsumeString(b[off:])
			case id == 2 && t == thrift.STRING:
				r.msg, n, err = thrift.ConsumeString(b[off:])
			default:
				n, err = thrift.SkipBinary(b[off:], t)
			}
			if err != nil {
				return err
			}
			off += n
		}
	}
}

func consumeEchoRequestCompact(b []byte, r *echoRequest) error {
	_, _, _, off, err := thrift.ConsumeMessageBegin(b, thrift.Compact)
	if err != nil {
		return err
	}
	var last int16
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return err
		}
		off += n
		if t == thrift.STOP {
			return nil
		}
		last = id
		if id != 1 || t != thrift.STRUCT {
			if n, err = thrift.SkipCompactField(b[off:], t); err != nil {
				return err
			}
			off += n
			continue
		}
		var inner int16
		for {
			t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], inner)
			if err != nil {
				return err
			}
			off += n
			if t == thrift.STOP {
				break
			}
			inner = id
			switch {
			case id == 1 && t == thrift.STRING:
				r.action, n, err = thrift.ConsumeCompactString(b[off:])
			case id == 2 && t == thrift.STRING:
				r.msg, n, err = thrift.ConsumeCompactString(b[off:])
			default:
				n, err = thrift.SkipCompactField(b[off:], t)
			}
			if err != nil {
				return err
			}
			off += n
		}
	}
}

func TestEchoRequestHelpers(t *testing.T) {
	want := payload(t, readHex(t, "thrift_echo_ttheader_1k.req.hex"))
	if got := appendEchoRequest(nil, thrift.Binary, "echo", msg1K); string(got) != string(want) {
		t.Fatalf("1k request differs from the captured one")
	}
	var r echoRequest
	if err := consumeEchoRequestBinary(want, &r); err != nil || r.action != "echo" || r.msg != msg1K {
		t.Fatalf("binary: %v %q", err, r.action)
	}
	r = echoRequest{}
	if err := consumeEchoRequestCompact(appendEchoRequest(nil, thrift.Compact, "echo", msg1K), &r); err != nil || r.action != "echo" || r.msg != msg1K {
		t.Fatalf("compact: %v %q", err, r.action)
	}
}

func BenchmarkEncodeEchoRequest(b *testing.B) {
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		b.Run(p.String(), func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 2048)
			b.SetBytes(int64(len(appendEchoRequest(nil, p, "echo", msg1K))))
			for i := 0; i < b.N; i++ {
				buf = appendEchoRequest(buf[:0], p, "echo", msg1K)
			}
		})
	}
}

func BenchmarkDecodeEchoRequest(b *testing.B) {
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		b.Run(p.String(), func(b *testing.B) {
			b.ReportAllocs()
			buf := appendEchoRequest(nil, p, "echo", msg1K)
			b.SetBytes(int64(len(buf)))
			var r echoRequest
			for i := 0; i < b.N; i++ {
				var err error
				if p == thrift.Compact {
					err = consumeEchoRequestCompact(buf, &r)
				} else {
					err = consumeEchoRequestBinary(buf, &r)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSkipMessage(b *testing.B) {
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		b.Run(p.String(), func(b *testing.B) {
			b.ReportAllocs()
			buf := appendEchoRequest(nil, p, "echo", msg1K)
			b.SetBytes(int64(len(buf)))
			for i := 0; i < b.N; i++ {
				if _, err := thrift.SkipMessage(buf, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
