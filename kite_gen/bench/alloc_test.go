//go:build !race

package bench_test

import (
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/kite_gen/bench"
)

// Encoding into a reused buffer never allocates.
func TestAllocsEncode(t *testing.T) {
	m := newMedium()
	buf := make([]byte, 0, 4096)
	for _, p := range protocols {
		if n := testing.AllocsPerRun(100, func() { buf = thrift.Append(buf[:0], p, m) }); n != 0 {
			t.Errorf("%v: %v allocs", p, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = m.BinarySize() }); n != 0 {
		t.Errorf("BinarySize: %v allocs", n)
	}
}

// Decoding allocates only what the value keeps: strings, the optional
// score, the nested struct, the list and its backing array of structs,
// the map.
func TestAllocsDecode(t *testing.T) {
	for _, p := range protocols {
		b := thrift.Append(nil, p, newMedium())
		var m bench.Medium
		// title and payload; owner, its name and its score; the items slice,
		// its backing array of structs and 10 names; the labels map (its
		// header and table, up to 4 allocations) and its 20 strings
		const budget = 2 + 3 + 2 + 10 + 4 + 1
		if n := testing.AllocsPerRun(100, func() { _, _ = thrift.Consume(b, p, &m) }); n > budget {
			t.Errorf("%v: %v allocs, budget %d", p, n, budget)
		}
	}
}
