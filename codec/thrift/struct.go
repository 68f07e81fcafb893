package thrift

// Struct is a Thrift struct with reflection-free codecs for both protocols.
// Generated code and hand-written codecs implement it.
//
// ConsumeBinary and ConsumeCompact decode one struct, through its STOP
// byte, from the start of b into the receiver and return the number of
// bytes used. They skip fields they do not know (or whose type does not
// match), return an error satisfying errors.Is(err, [ErrRequiredField]) when
// a required field is missing, and copy every string and binary they keep,
// so b may be reused afterwards.
type Struct interface {
	// BinarySize returns the exact size of the binary encoding.
	BinarySize() int
	// AppendBinary appends the binary encoding.
	AppendBinary(b []byte) []byte
	// ConsumeBinary decodes the binary encoding.
	ConsumeBinary(b []byte) (n int, err error)
	// AppendCompact appends the compact encoding.
	AppendCompact(b []byte) []byte
	// ConsumeCompact decodes the compact encoding.
	ConsumeCompact(b []byte) (n int, err error)
}

// Append appends the encoding of s in protocol p.
func Append(b []byte, p Protocol, s Struct) []byte {
	if p == Compact {
		return s.AppendCompact(b)
	}
	return s.AppendBinary(b)
}

// Consume decodes s from the start of b in protocol p and returns the number
// of bytes used.
func Consume(b []byte, p Protocol, s Struct) (int, error) {
	if p == Compact {
		return s.ConsumeCompact(b)
	}
	return s.ConsumeBinary(b)
}
