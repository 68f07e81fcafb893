package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/ttheader"
)

// DefaultMaxFrameSize is the largest frame a [Reader] accepts unless told
// otherwise: 4 MiB, the same ceiling gRPC uses for a message.
const DefaultMaxFrameSize = 4 << 20

const (
	minReadBuf = 4 << 10  // a Reader's first buffer
	keepBuf    = 64 << 10 // buffers grown beyond this are dropped once drained
)

// Message is one frame read from a connection: how it was framed, its TTHeader
// (when it had one) and the message bytes inside.
type Message struct {
	// Framing is the framing the frame arrived in; a server replies in the same.
	Framing Framing
	// Payload is the encoding of Body.
	Payload Payload
	// Header holds the TTHeader fields when Framing.HasTTHeader().
	Header ttheader.Header
	// Mesh reports that a MeshHeader (WIRE.md §2.4: a proxy's string
	// key-values, magic 0xFFAF) came before the message; Header.Strs holds
	// its key-values and Framing is that of the message inside (Framed or
	// Buffered), which is how a server replies.
	Mesh bool
	// Body is the message without any framing: the Thrift envelope and
	// struct, or the Kitex Protobuf envelope and message. It points into the
	// Reader's buffer and is valid until the next ReadMessage.
	Body []byte
	// Size is the number of bytes the whole frame took on the wire.
	Size int
}

// Reader reads frames of any framing from a byte stream, detecting the
// framing of each message from its first bytes (WIRE.md §3). It buffers, so
// a Reader must be the only reader of its source.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	src  io.Reader
	buf  []byte
	r, w int // unread bytes are buf[r:w]
	last int // where the frame ReadMessage returned last starts
	max  int
}

// NewReader returns a Reader of src that refuses frames larger than
// maxFrame bytes (DefaultMaxFrameSize when maxFrame <= 0).
func NewReader(src io.Reader, maxFrame int) *Reader {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrameSize
	}
	return &Reader{src: src, max: maxFrame}
}

// Peeked returns the bytes read from the source but not yet returned in a
// message — after ErrHTTP2Preface, the start of the HTTP/2 connection that a
// protocol handler must see first. The slice is valid until the next call.
func (r *Reader) Peeked() []byte { return r.buf[r.r:r.w] }

// Frame returns the whole frame (framing included) of the message the last
// ReadMessage returned; like the message, it is valid until the next call.
// [ParseMessage] of a copy gives the message again.
func (r *Reader) Frame() []byte { return r.buf[r.last:r.r] }

// Buffered returns the number of bytes read from the source but not yet
// returned in a message.
func (r *Reader) Buffered() int { return r.w - r.r }

// FrameBuffered reports whether a whole length-prefixed frame (Framed or
// TTHeader) is buffered, so the next ReadMessage will not wait for the
// source. Unframed (Buffered) input reports false: its length is only known
// by parsing it. Servers use it to send the replies of pipelined requests
// together.
func (r *Reader) FrameBuffered() bool {
	b := r.buf[r.r:r.w]
	if len(b) < 4 || b[0] == 0x80 || b[0] == 0x82 {
		return false
	}
	return uint64(binary.BigEndian.Uint32(b))+4 <= uint64(len(b))
}

// ErrNeedMore is returned by [ParseMessage] when b holds only the start of
// a frame.
var ErrNeedMore = errors.New("transport: need more bytes")

// ReadMessage reads the next whole frame into m. m.Body and m.Header's
// byte-backed fields stay valid until the next call. It returns io.EOF when
// the source ends cleanly between frames, io.ErrUnexpectedEOF when it ends
// inside one, ErrHTTP2Preface for an HTTP/2 connection, ErrFrameTooLarge and
// errors wrapping ErrInvalidFrame for bytes that cannot be a frame.
func (r *Reader) ReadMessage(m *Message) error {
	if r.r == r.w && cap(r.buf) > keepBuf {
		r.buf, r.r, r.w = nil, 0, 0 // give a large frame's buffer back to the GC
	}
	if err := r.fill(1); err != nil {
		return err
	}
	for {
		n, err := ParseMessage(r.buf[r.r:r.w], m, r.max)
		if err == nil {
			r.last = r.r
			r.r += n
			return nil
		}
		if err != ErrNeedMore {
			return err
		}
		if n > r.w-r.r {
			err = r.fill(n) // the frame's length is known: read it all
		} else {
			err = r.fillMore()
		}
		if err != nil {
			return err
		}
	}
}

