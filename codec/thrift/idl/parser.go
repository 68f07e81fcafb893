package idl

import (
	"strconv"
	"strings"
)

// kindUnresolved marks a named type before resolution.
const kindUnresolved Kind = 255

// parser builds the syntax of one file; resolve.go resolves it.
type parser struct {
	lx       *lexer
	tok      token
	file     *File
	fieldVal int32 // Apache's y_field_val: the next automatic field id
	argList  bool
	// types and consts in declaration order, for resolution
	types  []*Type
	consts []*ConstValue
}

func parse(path string, src []byte) (*File, *parser, error) {
	name := path
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSuffix(name, ".thrift")
	p := &parser{lx: newLexer(path, src), file: &File{Path: path, Name: name}}
	if err := p.next(); err != nil {
		return nil, nil, err
	}
	if err := p.parseFile(); err != nil {
		return nil, nil, err
	}
	return p.file, p, nil
}

func (p *parser) next() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errorf(pos Pos, format string, args ...any) error {
	return &Error{Pos: pos, Msg: sprintf(format, args...)}
}

// sprintf is a tiny %s/%d/%q formatter, enough for error messages.
func sprintf(format string, args ...any) string {
	var sb strings.Builder
	ai := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			sb.WriteByte(c)
			continue
		}
		i++
		if ai >= len(args) {
			sb.WriteByte('%')
			sb.WriteByte(format[i])
			continue
		}
		a := args[ai]
		ai++
		switch format[i] {
		case 'q':
			sb.WriteString(strconv.Quote(toString(a)))
		default:
			sb.WriteString(toString(a))
		}
	}
	return sb.String()
}

func toString(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case int16:
		return strconv.Itoa(int(v))
	case int32:
		return strconv.Itoa(int(v))
	case int64:
		return strconv.FormatInt(v, 10)
	case interface{ String() string }:
		return v.String()
	case error:
		return v.Error()
	}
	return "?"
}

func (p *parser) describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokLiteral:
		return strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

func (p *parser) unexpected(what string) error {
	return p.errorf(p.tok.pos, "expected %s, found %s", what, p.describe(p.tok))
}

func (p *parser) isSym(s string) bool { return p.tok.kind == tokSymbol && p.tok.text == s }

func (p *parser) isWord(s string) bool { return p.tok.kind == tokIdent && p.tok.text == s }

func (p *parser) accept(s string) (bool, error) {
	if p.isSym(s) {
		return true, p.next()
	}
	return false, nil
}

func (p *parser) expect(s string) error {
	if !p.isSym(s) {
		return p.unexpected(strconv.Quote(s))
	}
	return p.next()
}

func (p *parser) ident(what string) (string, Pos, error) {
	if p.tok.kind != tokIdent {
		return "", p.tok.pos, p.unexpected(what)
	}
	t := p.tok
	return t.text, t.pos, p.next()
}

// simpleIdent reads a definition name, which may not contain dots.
func (p *parser) simpleIdent(what string) (string, Pos, error) {
	name, pos, err := p.ident(what)
	if err == nil && strings.Contains(name, ".") {
		err = p.errorf(pos, "%q is not a valid name here: it contains a dot", name)
	}
	return name, pos, err
}

func (p *parser) literal(what string) (string, error) {
	if p.tok.kind != tokLiteral {
		return "", p.unexpected(what)
	}
	s := p.tok.text
	return s, p.next()
}

func (p *parser) skipSeparator() error {
	if p.isSym(",") || p.isSym(";") {
		return p.next()
	}
	return nil
}

func (p *parser) warn(pos Pos, format string, args ...any) {
	p.file.Warnings = append(p.file.Warnings, pos.String()+": "+sprintf(format, args...))
}

