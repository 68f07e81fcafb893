//go:build !race

package thrift_test

import (
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
)

func TestAllocsEncode(t *testing.T) {
	buf := make([]byte, 0, 4096)
	e := thrift.NewApplicationException(thrift.ExProtocolError, "bad")
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		if n := testing.AllocsPerRun(100, func() { buf = appendEchoRequest(buf[:0], p, "echo", msg1K) }); n != 0 {
			t.Errorf("%v: encode echo request: %v allocs", p, n)
		}
		if n := testing.AllocsPerRun(100, func() {
			buf = thrift.AppendMessageBegin(buf[:0], p, "Echo", thrift.Exception, 3)
			buf = thrift.Append(buf, p, e)
		}); n != 0 {
			t.Errorf("%v: encode exception: %v allocs", p, n)
		}
	}
}

func TestAllocsDecode(t *testing.T) {
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		b := appendEchoRequest(nil, p, "echo", msg1K)
		if n := testing.AllocsPerRun(100, func() { _, _ = thrift.SkipMessage(b, p) }); n != 0 {
			t.Errorf("%v: SkipMessage: %v allocs", p, n)
		}
		if n := testing.AllocsPerRun(100, func() { _, _, _, _, _ = thrift.ConsumeMessageBegin(b, p) }); n != 0 {
			t.Errorf("%v: ConsumeMessageBegin: %v allocs", p, n)
		}
	}
}

// Hostile input gives errors without allocating.
func TestAllocsHostile(t *testing.T) {
	inputs := [][]byte{
		mustHex("7f ff ff ff 68 65"),       // 2 GB string
		mustHex("ff ff ff fe 68 65"),       // negative string
		mustHex("0c 7f ff ff ff 00 00"),    // huge list
		mustHex("0b 0b 7f ff ff ff 00 00"), // huge map
		mustHex("ff ff ff ff 07 68"),       // compact 2 GB string
		mustHex("fc ff ff ff ff 07 00"),    // compact huge list
		mustHex("ff ff ff ff 07 88 00"),    // compact huge map
		mustHex("01 00 00 00 01 00"),       // bad type
		mustHex("80 01 00 01 7f ff ff ff"), // 2 GB method name
		nested(thrift.Binary, 80),
		nested(thrift.Compact, 80),
	}
	fns := map[string]func([]byte) error{
		"ConsumeString":           consumeString,
		"ConsumeBinary":           consumeBinary,
		"ConsumeListBegin":        consumeList,
		"ConsumeMapBegin":         consumeMap,
		"ConsumeCompactString":    consumeCompactString,
		"ConsumeCompactBinary":    func(b []byte) error { _, _, err := thrift.ConsumeCompactBinary(b); return err },
		"ConsumeCompactListBegin": consumeCompactList,
		"ConsumeCompactMapBegin":  consumeCompactMap,
		"ConsumeCompactField":     consumeCompactField,
		"SkipMessage/binary":      func(b []byte) error { _, err := thrift.SkipMessage(b, thrift.Binary); return err },
		"SkipMessage/compact":     func(b []byte) error { _, err := thrift.SkipMessage(b, thrift.Compact); return err },
		"Exception/binary":        func(b []byte) error { var e thrift.ApplicationException; _, err := e.ConsumeBinary(b); return err },
		"Exception/compact":       func(b []byte) error { var e thrift.ApplicationException; _, err := e.ConsumeCompact(b); return err },
	}
	for _, ty := range []thrift.Type{thrift.STRING, thrift.LIST, thrift.MAP, thrift.STRUCT, thrift.Type(1)} {
		ty := ty
		fns["Skip/binary/"+ty.String()] = func(b []byte) error { _, err := thrift.Skip(b, thrift.Binary, ty); return err }
		fns["Skip/compact/"+ty.String()] = func(b []byte) error { _, err := thrift.Skip(b, thrift.Compact, ty); return err }
	}
	failures := 0
	for i, in := range inputs {
		for name, fn := range fns {
			if fn(in) == nil {
				continue // valid for this decoder: it may keep what it decoded
			}
			failures++
			if n := testing.AllocsPerRun(20, func() { _ = fn(in) }); n != 0 {
				t.Errorf("input %d, %s: %v allocs", i, name, n)
			}
		}
	}
	if failures < 50 {
		t.Fatalf("only %d failing decodes", failures)
	}
}
