package thrift_test

import (
	"errors"
	"math"
	"math/rand"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
)

func TestBinaryGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		got  []byte
		hex  string
	}{
		{"field", thrift.AppendFieldBegin(nil, thrift.I32, -2), "08 ff fe"},
		{"stop", thrift.AppendFieldStop(nil), "00"},
		{"map", thrift.AppendMapBegin(nil, thrift.STRING, thrift.STRUCT, 3), "0b 0c 00 00 00 03"},
		{"list", thrift.AppendListBegin(nil, thrift.I64, 258), "0a 00 00 01 02"},
		{"set", thrift.AppendSetBegin(nil, thrift.BOOL, 0), "02 00 00 00 00"},
		{"bool", thrift.AppendBool(thrift.AppendBool(nil, true), false), "01 00"},
		{"byte", thrift.AppendByte(nil, -1), "ff"},
		{"i16", thrift.AppendI16(nil, -2), "ff fe"},
		{"i32", thrift.AppendI32(nil, 0x01020304), "01 02 03 04"},
		{"i64", thrift.AppendI64(nil, -1), "ff ff ff ff ff ff ff ff"},
		{"double", thrift.AppendDouble(nil, 1.0), "3f f0 00 00 00 00 00 00"},
		{"string", thrift.AppendString(nil, "hi"), "00 00 00 02 68 69"},
		{"binary", thrift.AppendBinary(nil, []byte{0, 1}), "00 00 00 02 00 01"},
		{"uuid", thrift.AppendUUID(nil, [16]byte{0: 1, 15: 0xff}), "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff"},
	} {
		if want := mustHex(c.hex); string(c.got) != string(want) {
			t.Errorf("%s: got % x, want % x", c.name, c.got, want)
		}
	}
}

func TestCompactGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		got  []byte
		hex  string
	}{
		{"field short", thrift.AppendCompactFieldBegin(nil, thrift.I32, 1, 0), "15"},
		{"field delta 15", thrift.AppendCompactFieldBegin(nil, thrift.STRING, 16, 1), "f8"},
		{"field long", thrift.AppendCompactFieldBegin(nil, thrift.STRING, 17, 1), "08 22"},
		{"field backwards", thrift.AppendCompactFieldBegin(nil, thrift.STRUCT, 1, 2), "0c 02"},
		{"field zero", thrift.AppendCompactFieldBegin(nil, thrift.I64, 0, 0), "06 00"},
		{"field negative", thrift.AppendCompactFieldBegin(nil, thrift.I64, -1, 0), "06 01"},
		{"bool field true", thrift.AppendCompactBoolField(nil, true, 1, 0), "11"},
		{"bool field false", thrift.AppendCompactBoolField(nil, false, 300, 0), "02 d8 04"},
		{"empty map", thrift.AppendCompactMapBegin(nil, thrift.STRING, thrift.I32, 0), "00"},
		{"map", thrift.AppendCompactMapBegin(nil, thrift.STRING, thrift.STRUCT, 3), "03 8c"},
		{"list short", thrift.AppendCompactListBegin(nil, thrift.I32, 14), "e5"},
		{"list long", thrift.AppendCompactListBegin(nil, thrift.I32, 15), "f5 0f"},
		{"list bool", thrift.AppendCompactListBegin(nil, thrift.BOOL, 2), "21"},
		{"set", thrift.AppendCompactSetBegin(nil, thrift.UUID, 300), "fd ac 02"},
		{"bool", thrift.AppendCompactBool(thrift.AppendCompactBool(nil, true), false), "01 02"},
		{"i16", thrift.AppendCompactI16(nil, -1), "01"},
		{"i32", thrift.AppendCompactI32(nil, 50399/2), "de 89 03"},
		{"i32 min", thrift.AppendCompactI32(nil, math.MinInt32), "ff ff ff ff 0f"},
		{"i64 max", thrift.AppendCompactI64(nil, math.MaxInt64), "fe ff ff ff ff ff ff ff ff 01"},
		{"double", thrift.AppendCompactDouble(nil, 1.0), "00 00 00 00 00 00 f0 3f"},
		{"string", thrift.AppendCompactString(nil, "hi"), "02 68 69"},
		{"binary", thrift.AppendCompactBinary(nil, nil), "00"},
		{"varint 50399", thrift.AppendVarint(nil, 50399), "df 89 03"},
	} {
		if want := mustHex(c.hex); string(c.got) != string(want) {
			t.Errorf("%s: got % x, want % x", c.name, c.got, want)
		}
	}
}

