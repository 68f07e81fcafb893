package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// The raw generator against the embedded server, every framing it takes,
// closed loop and paced: no errors, and paced exactly the calls due.
func TestBenchRaw(t *testing.T) {
	for _, tr := range []string{"framed", "ttheader", "ttheader-framed"} {
		for _, proto := range []string{"binary", "compact"} {
			t.Run(tr+"/"+proto, func(t *testing.T) {
				var out bytes.Buffer
				args := []string{"-raw", "-transport", tr, "-protocol", proto, "-c", "3", "-size", "300", "-d", "300ms", "-q"}
				if err := bench(args, &out, io.Discard); err != nil {
					t.Fatal(err)
				}
				m := resultLine.FindStringSubmatch(out.String())
				if m == nil || m[2] != "0" || m[3] == "0" || !strings.HasPrefix(out.String(), "raw ") {
					t.Fatalf("bench output:\n%s", out.String())
				}
				out.Reset()
				if err := bench(append(args, "-qps", "200"), &out, io.Discard); err != nil {
					t.Fatal(err)
				}
				m = resultLine.FindStringSubmatch(out.String())
				if m == nil || m[2] != "0" || m[3] != "60" {
					t.Fatalf("want 60 calls without errors; bench output:\n%s", out.String())
				}
			})
		}
	}
	for _, bad := range [][]string{
		{"-raw", "-transport", "buffered"},
		{"-raw", "-mux", "2"},
		{"-raw", "-retry", "1"},
		{"-raw", "-lb", "p2c"},
	} {
		if err := bench(append(bad, "-d", "100ms", "-q"), io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// rawRunners are the generators a test can run here: the one rawRun picks
// for this system and the portable one.
var rawRunners = map[string]func(*rawEcho, []string, int, time.Duration, int, io.Writer) (load, error){
	"rawRun":    rawRun,
	"rawRunNet": rawRunNet,
}

// settledFDs is the number of open files once the in-process server has
// closed the connections of an earlier run (it does when it reads their EOF).
func settledFDs(t *testing.T) int {
	n := openFDs(t)
	for i := 0; i < 50; i++ {
		time.Sleep(50 * time.Millisecond)
		m := openFDs(t)
		if m == n {
			return n
		}
		n = m
	}
	return n
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// Both generators: replies larger than the first buffer, paced and closed
// loop, and every socket closed at the end.
func TestRawRunners(t *testing.T) {
	addr, stop := startEchoServer(t)
	defer stop()
	for name, run := range rawRunners {
		t.Run(name, func(t *testing.T) {
			e, err := newRawEcho(transport.TTHeaderFramed, thrift.Binary, 20000)
			if err != nil {
				t.Fatal(err)
			}
			fds := settledFDs(t)
			r, err := run(e, []string{addr, addr}, 5, 200*time.Millisecond, 0, nil)
			if err != nil || r.errs != 0 || r.calls == 0 || int64(len(r.lat)) != r.calls {
				t.Fatalf("closed loop: %d calls, %d errors (%v), %d latencies, err %v", r.calls, r.errs, r.firstErr, len(r.lat), err)
			}
			r, err = run(e, []string{addr}, 5, 300*time.Millisecond, 100, nil)
			if err != nil || r.errs != 0 || r.calls != 30 {
				t.Fatalf("paced: %d calls (want 30), %d errors (%v), err %v", r.calls, r.errs, r.firstErr, err)
			}
			// The in-process server closes its side once it reads the EOF.
			for deadline := time.Now().Add(5 * time.Second); openFDs(t) != fds; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("open files %d before, %d after", fds, openFDs(t))
				}
			}
		})
	}
}

// fakeServer answers each request frame on a connection with reply(req);
// a nil answer closes the connection, and reply may block.
func fakeServer(t *testing.T, reply func(req []byte) []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			go func() {
				defer c.Close()
				for {
					var n [4]byte
					if _, err := io.ReadFull(c, n[:]); err != nil {
						return
					}
					req := make([]byte, 4+binary.BigEndian.Uint32(n[:]))
					copy(req, n[:])
					if _, err := io.ReadFull(c, req[4:]); err != nil {
						return
					}
					out := reply(req)
					if out == nil {
						return
					}
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// framedReply is a Framed Thrift binary message of type typ holding s.
func framedReply(typ thrift.MessageType, s thrift.Struct) []byte {
	b := []byte{0, 0, 0, 0}
	b = thrift.AppendMessageBegin(b, thrift.Binary, echoserver.MethodEcho, typ, rawSeq)
	b = thrift.Append(b, thrift.Binary, s)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// A server that answers wrongly, closes or never answers makes the run end
// with the error, on both generators; none hangs.
func TestRawBadReplies(t *testing.T) {
	defer func(g time.Duration) { rawGrace = g }(rawGrace)
	rawGrace = 300 * time.Millisecond
	block := make(chan struct{})
	defer close(block)
	cases := []struct {
		name  string
		reply func([]byte) []byte
		want  error // nil: any error
	}{
		{"closes", func([]byte) []byte { return nil }, nil},
		{"exception", func([]byte) []byte {
			return framedReply(thrift.Exception, &thrift.ApplicationException{Message: "no", Type: thrift.ExInternalError})
		}, errRawReply},
		{"other message", func([]byte) []byte {
			return framedReply(thrift.Reply, &echoserver.EchoResult{Success: &echo.Response{Msg: "other"}})
		}, errRawReply},
		{"huge frame", func([]byte) []byte { return []byte{0x7f, 0xff, 0xff, 0xff, 0} }, errRawReply},
		{"garbage", func([]byte) []byte { return []byte{0, 0, 0, 3, 1, 2, 3} }, errRawReply},
		{"silent", func([]byte) []byte { <-block; return nil }, nil},
	}
	for _, tc := range cases {
		addr := fakeServer(t, tc.reply)
		for name, run := range rawRunners {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				e, err := newRawEcho(transport.Framed, thrift.Binary, 10)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				r, err := run(e, []string{addr}, 2, 100*time.Millisecond, 0, nil)
				if err == nil {
					if r.errs == 0 {
						t.Fatalf("no error: %d calls", r.calls)
					}
					err = r.firstErr
				}
				if tc.want != nil && !errors.Is(err, tc.want) {
					t.Errorf("error %v, want %v", err, tc.want)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("took %v", d)
				}
			})
		}
	}
}

// The correct reply is what the echo server sends back.
func TestRawEchoCheck(t *testing.T) {
	e, err := newRawEcho(transport.Framed, thrift.Binary, 5)
	if err != nil {
		t.Fatal(err)
	}
	good := framedReply(thrift.Reply, &echoserver.EchoResult{Success: &echo.Response{Msg: "kkkkk"}})
	if err := e.check(good); err != nil {
		t.Fatal(err)
	}
	if e.ref == nil || e.check(good) != nil {
		t.Fatal("the first correct reply is not kept as the reference")
	}
	bad := append([]byte(nil), good...)
	bad[len(bad)-3] = 'x'
	if err := e.check(bad); !errors.Is(err, errRawReply) {
		t.Errorf("a changed message: %v", err)
	}
}

// A frame that arrives on a connection with no call in flight is an error
// of the epoll generator's (paced, connections wait idle between calls).
func TestRawUnaskedFrame(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the goroutine-per-connection generator reads it as the next reply")
	}
	good := framedReply(thrift.Reply, &echoserver.EchoResult{Success: &echo.Response{Msg: strings.Repeat("k", 10)}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer func() { <-done }()
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		// Every request is answered; the second (the first timed one) gets
		// its answer twice, the second time once the generator is idle.
		buf := make([]byte, 4096)
		for i := 0; ; i++ {
			if _, err := c.Read(buf); err != nil {
				return
			}
			c.Write(good)
			if i == 1 {
				time.Sleep(20 * time.Millisecond)
				c.Write(good)
			}
		}
	}()
	addr := ln.Addr().String()
	e, err := newRawEcho(transport.Framed, thrift.Binary, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer func(g time.Duration) { rawGrace = g }(rawGrace)
	rawGrace = time.Second
	r, err := rawRun(e, []string{addr}, 1, 300*time.Millisecond, 10, nil)
	if err == nil {
		err = r.firstErr
	}
	if !errors.Is(err, errRawReply) {
		t.Fatalf("error %v, want a bad reply", err)
	}
}
