package ttheader_test

import (
	"fmt"

	"github.com/kite-rpc/kite/codec/ttheader"
)

func Example() {
	// Encode a reply header, then the payload, then fix up LENGTH.
	h := ttheader.Header{SeqID: 7}
	h.SetStr(ttheader.KeyConnReset, "1")
	h.SetInt(ttheader.MsgType, "3")
	frame, err := ttheader.AppendHeader(nil, &h)
	if err != nil {
		panic(err)
	}
	frame = append(frame, "payload"...)
	ttheader.SetLength(frame)

	// Decode it again, reusing one Header.
	var got ttheader.Header
	off, n, err := ttheader.ConsumeHeader(frame, &got)
	if err != nil {
		panic(err)
	}
	crrst, _ := got.Str(ttheader.KeyConnReset)
	msgType, _ := got.Int(ttheader.MsgType)
	fmt.Printf("seq=%d crrst=%s msgType=%s payload=%q\n", got.SeqID, crrst, msgType, frame[off:n])
	// Output: seq=7 crrst=1 msgType=3 payload="payload"
}

func ExampleConsumeHeader_short() {
	frame := []byte{0, 0, 0, 0x30, 0x10, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 0} // 16 of 18 header bytes
	var h ttheader.Header
	off, n, err := ttheader.ConsumeHeader(frame, &h)
	fmt.Println(off, n, err)
	// Output: 18 52 ttheader: need more bytes
}
