package gen

import (
	"strconv"

	"github.com/kite-rpc/kite/codec/thrift/idl"
)

// maxDepth is the nesting limit of generated decoders, as in Kitex and
// thrift.Skip.
const maxDepth = 64

// codecGen emits one codec function; it numbers the local variables it
// declares so that nested containers never reuse a name.
type codecGen struct {
	fg      *fileGen
	compact bool
	n       int
	// region and base, when set, name a string holding a copy of the
	// container being decoded and the offset in b where it starts: string
	// elements become substrings of it, so a container's strings share one
	// allocation.
	region, base string
}

func (c *codecGen) tmp(prefix string) string {
	c.n++
	return prefix + strconv.Itoa(c.n)
}

func (c *codecGen) pf(format string, args ...any) { c.fg.pf(format, args...) }

// rep is how a value is encoded, after typedefs.
func rep(t *idl.Type) idl.Kind { return t.Underlying().Kind }

var fixedSizes = map[idl.Kind]string{
	idl.KindBool: "thrift.BoolSize", idl.KindByte: "thrift.ByteSize", idl.KindI16: "thrift.I16Size",
	idl.KindI32: "thrift.I32Size", idl.KindEnum: "thrift.I32Size", idl.KindI64: "thrift.I64Size",
	idl.KindDouble: "thrift.DoubleSize", idl.KindUUID: "thrift.UUIDSize",
}

// wire returns the thrift.Type constant of t.
func (c *codecGen) wire(t *idl.Type) string { return "thrift." + t.WireType().String() }

// codec emits the thrift.Struct methods of m.
func (fg *fileGen) codec(m *structModel) {
	fg.thrift()
	fg.pf("// ---- %s codec ----", m.name)
	fg.pf("")
	for _, f := range m.fields {
		if f.required {
			fg.pf("var %s = &thrift.RequiredFieldError{Struct: %q, Field: %q}", requiredErr(m, f), m.idlName, f.f.Name)
		}
	}
	(&codecGen{fg: fg}).binarySize(m)
	(&codecGen{fg: fg}).appendStruct(m)
	(&codecGen{fg: fg, compact: true}).appendStruct(m)
	(&codecGen{fg: fg}).consumeStruct(m)
	(&codecGen{fg: fg, compact: true}).consumeStruct(m)
}

func requiredErr(m *structModel, f *fieldModel) string {
	return "errRequired" + m.name + "_" + f.name
}

// value returns the expression of f's value (dereferenced for pointers).
func value(f *fieldModel) string {
	if f.ptr {
		return "*p." + f.name
	}
	return "p." + f.name
}

func (c *codecGen) binarySize(m *structModel) {
	c.pf("// BinarySize returns the exact size of the binary encoding of p.")
	c.pf("func (p *%s) BinarySize() int {", m.name)
	c.pf("if p == nil { return thrift.FieldStopSize }")
	c.pf("n := thrift.FieldStopSize")
	for _, f := range m.fields {
		if f.cond {
			cond, _ := c.fg.setCond(f, "p.")
			c.pf("if %s {", cond)
		}
		c.pf("n += thrift.FieldBeginSize")
		c.size(f.t, value(f))
		if f.cond {
			c.pf("}")
		}
	}
	c.pf("return n")
	c.pf("}")
	c.pf("")
}

