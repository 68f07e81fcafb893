package transport

import "errors"

// Errors returned by [Reader.ReadMessage] and the connection pools.
var (
	// ErrFrameTooLarge means a frame announced (or, for Buffered, grew to)
	// more bytes than the reader's maximum frame size. Nothing was allocated
	// for it.
	ErrFrameTooLarge = errors.New("transport: frame too large")
	// ErrInvalidFrame means the bytes are not any framing Kite understands;
	// a server closes the connection without a reply, as Kitex does.
	ErrInvalidFrame = errors.New("transport: invalid frame")
	// ErrHTTP2Preface means the connection starts with the HTTP/2 client
	// preface ("PRI * HTTP/2.0"): it belongs to the HTTP/2 (gRPC) server.
	ErrHTTP2Preface = errors.New("transport: HTTP/2 preface")
	// ErrPoolClosed is returned by Get after the pool was closed.
	ErrPoolClosed = errors.New("transport: pool closed")
)
