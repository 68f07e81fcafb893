package ttheader_test

import (
	"bytes"
	"errors"
	"math/rand"
	"testing"

	"github.com/kite-rpc/kite/codec/ttheader"
)

// FuzzConsumeHeader checks that ConsumeHeader never panics, classifies every
// failure as ErrShort or ErrMalformed, and that whatever it accepts
// re-encodes into a header no longer than the original that decodes to the
// same pairs.
func FuzzConsumeHeader(f *testing.F) {
	for _, v := range vectors(f) {
		f.Add(v.data)
	}
	for _, tc := range goldenCases() {
		f.Add(tc.frame)
	}
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 20; i++ {
		b, err := ttheader.AppendHeader(nil, randHeader(r))
		if err != nil {
			f.Fatal(err)
		}
		ttheader.SetLength(b)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var h ttheader.Header
		in := bytes.Clone(b)
		off, n, err := ttheader.ConsumeHeader(in, &h)
		if err != nil {
			if !errors.Is(err, ttheader.ErrShort) && !errors.Is(err, ttheader.ErrMalformed) {
				t.Fatalf("unclassified error %v", err)
			}
			if errors.Is(err, ttheader.ErrShort) && len(b) >= off && off != 0 {
				t.Fatalf("ErrShort with %d bytes for a %d-byte header", len(b), off)
			}
			return
		}
		if !ttheader.IsTTHeader(b) || off < 18 || off > len(b) || off > n || (off-14)%4 != 0 {
			t.Fatalf("payloadOff %d, frameLen %d for %d bytes", off, n, len(b))
		}
		sets := keySets(&h)
		for i := range in {
			in[i] = 0xAA
		}
		if keySets(&h) != sets {
			t.Fatal("decoded strings alias the input")
		}

		enc, err := ttheader.AppendHeader(nil, &h)
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		if len(enc) != h.Size() || len(enc) > off {
			t.Fatalf("re-encoded header of %d bytes (Size %d) from %d", len(enc), h.Size(), off)
		}
		ttheader.SetLength(enc)
		var h2 ttheader.Header
		off2, n2, err := ttheader.ConsumeHeader(enc, &h2)
		if err != nil || off2 != len(enc) || n2 != len(enc) {
			t.Fatalf("decoding re-encoded: %d %d %v", off2, n2, err)
		}
		if got := keySets(&h2); got != sets {
			t.Fatalf("re-encoded\n got %s\nwant %s", got, sets)
		}
	})
}
