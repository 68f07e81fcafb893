package grpc

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
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
	e := newEncTable()
	var b []byte
	b = append(b, blockStatus200...)
	b = e.appendIndexed(b, "content-type", "application/grpc")
	b = e.appendStatus(b, 13, "boom [biz error]")
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

// TestEncTableTracksDecoder encodes blocks of indexed fields, with the
// peer's table size changing between some of them, and decodes them with
// one x/net decoder: every block must decode to its fields, so the
// encoder's view of the dynamic table (indexes, evictions, size updates)
// matches the decoder's.
func TestEncTableTracksDecoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	e := newEncTable()
	dec := hpack.NewDecoder(4096, nil)
	limits := []uint32{4096, 0, 100, 64, 8192, 300, 4096}
	indexed := 0
	for round := 0; round < 2000; round++ {
		if rng.IntN(20) == 0 {
			// Like SETTINGS: several changes may come between two blocks.
			for k := rng.IntN(3); k >= 0; k-- {
				v := limits[rng.IntN(len(limits))]
				e.setLimit(v)
				dec.SetAllowedMaxDynamicTableSize(v)
			}
		}
		var want []string
		b := e.startBlock(nil)
		for k := rng.IntN(6); k >= 0; k-- {
			name := []string{":path", ":authority", "content-type", "te", "x-k"}[rng.IntN(5)]
			value := "v" + strconv.Itoa(rng.IntN(6))
			if rng.IntN(30) == 0 {
				value = string(bytes.Repeat([]byte("w"), 200+rng.IntN(3000)))
			}
			before := len(b)
			if rng.IntN(4) == 0 {
				b = appendField(b, name, value)
			} else {
				b = e.appendIndexed(b, name, value)
			}
			if b[before]&0x80 != 0 {
				indexed++
			}
			want = append(want, name+"="+value)
		}
		fields, err := dec.DecodeFull(b)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(fields) != len(want) {
			t.Fatalf("round %d: %d fields, want %d", round, len(fields), len(want))
		}
		for i, f := range fields {
			if f.Name+"="+f.Value != want[i] {
				t.Fatalf("round %d field %d = %s=%.20s, want %.20s", round, i, f.Name, f.Value, want[i])
			}
		}
	}
	if indexed < 1000 {
		t.Errorf("only %d of the fields came from the dynamic table", indexed)
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
