package ttheader_test

import (
	"bytes"
	"testing"

	"github.com/kite-rpc/kite/codec/ttheader"
)

// goldenCase is one frame from WIRE.md §10. The expected Header lists pairs
// in the order of the capture, so encoding it must reproduce the bytes.
type goldenCase struct {
	name    string
	frame   []byte // the frame, or only its header when headerOnly
	want    ttheader.Header
	payload []byte
	// headerOnly marks cases whose payload WIRE.md elides.
	headerOnly bool
	frameLen   int // expected LENGTH+4 when headerOnly
}

var (
	thriftCallEcho3  = hx("00 00 00 1e 80 01 00 01 00 00 00 04 45 63 68 6f 00 00 00 03 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00")
	thriftReplyEcho3 = hx("00 00 00 1e 80 01 00 02 00 00 00 04 45 63 68 6f 00 00 00 03 0c 00 00 0b 00 01 00 00 00 02 68 69 00 00")
	thriftCallEcho4  = hx("00 00 00 1e 80 01 00 01 00 00 00 04 45 63 68 6f 00 00 00 04 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00")
	thriftReplyEcho4 = hx("00 00 00 1e 80 01 00 02 00 00 00 04 45 63 68 6f 00 00 00 04 0c 00 00 0b 00 01 00 00 00 02 68 69 00 00")
	kpbEcho1         = hx("00 00 00 14 90 01 00 01 00 00 00 04 45 63 68 6f 00 00 00 01 0a 02 68 69")
	kpbEchoReply1    = hx("00 00 00 14 90 01 00 02 00 00 00 04 45 63 68 6f 00 00 00 01 0a 02 68 69")
)

