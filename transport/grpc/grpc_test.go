package grpc

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"
)

func TestTimeoutRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{time.Nanosecond, 999157 * time.Microsecond, time.Second, 3 * time.Hour, 200 * time.Hour} {
		s := EncodeTimeout(d)
		got, ok := DecodeTimeout(s)
		if !ok || got < d || len(s) > 9 {
			t.Errorf("%v -> %q -> %v", d, s, got)
		}
	}
	if d, ok := DecodeTimeout("999157u"); !ok || d != 999157*time.Microsecond {
		t.Error(d, ok)
	}
	for _, bad := range []string{"", "1", "1x", "123456789S", "-1S"} {
		if _, ok := DecodeTimeout(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestGRPCMessageEncoding(t *testing.T) {
	for _, m := range []string{"", "plain", "100%", "naïve\n", "\x00\xff"} {
		if got := decodeGRPCMessage(encodeGRPCMessage(m)); got != m {
			t.Errorf("%q -> %q", m, got)
		}
	}
	if e := encodeGRPCMessage("a%b\n"); e != "a%25b%0A" {
		t.Error(e)
	}
}

// TestHeaderBlocks decodes the hand-encoded blocks with x/net's decoder.
func TestHeaderBlocks(t *testing.T) {
	var b []byte
	b = append(b, blockStatus200...)
	b = append(b, blockContentType...)
	b = appendStatus(b, 13, "boom [biz error]")
	b = appendField(b, "x-long", string(bytes.Repeat([]byte("v"), 300)))
	fields, err := hpack.NewDecoder(4096, nil).DecodeFull(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{":status=200", "content-type=application/grpc", "grpc-status=13", "grpc-message=boom [biz error]", "x-long=" + string(bytes.Repeat([]byte("v"), 300))}
	for i, f := range fields {
		if f.Name+"="+f.Value != want[i] {
			t.Errorf("field %d = %s=%s, want %s", i, f.Name, f.Value, want[i])
		}
	}
}

// TestSlowReaderBoundsBuffering checks flow control: a server handler that
// does not read makes the client's Send block once the stream window is
// full, instead of either side buffering.
func TestSlowReaderBoundsBuffering(t *testing.T) {
	release := make(chan struct{})
	srv := NewServer(Config{InitialWindowSize: 64 << 10}, func(s *Stream) {
		<-release
		for {
			if _, err := s.Recv(0); err != nil {
				break
			}
		}
		s.WriteStatus(0, "", nil)
	}, nil)
	cn, sn := net.Pipe()
	done := make(chan struct{})
	go func() { srv.ServeConn(sn, nil); close(done) }()
	cc := NewClientConn(cn, Config{})
	st, err := cc.NewStream(context.Background(), &Request{Path: "/p.S/M"})
	if err != nil {
		t.Fatal(err)
	}
	msg := make([]byte, 16<<10)
	sent := make(chan int, 100)
	go func() {
		for i := 0; i < 40; i++ {
			if err := st.Send(msg, i == 39); err != nil {
				return
			}
			sent <- i
		}
	}()
	time.Sleep(200 * time.Millisecond)
	if n := len(sent); n > 8 {
		t.Fatalf("%d messages of 16 KiB went out against a 64 KiB window with nobody reading", n)
	}
	close(release)
	for i := 0; i < 40; i++ {
		select {
		case <-sent:
		case <-time.After(5 * time.Second):
			t.Fatal("sender stuck after the reader started")
		}
	}
	if _, err := st.Recv(time.Second); !IsEOF(err) {
		t.Fatalf("status: %v", err)
	}
	_ = cc.Close()
	srv.Close()
	<-done
	var _ io.Reader
}
