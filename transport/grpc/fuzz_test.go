package grpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// fuzzFrames builds the frames a client might send after its preface:
// write adds frames with the Framer, block encodes header fields.
func fuzzFrames(write func(fr *http2.Framer, block func(...string) []byte)) []byte {
	var out, hb bytes.Buffer
	fr := http2.NewFramer(&out, nil)
	enc := hpack.NewEncoder(&hb)
	write(fr, func(kv ...string) []byte {
		hb.Reset()
		for i := 0; i+1 < len(kv); i += 2 {
			_ = enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
		}
		return append([]byte(nil), hb.Bytes()...)
	})
	return out.Bytes()
}

var fuzzRequest = []string{":method", "POST", ":scheme", "http", ":path", "/p.S/M", ":authority", "x",
	"content-type", "application/grpc", "te", "trailers", "grpc-timeout", "1S"}

func fuzzMessage(msg string) []byte {
	b := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(b[1:], uint32(len(msg)))
	return append(b, msg...)
}

// FuzzServerConn feeds a server connection the client preface, SETTINGS
// and then arbitrary frames: header blocks (decoded by Kite's own code),
// messages, flow control, pings. It must not panic, and once the peer
// closes, the connection must end (handlers included) within a bound.
func FuzzServerConn(f *testing.F) {
	f.Add(fuzzFrames(func(fr *http2.Framer, block func(...string) []byte) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(fuzzRequest...), EndHeaders: true})
		_ = fr.WriteData(1, true, fuzzMessage("hello"))
	}))
	f.Add(fuzzFrames(func(fr *http2.Framer, block func(...string) []byte) {
		b := block(fuzzRequest...)
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:3]})
		_ = fr.WriteContinuation(1, false, b[3:6])
		_ = fr.WriteContinuation(1, true, b[6:])
		_ = fr.WriteData(1, false, fuzzMessage("a"))
		_ = fr.WriteData(1, true, fuzzMessage("bb"))
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: block(fuzzRequest...), EndHeaders: true, EndStream: true})
	}))
	f.Add(fuzzFrames(func(fr *http2.Framer, block func(...string) []byte) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0xff, 0xff, 0xff, 0x7f}, EndHeaders: true})
	}))
	f.Add(fuzzFrames(func(fr *http2.Framer, block func(...string) []byte) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(":path", "/x", ":method", "POST", "Bad", "v"), EndHeaders: true})
		_ = fr.WritePing(false, [8]byte{1})
		_ = fr.WriteWindowUpdate(0, 1<<20)
		_ = fr.WriteRSTStream(1, http2.ErrCodeCancel)
		_ = fr.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 0})
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 5, BlockFragment: block(fuzzRequest...), EndHeaders: true})
		_ = fr.WriteData(5, true, []byte{0, 0, 0})
	}))
	f.Fuzz(func(t *testing.T, frames []byte) {
		srv := NewServer(Config{}, func(s *Stream) {
			for {
				if _, err := s.Recv(time.Second); err != nil {
					break
				}
			}
			s.WriteStatus(0, "", nil)
		}, func(path string) bool { return len(path)%2 == 0 })
		defer srv.Close()
		cli, sv := net.Pipe()
		served := make(chan struct{})
		go func() { srv.ServeConn(sv, nil); close(served) }()
		go func() { _, _ = io.Copy(io.Discard, cli) }()
		go func() {
			var settings bytes.Buffer
			_ = http2.NewFramer(&settings, nil).WriteSettings()
			_, _ = cli.Write([]byte(http2.ClientPreface))
			_, _ = cli.Write(settings.Bytes())
			_, _ = cli.Write(frames)
			_ = cli.Close()
		}()
		select {
		case <-served:
		case <-time.After(10 * time.Second):
			t.Fatal("ServeConn did not return after the peer closed")
		}
	})
}

// FuzzClientConn answers a client connection with SETTINGS and then
// arbitrary frames (response headers, messages, trailers, resets, GOAWAY,
// pings), while the client makes a call on stream 1 and another as it
// can. The client must not panic, and once the server side closes, its
// calls must end and the connection close within a bound.
func FuzzClientConn(f *testing.F) {
	resp := []string{":status", "200", "content-type", "application/grpc"}
	f.Add(fuzzFrames(func(fr *http2.Framer, block func(...string) []byte) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(resp...), EndHeaders: true})
		_ = fr.WriteData(1, false, fuzzMessage("reply"))
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block("grpc-status", "0"), EndHeaders: true, EndStream: true})
	}))
	f.Add(fuzzFrames(func(fr *http2.Framer, block func(...string) []byte) {
		b := block(":status", "200", "content-type", "application/grpc", "grpc-status", "13", "grpc-message", "boom")
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:4], EndStream: true})
		_ = fr.WriteContinuation(1, true, b[4:])
		_ = fr.WriteGoAway(1, http2.ErrCodeEnhanceYourCalm, []byte("too_many_pings"))
	}))
	f.Add(fuzzFrames(func(fr *http2.Framer, block func(...string) []byte) {
		_ = fr.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 0}, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 1})
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(":status", "503"), EndHeaders: true})
		_ = fr.WriteRSTStream(3, 1000)
		_ = fr.WritePing(false, [8]byte{9})
		_ = fr.WriteWindowUpdate(1, 100)
		_ = fr.WriteData(1, true, []byte{1, 0, 0, 0, 9, 'x'})
	}))
	f.Fuzz(func(t *testing.T, frames []byte) {
		cli, sv := net.Pipe()
		cc := NewClientConn(cli, Config{})
		defer cc.Close()
		go func() { _, _ = io.Copy(io.Discard, sv) }()
		go func() {
			var settings bytes.Buffer
			fr := http2.NewFramer(&settings, nil)
			_ = fr.WriteSettings()
			_ = fr.WriteSettingsAck()
			_, _ = sv.Write(settings.Bytes())
			_, _ = sv.Write(frames)
			_ = sv.Close()
		}()
		calls := make(chan struct{}, 2)
		for i := 0; i < 2; i++ {
			go func() {
				defer func() { calls <- struct{}{} }()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				s, err := cc.NewStream(ctx, &Request{Path: "/p.S/M", Authority: "x"})
				if err != nil {
					return
				}
				_ = s.Send(fuzzMessage("req")[5:], true)
				for {
					if _, err := s.Recv(time.Second); err != nil {
						break
					}
				}
				_, _ = s.ResponseHeader()
				_ = s.Trailer()
			}()
		}
		deadline := time.After(10 * time.Second)
		for i := 0; i < 2; i++ {
			select {
			case <-calls:
			case <-deadline:
				t.Fatal("a call did not end after the server closed")
			}
		}
		select {
		case <-cc.Done():
		case <-deadline:
			t.Fatal("the connection did not close after the server did")
		}
	})
}
