package thrift_test

import (
	"errors"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
)

func TestApplicationExceptionGolden(t *testing.T) {
	e := thrift.NewApplicationException(thrift.ExUnknownService, "unknown service , method Nope")
	want := mustHex("0b 00 01 00 00 00 1d 75 6e 6b 6e 6f 77 6e 20 73 65 72 76 69 63 65 20 2c 20 6d 65 74 68 6f 64 20 4e 6f 70 65 08 00 02 00 00 00 14 00")
	if got := e.AppendBinary(nil); string(got) != string(want) {
		t.Fatalf("got % x\nwant % x", got, want)
	}
	if e.BinarySize() != len(want) {
		t.Fatalf("BinarySize %d, want %d", e.BinarySize(), len(want))
	}
	// Empty message: field 1 is still written.
	empty := thrift.NewApplicationException(thrift.ExInternalError, "")
	if got, want := empty.AppendBinary(nil), mustHex("0b 00 01 00 00 00 00 08 00 02 00 00 00 06 00"); string(got) != string(want) {
		t.Fatalf("empty: got % x", got)
	}
	if got, want := empty.AppendCompact(nil), mustHex("18 00 15 0c 00"); string(got) != string(want) {
		t.Fatalf("compact: got % x, want % x", got, want)
	}
}

func TestApplicationExceptionDecode(t *testing.T) {
	for _, c := range []struct {
		name string
		p    thrift.Protocol
		hex  string
		typ  thrift.ExceptionType
		msg  string
	}{
		{"reversed", thrift.Binary, "08 00 02 00 00 00 07 0b 00 01 00 00 00 01 78 00", 7, "x"},
		{"unknown fields", thrift.Binary, "0f 00 05 0b 00 00 00 01 00 00 00 00 08 00 02 00 00 00 01 02 00 09 01 0b 00 01 00 00 00 01 79 00", 1, "y"},
		{"wrong field type", thrift.Binary, "08 00 01 00 00 00 07 0a 00 02 00 00 00 00 00 00 00 03 00", 0, ""},
		{"type only", thrift.Binary, "08 00 02 00 00 00 14 00", 20, ""},
		{"compact reversed", thrift.Compact, "25 0e 08 02 01 78 00", 7, "x"},
		{"compact unknown bool field", thrift.Compact, "31 05 04 02 08 02 01 7a 00", 1, "z"},
		{"compact long form ids", thrift.Compact, "08 02 01 7a 05 04 02 00", 1, "z"},
	} {
		b := mustHex(c.hex)
		var e thrift.ApplicationException
		n, err := thrift.Consume(b, c.p, &e)
		if err != nil || n != len(b) || e.Type != c.typ || e.Message != c.msg {
			t.Errorf("%s: %d %v %v %q", c.name, n, err, e.Type, e.Message)
		}
	}
}

func TestApplicationExceptionError(t *testing.T) {
	for _, c := range []struct {
		e    *thrift.ApplicationException
		want string
	}{
		{thrift.NewApplicationException(thrift.ExInternalError, "boom"), "boom"},
		{thrift.NewApplicationException(thrift.ExUnknownMethod, ""), "unknown method"},
		{thrift.NewApplicationException(thrift.ExProtocolError, ""), "unknown protocol error"},
		{thrift.NewApplicationException(thrift.ExUnknown, ""), "unknown application exception"},
		{thrift.NewApplicationException(thrift.ExInvalidTransform, ""), "Invalid transform"},
		{thrift.NewApplicationException(thrift.ExUnknownService, ""), "unknown exception type [20]"},
	} {
		var err error = c.e
		if err.Error() != c.want {
			t.Errorf("%v: %q, want %q", c.e.Type, err.Error(), c.want)
		}
	}
	var ae *thrift.ApplicationException
	if !errors.As(error(thrift.NewApplicationException(6, "x")), &ae) || ae.TypeID() != 6 {
		t.Fatal("errors.As")
	}
}

func TestApplicationExceptionRoundTrip(t *testing.T) {
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		for _, typ := range []thrift.ExceptionType{0, 1, 7, 20, 21, -5, 1 << 30} {
			for _, msg := range []string{"", "x", string(make([]byte, 300))} {
				in := thrift.NewApplicationException(typ, msg)
				b := thrift.Append([]byte{0xff}, p, in)[1:]
				var out thrift.ApplicationException
				n, err := thrift.Consume(b, p, &out)
				if err != nil || n != len(b) || out != *in {
					t.Fatalf("%v %v %d: %d %v %+v", p, typ, len(msg), n, err, out)
				}
				for i := 0; i < len(b); i++ {
					if _, err := thrift.Consume(b[:i], p, &out); !errors.Is(err, thrift.ErrShort) {
						t.Fatalf("%v prefix %d: %v", p, i, err)
					}
				}
			}
		}
	}
}
