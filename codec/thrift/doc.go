// Package thrift encodes and decodes Thrift payloads in the binary and the
// compact protocol.
//
// The package follows the shape of encoding/protowire. Encoders append to a
// byte slice and return the extended slice:
//
//	b = thrift.AppendMessageBegin(b, thrift.Binary, "Echo", thrift.Call, seq)
//	b = thrift.AppendFieldBegin(b, thrift.STRING, 1)
//	b = thrift.AppendString(b, "hello")
//	b = thrift.AppendFieldStop(b)
//
// Decoders consume one value from the start of a byte slice and return the
// value, the number of bytes used and an error:
//
//	s, n, err := thrift.ConsumeString(b)
//
// Size functions and constants ([SizeString], [FieldBeginSize], ...) give
// the exact encoded size of a value, so a caller can allocate once.
//
// Functions without a protocol in their name speak the binary protocol
// (strict, big-endian, the only protocol Kitex speaks). Functions named
// ...Compact... speak the Apache compact protocol. Compact decoders report
// types with the binary type ids ([Type]), so generated code switches on
// one set of constants for both protocols.
//
// # Structs
//
// Generated code (`kite gen`; see github.com/kite-rpc/kite/kite_gen/echo)
// implements [Struct]: an exact
// binary size, and an append and a consume method per protocol. [Append] and
// [Consume] dispatch on a [Protocol].
//
// # Messages
//
// A Thrift message is an envelope ([AppendMessageBegin],
// [ConsumeMessageBegin]) followed by one struct. [SkipMessage] finds where a
// message ends, which is how an unframed (Buffered) transport finds the end
// of a frame. [ApplicationException] is the TApplicationException struct sent
// in EXCEPTION messages.
//
// # Errors
//
// Decoders never panic and never allocate in proportion to a length read
// from the input before checking that the input holds that many bytes.
// Every decode error satisfies errors.Is with one of the package sentinels:
// [ErrShort] when the input ends before the value does (more bytes might
// complete it), and [ErrInvalidLength], [ErrInvalidData], [ErrBadVersion],
// [ErrInvalidType], [ErrDepth] or [ErrRequiredField] when the bytes can never
// be valid. Where Kitex has a well-known text for the same failure (it puts
// it in the EXCEPTION message it sends back), the error's text is the same,
// for example "ReadString: buf too small". Errors are preallocated values,
// so failing to decode does not allocate either.
//
// # Memory
//
// Encoders never retain the slices they are given. Decoders named ...Bytes
// and [ConsumeMessageBegin]'s name alias the input: they are valid only as
// long as the input buffer is not reused. All other decoders copy.
package thrift