// size emits statements adding the binary size of x, of type t, to n.
func (c *codecGen) size(t *idl.Type, x string) {
	k := rep(t)
	if s, ok := fixedSizes[k]; ok {
		c.pf("n += %s", s)
		return
	}
	switch k {
	case idl.KindString:
		c.pf("n += thrift.SizeString(%s)", x)
	case idl.KindBinary:
		c.pf("n += thrift.SizeBinary(%s)", x)
	case idl.KindStruct:
		c.pf("n += %s.BinarySize()", x)
	case idl.KindList, idl.KindSet:
		elem := t.Underlying().Elem
		if s, ok := fixedSizes[rep(elem)]; ok {
			c.pf("n += thrift.ListBeginSize + len(%s)*%s", x, s)
			return
		}
		c.pf("n += thrift.ListBeginSize")
		v := c.tmp("v")
		c.pf("for _, %s := range %s {", v, x)
		c.size(elem, v)
		c.pf("}")
	case idl.KindMap:
		u := t.Underlying()
		ks, kfixed := fixedSizes[rep(u.Key)]
		vs, vfixed := fixedSizes[rep(u.Elem)]
		switch {
		case kfixed && vfixed:
			c.pf("n += thrift.MapBeginSize + len(%s)*(%s+%s)", x, ks, vs)
		case kfixed:
			c.pf("n += thrift.MapBeginSize + len(%s)*%s", x, ks)
			v := c.tmp("v")
			c.pf("for _, %s := range %s {", v, x)
			c.size(u.Elem, v)
			c.pf("}")
		case vfixed:
			c.pf("n += thrift.MapBeginSize + len(%s)*%s", x, vs)
			k := c.tmp("k")
			c.pf("for %s := range %s {", k, x)
			c.keySize(u.Key, k)
			c.pf("}")
		default:
			c.pf("n += thrift.MapBeginSize")
			k, v := c.tmp("k"), c.tmp("v")
			c.pf("for %s, %s := range %s {", k, v, x)
			c.keySize(u.Key, k)
			c.size(u.Elem, v)
			c.pf("}")
		}
	}
}

// keyExpr returns the value expression of a map key variable k.
func keyExpr(t *idl.Type, k string) string {
	switch rep(t) {
	case idl.KindList, idl.KindSet, idl.KindMap:
		return "(*" + k + ")"
	}
	return k
}

func (c *codecGen) keySize(t *idl.Type, k string) {
	if rep(t) == idl.KindBinary {
		c.pf("n += thrift.SizeString(%s)", k)
		return
	}
	c.size(t, keyExpr(t, k))
}

func (c *codecGen) appendStruct(m *structModel) {
	method, proto := "AppendBinary", "binary"
	if c.compact {
		method, proto = "AppendCompact", "compact"
	}
	c.pf("// %s appends the %s encoding of p.", method, proto)
	c.pf("func (p *%s) %s(b []byte) []byte {", m.name, method)
	c.pf("if p == nil { return thrift.AppendFieldStop(b) }")
	if c.compact && len(m.fields) > 0 {
		c.pf("var last int16")
	}
	for i, f := range m.fields {
		if f.cond {
			cond, _ := c.fg.setCond(f, "p.")
			c.pf("if %s {", cond)
		}
		id := strconv.Itoa(int(f.f.ID))
		switch {
		case !c.compact:
			c.pf("b = thrift.AppendFieldBegin(b, %s, %s)", c.wire(f.t), id)
			c.appendValue(f.t, value(f))
		case rep(f.t) == idl.KindBool:
			c.pf("b = thrift.AppendCompactBoolField(b, %s, %s, last)", value(f), id)
		default:
			c.pf("b = thrift.AppendCompactFieldBegin(b, %s, %s, last)", c.wire(f.t), id)
			c.appendValue(f.t, value(f))
		}
		if c.compact && i < len(m.fields)-1 {
			c.pf("last = %s", id)
		}
		if f.cond {
			c.pf("}")
		}
	}
	c.pf("return thrift.AppendFieldStop(b)")
	c.pf("}")
	c.pf("")
}