// ParseMessage parses the frame at the start of b into m, detecting its
// framing (WIRE.md §3), and returns the frame's length. m.Body aliases b.
// When b holds only part of a frame it returns ErrNeedMore and, if the
// frame's total length is already known, that length (else 0). Frames
// longer than max bytes give ErrFrameTooLarge before they are read.
func ParseMessage(b []byte, m *Message, max int) (int, error) {
	if max <= 0 {
		max = DefaultMaxFrameSize
	}
	if len(b) == 0 {
		return 0, ErrNeedMore
	}
	switch b[0] {
	case 0x80: // strict binary, no framing
		return parseBuffered(b, m, max, thrift.Binary, ThriftBinary)
	case 0x82: // compact, no framing
		return parseBuffered(b, m, max, thrift.Compact, ThriftCompact)
	}
	if len(b) < 8 {
		return 8, ErrNeedMore // every other framing is told apart by 8 bytes
	}
	if ttheader.IsTTHeader(b) {
		return parseTTHeader(b, m, max)
	}
	if string(b[:8]) == "PRI * HT" {
		return 0, ErrHTTP2Preface
	}
	if b[0] == 0xFF && b[1] == 0xAF {
		return parseMesh(b, m, max)
	}
	return parseFramed(b, m, max)
}

// parseFramed parses a Framed message; b holds at least 8 bytes.
func parseFramed(b []byte, m *Message, max int) (int, error) {
	p, ok := sniffFramed(b)
	if !ok {
		return 0, invalid(b)
	}
	n := binary.BigEndian.Uint32(b)
	if n == 0 {
		return 0, invalid(b)
	}
	if uint64(n)+4 > uint64(max) {
		return 0, ErrFrameTooLarge
	}
	total := int(n) + 4
	if len(b) < total {
		return total, ErrNeedMore
	}
	m.Framing, m.Payload, m.Size, m.Mesh = Framed, p, total, false
	m.Header.Reset()
	m.Body = b[4:total]
	return total, nil
}

// parseMesh parses a MeshHeader and the Framed or Buffered message after
// it: u16 magic 0xFFAF, u16 length of what follows, then a u16 count of
// string key-values, each a u16-prefixed key and value. Kitex reads it and
// never writes it; b holds at least 8 bytes.
func parseMesh(b []byte, m *Message, max int) (int, error) {
	hdr := 4 + int(binary.BigEndian.Uint16(b[2:]))
	if hdr+8 > max {
		return 0, ErrFrameTooLarge
	}
	if len(b) < hdr+8 {
		return hdr + 8, ErrNeedMore // the header and the inner message's first bytes
	}
	inner := b[hdr:]
	var n int
	var err error
	switch inner[0] {
	case 0x80:
		n, err = parseBuffered(inner, m, max-hdr, thrift.Binary, ThriftBinary)
	case 0x82:
		n, err = parseBuffered(inner, m, max-hdr, thrift.Compact, ThriftCompact)
	default:
		n, err = parseFramed(inner, m, max-hdr)
	}
	if err != nil {
		if err == ErrNeedMore && n > 0 {
			n += hdr
		}
		return n, err
	}
	if err := consumeMeshKVs(b[4:hdr], &m.Header); err != nil {
		return 0, err
	}
	m.Mesh = true
	m.Size = hdr + n
	return hdr + n, nil
}

// consumeMeshKVs adds a MeshHeader's key-values to h's string keys.
func consumeMeshKVs(b []byte, h *ttheader.Header) error {
	bad := fmt.Errorf("%w: mesh header key-values overrun its length", ErrInvalidFrame)
	if len(b) < 2 {
		return bad
	}
	count := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	str := func() (string, bool) {
		if len(b) < 2 {
			return "", false
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return "", false
		}
		v := string(b[2 : 2+n])
		b = b[2+n:]
		return v, true
	}
	for i := 0; i < count; i++ {
		k, ok := str()
		if !ok {
			return bad
		}
		v, ok := str()
		if !ok {
			return bad
		}
		h.SetStr(k, v)
	}
	return nil
}

// sniffFramed reports the payload of a Framed message from its first 8 bytes.
func sniffFramed(b []byte) (Payload, bool) {
	switch {
	case b[4] == 0x80 && b[5] == 0x01:
		return ThriftBinary, true
	case b[4] == 0x82:
		return ThriftCompact, true
	case b[4] == 0x90 && b[5] == 0x01:
		return KitexProtobuf, true
	}
	return 0, false
}

