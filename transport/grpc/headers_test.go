package grpc

import (
	"io"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

var goodRequest = [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/p.S/M"},
	{":authority", "x"}, {"content-type", "application/grpc"}, {"te", "trailers"}}

// block encodes fields with p's encoder (its dynamic table carries over).
func (p *peer) block(fields [][2]string) []byte {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.hbuf.Reset()
	for _, f := range fields {
		_ = p.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	return append([]byte(nil), p.hbuf.Bytes()...)
}

func isRST(id uint32, code http2.ErrCode) func(frameInfo) bool {
	return func(f frameInfo) bool { return f.typ == http2.FrameRSTStream && f.stream == id && f.code == code }
}

func isHeaders(id uint32) func(frameInfo) bool {
	return func(f frameInfo) bool { return f.typ == http2.FrameHeaders && f.stream == id }
}

// TestMalformedHeadersResetStream: a header block with a bad field is a
// stream error (RST_STREAM PROTOCOL_ERROR), as with x/net's
// ReadMetaHeaders, and the connection goes on serving.
func TestMalformedHeadersResetStream(t *testing.T) {
	unary := func(string) bool { return true }
	cases := map[string][][2]string{
		"upper-case name":      append(goodRequest[:6:6], [2]string{"X-Up", "v"}),
		"bad value":            append(goodRequest[:6:6], [2]string{"x-v", "a\x00b"}),
		"pseudo after regular": append(goodRequest[:6:6], [2]string{":foo", "v"}),
		"unknown pseudo":       append([][2]string{{":foo", "v"}}, goodRequest...),
		"duplicate pseudo":     append([][2]string{{":path", "/p.S/N"}}, goodRequest...),
		"request and response": append([][2]string{{":status", "200"}}, goodRequest...),
		"empty name":           append(goodRequest[:6:6], [2]string{"", "v"}),
	}
	for name, fields := range cases {
		t.Run(name, func(t *testing.T) {
			srv := NewServer(Config{}, func(s *Stream) { s.WriteStatus(0, "", nil) }, unary)
			defer srv.Close()
			p := serveRaw(t, srv, true)
			b := p.block(fields)
			p.write(func(fr *http2.Framer) error {
				return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b, EndHeaders: true, EndStream: true})
			})
			p.next(2*time.Second, "RST_STREAM PROTOCOL_ERROR", isRST(1, http2.ErrCodeProtocol))
			b = p.block(goodRequest)
			p.write(func(fr *http2.Framer) error {
				return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: b, EndHeaders: true, EndStream: true})
			})
			p.next(2*time.Second, "the next stream's response", isHeaders(3))
		})
	}
}

// TestMalformedHeaderBlocksEndConnection: errors that lose the HPACK
// state or break CONTINUATION sequencing end the connection. (The GOAWAY
// queued first may or may not get out: the reader closes the connection
// without waiting for the writer.)
func TestMalformedHeaderBlocksEndConnection(t *testing.T) {
	cases := []struct {
		name string
		code http2.ErrCode
		send func(p *peer)
	}{
		{"bad hpack", http2.ErrCodeCompression, func(p *peer) {
			p.write(func(fr *http2.Framer) error {
				return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0x80}, EndHeaders: true})
			})
		}},
		{"truncated block", http2.ErrCodeCompression, func(p *peer) {
			b := p.block(goodRequest)
			p.write(func(fr *http2.Framer) error {
				return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:len(b)-1], EndHeaders: true})
			})
		}},
		{"DATA inside a header block", http2.ErrCodeProtocol, func(p *peer) {
			b := p.block(goodRequest)
			p.write(func(fr *http2.Framer) error {
				if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b}); err != nil {
					return err
				}
				return fr.WriteData(1, true, nil)
			})
		}},
		{"CONTINUATION of another stream", http2.ErrCodeProtocol, func(p *peer) {
			b := p.block(goodRequest)
			p.write(func(fr *http2.Framer) error {
				if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:3]}); err != nil {
					return err
				}
				return fr.WriteContinuation(3, true, b[3:])
			})
		}},
		{"CONTINUATION without HEADERS", http2.ErrCodeProtocol, func(p *peer) {
			p.write(func(fr *http2.Framer) error { return fr.WriteContinuation(1, true, []byte{0x82}) })
		}},
		{"CONTINUATION after an invalid field", http2.ErrCodeProtocol, func(p *peer) {
			b := p.block(append(goodRequest[:6:6], [2]string{"X-Up", "v"}))
			more := p.block([][2]string{{"x-more", "v"}})
			p.write(func(fr *http2.Framer) error {
				if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b}); err != nil {
					return err
				}
				return fr.WriteContinuation(1, true, more)
			})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := NewServer(Config{}, func(s *Stream) { s.WriteStatus(0, "", nil) }, nil)
			defer srv.Close()
			p := serveRaw(t, srv, true)
			c.send(p)
			for _, f := range p.endsWithGoAway(c.code) {
				if f.typ == http2.FrameHeaders {
					t.Errorf("a response: %v", f)
				}
			}
		})
	}
}

