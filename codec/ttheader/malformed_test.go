package ttheader_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/kite-rpc/kite/codec/ttheader"
)

func TestConsumeHeaderMalformed(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
	}{
		{"LENGTH MSB", hx("80 00 00 30 10 00 00 00 00 00 00 03 00 01 00 00 00 00")},
		{"LENGTH MSB, 1 byte", hx("80")},
		{"bad magic, 5 bytes", hx("00 00 00 30 11")},
		{"Apache THeader magic", hx("00 00 00 30 0f ff 00 00 00 00 00 03 00 01 00 00 00 00")},
		{"framed thrift", hx("00 00 00 1e 80 01 00 01 00 00 00 04 45 63 68 6f")},
		{"HEADER_SIZE 0", hx("00 00 00 30 10 00 00 00 00 00 00 03 00 00")},
		{"header beyond LENGTH", hx("00 00 00 0d 10 00 00 00 00 00 00 03 00 01 00 00 00 00")},
		{"header beyond LENGTH, short buffer", hx("00 00 00 10 10 00 00 00 00 00 00 03 ff ff")},
		{"PROTOCOL_ID 0x01", hx("00 00 00 0e 10 00 00 00 00 00 00 03 00 01 01 00 00 00")},
		{"PROTOCOL_ID 0x05", hx("00 00 00 0e 10 00 00 00 00 00 00 03 00 01 05 00 00 00")},
		{"PROTOCOL_ID 0xff", hx("00 00 00 0e 10 00 00 00 00 00 00 03 00 01 ff 00 00 00")},
		{"transforms beyond header", hx("00 00 00 0e 10 00 00 00 00 00 00 03 00 01 00 03 01 02")},
		{"unknown INFO id", hx("00 00 00 0e 10 00 00 00 00 00 00 03 00 01 00 00 02 00")},
		{"INFO id 0x12", hx("00 00 00 0e 10 00 00 00 00 00 00 03 00 01 00 00 12 00")},
		{"truncated string count", hx("00 00 00 0e 10 00 00 00 00 00 00 03 00 01 00 00 00 01")},
		{"truncated int count", hx("00 00 00 0e 10 00 00 00 00 00 00 03 00 01 00 00 00 10")},
		{"hostile string count", hx("00 00 00 12 10 00 00 00 00 00 00 03 00 02 00 00 01 ff ff 00 00 00 00 00")},
		{"hostile int count", hx("00 00 00 12 10 00 00 00 00 00 00 03 00 02 00 00 10 ff ff 00 01 00 00 00")},
		{"key length beyond header", hx("00 00 00 12 10 00 00 00 00 00 00 03 00 02 00 00 01 00 01 ff ff 00 00 00")},
		{"value length beyond header", hx("00 00 00 12 10 00 00 00 00 00 00 03 00 02 00 00 01 00 01 00 00 00 05 00")},
		{"int value beyond header", hx("00 00 00 12 10 00 00 00 00 00 00 03 00 02 00 00 10 00 01 00 16 00 02 31")},
		{"int key truncated", hx("00 00 00 0e 10 00 00 00 00 00 00 03 00 01 00 10 00 01")},
		{"ACL token beyond header", hx("00 00 00 0e 10 00 00 00 00 00 00 03 00 01 00 00 11 00")},
		{"ACL length beyond header", hx("00 00 00 12 10 00 00 00 00 00 00 03 00 02 00 00 11 00 09 61 61 61 61 61")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := ttheader.Header{SeqID: 9}
			h.SetInt(1, "stale")
			off, n, err := ttheader.ConsumeHeader(tc.frame, &h)
			if !errors.Is(err, ttheader.ErrMalformed) || errors.Is(err, ttheader.ErrShort) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if off != 0 || n != 0 {
				t.Errorf("payloadOff, frameLen = %d, %d on error", off, n)
			}
			if h.SeqID != 0 || len(h.Ints) != 0 {
				t.Errorf("header not reset on error: %+v", h)
			}
		})
	}
}

func TestConsumeHeaderAccepts(t *testing.T) {
	for _, proto := range []byte{0x00, 0x02, 0x03, 0x04, 0x10, 0x11} {
		frame := hx("00 00 00 0e 10 00 ff ff 80 00 00 00 00 01 00 00 00 00")
		frame[14] = proto
		var h ttheader.Header
		off, n, err := ttheader.ConsumeHeader(frame, &h)
		if err != nil || off != 18 || n != 18 || h.ProtocolID != proto || h.Flags != 0xffff || h.SeqID != -1<<31 {
			t.Errorf("PROTOCOL_ID %#x: %d %d %v %+v", proto, off, n, err, h)
		}
	}
	// Transforms are kept, padding may sit between blocks, blocks may
	// repeat and later values replace earlier ones in place.
	frame := hx(`00 00 00 32 10 00 00 00 00 00 00 05 00 0a 00 02 07 08
		10 00 02 00 16 00 01 31 00 16 00 01 32 00 00
		01 00 01 00 01 61 00 01 78 00
		10 00 01 00 09 00 01 45 00 00 00`)
	var h ttheader.Header
	if _, _, err := ttheader.ConsumeHeader(frame, &h); err != nil {
		t.Fatal(err)
	}
	if got, want := keySets(&h), `flags=0x0 seq=5 proto=0x0 transforms=[7 8] ints={9:"E" 22:"2" } strs={"a":"x" }`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if len(h.Ints) != 2 || h.Ints[0].Key != ttheader.MsgType {
		t.Errorf("order not kept: %v", h.Ints)
	}
}

// TestConsumeHeaderManyPairs decodes headers with thousands of pairs and
// duplicates, exercising the map-based deduplication.
func TestConsumeHeaderManyPairs(t *testing.T) {
	var h ttheader.Header
	for i := 0; i < 5000; i++ {
		h.Ints = append(h.Ints, ttheader.IntKV{Key: uint16(i % 3000), Value: strconv.Itoa(i)})
		h.Strs = append(h.Strs, ttheader.StrKV{Key: "k" + strconv.Itoa(i%2000), Value: strconv.Itoa(i)})
	}
	b, err := ttheader.AppendHeader(nil, &h)
	if err != nil {
		t.Fatal(err)
	}
	ttheader.SetLength(b)
	var d ttheader.Header
	if _, _, err := ttheader.ConsumeHeader(b, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Ints) != 3000 || len(d.Strs) != 2000 {
		t.Fatalf("%d ints, %d strs", len(d.Ints), len(d.Strs))
	}
	for i := 0; i < 3000; i++ {
		want := i + 3000
		if want >= 5000 {
			want = i
		}
		if d.Ints[i].Key != uint16(i) || d.Ints[i].Value != strconv.Itoa(want) {
			t.Fatalf("Ints[%d] = %v, want value %d", i, d.Ints[i], want)
		}
	}
	for i := 0; i < 2000; i++ {
		want := i + 4000
		if want >= 5000 {
			want = i + 2000
		}
		if d.Strs[i].Key != "k"+strconv.Itoa(i) || d.Strs[i].Value != strconv.Itoa(want) {
			t.Fatalf("Strs[%d] = %v, want value %d", i, d.Strs[i], want)
		}
	}
	if keySets(&d) != keySets(&h) {
		t.Fatal("key sets differ")
	}
}