func TestSizes(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, -64, 64, 127, 128, 8191, 8192, math.MaxInt16, math.MinInt16,
		math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64} {
		if got, want := thrift.SizeCompactI64(v), len(thrift.AppendCompactI64(nil, v)); got != want {
			t.Errorf("SizeCompactI64(%d) = %d, want %d", v, got, want)
		}
		if got, want := thrift.SizeCompactI32(int32(v)), len(thrift.AppendCompactI32(nil, int32(v))); got != want {
			t.Errorf("SizeCompactI32(%d) = %d, want %d", int32(v), got, want)
		}
		if got, want := thrift.SizeCompactI16(int16(v)), len(thrift.AppendCompactI16(nil, int16(v))); got != want {
			t.Errorf("SizeCompactI16(%d) = %d, want %d", int16(v), got, want)
		}
		if got, want := thrift.SizeVarint(uint64(v)), len(thrift.AppendVarint(nil, uint64(v))); got != want {
			t.Errorf("SizeVarint(%d) = %d, want %d", uint64(v), got, want)
		}
	}
	for _, n := range []int{0, 1, 14, 15, 127, 128, 1 << 20} {
		if got, want := thrift.SizeCompactListBegin(n), len(thrift.AppendCompactListBegin(nil, thrift.I32, n)); got != want {
			t.Errorf("SizeCompactListBegin(%d) = %d, want %d", n, got, want)
		}
		if got, want := thrift.SizeCompactMapBegin(n), len(thrift.AppendCompactMapBegin(nil, thrift.I32, thrift.I32, n)); got != want {
			t.Errorf("SizeCompactMapBegin(%d) = %d, want %d", n, got, want)
		}
		s := string(make([]byte, n))
		if got, want := thrift.SizeCompactString(s), len(thrift.AppendCompactString(nil, s)); got != want {
			t.Errorf("SizeCompactString(%d) = %d, want %d", n, got, want)
		}
		if got, want := thrift.SizeString(s), len(thrift.AppendString(nil, s)); got != want {
			t.Errorf("SizeString(%d) = %d, want %d", n, got, want)
		}
	}
	for _, c := range []struct{ id, last int16 }{{1, 0}, {15, 0}, {16, 0}, {16, 1}, {0, 0}, {1, 2}, {-1, 0}, {math.MaxInt16, 0}, {math.MinInt16, 0}} {
		if got, want := thrift.SizeCompactFieldBegin(c.id, c.last), len(thrift.AppendCompactFieldBegin(nil, thrift.I32, c.id, c.last)); got != want {
			t.Errorf("SizeCompactFieldBegin(%d, %d) = %d, want %d", c.id, c.last, got, want)
		}
	}
}

func TestScalarRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		v := int64(rng.Uint64()) >> uint(rng.Intn(64))
		f := math.Float64frombits(rng.Uint64())
		s := randString(rng)
		var u [16]byte
		rng.Read(u[:])
		bo := rng.Intn(2) == 0

		b := thrift.AppendBool(nil, bo)
		b = thrift.AppendByte(b, int8(v))
		b = thrift.AppendI16(b, int16(v))
		b = thrift.AppendI32(b, int32(v))
		b = thrift.AppendI64(b, v)
		b = thrift.AppendDouble(b, f)
		b = thrift.AppendString(b, s)
		b = thrift.AppendBinary(b, []byte(s))
		b = thrift.AppendUUID(b, u)
		off := 0
		gb, n, err := thrift.ConsumeBool(b[off:])
		check(t, err, gb == bo)
		off += n
		g8, n, err := thrift.ConsumeByte(b[off:])
		check(t, err, g8 == int8(v))
		off += n
		g16, n, err := thrift.ConsumeI16(b[off:])
		check(t, err, g16 == int16(v))
		off += n
		g32, n, err := thrift.ConsumeI32(b[off:])
		check(t, err, g32 == int32(v))
		off += n
		g64, n, err := thrift.ConsumeI64(b[off:])
		check(t, err, g64 == v)
		off += n
		gf, n, err := thrift.ConsumeDouble(b[off:])
		check(t, err, math.Float64bits(gf) == math.Float64bits(f))
		off += n
		gs, n, err := thrift.ConsumeString(b[off:])
		check(t, err, gs == s)
		off += n
		gbin, n, err := thrift.ConsumeBinary(b[off:])
		check(t, err, string(gbin) == s && gbin != nil)
		off += n
		gu, n, err := thrift.ConsumeUUID(b[off:])
		check(t, err, gu == u)
		off += n
		if off != len(b) {
			t.Fatalf("binary: consumed %d of %d", off, len(b))
		}

		b = thrift.AppendCompactBool(nil, bo)
		b = thrift.AppendByte(b, int8(v))
		b = thrift.AppendCompactI16(b, int16(v))
		b = thrift.AppendCompactI32(b, int32(v))
		b = thrift.AppendCompactI64(b, v)
		b = thrift.AppendCompactDouble(b, f)
		b = thrift.AppendCompactString(b, s)
		b = thrift.AppendCompactBinary(b, []byte(s))
		b = thrift.AppendUUID(b, u)
		off = 0
		gb, n, err = thrift.ConsumeCompactBool(b[off:])
		check(t, err, gb == bo)
		off += n
		g8, n, err = thrift.ConsumeByte(b[off:])
		check(t, err, g8 == int8(v))
		off += n
		g16, n, err = thrift.ConsumeCompactI16(b[off:])
		check(t, err, g16 == int16(v))
		off += n
		g32, n, err = thrift.ConsumeCompactI32(b[off:])
		check(t, err, g32 == int32(v))
		off += n
		g64, n, err = thrift.ConsumeCompactI64(b[off:])
		check(t, err, g64 == v)
		off += n
		gf, n, err = thrift.ConsumeCompactDouble(b[off:])
		check(t, err, math.Float64bits(gf) == math.Float64bits(f))
		off += n
		gs, n, err = thrift.ConsumeCompactString(b[off:])
		check(t, err, gs == s)
		off += n
		gbin, n, err = thrift.ConsumeCompactBytes(b[off:])
		check(t, err, string(gbin) == s)
		off += n
		gu, n, err = thrift.ConsumeUUID(b[off:])
		check(t, err, gu == u)
		off += n
		if off != len(b) {
			t.Fatalf("compact: consumed %d of %d", off, len(b))
		}
	}
}

