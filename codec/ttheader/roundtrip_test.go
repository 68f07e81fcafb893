package ttheader_test

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/kite-rpc/kite/codec/ttheader"
)

var protocols = []uint8{
	ttheader.ProtocolBinary, ttheader.ProtocolCompact, ttheader.ProtocolCompactV2,
	ttheader.ProtocolProtobuf, ttheader.ProtocolTTStreamThrift, ttheader.ProtocolTTStreamProtobuf,
}

// randString returns a string of n random bytes, sometimes a well-known one.
func randString(r *rand.Rand, max int) string {
	switch r.Intn(8) {
	case 0:
		common := []string{"", "1", "2", "framed", "unframed", ttheader.KeyBizStatus, "isn", ttheader.KeyACLToken}
		return common[r.Intn(len(common))]
	}
	b := make([]byte, r.Intn(max+1))
	r.Read(b)
	return string(b)
}

// randHeader returns a random valid header with unique keys.
func randHeader(r *rand.Rand) *ttheader.Header {
	h := &ttheader.Header{
		Flags:      uint16(r.Intn(1 << 16)),
		SeqID:      int32(r.Uint32()),
		ProtocolID: protocols[r.Intn(len(protocols))],
	}
	for i := r.Intn(4); i > 0; i-- {
		h.Transforms = append(h.Transforms, uint8(r.Intn(256)))
	}
	for i := r.Intn(12); i > 0; i-- {
		h.SetInt(uint16(r.Intn(40)), randString(r, 20))
	}
	for i := r.Intn(12); i > 0; i-- {
		h.SetStr(randString(r, 16), randString(r, 40))
	}
	return h
}

// TestRoundTrip encodes random headers, decodes them, and checks the fields,
// the pair order, the padding rule and that re-encoding gives the same bytes.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var d ttheader.Header // reused across iterations on purpose
	var buf []byte
	for i := 0; i < 5000; i++ {
		h := randHeader(r)
		payload := make([]byte, r.Intn(20))
		r.Read(payload)

		var err error
		buf, err = ttheader.AppendHeader(buf[:0], h)
		if err != nil {
			t.Fatal(err)
		}
		size := len(buf)
		if size != h.Size() || (size-14)%4 != 0 || size < 18 {
			t.Fatalf("header of %d bytes, Size() %d", size, h.Size())
		}
		if words := int(buf[12])<<8 | int(buf[13]); 14+4*words != size {
			t.Fatalf("HEADER_SIZE %d for %d bytes", words, size)
		}
		buf = append(buf, payload...)
		ttheader.SetLength(buf)

		off, n, err := ttheader.ConsumeHeader(buf, &d)
		if err != nil {
			t.Fatalf("%v\n% x", err, buf)
		}
		if off != size || n != len(buf) || !bytes.Equal(buf[off:n], payload) {
			t.Fatalf("payloadOff, frameLen = %d, %d, want %d, %d", off, n, size, len(buf))
		}
		// Unique keys: decoding gives back the same pairs in the same
		// order, except that the ACL token moves to the front.
		want := *h
		want.Strs = nil
		if v, ok := h.Str(ttheader.KeyACLToken); ok {
			want.Strs = append(want.Strs, ttheader.StrKV{Key: ttheader.KeyACLToken, Value: v})
		}
		for _, kv := range h.Strs {
			if kv.Key != ttheader.KeyACLToken {
				want.Strs = append(want.Strs, kv)
			}
		}
		if !equalHeaders(&d, &want) {
			t.Fatalf("decoded\n%+v\nwant\n%+v", d, want)
		}
		re := encodeFrame(t, &d, payload)
		if !bytes.Equal(re, buf) {
			t.Fatalf("re-encoded\n% x\nwant\n% x", re, buf)
		}
	}
}

func equalHeaders(a, b *ttheader.Header) bool {
	if a.Flags != b.Flags || a.SeqID != b.SeqID || a.ProtocolID != b.ProtocolID ||
		!bytes.Equal(a.Transforms, b.Transforms) || len(a.Ints) != len(b.Ints) || len(a.Strs) != len(b.Strs) {
		return false
	}
	for i := range a.Ints {
		if a.Ints[i] != b.Ints[i] {
			return false
		}
	}
	for i := range a.Strs {
		if a.Strs[i] != b.Strs[i] {
			return false
		}
	}
	return true
}

// TestDecodedStringsDoNotAliasInput overwrites the input after decoding.
func TestDecodedStringsDoNotAliasInput(t *testing.T) {
	for _, v := range vectors(t) {
		if len(v.data) == 0 {
			continue
		}
		b := bytes.Clone(v.data)
		var h ttheader.Header
		if _, _, err := ttheader.ConsumeHeader(b, &h); err != nil {
			t.Fatal(err)
		}
		before := keySets(&h)
		for i := range b {
			b[i] = 'X'
		}
		if after := keySets(&h); after != before {
			t.Fatalf("%s: header changed with its input:\n%s\n%s", v.name, before, after)
		}
	}
}
