package kite_test

import (
	"context"
	"encoding/binary"
	"math/rand"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/ttheader"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// openFDs returns the number of open descriptors, or -1 without /proc.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// callFrame encodes an Echo call; ooo sets TTHeader's SupportOutOfOrder
// flag, as a mux client does.
func callFrame(b []byte, f transport.Framing, seq int32, msg string, ooo bool) []byte {
	return actionFrame(b, f, seq, "echo", msg, ooo)
}

// actionFrame is callFrame with the handler's action.
func actionFrame(b []byte, f transport.Framing, seq int32, action, msg string, ooo bool) []byte {
	start := len(b)
	h := &ttheader.Header{SeqID: seq}
	if ooo {
		h.Flags = ttheader.FlagSupportOutOfOrder
	}
	b, _ = transport.BeginFrame(b, f, h)
	b = thrift.AppendMessageBegin(b, thrift.Binary, "Echo", thrift.Call, seq)
	b = thrift.Append(b, thrift.Binary, &echoserver.EchoArgs{Req: &echo.Request{Action: action, Msg: msg}})
	transport.EndFrame(b, start, f)
	return b
}

// TestServerSurvivesHostileClients runs, for a second and a half, clients
// that mix correct pipelined calls (out-of-order ones with slow calls
// among them, which the poller hands off) with garbage, frames cut short,
// connections reset with requests in flight, absurd frame lengths and
// callers that never read their replies. Every correct caller must get
// its replies, in order unless it asked otherwise; afterwards the server
// still serves, and shutting it down leaves no goroutine or descriptor
// behind.
func TestServerSurvivesHostileClients(t *testing.T) {
	leakCheck(t)
	fds := openFDs()
	srv, addr, served := serveOwn(t, &handler{}, kite.WithLogger(discardLogger()))

	framings := []transport.Framing{transport.Buffered, transport.Framed, transport.TTHeader, transport.TTHeaderFramed}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	stop := time.Now().Add(1500 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed + int64(g)))
			for time.Now().Before(stop) {
				if msg := hostileRound(addr, rng, framings[rng.Intn(len(framings))]); msg != "" {
					select {
					case errs <- msg:
					default:
					}
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}

	c, err := echoserver.NewClient(echoserver.ServiceName, kite.WithHostPorts(addr))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := c.Echo(context.Background(), &echo.Request{Action: "echo", Msg: "still here"}); err != nil || resp.Msg != "still here" {
		t.Errorf("call after the hostile clients: %v, %v", resp, err)
	}
	c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	<-served
	if fds >= 0 {
		deadline := time.Now().Add(3 * time.Second)
		for openFDs() > fds && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := openFDs(); n > fds {
			t.Errorf("descriptors: %d before, %d after", fds, n)
		}
	}
}

// timedOut reads c until it ends and reports whether its deadline passed
// first (the server neither closed nor stopped sending).
func timedOut(c net.Conn) bool {
	var buf [4096]byte
	for {
		_, err := c.Read(buf[:])
		if err != nil {
			ne, ok := err.(net.Error)
			return ok && ne.Timeout()
		}
	}
}

// hostileRound opens one connection and does one thing to the server,
// chosen by rng; it returns what went wrong for a caller that behaved.
func hostileRound(addr string, rng *rand.Rand, f transport.Framing) string {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return "dial: " + err.Error()
	}
	c := nc.(*net.TCPConn)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	n := 1 + rng.Intn(20)
	ooo := f.HasTTHeader() && rng.Intn(2) == 0
	var b []byte
	for i := 0; i < n; i++ {
		action := "echo"
		if ooo && rng.Intn(4) == 0 {
			action = "nap" // slower than the poller's in-line hand-off delay
		}
		b = actionFrame(b, f, int32(i+1), action, strconv.Itoa(i)+string(make([]byte, rng.Intn(3000))), ooo)
	}
	switch rng.Intn(7) {
	case 0, 1: // a caller that behaves: pipelined calls, every reply read
		if _, err := c.Write(b); err != nil {
			return "write: " + err.Error()
		}
		rd := transport.NewReader(c, 0)
		var m transport.Message
		seen := make(map[int32]bool, n)
		for i := 0; i < n; i++ {
			if err := rd.ReadMessage(&m); err != nil {
				return f.String() + ": reply " + strconv.Itoa(i) + " of " + strconv.Itoa(n) + ": " + err.Error()
			}
			_, typ, seq, _, err := thrift.ConsumeMessageBegin(m.Body, thrift.Binary)
			if err != nil || typ != thrift.Reply || seen[seq] || seq < 1 || int(seq) > n {
				return f.String() + ": bad reply seq " + strconv.Itoa(int(seq))
			}
			if !ooo && seq != int32(i+1) {
				return f.String() + ": reply out of order"
			}
			seen[seq] = true
		}
	case 2: // garbage, then close
		g := make([]byte, 1+rng.Intn(4096))
		rng.Read(g)
		_, _ = c.Write(g)
	case 3: // a frame cut short, then half-close or close
		_, _ = c.Write(b[:rng.Intn(len(b))])
		if rng.Intn(2) == 0 {
			_ = c.CloseWrite()
			if timedOut(c) {
				return f.String() + ": the server kept a half-closed connection with a cut frame open"
			}
		}
	case 4: // requests in flight, then a reset
		_, _ = c.Write(b)
		time.Sleep(time.Duration(rng.Intn(3)) * time.Millisecond)
		_ = c.SetLinger(0)
	case 5: // a frame that claims to be huge
		var h [4]byte
		binary.BigEndian.PutUint32(h[:], 0x7ffffff0)
		_, _ = c.Write(append(h[:], b...))
		if timedOut(c) {
			return "the server kept a connection with a 2 GiB frame length open"
		}
	case 6: // many calls, replies never read, then close
		for i := 0; i < 8; i++ {
			if _, err := c.Write(b); err != nil {
				break
			}
		}
	}
	return ""
}
