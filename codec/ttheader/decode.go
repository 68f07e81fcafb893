package ttheader

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// IsTTHeader reports whether b starts with a TTHeader frame: at least 8 bytes
// with the magic 0x1000 in bytes 4–5. FLAGS is ignored.
func IsTTHeader(b []byte) bool {
	return len(b) >= 8 && b[4] == Magic>>8 && b[5] == Magic&0xFF
}

// IsStreaming reports whether b starts with a TTHeader frame whose FLAGS has
// [FlagStreaming] set, which is how a server recognises a TTHeader Streaming
// connection from its first bytes.
func IsStreaming(b []byte) bool {
	return IsTTHeader(b) && binary.BigEndian.Uint16(b[6:8])&FlagStreaming != 0
}

// ConsumeHeader parses the header of the TTHeader frame at the start of b,
// which begins at the LENGTH field, into h. It needs only the header bytes,
// not the payload. It returns the payload offset, 14+HEADER_SIZE*4, and the
// total frame length, LENGTH+4; the payload is b[payloadOff:frameLen] once b
// holds the whole frame.
//
// h's previous contents are discarded, as by [Header.Reset], and its slices
// are reused. Strings in h do not alias b, so b may be reused after the call:
// well-known keys and small values are constants, and all other keys and
// values are substrings of one copy of the variable header (at most one
// allocation per call). Keeping any such string keeps that copy, at most
// 256 KiB, alive.
//
// When b ends before the header does, the error wraps [ErrShort]; if b
// already holds the 14 fixed bytes and they are valid, payloadOff and
// frameLen are returned as well, so the caller can size its buffer. Bad bytes
// give an error wrapping [ErrMalformed]; see it for the checks. Pairs may
// repeat, within a block or across repeated blocks; the later value replaces
// the earlier one in place. Counts and lengths are checked against the
// header bytes before anything is allocated.
func ConsumeHeader(b []byte, h *Header) (payloadOff, frameLen int, err error) {
	// Truncate without clearing: decoding overwrites the old pairs, and
	// whatever it does not overwrite is cleared afterwards.
	oldInts, oldStrs := h.Ints, h.Strs
	*h = Header{Transforms: h.Transforms[:0], Ints: h.Ints[:0], Strs: h.Strs[:0]}
	payloadOff, frameLen, err = consume(b, h)
	if err != nil {
		h.Reset()
	}
	if n := len(h.Ints); n < len(oldInts) && cap(h.Ints) == cap(oldInts) {
		clear(oldInts[n:])
	}
	if n := len(h.Strs); n < len(oldStrs) && cap(h.Strs) == cap(oldStrs) {
		clear(oldStrs[n:])
	}
	return payloadOff, frameLen, err
}

// consume does the work of [ConsumeHeader] on a truncated h.
func consume(b []byte, h *Header) (payloadOff, frameLen int, err error) {
	if len(b) >= 1 && b[0]&0x80 != 0 {
		return 0, 0, fmt.Errorf("%w: LENGTH 0x%02x%x has its most significant bit set", ErrMalformed, b[0], b[1:min(len(b), 4)])
	}
	if len(b) >= 5 && b[4] != Magic>>8 || len(b) >= 6 && b[5] != Magic&0xFF {
		return 0, 0, fmt.Errorf("%w: bad magic 0x%x", ErrMalformed, b[4:min(len(b), 6)])
	}
	if len(b) < fixedSize {
		return 0, 0, ErrShort
	}
	length := binary.BigEndian.Uint32(b[0:4])
	if uint64(length) > math.MaxInt-4 {
		return 0, 0, fmt.Errorf("%w: LENGTH %d too large for this platform", ErrMalformed, length)
	}
	words := int(binary.BigEndian.Uint16(b[12:14]))
	if words == 0 {
		return 0, 0, fmt.Errorf("%w: HEADER_SIZE 0", ErrMalformed)
	}
	payloadOff = fixedSize + 4*words
	frameLen = int(length) + 4
	if payloadOff > frameLen {
		return 0, 0, fmt.Errorf("%w: header of %d bytes does not fit in LENGTH %d", ErrMalformed, 4*words, length)
	}
	if len(b) < payloadOff {
		return payloadOff, frameLen, ErrShort
	}
	h.Flags = binary.BigEndian.Uint16(b[6:8])
	h.SeqID = int32(binary.BigEndian.Uint32(b[8:12]))
	d := decoder{p: b[fixedSize:payloadOff]}
	if err := d.decode(h); err != nil {
		return 0, 0, err
	}
	return payloadOff, frameLen, nil
}

// linearMax is how many pairs the decoder deduplicates by linear search
// before it switches to a map, so hostile headers with thousands of pairs
// cost O(n), not O(n²).
const linearMax = 16

// decoder parses one variable header.
type decoder struct {
	p      []byte // the variable header, padding included
	copied string // lazily made copy of p that non-interned strings slice
	ints   map[uint16]int
	strs   map[string]int
}

