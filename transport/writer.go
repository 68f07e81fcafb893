package transport

import (
	"encoding/binary"

	"github.com/kite-rpc/kite/codec/ttheader"
)

// BeginFrame appends the start of a frame of framing f to b: the TTHeader
// (h, with its LENGTH left for [EndFrame]) when f has one, and a placeholder
// for the 4-byte length when f is framed. The caller appends the message and
// then calls EndFrame with the offset the frame started at. h is ignored when
// f has no TTHeader.
func BeginFrame(b []byte, f Framing, h *ttheader.Header) ([]byte, error) {
	if f.HasTTHeader() {
		var err error
		if b, err = ttheader.AppendHeader(b, h); err != nil {
			return b, err
		}
	}
	if f.HasLength() {
		b = append(b, 0, 0, 0, 0)
	}
	return b, nil
}

// EndFrame back-fills the lengths of the frame of framing f that starts at
// b[start:] and ends at the end of b.
func EndFrame(b []byte, start int, f Framing) {
	inner := start
	if f.HasTTHeader() {
		ttheader.SetLength(b[start:])
		inner = start + 14 + 4*int(binary.BigEndian.Uint16(b[start+12:]))
	}
	if f.HasLength() {
		binary.BigEndian.PutUint32(b[inner:], uint32(len(b)-inner-4))
	}
}

// Overhead returns how many bytes framing f adds around a message whose
// TTHeader is h: the exact size to reserve before encoding.
func Overhead(f Framing, h *ttheader.Header) int {
	n := 0
	if f.HasTTHeader() {
		n += h.Size()
	}
	if f.HasLength() {
		n += 4
	}
	return n
}
