package bench_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/kite_gen/bench"
)

// NewMedium returns the medium benchmark value: a few scalars, a nested
// struct, a list of 10 structs, a map<string,string> of 10 and a 1 KB
// string.
func newMedium() *bench.Medium {
	score := 0.5
	m := &bench.Medium{ID: 1 << 40, Version: 3, Enabled: true, Ratio: 0.25, Title: "medium benchmark struct",
		Owner: &bench.Inner{ID: 1, Name: "owner", Score: &score}, Labels: map[string]string{},
		Payload: strings.Repeat("abcdefghijklmnopqrstuvwxyz012345", 32)}
	for i := 0; i < 10; i++ {
		m.Items = append(m.Items, &bench.Inner{ID: int64(i), Name: "item-" + strconv.Itoa(i)})
		m.Labels["key-"+strconv.Itoa(i)] = "value-" + strconv.Itoa(i)
	}
	return m
}

var protocols = []thrift.Protocol{thrift.Binary, thrift.Compact}

func TestMediumRoundTrip(t *testing.T) {
	m := newMedium()
	for _, p := range protocols {
		b := thrift.Append(nil, p, m)
		if p == thrift.Binary && len(b) != m.BinarySize() {
			t.Fatalf("BinarySize %d, encoded %d", m.BinarySize(), len(b))
		}
		var got bench.Medium
		if n, err := thrift.Consume(b, p, &got); err != nil || n != len(b) || !reflect.DeepEqual(&got, m) {
			t.Fatalf("%v: %d of %d, %v", p, n, len(b), err)
		}
	}
}

func BenchmarkMediumEncode(b *testing.B) {
	for _, p := range protocols {
		b.Run(p.String(), func(b *testing.B) {
			m := newMedium()
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			b.SetBytes(int64(len(thrift.Append(nil, p, m))))
			for i := 0; i < b.N; i++ {
				buf = thrift.Append(buf[:0], p, m)
			}
		})
	}
}

func BenchmarkMediumDecode(b *testing.B) {
	for _, p := range protocols {
		b.Run(p.String(), func(b *testing.B) {
			enc := thrift.Append(nil, p, newMedium())
			var m bench.Medium
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for i := 0; i < b.N; i++ {
				if _, err := thrift.Consume(enc, p, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMediumBinarySize(b *testing.B) {
	m := newMedium()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = m.BinarySize()
	}
}
