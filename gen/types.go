package gen

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kite-rpc/kite/codec/thrift/idl"
)

// structModel is a Go struct with a Thrift codec: an IDL struct, union or
// exception, or a method's argument or result wrapper.
type structModel struct {
	name    string // Go name
	idlName string
	kind    idl.StructKind
	doc     string
	fields  []*fieldModel
	file    *idl.File // the IDL file the struct comes from
	pos     idl.Pos
}

type fieldModel struct {
	f        *idl.Field
	name     string // Go name
	t        *idl.Type
	ptr      bool // a scalar held by pointer: optional without default
	cond     bool // written only when set
	required bool // must be present on decode
	def      *idl.ConstValue
	doc      string
}

// isScalar reports whether values of t are Go values (not nil-able).
func isScalar(t *idl.Type) bool {
	switch t.Underlying().Kind {
	case idl.KindList, idl.KindSet, idl.KindMap, idl.KindStruct, idl.KindBinary:
		return false
	}
	return true
}

// methodNames are the methods every generated struct has.
var methodNames = map[string]bool{
	"BinarySize": true, "AppendBinary": true, "ConsumeBinary": true, "AppendCompact": true,
	"ConsumeCompact": true, "Error": true, "String": true, "CountSetFields": true,
}

func (g *generator) structModel(s *idl.Struct) *structModel {
	m := &structModel{name: typeName(s.Name), idlName: s.Name, kind: s.Kind, doc: s.Doc, file: s.File, pos: s.Pos}
	for _, f := range s.Fields {
		fm := &fieldModel{f: f, t: f.Type, def: f.Default, doc: f.Doc}
		switch {
		case s.Kind == idl.Union:
			fm.cond, fm.def = true, nil
			fm.ptr = isScalar(f.Type)
		case f.Requiredness == idl.Optional:
			fm.cond = true
			fm.ptr = isScalar(f.Type) && f.Default == nil
		case f.Requiredness == idl.Required:
			fm.required = true
		}
		m.fields = append(m.fields, fm)
	}
	m.nameFields()
	return m
}

// nameFields gives every field a Go name that collides neither with
// another field nor with a method.
func (m *structModel) nameFields() {
	used := map[string]bool{}
	for k := range methodNames {
		used[k] = true
	}
	for _, f := range m.fields {
		n := exportedName(f.f.Name)
		for used[n] || used["Get"+n] || used["IsSet"+n] {
			n += "_"
		}
		used[n] = true
		if f.ptr {
			used["Get"+n] = true
		}
		if f.hasIsSet() {
			used["IsSet"+n] = true
		}
		f.name = n
	}
}

// hasIsSet reports whether the field gets an IsSet method: an optional
// field held by value (its default makes presence ambiguous).
func (f *fieldModel) hasIsSet() bool { return f.cond && !f.ptr && isScalar(f.t) }

// goType returns the Go type of values of t.
func (fg *fileGen) goType(t *idl.Type) string {
	switch t.Kind {
	case idl.KindBool:
		return "bool"
	case idl.KindByte:
		return "int8"
	case idl.KindI16:
		return "int16"
	case idl.KindI32:
		return "int32"
	case idl.KindI64:
		return "int64"
	case idl.KindDouble:
		return "float64"
	case idl.KindString:
		return "string"
	case idl.KindBinary:
		return "[]byte"
	case idl.KindUUID:
		return "[16]byte"
	case idl.KindEnum:
		return fg.qual(t.Enum.File, typeName(t.Enum.Name))
	case idl.KindStruct:
		return "*" + fg.qual(t.Struct.File, typeName(t.Struct.Name))
	case idl.KindTypedef:
		n := fg.qual(t.Typedef.File, typeName(t.Typedef.Name))
		if t.Underlying().Kind == idl.KindStruct {
			return "*" + n
		}
		return n
	case idl.KindList, idl.KindSet:
		return "[]" + fg.goType(t.Elem)
	case idl.KindMap:
		return "map[" + fg.keyType(t.Key) + "]" + fg.goType(t.Elem)
	}
	panic("gen: no Go type for " + t.String())
}

// keyType returns the Go type of map keys of type t: binary keys are
// strings, container keys are pointers (Go map keys must be comparable).
func (fg *fileGen) keyType(t *idl.Type) string {
	switch t.Underlying().Kind {
	case idl.KindBinary:
		return "string"
	case idl.KindList, idl.KindSet, idl.KindMap:
		return "*" + fg.goType(t)
	}
	return fg.goType(t)
}

