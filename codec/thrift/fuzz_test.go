package thrift_test

import (
	"errors"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
)

// fuzzSeeds returns payloads from the captured vectors and from the
// encoders, in both protocols.
func fuzzSeeds(t testing.TB) (binary, compact [][]byte) {
	files, _ := filepath.Glob(filepath.Join("testdata", "thrift_*.hex"))
	for _, f := range files {
		raw := readHex(t, filepath.Base(f))
		if len(raw) == 0 {
			continue
		}
		binary = append(binary, payload(t, raw))
	}
	rng := rand.New(rand.NewSource(4))
	for i := 0; i < 10; i++ {
		for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
			b := thrift.AppendMessageBegin(nil, p, "Echo", thrift.Call, int32(i))
			b = appendRandom(b, p, thrift.STRUCT, 3, rng)
			if p == thrift.Compact {
				compact = append(compact, b)
			} else {
				binary = append(binary, b)
			}
		}
	}
	compact = append(compact, mustHex("82 21 09 04 45 63 68 6f 00"))
	return binary, compact
}

func FuzzConsumeMessage(f *testing.F) {
	bin, cmp := fuzzSeeds(f)
	for _, b := range bin {
		f.Add(b, false)
	}
	for _, b := range cmp {
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, b []byte, compact bool) {
		p := thrift.Binary
		if compact {
			p = thrift.Compact
		}
		name, typ, seq, n, err := thrift.ConsumeMessageBegin(b, p)
		if err == nil {
			if n > len(b) || len(name) > n {
				t.Fatalf("n %d name %d len %d", n, len(name), len(b))
			}
			if got := thrift.AppendMessageBegin(nil, p, string(name), typ, seq); len(got) > n {
				t.Fatalf("re-encoded envelope longer than the input: % x vs % x", got, b[:n])
			}
		}
		m, err := thrift.SkipMessage(b, p)
		if err != nil {
			return
		}
		if m > len(b) {
			t.Fatalf("SkipMessage %d > %d", m, len(b))
		}
		if m2, err := thrift.SkipMessage(b[:m], p); err != nil || m2 != m {
			t.Fatalf("SkipMessage of its own prefix: %d %v, want %d", m2, err, m)
		}
		if m > 0 {
			if _, err := thrift.SkipMessage(b[:m-1], p); !errors.Is(err, thrift.ErrShort) {
				t.Fatalf("SkipMessage of a cut message: %v", err)
			}
		}
	})
}

func FuzzSkip(f *testing.F) {
	bin, cmp := fuzzSeeds(f)
	for _, b := range bin {
		f.Add(b, false, byte(thrift.STRUCT))
	}
	for _, b := range cmp {
		f.Add(b, true, byte(thrift.STRUCT))
	}
	f.Add(nested(thrift.Binary, 70), false, byte(thrift.LIST))
	f.Add(nested(thrift.Compact, 70), true, byte(thrift.LIST))
	f.Fuzz(func(t *testing.T, b []byte, compact bool, ty byte) {
		p := thrift.Binary
		if compact {
			p = thrift.Compact
		}
		n, err := thrift.Skip(b, p, thrift.Type(ty))
		if err != nil {
			for _, e := range []error{thrift.ErrShort, thrift.ErrInvalidLength, thrift.ErrInvalidData,
				thrift.ErrInvalidType, thrift.ErrDepth} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("error %v satisfies no sentinel", err)
		}
		if n > len(b) || n <= 0 {
			t.Fatalf("Skip = %d for %d bytes", n, len(b))
		}
		if _, err := thrift.Skip(b[:n-1], p, thrift.Type(ty)); !errors.Is(err, thrift.ErrShort) {
			t.Fatalf("Skip of a cut value: %v", err)
		}
	})
}

// FuzzCompact decodes arbitrary bytes as a compact (and binary)
// TApplicationException and checks that what decodes re-encodes and
// decodes to the same value.
func FuzzCompact(f *testing.F) {
	_, cmp := fuzzSeeds(f)
	for _, b := range cmp {
		f.Add(b)
	}
	f.Add(thrift.NewApplicationException(7, "bad").AppendCompact(nil))
	f.Add(thrift.NewApplicationException(7, "bad").AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
			var e thrift.ApplicationException
			n, err := thrift.Consume(b, p, &e)
			if err != nil {
				continue
			}
			if n > len(b) {
				t.Fatalf("%v: n %d > %d", p, n, len(b))
			}
			if m, err := thrift.Skip(b, p, thrift.STRUCT); err != nil || m != n {
				t.Fatalf("%v: Skip %d %v, Consume %d", p, m, err, n)
			}
			out := thrift.Append(nil, p, &e)
			var e2 thrift.ApplicationException
			if _, err := thrift.Consume(out, p, &e2); err != nil || e2 != e {
				t.Fatalf("%v: round trip %+v -> %+v %v", p, e, e2, err)
			}
		}
	})
}

// FuzzCompactValues checks the compact value decoders against each other:
// whatever a header decoder accepts, Skip accepts with the same framing.
func FuzzCompactValues(f *testing.F) {
	f.Add([]byte{0xf8, 0x0f})
	f.Add([]byte{0x03, 0x88, 0x01, 0x61, 0x01})
	f.Add([]byte{0x15, 0x02, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		if et, size, n, err := thrift.ConsumeCompactListBegin(b); err == nil {
			if n > len(b) || size < 0 || !et.Valid() {
				t.Fatalf("list header %v %d %d", et, size, n)
			}
		}
		if kt, vt, size, n, err := thrift.ConsumeCompactMapBegin(b); err == nil {
			if n > len(b) || size < 0 || (size > 0 && (!kt.Valid() || !vt.Valid())) {
				t.Fatalf("map header %v %v %d %d", kt, vt, size, n)
			}
		}
		if ft, _, _, n, err := thrift.ConsumeCompactFieldBegin(b, 0); err == nil {
			if n > len(b) || (ft != thrift.STOP && !ft.Valid()) {
				t.Fatalf("field header %v %d", ft, n)
			}
		}
		if s, n, err := thrift.ConsumeCompactString(b); err == nil && len(s) >= n {
			t.Fatalf("string %d in %d bytes", len(s), n)
		}
		if v, n, err := thrift.ConsumeCompactI64(b); err == nil {
			if got := thrift.SizeCompactI64(v); got > n {
				t.Fatalf("i64 %d: size %d > consumed %d", v, got, n)
			}
		}
	})
}
