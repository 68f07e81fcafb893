package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/ttheader"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

// rawSeq is the sequence id of every raw request. A raw connection has one
// call in flight, so the id only has to come back; one id for all makes every
// correct reply the same bytes, checked with one compare.
const rawSeq = 1

// rawGrace is how long the raw load waits for a reply, at most (a variable
// for tests); calls unanswered by then count as errors.
var rawGrace = 10 * time.Second

var errRawUnanswered = errors.New("bench: no reply in time")

// rawMaxFrame bounds a reply frame, so a broken peer's length cannot make
// the generator allocate gigabytes.
const rawMaxFrame = 64 << 20

// rawEcho is the request and the reply check of `kite bench -raw`: a load
// generator that writes pre-encoded Echo requests straight to its sockets and
// reads the replies itself (on Linux from one epoll loop per core), without
// the Kite client. It costs the client a read and a write per call and little
// else, so a server, not the one-core client, is what limits the load.
type rawEcho struct {
	framing transport.Framing
	proto   thrift.Protocol
	msg     string
	req     []byte // the request frame
	ref     []byte // the first correct reply frame; later ones are compared to it
}

func newRawEcho(framing transport.Framing, proto thrift.Protocol, size int) (*rawEcho, error) {
	if !framing.HasTTHeader() && !framing.HasLength() {
		return nil, fmt.Errorf("bench: -raw needs a length-prefixed -transport (framed, ttheader or ttheader-framed), not %s", framing)
	}
	e := &rawEcho{framing: framing, proto: proto, msg: strings.Repeat("k", size)}
	args := &echoserver.EchoArgs{Req: &echo.Request{Action: "echo", Msg: e.msg}}
	var b []byte
	if framing.HasTTHeader() {
		h := ttheader.Header{SeqID: rawSeq, ProtocolID: ttheader.ProtocolBinary}
		if proto == thrift.Compact {
			h.ProtocolID = ttheader.ProtocolCompact
		}
		var err error
		if b, err = ttheader.AppendHeader(nil, &h); err != nil {
			return nil, err
		}
	}
	lenAt := -1
	if framing.HasLength() {
		lenAt = len(b)
		b = append(b, 0, 0, 0, 0)
	}
	b = thrift.AppendMessageBegin(b, proto, echoserver.MethodEcho, thrift.Call, rawSeq)
	b = thrift.Append(b, proto, args)
	if lenAt >= 0 {
		binary.BigEndian.PutUint32(b[lenAt:], uint32(len(b)-lenAt-4))
	}
	if framing.HasTTHeader() {
		ttheader.SetLength(b)
	}
	e.req = b
	return e, nil
}

// frameLen reports the length of the frame starting at b, or 0 when b does
// not hold its 4-byte length yet. Both framings start with one.
func frameLen(b []byte) int {
	if len(b) < 4 {
		return 0
	}
	return 4 + int(binary.BigEndian.Uint32(b))
}

// check reports whether frame is a correct reply to the request. A reply
// equal to the first correct one is; any other is decoded.
func (e *rawEcho) check(frame []byte) error {
	if e.ref != nil && bytes.Equal(frame, e.ref) {
		return nil
	}
	if err := e.decode(frame); err != nil {
		return err
	}
	if e.ref == nil {
		e.ref = append([]byte(nil), frame...)
	}
	return nil
}

var errRawReply = errors.New("bench: bad reply")