// structName returns the qualified Go type (no pointer) of struct type t.
func (fg *fileGen) structName(t *idl.Type) string {
	s := t.Underlying().Struct
	return fg.qual(s.File, typeName(s.Name))
}

func (fg *fileGen) fieldType(f *fieldModel) string {
	if f.ptr {
		return "*" + fg.goType(f.t)
	}
	return fg.goType(f.t)
}

// typesFile generates the Go file of the types of IDL file f.
func (g *generator) typesFile(f *idl.File) (File, error) {
	fg := g.newFile(g.filePkg[f])
	fg.use(idlPkg, "idl")
	fg.pf("var _ = idl.CompatV1 // this code needs the codec API of kite gen %s", Version)
	fg.pf("")
	for _, td := range f.Typedefs {
		fg.typedef(td)
	}
	for _, e := range f.Enums {
		fg.enum(e)
	}
	if err := fg.consts(f); err != nil {
		return File{}, err
	}
	for _, s := range f.Structs {
		m := g.structs[s]
		if err := fg.structDecl(m); err != nil {
			return File{}, err
		}
		fg.codec(m)
	}
	doc := "Package " + fg.pkg.name + " holds the types of " + sourceName(f) + "."
	if f.Doc != "" {
		doc += "\n\n" + f.Doc
	}
	return fg.finish(strings.TrimSuffix(sourceName(f), ".thrift")+".go", sourceName(f), doc)
}

func (fg *fileGen) typedef(td *idl.Typedef) {
	if td.Doc != "" {
		fg.comment(td.Doc)
	} else {
		fg.pf("// %s is the IDL typedef %s.", typeName(td.Name), td.Name)
	}
	fg.pf("type %s = %s", typeName(td.Name), strings.TrimPrefix(fg.goType(td.Type), "*"))
	fg.pf("")
}

func (fg *fileGen) enum(e *idl.Enum) {
	n := typeName(e.Name)
	if e.Doc != "" {
		fg.comment(e.Doc)
	} else {
		fg.pf("// %s is the IDL enum %s.", n, e.Name)
	}
	fg.pf("type %s int32", n)
	fg.pf("")
	fg.pf("// Values of %s.", n)
	fg.pf("const (")
	for _, v := range e.Values {
		if v.Doc != "" {
			fg.comment(v.Doc)
		}
		fg.pf("%s_%s %s = %d", n, v.Name, n, v.Value)
	}
	fg.pf(")")
	fg.pf("")
	fg.pf("// String returns the IDL name of v, or %q followed by the number for", n+"(")
	fg.pf("// values the IDL does not name.")
	fg.pf("func (v %s) String() string {", n)
	fg.pf("switch v {")
	seen := map[int32]bool{}
	for _, v := range e.Values {
		if seen[v.Value] {
			continue
		}
		seen[v.Value] = true
		fg.pf("case %s_%s: return %q", n, v.Name, v.Name)
	}
	fg.pf("}")
	fg.pf("return %q + %s.Itoa(int(v)) + \")\"", n+"(", fg.use("strconv", "strconv"))
	fg.pf("}")
	fg.pf("")
	fg.pf("// Parse%s returns the value of %s named s.", n, n)
	fg.pf("func Parse%s(s string) (%s, error) {", n, n)
	fg.pf("switch s {")
	for _, v := range e.Values {
		fg.pf("case %q: return %s_%s, nil", v.Name, n, v.Name)
	}
	fg.pf("}")
	fg.pf("return 0, %s.New(%q + s)", fg.use("errors", "errors"), "not a valid "+e.Name+" name: ")
	fg.pf("}")
	fg.pf("")
	fg.pf("// MarshalText returns the IDL name of v.")
	fg.pf("func (v %s) MarshalText() ([]byte, error) { return []byte(v.String()), nil }", n)
	fg.pf("")
	fg.pf("// UnmarshalText sets v to the value named by text.")
	fg.pf("func (v *%s) UnmarshalText(text []byte) error {", n)
	fg.pf("x, err := Parse%s(string(text))", n)
	fg.pf("if err != nil { return err }")
	fg.pf("*v = x")
	fg.pf("return nil")
	fg.pf("}")
	fg.pf("")
}