func check(t *testing.T, err error, ok bool) {
	t.Helper()
	if err != nil || !ok {
		t.Fatalf("round trip: err %v, equal %v", err, ok)
	}
}

func randString(rng *rand.Rand) string {
	b := make([]byte, rng.Intn(300))
	rng.Read(b)
	return string(b)
}

func TestHeaderRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	types := []thrift.Type{thrift.BOOL, thrift.BYTE, thrift.DOUBLE, thrift.I16, thrift.I32, thrift.I64,
		thrift.STRING, thrift.STRUCT, thrift.MAP, thrift.SET, thrift.LIST, thrift.UUID}
	for i := 0; i < 2000; i++ {
		t1, t2 := types[rng.Intn(len(types))], types[rng.Intn(len(types))]
		id, last := int16(rng.Uint32()), int16(rng.Intn(40)-5)
		if rng.Intn(2) == 0 {
			id = last + int16(rng.Intn(20))
		}
		b := thrift.AppendFieldBegin(nil, t1, id)
		gt, gid, n, err := thrift.ConsumeFieldBegin(b)
		if err != nil || gt != t1 || gid != id || n != 3 {
			t.Fatalf("binary field %v %d: %v %d %d %v", t1, id, gt, gid, n, err)
		}
		bv := rng.Intn(2) == 0
		if t1 == thrift.BOOL {
			b = thrift.AppendCompactBoolField(nil, bv, id, last)
		} else {
			b = thrift.AppendCompactFieldBegin(nil, t1, id, last)
		}
		gt, gid, gbv, n, err := thrift.ConsumeCompactFieldBegin(b, last)
		if err != nil || gt != t1 || gid != id || n != len(b) || n != thrift.SizeCompactFieldBegin(id, last) || (t1 == thrift.BOOL && gbv != bv) {
			t.Fatalf("compact field %v %d after %d: %v %d %v %d %v", t1, id, last, gt, gid, gbv, n, err)
		}

		size := rng.Intn(40)
		body := make([]byte, size*32) // room for any element type
		b = append(thrift.AppendListBegin(nil, t1, size), body...)
		et, gs, n, err := thrift.ConsumeListBegin(b)
		if err != nil || et != t1 || gs != size || n != 5 {
			t.Fatalf("list %v %d: %v %d %d %v", t1, size, et, gs, n, err)
		}
		b = append(thrift.AppendSetBegin(nil, t1, size), body...)
		if et, gs, n, err = thrift.ConsumeSetBegin(b); err != nil || et != t1 || gs != size || n != 5 {
			t.Fatalf("set %v %d: %v %d %d %v", t1, size, et, gs, n, err)
		}
		b = append(thrift.AppendMapBegin(nil, t1, t2, size), body...)
		kt, vt, gs, n, err := thrift.ConsumeMapBegin(b)
		if err != nil || kt != t1 || vt != t2 || gs != size || n != 6 {
			t.Fatalf("map %v %v %d: %v %v %d %d %v", t1, t2, size, kt, vt, gs, n, err)
		}
		h := thrift.AppendCompactListBegin(nil, t1, size)
		et, gs, n, err = thrift.ConsumeCompactListBegin(append(h, body...))
		if err != nil || et != t1 || gs != size || n != len(h) {
			t.Fatalf("compact list %v %d: %v %d %d %v", t1, size, et, gs, n, err)
		}
		h = thrift.AppendCompactSetBegin(nil, t1, size)
		if et, gs, n, err = thrift.ConsumeCompactSetBegin(append(h, body...)); err != nil || et != t1 || gs != size || n != len(h) {
			t.Fatalf("compact set %v %d: %v %d %d %v", t1, size, et, gs, n, err)
		}
		h = thrift.AppendCompactMapBegin(nil, t1, t2, size)
		kt, vt, gs, n, err = thrift.ConsumeCompactMapBegin(append(h, body...))
		if err != nil || gs != size || n != len(h) || (size > 0 && (kt != t1 || vt != t2)) {
			t.Fatalf("compact map %v %v %d: %v %v %d %d %v", t1, t2, size, kt, vt, gs, n, err)
		}
	}
}

