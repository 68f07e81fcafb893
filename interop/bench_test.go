package interop

import (
	"context"
	"testing"

	athrift "github.com/apache/thrift/lib/go/thrift"

	apecho "github.com/kite-rpc/kite/interop/gen-go/echo"
	"github.com/kite-rpc/kite/kite_gen/echo"
)

// The benchmarks below compare struct codecs only, binary protocol, on an
// echo Request with a 1 KB message: Apache's generated Write/Read through a
// TBinaryProtocol on a TMemoryBuffer against Kite's AppendBinary /
// ConsumeBinary on a byte slice. Run with
//
//	go test -run '^$' -bench 'Request$' -benchmem -count 10 | benchstat -

const benchMsgSize = 1 << 10

func apacheBenchRequest() *apecho.Request {
	return &apecho.Request{Action: "echo", Msg: longMsg(benchMsgSize)}
}

func kiteBenchRequest() *echo.Request {
	return &echo.Request{Action: "echo", Msg: longMsg(benchMsgSize)}
}

func BenchmarkApacheEncodeRequest(b *testing.B) {
	ctx := context.Background()
	req := apacheBenchRequest()
	buf := athrift.NewTMemoryBufferLen(2 * benchMsgSize)
	proto := athrift.NewTBinaryProtocolConf(buf, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := req.Write(ctx, proto); err != nil {
			b.Fatal(err)
		}
		if err := proto.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkKiteEncodeRequest(b *testing.B) {
	req := kiteBenchRequest()
	buf := make([]byte, 0, 2*benchMsgSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = req.AppendBinary(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkApacheDecodeRequest(b *testing.B) {
	ctx := context.Background()
	enc := athrift.NewTMemoryBuffer()
	if err := apacheBenchRequest().Write(ctx, athrift.NewTBinaryProtocolConf(enc, nil)); err != nil {
		b.Fatal(err)
	}
	wire := append([]byte(nil), enc.Bytes()...)
	buf := athrift.NewTMemoryBufferLen(len(wire))
	proto := athrift.NewTBinaryProtocolConf(buf, nil)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		_, _ = buf.Write(wire)
		var req apecho.Request
		if err := req.Read(ctx, proto); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKiteDecodeRequest(b *testing.B) {
	wire := kiteBenchRequest().AppendBinary(nil)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var req echo.Request
		if _, err := req.ConsumeBinary(wire); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchmarkWireAgrees checks that the two codecs the benchmarks compare
// produce and accept the same bytes, so the comparison is like for like.
func TestBenchmarkWireAgrees(t *testing.T) {
	ctx := context.Background()
	enc := athrift.NewTMemoryBuffer()
	if err := apacheBenchRequest().Write(ctx, athrift.NewTBinaryProtocolConf(enc, nil)); err != nil {
		t.Fatal(err)
	}
	kreq := kiteBenchRequest()
	kwire := kreq.AppendBinary(nil)
	if string(kwire) != enc.String() {
		t.Fatalf("binary encodings differ:\napache % x\nkite   % x", enc.Bytes(), kwire)
	}
	if n := kreq.BinarySize(); n != len(kwire) {
		t.Fatalf("BinarySize %d, encoding is %d bytes", n, len(kwire))
	}
	var back echo.Request
	if n, err := back.ConsumeBinary(enc.Bytes()); err != nil || n != len(kwire) || back.Action != kreq.Action || back.Msg != kreq.Msg {
		t.Fatalf("ConsumeBinary of Apache bytes: n=%d err=%v got %+v", n, err, back)
	}
}
