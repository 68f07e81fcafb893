// Package protobuf encodes what Kite puts around protobuf messages: the
// Kitex Protobuf envelope (magic 0x9001, WIRE.md §4) with its ErrorProto
// exception body, and the gRPC length-prefixed message framing (WIRE.md
// §5.1). Messages themselves are google.golang.org/protobuf values,
// marshalled with [Marshal] into caller-owned buffers.
//
// The codecs follow encoding/protowire: AppendX appends to a buffer and
// returns it, ConsumeX parses from the front of a buffer and reports how many
// bytes it used. Nothing here keeps a reference to a buffer it is given,
// except [ConsumeEnvelope]'s method name, which aliases its input.
package protobuf
