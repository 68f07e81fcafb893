package grpc

import (
	"errors"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Header blocks are decoded here rather than by the Framer's
// ReadMetaHeaders, which allocates a frame, a field slice and a closure
// per block: one decoder per connection fills one reused headerBlock. The
// checks are those of ReadMetaHeaders (RFC 9113 §8.2-8.3): CONTINUATION
// sequencing (left to the Framer), the header list size, field names and
// values, and pseudo-header fields.

// maxHeaderList is the largest header list accepted, as the sum of RFC
// 7541 §4.1 field sizes; larger lists are truncated.
const maxHeaderList = 1 << 20

// Pseudo-header fields, as bits of headerBlock.pseudo.
const (
	pseudoMethod = 1 << iota
	pseudoPath
	pseudoScheme
	pseudoAuthority
	pseudoProtocol
	pseudoStatus

	pseudoRequest = pseudoMethod | pseudoPath | pseudoScheme | pseudoAuthority | pseudoProtocol
)

var (
	errBadFieldName  = errors.New("grpc: invalid header field name")
	errBadFieldValue = errors.New("grpc: invalid header field value")
	errPseudoAfter   = errors.New("grpc: pseudo header field after regular")
	errBadPseudo     = errors.New("grpc: invalid pseudo header field")
	errDupPseudo     = errors.New("grpc: duplicate pseudo header field")
	errMixedPseudo   = errors.New("grpc: mix of request and response pseudo header fields")
)

// headerBlock is one decoded header block (HEADERS and its CONTINUATION
// frames). It belongs to the reader goroutine and is reused for the next
// block: what a stream keeps is copied out (the strings themselves are
// the decoder's, never reused).
type headerBlock struct {
	streamID uint32
	ended    bool                // END_STREAM
	fields   []hpack.HeaderField // pseudo-header fields first
	nPseudo  int                 // how many of fields are pseudo-header fields
	pseudo   int                 // the pseudo-header fields present
	status   string              // :status
	method   string              // :method

	remain    int   // header list bytes left
	truncated bool  // fields were dropped for the size limit
	invalid   error // a field name, value or order error: a stream error
	pseudoErr error // a pseudo-header error: a stream error
}

// regular returns the block's regular (non-pseudo) fields.
func (h *headerBlock) regular() []hpack.HeaderField { return h.fields[h.nPseudo:] }

// emitField is the decoder's emit function.
func (c *conn) emitField(f hpack.HeaderField) {
	h := &c.hb
	if !httpguts.ValidHeaderFieldValue(f.Value) {
		h.invalid = errBadFieldValue
	}
	pseudo := len(f.Name) > 0 && f.Name[0] == ':'
	if pseudo {
		if h.nPseudo < len(h.fields) {
			h.invalid = errPseudoAfter
		}
	} else if !validFieldName(f.Name) {
		h.invalid = errBadFieldName
	}
	if h.invalid != nil {
		c.hdec.SetEmitEnabled(false)
		return
	}
	n := int(f.Size())
	if n > h.remain {
		c.hdec.SetEmitEnabled(false)
		h.truncated, h.remain = true, 0
		return
	}
	h.remain -= n
	h.fields = append(h.fields, f)
	if !pseudo {
		return
	}
	h.nPseudo++
	var bit int
	switch f.Name {
	case ":method":
		bit, h.method = pseudoMethod, f.Value
	case ":path":
		bit = pseudoPath
	case ":scheme":
		bit = pseudoScheme
	case ":authority":
		bit = pseudoAuthority
	case ":protocol":
		bit = pseudoProtocol
	case ":status":
		bit, h.status = pseudoStatus, f.Value
	default:
		h.pseudoErr = errBadPseudo
		return
	}
	if h.pseudo&bit != 0 {
		h.pseudoErr = errDupPseudo
	}
	h.pseudo |= bit
	if h.pseudo&pseudoStatus != 0 && h.pseudo&pseudoRequest != 0 {
		h.pseudoErr = errMixedPseudo
	}
}

// validFieldName reports whether name is a valid HTTP/2 field name: a
// token without upper case.
func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if !httpguts.IsTokenRune(rune(b)) || 'A' <= b && b <= 'Z' {
			return false
		}
	}
	return true
}

// readHeaderBlock decodes the block that f starts into c.hb, reading its
// CONTINUATION frames. Errors are those ReadFrame returns: an
// http2.StreamError for a malformed block, an http2.ConnectionError when
// the decoder's state is lost or the peer sends too much.
func (c *conn) readHeaderBlock(f *http2.HeadersFrame) error {
	h := &c.hb
	if cap(h.fields) > 64 {
		h.fields = nil // a peer's one large block does not stay with the connection
	}
	*h = headerBlock{streamID: f.StreamID, ended: f.StreamEnded(), fields: h.fields[:0], remain: maxHeaderList}
	c.hdec.SetEmitEnabled(true)
	frag, end := f.HeaderBlockFragment(), f.HeadersEnded()
	for {
		// Like ReadMetaHeaders, stop at once (losing the connection)
		// rather than decode much more than can be kept, or go on after
		// an invalid field, past which sizes are not counted.
		if len(frag) > 2*h.remain || h.invalid != nil {
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
		if _, err := c.hdec.Write(frag); err != nil {
			return http2.ConnectionError(http2.ErrCodeCompression)
		}
		if end {
			break
		}
		fr, err := c.fr.ReadFrame() // the Framer allows only CONTINUATION of this stream
		if err != nil {
			return err
		}
		cf := fr.(*http2.ContinuationFrame)
		frag, end = cf.HeaderBlockFragment(), cf.HeadersEnded()
	}
	if err := c.hdec.Close(); err != nil {
		return http2.ConnectionError(http2.ErrCodeCompression)
	}
	if h.invalid != nil {
		return http2.StreamError{StreamID: h.streamID, Code: http2.ErrCodeProtocol, Cause: h.invalid}
	}
	if h.pseudoErr != nil {
		return http2.StreamError{StreamID: h.streamID, Code: http2.ErrCodeProtocol, Cause: h.pseudoErr}
	}
	return nil
}

// keepFields copies fields for s to keep, into s's own array while it has
// room. It returns nil for no fields.
func (s *Stream) keepFields(fields []hpack.HeaderField) []hpack.HeaderField {
	n := len(fields)
	if n == 0 {
		return nil
	}
	if s.nfbuf+n <= len(s.fbuf) {
		out := s.fbuf[s.nfbuf : s.nfbuf+n : s.nfbuf+n]
		s.nfbuf += n
		copy(out, fields)
		return out
	}
	return append([]hpack.HeaderField(nil), fields...)
}
