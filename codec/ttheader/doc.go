// Package ttheader encodes and decodes TTHeader, the framing header that
// Kitex puts in front of Thrift and Kitex-Protobuf payloads.
//
// A TTHeader frame on the wire is
//
//	LENGTH       u32  bytes after this field (MSB must be 0)
//	MAGIC        u16  0x1000
//	FLAGS        u16
//	SEQID        i32
//	HEADER_SIZE  u16  length of the variable header in 4-byte words
//	PROTOCOL_ID  u8   ┐
//	NUM_TRANSFORMS u8 │ variable header,
//	TRANSFORM_IDS     │ HEADER_SIZE*4 bytes
//	INFO blocks       │ including zero padding
//	padding           ┘
//	PAYLOAD           LENGTH+4 - (14 + HEADER_SIZE*4) bytes
//
// All integers are big-endian. The INFO blocks carry string key/value pairs
// ([InfoKeyValue]), integer-keyed pairs ([InfoIntKeyValue]) and an ACL token
// ([InfoACLToken]), which this package exposes as the string key [KeyACLToken].
//
// The package only deals with the header: [AppendHeader] writes it with a
// placeholder LENGTH, the caller appends the payload and calls [SetLength];
// [ConsumeHeader] parses the header at the start of a buffer and reports where
// the payload starts and how long the frame is, without needing the payload
// bytes. A reader distinguishes "need more bytes" ([ErrShort]) from bad bytes
// ([ErrMalformed]).
//
// [Header] holds key/value pairs in slices rather than maps, so one Header can
// be [Header.Reset] and reused for every frame on a connection: encoding into
// a reused buffer does not allocate, and decoding allocates at most one string
// per header (well-known keys and small values are interned).
//
// The encoder writes blocks in the order Kitex v0.16 does: PROTOCOL_ID,
// transforms, the ACL token block, one string block, one integer block, then
// zero padding to a multiple of 4 bytes. Kitex writes its blocks from Go maps,
// so pair order within a block varies between Kitex runs; compare decoded
// pairs, not raw bytes, when a block holds more than one pair.
package ttheader
