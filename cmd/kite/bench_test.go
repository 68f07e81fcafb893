package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
)

var resultLine = regexp.MustCompile(`(?m)^qps=(\d+) p50_us=\d+ p90_us=\d+ p99_us=\d+ p999_us=\d+ max_us=\d+ errors=(\d+) calls=(\d+)$`)

func TestBenchEmbedded(t *testing.T) {
	var out bytes.Buffer
	if err := bench([]string{"-d", "200ms", "-c", "2", "-size", "128", "-q"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	m := resultLine.FindStringSubmatch(out.String())
	if m == nil || m[2] != "0" || m[3] == "0" {
		t.Fatalf("bench output:\n%s", out.String())
	}
}

func TestBenchSpreadsOverInstances(t *testing.T) {
	var addrs []string
	for i := 0; i < 3; i++ {
		srv, err := newEchoServer()
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		defer srv.Shutdown(context.Background())
		addrs = append(addrs, ln.Addr().String())
	}
	// 64 callers are 64 hash keys: every instance gets some under "hash"
	// too (8 keys missed one of three instances one run in ten).
	for _, lb := range []string{"wrr", "random", "hash", "p2c"} {
		var out bytes.Buffer
		err := bench([]string{"-addr", strings.Join(addrs, ","), "-lb", lb, "-retry", "2", "-d", "200ms", "-c", "64", "-q"}, &out, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		m := resultLine.FindStringSubmatch(out.String())
		if m == nil || m[2] != "0" {
			t.Fatalf("%s: bench output:\n%s", lb, out.String())
		}
		for _, a := range addrs {
			if !strings.Contains(out.String(), a+"=") {
				t.Errorf("%s: no calls reached %s:\n%s", lb, a, out.String())
			}
		}
	}
	if err := bench([]string{"-lb", "nope"}, io.Discard, io.Discard); err == nil {
		t.Error("unknown -lb accepted")
	}
}

// With -qps the calls due before the end are all made, and no more: 400 a
// second for half a second is 200 calls, whatever the callers' speed.
func TestBenchRate(t *testing.T) {
	var out bytes.Buffer
	if err := bench([]string{"-d", "500ms", "-c", "4", "-qps", "400", "-q"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	m := resultLine.FindStringSubmatch(out.String())
	if m == nil || m[2] != "0" || m[3] != "200" {
		t.Fatalf("want 200 calls without errors; bench output:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "rate=400") {
		t.Errorf("the title does not give the rate:\n%s", out.String())
	}
	if err := bench([]string{"-qps", "-1"}, io.Discard, io.Discard); err == nil {
		t.Error("-qps -1 accepted")
	}
}
