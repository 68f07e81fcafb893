package main

import (
	"bytes"
	"encoding/hex"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// TestServerNegativeCases covers WIRE.md §10's negative cases: what Kitex
// answers (nothing, or an exception) and that the connection is closed.
func TestServerNegativeCases(t *testing.T) {
	addr, stop := startEchoServer(t)
	defer stop()

	readMsg := "ReadString: buf too small"
	cases := []struct {
		name  string
		req   []byte
		reply []byte // exact bytes expected before the server closes
	}{
		{"http1", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), nil},
		{"non-strict binary", unhex("00 00 00 04 45 63 68 6f 01 00 00 00 09 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00"), nil},
		{"framed reply to a server", unhex("00 00 00 1e 80 01 00 02 00 00 00 04 45 63 68 6f 00 00 00 02 0c 00 00 0b 00 01 00 00 00 02 68 69 00 00"), nil},
		{"eight zero bytes", make([]byte, 8), nil},
		{"empty frame", unhex("00 00 00 00 80 01 00 01"), nil},
		{"message type 6", unhex("00 00 00 1e 80 01 00 06 00 00 00 04 45 63 68 6f 00 00 00 02 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00"), nil},
		{"body decode error", unhex("00 00 00 1b 80 01 00 01 00 00 00 04 45 63 68 6f 00 00 00 09 0c 00 01 0b 00 01 00 00 00 10 68"),
			append(append(unhex("00 00 00 38 80 01 00 03 00 00 00 04 45 63 68 6f 00 00 00 09 0b 00 01 00 00 00 19"), readMsg...), unhex("08 00 02 00 00 00 07 00")...)},
		{"unknown method framed", unhex("00 00 00 1e 80 01 00 01 00 00 00 04 4e 6f 70 65 00 00 00 06 0c 00 01 0b 00 01 00 00 00 02 68 69 00 00"),
			unhex("00 00 00 3c 80 01 00 03 00 00 00 04 4e 6f 70 65 00 00 00 06 0b 00 01 00 00 00 1d 75 6e 6b 6e 6f 77 6e 20 73 65 72 76 69 63 65 20 2c 20 6d 65 74 68 6f 64 20 4e 6f 70 65 08 00 02 00 00 00 14 00")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write(c.req); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			got, err := io.ReadAll(conn) // until the server closes
			if err != nil {
				t.Fatalf("server did not close the connection: %v (read %x)", err, got)
			}
			if !bytes.Equal(got, c.reply) {
				t.Errorf("reply\n got  %x\n want %x", got, c.reply)
			}
		})
	}
}

// TestCompactAccepted: Kitex closes on compact; Kite answers Apache peers.
func TestCompactAccepted(t *testing.T) {
	addr, stop := startEchoServer(t)
	defer stop()
	// Framed compact CALL Echo seq 9, EchoArgs{Req: {action "echo", msg "hi"}}.
	body := unhex("82 21 09 04 45 63 68 6f 1c 18 04 65 63 68 6f 18 02 68 69 00 00")
	req := append([]byte{0, 0, 0, byte(len(body))}, body...)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write(req)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := io.ReadAtLeast(conn, buf, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := unhex("82 41 09 04 45 63 68 6f 0c 00 18 04 65 63 68 6f 18 02 68 69 00 00")
	if got := buf[4:n]; !bytes.Equal(got, want) {
		t.Errorf("compact reply\n got  %x\n want %x", got, want)
	}
}