// appendValue emits statements appending x, of type t.
func (c *codecGen) appendValue(t *idl.Type, x string) {
	cp := ""
	if c.compact {
		cp = "Compact"
	}
	switch rep(t) {
	case idl.KindBool:
		if c.compact {
			c.pf("b = thrift.AppendCompactBool(b, %s)", x)
		} else {
			c.pf("b = thrift.AppendBool(b, %s)", x)
		}
	case idl.KindByte:
		c.pf("b = thrift.AppendByte(b, %s)", x)
	case idl.KindI16:
		c.pf("b = thrift.Append%sI16(b, %s)", cp, x)
	case idl.KindI32:
		c.pf("b = thrift.Append%sI32(b, %s)", cp, x)
	case idl.KindEnum:
		c.pf("b = thrift.Append%sI32(b, int32(%s))", cp, x)
	case idl.KindI64:
		c.pf("b = thrift.Append%sI64(b, %s)", cp, x)
	case idl.KindDouble:
		c.pf("b = thrift.Append%sDouble(b, %s)", cp, x)
	case idl.KindString:
		c.pf("b = thrift.Append%sString(b, %s)", cp, x)
	case idl.KindBinary:
		c.pf("b = thrift.Append%sBinary(b, %s)", cp, x)
	case idl.KindUUID:
		c.pf("b = thrift.AppendUUID(b, %s)", x)
	case idl.KindStruct:
		if c.compact {
			c.pf("b = %s.AppendCompact(b)", x)
		} else {
			c.pf("b = %s.AppendBinary(b)", x)
		}
	case idl.KindList, idl.KindSet:
		u := t.Underlying()
		kind := "List"
		if u.Kind == idl.KindSet {
			kind = "Set"
		}
		c.pf("b = thrift.Append%s%sBegin(b, %s, len(%s))", cp, kind, c.wire(u.Elem), x)
		v := c.tmp("v")
		c.pf("for _, %s := range %s {", v, x)
		c.appendValue(u.Elem, v)
		c.pf("}")
	case idl.KindMap:
		u := t.Underlying()
		c.pf("b = thrift.Append%sMapBegin(b, %s, %s, len(%s))", cp, c.wire(u.Key), c.wire(u.Elem), x)
		k, v := c.tmp("k"), c.tmp("v")
		c.pf("for %s, %s := range %s {", k, v, x)
		if rep(u.Key) == idl.KindBinary {
			c.pf("b = thrift.Append%sString(b, %s)", cp, k)
		} else {
			c.appendValue(u.Key, keyExpr(u.Key, k))
		}
		c.appendValue(u.Elem, v)
		c.pf("}")
	}
}

