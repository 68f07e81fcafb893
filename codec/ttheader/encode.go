package ttheader

import (
	"encoding/binary"
	"fmt"
	"slices"
)

const (
	// fixedSize is LENGTH, MAGIC, FLAGS, SEQID and HEADER_SIZE.
	fixedSize = 14
	// maxHeader is the largest variable header HEADER_SIZE can describe.
	maxHeader = 4 * 0xFFFF
	maxU16    = 0xFFFF
)

// layout computes the padded size of the variable header, the index of the
// ACL token pair in h.Strs (the last one, -1 if none) and the number of
// other string pairs. err reports the first limit h exceeds.
func (h *Header) layout() (n, acl, nstr int, err error) {
	acl = -1
	if len(h.Transforms) > 0xFF {
		err = fmt.Errorf("%w: %d transforms", ErrTooLarge, len(h.Transforms))
	}
	n = 2 + len(h.Transforms)
	strs := 0
	for i, kv := range h.Strs {
		if kv.Key == KeyACLToken {
			acl = i
			if len(kv.Value) > maxU16 && err == nil {
				err = fmt.Errorf("%w: ACL token of %d bytes", ErrTooLarge, len(kv.Value))
			}
			continue
		}
		nstr++
		strs += 4 + len(kv.Key) + len(kv.Value)
		if (len(kv.Key) > maxU16 || len(kv.Value) > maxU16) && err == nil {
			err = fmt.Errorf("%w: string pair %.32q of %d+%d bytes", ErrTooLarge, kv.Key, len(kv.Key), len(kv.Value))
		}
	}
	if acl >= 0 {
		n += 3 + len(h.Strs[acl].Value)
	}
	if nstr > 0 {
		n += 3 + strs
		if nstr > maxU16 && err == nil {
			err = fmt.Errorf("%w: %d string pairs", ErrTooLarge, nstr)
		}
	}
	if len(h.Ints) > 0 {
		n += 3
		for _, kv := range h.Ints {
			n += 4 + len(kv.Value)
			if len(kv.Value) > maxU16 && err == nil {
				err = fmt.Errorf("%w: value of integer key %d is %d bytes", ErrTooLarge, kv.Key, len(kv.Value))
			}
		}
		if len(h.Ints) > maxU16 && err == nil {
			err = fmt.Errorf("%w: %d integer pairs", ErrTooLarge, len(h.Ints))
		}
	}
	n += (4 - n%4) % 4
	if n > maxHeader && err == nil {
		err = fmt.Errorf("%w: variable header of %d bytes", ErrTooLarge, n)
	}
	return n, acl, nstr, err
}

// AppendHeader appends the encoding of h to b, with LENGTH set to 0 as a
// placeholder: the caller appends the payload and then calls [SetLength] on
// the whole frame. It writes FLAGS, SEQID and PROTOCOL_ID as given, the
// transforms, an [InfoACLToken] block if h.Strs holds [KeyACLToken] (the last
// one if several), one [InfoKeyValue] block with the other string pairs and
// one [InfoIntKeyValue] block with the integer pairs (each in slice order,
// omitted when empty), and zero padding to a multiple of 4 bytes. It appends
// exactly h.Size() bytes and does not allocate when b has room for them.
//
// The error wraps [ErrTooLarge]; b is then returned unchanged.
func AppendHeader(b []byte, h *Header) ([]byte, error) {
	n, acl, nstr, err := h.layout()
	if err != nil {
		return b, err
	}
	b = slices.Grow(b, fixedSize+n)
	start := len(b)
	b = append(b,
		0, 0, 0, 0,
		Magic>>8, Magic&0xFF,
		byte(h.Flags>>8), byte(h.Flags),
		byte(uint32(h.SeqID)>>24), byte(uint32(h.SeqID)>>16), byte(uint32(h.SeqID)>>8), byte(h.SeqID),
		byte(n/4>>8), byte(n/4),
		h.ProtocolID, byte(len(h.Transforms)))
	b = append(b, h.Transforms...)
	if acl >= 0 {
		b = append(b, InfoACLToken)
		b = appendString(b, h.Strs[acl].Value)
	}
	if nstr > 0 {
		b = append(b, InfoKeyValue, byte(nstr>>8), byte(nstr))
		for _, kv := range h.Strs {
			if kv.Key == KeyACLToken {
				continue
			}
			b = appendString(b, kv.Key)
			b = appendString(b, kv.Value)
		}
	}
	if len(h.Ints) > 0 {
		b = append(b, InfoIntKeyValue, byte(len(h.Ints)>>8), byte(len(h.Ints)))
		for _, kv := range h.Ints {
			b = append(b, byte(kv.Key>>8), byte(kv.Key))
			b = appendString(b, kv.Value)
		}
	}
	for len(b)-start < fixedSize+n {
		b = append(b, 0)
	}
	return b, nil
}

// appendString appends a u16 length and s.
func appendString(b []byte, s string) []byte {
	b = append(b, byte(len(s)>>8), byte(len(s)))
	return append(b, s...)
}

// SetLength writes len(frame)-4 into the LENGTH field at frame[0:4]. frame
// must start at LENGTH and hold the whole frame: the header written by
// [AppendHeader] followed by the payload. The caller must keep frames below
// 2 GiB, since LENGTH's most significant bit must be 0.
func SetLength(frame []byte) {
	binary.BigEndian.PutUint32(frame[:4], uint32(len(frame)-4))
}
