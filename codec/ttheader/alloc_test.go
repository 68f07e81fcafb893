//go:build !race

package ttheader_test

import (
	"runtime"
	"testing"

	"github.com/kite-rpc/kite/codec/ttheader"
)

func TestAllocs(t *testing.T) {
	richReq := vectorNamed(t, "thrift_echo_ttheader.req")
	reply := vectorNamed(t, "thrift_echo_ttheader.resp")
	metaReq := vectorNamed(t, "thrift_echo_ttheader_metainfo.req")
	bizReply := vectorNamed(t, "thrift_bizerror_ttheader.resp")
	var rich ttheader.Header
	if _, _, err := ttheader.ConsumeHeader(richReq, &rich); err != nil {
		t.Fatal(err)
	}

	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() {
		buf, _ = ttheader.AppendHeader(buf[:0], &rich)
		ttheader.SetLength(buf)
	}); n != 0 {
		t.Errorf("AppendHeader into a reused buffer: %v allocs, want 0", n)
	}

	var h ttheader.Header
	decode := []struct {
		name  string
		frame []byte
		max   float64
	}{
		{"empty header", hx("00 00 00 30 10 00 00 00 00 00 00 03 00 01 00 00 00 00"), 0},
		{"MsgType reply", reply, 0},
		{"rich request", richReq, 1},
		{"metainfo request", metaReq, 1},
		{"biz status reply", bizReply, 1},
	}
	for _, tc := range decode {
		if _, _, err := ttheader.ConsumeHeader(tc.frame, &h); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() {
			ttheader.ConsumeHeader(tc.frame, &h)
		}); n > tc.max {
			t.Errorf("ConsumeHeader %s into a reused Header: %v allocs, want <= %v", tc.name, n, tc.max)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		ttheader.ConsumeHeader(richReq[:20], &h)
	}); n != 0 {
		t.Errorf("ConsumeHeader short: %v allocs, want 0", n)
	}
}

// TestHostileCountsDoNotAllocate checks that claimed counts and lengths do
// not drive allocation: a header claiming 65535 pairs but holding few bytes
// must fail without allocating memory for the claim.
func TestHostileCountsDoNotAllocate(t *testing.T) {
	frames := [][]byte{
		hx("00 00 00 12 10 00 00 00 00 00 00 03 00 02 00 00 01 ff ff 00 00 00 00 00"),
		hx("00 00 00 12 10 00 00 00 00 00 00 03 00 02 00 00 10 ff ff 00 01 00 00 00"),
		hx("00 00 00 12 10 00 00 00 00 00 00 03 00 02 00 00 01 00 01 ff ff 00 00 00"),
		hx("00 00 00 12 10 00 00 00 00 00 00 03 00 02 00 00 11 ff ff 00 00 00 00 00"),
	}
	var h ttheader.Header
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 100; i++ {
		for _, f := range frames {
			if _, _, err := ttheader.ConsumeHeader(f, &h); err == nil {
				t.Fatal("hostile header accepted")
			}
		}
	}
	runtime.ReadMemStats(&after)
	if perCall := (after.TotalAlloc - before.TotalAlloc) / 400; perCall > 1024 {
		t.Errorf("%d bytes allocated per hostile header", perCall)
	}
}