func (c *codecGen) consumeStruct(m *structModel) {
	exported, method, proto := "ConsumeBinary", "consumeBinary", "binary"
	if c.compact {
		exported, method, proto = "ConsumeCompact", "consumeCompact", "compact"
	}
	c.pf("// %s decodes the %s encoding of a %s from the start of b into p", exported, proto, m.name)
	c.pf("// and returns the number of bytes used.")
	c.pf("func (p *%s) %s(b []byte) (int, error) { return p.%s(b, %d) }", m.name, exported, method, maxDepth)
	c.pf("")
	c.pf("func (p *%s) %s(b []byte, depth int) (int, error) {", m.name, method)
	c.pf("if depth == 0 { return 0, thrift.ErrDepth }")
	defs, _ := c.fg.defaults(m)
	c.pf("*p = %s{%s}", m.name, defs)
	var nreq int
	for _, f := range m.fields {
		if f.required {
			nreq++
		}
	}
	switch {
	case nreq > 64:
		c.pf("var isset [%d]uint64", (nreq+63)/64)
	case nreq > 0:
		c.pf("var isset uint64")
	}
	issetBit := func(i int) (string, string) {
		if nreq > 64 {
			return "isset[" + strconv.Itoa(i/64) + "]", "1<<" + strconv.Itoa(i%64)
		}
		return "isset", "1<<" + strconv.Itoa(i)
	}
	hasBool := false
	for _, f := range m.fields {
		if rep(f.t) == idl.KindBool {
			hasBool = true
		}
	}
	if c.compact && len(m.fields) > 0 {
		c.pf("var last int16")
	}
	c.pf("off := 0")
	c.pf("for {")
	switch {
	case !c.compact && len(m.fields) > 0:
		c.pf("t, id, n, err := thrift.ConsumeFieldBegin(b[off:])")
	case !c.compact:
		c.pf("t, _, n, err := thrift.ConsumeFieldBegin(b[off:])")
	case len(m.fields) == 0:
		c.pf("t, _, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], 0)")
	case hasBool:
		c.pf("t, id, bv, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)")
	default:
		c.pf("t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)")
	}
	c.pf("if err != nil { return 0, err }")
	c.pf("off += n")
	c.pf("if t == thrift.STOP { break }")
	if len(m.fields) > 0 {
		if c.compact {
			c.pf("last = id")
		}
		c.pf("switch id {")
		reqIdx := 0
		for _, f := range m.fields {
			c.pf("case %d:", f.f.ID)
			c.pf("if t == %s {", c.wire(f.t))
			if c.compact && rep(f.t) == idl.KindBool {
				if f.ptr {
					c.pf("v := bv")
					c.pf("p.%s = &v", f.name)
				} else {
					c.pf("p.%s = bv", f.name)
				}
			} else {
				c.consumeValue(f.t, "p."+f.name, f.ptr, "")
			}
			if f.required {
				w, bit := issetBit(reqIdx)
				reqIdx++
				if isScalar(f.t) || rep(f.t) == idl.KindStruct || rep(f.t) == idl.KindBinary {
					c.pf("%s |= %s", w, bit)
				} else {
					c.pf("if p.%s != nil { %s |= %s }", f.name, w, bit)
				}
			}
			c.pf("continue")
			c.pf("}")
		}
		c.pf("}")
	}
	if c.compact {
		c.pf("if n, err = thrift.SkipCompactField(b[off:], t); err != nil { return 0, err }")
	} else {
		c.pf("if n, err = thrift.SkipBinary(b[off:], t); err != nil { return 0, err }")
	}
	c.pf("off += n")
	c.pf("}")
	reqIdx := 0
	for _, f := range m.fields {
		if !f.required {
			continue
		}
		w, bit := issetBit(reqIdx)
		reqIdx++
		c.pf("if %s&(%s) == 0 { return 0, %s }", w, bit, requiredErr(m, f))
	}
	c.pf("return off, nil")
	c.pf("}")
	c.pf("")
}

// consume returns the name of the thrift consume function for scalar kind k.
func (c *codecGen) consumeFunc(k idl.Kind) string {
	cp := ""
	if c.compact {
		cp = "Compact"
	}
	switch k {
	case idl.KindBool:
		return "thrift.Consume" + cp + "Bool"
	case idl.KindByte:
		return "thrift.ConsumeByte"
	case idl.KindI16:
		return "thrift.Consume" + cp + "I16"
	case idl.KindI32, idl.KindEnum:
		return "thrift.Consume" + cp + "I32"
	case idl.KindI64:
		return "thrift.Consume" + cp + "I64"
	case idl.KindDouble:
		return "thrift.Consume" + cp + "Double"
	case idl.KindString:
		return "thrift.Consume" + cp + "String"
	case idl.KindBinary:
		return "thrift.Consume" + cp + "Binary"
	case idl.KindUUID:
		return "thrift.ConsumeUUID"
	}
	panic("gen: no consume function for " + k.String())
}

func (c *codecGen) check() {
	c.pf("if err != nil { return 0, err }")
	c.pf("off += n")
}