func (p *parser) parseFile() error {
	first := true
	for p.tok.kind != tokEOF {
		if p.tok.kind != tokIdent {
			return p.unexpected("a header or definition")
		}
		doc := p.tok.doc
		var err error
		switch p.tok.text {
		case "include", "cpp_include", "namespace":
			if first && doc != "" {
				p.file.Doc = doc
			}
			err = p.parseHeader()
		case "const":
			err = p.parseConst(doc)
		case "typedef":
			err = p.parseTypedef(doc)
		case "enum":
			err = p.parseEnum(doc)
		case "struct", "union", "exception":
			err = p.parseStruct(doc)
		case "service":
			err = p.parseService(doc)
		default:
			return p.unexpected("a header or definition")
		}
		if err != nil {
			return err
		}
		first = false
	}
	return nil
}

func (p *parser) parseHeader() error {
	kw := p.tok.text
	pos := p.tok.pos
	if err := p.next(); err != nil {
		return err
	}
	switch kw {
	case "include":
		path, err := p.literal("an include path")
		if err != nil {
			return err
		}
		p.file.Includes = append(p.file.Includes, &Include{Path: path, Pos: pos})
		return p.skipSeparator()
	case "cpp_include":
		path, err := p.literal("a cpp_include path")
		if err != nil {
			return err
		}
		p.file.CppIncludes = append(p.file.CppIncludes, path)
		return p.skipSeparator()
	}
	ns := &Namespace{Pos: pos}
	if p.isSym("*") {
		ns.Scope = "*"
		if err := p.next(); err != nil {
			return err
		}
	} else {
		s, _, err := p.ident("a namespace scope")
		if err != nil {
			return err
		}
		ns.Scope = s
	}
	switch p.tok.kind {
	case tokIdent, tokLiteral:
		ns.Name = p.tok.text
		if err := p.next(); err != nil {
			return err
		}
	default:
		return p.unexpected("a namespace name")
	}
	a, err := p.parseAnnotations()
	if err != nil {
		return err
	}
	ns.Annotations = a
	p.file.Namespaces = append(p.file.Namespaces, ns)
	return p.skipSeparator()
}

