//go:build !race

package echo_test

import (
	"math/rand"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/internal/echo"
)

func TestAllocsEncode(t *testing.T) {
	args := &echo.EchoArgs{Req: &echo.Request{Action: "echo", Msg: msg1K}}
	complexReq := randValues(rand.New(rand.NewSource(6)))[4]
	buf := make([]byte, 0, 1<<16)
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		if n := testing.AllocsPerRun(100, func() {
			buf = thrift.AppendMessageBegin(buf[:0], p, echo.MethodEcho, thrift.Call, 1)
			buf = thrift.Append(buf, p, args)
		}); n != 0 {
			t.Errorf("%v EchoArgs: %v allocs", p, n)
		}
		if n := testing.AllocsPerRun(100, func() { buf = thrift.Append(buf[:0], p, complexReq) }); n != 0 {
			t.Errorf("%v ComplexRequest: %v allocs", p, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = complexReq.BinarySize() }); n != 0 {
		t.Errorf("BinarySize: %v allocs", n)
	}
}

// Decoding EchoArgs allocates the Request and its two strings, nothing else.
func TestAllocsDecode(t *testing.T) {
	args := &echo.EchoArgs{Req: &echo.Request{Action: "echo", Msg: msg1K}}
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		b := thrift.Append(nil, p, args)
		var v echo.EchoArgs
		if n := testing.AllocsPerRun(100, func() { _, _ = thrift.Consume(b, p, &v) }); n > 3 {
			t.Errorf("%v: %v allocs", p, n)
		}
	}
}