func parseBuffered(b []byte, m *Message, max int, proto thrift.Protocol, p Payload) (int, error) {
	n, err := thrift.SkipMessage(b, proto)
	if err != nil {
		if errors.Is(err, thrift.ErrShort) {
			if len(b) >= max {
				return 0, ErrFrameTooLarge
			}
			return 0, ErrNeedMore
		}
		return 0, fmt.Errorf("%w: %v", ErrInvalidFrame, err)
	}
	if n > max {
		return 0, ErrFrameTooLarge
	}
	m.Framing, m.Payload, m.Size, m.Mesh = Buffered, p, n, false
	m.Header.Reset()
	m.Body = b[:n]
	return n, nil
}

func parseTTHeader(b []byte, m *Message, max int) (int, error) {
	n := binary.BigEndian.Uint32(b)
	if uint64(n)+4 > uint64(max) {
		return 0, ErrFrameTooLarge
	}
	total := int(n) + 4
	if len(b) < total {
		return total, ErrNeedMore
	}
	frame := b[:total]
	m.Mesh = false
	off, flen, err := ttheader.ConsumeHeader(frame, &m.Header)
	if err != nil {
		return 0, fmt.Errorf("%w: ttheader: %v", ErrInvalidFrame, err)
	}
	if flen != total {
		return 0, fmt.Errorf("%w: ttheader length mismatch", ErrInvalidFrame)
	}
	if m.Header.Flags&ttheader.FlagStreaming != 0 {
		return 0, fmt.Errorf("%w: TTHeader streaming is not supported", ErrInvalidFrame)
	}
	payload := frame[off:]
	m.Size = total
	switch {
	case len(payload) >= 1 && payload[0] == 0x80:
		m.Framing, m.Payload, m.Body = TTHeader, ThriftBinary, payload
		return total, nil
	case len(payload) >= 1 && payload[0] == 0x82:
		m.Framing, m.Payload, m.Body = TTHeader, ThriftCompact, payload
		return total, nil
	case len(payload) >= 8:
		p, ok := sniffFramed(payload)
		if !ok {
			return 0, invalid(payload)
		}
		if int(binary.BigEndian.Uint32(payload)) != len(payload)-4 {
			return 0, fmt.Errorf("%w: framed length disagrees with the TTHeader length", ErrInvalidFrame)
		}
		m.Framing, m.Payload, m.Body = TTHeaderFramed, p, payload[4:]
		return total, nil
	}
	return 0, invalid(payload)
}

func invalid(b []byte) error {
	if len(b) < 8 {
		return fmt.Errorf("%w: payload too short (%d bytes)", ErrInvalidFrame, len(b))
	}
	return fmt.Errorf("%w (first4Bytes=%#x, second4Bytes=%#x)", ErrInvalidFrame,
		binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]))
}

// fill makes at least n unread bytes available.
func (r *Reader) fill(n int) error {
	for r.w-r.r < n {
		if err := r.grow(n); err != nil {
			return err
		}
		if err := r.readOnce(); err != nil {
			if err == io.EOF && r.w-r.r > 0 {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// fillMore reads at least one more byte.
func (r *Reader) fillMore() error {
	if err := r.grow(r.w - r.r + 1); err != nil {
		return err
	}
	if err := r.readOnce(); err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// grow makes room for n unread bytes, moving or reallocating the buffer.
func (r *Reader) grow(n int) error {
	if r.r+n <= cap(r.buf) && r.w < cap(r.buf) {
		return nil
	}
	unread := r.w - r.r
	if n <= cap(r.buf) {
		copy(r.buf[:cap(r.buf)], r.buf[r.r:r.w])
	} else {
		size := 2 * cap(r.buf)
		if size < minReadBuf {
			size = minReadBuf
		}
		if size < n {
			size = n
		}
		nb := make([]byte, size)
		copy(nb, r.buf[r.r:r.w])
		r.buf = nb
	}
	r.buf = r.buf[:cap(r.buf)]
	r.r, r.w = 0, unread
	return nil
}

func (r *Reader) readOnce() error {
	r.buf = r.buf[:cap(r.buf)]
	for tries := 0; tries < 100; tries++ {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}
