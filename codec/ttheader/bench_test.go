package ttheader_test

import (
	"testing"

	"github.com/kite-rpc/kite/codec/ttheader"
)

// The rich header is the request header of thrift_echo_ttheader: Kitex's
// ClientTTHeaderHandler int keys plus "isn".

func BenchmarkAppendHeader(b *testing.B) {
	var h ttheader.Header
	if _, _, err := ttheader.ConsumeHeader(vectorNamed(b, "thrift_echo_ttheader.req"), &h); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(h.Size()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf, _ = ttheader.AppendHeader(buf[:0], &h)
		ttheader.SetLength(buf)
	}
}

func BenchmarkConsumeHeader(b *testing.B) {
	for _, name := range []string{"thrift_echo_ttheader.req", "thrift_echo_ttheader.resp", "thrift_echo_ttheader_metainfo.req"} {
		b.Run(name, func(b *testing.B) {
			frame := vectorNamed(b, name)
			var h ttheader.Header
			off, _, err := ttheader.ConsumeHeader(frame, &h)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(off))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := ttheader.ConsumeHeader(frame, &h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
