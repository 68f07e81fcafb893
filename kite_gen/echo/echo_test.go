package echo_test

import (
	"strings"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/kite_gen/echo"
)

var msg1K = strings.Repeat("abcdefghijklmnopqrstuvwxyz", 40)[:1024]

var protocols = []thrift.Protocol{thrift.Binary, thrift.Compact}

func BenchmarkEncodeRequest(b *testing.B) {
	for _, p := range protocols {
		b.Run(p.String(), func(b *testing.B) {
			r := &echo.Request{Action: "echo", Msg: msg1K}
			buf := make([]byte, 0, 2048)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				buf = thrift.Append(buf[:0], p, r)
			}
		})
	}
}

func BenchmarkDecodeRequest(b *testing.B) {
	for _, p := range protocols {
		b.Run(p.String(), func(b *testing.B) {
			enc := thrift.Append(nil, p, &echo.Request{Action: "echo", Msg: msg1K})
			var r echo.Request
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := thrift.Consume(enc, p, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
