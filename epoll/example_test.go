package epoll_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/kite-rpc/kite/epoll"
)

// echoFrames answers each length-prefixed frame the input holds with the
// same frame. It runs only when input has arrived, consumes the whole
// frames it finds and returns; a partial frame waits in the input for the
// rest, and between frames the connection has no goroutine.
func echoFrames(c *epoll.Conn) {
	for {
		hdr, err := c.Peek(4)
		if err != nil {
			break // fewer than 4 bytes here yet
		}
		n := 4 + int(binary.BigEndian.Uint32(hdr))
		frame, err := c.Peek(n)
		if err != nil {
			break // the rest of the frame has not arrived
		}
		copy(c.Malloc(n), frame) // encode the reply in place in the output
		c.Skip(n)
	}
	c.Release()   // the bytes Peek returned are not used after this
	_ = c.Flush() // one writev for every reply of this run; never blocks
	if c.PeerClosed() {
		_ = c.Close()
	}
}

// A length-prefixed echo server on the poller, and a client dialled on it.
func ExampleConn_Serve() {
	p := epoll.New(0) // loops from GOMAXPROCS; they start with the first connection
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	ln, err := p.NewListener(nl)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.AcceptConn()
			if err != nil {
				return // the listener closed
			}
			c.Serve(echoFrames, nil, time.Minute) // closed after a minute without input
		}
	}()

	conn, err := (&epoll.Dialer{Poller: p, Timeout: time.Second}).DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	msg := []byte("hello, poller")
	if _, err := conn.Write(binary.BigEndian.AppendUint32(nil, uint32(len(msg)))); err != nil {
		log.Fatal(err)
	}
	if _, err := conn.Write(msg); err != nil { // the server sees the frame whole, whatever the split
		log.Fatal(err)
	}
	reply := make([]byte, 4+len(msg))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(conn, reply); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", reply[4:])
	// Output: hello, poller
}