// consumeValue emits statements that decode a value of type t at b[off:],
// advance off and store the value in target (through a pointer when ptr).
// alloc, for struct values, is the expression of a fresh *T to decode
// into ("" means new(T)).
func (c *codecGen) consumeValue(t *idl.Type, target string, ptr bool, alloc string) {
	k := rep(t)
	switch k {
	case idl.KindStruct:
		if alloc == "" {
			alloc = "new(" + c.fg.structName(t) + ")"
		}
		v := c.tmp("s")
		c.pf("%s := %s", v, alloc)
		s := t.Underlying().Struct
		if c.fg.g.filePkg[s.File] == c.fg.pkg {
			if c.compact {
				c.pf("n, err = %s.consumeCompact(b[off:], depth-1)", v)
			} else {
				c.pf("n, err = %s.consumeBinary(b[off:], depth-1)", v)
			}
		} else if c.compact {
			c.pf("n, err = %s.ConsumeCompact(b[off:])", v)
		} else {
			c.pf("n, err = %s.ConsumeBinary(b[off:])", v)
		}
		c.check()
		c.pf("%s = %s", target, v)
	case idl.KindList, idl.KindSet:
		c.consumeList(t, target)
	case idl.KindMap:
		c.consumeMap(t, target)
	case idl.KindEnum:
		v := c.tmp("v")
		c.pf("var %s int32", v)
		c.pf("%s, n, err = %s(b[off:])", v, c.consumeFunc(k))
		c.check()
		if ptr {
			e := c.tmp("e")
			c.pf("%s := %s(%s)", e, c.fg.goType(t), v)
			c.pf("%s = &%s", target, e)
		} else {
			c.pf("%s = %s(%s)", target, c.fg.goType(t), v)
		}
	case idl.KindString:
		if c.region != "" && !ptr {
			region, base := c.region, c.base
			c.region, c.base = "", ""
			x := c.tmp("x")
			c.pf("var %s []byte", x)
			if c.compact {
				c.pf("%s, n, err = thrift.ConsumeCompactBytes(b[off:])", x)
			} else {
				c.pf("%s, n, err = thrift.ConsumeBytes(b[off:])", x)
			}
			c.check()
			c.pf("%s = %s[off-%s-len(%s) : off-%s]", target, region, base, x, base)
			return
		}
		fallthrough
	default:
		if ptr {
			v := c.tmp("v")
			c.pf("var %s %s", v, c.fg.goType(t))
			c.pf("%s, n, err = %s(b[off:])", v, c.consumeFunc(k))
			c.check()
			c.pf("%s = &%s", target, v)
			return
		}
		c.pf("%s, n, err = %s(b[off:])", target, c.consumeFunc(k))
		c.check()
	}
}

func (c *codecGen) consumeList(t *idl.Type, target string) {
	u := t.Underlying()
	kind := "List"
	if u.Kind == idl.KindSet {
		kind = "Set"
	}
	cp := ""
	if c.compact {
		cp = "Compact"
	}
	et, size := c.tmp("et"), c.tmp("size")
	c.pf("var %s thrift.Type", et)
	c.pf("var %s int", size)
	c.pf("%s, %s, n, err = thrift.Consume%s%sBegin(b[off:])", et, size, cp, kind)
	c.pf("if err != nil { return 0, err }")
	c.pf("if %s > 0 && %s != %s {", size, et, c.wire(u.Elem))
	c.skip(u.Kind)
	c.pf("} else {")
	region, base := "", ""
	if rep(u.Elem) == idl.KindString {
		c.pf("h := n")
		region, base = c.openRegion(u.Kind)
		c.pf("n = h")
	}
	c.pf("off += n")
	l, i := c.tmp("l"), c.tmp("i")
	c.pf("%s := make(%s, %s)", l, c.fg.goType(t), size)
	alloc := ""
	if rep(u.Elem) == idl.KindStruct {
		items := c.tmp("items")
		c.pf("%s := make([]%s, %s)", items, c.fg.structName(u.Elem), size)
		alloc = "&" + items + "[" + i + "]"
	}
	c.pf("for %s := range %s {", i, l)
	c.region, c.base = region, base
	c.consumeValue(u.Elem, l+"["+i+"]", false, alloc)
	c.pf("}")
	c.pf("%s = %s", target, l)
	c.pf("}")
}

// openRegion emits, at the start of a container of kind k at b[off:] whose
// elements include strings, a copy of the container's bytes as one string
// and returns its variable and the container's offset.
func (c *codecGen) openRegion(k idl.Kind) (string, string) {
	w := map[idl.Kind]string{idl.KindList: "thrift.LIST", idl.KindSet: "thrift.SET", idl.KindMap: "thrift.MAP"}[k]
	region, base := c.tmp("str"), c.tmp("base")
	skip := "SkipBinary"
	if c.compact {
		skip = "SkipCompact"
	}
	c.pf("%s := off", base)
	c.pf("var %s string", region)
	c.pf("if n, err = thrift.%s(b[off:], %s); err != nil { return 0, err }", skip, w)
	c.pf("%s = string(b[off : off+n])", region)
	return region, base
}

