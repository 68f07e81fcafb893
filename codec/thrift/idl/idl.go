// Package idl parses Thrift IDL files into descriptors.
//
// [ParseFile] reads a .thrift file and every file it includes, resolves
// every type and constant reference, checks the definitions and returns the
// root [File]. The descriptors keep everything the IDL says — namespaces of
// every language, annotations on every element, doc comments, field ids and
// requiredness, default values — so they serve both code generation
// (`kite gen`, package github.com/kite-rpc/kite/gen) and, later, generic
// calls that encode values from descriptors at run time.
//
// The grammar is Apache Thrift's (compiler/cpp/src/thrift/thrifty.yy) and
// the parser follows its decisions where the IDL leaves room:
//
//   - A field without an id, or with an id of zero or below, gets an
//     automatic negative id: -1, -2, ... in declaration order, counted per
//     field list (struct, argument list, throws list). [Field.AutoID]
//     reports it and a warning is recorded, as Apache's compiler prints one.
//   - Enum values without an explicit value take the previous value plus
//     one, starting at 0.
//   - true and false are integer constants 1 and 0.
//   - optional is ignored in argument lists.
//   - An include is looked up relative to the including file first, then in
//     each include directory in order; its definitions are referred to with
//     the file's base name as prefix ("shared.SharedStruct").
//
// Every error names its position as file:line:col.
package idl

import (
	"strconv"

	"github.com/kite-rpc/kite/codec/thrift"
)

// CompatV1 is referenced by code that `kite gen` generates (`var _ =
// idl.CompatV1`). Generated code relies on the codec API of the library it
// was generated for; when that API changes incompatibly this constant is
// renamed (CompatV2, ...), so code from an older generator fails to compile
// against the newer library with an error naming the constant, instead of
// misbehaving at run time.
const CompatV1 = true

// Pos is a position in an IDL file. Line and Col count from 1; Col counts
// bytes.
type Pos struct {
	File      string
	Line, Col int
}