func goldenCases() []goldenCase {
	return []goldenCase{
		{
			name:    "GC-3 request",
			frame:   cat(hx("00 00 00 30 10 00 00 00 00 00 00 03 00 01 00 00 00 00"), thriftCallEcho3),
			want:    ttheader.Header{SeqID: 3},
			payload: thriftCallEcho3,
		},
		{
			name:    "GC-3 reply",
			frame:   cat(hx("00 00 00 30 10 00 00 00 00 00 00 03 00 01 00 00 00 00"), thriftReplyEcho3),
			want:    ttheader.Header{SeqID: 3},
			payload: thriftReplyEcho3,
		},
		{
			name: "GC-4 request ACL token and int key",
			frame: hx(`00 00 00 3c 10 00 00 00 00 00 00 18 00 05 00 00 11 00 03 74 6f 6b 10 00 01 00 02 00 05 6c 6f 67 2d 31 |
				80 01 00 01 00 00 00 04 45 63 68 6f 00 00 00 18 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00`),
			want: ttheader.Header{SeqID: 24,
				Ints: []ttheader.IntKV{{ttheader.LogID, "log-1"}},
				Strs: []ttheader.StrKV{{ttheader.KeyACLToken, "tok"}}},
			payload: hx("80 01 00 01 00 00 00 04 45 63 68 6f 00 00 00 18 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00"),
		},
		{
			name:    "GC-4 reply",
			frame:   hx("00 00 00 2c 10 00 00 00 00 00 00 18 00 01 00 00 00 00 | 80 01 00 02 00 00 00 04 45 63 68 6f 00 00 00 18 0c 00 00 0b 00 01 00 00 00 02 68 69 00 00"),
			want:    ttheader.Header{SeqID: 24},
			payload: hx("80 01 00 02 00 00 00 04 45 63 68 6f 00 00 00 18 0c 00 00 0b 00 01 00 00 00 02 68 69 00 00"),
		},
		{
			name: "GC-5 rich request",
			frame: cat(hx(`00 00 00 8c 10 00 00 00 00 00 00 04 00 18 00 00
				01 00 01 00 03 69 73 6e 00 04 44 65 6d 6f
				10 00 07 00 14 00 0c 43 61 6c 6c 65 72 4d 65 74 68 6f 64 00 06 00 0b 64 65 6d 6f 2e 73 65 72 76 65 72
				00 09 00 04 45 63 68 6f 00 16 00 01 31 00 01 00 06 66 72 61 6d 65 64 00 0c 00 04 31 30 30 30
				00 03 00 0b 64 65 6d 6f 2e 63 61 6c 6c 65 72`), thriftCallEcho4),
			want: ttheader.Header{SeqID: 4,
				Ints: []ttheader.IntKV{
					{ttheader.FromMethod, "CallerMethod"}, {ttheader.ToService, "demo.server"},
					{ttheader.ToMethod, "Echo"}, {ttheader.MsgType, "1"}, {ttheader.TransportType, "framed"},
					{ttheader.RPCTimeout, "1000"}, {ttheader.FromService, "demo.caller"},
				},
				Strs: []ttheader.StrKV{{ttheader.KeyIDLServiceName, "Demo"}}},
			payload: thriftCallEcho4,
		},
		{
			name:  "GC-5 reply",
			frame: cat(hx("00 00 00 38 10 00 00 00 00 00 00 04 00 03 00 00 10 00 01 00 16 00 01 32 00 00"), thriftReplyEcho4),
			want: ttheader.Header{SeqID: 4,
				Ints: []ttheader.IntKV{{ttheader.MsgType, "2"}}},
			payload: thriftReplyEcho4,
		},
		{
			name:  "GC-6 exception reply header",
			frame: hx("00 00 00 48 10 00 00 00 00 00 00 19 00 03 00 00 10 00 01 00 16 00 01 33 00 00"),
			want: ttheader.Header{SeqID: 25,
				Ints: []ttheader.IntKV{{ttheader.MsgType, "3"}}},
			headerOnly: true,
			frameLen:   0x48 + 4,
		},
		{
			name: "GC-9 request with isn",
			frame: hx(`00 00 00 38 10 00 00 00 00 00 00 17 00 04 00 00 01 00 01 00 03 69 73 6e 00 04 44 65 6d 6f |
				80 01 00 01 00 00 00 04 4e 6f 70 65 00 00 00 17 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00`),
			want: ttheader.Header{SeqID: 23,
				Strs: []ttheader.StrKV{{ttheader.KeyIDLServiceName, "Demo"}}},
			payload: hx("80 01 00 01 00 00 00 04 4e 6f 70 65 00 00 00 17 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00"),
		},
		{
			name: "GC-9 reply",
			frame: cat(hx(`00 00 00 4f 10 00 00 00 00 00 00 17 00 01 00 00 00 00 | 80 01 00 03 00 00 00 04 4e 6f 70 65 00 00 00 17 0b 00 01 00 00 00 22`),
				"unknown method Nope (service Demo)", hx("08 00 02 00 00 00 01 00")),
			want: ttheader.Header{SeqID: 23},
			payload: cat(hx(`80 01 00 03 00 00 00 04 4e 6f 70 65 00 00 00 17 0b 00 01 00 00 00 22`),
				"unknown method Nope (service Demo)", hx("08 00 02 00 00 00 01 00")),
		},
		{
			name:    "GC-10 request",
			frame:   hx("00 00 00 2c 10 00 00 00 00 00 00 07 00 01 00 00 00 00 | 80 01 00 01 00 00 00 04 4e 6f 70 65 00 00 00 07 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00"),
			want:    ttheader.Header{SeqID: 7},
			payload: hx("80 01 00 01 00 00 00 04 4e 6f 70 65 00 00 00 07 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00"),
		},
		{
			name: "GC-10 reply with crrst",
			frame: cat(hx(`00 00 00 5e 10 00 00 00 00 00 00 07 00 06 00 00 01 00 01 00 05 63 72 72 73 74 00 01 31 10 00 01 00 16 00 01 33 00 |
				80 01 00 03 00 00 00 04 4e 6f 70 65 00 00 00 07 0b 00 01 00 00 00 1d`), "unknown service , method Nope", hx("08 00 02 00 00 00 14 00")),
			want: ttheader.Header{SeqID: 7,
				Ints: []ttheader.IntKV{{ttheader.MsgType, "3"}},
				Strs: []ttheader.StrKV{{ttheader.KeyConnReset, "1"}}},
			payload: cat(hx("80 01 00 03 00 00 00 04 4e 6f 70 65 00 00 00 07 0b 00 01 00 00 00 1d"), "unknown service , method Nope", hx("08 00 02 00 00 00 14 00")),
		},
		{
			name:    "GC-11 request",
			frame:   hx("00 00 00 2d 10 00 00 00 00 00 00 15 00 01 00 00 00 00 | 80 01 00 01 00 00 00 04 45 63 68 6f 00 00 00 15 0c 00 01 0b 00 01 00 00 00 03 62 69 7a 00 00"),
			want:    ttheader.Header{SeqID: 21},
			payload: hx("80 01 00 01 00 00 00 04 45 63 68 6f 00 00 00 15 0c 00 01 0b 00 01 00 00 00 03 62 69 7a 00 00"),
		},
		{
			name: "GC-11 biz status reply",
			frame: cat(hx("00 00 00 67 10 00 00 00 00 00 00 15 00 13 00 00"),
				hx("01 00 03 00 0a"), "biz-status", hx("00 04"), "1001",
				hx("00 0b"), "biz-message", hx("00 07"), "biz msg",
				hx("00 09"), "biz-extra", hx("00 09"), `{"k":"v"}`,
				hx("10 00 01 00 16 00 01 32 00"),
				hx("80 01 00 02 00 00 00 04 45 63 68 6f 00 00 00 15 00")),
			want: ttheader.Header{SeqID: 21,
				Ints: []ttheader.IntKV{{ttheader.MsgType, "2"}},
				Strs: []ttheader.StrKV{
					{ttheader.KeyBizStatus, "1001"}, {ttheader.KeyBizMessage, "biz msg"}, {ttheader.KeyBizExtra, `{"k":"v"}`},
				}},
			payload: hx("80 01 00 02 00 00 00 04 45 63 68 6f 00 00 00 15 00"),
		},
		{
			name:    "GC-13 Kitex protobuf request",
			frame:   cat(hx("00 00 00 26 10 00 00 00 00 00 00 01 00 01 00 00 00 00"), kpbEcho1),
			want:    ttheader.Header{SeqID: 1},
			payload: kpbEcho1,
		},
		{
			name:  "GC-13 Kitex protobuf reply",
			frame: cat(hx("00 00 00 2e 10 00 00 00 00 00 00 01 00 03 00 00 10 00 01 00 16 00 01 32 00 00"), kpbEchoReply1),
			want: ttheader.Header{SeqID: 1,
				Ints: []ttheader.IntKV{{ttheader.MsgType, "2"}}},
			payload: kpbEchoReply1,
		},
		{
			name: "GC-15 ttstream header frame",
			frame: hx(`00 00 00 3e 10 00 00 02 00 00 00 01 00 0d 10 00 01 00 02 00 03 69 73 6e 00 04 44 65 6d 6f 00 0e
				52 50 43 5f 54 52 41 4e 53 49 54 5f 54 4b 00 02 74 76 10 00 02 00 1b 00 01 32 00 09 00 04 42 69 64 69`),
			want: ttheader.Header{Flags: ttheader.FlagStreaming, SeqID: 1, ProtocolID: ttheader.ProtocolTTStreamThrift,
				Ints: []ttheader.IntKV{{ttheader.FrameType, "2"}, {ttheader.ToMethod, "Bidi"}},
				Strs: []ttheader.StrKV{{ttheader.KeyIDLServiceName, "Demo"}, {ttheader.PrefixTransient + "TK", "tv"}}},
			payload: []byte{},
		},
		{
			name:  "GC-15 ttstream data frame",
			frame: hx("00 00 00 28 10 00 00 02 00 00 00 01 00 05 10 00 10 00 02 00 1b 00 01 33 00 09 00 04 42 69 64 69 00 00 0b 00 01 00 00 00 02 73 31 00"),
			want: ttheader.Header{Flags: ttheader.FlagStreaming, SeqID: 1, ProtocolID: ttheader.ProtocolTTStreamThrift,
				Ints: []ttheader.IntKV{{ttheader.FrameType, "3"}, {ttheader.ToMethod, "Bidi"}}},
			payload: hx("0b 00 01 00 00 00 02 73 31 00"),
		},
		{
			name:  "GC-15 mux control frame",
			frame: hx("00 00 00 2b 10 00 00 00 00 00 00 00 00 04 00 00 01 00 01 00 05 63 72 72 73 74 00 01 31 00 80 01 00 02 00 00 00 04 6e 6f 6e 65 00 00 00 00 00"),
			want: ttheader.Header{
				Strs: []ttheader.StrKV{{ttheader.KeyConnReset, "1"}}},
			payload: hx("80 01 00 02 00 00 00 04 6e 6f 6e 65 00 00 00 00 00"),
		},
		{
			name:       "GC-15 mux request header",
			frame:      hx("00 00 00 31 10 00 00 01 00 00 00 0d 00 01 00 00 00 00"),
			want:       ttheader.Header{Flags: ttheader.FlagSupportOutOfOrder, SeqID: 13},
			headerOnly: true,
			frameLen:   0x31 + 4,
		},
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			if !ttheader.IsTTHeader(tc.frame) {
				t.Fatal("IsTTHeader = false")
			}
			if got, want := ttheader.IsStreaming(tc.frame), tc.want.Flags&ttheader.FlagStreaming != 0; got != want {
				t.Errorf("IsStreaming = %v, want %v", got, want)
			}
			var h ttheader.Header
			off, n, err := ttheader.ConsumeHeader(tc.frame, &h)
			if err != nil {
				t.Fatalf("ConsumeHeader: %v", err)
			}
			if got, want := keySets(&h), keySets(&tc.want); got != want {
				t.Errorf("decoded\n got %s\nwant %s", got, want)
			}
			if off != tc.want.Size() {
				t.Errorf("payloadOff = %d, want Size() = %d", off, tc.want.Size())
			}
			enc, err := ttheader.AppendHeader(nil, &tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if tc.headerOnly {
				if n != tc.frameLen || off != len(tc.frame) {
					t.Errorf("payloadOff, frameLen = %d, %d, want %d, %d", off, n, len(tc.frame), tc.frameLen)
				}
				if !bytes.Equal(enc[4:], tc.frame[4:]) || !bytes.Equal(enc[:4], []byte{0, 0, 0, 0}) {
					t.Errorf("encoded header\n got % x\nwant % x", enc, tc.frame)
				}
				return
			}
			if n != len(tc.frame) {
				t.Errorf("frameLen = %d, want %d", n, len(tc.frame))
			}
			if !bytes.Equal(tc.frame[off:n], tc.payload) {
				t.Errorf("payload\n got % x\nwant % x", tc.frame[off:n], tc.payload)
			}
			frame := append(enc, tc.payload...)
			ttheader.SetLength(frame)
			if !bytes.Equal(frame, tc.frame) {
				t.Errorf("encoded frame\n got % x\nwant % x", frame, tc.frame)
			}
		})
	}
}