func (d *decoder) errorf(off int, format string, args ...any) error {
	return fmt.Errorf("%w: %s at header offset %d", ErrMalformed, fmt.Sprintf(format, args...), fixedSize+off)
}

func (d *decoder) decode(h *Header) error {
	p := d.p
	switch h.ProtocolID = p[0]; h.ProtocolID {
	case ProtocolBinary, ProtocolCompact, ProtocolCompactV2, ProtocolProtobuf,
		ProtocolTTStreamThrift, ProtocolTTStreamProtobuf:
	default:
		return d.errorf(0, "unsupported PROTOCOL_ID 0x%02x", h.ProtocolID)
	}
	n := int(p[1])
	i := 2
	if n > len(p)-i {
		return d.errorf(1, "%d transforms", n)
	}
	h.Transforms = append(h.Transforms, p[i:i+n]...)
	i += n
	for i < len(p) {
		id := p[i]
		i++
		switch id {
		case InfoPadding:
		case InfoKeyValue:
			count, j, ok := d.u16(i)
			if !ok {
				return d.errorf(i, "truncated string block count")
			}
			i = j
			// Each pair takes at least 4 bytes.
			h.Strs = slices.Grow(h.Strs, min(int(count), (len(p)-i)/4))
			for c := 0; c < int(count); c++ {
				k, j, ok := d.str(i)
				if !ok {
					return d.errorf(i, "string key %d of %d runs past the header", c, count)
				}
				v, j, ok := d.str(j)
				if !ok {
					return d.errorf(i, "string value %d of %d runs past the header", c, count)
				}
				i = j
				d.putStr(h, k, v)
			}
		case InfoIntKeyValue:
			count, j, ok := d.u16(i)
			if !ok {
				return d.errorf(i, "truncated integer block count")
			}
			i = j
			h.Ints = slices.Grow(h.Ints, min(int(count), (len(p)-i)/4))
			for c := 0; c < int(count); c++ {
				k, j, ok := d.u16(i)
				if !ok {
					return d.errorf(i, "integer key %d of %d runs past the header", c, count)
				}
				v, j, ok := d.str(j)
				if !ok {
					return d.errorf(i, "value of integer key %d runs past the header", k)
				}
				i = j
				d.putInt(h, k, v)
			}
		case InfoACLToken:
			v, j, ok := d.str(i)
			if !ok {
				return d.errorf(i, "ACL token runs past the header")
			}
			i = j
			d.putStr(h, KeyACLToken, v)
		default:
			return d.errorf(i-1, "unknown INFO id 0x%02x", id)
		}
	}
	return nil
}

// u16 reads a big-endian u16 at off and returns the offset after it.
func (d *decoder) u16(off int) (v uint16, next int, ok bool) {
	if len(d.p)-off < 2 {
		return 0, off, false
	}
	return binary.BigEndian.Uint16(d.p[off:]), off + 2, true
}

// str reads a u16-length-prefixed string at off and returns the offset after
// it. The string is interned or sliced from the one copy of the header.
func (d *decoder) str(off int) (s string, next int, ok bool) {
	n, off, ok := d.u16(off)
	if !ok || int(n) > len(d.p)-off {
		return "", off, false
	}
	end := off + int(n)
	if s, ok := intern(d.p[off:end]); ok {
		return s, end, true
	}
	if d.copied == "" {
		d.copied = string(d.p)
	}
	return d.copied[off:end], end, true
}

func (d *decoder) putInt(h *Header, k uint16, v string) {
	if d.ints != nil {
		if j, ok := d.ints[k]; ok {
			h.Ints[j].Value = v
			return
		}
		d.ints[k] = len(h.Ints)
		h.Ints = append(h.Ints, IntKV{Key: k, Value: v})
		return
	}
	for j := range h.Ints {
		if h.Ints[j].Key == k {
			h.Ints[j].Value = v
			return
		}
	}
	h.Ints = append(h.Ints, IntKV{Key: k, Value: v})
	if len(h.Ints) > linearMax {
		d.ints = make(map[uint16]int, 2*len(h.Ints))
		for j, kv := range h.Ints {
			d.ints[kv.Key] = j
		}
	}
}

func (d *decoder) putStr(h *Header, k, v string) {
	if d.strs != nil {
		if j, ok := d.strs[k]; ok {
			h.Strs[j].Value = v
			return
		}
		d.strs[k] = len(h.Strs)
		h.Strs = append(h.Strs, StrKV{Key: k, Value: v})
		return
	}
	for j := range h.Strs {
		if h.Strs[j].Key == k {
			h.Strs[j].Value = v
			return
		}
	}
	h.Strs = append(h.Strs, StrKV{Key: k, Value: v})
	if len(h.Strs) > linearMax {
		d.strs = make(map[string]int, 2*len(h.Strs))
		for j, kv := range h.Strs {
			d.strs[kv.Key] = j
		}
	}
}
