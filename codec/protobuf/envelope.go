package protobuf

import (
	"encoding/binary"
	"errors"
)

// Magic is the first two bytes of every Kitex Protobuf envelope.
const Magic = 0x9001

// MessageType is the envelope's message type, the same numbers Thrift uses.
type MessageType uint16

// Message types.
const (
	Call      MessageType = 1
	Reply     MessageType = 2
	Exception MessageType = 3
	Oneway    MessageType = 4
)

// Errors returned by the Consume functions.
var (
	// ErrShort means the buffer ends inside the structure being parsed.
	ErrShort = errors.New("protobuf: buffer too short")
	// ErrBadMagic means the bytes do not start with the 0x9001 magic.
	ErrBadMagic = errors.New("protobuf: not a Kitex Protobuf envelope")
)

// EnvelopeSize returns the size of the envelope for method.
func EnvelopeSize(method string) int { return 12 + len(method) }

// AppendEnvelope appends the envelope of a Kitex Protobuf message — magic,
// type, method name and sequence id — to b. The message bytes follow it;
// the Framed length before it is the transport's.
func AppendEnvelope(b []byte, typ MessageType, method string, seq int32) []byte {
	b = binary.BigEndian.AppendUint16(b, Magic)
	b = binary.BigEndian.AppendUint16(b, uint16(typ))
	b = binary.BigEndian.AppendUint32(b, uint32(len(method)))
	b = append(b, method...)
	return binary.BigEndian.AppendUint32(b, uint32(seq))
}

// ConsumeEnvelope parses the envelope at the start of b. The method name
// aliases b. n is the envelope's length: the message is b[n:].
func ConsumeEnvelope(b []byte) (method []byte, typ MessageType, seq int32, n int, err error) {
	if len(b) < 8 {
		return nil, 0, 0, 0, ErrShort
	}
	if binary.BigEndian.Uint16(b) != Magic {
		return nil, 0, 0, 0, ErrBadMagic
	}
	typ = MessageType(binary.BigEndian.Uint16(b[2:]))
	l := binary.BigEndian.Uint32(b[4:])
	if uint64(l)+12 > uint64(len(b)) {
		return nil, 0, 0, 0, ErrShort
	}
	method = b[8 : 8+l]
	seq = int32(binary.BigEndian.Uint32(b[8+l:]))
	return method, typ, seq, 12 + int(l), nil
}