// TestGoldenKeyOrder checks that the encoder writes the ACL block first and
// the string block before the integer block whatever the slice order.
func TestGoldenKeyOrder(t *testing.T) {
	h := ttheader.Header{SeqID: 24}
	h.SetInt(ttheader.LogID, "log-1")
	h.SetStr(ttheader.KeyACLToken, "tok")
	b, err := ttheader.AppendHeader(nil, &h)
	if err != nil {
		t.Fatal(err)
	}
	want := hx("00 00 00 00 10 00 00 00 00 00 00 18 00 05 00 00 11 00 03 74 6f 6b 10 00 01 00 02 00 05 6c 6f 67 2d 31")
	if !bytes.Equal(b, want) {
		t.Errorf("got  % x\nwant % x", b, want)
	}

	h = ttheader.Header{SeqID: 7}
	h.SetInt(ttheader.MsgType, "3")
	h.SetStr(ttheader.KeyConnReset, "1")
	b, err = ttheader.AppendHeader(nil, &h)
	if err != nil {
		t.Fatal(err)
	}
	want = hx("00 00 00 00 10 00 00 00 00 00 00 07 00 06 00 00 01 00 01 00 05 63 72 72 73 74 00 01 31 10 00 01 00 16 00 01 33 00")
	if !bytes.Equal(b, want) {
		t.Errorf("got  % x\nwant % x", b, want)
	}
}