// Hostile lengths and counts give errors (and, see alloc_test.go, do not
// allocate).
func TestHostile(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func([]byte) error
		hex  string
		want error
		text string
	}{
		{"string truncated", consumeString, "00 00 00 05 68 65", thrift.ErrShort, "ReadString: buf too small"},
		{"string no length", consumeString, "00 00", thrift.ErrShort, "ReadString: buf too small"},
		{"string negative", consumeString, "ff ff ff fe 68 65", thrift.ErrInvalidLength, "invalid data length"},
		{"string 2GB", consumeString, "7f ff ff ff 68 65", thrift.ErrShort, "ReadString: buf too small"},
		{"binary 2GB", consumeBinary, "7f ff ff ff 68 65", thrift.ErrShort, "ReadBinary: buf too small"},
		{"binary min int32", consumeBinary, "80 00 00 00", thrift.ErrInvalidLength, "invalid data length"},
		{"i32 short", consumeI32, "00 00 01", thrift.ErrShort, "ReadI32: len(buf) < 4"},
		{"field short", consumeField, "0b 00", thrift.ErrShort, "ReadFieldBegin: buf too small"},
		{"list negative", consumeList, "0c ff ff ff ff", thrift.ErrInvalidLength, "invalid data length"},
		{"list huge", consumeList, "0c 7f ff ff ff 00 00", thrift.ErrShort, "ReadListBegin: buf too small"},
		{"list of i64 too big", consumeList, "0a 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00", thrift.ErrShort, "ReadListBegin: buf too small"},
		{"list bad type", consumeList, "01 00 00 00 01 00", thrift.ErrInvalidType, "unknown data type 1"},
		{"set huge", consumeSet, "0b 40 00 00 00", thrift.ErrShort, "ReadSetBegin: buf too small"},
		{"map huge", consumeMap, "0b 0b 7f ff ff ff 00 00 00 00", thrift.ErrShort, "ReadMapBegin: buf too small"},
		{"map negative", consumeMap, "0b 0b ff ff ff ff", thrift.ErrInvalidLength, "invalid data length"},
		{"map bad value type", consumeMap, "0b 07 00 00 00 01 00", thrift.ErrInvalidType, "unknown data type 7"},
		{"compact string truncated", consumeCompactString, "05 68 65", thrift.ErrShort, "ReadString: buf too small"},
		{"compact string varint cut", consumeCompactString, "ff ff", thrift.ErrShort, "ReadString: buf too small"},
		{"compact string 2GB", consumeCompactString, "ff ff ff ff 07 68", thrift.ErrShort, "ReadString: buf too small"},
		{"compact string > int32", consumeCompactString, "80 80 80 80 08 68", thrift.ErrInvalidLength, "invalid data length"},
		{"compact string 11-byte varint", consumeCompactString, "ff ff ff ff ff ff ff ff ff ff 01", thrift.ErrInvalidData, ""},
		{"compact list huge", consumeCompactList, "fc ff ff ff ff 07 00", thrift.ErrShort, "ReadListBegin: buf too small"},
		{"compact list > int32", consumeCompactList, "fc ff ff ff ff 0f 00", thrift.ErrInvalidLength, ""},
		{"compact list bad type", consumeCompactList, "1e 00", thrift.ErrInvalidType, ""},
		{"compact map huge", consumeCompactMap, "ff ff ff ff 07 88 00", thrift.ErrShort, "ReadMapBegin: buf too small"},
		{"compact map no types", consumeCompactMap, "01", thrift.ErrShort, ""},
		{"compact map bad type", consumeCompactMap, "01 0e 00 00", thrift.ErrInvalidType, ""},
		{"compact field bad type", consumeCompactField, "1e", thrift.ErrInvalidType, ""},
		{"compact field id cut", consumeCompactField, "05 ff", thrift.ErrShort, ""},
		{"compact i64 cut", consumeCompactI64, "ff ff", thrift.ErrShort, "ReadI64: len(buf) < 8"},
		{"compact i32 long varint", consumeCompactI32, "ff ff ff ff ff ff ff ff ff ff 00", thrift.ErrInvalidData, ""},
		{"compact i64 10th byte", consumeCompactI64, "ff ff ff ff ff ff ff ff ff 02", thrift.ErrInvalidData, ""},
		{"varint cut", consumeVarint, "80", thrift.ErrShort, ""},
	} {
		err := c.fn(mustHex(c.hex))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		if c.text != "" && err.Error() != c.text {
			t.Errorf("%s: text %q, want %q", c.name, err.Error(), c.text)
		}
	}
}