func (e *rawEcho) decode(frame []byte) error {
	p := frame[4:]
	if e.framing.HasTTHeader() {
		var h ttheader.Header
		off, _, err := ttheader.ConsumeHeader(frame, &h)
		if err != nil {
			return fmt.Errorf("%w: %v", errRawReply, err)
		}
		if h.SeqID != rawSeq {
			return fmt.Errorf("%w: TTHeader sequence id %d, want %d", errRawReply, h.SeqID, rawSeq)
		}
		p = frame[off:]
		if e.framing.HasLength() {
			if len(p) < 4 {
				return fmt.Errorf("%w: short payload", errRawReply)
			}
			p = p[4:]
		}
	}
	name, typ, seq, n, err := thrift.ConsumeMessageBegin(p, e.proto)
	if err != nil {
		return fmt.Errorf("%w: %v", errRawReply, err)
	}
	p = p[n:]
	if typ == thrift.Exception {
		var ex thrift.ApplicationException
		if _, err := thrift.Consume(p, e.proto, &ex); err != nil {
			return fmt.Errorf("%w: exception: %v", errRawReply, err)
		}
		return fmt.Errorf("%w: exception: %s", errRawReply, ex.Message)
	}
	if typ != thrift.Reply || string(name) != echoserver.MethodEcho || seq != rawSeq {
		return fmt.Errorf("%w: message %q type %d seq %d", errRawReply, name, typ, seq)
	}
	var res echoserver.EchoResult
	if _, err := thrift.Consume(p, e.proto, &res); err != nil {
		return fmt.Errorf("%w: %v", errRawReply, err)
	}
	if res.Success == nil || res.Success.Msg != e.msg {
		return fmt.Errorf("%w: the message did not come back", errRawReply)
	}
	return nil
}

// rawRunNet runs the raw load on a goroutine per connection over the net
// package: the generator where there is no epoll, and a check of the epoll
// one.
func rawRunNet(e *rawEcho, addrs []string, conc int, dur time.Duration, rate int, progress io.Writer) (load, error) {
	conns := make([]net.Conn, 0, conc)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < conc; i++ {
		c, err := net.Dial("tcp", addrs[i%len(addrs)])
		if err != nil {
			return load{}, fmt.Errorf("bench: %w", err)
		}
		conns = append(conns, c)
	}
	checks := make([]rawEcho, conc) // a reference reply each: no sharing
	bufs := make([][]byte, conc)
	for i := range checks {
		checks[i] = *e
		bufs[i] = make([]byte, len(e.req)+256)
	}
	// After any error a connection's stream is lost: it is closed, and its
	// later calls fail with that first error.
	lost := make([]error, conc)
	call := func(i int) error {
		c := conns[i]
		if err := c.SetDeadline(time.Now().Add(rawGrace)); err != nil {
			return err
		}
		if _, err := c.Write(e.req); err != nil {
			return err
		}
		b := bufs[i]
		if _, err := io.ReadFull(c, b[:4]); err != nil {
			return err
		}
		fl := frameLen(b)
		if fl > rawMaxFrame {
			return fmt.Errorf("%w: frame of %d bytes", errRawReply, fl)
		}
		if cap(b) < fl {
			b = append(make([]byte, 0, fl), b[:4]...)
			bufs[i] = b
		}
		b = b[:fl]
		if _, err := io.ReadFull(c, b[4:]); err != nil {
			return err
		}
		return checks[i].check(b)
	}
	r := runLoad(conc, dur, rate, progress, func(i int) error {
		if lost[i] != nil {
			return lost[i]
		}
		err := call(i)
		if err != nil {
			lost[i] = err
			conns[i].Close()
		}
		return err
	})
	if r.calls == 0 && r.firstErr != nil {
		return r, fmt.Errorf("bench: %w", r.firstErr)
	}
	return r, nil
}

// rawBench is `kite bench -raw`.
func rawBench(cf clientFlags, addrs []string, conc, size int, dur time.Duration, mux, rate int, lb string, retries int, quiet bool, stdout, stderr io.Writer) error {
	if mux > 0 || retries > 0 || lb != "wrr" {
		return fmt.Errorf("bench: -raw keeps one call in flight per connection: it takes no -mux, -retry or -lb")
	}
	framing, _ := transport.ParseFraming(cf.transport) // checked by options
	proto := thrift.Binary
	if cf.protocol == "compact" {
		proto = thrift.Compact
	}
	e, err := newRawEcho(framing, proto, size)
	if err != nil {
		return err
	}
	var progress io.Writer
	if !quiet {
		progress = stderr
	}
	r, err := rawRun(e, addrs, conc, dur, rate, progress)
	if err != nil {
		return err
	}
	desc := fmt.Sprintf("raw transport=%s protocol=%s c=%d size=%d", cf.transport, cf.protocol, conc, size)
	if rate > 0 {
		desc += fmt.Sprintf(" rate=%d", rate)
	}
	r.report(stdout, stderr, desc)
	return nil
}