// parseAnnotations parses an optional `( key = "value", ... )` list.
func (p *parser) parseAnnotations() (Annotations, error) {
	if !p.isSym("(") {
		return nil, nil
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	as := Annotations{}
	for !p.isSym(")") {
		key, pos, err := p.ident("an annotation key")
		if err != nil {
			return nil, err
		}
		val := "1"
		if ok, err := p.accept("="); err != nil {
			return nil, err
		} else if ok {
			if val, err = p.literal("an annotation value"); err != nil {
				return nil, err
			}
		}
		as = append(as, Annotation{Key: key, Value: val, Pos: pos})
		if err := p.skipSeparator(); err != nil {
			return nil, err
		}
	}
	return as, p.next()
}

var baseKinds = map[string]Kind{
	"bool": KindBool, "byte": KindByte, "i8": KindByte, "i16": KindI16, "i32": KindI32, "i64": KindI64,
	"double": KindDouble, "string": KindString, "binary": KindBinary, "uuid": KindUUID,
}

func (p *parser) cppType() (string, error) {
	if !p.isWord("cpp_type") {
		return "", nil
	}
	if err := p.next(); err != nil {
		return "", err
	}
	return p.literal("a cpp_type")
}

func (p *parser) parseType() (*Type, error) {
	if p.tok.kind != tokIdent {
		return nil, p.unexpected("a type")
	}
	t := &Type{Name: p.tok.text, Pos: p.tok.pos}
	word := p.tok.text
	if err := p.next(); err != nil {
		return nil, err
	}
	var err error
	if k, ok := baseKinds[word]; ok {
		t.Kind = k
	} else {
		switch word {
		case "map":
			t.Kind = KindMap
			if t.CppType, err = p.cppType(); err != nil {
				return nil, err
			}
			if err = p.expect("<"); err != nil {
				return nil, err
			}
			if t.Key, err = p.parseType(); err != nil {
				return nil, err
			}
			if err = p.expect(","); err != nil {
				return nil, err
			}
			if t.Elem, err = p.parseType(); err != nil {
				return nil, err
			}
			if err = p.expect(">"); err != nil {
				return nil, err
			}
		case "list", "set":
			t.Kind = KindList
			if word == "set" {
				t.Kind = KindSet
			}
			if t.CppType, err = p.cppType(); err != nil {
				return nil, err
			}
			if err = p.expect("<"); err != nil {
				return nil, err
			}
			if t.Elem, err = p.parseType(); err != nil {
				return nil, err
			}
			if err = p.expect(">"); err != nil {
				return nil, err
			}
			if word == "list" {
				if ct, err := p.cppType(); err != nil {
					return nil, err
				} else if ct != "" {
					t.CppType = ct
				}
			}
		case "void":
			return nil, p.errorf(t.Pos, "void is only a function result type")
		default:
			t.Kind = kindUnresolved
			p.types = append(p.types, t)
			return t, nil
		}
	}
	if t.Annotations, err = p.parseAnnotations(); err != nil {
		return nil, err
	}
	return t, nil
}

func (p *parser) parseConstValue() (*ConstValue, error) {
	v := &ConstValue{Pos: p.tok.pos}
	switch p.tok.kind {
	case tokInt:
		v.Kind, v.Int = ConstInt, p.tok.ival
	case tokDouble:
		v.Kind, v.Double = ConstDouble, p.tok.dval
	case tokLiteral:
		v.Kind, v.String = ConstString, p.tok.text
	case tokIdent:
		v.Kind, v.Ident = ConstIdent, p.tok.text
		p.consts = append(p.consts, v)
	case tokSymbol:
		switch p.tok.text {
		case "[":
			v.Kind = ConstList
			v.List = []*ConstValue{}
			if err := p.next(); err != nil {
				return nil, err
			}
			for !p.isSym("]") {
				e, err := p.parseConstValue()
				if err != nil {
					return nil, err
				}
				v.List = append(v.List, e)
				if err := p.skipSeparator(); err != nil {
					return nil, err
				}
			}
		case "{":
			v.Kind = ConstMap
			v.Map = []ConstMapEntry{}
			if err := p.next(); err != nil {
				return nil, err
			}
			for !p.isSym("}") {
				k, err := p.parseConstValue()
				if err != nil {
					return nil, err
				}
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				e, err := p.parseConstValue()
				if err != nil {
					return nil, err
				}
				v.Map = append(v.Map, ConstMapEntry{Key: k, Value: e})
				if err := p.skipSeparator(); err != nil {
					return nil, err
				}
			}
		default:
			return nil, p.unexpected("a constant value")
		}
	default:
		return nil, p.unexpected("a constant value")
	}
	return v, p.next()
}

func (p *parser) parseConst(doc string) error {
	c := &Const{Doc: doc, Pos: p.tok.pos, File: p.file}
	if err := p.next(); err != nil {
		return err
	}
	var err error
	if c.Type, err = p.parseType(); err != nil {
		return err
	}
	if c.Name, _, err = p.simpleIdent("a constant name"); err != nil {
		return err
	}
	if err = p.expect("="); err != nil {
		return err
	}
	if c.Value, err = p.parseConstValue(); err != nil {
		return err
	}
	if c.Annotations, err = p.parseAnnotations(); err != nil {
		return err
	}
	p.file.Consts = append(p.file.Consts, c)
	return p.skipSeparator()
}

func (p *parser) parseTypedef(doc string) error {
	td := &Typedef{Doc: doc, Pos: p.tok.pos, File: p.file}
	if err := p.next(); err != nil {
		return err
	}
	var err error
	if td.Type, err = p.parseType(); err != nil {
		return err
	}
	if td.Name, _, err = p.simpleIdent("a typedef name"); err != nil {
		return err
	}
	if td.Annotations, err = p.parseAnnotations(); err != nil {
		return err
	}
	p.file.Typedefs = append(p.file.Typedefs, td)
	return p.skipSeparator()
}

func (p *parser) parseEnum(doc string) error {
	e := &Enum{Doc: doc, Pos: p.tok.pos, File: p.file}
	if err := p.next(); err != nil {
		return err
	}
	var err error
	if e.Name, _, err = p.simpleIdent("an enum name"); err != nil {
		return err
	}
	if err = p.expect("{"); err != nil {
		return err
	}
	next := int64(0)
	seen := map[string]bool{}
	for !p.isSym("}") {
		ev := &EnumValue{Doc: p.tok.doc, Enum: e}
		if ev.Name, ev.Pos, err = p.simpleIdent("an enum value name"); err != nil {
			return err
		}
		if seen[ev.Name] {
			return p.errorf(ev.Pos, "enum value %s.%s is already defined", e.Name, ev.Name)
		}
		seen[ev.Name] = true
		if ok, err := p.accept("="); err != nil {
			return err
		} else if ok {
			if p.tok.kind != tokInt {
				return p.unexpected("an integer enum value")
			}
			v := p.tok.ival
			if v < -1<<31 || v > 1<<31-1 {
				return p.errorf(p.tok.pos, "64-bit value supplied for enum %s will be truncated", ev.Name)
			}
			next = v
			ev.Explicit = true
			if err := p.next(); err != nil {
				return err
			}
		} else if next > 1<<31-1 {
			return p.errorf(ev.Pos, "enum value overflow at enum %s", ev.Name)
		}
		ev.Value = int32(next)
		next++
		if ev.Annotations, err = p.parseAnnotations(); err != nil {
			return err
		}
		e.Values = append(e.Values, ev)
		if err := p.skipSeparator(); err != nil {
			return err
		}
	}
	if err := p.next(); err != nil {
		return err
	}
	if e.Annotations, err = p.parseAnnotations(); err != nil {
		return err
	}
	p.file.Enums = append(p.file.Enums, e)
	return p.skipSeparator()
}

func (p *parser) parseStruct(doc string) error {
	s := &Struct{Doc: doc, Pos: p.tok.pos, File: p.file}
	switch p.tok.text {
	case "union":
		s.Kind = Union
	case "exception":
		s.Kind = Exception
	}
	if err := p.next(); err != nil {
		return err
	}
	var err error
	if s.Name, _, err = p.simpleIdent("a " + s.Kind.String() + " name"); err != nil {
		return err
	}
	if p.isWord("xsd_all") {
		if err := p.next(); err != nil {
			return err
		}
	}
	if err = p.expect("{"); err != nil {
		return err
	}
	if s.Fields, err = p.parseFields("}"); err != nil {
		return err
	}
	if s.Annotations, err = p.parseAnnotations(); err != nil {
		return err
	}
	p.file.Structs = append(p.file.Structs, s)
	return p.skipSeparator()
}

// parseFields parses fields up to and including the closing symbol end.
func (p *parser) parseFields(end string) ([]*Field, error) {
	p.fieldVal = -1
	fields := []*Field{}
	ids := map[int16]bool{}
	names := map[string]bool{}
	for !p.isSym(end) {
		f, err := p.parseField()
		if err != nil {
			return nil, err
		}
		if ids[f.ID] || names[f.Name] {
			return nil, p.errorf(f.Pos, "\"%s: %s\" - field identifier/name has already been used", int(f.ID), f.Name)
		}
		ids[f.ID], names[f.Name] = true, true
		fields = append(fields, f)
	}
	return fields, p.next()
}

func (p *parser) parseField() (*Field, error) {
	f := &Field{Doc: p.tok.doc, Pos: p.tok.pos}
	if p.tok.kind == tokInt {
		id, idPos := p.tok.ival, p.tok.pos
		if err := p.next(); err != nil {
			return nil, err
		}
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		if id <= 0 {
			p.warn(idPos, "Nonpositive value (%s) not allowed as a field key.", id)
			f.ID, f.AutoID = int16(p.fieldVal), true
			p.fieldVal--
		} else {
			if id > 1<<15-1 {
				return nil, p.errorf(idPos, "field key (%s) exceeds allowed range (-32768..32767)", id)
			}
			f.ID = int16(id)
		}
	} else {
		f.ID, f.AutoID = int16(p.fieldVal), true
		p.fieldVal--
	}
	if p.fieldVal < -1<<15 {
		return nil, p.errorf(f.Pos, "too many fields without a key")
	}
	switch {
	case p.isWord("required"):
		f.Requiredness = Required
	case p.isWord("optional"):
		if p.argList {
			p.warn(p.tok.pos, "optional keyword is ignored in argument lists.")
		} else {
			f.Requiredness = Optional
		}
	}
	if f.Requiredness != Default || p.isWord("optional") {
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	var err error
	if f.Type, err = p.parseType(); err != nil {
		return nil, err
	}
	if p.isSym("&") {
		f.Reference = true
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	var namePos Pos
	if f.Name, namePos, err = p.simpleIdent("a field name"); err != nil {
		return nil, err
	}
	if f.AutoID {
		p.warn(namePos, "No field key specified for %s, resulting protocol may have conflicts or not be backwards compatible!", f.Name)
	}
	if ok, err := p.accept("="); err != nil {
		return nil, err
	} else if ok {
		if f.Default, err = p.parseConstValue(); err != nil {
			return nil, err
		}
	}
	for p.isWord("xsd_optional") || p.isWord("xsd_nillable") {
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if p.isWord("xsd_attrs") {
		if err := p.next(); err != nil {
			return nil, err
		}
		if err := p.expect("{"); err != nil {
			return nil, err
		}
		saved := p.fieldVal
		if _, err := p.parseFields("}"); err != nil {
			return nil, err
		}
		p.fieldVal = saved
	}
	if f.Annotations, err = p.parseAnnotations(); err != nil {
		return nil, err
	}
	return f, p.skipSeparator()
}

func (p *parser) parseService(doc string) error {
	s := &Service{Doc: doc, Pos: p.tok.pos, File: p.file}
	if err := p.next(); err != nil {
		return err
	}
	var err error
	if s.Name, _, err = p.simpleIdent("a service name"); err != nil {
		return err
	}
	if p.isWord("extends") {
		if err := p.next(); err != nil {
			return err
		}
		if s.Extends, _, err = p.ident("a service name"); err != nil {
			return err
		}
	}
	if err = p.expect("{"); err != nil {
		return err
	}
	names := map[string]bool{}
	for !p.isSym("}") {
		f, err := p.parseFunction(s)
		if err != nil {
			return err
		}
		if names[f.Name] {
			return p.errorf(f.Pos, "function %s.%s is already defined", s.Name, f.Name)
		}
		names[f.Name] = true
		s.Functions = append(s.Functions, f)
	}
	if err := p.next(); err != nil {
		return err
	}
	if s.Annotations, err = p.parseAnnotations(); err != nil {
		return err
	}
	p.file.Services = append(p.file.Services, s)
	return p.skipSeparator()
}

func (p *parser) parseFunction(s *Service) (*Function, error) {
	f := &Function{Doc: p.tok.doc, Pos: p.tok.pos, Service: s}
	if p.isWord("oneway") || p.isWord("async") {
		f.Oneway = true
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	var err error
	if p.isWord("void") {
		f.Result = &Type{Kind: KindVoid, Name: "void", Pos: p.tok.pos}
		if err := p.next(); err != nil {
			return nil, err
		}
	} else if f.Result, err = p.parseType(); err != nil {
		return nil, err
	}
	if f.Name, _, err = p.simpleIdent("a function name"); err != nil {
		return nil, err
	}
	if err = p.expect("("); err != nil {
		return nil, err
	}
	p.argList = true
	f.Args, err = p.parseFields(")")
	p.argList = false
	if err != nil {
		return nil, err
	}
	if p.isWord("throws") {
		if err := p.next(); err != nil {
			return nil, err
		}
		if err := p.expect("("); err != nil {
			return nil, err
		}
		if f.Throws, err = p.parseFields(")"); err != nil {
			return nil, err
		}
	}
	if f.Oneway && (f.Result.Kind != KindVoid || len(f.Throws) > 0) {
		return nil, p.errorf(f.Pos, "oneway function %s must be void and throw nothing", f.Name)
	}
	if f.Annotations, err = p.parseAnnotations(); err != nil {
		return nil, err
	}
	return f, p.skipSeparator()
}