func consumeString(b []byte) error        { _, _, err := thrift.ConsumeString(b); return err }
func consumeBinary(b []byte) error        { _, _, err := thrift.ConsumeBinary(b); return err }
func consumeI32(b []byte) error           { _, _, err := thrift.ConsumeI32(b); return err }
func consumeField(b []byte) error         { _, _, _, err := thrift.ConsumeFieldBegin(b); return err }
func consumeList(b []byte) error          { _, _, _, err := thrift.ConsumeListBegin(b); return err }
func consumeSet(b []byte) error           { _, _, _, err := thrift.ConsumeSetBegin(b); return err }
func consumeMap(b []byte) error           { _, _, _, _, err := thrift.ConsumeMapBegin(b); return err }
func consumeCompactString(b []byte) error { _, _, err := thrift.ConsumeCompactString(b); return err }
func consumeCompactList(b []byte) error {
	_, _, _, err := thrift.ConsumeCompactListBegin(b)
	return err
}
func consumeCompactMap(b []byte) error {
	_, _, _, _, err := thrift.ConsumeCompactMapBegin(b)
	return err
}
func consumeCompactI32(b []byte) error { _, _, err := thrift.ConsumeCompactI32(b); return err }
func consumeCompactI64(b []byte) error { _, _, err := thrift.ConsumeCompactI64(b); return err }
func consumeVarint(b []byte) error     { _, _, err := thrift.ConsumeVarint(b); return err }
func consumeCompactField(b []byte) error {
	_, _, _, _, err := thrift.ConsumeCompactFieldBegin(b, 0)
	return err
}

func TestShortErrorsEverywhere(t *testing.T) {
	fns := map[string]func([]byte) error{
		"bool":   func(b []byte) error { _, _, err := thrift.ConsumeBool(b); return err },
		"byte":   func(b []byte) error { _, _, err := thrift.ConsumeByte(b); return err },
		"i16":    func(b []byte) error { _, _, err := thrift.ConsumeI16(b); return err },
		"i64":    func(b []byte) error { _, _, err := thrift.ConsumeI64(b); return err },
		"double": func(b []byte) error { _, _, err := thrift.ConsumeDouble(b); return err },
		"uuid":   func(b []byte) error { _, _, err := thrift.ConsumeUUID(b); return err },
		"cdbl":   func(b []byte) error { _, _, err := thrift.ConsumeCompactDouble(b); return err },
		"cbool":  func(b []byte) error { _, _, err := thrift.ConsumeCompactBool(b); return err },
		"ci16":   func(b []byte) error { _, _, err := thrift.ConsumeCompactI16(b); return err },
		"cbin":   func(b []byte) error { _, _, err := thrift.ConsumeCompactBinary(b); return err },
		"bytes":  func(b []byte) error { _, _, err := thrift.ConsumeBytes(b); return err },
		"field":  consumeField,
		"cfield": consumeCompactField,
		"list":   consumeList,
		"clist":  consumeCompactList,
		"cmap":   consumeCompactMap,
		"map":    consumeMap,
	}
	for name, fn := range fns {
		if err := fn(nil); !errors.Is(err, thrift.ErrShort) {
			t.Errorf("%s(nil) = %v", name, err)
		}
	}
}
