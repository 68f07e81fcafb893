package protobuf

import (
	"encoding/binary"
	"errors"
	"sync"

	"google.golang.org/protobuf/proto"
)

// ErrNotMessage is returned for a value that is not a proto.Message.
var ErrNotMessage = errors.New("protobuf: value is not a proto.Message")

var marshalOpts = proto.MarshalOptions{}

// Size returns the encoded size of m, which must be a proto.Message
// (a negative size otherwise).
func Size(m any) int {
	pm, ok := m.(proto.Message)
	if !ok {
		return -1
	}
	return marshalOpts.Size(pm)
}

// Marshal appends the wire encoding of m, which must be a proto.Message,
// to b. A nil message encodes as nothing, as an empty message does.
func Marshal(b []byte, m any) ([]byte, error) {
	pm, ok := m.(proto.Message)
	if !ok {
		if m == nil {
			return b, nil
		}
		return b, ErrNotMessage
	}
	return marshalOpts.MarshalAppend(b, pm)
}

var unmarshalOpts = proto.UnmarshalOptions{}

// Unmarshal decodes b into m, which must be a proto.Message, replacing its
// contents. m keeps no reference to b.
func Unmarshal(b []byte, m any) error {
	pm, ok := m.(proto.Message)
	if !ok {
		return ErrNotMessage
	}
	return unmarshalOpts.Unmarshal(b, pm)
}

// IsMessage reports whether v is a proto.Message.
func IsMessage(v any) bool {
	_, ok := v.(proto.Message)
	return ok
}

// PrefixSize is the size of the gRPC message prefix: a compressed flag and a
// 4-byte big-endian length.
const PrefixSize = 5

// AppendPrefix appends the gRPC message prefix for a message of n bytes.
func AppendPrefix(b []byte, compressed bool, n int) []byte {
	var f byte
	if compressed {
		f = 1
	}
	return binary.BigEndian.AppendUint32(append(b, f), uint32(n))
}

// ConsumePrefix parses a gRPC message prefix; ok is false when b is shorter
// than PrefixSize.
func ConsumePrefix(b []byte) (compressed bool, n uint32, ok bool) {
	if len(b) < PrefixSize {
		return false, 0, false
	}
	return b[0] != 0, binary.BigEndian.Uint32(b[1:]), true
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooled is the largest buffer capacity PutBuffer keeps.
const maxPooled = 64 << 10

// GetBuffer returns an empty buffer from a pool; give it back with
// PutBuffer when no one refers to its bytes any more.
func GetBuffer() *[]byte {
	bp := bufPool.Get().(*[]byte)
	*bp = (*bp)[:0]
	return bp
}

// PutBuffer returns a buffer from GetBuffer to the pool. Buffers grown
// beyond 64 KiB are dropped.
func PutBuffer(bp *[]byte) {
	if bp == nil || cap(*bp) > maxPooled {
		return
	}
	bufPool.Put(bp)
}
