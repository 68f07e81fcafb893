package thrift_test

import (
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
)

var valueTypes = []thrift.Type{thrift.BOOL, thrift.BYTE, thrift.DOUBLE, thrift.I16, thrift.I32, thrift.I64,
	thrift.STRING, thrift.STRUCT, thrift.MAP, thrift.SET, thrift.LIST, thrift.UUID}

func randType(rng *rand.Rand, depth int) thrift.Type {
	if depth <= 0 {
		return valueTypes[rng.Intn(7)] // scalars and STRING only
	}
	return valueTypes[rng.Intn(len(valueTypes))]
}

// appendRandom appends a random value of type t in protocol p, nesting at
// most depth more levels.
func appendRandom(b []byte, p thrift.Protocol, t thrift.Type, depth int, rng *rand.Rand) []byte {
	compact := p == thrift.Compact
	v := int64(rng.Uint64()) >> uint(rng.Intn(64))
	switch t {
	case thrift.BOOL:
		if compact {
			return thrift.AppendCompactBool(b, v&1 == 0)
		}
		return thrift.AppendBool(b, v&1 == 0)
	case thrift.BYTE:
		return thrift.AppendByte(b, int8(v))
	case thrift.DOUBLE:
		if compact {
			return thrift.AppendCompactDouble(b, float64(v))
		}
		return thrift.AppendDouble(b, float64(v))
	case thrift.I16:
		if compact {
			return thrift.AppendCompactI16(b, int16(v))
		}
		return thrift.AppendI16(b, int16(v))
	case thrift.I32:
		if compact {
			return thrift.AppendCompactI32(b, int32(v))
		}
		return thrift.AppendI32(b, int32(v))
	case thrift.I64:
		if compact {
			return thrift.AppendCompactI64(b, v)
		}
		return thrift.AppendI64(b, v)
	case thrift.STRING:
		s := make([]byte, rng.Intn(20))
		if compact {
			return thrift.AppendCompactBinary(b, s)
		}
		return thrift.AppendBinary(b, s)
	case thrift.UUID:
		return thrift.AppendUUID(b, [16]byte{1, 2, 3})
	case thrift.STRUCT:
		var last int16
		for i, n := 0, rng.Intn(6); i < n; i++ {
			ft := randType(rng, depth-1)
			id := last + int16(rng.Intn(40)) - 5
			if compact {
				if ft == thrift.BOOL {
					b = thrift.AppendCompactBoolField(b, rng.Intn(2) == 0, id, last)
					last = id
					continue
				}
				b = thrift.AppendCompactFieldBegin(b, ft, id, last)
			} else {
				b = thrift.AppendFieldBegin(b, ft, id)
			}
			last = id
			b = appendRandom(b, p, ft, depth-1, rng)
		}
		return thrift.AppendFieldStop(b)
	case thrift.MAP:
		kt, vt, n := randType(rng, depth-1), randType(rng, depth-1), randCount(rng)
		if compact {
			b = thrift.AppendCompactMapBegin(b, kt, vt, n)
		} else {
			b = thrift.AppendMapBegin(b, kt, vt, n)
		}
		for i := 0; i < n; i++ {
			b = appendRandom(b, p, kt, depth-1, rng)
			b = appendRandom(b, p, vt, depth-1, rng)
		}
		return b
	case thrift.LIST, thrift.SET:
		et, n := randType(rng, depth-1), randCount(rng)
		if compact {
			b = thrift.AppendCompactListBegin(b, et, n)
		} else {
			b = thrift.AppendListBegin(b, et, n)
		}
		for i := 0; i < n; i++ {
			b = appendRandom(b, p, et, depth-1, rng)
		}
		return b
	}
	panic("bad type")
}

// randCount returns a container size, now and then one that needs the
// compact long form.
func randCount(rng *rand.Rand) int {
	if rng.Intn(8) == 0 {
		return 15 + rng.Intn(3)
	}
	return rng.Intn(5)
}

func TestSkipEveryType(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		for i := 0; i < 3000; i++ {
			ty := valueTypes[i%len(valueTypes)]
			b := appendRandom(nil, p, ty, 4, rng)
			n, err := thrift.Skip(b, p, ty)
			if err != nil || n != len(b) {
				t.Fatalf("%v %v: Skip = %d, %v; want %d\n% x", p, ty, n, err, len(b), b)
			}
			if i%10 == 0 && len(b) < 4096 {
				for j := 0; j < len(b); j++ {
					if _, err := thrift.Skip(b[:j], p, ty); !errors.Is(err, thrift.ErrShort) {
						t.Fatalf("%v %v prefix %d/%d: %v\n% x", p, ty, j, len(b), err, b)
					}
				}
			}
		}
	}
}

func TestSkipGolden(t *testing.T) {
	for _, c := range []struct {
		p   thrift.Protocol
		t   thrift.Type
		hex string
	}{
		{thrift.Binary, thrift.STRUCT, "0f 00 01 0c 00 00 00 02 00 00 0d 00 02 0b 08 00 00 00 01 00 00 00 01 61 00 00 00 07 00"},
		{thrift.Binary, thrift.LIST, "0f 00 00 00 02 08 00 00 00 01 00 00 00 07 0a 00 00 00 00"},
		{thrift.Binary, thrift.MAP, "08 0a 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00 02"},
		{thrift.Binary, thrift.SET, "10 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"},
		{thrift.Compact, thrift.STRUCT, "11 12 19 2c 00 00 3b 01 85 02 02 00 00 00"},
		{thrift.Compact, thrift.STRUCT, "09 c8 01 21 01 02 00"},
		{thrift.Compact, thrift.MAP, "00"},
		{thrift.Compact, thrift.LIST, "f7 0f" + strings.Repeat(" 00", 15*8)},
	} {
		b := mustHex(c.hex)
		if n, err := thrift.Skip(b, c.p, c.t); err != nil || n != len(b) {
			t.Errorf("%v %v % x: %d %v, want %d", c.p, c.t, b, n, err, len(b))
		}
	}
}