// TestHeaderBlockAcrossContinuations: a request whose header block spans
// HEADERS and CONTINUATION frames reaches the handler whole, and each
// stream's Header keeps its own fields though the connection reuses its
// decoding buffers.
func TestHeaderBlockAcrossContinuations(t *testing.T) {
	var mu sync.Mutex
	var kept [][]hpack.HeaderField
	srv := NewServer(Config{}, func(s *Stream) {
		mu.Lock()
		kept = append(kept, s.Header)
		mu.Unlock()
		s.WriteStatus(0, "", nil)
	}, nil)
	defer srv.Close()
	p := serveRaw(t, srv, true)
	for i, id := range []uint32{1, 3, 5} {
		v := string(rune('a' + i))
		fields := append(goodRequest[:6:6], [2]string{"x-a", v}, [2]string{"x-b", v + v}, [2]string{"x-c", v + v + v},
			[2]string{"x-d", v}, [2]string{"x-e", v}, [2]string{"x-f", v}) // more than Stream.fbuf holds
		b := p.block(fields)
		p.write(func(fr *http2.Framer) error {
			if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: b[:2]}); err != nil {
				return err
			}
			if err := fr.WriteContinuation(id, false, b[2:5]); err != nil {
				return err
			}
			return fr.WriteContinuation(id, true, b[5:])
		})
		p.write(func(fr *http2.Framer) error { return fr.WriteData(id, true, []byte{0, 0, 0, 0, 0}) })
		p.next(2*time.Second, "response", isHeaders(id))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(kept) != 3 {
		t.Fatalf("%d streams handled", len(kept))
	}
	for i, h := range kept {
		v := string(rune('a' + i))
		want := []string{"content-type=application/grpc", "te=trailers", "x-a=" + v, "x-b=" + v + v, "x-c=" + v + v + v,
			"x-d=" + v, "x-e=" + v, "x-f=" + v}
		if len(h) != len(want) {
			t.Fatalf("stream %d: %d fields %v, want %v", i, len(h), h, want)
		}
		for j, f := range h {
			if f.Name+"="+f.Value != want[j] {
				t.Errorf("stream %d field %d = %s=%s, want %s", i, j, f.Name, f.Value, want[j])
			}
		}
	}
}

