package grpc

import (
	"encoding/binary"
	"strconv"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Frame and header helpers. Frames are appended to a buffer by hand: the
// 9-byte header is simpler to write than to route through a Framer, and it
// lets many frames share one buffer and one write.

const frameHeaderLen = 9

// ClientPreface is the connection preface an HTTP/2 client sends first.
const ClientPreface = http2.ClientPreface

func appendFrameHeader(b []byte, length int, typ http2.FrameType, flags http2.Flags, stream uint32) []byte {
	return append(b, byte(length>>16), byte(length>>8), byte(length), byte(typ), byte(flags),
		byte(stream>>24), byte(stream>>16), byte(stream>>8), byte(stream))
}

func appendSettings(b []byte, s ...http2.Setting) []byte {
	b = appendFrameHeader(b, 6*len(s), http2.FrameSettings, 0, 0)
	for _, v := range s {
		b = binary.BigEndian.AppendUint16(b, uint16(v.ID))
		b = binary.BigEndian.AppendUint32(b, v.Val)
	}
	return b
}

func appendWindowUpdate(b []byte, stream uint32, inc uint32) []byte {
	b = appendFrameHeader(b, 4, http2.FrameWindowUpdate, 0, stream)
	return binary.BigEndian.AppendUint32(b, inc&0x7fffffff)
}

func appendRSTStream(b []byte, stream uint32, code http2.ErrCode) []byte {
	b = appendFrameHeader(b, 4, http2.FrameRSTStream, 0, stream)
	return binary.BigEndian.AppendUint32(b, uint32(code))
}

func appendPing(b []byte, ack bool, data [8]byte) []byte {
	var f http2.Flags
	if ack {
		f = http2.FlagPingAck
	}
	b = appendFrameHeader(b, 8, http2.FramePing, f, 0)
	return append(b, data[:]...)
}

func appendGoAway(b []byte, last uint32, code http2.ErrCode, debug string) []byte {
	b = appendFrameHeader(b, 8+len(debug), http2.FrameGoAway, 0, 0)
	b = binary.BigEndian.AppendUint32(b, last&0x7fffffff)
	b = binary.BigEndian.AppendUint32(b, uint32(code))
	return append(b, debug...)
}

// appendHeaders appends a header block as a HEADERS frame followed by as
// many CONTINUATION frames as maxFrame requires.
func appendHeaders(b []byte, stream uint32, block []byte, end bool, maxFrame int) []byte {
	var f http2.Flags
	if end {
		f = http2.FlagHeadersEndStream
	}
	typ := http2.FrameHeaders
	for {
		n := len(block)
		if n > maxFrame {
			n = maxFrame
		} else {
			f |= http2.FlagHeadersEndHeaders // same bit as FlagContinuationEndHeaders
		}
		b = appendFrameHeader(b, n, typ, f, stream)
		b = append(b, block[:n]...)
		block = block[n:]
		if len(block) == 0 {
			return b
		}
		typ, f = http2.FrameContinuation, 0
	}
}

// HPACK encoding without the dynamic table: every field is a literal
// "without indexing" (or a fully indexed static entry), so a block means
// the same thing whatever the decoder's state, and blocks can be built
// ahead of time and concurrently.

// staticName holds the static-table indexes of the names Kite writes.
var staticName = map[string]int{
	":authority": 1, ":method": 2, ":path": 4, ":scheme": 6, ":status": 8,
	"accept-encoding": 16, "content-type": 31, "user-agent": 58,
}

func appendHpackInt(b []byte, first byte, prefix uint8, v uint64) []byte {
	max := uint64(1)<<prefix - 1
	if v < max {
		return append(b, first|byte(v))
	}
	b = append(b, first|byte(max))
	v -= max
	for v >= 128 {
		b = append(b, byte(v&0x7f)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendHpackString(b []byte, s string) []byte {
	if n := hpack.HuffmanEncodeLength(s); n < uint64(len(s)) {
		b = appendHpackInt(b, 0x80, 7, n)
		return hpack.AppendHuffmanString(b, s)
	}
	b = appendHpackInt(b, 0, 7, uint64(len(s)))
	return append(b, s...)
}

// appendField appends name: value as a literal without indexing. name must
// be lower case.
func appendField(b []byte, name, value string) []byte {
	if i, ok := staticName[name]; ok {
		b = appendHpackInt(b, 0, 4, uint64(i))
	} else {
		b = append(b, 0)
		b = appendHpackString(b, name)
	}
	return appendHpackString(b, value)
}

// Constant blocks.
var (
	blockStatus200     = []byte{0x88} // ":status: 200", static index 8
	blockMethodPOST    = []byte{0x83} // ":method: POST"
	blockSchemeHTTP    = []byte{0x86}
	blockSchemeHTTPS   = []byte{0x87}
	blockGRPCStatusOK  = appendField(appendField(nil, "grpc-status", "0"), "grpc-message", "")
	blockTETrailers    = appendField(nil, "te", "trailers")
	blockContentType   = appendField(nil, "content-type", "application/grpc")
	blockStatusPrefix  = appendHpackString([]byte{0}, "grpc-status")
	blockMessagePrefix = appendHpackString([]byte{0}, "grpc-message")
)

// appendStatus appends grpc-status and grpc-message (percent-encoded).
func appendStatus(b []byte, code uint32, msg string) []byte {
	if code == 0 && msg == "" {
		return append(b, blockGRPCStatusOK...)
	}
	b = append(b, blockStatusPrefix...)
	b = appendHpackString(b, strconv.FormatUint(uint64(code), 10))
	b = append(b, blockMessagePrefix...)
	return appendHpackString(b, encodeGRPCMessage(msg))
}
