package ttheader_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kite-rpc/kite/codec/ttheader"
)

// hx decodes hex digits, ignoring white space and the '|' separators used in
// WIRE.md.
func hx(s string) []byte {
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "", "|", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// cat concatenates byte slices and strings.
func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case []byte:
			b = append(b, p...)
		case string:
			b = append(b, p...)
		default:
			panic(fmt.Sprintf("cat: %T", p))
		}
	}
	return b
}

// vector is one captured byte stream from testdata.
type vector struct {
	name string
	data []byte
}

// vectors loads every testdata/*.hex file.
func vectors(tb testing.TB) []vector {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.hex"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no vectors in testdata: %v", err)
	}
	var vs []vector
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		vs = append(vs, vector{strings.TrimSuffix(filepath.Base(f), ".hex"), hx(string(raw))})
	}
	return vs
}

// vectorNamed returns the bytes of testdata/name.hex.
func vectorNamed(tb testing.TB, name string) []byte {
	tb.Helper()
	for _, v := range vectors(tb) {
		if v.name == name {
			return v.data
		}
	}
	tb.Fatalf("no vector %s", name)
	return nil
}

// keySets renders a header's fixed fields and pairs order-independently.
func keySets(h *ttheader.Header) string {
	ints := map[uint16]string{}
	for _, kv := range h.Ints {
		ints[kv.Key] = kv.Value
	}
	strs := map[string]string{}
	for _, kv := range h.Strs {
		strs[kv.Key] = kv.Value
	}
	ik := make([]int, 0, len(ints))
	for k := range ints {
		ik = append(ik, int(k))
	}
	sort.Ints(ik)
	var b strings.Builder
	fmt.Fprintf(&b, "flags=%#x seq=%d proto=%#x transforms=%v ints={", h.Flags, h.SeqID, h.ProtocolID, slices.Clip(h.Transforms))
	for _, k := range ik {
		fmt.Fprintf(&b, "%d:%q ", k, ints[uint16(k)])
	}
	b.WriteString("} strs={")
	sk := make([]string, 0, len(strs))
	for k := range strs {
		sk = append(sk, k)
	}
	sort.Strings(sk)
	for _, k := range sk {
		fmt.Fprintf(&b, "%q:%q ", k, strs[k])
	}
	b.WriteString("}")
	return b.String()
}

// encodeFrame encodes h followed by payload as a complete frame.
func encodeFrame(tb testing.TB, h *ttheader.Header, payload []byte) []byte {
	tb.Helper()
	b, err := ttheader.AppendHeader(nil, h)
	if err != nil {
		tb.Fatalf("AppendHeader: %v", err)
	}
	b = append(b, payload...)
	ttheader.SetLength(b)
	return b
}