// TestStreamWithoutMessages: a request whose HEADERS end the stream (a
// client-streaming call that sends nothing) still runs a streaming
// handler, which answers it; a unary handler runs too (and sees no
// message).
func TestStreamWithoutMessages(t *testing.T) {
	for _, unary := range []bool{false, true} {
		name := "streaming"
		if unary {
			name = "unary"
		}
		t.Run(name, func(t *testing.T) {
			checkGoroutines(t)
			ran := make(chan error, 1)
			srv := NewServer(Config{}, func(s *Stream) {
				_, err := s.Recv(0)
				ran <- err
				s.WriteStatus(0, "", nil)
			}, func(string) bool { return unary })
			p := serveRaw(t, srv, true)
			p.openStreamEnd(1, "test", true)
			select {
			case err := <-ran:
				if err != io.EOF {
					t.Errorf("Recv: %v, want io.EOF", err)
				}
			case <-time.After(2 * time.Second):
				t.Fatal("the handler did not run")
			}
			p.next(time.Second, "trailers", func(f frameInfo) bool {
				return f.typ == http2.FrameHeaders && f.stream == 1 && f.flags.Has(http2.FlagHeadersEndStream)
			})
		})
	}
}

// TestInvalidSettingsEndConnection: a SETTINGS value out of its range
// (RFC 9113 §6.5.2) ends the connection with GOAWAY; a MAX_FRAME_SIZE of 0
// used to make the writer loop for ever.
func TestInvalidSettingsEndConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    http2.Setting
		code http2.ErrCode
	}{
		{"max frame 0", http2.Setting{ID: http2.SettingMaxFrameSize, Val: 0}, http2.ErrCodeProtocol},
		{"max frame too big", http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1 << 24}, http2.ErrCodeProtocol},
		{"window too big", http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 31}, http2.ErrCodeFlowControl},
		{"enable push 2", http2.Setting{ID: http2.SettingEnablePush, Val: 2}, http2.ErrCodeProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := NewServer(Config{}, func(s *Stream) { s.WriteStatus(0, "", nil) }, nil)
			defer srv.Close()
			p := serveRaw(t, srv, true)
			p.write(func(fr *http2.Framer) error { return fr.WriteSettings(tc.s) })
			p.openStream(1, "test")
			p.endsWithGoAway(tc.code)
		})
	}
}

// TestWindowOverflow: a WINDOW_UPDATE that takes a flow-control window
// past 2^31-1 (RFC 9113 §6.9.1) resets the stream, or ends the
// connection for the connection's window.
func TestWindowOverflow(t *testing.T) {
	t.Run("stream", func(t *testing.T) {
		srv := NewServer(Config{}, func(s *Stream) {
			_, _ = s.Recv(2 * time.Second)
			s.WriteStatus(0, "", nil)
		}, nil)
		defer srv.Close()
		p := serveRaw(t, srv, true)
		p.openStream(1, "test")
		p.write(func(fr *http2.Framer) error { return fr.WriteWindowUpdate(1, 1<<31-1) })
		f := p.next(2*time.Second, "RST_STREAM", func(f frameInfo) bool { return f.typ == http2.FrameRSTStream })
		if f.stream != 1 || f.code != http2.ErrCodeFlowControl {
			t.Errorf("%v, want RST_STREAM 1 FLOW_CONTROL_ERROR", f)
		}
	})
	t.Run("connection", func(t *testing.T) {
		srv := NewServer(Config{}, func(s *Stream) { s.WriteStatus(0, "", nil) }, nil)
		defer srv.Close()
		p := serveRaw(t, srv, true)
		p.write(func(fr *http2.Framer) error { return fr.WriteWindowUpdate(0, 1<<31-1) })
		p.endsWithGoAway(http2.ErrCodeFlowControl)
	})
}

// endsWithGoAway waits for the server to close the connection and fails
// the test unless it sent GOAWAY, with code, first; it returns the frames
// that came before the close.
func (p *peer) endsWithGoAway(code http2.ErrCode) []frameInfo {
	p.t.Helper()
	frames := p.waitEOF(2 * time.Second)
	goAway := false
	for _, f := range frames {
		if f.typ == http2.FrameGoAway {
			goAway = true
			if f.code != code {
				p.t.Errorf("GOAWAY %v, want %v", f.code, code)
			}
		}
	}
	if !goAway {
		p.t.Errorf("closed without GOAWAY %v", code)
	}
	return frames
}
