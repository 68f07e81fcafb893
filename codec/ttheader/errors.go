package ttheader

import "errors"

var (
	// ErrShort means the buffer ends before the header does: read more
	// bytes and call [ConsumeHeader] again. Errors returned by ConsumeHeader
	// wrap it; test with errors.Is.
	ErrShort = errors.New("ttheader: need more bytes")

	// ErrMalformed means the bytes are not a valid TTHeader: wrong magic,
	// LENGTH with the most significant bit set, a header that does not fit
	// in the frame, an unsupported PROTOCOL_ID, an unknown INFO id, or a
	// count or length that runs past the end of the header. Errors returned
	// by [ConsumeHeader] wrap it with details; test with errors.Is. A server
	// should close the connection without replying, as Kitex does.
	ErrMalformed = errors.New("ttheader: malformed header")

	// ErrTooLarge means a [Header] cannot be encoded: a key or value longer
	// than 65535 bytes, more than 65535 pairs in a block, more than 255
	// transforms, or a variable header longer than 4*65535 bytes. Errors
	// returned by [AppendHeader] wrap it with details.
	ErrTooLarge = errors.New("ttheader: header too large")
)
