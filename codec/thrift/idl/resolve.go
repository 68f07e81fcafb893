package idl

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Options configure [ParseFile].
type Options struct {
	// IncludeDirs are searched, in order, for included files that are not
	// found relative to the including file.
	IncludeDirs []string
	// ReadFile reads a file; nil means os.ReadFile.
	ReadFile func(name string) ([]byte, error)
}

// ParseFile parses the IDL file at path and every file it includes, and
// resolves them. Each file is parsed once, however often it is included;
// an include cycle is an error.
func ParseFile(path string, opts *Options) (*File, error) {
	ld := newLoader(opts)
	return ld.load(filepath.Clean(path), nil, Pos{})
}

// Parse parses src as the IDL file named filename (its includes are read
// as [ParseFile] reads them) and resolves it.
func Parse(filename string, src []byte, opts *Options) (*File, error) {
	ld := newLoader(opts)
	return ld.load(filepath.Clean(filename), src, Pos{})
}

type loader struct {
	opts    Options
	files   map[string]*File
	loading []string // the include chain being loaded, for cycle errors
}

func newLoader(opts *Options) *loader {
	ld := &loader{files: map[string]*File{}}
	if opts != nil {
		ld.opts = *opts
	}
	if ld.opts.ReadFile == nil {
		ld.opts.ReadFile = os.ReadFile
	}
	return ld
}

func key(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}

func (ld *loader) load(path string, src []byte, from Pos) (*File, error) {
	k := key(path)
	for i, l := range ld.loading {
		if l == k {
			chain := append(append([]string(nil), ld.loading[i:]...), k)
			for j := range chain {
				chain[j] = filepath.Base(chain[j])
			}
			return nil, &Error{Pos: from, Msg: "include cycle: " + strings.Join(chain, " -> ")}
		}
	}
	if f := ld.files[k]; f != nil {
		return f, nil
	}
	if src == nil {
		b, err := ld.opts.ReadFile(path)
		if err != nil {
			if from.File == "" {
				return nil, err
			}
			return nil, &Error{Pos: from, Msg: err.Error()}
		}
		src = b
	}
	f, p, err := parse(path, src)
	if err != nil {
		return nil, err
	}
	ld.loading = append(ld.loading, k)
	for _, inc := range f.Includes {
		ip, err := ld.find(filepath.Dir(path), inc)
		if err != nil {
			return nil, err
		}
		if inc.File, err = ld.load(ip, nil, inc.Pos); err != nil {
			return nil, err
		}
	}
	ld.loading = ld.loading[:len(ld.loading)-1]
	if err := resolve(f, p); err != nil {
		return nil, err
	}
	ld.files[k] = f
	return f, nil
}

// find locates an included file: relative to the including file's
// directory, then in each include directory.
func (ld *loader) find(dir string, inc *Include) (string, error) {
	if filepath.IsAbs(inc.Path) {
		return inc.Path, nil
	}
	cands := []string{filepath.Join(dir, inc.Path)}
	for _, d := range ld.opts.IncludeDirs {
		cands = append(cands, filepath.Join(d, inc.Path))
	}
	for _, c := range cands {
		if _, err := ld.opts.ReadFile(c); err == nil {
			return c, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", &Error{Pos: inc.Pos, Msg: err.Error()}
		}
	}
	return "", &Error{Pos: inc.Pos, Msg: "could not find include file " + inc.Path}
}

// scope holds one file's definitions by name.
type scope struct {
	types    map[string]any // *Typedef, *Enum or *Struct
	consts   map[string]*Const
	services map[string]*Service
	includes map[string]*File
}

type resolver struct {
	f  *File
	sc *scope
	// consts being checked, for reference cycles
	checking map[*Const]bool
}