// String returns "file:line:col".
func (p Pos) String() string {
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Error is a parse or resolution error at a position.
type Error struct {
	Pos Pos
	Msg string
}

// Error returns "file:line:col: message".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Annotation is one `key = "value"` pair of an annotation list. A key given
// without a value has the value "1", as in Apache Thrift.
type Annotation struct {
	Key, Value string
	Pos        Pos
}

// Annotations is an annotation list in source order; a key may repeat.
type Annotations []Annotation

// Get returns the last value given for key.
func (a Annotations) Get(key string) (string, bool) {
	for i := len(a) - 1; i >= 0; i-- {
		if a[i].Key == key {
			return a[i].Value, true
		}
	}
	return "", false
}

// Values returns every value given for key, in source order.
func (a Annotations) Values(key string) []string {
	var vs []string
	for _, x := range a {
		if x.Key == key {
			vs = append(vs, x.Value)
		}
	}
	return vs
}

// File is one parsed and resolved IDL file.
type File struct {
	// Path is the file's path as opened.
	Path string
	// Name is the include prefix of the file: its base name without the
	// .thrift extension.
	Name string
	// Doc is the file's doc comment (a /** */ comment before the first
	// header).
	Doc         string
	Includes    []*Include
	CppIncludes []string
	Namespaces  []*Namespace
	Typedefs    []*Typedef
	Enums       []*Enum
	Consts      []*Const
	// Structs holds structs, unions and exceptions in declaration order.
	Structs  []*Struct
	Services []*Service
	// Warnings holds what Apache's compiler would warn about, each starting
	// with a position.
	Warnings []string

	scope *scope
}

// Namespace returns the namespace declared for scope ("go", "java", ...),
// falling back to the "*" namespace, or "".
func (f *File) Namespace(scope string) string {
	all := ""
	for _, ns := range f.Namespaces {
		if ns.Scope == scope {
			return ns.Name
		}
		if ns.Scope == "*" {
			all = ns.Name
		}
	}
	return all
}

// Include is an include directive.
type Include struct {
	// Path is the path as written in the IDL.
	Path string
	// File is the included file, parsed and resolved.
	File *File
	Pos  Pos
}

// Namespace is a namespace directive: `namespace go a.b.c`.
type Namespace struct {
	Scope, Name string
	Annotations Annotations
	Pos         Pos
}

// Kind is the kind of a [Type].
type Kind uint8

// Kinds of types. Named kinds (KindStruct, KindEnum, KindTypedef) come from resolving
// an identifier.
const (
	KindVoid Kind = iota
	KindBool
	KindByte // KindByte is i8 (byte is an alias of i8).
	KindI16
	KindI32
	KindI64
	KindDouble
	KindString
	KindBinary
	KindUUID
	KindList
	KindSet
	KindMap
	KindStruct
	KindEnum
	KindTypedef
)

var kindNames = [...]string{
	KindVoid: "void", KindBool: "bool", KindByte: "i8", KindI16: "i16", KindI32: "i32", KindI64: "i64",
	KindDouble: "double", KindString: "string", KindBinary: "binary", KindUUID: "uuid", KindList: "list",
	KindSet: "set", KindMap: "map", KindStruct: "struct", KindEnum: "enum", KindTypedef: "typedef",
}

// String returns the IDL spelling of k.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Type is a type reference: a base type, a container or a named type.
type Type struct {
	Kind Kind
	// Name is the identifier as written for named types ("Foo",
	// "shared.Foo"), else the base type or container keyword.
	Name string
	// Key is the key type of a map; Elem the element type of a list or set
	// and the value type of a map.
	Key, Elem   *Type
	Annotations Annotations
	// CppType is the cpp_type of a container, if given.
	CppType string
	Pos     Pos

	// Exactly one of these is set for named types once resolved.
	Struct  *Struct
	Enum    *Enum
	Typedef *Typedef
}

// Underlying follows typedefs and returns the type they name.
func (t *Type) Underlying() *Type {
	for t.Kind == KindTypedef {
		t = t.Typedef.Type
	}
	return t
}

// WireType returns the Thrift wire type of t (after typedefs).
func (t *Type) WireType() thrift.Type {
	switch t.Underlying().Kind {
	case KindBool:
		return thrift.BOOL
	case KindByte:
		return thrift.BYTE
	case KindI16:
		return thrift.I16
	case KindI32, KindEnum:
		return thrift.I32
	case KindI64:
		return thrift.I64
	case KindDouble:
		return thrift.DOUBLE
	case KindString, KindBinary:
		return thrift.STRING
	case KindUUID:
		return thrift.UUID
	case KindList:
		return thrift.LIST
	case KindSet:
		return thrift.SET
	case KindMap:
		return thrift.MAP
	case KindStruct:
		return thrift.STRUCT
	}
	return thrift.STOP
}

// String returns the IDL spelling of t, e.g. "map<string,list<Foo>>".
func (t *Type) String() string {
	switch t.Kind {
	case KindList:
		return "list<" + t.Elem.String() + ">"
	case KindSet:
		return "set<" + t.Elem.String() + ">"
	case KindMap:
		return "map<" + t.Key.String() + "," + t.Elem.String() + ">"
	case KindStruct, KindEnum, KindTypedef:
		return t.Name
	}
	return t.Kind.String()
}

type (
	// Typedef is `typedef Type Name`.
	Typedef struct {
		Name        string
		Type        *Type
		Annotations Annotations
		Doc         string
		Pos         Pos
		File        *File
	}

	// Enum is an enum.
	Enum struct {
		Name        string
		Values      []*EnumValue
		Annotations Annotations
		Doc         string
		Pos         Pos
		File        *File
	}

	// Struct is a struct, union or exception.
	Struct struct {
		Name        string
		Kind        StructKind
		Fields      []*Field
		Annotations Annotations
		Doc         string
		Pos         Pos
		File        *File
	}
)

// EnumValue is one value of an enum.
type EnumValue struct {
	Name  string
	Value int32
	// Explicit reports whether the IDL gave the value.
	Explicit    bool
	Annotations Annotations
	Doc         string
	Pos         Pos
	Enum        *Enum
}

// StructKind tells structs, unions and exceptions apart.
type StructKind uint8

// Struct kinds.
const (
	PlainStruct StructKind = iota
	Union
	Exception
)

// String returns "struct", "union" or "exception".
func (k StructKind) String() string {
	switch k {
	case Union:
		return "union"
	case Exception:
		return "exception"
	}
	return "struct"
}

// Requiredness of a field.
type Requiredness uint8

// Requiredness values. Default is Apache's "opt-in, req-out": written
// always, not required on read.
const (
	Default Requiredness = iota
	Required
	Optional
)

// String returns "default", "required" or "optional".
func (r Requiredness) String() string {
	switch r {
	case Required:
		return "required"
	case Optional:
		return "optional"
	}
	return "default"
}

// Field is a field of a struct, union, exception, argument list or throws
// list.
type Field struct {
	ID int16
	// AutoID reports that the IDL gave no usable id and ID was assigned
	// (-1, -2, ... per field list), as Apache's compiler does.
	AutoID       bool
	Name         string
	Type         *Type
	Requiredness Requiredness
	// Default is the default value, or nil.
	Default *ConstValue
	// Reference reports the `&` marker (C++ only; kept for completeness).
	Reference   bool
	Annotations Annotations
	Doc         string
	Pos         Pos
}

// Const is a named constant.
type Const struct {
	Name        string
	Type        *Type
	Value       *ConstValue
	Annotations Annotations
	Doc         string
	Pos         Pos
	File        *File
}

// ConstKind is the kind of a [ConstValue] literal.
type ConstKind uint8

// Constant value kinds.
const (
	ConstInt ConstKind = iota
	ConstDouble
	ConstString
	ConstIdent
	ConstList
	ConstMap
)

// ConstValue is a constant value as written in the IDL. Resolution checks
// it against the type it is assigned to and fills the references of
// identifiers.
type ConstValue struct {
	Kind   ConstKind
	Int    int64   // ConstInt (true and false are 1 and 0)
	Double float64 // ConstDouble
	String string  // ConstString
	Ident  string  // ConstIdent: an enum value or a constant
	List   []*ConstValue
	Map    []ConstMapEntry
	Pos    Pos

	// For ConstIdent, one of these once resolved.
	EnumValue *EnumValue
	Const     *Const
}

// ConstMapEntry is one entry of a map (or struct) constant.
type ConstMapEntry struct {
	Key, Value *ConstValue
}

// Deref follows references to other constants and returns the literal
// value behind v (an enum value reference stays as it is).
func (v *ConstValue) Deref() *ConstValue {
	for v.Kind == ConstIdent && v.Const != nil {
		v = v.Const.Value
	}
	return v
}

// Service is a service.
type Service struct {
	Name string
	// Extends is the base service's name as written, or "".
	Extends     string
	Base        *Service
	Functions   []*Function
	Annotations Annotations
	Doc         string
	Pos         Pos
	File        *File
}

// AllFunctions returns the functions of the base services (outermost
// first) followed by s's own.
func (s *Service) AllFunctions() []*Function {
	if s.Base == nil {
		return s.Functions
	}
	return append(append([]*Function(nil), s.Base.AllFunctions()...), s.Functions...)
}

// Function is a service method.
type Function struct {
	Name   string
	Oneway bool
	// Result is the result type; its Kind is KindVoid for void functions.
	Result      *Type
	Args        []*Field
	Throws      []*Field
	Annotations Annotations
	Doc         string
	Pos         Pos
	Service     *Service
}
