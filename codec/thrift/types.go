package thrift

import "strconv"

// Type is a Thrift type id as written by the binary protocol. Compact
// decoders translate compact type ids to these values.
type Type byte

// Thrift type ids (binary protocol values).
const (
	STOP   Type = 0
	BOOL   Type = 2
	BYTE   Type = 3
	I08    Type = 3 // I08 is another name for BYTE.
	DOUBLE Type = 4
	I16    Type = 6
	I32    Type = 8
	I64    Type = 10
	STRING Type = 11 // STRING is also used for binary.
	STRUCT Type = 12
	MAP    Type = 13
	SET    Type = 14
	LIST   Type = 15
	UUID   Type = 16
)

var typeNames = [...]string{
	STOP: "STOP", BOOL: "BOOL", BYTE: "BYTE", DOUBLE: "DOUBLE", I16: "I16", I32: "I32",
	I64: "I64", STRING: "STRING", STRUCT: "STRUCT", MAP: "MAP", SET: "SET", LIST: "LIST", UUID: "UUID",
}

// String returns the upper-case Thrift name of t, or "Type(n)" for an
// unknown id.
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is a value type (anything but STOP and unknown ids).
func (t Type) Valid() bool {
	return t != STOP && int(t) < len(typeNames) && typeNames[t] != ""
}

// MessageType is the kind of a Thrift message.
type MessageType uint8

// Message types.
const (
	Call      MessageType = 1
	Reply     MessageType = 2
	Exception MessageType = 3
	Oneway    MessageType = 4
)

// String returns "CALL", "REPLY", "EXCEPTION", "ONEWAY" or
// "MessageType(n)".
func (t MessageType) String() string {
	switch t {
	case Call:
		return "CALL"
	case Reply:
		return "REPLY"
	case Exception:
		return "EXCEPTION"
	case Oneway:
		return "ONEWAY"
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// Protocol selects the Thrift encoding of a payload.
type Protocol uint8

// Protocols.
const (
	// Binary is the strict binary protocol (message version 0x8001), the
	// only protocol Kitex reads and writes.
	Binary Protocol = iota
	// Compact is the Apache compact protocol (protocol id 0x82).
	Compact
)

// String returns "binary", "compact" or "Protocol(n)".
func (p Protocol) String() string {
	switch p {
	case Binary:
		return "binary"
	case Compact:
		return "compact"
	}
	return "Protocol(" + strconv.Itoa(int(p)) + ")"
}

// maxDepth is the nesting limit of Skip, as in Kitex.
const maxDepth = 64

// minSize holds, per binary type id, the fewest bytes a value of that type
// takes in the binary protocol; zero marks an invalid type.
var minSize = [256]uint8{
	BOOL: 1, BYTE: 1, DOUBLE: 8, I16: 2, I32: 4, I64: 8,
	STRING: 4, STRUCT: 1, MAP: 6, SET: 5, LIST: 5, UUID: 16,
}

// fixedSize holds, per binary type id, the exact size of fixed-size values
// in the binary protocol; zero for variable-size and invalid types.
var fixedSize = [256]uint8{
	BOOL: 1, BYTE: 1, DOUBLE: 8, I16: 2, I32: 4, I64: 8, UUID: 16,
}
