package interop

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	athrift "github.com/apache/thrift/lib/go/thrift"

	apbench "github.com/kite-rpc/kite/interop/gen-go/bench"
	kbench "github.com/kite-rpc/kite/kite_gen/bench"
)

// The benchmarks below compare the codecs `kite gen` generates with the
// ones Apache Thrift's compiler generates, on the medium struct of
// ../kite_gen/bench.thrift (gen-go/bench is Apache's output for the same
// file): a few scalars, a nested struct, a list of 10 structs, a
// map<string,string> of 10 and a 1 KB string; binary protocol. Apache's
// Write/Read go through a TBinaryProtocol on a TMemoryBuffer, Kite's
// AppendBinary/ConsumeBinary work on a byte slice. Run with
//
//	go test -run '^$' -bench 'Medium$' -benchmem -count 10 | benchstat -

var mediumPayload = strings.Repeat("abcdefghijklmnopqrstuvwxyz012345", 32)

func kiteMedium() *kbench.Medium {
	score := 0.5
	m := &kbench.Medium{ID: 1 << 40, Version: 3, Enabled: true, Ratio: 0.25, Title: "medium benchmark struct",
		Owner: &kbench.Inner{ID: 1, Name: "owner", Score: &score}, Labels: map[string]string{}, Payload: mediumPayload}
	for i := 0; i < 10; i++ {
		m.Items = append(m.Items, &kbench.Inner{ID: int64(i), Name: "item-" + strconv.Itoa(i)})
		m.Labels["key-"+strconv.Itoa(i)] = "value-" + strconv.Itoa(i)
	}
	return m
}

func apacheMedium() *apbench.Medium {
	score := 0.5
	m := &apbench.Medium{ID: 1 << 40, Version: 3, Enabled: true, Ratio: 0.25, Title: "medium benchmark struct",
		Owner: &apbench.Inner{ID: 1, Name: "owner", Score: &score}, Labels: map[string]string{}, Payload: mediumPayload}
	for i := 0; i < 10; i++ {
		m.Items = append(m.Items, &apbench.Inner{ID: int64(i), Name: "item-" + strconv.Itoa(i)})
		m.Labels["key-"+strconv.Itoa(i)] = "value-" + strconv.Itoa(i)
	}
	return m
}

// TestMediumWireAgrees checks that each side decodes what the other
// encodes (map order differs, so the bytes are compared through decoding).
func TestMediumWireAgrees(t *testing.T) {
	ctx := context.Background()
	buf := athrift.NewTMemoryBuffer()
	if err := apacheMedium().Write(ctx, athrift.NewTBinaryProtocolConf(buf, nil)); err != nil {
		t.Fatal(err)
	}
	var k kbench.Medium
	if n, err := k.ConsumeBinary(buf.Bytes()); err != nil || n != buf.Len() || !reflect.DeepEqual(&k, kiteMedium()) {
		t.Fatalf("Kite decoding Apache's bytes: %d of %d, %v", n, buf.Len(), err)
	}
	kb := kiteMedium().AppendBinary(nil)
	if len(kb) != buf.Len() {
		t.Fatalf("sizes differ: kite %d, apache %d", len(kb), buf.Len())
	}
	rb := athrift.NewTMemoryBuffer()
	_, _ = rb.Write(kb)
	var a apbench.Medium
	if err := a.Read(ctx, athrift.NewTBinaryProtocolConf(rb, nil)); err != nil || !reflect.DeepEqual(&a, apacheMedium()) {
		t.Fatalf("Apache decoding Kite's bytes: %v", err)
	}
}

func BenchmarkApacheEncodeMedium(b *testing.B) {
	ctx := context.Background()
	m := apacheMedium()
	buf := athrift.NewTMemoryBufferLen(4096)
	proto := athrift.NewTBinaryProtocolConf(buf, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := m.Write(ctx, proto); err != nil {
			b.Fatal(err)
		}
		if err := proto.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkKiteEncodeMedium(b *testing.B) {
	m := kiteMedium()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = m.AppendBinary(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkApacheDecodeMedium(b *testing.B) {
	ctx := context.Background()
	enc := athrift.NewTMemoryBuffer()
	if err := apacheMedium().Write(ctx, athrift.NewTBinaryProtocolConf(enc, nil)); err != nil {
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
		var m apbench.Medium
		if err := m.Read(ctx, proto); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKiteDecodeMedium(b *testing.B) {
	wire := kiteMedium().AppendBinary(nil)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var m kbench.Medium
		if _, err := m.ConsumeBinary(wire); err != nil {
			b.Fatal(err)
		}
	}
}