func buildScope(f *File) (*scope, error) {
	sc := &scope{
		types:    map[string]any{},
		consts:   map[string]*Const{},
		services: map[string]*Service{},
		includes: map[string]*File{},
	}
	for _, inc := range f.Includes {
		sc.includes[inc.File.Name] = inc.File
	}
	type def struct {
		name string
		pos  Pos
		v    any
	}
	var defs []def
	for _, td := range f.Typedefs {
		defs = append(defs, def{td.Name, td.Pos, td})
	}
	for _, e := range f.Enums {
		defs = append(defs, def{e.Name, e.Pos, e})
	}
	for _, s := range f.Structs {
		defs = append(defs, def{s.Name, s.Pos, s})
	}
	for _, s := range f.Services {
		defs = append(defs, def{s.Name, s.Pos, s})
	}
	sort.Slice(defs, func(i, j int) bool {
		a, b := defs[i].pos, defs[j].pos
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	for _, d := range defs {
		_, t := sc.types[d.name]
		_, s := sc.services[d.name]
		if t || s {
			return nil, &Error{Pos: d.pos, Msg: "Type \"" + d.name + "\" is already defined."}
		}
		if svc, ok := d.v.(*Service); ok {
			sc.services[d.name] = svc
		} else {
			sc.types[d.name] = d.v
		}
	}
	for _, c := range f.Consts {
		if _, dup := sc.consts[c.Name]; dup {
			return nil, &Error{Pos: c.Pos, Msg: "constant " + c.Name + " is already defined"}
		}
		sc.consts[c.Name] = c
	}
	return sc, nil
}

// lookup finds name ("Foo" or "inc.Foo") in r's file or a directly
// included one, with get picking the kind of definition.
func lookup[T any](r *resolver, name string, get func(*scope, string) (T, bool)) (T, bool) {
	if v, ok := get(r.sc, name); ok {
		return v, true
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if inc := r.sc.includes[name[:i]]; inc != nil {
			return get(inc.scope, name[i+1:])
		}
	}
	var zero T
	return zero, false
}

func resolve(f *File, p *parser) error {
	sc, err := buildScope(f)
	if err != nil {
		return err
	}
	f.scope = sc
	r := &resolver{f: f, sc: sc, checking: map[*Const]bool{}}
	for _, t := range p.types {
		if err := r.resolveType(t); err != nil {
			return err
		}
	}
	for _, td := range f.Typedefs {
		seen := map[*Typedef]bool{td: true}
		for t := td.Type; t.Kind == KindTypedef; t = t.Typedef.Type {
			if seen[t.Typedef] {
				return &Error{Pos: td.Pos, Msg: "typedef " + td.Name + " refers to itself"}
			}
			seen[t.Typedef] = true
		}
	}
	for _, s := range f.Services {
		if s.Extends == "" {
			continue
		}
		base, ok := lookup(r, s.Extends, func(sc *scope, n string) (*Service, bool) { v, ok := sc.services[n]; return v, ok })
		if !ok {
			return &Error{Pos: s.Pos, Msg: "Service \"" + s.Extends + "\" has not been defined."}
		}
		s.Base = base
		have := map[string]bool{}
		for _, fn := range base.AllFunctions() {
			have[fn.Name] = true
		}
		for _, fn := range s.Functions {
			if have[fn.Name] {
				return &Error{Pos: fn.Pos, Msg: "function " + fn.Name + " is already defined by base service " + s.Extends}
			}
		}
	}
	for _, c := range f.Consts {
		if err := r.checkConst(c); err != nil {
			return err
		}
	}
	for _, s := range f.Structs {
		if err := r.checkFields(s.Fields); err != nil {
			return err
		}
		if s.Kind == Union {
			for _, fd := range s.Fields {
				if fd.Requiredness == Required {
					r.warn(fd.Pos, "union field "+fd.Name+" cannot be required; it is treated as optional")
				}
			}
		}
	}
	for _, s := range f.Services {
		for _, fn := range s.Functions {
			if err := r.checkFields(fn.Args); err != nil {
				return err
			}
			if err := r.checkFields(fn.Throws); err != nil {
				return err
			}
			for _, t := range fn.Throws {
				u := t.Type.Underlying()
				if u.Kind != KindStruct || u.Struct.Kind != Exception {
					return &Error{Pos: t.Pos, Msg: "Throws clause may not contain non-exception types"}
				}
			}
		}
	}
	// identifiers left in constant values that were never checked against a
	// type cannot exist: every ConstValue belongs to a const or a default.
	return nil
}

func (r *resolver) warn(pos Pos, msg string) {
	r.f.Warnings = append(r.f.Warnings, pos.String()+": "+msg)
}

func (r *resolver) resolveType(t *Type) error {
	if t.Kind != kindUnresolved {
		return nil
	}
	def, ok := lookup(r, t.Name, func(sc *scope, n string) (any, bool) { v, ok := sc.types[n]; return v, ok })
	if !ok {
		return &Error{Pos: t.Pos, Msg: "type \"" + t.Name + "\" has not been defined"}
	}
	switch d := def.(type) {
	case *Typedef:
		t.Kind, t.Typedef = KindTypedef, d
	case *Enum:
		t.Kind, t.Enum = KindEnum, d
	case *Struct:
		t.Kind, t.Struct = KindStruct, d
	}
	return nil
}

func (r *resolver) checkFields(fields []*Field) error {
	for _, f := range fields {
		if err := checkKeyTypes(f.Type); err != nil {
			return err
		}
		if f.Default != nil {
			if err := r.checkValue(f.Default, f.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkKeyTypes rejects void and other impossible element types.
func checkKeyTypes(t *Type) error {
	switch t.Kind {
	case KindList, KindSet:
		return checkKeyTypes(t.Elem)
	case KindMap:
		if err := checkKeyTypes(t.Key); err != nil {
			return err
		}
		return checkKeyTypes(t.Elem)
	}
	return nil
}

func (r *resolver) checkConst(c *Const) error {
	if r.checking[c] {
		return &Error{Pos: c.Pos, Msg: "constant " + c.Name + " refers to itself"}
	}
	r.checking[c] = true
	defer delete(r.checking, c)
	return r.checkValue(c.Value, c.Type)
}

func typeErr(v *ConstValue, t *Type) error {
	return &Error{Pos: v.Pos, Msg: "type error: value " + v.describe() + " is not a " + t.String()}
}

func (v *ConstValue) describe() string {
	switch v.Kind {
	case ConstInt:
		return sprintf("%s", v.Int)
	case ConstDouble:
		return "double constant"
	case ConstString:
		return sprintf("%q", v.String)
	case ConstIdent:
		return v.Ident
	case ConstList:
		return "list"
	}
	return "map"
}

// resolveIdent resolves an identifier constant: "CONST", "inc.CONST",
// "Enum.VALUE" or "inc.Enum.VALUE".
func (r *resolver) resolveIdent(v *ConstValue) error {
	if v.Const != nil || v.EnumValue != nil {
		return nil
	}
	name := v.Ident
	if c, ok := lookup(r, name, func(sc *scope, n string) (*Const, bool) { c, ok := sc.consts[n]; return c, ok }); ok {
		v.Const = c
		if c.File == r.f {
			return r.checkConst(c)
		}
		return nil
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		def, ok := lookup(r, name[:i], func(sc *scope, n string) (any, bool) { d, ok := sc.types[n]; return d, ok })
		if ok {
			if e, isEnum := def.(*Enum); isEnum {
				for _, ev := range e.Values {
					if ev.Name == name[i+1:] {
						v.EnumValue = ev
						return nil
					}
				}
			}
		}
	}
	return &Error{Pos: v.Pos, Msg: "constant or enum value \"" + name + "\" has not been defined"}
}

// checkValue checks that v is a valid value of type t and resolves the
// identifiers in it.
func (r *resolver) checkValue(v *ConstValue, t *Type) error {
	u := t.Underlying()
	if v.Kind == ConstIdent {
		if err := r.resolveIdent(v); err != nil {
			return err
		}
		if v.EnumValue != nil {
			switch u.Kind {
			case KindEnum:
				if v.EnumValue.Enum != u.Enum {
					return typeErr(v, t)
				}
				return nil
			case KindByte, KindI16, KindI32, KindI64:
				return checkInt(v, int64(v.EnumValue.Value), u.Kind, t)
			case KindDouble:
				return nil
			}
			return typeErr(v, t)
		}
		c := v.Const
		cu := c.Type.Underlying()
		if u.Kind == KindEnum && cu.Kind == KindEnum && cu.Enum != u.Enum {
			return typeErr(v, t)
		}
		// the constant's value must also be a valid value of t; its
		// identifiers are resolved already
		return r.checkValue(c.Value, t)
	}
	switch u.Kind {
	case KindBool:
		if v.Kind != ConstInt || (v.Int != 0 && v.Int != 1) {
			return typeErr(v, t)
		}
	case KindByte, KindI16, KindI32, KindI64:
		if v.Kind != ConstInt {
			return typeErr(v, t)
		}
		return checkInt(v, v.Int, u.Kind, t)
	case KindDouble:
		if v.Kind != ConstInt && v.Kind != ConstDouble {
			return typeErr(v, t)
		}
	case KindString, KindBinary:
		if v.Kind != ConstString {
			return typeErr(v, t)
		}
	case KindUUID:
		if v.Kind != ConstString {
			return typeErr(v, t)
		}
		if _, ok := ParseUUID(v.String); !ok {
			return &Error{Pos: v.Pos, Msg: "invalid uuid " + v.String}
		}
	case KindEnum:
		if v.Kind != ConstInt {
			return typeErr(v, t)
		}
		for _, ev := range u.Enum.Values {
			if int64(ev.Value) == v.Int {
				return nil
			}
		}
		r.warn(v.Pos, sprintf("value %s is not a value of enum %s", v.Int, u.Enum.Name))
		return checkInt(v, v.Int, KindI32, t)
	case KindList, KindSet:
		if v.Kind != ConstList {
			return typeErr(v, t)
		}
		for _, e := range v.List {
			if err := r.checkValue(e, u.Elem); err != nil {
				return err
			}
		}
	case KindMap:
		if v.Kind != ConstMap {
			return typeErr(v, t)
		}
		for _, e := range v.Map {
			if err := r.checkValue(e.Key, u.Key); err != nil {
				return err
			}
			if err := r.checkValue(e.Value, u.Elem); err != nil {
				return err
			}
		}
	case KindStruct:
		if v.Kind != ConstMap {
			return typeErr(v, t)
		}
		for _, e := range v.Map {
			if e.Key.Kind != ConstString {
				return &Error{Pos: e.Key.Pos, Msg: "struct constant keys must be field names in quotes"}
			}
			var fd *Field
			for _, f := range u.Struct.Fields {
				if f.Name == e.Key.String {
					fd = f
				}
			}
			if fd == nil {
				return &Error{Pos: e.Key.Pos, Msg: "no field named " + e.Key.String + " in " + u.Struct.Name}
			}
			if err := r.checkValue(e.Value, fd.Type); err != nil {
				return err
			}
		}
	default:
		return typeErr(v, t)
	}
	return nil
}

func checkInt(v *ConstValue, x int64, k Kind, t *Type) error {
	var lo, hi int64
	switch k {
	case KindByte:
		lo, hi = math.MinInt8, math.MaxInt8
	case KindI16:
		lo, hi = math.MinInt16, math.MaxInt16
	case KindI32:
		lo, hi = math.MinInt32, math.MaxInt32
	default:
		return nil
	}
	if x < lo || x > hi {
		return &Error{Pos: v.Pos, Msg: sprintf("value %s out of range for %s", x, t.String())}
	}
	return nil
}

// ParseUUID parses a uuid in its canonical text form
// (8-4-4-4-12 hex digits, optionally in braces).
func ParseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	h := strings.ReplaceAll(s, "-", "")
	for i := 0; i < 16; i++ {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[i] = hi<<4 | lo
	}
	return u, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