// nested returns a value of depth nested lists (binary: 0f..., compact: 19...)
// around an empty struct.
func nested(p thrift.Protocol, depth int) []byte {
	var b []byte
	for i := 0; i < depth-1; i++ {
		if p == thrift.Compact {
			b = thrift.AppendCompactListBegin(b, thrift.LIST, 1)
		} else {
			b = thrift.AppendListBegin(b, thrift.LIST, 1)
		}
	}
	if p == thrift.Compact {
		b = thrift.AppendCompactListBegin(b, thrift.STRUCT, 1)
	} else {
		b = thrift.AppendListBegin(b, thrift.STRUCT, 1)
	}
	return thrift.AppendFieldStop(b)
}

func TestSkipDepth(t *testing.T) {
	for _, p := range []thrift.Protocol{thrift.Binary, thrift.Compact} {
		ok := nested(p, 63) // 63 lists and a struct: 64 levels
		if n, err := thrift.Skip(ok, p, thrift.LIST); err != nil || n != len(ok) {
			t.Errorf("%v depth 64: %d %v", p, n, err)
		}
		deep := nested(p, 64) // 65 levels
		_, err := thrift.Skip(deep, p, thrift.LIST)
		if !errors.Is(err, thrift.ErrDepth) || err.Error() != "depth limit exceeded" {
			t.Errorf("%v depth 65: %v", p, err)
		}
		// Structs nested in structs.
		var s []byte
		for i := 0; i < 100; i++ {
			if p == thrift.Compact {
				s = thrift.AppendCompactFieldBegin(s, thrift.STRUCT, 1, 0)
			} else {
				s = thrift.AppendFieldBegin(s, thrift.STRUCT, 1)
			}
		}
		if _, err := thrift.Skip(s, p, thrift.STRUCT); !errors.Is(err, thrift.ErrDepth) {
			t.Errorf("%v nested structs: %v", p, err)
		}
		// A very deep but truncated input stops at the limit, never overflows.
		huge := make([]byte, 0, 1<<20)
		for len(huge) < 1<<20-8 {
			if p == thrift.Compact {
				huge = thrift.AppendCompactListBegin(huge, thrift.LIST, 1)
			} else {
				huge = thrift.AppendListBegin(huge, thrift.LIST, 1)
			}
		}
		if _, err := thrift.Skip(huge, p, thrift.LIST); !errors.Is(err, thrift.ErrDepth) {
			t.Errorf("%v huge: %v", p, err)
		}
	}
}

func TestSkipInvalid(t *testing.T) {
	for _, c := range []struct {
		p    thrift.Protocol
		t    thrift.Type
		hex  string
		want error
	}{
		{thrift.Binary, thrift.Type(1), "00", thrift.ErrInvalidType},
		{thrift.Binary, thrift.STRUCT, "07 00 01 00", thrift.ErrInvalidType},
		{thrift.Binary, thrift.STRING, "ff ff ff ff", thrift.ErrInvalidLength},
		{thrift.Binary, thrift.LIST, "0b ff ff ff ff", thrift.ErrInvalidLength},
		{thrift.Binary, thrift.LIST, "0b 7f ff ff ff", thrift.ErrShort},
		{thrift.Binary, thrift.LIST, "0a 7f ff ff ff", thrift.ErrShort},
		{thrift.Binary, thrift.MAP, "08 08 7f ff ff ff", thrift.ErrShort},
		{thrift.Binary, thrift.MAP, "0b 0c 7f ff ff ff", thrift.ErrShort},
		{thrift.Binary, thrift.MAP, "0b 0c 80 00 00 00", thrift.ErrInvalidLength},
		{thrift.Binary, thrift.MAP, "0b 01 00 00 00 01 00", thrift.ErrInvalidType},
		{thrift.Binary, thrift.SET, "00 00 00 00 01 00", thrift.ErrInvalidType},
		{thrift.Compact, thrift.STRUCT, "0e 02 00", thrift.ErrInvalidType},
		{thrift.Compact, thrift.STRUCT, "15 ff ff ff ff ff ff ff ff ff ff 01 00", thrift.ErrInvalidData},
		{thrift.Compact, thrift.LIST, "f8 ff ff ff ff 07", thrift.ErrShort},
		{thrift.Compact, thrift.LIST, "f8 ff ff ff ff 08", thrift.ErrInvalidLength},
		{thrift.Compact, thrift.MAP, "ff ff ff ff 07 88", thrift.ErrShort},
		{thrift.Compact, thrift.MAP, "01 80 00", thrift.ErrInvalidType},
		{thrift.Compact, thrift.Type(99), "00", thrift.ErrInvalidType},
	} {
		if _, err := thrift.Skip(mustHex(c.hex), c.p, c.t); !errors.Is(err, c.want) {
			t.Errorf("%v %v %s: %v, want %v", c.p, c.t, c.hex, err, c.want)
		}
	}
}

func TestSkipCompactField(t *testing.T) {
	if n, err := thrift.SkipCompactField(nil, thrift.BOOL); n != 0 || err != nil {
		t.Fatalf("bool field: %d %v", n, err)
	}
	if n, err := thrift.SkipCompactField([]byte{0x02}, thrift.I32); n != 1 || err != nil {
		t.Fatalf("i32 field: %d %v", n, err)
	}
}
