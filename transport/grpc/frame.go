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

// HPACK encoding. Fields that stay the same from call to call on a
// connection (:path, :authority, content-type, user-agent, te,
// grpc-accept-encoding, the OK status) are written with incremental
// indexing, so the peer decodes them once per connection and afterwards
// reads them from its dynamic table, without a string allocation per call.
// Everything else (grpc-timeout, error messages, metadata, which may hold
// credentials: RFC 7541 §7.1) is a literal without indexing. Blocks are
// encoded under c.wmu in the order they are queued, which is the order the
// peer decodes them in.

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
func appendField(b []byte, name, value string) []byte { return appendLiteral(b, 0, 4, name, value) }

// appendLiteral appends name: value as a literal field representation
// whose first byte starts with mask and whose name index takes the low
// bits bits (RFC 7541 §6.2): the static table's index, or 0 and the name.
func appendLiteral(b []byte, mask byte, bits uint8, name, value string) []byte {
	if i, ok := staticName[name]; ok {
		b = appendHpackInt(b, mask, bits, uint64(i))
	} else {
		b = append(b, mask)
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
	blockStatusPrefix  = appendHpackString([]byte{0}, "grpc-status")
	blockMessagePrefix = appendHpackString([]byte{0}, "grpc-message")
)

// maxEncTable is the largest dynamic table Kite's encoder uses, the
// HTTP/2 default for SETTINGS_HEADER_TABLE_SIZE: a peer that allows more
// gains little, since only a few fields per connection are indexed.
const maxEncTable = 4096

// encTable mirrors the peer decoder's HPACK dynamic table (RFC 7541 §2.3.2)
// as Kite's encoder fills it. It is guarded by c.wmu.
type encTable struct {
	ents      []encEntry // oldest first
	size      int        // RFC 7541 §4.1 size of ents
	max       int        // the table's maximum size
	updMin    int        // smallest maximum since the last size update sent
	updNeeded bool       // a size update is due at the next block's start
}

type encEntry struct{ name, value string }

func newEncTable() encTable { return encTable{max: maxEncTable} }

// setLimit applies the peer's SETTINGS_HEADER_TABLE_SIZE.
func (t *encTable) setLimit(v uint32) {
	m := maxEncTable
	if v < maxEncTable {
		m = int(v)
	}
	if m == t.max {
		return
	}
	if !t.updNeeded || m < t.updMin {
		t.updMin = m
	}
	t.updNeeded = true
	t.max = m
	t.evict(0)
}

// startBlock appends the size updates due at the start of a header block
// (RFC 7541 §4.2). When the maximum fell below its current value since the
// last block, the decoder must evict as this table did: both are emptied
// with a first update to 0 (x/net's decoder takes a second update in a
// block only after its table is empty), then the current maximum follows.
func (t *encTable) startBlock(b []byte) []byte {
	if !t.updNeeded {
		return b
	}
	t.updNeeded = false
	if t.updMin < t.max {
		b = appendHpackInt(b, 0x20, 5, 0)
		clear(t.ents)
		t.ents, t.size = t.ents[:0], 0
	}
	return appendHpackInt(b, 0x20, 5, uint64(t.max))
}

// evict drops the oldest entries until n more bytes fit.
func (t *encTable) evict(n int) {
	k := 0
	for t.size+n > t.max && k < len(t.ents) {
		t.size -= entrySize(t.ents[k].name, t.ents[k].value)
		k++
	}
	if k > 0 {
		m := copy(t.ents, t.ents[k:])
		clear(t.ents[m:])
		t.ents = t.ents[:m]
	}
}

func entrySize(name, value string) int { return len(name) + len(value) + 32 }

// appendIndexed appends name: value as an index into the dynamic table
// when the pair is there, or else as a literal with incremental indexing
// that adds it. name must be lower case; the pair must not be secret nor
// change from call to call, or it only evicts the useful entries.
func (t *encTable) appendIndexed(b []byte, name, value string) []byte {
	for i := len(t.ents) - 1; i >= 0; i-- {
		if e := &t.ents[i]; e.value == value && e.name == name {
			return appendHpackInt(b, 0x80, 7, uint64(62+len(t.ents)-1-i))
		}
	}
	n := entrySize(name, value)
	if n > t.max {
		return appendField(b, name, value)
	}
	t.evict(n)
	t.ents = append(t.ents, encEntry{name, value})
	t.size += n
	return appendLiteral(b, 0x40, 6, name, value) // with incremental indexing
}

// appendStatus appends grpc-status and grpc-message (percent-encoded); an
// OK status is indexed.
func (t *encTable) appendStatus(b []byte, code uint32, msg string) []byte {
	if code == 0 && msg == "" {
		b = t.appendIndexed(b, "grpc-status", "0")
		return t.appendIndexed(b, "grpc-message", "")
	}
	b = append(b, blockStatusPrefix...)
	b = appendHpackString(b, strconv.FormatUint(uint64(code), 10))
	b = append(b, blockMessagePrefix...)
	return appendHpackString(b, encodeGRPCMessage(msg))
}
