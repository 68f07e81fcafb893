package thrift

import "encoding/binary"

const (
	binaryVersion1    = 0x80010000 // strict binary: version 1 in the top 16 bits
	binaryVersionMask = 0xffff0000
	compactProtocolID = 0x82
	compactVersion    = 1
)

// AppendMessageBegin appends a message envelope: for [Binary] the strict
// header (0x8001, type, i32 name length, name, i32 seq), for [Compact]
// 0x82, type<<5|1, varint seq (as uint32, not zigzag), varint name length,
// name. The message's struct follows it.
func AppendMessageBegin(b []byte, p Protocol, name string, typ MessageType, seq int32) []byte {
	if p == Compact {
		b = append(b, compactProtocolID, byte(typ)<<5|compactVersion)
		b = AppendVarint(b, uint64(uint32(seq)))
		return AppendCompactString(b, name)
	}
	b = binary.BigEndian.AppendUint32(b, binaryVersion1|uint32(typ))
	b = AppendString(b, name)
	return binary.BigEndian.AppendUint32(b, uint32(seq))
}

// MessageBeginSize returns the exact size of the envelope that
// [AppendMessageBegin] writes for name in protocol p. For [Compact] the size
// depends on the sequence number too: the result assumes the largest (5
// byte) varint, so it is exact for sequence numbers of 1<<28 and more (and
// for negative ones) and up to 4 bytes too large otherwise; use
// [CompactMessageBeginSize] for the exact value.
func MessageBeginSize(p Protocol, name string) int {
	if p == Compact {
		return 2 + 5 + SizeCompactString(name)
	}
	return 4 + 4 + len(name) + 4
}

// CompactMessageBeginSize returns the exact size of the compact envelope for
// name and seq.
func CompactMessageBeginSize(name string, seq int32) int {
	return 2 + SizeVarint(uint64(uint32(seq))) + SizeCompactString(name)
}

// ConsumeMessageBegin decodes a message envelope in protocol p. name aliases
// b. A non-strict ("old") binary envelope, an unknown version or protocol id
// gives an error satisfying errors.Is(err, [ErrBadVersion]). The message
// type is not checked against the four known types (callers decide what
// they accept), but a binary type above 255 is invalid data.
func ConsumeMessageBegin(b []byte, p Protocol) (name []byte, typ MessageType, seq int32, n int, err error) {
	if p == Compact {
		return consumeCompactMessageBegin(b)
	}
	if len(b) < 4 {
		// Reject what can never become a strict header as early as possible.
		if len(b) > 0 && b[0] != 0x80 || len(b) > 1 && b[1] != 0x01 {
			return nil, 0, 0, 0, errBadVersion
		}
		if len(b) > 2 && b[2] != 0 {
			return nil, 0, 0, 0, errMessageType
		}
		return nil, 0, 0, 0, errReadMessage
	}
	h := binary.BigEndian.Uint32(b)
	if h&binaryVersionMask != binaryVersion1 {
		return nil, 0, 0, 0, errBadVersion
	}
	if h&0xff00 != 0 {
		return nil, 0, 0, 0, errMessageType
	}
	name, n, err = consumeBytes(b[4:], errReadMessage)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	n += 4
	if len(b)-n < 4 {
		return nil, 0, 0, 0, errReadMessage
	}
	seq = int32(binary.BigEndian.Uint32(b[n:]))
	return name, MessageType(h), seq, n + 4, nil
}

func consumeCompactMessageBegin(b []byte) (name []byte, typ MessageType, seq int32, n int, err error) {
	if len(b) < 1 {
		return nil, 0, 0, 0, errReadMessage
	}
	if b[0] != compactProtocolID {
		return nil, 0, 0, 0, errBadVersion
	}
	if len(b) < 2 {
		return nil, 0, 0, 0, errReadMessage
	}
	if b[1]&0x1f != compactVersion {
		return nil, 0, 0, 0, errBadVersion
	}
	typ = MessageType(b[1] >> 5)
	v, m := consumeVarint(b[2:])
	if m <= 0 {
		return nil, 0, 0, 0, varintError(m, errReadMessage)
	}
	if v > 0xffffffff {
		return nil, 0, 0, 0, errVarint
	}
	n = 2 + m
	name, m, err = consumeCompactBytes(b[n:], errReadMessage)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	return name, typ, int32(uint32(v)), n + m, nil
}

// SkipMessage returns the length of the complete message (envelope and one
// struct) at the start of b. It returns an error satisfying
// errors.Is(err, [ErrShort]) if b holds only the start of a message, and
// another error if the bytes can never be a message. A length field can
// announce up to 2 GiB, so a transport that waits for more bytes on
// ErrShort should bound the frame size itself.
func SkipMessage(b []byte, p Protocol) (n int, err error) {
	_, _, _, n, err = ConsumeMessageBegin(b, p)
	if err != nil {
		return 0, err
	}
	m, err := Skip(b[n:], p, STRUCT)
	if err != nil {
		return 0, err
	}
	return n + m, nil
}
