package ttheader_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kite-rpc/kite/codec/ttheader"
)

func TestHeaderAccessors(t *testing.T) {
	var h ttheader.Header
	if _, ok := h.Int(ttheader.ToMethod); ok {
		t.Fatal("Int on empty header found a value")
	}
	h.SetInt(ttheader.ToMethod, "Echo")
	h.SetInt(ttheader.MsgType, "1")
	h.SetInt(ttheader.ToMethod, "Echo2")
	if v, ok := h.Int(ttheader.ToMethod); !ok || v != "Echo2" || len(h.Ints) != 2 || h.Ints[0].Key != ttheader.ToMethod {
		t.Fatalf("SetInt replace: %v", h.Ints)
	}
	h.SetStr("a", "1")
	h.SetStr("b", "2")
	h.SetStr("a", "3")
	if v, ok := h.Str("a"); !ok || v != "3" || len(h.Strs) != 2 {
		t.Fatalf("SetStr replace: %v", h.Strs)
	}
	h.DelStr("a")
	h.DelInt(ttheader.ToMethod)
	if _, ok := h.Str("a"); ok || len(h.Strs) != 1 || len(h.Ints) != 1 {
		t.Fatalf("Del: %v %v", h.Ints, h.Strs)
	}
	// Duplicates appended by hand: the last one wins, as in the decoder.
	h.Ints = append(h.Ints, ttheader.IntKV{Key: ttheader.MsgType, Value: "4"})
	if v, _ := h.Int(ttheader.MsgType); v != "4" {
		t.Fatalf("Int with duplicates = %q, want the last", v)
	}

	h.Transforms = append(h.Transforms, 1)
	h.Flags, h.SeqID, h.ProtocolID = 1, 2, 3
	ints, strs, tr := cap(h.Ints), cap(h.Strs), cap(h.Transforms)
	h.Reset()
	if h.Flags != 0 || h.SeqID != 0 || h.ProtocolID != 0 || len(h.Ints)+len(h.Strs)+len(h.Transforms) != 0 {
		t.Fatalf("Reset left %+v", h)
	}
	if cap(h.Ints) != ints || cap(h.Strs) != strs || cap(h.Transforms) != tr {
		t.Fatal("Reset dropped capacity")
	}
	if h.Ints[:1][0].Value != "" || h.Strs[:1][0].Key != "" {
		t.Fatal("Reset kept references to old strings")
	}
}

func TestIntKeyName(t *testing.T) {
	if got := ttheader.IntKeyName(ttheader.FrameType); got != "FrameType" {
		t.Errorf("IntKeyName(27) = %q", got)
	}
	for k := uint16(0); k <= ttheader.FrameType; k++ {
		if ttheader.IntKeyName(k) == "" {
			t.Errorf("IntKeyName(%d) empty", k)
		}
	}
	if got := ttheader.IntKeyName(28); got != "" {
		t.Errorf("IntKeyName(28) = %q", got)
	}
}

func TestEmptyHeader(t *testing.T) {
	var h ttheader.Header
	if h.Size() != 18 {
		t.Fatalf("Size() = %d, want 18", h.Size())
	}
	b, err := ttheader.AppendHeader([]byte("prefix"), &h)
	if err != nil {
		t.Fatal(err)
	}
	if want := cat("prefix", hx("00 00 00 00 10 00 00 00 00 00 00 00 00 01 00 00 00 00")); !bytes.Equal(b, want) {
		t.Fatalf("got % x", b)
	}
	ttheader.SetLength(b[6:])
	if !bytes.Equal(b[6:10], []byte{0, 0, 0, 14}) {
		t.Fatalf("SetLength wrote % x", b[6:10])
	}
}

