package thrift_test

import (
	"errors"
	"math"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
)

func TestMessageBeginGolden(t *testing.T) {
	for _, c := range []struct {
		p    thrift.Protocol
		name string
		typ  thrift.MessageType
		seq  int32
		hex  string
	}{
		{thrift.Compact, "Echo", thrift.Call, 9, "82 21 09 04 45 63 68 6f"},
		{thrift.Compact, "Echo", thrift.Reply, 300, "82 41 ac 02 04 45 63 68 6f"},
		{thrift.Compact, "", thrift.Oneway, -1, "82 81 ff ff ff ff 0f 00"},
		{thrift.Compact, "x", thrift.Exception, 0, "82 61 00 01 78"},
		{thrift.Binary, "Echo", thrift.Call, 9, "80 01 00 01 00 00 00 04 45 63 68 6f 00 00 00 09"},
		{thrift.Binary, "", thrift.Exception, -2, "80 01 00 03 00 00 00 00 ff ff ff fe"},
	} {
		want := mustHex(c.hex)
		got := thrift.AppendMessageBegin(nil, c.p, c.name, c.typ, c.seq)
		if string(got) != string(want) {
			t.Errorf("%v %q: got % x, want % x", c.p, c.name, got, want)
		}
		if c.p == thrift.Binary && thrift.MessageBeginSize(c.p, c.name) != len(want) {
			t.Errorf("MessageBeginSize = %d, want %d", thrift.MessageBeginSize(c.p, c.name), len(want))
		}
		if c.p == thrift.Compact {
			if s := thrift.CompactMessageBeginSize(c.name, c.seq); s != len(want) {
				t.Errorf("CompactMessageBeginSize = %d, want %d", s, len(want))
			}
			if s := thrift.MessageBeginSize(c.p, c.name); s < len(want) || s > len(want)+4 {
				t.Errorf("MessageBeginSize = %d for %d bytes", s, len(want))
			}
		}
		name, typ, seq, n, err := thrift.ConsumeMessageBegin(want, c.p)
		if err != nil || string(name) != c.name || typ != c.typ || seq != c.seq || n != len(want) {
			t.Errorf("Consume %v: %q %v %d %d %v", c.p, name, typ, seq, n, err)
		}
		for i := 0; i < len(want); i++ {
			if _, _, _, _, err := thrift.ConsumeMessageBegin(want[:i], c.p); !errors.Is(err, thrift.ErrShort) {
				t.Errorf("prefix %d: %v, want ErrShort", i, err)
			}
		}
	}
}

func TestMessageBeginErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		p    thrift.Protocol
		hex  string
		want error
		text string
	}{
		{"non-strict binary", thrift.Binary, "00 00 00 04 45 63 68 6f 01 00 00 00 01", thrift.ErrBadVersion, "ReadMessageBegin: bad version"},
		{"version 2", thrift.Binary, "80 02 00 01 00 00 00 00 00 00 00 01", thrift.ErrBadVersion, "ReadMessageBegin: bad version"},
		{"TTHeader magic", thrift.Binary, "10 00 00 00 00 00 00 01", thrift.ErrBadVersion, ""},
		{"type above 255", thrift.Binary, "80 01 01 01 00 00 00 00 00 00 00 01", thrift.ErrInvalidData, ""},
		{"negative name length", thrift.Binary, "80 01 00 01 ff ff ff ff 00 00 00 01", thrift.ErrInvalidLength, "invalid data length"},
		{"2GB name length", thrift.Binary, "80 01 00 01 7f ff ff ff 45", thrift.ErrShort, "ReadMessageBegin: buf too small"},
		{"short", thrift.Binary, "80 01 00", thrift.ErrShort, "ReadMessageBegin: buf too small"},
		{"short non-strict", thrift.Binary, "00 00", thrift.ErrBadVersion, ""},
		{"short TTHeader", thrift.Binary, "00", thrift.ErrBadVersion, ""},
		{"short bad version", thrift.Binary, "80 02", thrift.ErrBadVersion, ""},
		{"short bad type", thrift.Binary, "80 01 01", thrift.ErrInvalidData, ""},
		{"empty", thrift.Binary, "", thrift.ErrShort, ""},
		{"compact empty", thrift.Compact, "", thrift.ErrShort, ""},
		{"compact protocol id", thrift.Compact, "80 21 09 00", thrift.ErrBadVersion, ""},
		{"compact version 2", thrift.Compact, "82 22 09 00", thrift.ErrBadVersion, ""},
		{"compact seq overflow", thrift.Compact, "82 21 ff ff ff ff 1f 00", thrift.ErrInvalidData, ""},
		{"compact long varint", thrift.Compact, "82 21 ff ff ff ff ff ff ff ff ff ff 01 00", thrift.ErrInvalidData, ""},
		{"compact name length too big", thrift.Compact, "82 21 01 80 80 80 80 08", thrift.ErrInvalidLength, ""},
		{"compact 2GB-1 name length", thrift.Compact, "82 21 01 ff ff ff ff 07 41", thrift.ErrShort, ""},
		{"binary bytes as compact", thrift.Compact, "80 01 00 01", thrift.ErrBadVersion, ""},
		{"compact bytes as binary", thrift.Binary, "82 21 09 04 45 63 68 6f", thrift.ErrBadVersion, ""},
	} {
		_, _, _, _, err := thrift.ConsumeMessageBegin(mustHex(c.hex), c.p)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if c.text != "" && (err == nil || err.Error() != c.text) {
			t.Errorf("%s: text %q, want %q", c.name, err, c.text)
		}
		if _, err := thrift.SkipMessage(mustHex(c.hex), c.p); !errors.Is(err, c.want) {
			t.Errorf("%s: SkipMessage %v, want %v", c.name, err, c.want)
		}
	}
}

func TestSkipMessageRoundTrip(t *testing.T) {
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		for _, seq := range []int32{0, 1, 127, 128, math.MaxInt32, math.MinInt32, -1} {
			b := thrift.AppendMessageBegin(nil, p, "Method", thrift.Reply, seq)
			b = thrift.Append(b, p, thrift.NewApplicationException(thrift.ExInternalError, "boom"))
			n, err := thrift.SkipMessage(b, p)
			if err != nil || n != len(b) {
				t.Fatalf("%v seq %d: %d %v", p, seq, n, err)
			}
			_, _, got, _, _ := thrift.ConsumeMessageBegin(b, p)
			if got != seq {
				t.Fatalf("%v seq %d: got %d", p, seq, got)
			}
		}
	}
}

func TestStrings(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{thrift.Call.String(), "CALL"},
		{thrift.Oneway.String(), "ONEWAY"},
		{thrift.MessageType(9).String(), "MessageType(9)"},
		{thrift.Binary.String(), "binary"},
		{thrift.Compact.String(), "compact"},
		{thrift.Protocol(7).String(), "Protocol(7)"},
		{thrift.STRING.String(), "STRING"},
		{thrift.I08.String(), "BYTE"},
		{thrift.Type(99).String(), "Type(99)"},
		{thrift.ExUnknownService.String(), "UNKNOWN_SERVICE"},
		{thrift.ExProtocolError.String(), "PROTOCOL_ERROR"},
		{thrift.ExceptionType(15).String(), "ExceptionType(15)"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
