package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// meshFrame puts a MeshHeader with the key-values kv (key, value, ...)
// before inner.
func meshFrame(inner []byte, kv ...string) []byte {
	var info []byte
	info = binary.BigEndian.AppendUint16(info, uint16(len(kv)/2))
	for _, s := range kv {
		info = binary.BigEndian.AppendUint16(info, uint16(len(s)))
		info = append(info, s...)
	}
	b := []byte{0xFF, 0xAF}
	b = binary.BigEndian.AppendUint16(b, uint16(len(info)))
	b = append(b, info...)
	return append(b, inner...)
}

func TestMeshHeader(t *testing.T) {
	framed := readHex(t, "testdata/thrift_echo_framed.req.hex")
	buffered := readHex(t, "testdata/thrift_echo_buffered.req.hex")
	kpb := append([]byte{0, 0, 0, 9, 0x90, 0x01, 0, 1}, "abcde"...) // Framed Kitex Protobuf
	for _, tc := range []struct {
		name    string
		inner   []byte
		framing Framing
		payload Payload
		body    []byte
	}{
		{"framed", framed, Framed, ThriftBinary, framed[4:]},
		{"buffered", buffered, Buffered, ThriftBinary, buffered},
		{"kpb", kpb, Framed, KitexProtobuf, kpb[4:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frame := meshFrame(tc.inner, "rpc-transit-k1", "v1", "from", "proxy")
			var m Message
			n, err := ParseMessage(frame, &m, 0)
			if err != nil || n != len(frame) || m.Size != n {
				t.Fatalf("ParseMessage = %d, %v (size %d); want %d", n, err, m.Size, len(frame))
			}
			if !m.Mesh || m.Framing != tc.framing || m.Payload != tc.payload || !bytes.Equal(m.Body, tc.body) {
				t.Errorf("mesh %v framing %v payload %v body %x", m.Mesh, m.Framing, m.Payload, m.Body)
			}
			if v, _ := m.Header.Str("rpc-transit-k1"); v != "v1" {
				t.Errorf("key rpc-transit-k1 = %q", v)
			}
			if v, _ := m.Header.Str("from"); v != "proxy" {
				t.Errorf("key from = %q", v)
			}
			// Every cut is "need more", never a wrong frame; a known
			// length never exceeds the frame's.
			for i := 0; i < len(frame); i++ {
				n, err := ParseMessage(frame[:i], &m, 0)
				if !errors.Is(err, ErrNeedMore) || n > len(frame) {
					t.Fatalf("%d of %d bytes: %d, %v", i, len(frame), n, err)
				}
			}
			// A Reader resets Mesh for the plain message after it.
			rd := NewReader(bytes.NewReader(append(frame, framed...)), 0)
			if err := rd.ReadMessage(&m); err != nil || !m.Mesh {
				t.Fatalf("first: %v, mesh %v", err, m.Mesh)
			}
			if err := rd.ReadMessage(&m); err != nil || m.Mesh || m.Framing != Framed || len(m.Header.Strs) != 0 {
				t.Fatalf("second: %v, mesh %v, framing %v, %d keys", err, m.Mesh, m.Framing, len(m.Header.Strs))
			}
		})
	}
}

func TestMeshHeaderMalformed(t *testing.T) {
	framed := readHex(t, "testdata/thrift_echo_framed.req.hex")
	good := meshFrame(framed, "k", "v")
	overrun := bytes.Clone(good)
	overrun[5] = 3 // three key-values in the room of one
	shortKey := bytes.Clone(good)
	shortKey[7] = 200 // a key longer than the header
	for name, b := range map[string][]byte{
		"count overruns": overrun,
		"key overruns":   shortKey,
		"inner garbage":  meshFrame([]byte("garbage!garbage!"), "k", "v"),
	} {
		var m Message
		if _, err := ParseMessage(b, &m, 0); !errors.Is(err, ErrInvalidFrame) {
			t.Errorf("%s: %v, want ErrInvalidFrame", name, err)
		}
	}
	var m Message
	if _, err := ParseMessage(good, &m, len(good)-1); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("over the limit: %v, want ErrFrameTooLarge", err)
	}
}
