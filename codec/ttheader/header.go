package ttheader

// IntKV is one pair of the integer-keyed INFO block.
type IntKV struct {
	Key   uint16
	Value string
}

// StrKV is one pair of the string-keyed INFO block, or the ACL token when Key
// is [KeyACLToken].
type StrKV struct {
	Key, Value string
}

// Header is one decoded or encodable TTHeader. It holds its pairs in slices,
// not maps, so a Header can be [Header.Reset] and reused without allocating.
//
// The getters and setters treat the slices as maps: a key appears at most
// once. Code that appends to Ints or Strs directly may create duplicates; the
// getters then return the last one, and the encoder writes all of them (the
// decoder, like Kitex, keeps the last value for a key). Pair order is kept
// from decoding to encoding.
//
// A Header is not safe for concurrent use.
type Header struct {
	// Flags is the FLAGS field ([FlagStreaming] and friends).
	Flags uint16
	// SeqID is the SEQID field. Kitex writes the payload's sequence id.
	SeqID int32
	// ProtocolID says what the payload is ([ProtocolBinary] and friends).
	ProtocolID uint8
	// Transforms are the transform ids. Kitex writes none and ignores them.
	Transforms []uint8
	// Ints are the pairs of the [InfoIntKeyValue] block, in wire order.
	Ints []IntKV
	// Strs are the pairs of the [InfoKeyValue] block, in wire order. The
	// [InfoACLToken] block appears here under the key [KeyACLToken].
	Strs []StrKV
}

// Reset clears h for reuse. It keeps the capacity of the slices but drops
// their references to strings, so old values can be garbage collected.
func (h *Header) Reset() {
	clear(h.Ints)
	clear(h.Strs)
	*h = Header{
		Transforms: h.Transforms[:0],
		Ints:       h.Ints[:0],
		Strs:       h.Strs[:0],
	}
}

// Int returns the value of the integer key k and whether it is present.
func (h *Header) Int(k uint16) (string, bool) {
	for i := len(h.Ints) - 1; i >= 0; i-- {
		if h.Ints[i].Key == k {
			return h.Ints[i].Value, true
		}
	}
	return "", false
}

// SetInt sets the integer key k to v, replacing an existing value in place or
// appending a new pair.
func (h *Header) SetInt(k uint16, v string) {
	for i := len(h.Ints) - 1; i >= 0; i-- {
		if h.Ints[i].Key == k {
			h.Ints[i].Value = v
			return
		}
	}
	h.Ints = append(h.Ints, IntKV{Key: k, Value: v})
}

// DelInt removes every pair with the integer key k, keeping the order of the
// others.
func (h *Header) DelInt(k uint16) {
	out := h.Ints[:0]
	for _, kv := range h.Ints {
		if kv.Key != k {
			out = append(out, kv)
		}
	}
	clear(h.Ints[len(out):])
	h.Ints = out
}

// Str returns the value of the string key k and whether it is present. The
// ACL token is found under [KeyACLToken].
func (h *Header) Str(k string) (string, bool) {
	for i := len(h.Strs) - 1; i >= 0; i-- {
		if h.Strs[i].Key == k {
			return h.Strs[i].Value, true
		}
	}
	return "", false
}

// SetStr sets the string key k to v, replacing an existing value in place or
// appending a new pair. Setting [KeyACLToken] makes the encoder write an
// [InfoACLToken] block.
func (h *Header) SetStr(k, v string) {
	for i := len(h.Strs) - 1; i >= 0; i-- {
		if h.Strs[i].Key == k {
			h.Strs[i].Value = v
			return
		}
	}
	h.Strs = append(h.Strs, StrKV{Key: k, Value: v})
}

// DelStr removes every pair with the string key k, keeping the order of the
// others.
func (h *Header) DelStr(k string) {
	out := h.Strs[:0]
	for _, kv := range h.Strs {
		if kv.Key != k {
			out = append(out, kv)
		}
	}
	clear(h.Strs[len(out):])
	h.Strs = out
}

// Size returns the number of bytes [AppendHeader] writes for h: the 14 fixed
// bytes (LENGTH included) plus the variable header with its padding, which is
// also the offset of the payload in the frame. Size does not check the limits
// that make AppendHeader fail.
func (h *Header) Size() int {
	n, _, _, _ := h.layout()
	return fixedSize + n
}
