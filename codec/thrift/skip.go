package thrift

import "encoding/binary"

// Skip returns the size of the value of type t (a binary type id, also for
// [Compact]) at the start of b, without decoding it. Structs, maps, sets and
// lists may nest at most 64 levels deep; deeper input gives an error
// satisfying errors.Is(err, [ErrDepth]). Input that ends early gives an
// error satisfying errors.Is(err, [ErrShort]).
func Skip(b []byte, p Protocol, t Type) (n int, err error) {
	if p == Compact {
		return skipCompact(b, t, maxDepth)
	}
	return skipBinary(b, t, maxDepth)
}

// SkipBinary is [Skip] for the binary protocol.
func SkipBinary(b []byte, t Type) (n int, err error) { return skipBinary(b, t, maxDepth) }

// SkipCompact is [Skip] for the compact protocol. For a bool it skips one
// byte, the form bools take inside collections; to skip a struct field use
// [SkipCompactField].
func SkipCompact(b []byte, t Type) (n int, err error) { return skipCompact(b, t, maxDepth) }

// SkipCompactField skips the value of a compact struct field of type t
// whose header [ConsumeCompactFieldBegin] just consumed. Bool fields have no
// value (it is in the header), so for BOOL it returns 0.
func SkipCompactField(b []byte, t Type) (n int, err error) {
	if t == BOOL {
		return 0, nil
	}
	return skipCompact(b, t, maxDepth)
}

func skipBinary(b []byte, t Type, depth int) (int, error) {
	if n := int(fixedSize[t]); n > 0 {
		if len(b) < n {
			return 0, errShort
		}
		return n, nil
	}
	switch t {
	case STRING:
		if len(b) < 4 {
			return 0, errShort
		}
		l := int32(binary.BigEndian.Uint32(b))
		if l < 0 {
			return 0, errDataLength
		}
		if int64(l) > int64(len(b)-4) {
			return 0, errShort
		}
		return 4 + int(l), nil
	case STRUCT:
		if depth == 0 {
			return 0, errDepth
		}
		i := 0
		for {
			if i >= len(b) {
				return 0, errShort
			}
			ft := Type(b[i])
			if ft == STOP {
				return i + 1, nil
			}
			i += 3
			if i > len(b) {
				return 0, errShort
			}
			m, err := skipBinary(b[i:], ft, depth-1)
			if err != nil {
				return 0, err
			}
			i += m
		}
	case MAP:
		if depth == 0 {
			return 0, errDepth
		}
		if len(b) < MapBeginSize {
			return 0, errShort
		}
		kt, vt := Type(b[0]), Type(b[1])
		size := int32(binary.BigEndian.Uint32(b[2:]))
		if size < 0 {
			return 0, errDataLength
		}
		if size == 0 {
			return MapBeginSize, nil
		}
		if minSize[kt] == 0 {
			return 0, typeError(kt)
		}
		if minSize[vt] == 0 {
			return 0, typeError(vt)
		}
		rest := uint64(len(b) - MapBeginSize)
		if ks, vs := fixedSize[kt], fixedSize[vt]; ks > 0 && vs > 0 {
			if total := uint64(size) * uint64(ks+vs); total <= rest {
				return MapBeginSize + int(total), nil
			}
			return 0, errShort
		}
		if uint64(size)*uint64(minSize[kt]+minSize[vt]) > rest {
			return 0, errShort
		}
		i := MapBeginSize
		for j := int32(0); j < size; j++ {
			m, err := skipBinary(b[i:], kt, depth-1)
			if err != nil {
				return 0, err
			}
			i += m
			m, err = skipBinary(b[i:], vt, depth-1)
			if err != nil {
				return 0, err
			}
			i += m
		}
		return i, nil
	case LIST, SET:
		if depth == 0 {
			return 0, errDepth
		}
		if len(b) < ListBeginSize {
			return 0, errShort
		}
		et := Type(b[0])
		size := int32(binary.BigEndian.Uint32(b[1:]))
		if size < 0 {
			return 0, errDataLength
		}
		if size == 0 {
			return ListBeginSize, nil
		}
		if minSize[et] == 0 {
			return 0, typeError(et)
		}
		rest := uint64(len(b) - ListBeginSize)
		if es := fixedSize[et]; es > 0 {
			if total := uint64(size) * uint64(es); total <= rest {
				return ListBeginSize + int(total), nil
			}
			return 0, errShort
		}
		if uint64(size)*uint64(minSize[et]) > rest {
			return 0, errShort
		}
		i := ListBeginSize
		for j := int32(0); j < size; j++ {
			m, err := skipBinary(b[i:], et, depth-1)
			if err != nil {
				return 0, err
			}
			i += m
		}
		return i, nil
	}
	return 0, typeError(t)
}

func skipCompact(b []byte, t Type, depth int) (int, error) {
	switch t {
	case BOOL, BYTE:
		if len(b) < 1 {
			return 0, errShort
		}
		return 1, nil
	case I16, I32, I64:
		_, n := consumeVarint(b)
		if n <= 0 {
			return 0, varintError(n, errShort)
		}
		return n, nil
	case DOUBLE:
		if len(b) < 8 {
			return 0, errShort
		}
		return 8, nil
	case UUID:
		if len(b) < 16 {
			return 0, errShort
		}
		return 16, nil
	case STRING:
		_, n, err := consumeCompactBytes(b, errShort)
		return n, err
	case STRUCT:
		if depth == 0 {
			return 0, errDepth
		}
		i := 0
		for {
			if i >= len(b) {
				return 0, errShort
			}
			h := b[i]
			if h == 0 {
				return i + 1, nil
			}
			ct := h & 0x0f
			ft := fromCompact[ct]
			if ft == STOP {
				return 0, typeError(ct)
			}
			i++
			if h>>4 == 0 {
				_, m := consumeVarint(b[i:])
				if m <= 0 {
					return 0, varintError(m, errShort)
				}
				i += m
			}
			if ft == BOOL {
				continue // the value is in the header
			}
			m, err := skipCompact(b[i:], ft, depth-1)
			if err != nil {
				return 0, err
			}
			i += m
		}
	case MAP:
		if depth == 0 {
			return 0, errDepth
		}
		kt, vt, size, i, err := ConsumeCompactMapBegin(b)
		if err != nil {
			return 0, shortAs(err)
		}
		for j := 0; j < size; j++ {
			m, err := skipCompact(b[i:], kt, depth-1)
			if err != nil {
				return 0, err
			}
			i += m
			m, err = skipCompact(b[i:], vt, depth-1)
			if err != nil {
				return 0, err
			}
			i += m
		}
		return i, nil
	case LIST, SET:
		if depth == 0 {
			return 0, errDepth
		}
		et, size, i, err := consumeCompactCollection(b, errShort)
		if err != nil {
			return 0, err
		}
		if s := compactFixedSize(et); s > 0 {
			return i + size*s, nil // consumeCompactCollection checked the bytes are there
		}
		for j := 0; j < size; j++ {
			m, err := skipCompact(b[i:], et, depth-1)
			if err != nil {
				return 0, err
			}
			i += m
		}
		return i, nil
	}
	return 0, typeError(t)
}

// compactFixedSize returns the size of fixed-size compact collection
// elements, 0 for variable-size ones.
func compactFixedSize(t Type) int {
	switch t {
	case BOOL, BYTE:
		return 1
	case DOUBLE:
		return 8
	case UUID:
		return 16
	}
	return 0
}

// shortAs maps the header-specific short error of a map header to the
// generic one Skip reports; other errors pass through.
func shortAs(err error) error {
	if err == errReadMap {
		return errShort
	}
	return err
}