// TestACLToken checks that the ACL token travels in its own block, only
// once, and merges with a token sent as an ordinary string pair.
func TestACLToken(t *testing.T) {
	h := ttheader.Header{Strs: []ttheader.StrKV{
		{ttheader.KeyACLToken, "old"}, {"k", "v"}, {ttheader.KeyACLToken, "new"},
	}}
	b, err := ttheader.AppendHeader(nil, &h)
	if err != nil {
		t.Fatal(err)
	}
	want := cat(hx("00 00 00 00 10 00 00 00 00 00 00 00 00 05 00 00 11 00 03"), "new", hx("01 00 01 00 01"), "k", hx("00 01"), "v", hx("00 00 00"))
	if !bytes.Equal(b, want) || len(b) != h.Size() {
		t.Fatalf("got  % x\nwant % x", b, want)
	}

	// A token in a string block, then in an ACL block: the later wins.
	frame := cat(hx("00 00 00 32 10 00 00 00 00 00 00 00 00 0a 00 00 01 00 01 00 16"), ttheader.KeyACLToken, hx("00 01"), "a",
		hx("11 00 01"), "b", hx("00 00 00 00"))
	var d ttheader.Header
	if _, _, err := ttheader.ConsumeHeader(frame, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Strs) != 1 || d.Strs[0] != (ttheader.StrKV{Key: ttheader.KeyACLToken, Value: "b"}) {
		t.Fatalf("decoded %v", d.Strs)
	}
}

func TestAppendHeaderErrors(t *testing.T) {
	big := strings.Repeat("x", 65536)
	manyInts := make([]ttheader.IntKV, 65536)
	manyStrs := make([]ttheader.StrKV, 65536)
	tests := []struct {
		name string
		h    ttheader.Header
	}{
		{"long key", ttheader.Header{Strs: []ttheader.StrKV{{big, ""}}}},
		{"long value", ttheader.Header{Strs: []ttheader.StrKV{{"k", big}}}},
		{"long int value", ttheader.Header{Ints: []ttheader.IntKV{{1, big}}}},
		{"long ACL token", ttheader.Header{Strs: []ttheader.StrKV{{ttheader.KeyACLToken, big}}}},
		{"too many ints", ttheader.Header{Ints: manyInts}},
		{"too many strs", ttheader.Header{Strs: manyStrs}},
		{"too many transforms", ttheader.Header{Transforms: make([]uint8, 256)}},
		{"header too large", ttheader.Header{Strs: []ttheader.StrKV{
			{"a", big[1:]}, {"b", big[1:]}, {"c", big[1:]}, {"d", big[1:]}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte("keep")
			out, err := ttheader.AppendHeader(in, &tc.h)
			if !errors.Is(err, ttheader.ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if string(out) != "keep" {
				t.Fatalf("b changed to %d bytes", len(out))
			}
		})
	}
	// Limits themselves are fine.
	h := ttheader.Header{Strs: []ttheader.StrKV{{big[1:], big[1:]}}, Transforms: make([]uint8, 255)}
	b, err := ttheader.AppendHeader(nil, &h)
	if err != nil {
		t.Fatal(err)
	}
	ttheader.SetLength(b)
	var d ttheader.Header
	if _, _, err := ttheader.ConsumeHeader(b, &d); err != nil || keySets(&d) != keySets(&h) {
		t.Fatalf("at the limits: %v", err)
	}
}

// TestConsumeHeaderClearsStale checks that decoding a smaller header, or
// failing, leaves no references to old strings in the reused slices.
func TestConsumeHeaderClearsStale(t *testing.T) {
	rich := vectorNamed(t, "thrift_echo_ttheader_metainfo.req")
	small := vectorNamed(t, "thrift_echo_ttheader.resp")
	bad := hx("00 00 00 0e 10 00 00 00 00 00 00 03 00 01 00 00 02 00")
	for _, next := range [][]byte{small, bad} {
		var h ttheader.Header
		if _, _, err := ttheader.ConsumeHeader(rich, &h); err != nil {
			t.Fatal(err)
		}
		ttheader.ConsumeHeader(next, &h)
		for _, kv := range h.Ints[len(h.Ints):cap(h.Ints)] {
			if kv.Value != "" {
				t.Errorf("stale int value %q", kv.Value)
			}
		}
		for _, kv := range h.Strs[len(h.Strs):cap(h.Strs)] {
			if kv.Key != "" || kv.Value != "" {
				t.Errorf("stale string pair %q", kv)
			}
		}
	}
}
