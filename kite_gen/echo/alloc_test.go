//go:build !race

package echo_test

import (
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/kite_gen/echo"
)

// Encoding a Request into a reused buffer does not allocate; decoding
// allocates its two strings only.
func TestAllocsRequest(t *testing.T) {
	r := &echo.Request{Action: "echo", Msg: msg1K}
	buf := make([]byte, 0, 2048)
	for _, p := range protocols {
		if n := testing.AllocsPerRun(100, func() { buf = thrift.Append(buf[:0], p, r) }); n != 0 {
			t.Errorf("%v encode: %v allocs", p, n)
		}
		enc := thrift.Append(nil, p, r)
		var v echo.Request
		if n := testing.AllocsPerRun(100, func() { _, _ = thrift.Consume(enc, p, &v) }); n != 2 {
			t.Errorf("%v decode: %v allocs, want 2", p, n)
		}
	}
}