func (c *codecGen) skip(k idl.Kind) {
	w := map[idl.Kind]string{idl.KindList: "thrift.LIST", idl.KindSet: "thrift.SET", idl.KindMap: "thrift.MAP"}[k]
	if c.compact {
		c.pf("if n, err = thrift.SkipCompact(b[off:], %s); err != nil { return 0, err }", w)
	} else {
		c.pf("if n, err = thrift.SkipBinary(b[off:], %s); err != nil { return 0, err }", w)
	}
	c.pf("off += n")
}

func (c *codecGen) consumeMap(t *idl.Type, target string) {
	u := t.Underlying()
	cp := ""
	if c.compact {
		cp = "Compact"
	}
	kt, vt, size := c.tmp("kt"), c.tmp("vt"), c.tmp("size")
	c.pf("var %s, %s thrift.Type", kt, vt)
	c.pf("var %s int", size)
	c.pf("%s, %s, %s, n, err = thrift.Consume%sMapBegin(b[off:])", kt, vt, size, cp)
	c.pf("if err != nil { return 0, err }")
	c.pf("if %s > 0 && (%s != %s || %s != %s) {", size, kt, c.wire(u.Key), vt, c.wire(u.Elem))
	c.skip(idl.KindMap)
	c.pf("} else {")
	region, base := "", ""
	_, kfixed := fixedSizes[rep(u.Key)]
	_, vfixed := fixedSizes[rep(u.Elem)]
	kstr, vstr := rep(u.Key) == idl.KindString, rep(u.Elem) == idl.KindString
	// only maps of strings and scalars share a copy: a copy of structs or
	// containers would be kept alive by the strings for nothing
	if (kstr || vstr) && (kstr || kfixed) && (vstr || vfixed) {
		c.pf("h := n")
		region, base = c.openRegion(idl.KindMap)
		c.pf("n = h")
	}
	c.pf("off += n")
	m, i := c.tmp("m"), c.tmp("i")
	c.pf("%s := make(%s, %s)", m, c.fg.goType(t), size)
	kalloc, valloc := "", ""
	if rep(u.Key) == idl.KindStruct {
		items := c.tmp("kitems")
		c.pf("%s := make([]%s, %s)", items, c.fg.structName(u.Key), size)
		kalloc = "&" + items + "[" + i + "]"
	}
	if rep(u.Elem) == idl.KindStruct {
		items := c.tmp("vitems")
		c.pf("%s := make([]%s, %s)", items, c.fg.structName(u.Elem), size)
		valloc = "&" + items + "[" + i + "]"
	}
	c.pf("for %s := 0; %s < %s; %s++ {", i, i, size, i)
	k := c.tmp("k")
	key := k
	switch rep(u.Key) {
	case idl.KindBinary:
		c.pf("var %s string", k)
		c.pf("%s, n, err = thrift.Consume%sString(b[off:])", k, cp)
		c.check()
	case idl.KindList, idl.KindSet, idl.KindMap:
		c.pf("var %s %s", k, c.fg.goType(u.Key))
		c.consumeValue(u.Key, k, false, "")
		key = "&" + k
	default:
		c.pf("var %s %s", k, c.fg.goType(u.Key))
		c.region, c.base = region, base
		c.consumeValue(u.Key, k, false, kalloc)
	}
	v := c.tmp("v")
	c.pf("var %s %s", v, c.fg.goType(u.Elem))
	c.region, c.base = region, base
	c.consumeValue(u.Elem, v, false, valloc)
	c.region, c.base = "", ""
	c.pf("%s[%s] = %s", m, key, v)
	c.pf("}")
	c.pf("%s = %s", target, m)
	c.pf("}")
}