func (fg *fileGen) consts(f *idl.File) error {
	for _, c := range f.Consts {
		n := typeName(c.Name)
		if c.Doc != "" {
			fg.comment(c.Doc)
		} else {
			fg.pf("// %s is the IDL constant %s.", n, c.Name)
		}
		lit, err := fg.literal(c.Value, c.Type)
		if err != nil {
			return err
		}
		switch u := c.Type.Underlying(); u.Kind {
		case idl.KindBool, idl.KindByte, idl.KindI16, idl.KindI32, idl.KindI64, idl.KindDouble, idl.KindString, idl.KindEnum:
			fg.pf("const %s %s = %s", n, fg.goType(c.Type), lit)
		default:
			fg.pf("var %s = %s", n, lit)
		}
		fg.pf("")
	}
	return nil
}

// literal returns a Go expression of type goType(t) for constant v.
func (fg *fileGen) literal(v *idl.ConstValue, t *idl.Type) (string, error) {
	v = v.Deref()
	u := t.Underlying()
	if v.Kind == idl.ConstIdent && v.EnumValue != nil {
		ev := v.EnumValue
		if u.Kind == idl.KindEnum {
			return fg.qual(ev.Enum.File, typeName(ev.Enum.Name)+"_"+ev.Name), nil
		}
		return strconv.Itoa(int(ev.Value)), nil
	}
	switch u.Kind {
	case idl.KindBool:
		if v.Int != 0 {
			return "true", nil
		}
		return "false", nil
	case idl.KindByte, idl.KindI16, idl.KindI32, idl.KindI64:
		return strconv.FormatInt(v.Int, 10), nil
	case idl.KindEnum:
		return fg.goType(t) + "(" + strconv.FormatInt(v.Int, 10) + ")", nil
	case idl.KindDouble:
		d := v.Double
		if v.Kind == idl.ConstInt {
			d = float64(v.Int)
		}
		if math.IsInf(d, 0) || math.IsNaN(d) {
			return "", &idl.Error{Pos: v.Pos, Msg: "double constant out of range"}
		}
		s := strconv.FormatFloat(d, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s, nil
	case idl.KindString:
		return strconv.Quote(v.String), nil
	case idl.KindBinary:
		return "[]byte(" + strconv.Quote(v.String) + ")", nil
	case idl.KindUUID:
		id, _ := idl.ParseUUID(v.String)
		parts := make([]string, 16)
		for i, c := range id {
			parts[i] = fmt.Sprintf("0x%02x", c)
		}
		return "[16]byte{" + strings.Join(parts, ", ") + "}", nil
	case idl.KindList, idl.KindSet:
		var es []string
		for _, e := range v.List {
			s, err := fg.literal(e, u.Elem)
			if err != nil {
				return "", err
			}
			es = append(es, s)
		}
		return fg.goType(t) + "{" + strings.Join(es, ", ") + "}", nil
	case idl.KindMap:
		var es []string
		for _, e := range v.Map {
			k, err := fg.keyLiteral(e.Key, u.Key)
			if err != nil {
				return "", err
			}
			val, err := fg.literal(e.Value, u.Elem)
			if err != nil {
				return "", err
			}
			es = append(es, k+": "+val)
		}
		return fg.goType(t) + "{" + strings.Join(es, ", ") + "}", nil
	case idl.KindStruct:
		m := fg.g.structs[u.Struct]
		var es []string
		for _, e := range v.Map {
			for _, f := range m.fields {
				if f.f.Name != e.Key.String {
					continue
				}
				val, err := fg.literal(e.Value, f.t)
				if err != nil {
					return "", err
				}
				if f.ptr {
					val = "func() *" + fg.goType(f.t) + " { v := " + fg.goType(f.t) + "(" + val + "); return &v }()"
				}
				es = append(es, f.name+": "+val)
			}
		}
		return "&" + fg.structName(t) + "{" + strings.Join(es, ", ") + "}", nil
	}
	return "", &idl.Error{Pos: v.Pos, Msg: "no Go literal for a " + t.String()}
}

func (fg *fileGen) keyLiteral(v *idl.ConstValue, t *idl.Type) (string, error) {
	switch t.Underlying().Kind {
	case idl.KindBinary:
		return strconv.Quote(v.Deref().String), nil
	case idl.KindList, idl.KindSet, idl.KindMap:
		s, err := fg.literal(v, t)
		return "&" + s, err
	}
	return fg.literal(v, t)
}

func (fg *fileGen) structDecl(m *structModel) error {
	if m.doc != "" {
		fg.comment(m.doc)
	} else {
		fg.pf("// %s is the IDL %s %s.", m.name, m.kind, m.idlName)
	}
	fg.pf("type %s struct {", m.name)
	for _, f := range m.fields {
		if f.doc != "" {
			fg.comment(f.doc)
		}
		req := f.f.Requiredness.String()
		if m.kind == idl.Union {
			req = "optional"
		}
		tag := fmt.Sprintf("`thrift:\"%s,%d,%s\" json:\"%s", f.f.Name, f.f.ID, req, f.f.Name)
		if f.cond {
			tag += ",omitempty"
		}
		tag += "\"`"
		fg.pf("%s %s %s", f.name, fg.fieldType(f), tag)
	}
	fg.pf("}")
	fg.pf("")
	// constructor with defaults
	defs, err := fg.defaults(m)
	if err != nil {
		return err
	}
	fg.pf("// New%s returns a %s with the IDL's default values set.", m.name, m.name)
	fg.pf("func New%s() *%s { return &%s{%s} }", m.name, m.name, m.name, defs)
	fg.pf("")
	for _, f := range m.fields {
		switch {
		case f.ptr:
			zero := "v"
			fg.pf("// Get%s returns the value of %s, or the zero value when it is not set.", f.name, f.name)
			fg.pf("func (p *%s) Get%s() (v %s) {", m.name, f.name, fg.goType(f.t))
			fg.pf("if p != nil && p.%s != nil { v = *p.%s }", f.name, f.name)
			fg.pf("return %s", zero)
			fg.pf("}")
			fg.pf("")
		case f.hasIsSet():
			cond, err := fg.setCond(f, "p.")
			if err != nil {
				return err
			}
			fg.pf("// IsSet%s reports whether the optional field %s is set: whether it", f.name, f.name)
			fg.pf("// differs from its default.")
			fg.pf("func (p *%s) IsSet%s() bool { return p != nil && %s }", m.name, f.name, cond)
			fg.pf("")
		}
	}
	if m.kind == idl.Union {
		fg.pf("// CountSetFields returns how many fields of the union are set; a valid")
		fg.pf("// union value has exactly one.")
		fg.pf("func (p *%s) CountSetFields() int {", m.name)
		fg.pf("n := 0")
		fg.pf("if p == nil { return 0 }")
		for _, f := range m.fields {
			fg.pf("if p.%s != nil { n++ }", f.name)
		}
		fg.pf("return n")
		fg.pf("}")
		fg.pf("")
	}
	if m.kind == idl.Exception {
		fg.pf("// Error returns %q followed by the field values, as Kitex's generated", m.name+"(")
		fg.pf("// code does.")
		fg.pf("func (p *%s) Error() string {", m.name)
		fg.pf("if p == nil { return %q }", m.name+"(<nil>)")
		fg.pf("return %s.Sprintf(%q, *p)", fg.use("fmt", "fmt"), m.name+"(%+v)")
		fg.pf("}")
		fg.pf("")
	}
	return nil
}

// defaults returns the composite literal fields that set m's defaults.
func (fg *fileGen) defaults(m *structModel) (string, error) {
	var es []string
	for _, f := range m.fields {
		if f.def == nil {
			continue
		}
		lit, err := fg.literal(f.def, f.t)
		if err != nil {
			return "", err
		}
		if f.ptr { // not reached: pointer fields have no default
			continue
		}
		es = append(es, f.name+": "+lit)
	}
	return strings.Join(es, ", "), nil
}

// setCond returns the condition under which a conditional field is
// written; prefix is the receiver ("p.").
func (fg *fileGen) setCond(f *fieldModel, prefix string) (string, error) {
	if f.ptr || !isScalar(f.t) {
		return prefix + f.name + " != nil", nil
	}
	if f.def == nil {
		// an optional scalar without pointer: only unions, which use ptr
		return "true", nil
	}
	lit, err := fg.literal(f.def, f.t)
	if err != nil {
		return "", err
	}
	return prefix + f.name + " != " + lit, nil
}
