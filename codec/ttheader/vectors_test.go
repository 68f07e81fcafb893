package ttheader_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/kite-rpc/kite/codec/ttheader"
)

// TestVectors decodes every frame captured from Kitex v0.16.3 and checks that
// re-encoding the decoded header reproduces the frame. Kitex writes pairs in
// Go map order, so this holds because the decoder keeps wire order; the key
// sets and the header length (and so the padding) must match regardless.
func TestVectors(t *testing.T) {
	for _, v := range vectors(t) {
		t.Run(v.name, func(t *testing.T) {
			if len(v.data) == 0 {
				t.Skip("no bytes (oneway reply)")
			}
			frames := 0
			for b := v.data; len(b) > 0; frames++ {
				var h ttheader.Header
				if !ttheader.IsTTHeader(b) {
					t.Fatalf("frame %d: not TTHeader: % x", frames, b[:min(len(b), 16)])
				}
				off, n, err := ttheader.ConsumeHeader(b, &h)
				if err != nil {
					t.Fatalf("frame %d: %v", frames, err)
				}
				if n > len(b) || off > n {
					t.Fatalf("frame %d: payloadOff %d frameLen %d, %d bytes", frames, off, n, len(b))
				}
				if h.Size() != off {
					t.Errorf("frame %d: Size() = %d, payloadOff = %d", frames, h.Size(), off)
				}

				re := encodeFrame(t, &h, b[off:n])
				if !bytes.Equal(re, b[:n]) {
					t.Errorf("frame %d: re-encoded\n got % x\nwant % x", frames, re, b[:n])
				}
				var h2 ttheader.Header
				off2, n2, err := ttheader.ConsumeHeader(re, &h2)
				if err != nil {
					t.Fatalf("frame %d: decoding re-encoded: %v", frames, err)
				}
				if off2 != off || n2 != n {
					t.Errorf("frame %d: re-encoded payloadOff, frameLen = %d, %d, want %d, %d", frames, off2, n2, off, n)
				}
				if got, want := keySets(&h2), keySets(&h); got != want {
					t.Errorf("frame %d: re-encoded\n got %s\nwant %s", frames, got, want)
				}
				b = b[n:]
			}
			t.Logf("%d frame(s)", frames)
		})
	}
}

// TestVectorsContent checks what the captured headers say (from the .md
// dumps next to the vectors).
func TestVectorsContent(t *testing.T) {
	richReq := map[uint16]string{
		ttheader.TransportType: "unframed", ttheader.FromService: "", ttheader.ToService: "EchoServer",
		ttheader.ToMethod: "Echo", ttheader.FromMethod: "", ttheader.MsgType: "1",
	}
	tests := []struct {
		name  string
		flags uint16
		ints  map[uint16]string
		strs  map[string]string
	}{
		{"thrift_echo_ttheader.req", 0, richReq, map[string]string{"isn": "EchoServer"}},
		{"thrift_echo_ttheader.resp", 0, map[uint16]string{ttheader.MsgType: "2"}, nil},
		{"thrift_echo_ttheader_metainfo.req", 0, richReq, map[string]string{
			"isn": "EchoServer", "RPC_TRANSIT_k1": "v1", "RPC_TRANSIT_k2": "v2", "RPC_PERSIST_pk1": "pv1"}},
		{"thrift_echo_ttheader_nometahandler.req", 0, nil, nil},
		{"thrift_bizerror_ttheader.resp", 0, map[uint16]string{ttheader.MsgType: "2"}, map[string]string{
			ttheader.KeyBizStatus: "10001", ttheader.KeyBizMessage: "kitexlab biz status error"}},
		{"thrift_unknown_method_ttheader.resp", 0, map[uint16]string{ttheader.MsgType: "3"}, map[string]string{ttheader.KeyConnReset: "1"}},
		{"kpb_echo_ttheaderframed_metainfo.resp", 0, map[uint16]string{ttheader.MsgType: "2"}, map[string]string{"bkey": "bval"}},
		{"thrift_echo_mux.req", ttheader.FlagSupportOutOfOrder, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h ttheader.Header
			if _, _, err := ttheader.ConsumeHeader(vectorNamed(t, tc.name), &h); err != nil {
				t.Fatal(err)
			}
			if h.Flags != tc.flags || h.SeqID != 1 || h.ProtocolID != ttheader.ProtocolBinary {
				t.Errorf("flags, seq, proto = %#x, %d, %#x", h.Flags, h.SeqID, h.ProtocolID)
			}
			if tc.ints != nil && len(h.Ints) != len(tc.ints) {
				t.Errorf("%d int pairs, want %d: %s", len(h.Ints), len(tc.ints), keySets(&h))
			}
			for k, want := range tc.ints {
				if got, ok := h.Int(k); !ok || got != want {
					t.Errorf("Int(%s) = %q, %v, want %q", ttheader.IntKeyName(k), got, ok, want)
				}
			}
			if tc.strs != nil && len(h.Strs) != len(tc.strs) {
				t.Errorf("%d string pairs, want %d: %s", len(h.Strs), len(tc.strs), keySets(&h))
			}
			for k, want := range tc.strs {
				if got, ok := h.Str(k); !ok || got != want {
					t.Errorf("Str(%q) = %q, %v, want %q", k, got, ok, want)
				}
			}
		})
	}
	// Timeouts and transport type in the other client configurations.
	var h ttheader.Header
	if _, _, err := ttheader.ConsumeHeader(vectorNamed(t, "thrift_echo_ttheaderframed.req"), &h); err != nil {
		t.Fatal(err)
	}
	if v, _ := h.Int(ttheader.TransportType); v != "framed" {
		t.Errorf("ttheaderframed TransportType = %q", v)
	}
	if _, _, err := ttheader.ConsumeHeader(vectorNamed(t, "thrift_echo_ttheader_rpctimeout.req"), &h); err != nil {
		t.Fatal(err)
	}
	if v, _ := h.Int(ttheader.RPCTimeout); v != "1500" {
		t.Errorf("rpctimeout RPCTimeout = %q", v)
	}
}

// TestVectorsShort feeds every prefix of every captured header: shorter than
// the header must ask for more bytes, anything from the payload offset on
// must decode without the payload.
func TestVectorsShort(t *testing.T) {
	for _, v := range vectors(t) {
		if len(v.data) == 0 {
			continue
		}
		var full ttheader.Header
		off, n, err := ttheader.ConsumeHeader(v.data, &full)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		for i := 0; i <= n; i++ {
			var h ttheader.Header
			gotOff, gotN, err := ttheader.ConsumeHeader(v.data[:i], &h)
			switch {
			case i < off:
				if !errors.Is(err, ttheader.ErrShort) {
					t.Fatalf("%s[:%d]: err = %v, want ErrShort", v.name, i, err)
				}
				if i >= 14 && (gotOff != off || gotN != n) {
					t.Fatalf("%s[:%d]: ErrShort with payloadOff, frameLen = %d, %d, want %d, %d", v.name, i, gotOff, gotN, off, n)
				}
			default:
				if err != nil || gotOff != off || gotN != n {
					t.Fatalf("%s[:%d]: %d, %d, %v", v.name, i, gotOff, gotN, err)
				}
				if keySets(&h) != keySets(&full) {
					t.Fatalf("%s[:%d]: decoded %s", v.name, i, keySets(&h))
				}
			}
		}
	}
}
