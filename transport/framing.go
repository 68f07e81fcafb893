package transport

import "strconv"

// Framing says how one message is delimited on a byte stream. The values are
// the bits Kitex uses for its transport protocols, so TTHeaderFramed is
// TTHeader|Framed.
type Framing uint8

// Framings. Buffered is a bare Thrift message whose end is found by parsing
// it; Framed prefixes a 4-byte big-endian length; TTHeader wraps the message
// in a TTHeader frame; TTHeaderFramed puts a Framed message inside TTHeader,
// which is what Kitex clients send when asked for TTHeader.
const (
	Buffered       Framing = 0
	TTHeader       Framing = 1 << 1
	Framed         Framing = 1 << 2
	TTHeaderFramed Framing = TTHeader | Framed
)

// HasTTHeader reports whether f wraps messages in a TTHeader frame.
func (f Framing) HasTTHeader() bool { return f&TTHeader != 0 }

// HasLength reports whether the payload carries the 4-byte Framed length.
func (f Framing) HasLength() bool { return f&Framed != 0 }

// String returns the name Kite's command line and logs use for f.
func (f Framing) String() string {
	switch f {
	case Buffered:
		return "buffered"
	case Framed:
		return "framed"
	case TTHeader:
		return "ttheader"
	case TTHeaderFramed:
		return "ttheader-framed"
	}
	return "framing(" + strconv.Itoa(int(f)) + ")"
}

// ParseFraming is the inverse of [Framing.String].
func ParseFraming(s string) (Framing, bool) {
	switch s {
	case "buffered":
		return Buffered, true
	case "framed":
		return Framed, true
	case "ttheader":
		return TTHeader, true
	case "ttheader-framed", "ttheaderframed":
		return TTHeaderFramed, true
	}
	return 0, false
}

// Payload says how the message inside a frame is encoded.
type Payload uint8

// Payloads.
const (
	ThriftBinary  Payload = iota // strict Thrift binary protocol (0x8001 version)
	ThriftCompact                // Thrift compact protocol (0x82)
	KitexProtobuf                // Kitex's protobuf envelope (0x9001), Framed only
)

// String returns the payload's name.
func (p Payload) String() string {
	switch p {
	case ThriftBinary:
		return "binary"
	case ThriftCompact:
		return "compact"
	case KitexProtobuf:
		return "kitex-protobuf"
	}
	return "payload(" + strconv.Itoa(int(p)) + ")"
}
