package idl_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/thrift/idl"
)

var corpusOpts = &idl.Options{IncludeDirs: []string{filepath.Join("testdata", "corpus", "incdir")}}

func parseCorpus(t *testing.T, name string) *idl.File {
	t.Helper()
	f, err := idl.ParseFile(filepath.Join("testdata", "corpus", name), corpusOpts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCorpusParses(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.thrift"))
	if err != nil || len(files) < 3 {
		t.Fatal(files, err)
	}
	for _, f := range files {
		if _, err := idl.ParseFile(f, corpusOpts); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func structByName(f *idl.File, name string) *idl.Struct {
	for _, s := range f.Structs {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func TestThriftTestDescriptors(t *testing.T) {
	f := parseCorpus(t, "thrifttest.thrift")
	if f.Namespace("go") != "corpus.thrifttest" || f.Namespace("py.twisted") != "ThriftTest" ||
		f.Namespace("rb") != "thrift.test" || f.Namespace("xsd") != "test" {
		t.Errorf("namespaces: %+v", f.Namespaces)
	}
	for _, ns := range f.Namespaces {
		if ns.Scope == "xsd" {
			if v, _ := ns.Annotations.Get("uri"); v != "http://thrift.apache.org/ns/ThriftTest" {
				t.Errorf("xsd annotation %q", v)
			}
		}
	}
	e := f.Enums[0]
	want := map[string]int32{"ONE": 1, "TWO": 2, "THREE": 3, "FIVE": 5, "SIX": 6, "EIGHT": 8}
	for _, v := range e.Values {
		if want[v.Name] != v.Value {
			t.Errorf("%s = %d", v.Name, v.Value)
		}
	}
	if e.Doc != "Numberz has explicit and implicit values." {
		t.Errorf("enum doc %q", e.Doc)
	}
	cn := structByName(f, "CrazyNesting")
	lf := cn.Fields[2]
	if lf.Requiredness != idl.Required || lf.Type.String() != "list<map<set<i32>,map<i32,set<list<map<Insanity,string>>>>>>" {
		t.Errorf("list_field: %v %s", lf.Requiredness, lf.Type)
	}
	if v, ok := lf.Type.Elem.Key.Annotations.Get("python.immutable"); !ok || v != "" {
		t.Errorf("nested type annotation %q %v", v, ok)
	}
	if cn.Fields[4].Type.Kind != idl.KindUUID || cn.Fields[4].Type.WireType() != thrift.UUID {
		t.Error("uuid")
	}
	svc := f.Services[0]
	if svc.Base == nil || svc.Base.Name != "SharedService" || len(svc.AllFunctions()) != len(svc.Functions)+2 {
		t.Errorf("extends: %+v", svc.Base)
	}
	var oneway, throws int
	for _, fn := range svc.Functions {
		if fn.Oneway {
			oneway++
		}
		throws += len(fn.Throws)
	}
	if oneway != 1 || throws != 3 {
		t.Errorf("oneway %d throws %d", oneway, throws)
	}
	if svc.Functions[0].Doc != "Returns nothing." || svc.Functions[0].Result.Kind != idl.KindVoid {
		t.Errorf("testVoid: %q", svc.Functions[0].Doc)
	}
	uid := structByName(f, "UsesShared").Fields[2].Type.Elem
	if uid.Kind != idl.KindTypedef || uid.Typedef.File.Name != "shared" || uid.Underlying().Kind != idl.KindI64 {
		t.Errorf("shared.UserId: %+v", uid)
	}
}

func TestFeaturesDescriptors(t *testing.T) {
	f := parseCorpus(t, "features.thrift")
	if !strings.HasPrefix(f.Doc, "features.thrift covers") || len(f.CppIncludes) != 1 {
		t.Errorf("doc %q, cpp includes %v", f.Doc, f.CppIncludes)
	}
	if f.Includes[1].File.Namespace("go") != "corpus.dep" {
		t.Error("include through -I")
	}
	ids := structByName(f, "Ids")
	wantIDs := []int16{-1, -2, -3, 5, -4}
	for i, fd := range ids.Fields {
		if fd.ID != wantIDs[i] || fd.AutoID != (wantIDs[i] < 0) {
			t.Errorf("%s: id %d auto %v", fd.Name, fd.ID, fd.AutoID)
		}
	}
	if len(f.Warnings) == 0 {
		t.Error("no warnings for auto-assigned ids")
	}
	k := f.Enums[0]
	if k.Values[0].Doc != "A is the first." || k.Values[2].Value != 10 || k.Values[3].Value != 11 || k.Values[3].Explicit {
		t.Errorf("Kind: %+v", k.Values)
	}
	if v, _ := k.Annotations.Get("enum.note"); v != "x" {
		t.Error("enum annotation")
	}
	a := structByName(f, "Annotated")
	fa := a.Fields[0].Annotations
	if v, _ := fa.Get("flag"); v != "1" {
		t.Errorf("flag without value = %q", v)
	}
	if v, _ := a.Fields[0].Type.Annotations.Get("x.type"); v != "a" {
		t.Error("type annotation")
	}
	if v, _ := a.Annotations.Get("other"); v != "d" {
		t.Error("struct annotation")
	}
	consts := map[string]*idl.Const{}
	for _, c := range f.Consts {
		consts[c.Name] = c
	}
	if c := consts["C_ENUM"].Value; c.EnumValue == nil || c.EnumValue.Value != 10 {
		t.Error("C_ENUM")
	}
	if c := consts["C_REF"].Value; c.Const == nil || c.Deref().Int != 100 {
		t.Error("C_REF")
	}
	if c := consts["C_I32"].Value; c.Int != -16 {
		t.Error("C_I32 hex")
	}
	if c := consts["C_DOUBLE"].Value; c.Kind != idl.ConstDouble || c.Double != 1.5e-3 {
		t.Error("C_DOUBLE")
	}
	if c := consts["C_BOOL"].Value; c.Int != 1 {
		t.Error("true is 1")
	}
	if c := consts["C_STRING"].Value; c.String != "quote \" and 'single' \\ tab\t" {
		t.Errorf("escapes: %q", c.String)
	}
	if c := consts["C_STRUCT"].Value; len(c.Map) != 3 || c.Map[2].Value.EnumValue == nil {
		t.Error("struct constant")
	}
	if td := f.Typedefs[1]; td.Name != "Alias" || td.Type.Underlying().Kind != idl.KindString {
		t.Error("typedef chain")
	}
	d := f.Services[1]
	if d.Name != "Derived" || d.Base.Name != "Features" || len(d.AllFunctions()) != 16 {
		t.Errorf("Derived: %d functions", len(d.AllFunctions()))
	}
	fire := f.Services[0].Functions
	var async *idl.Function
	for _, fn := range fire {
		if fn.Name == "fireOld" {
			async = fn
		}
		if fn.Name == "defaults" && fn.Args[1].Requiredness != idl.Default {
			t.Error("optional in an argument list is ignored")
		}
	}
	if async == nil || !async.Oneway {
		t.Error("async is oneway")
	}
}

// memFS returns a ReadFile over in-memory files.
func memFS(files map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if s, ok := files[filepath.ToSlash(filepath.Clean(name))]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
}

func TestIncludes(t *testing.T) {
	files := map[string]string{
		"a/main.thrift":   `include "b.thrift"` + "\n" + `include "c.thrift"` + "\nstruct M { 1: b.B b, 2: c.C c }",
		"a/b.thrift":      `include "c.thrift"` + "\nstruct B { 1: c.C c }",
		"inc/c.thrift":    "struct C {}",
		"cyc/x.thrift":    `include "y.thrift"`,
		"cyc/y.thrift":    `include "x.thrift"`,
		"self/s.thrift":   `include "s.thrift"`,
		"miss/m.thrift":   "\n  include \"nope.thrift\"",
		"badref/r.thrift": `include "../inc/c.thrift"` + "\nstruct R { 1: c.D d }",
	}
	opts := &idl.Options{IncludeDirs: []string{"inc"}, ReadFile: memFS(files)}
	f, err := idl.ParseFile("a/main.thrift", opts)
	if err != nil {
		t.Fatal(err)
	}
	// c.thrift is parsed once and shared
	if f.Includes[1].File != f.Includes[0].File.Includes[0].File {
		t.Error("c.thrift parsed twice")
	}
	for _, tc := range []struct{ file, want string }{
		{"cyc/x.thrift", "cyc/y.thrift:1:1: include cycle: x.thrift -> y.thrift -> x.thrift"},
		{"self/s.thrift", "self/s.thrift:1:1: include cycle: s.thrift -> s.thrift"},
		{"miss/m.thrift", "miss/m.thrift:2:3: could not find include file nope.thrift"},
		{"badref/r.thrift", "badref/r.thrift:2:15: type \"c.D\" has not been defined"},
	} {
		_, err := idl.ParseFile(tc.file, opts)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %s", tc.file, err, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"struct S { 1: i32 a, 1: i32 b }", "1:22: \"1: b\" - field identifier/name has already been used"},
		{"struct S { 1: i32 a, 2: i32 a }", "1:22: \"2: a\" - field identifier/name has already been used"},
		{"struct S {}\nenum S {}", "2:1: Type \"S\" is already defined."},
		{"struct S { 1: Missing m }", "1:15: type \"Missing\" has not been defined"},
		{"const i8 X = 200", "1:14: value 200 out of range for i8"},
		{"const string X = 1", "1:18: type error: value 1 is not a string"},
		{"const i32 X = Y\nconst i32 Y = X", "1:1: constant X refers to itself"},
		{"enum E { A }\nconst E X = E.B", "2:13: constant or enum value \"E.B\" has not been defined"},
		{"struct S {\n  1: i32 a\n} junk", "3:3: expected a header or definition, found \"junk\""},
		{"struct S { 1: i32 a = \"x\" }", "1:23: type error"},
		{"service S { oneway i32 f() }", "1:13: oneway function f must be void"},
		{"exception E {}\nstruct N {}\nservice S { void f() throws (1: N n) }", "3:30: Throws clause may not contain non-exception types"},
		{"service S extends T {}", "1:1: Service \"T\" has not been defined."},
		{"struct S { 1: i32 a = }", "1:23: expected a constant value, found \"}\""},
		{"const string s = \"open", "1:18: unterminated string literal"},
		{"/* open", "1:1: unterminated comment"},
		{"typedef A B\ntypedef B A", "typedef B refers to itself"},
		{"const uuid U = \"nope\"", "1:16: invalid uuid nope"},
		{"struct S { 1: void v }", "1:15: void is only a function result type"},
		{"struct a.b {}", "1:8: \"a.b\" is not a valid name here: it contains a dot"},
		{"enum E { A = 4294967296 }", "64-bit value supplied for enum A will be truncated"},
		{"struct S { 40000: i32 a }", "1:12: field key (40000) exceeds allowed range"},
		{"const map<string,i32> M = {\"a\": \"b\"}", "type error"},
		{"struct S { 1: i32 x }\nconst S C = {\"y\": 1}", "2:14: no field named y in S"},
	} {
		_, err := idl.Parse("t.thrift", []byte(tc.src), &idl.Options{ReadFile: memFS(nil)})
		var ie *idl.Error
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ie) || ie.Pos.File != "t.thrift" {
			t.Errorf("%q: %v, want %s", tc.src, err, tc.want)
		}
	}
}

func TestLexing(t *testing.T) {
	src := `
# unix comment
// line comment
/* block */
namespace go a.b_c.d
const double D1 = .5
const double D2 = -1e3
const double D3 = +2.5E-2
const i64 H = -0x7FFFFFFFFFFFFFFF
const list<string> L = ['a', "b";]
const map<i32,i32> M = {1: 2; 3: 4,}
/** Doc of S
 * on two lines. */
struct S {
  // doc of f
  1: required string f; // trailing, not doc of g

  2: optional map cpp_type "std::map" <i32, list<i32> > g = {}
  3: i32 include
  4: i32 namespace
}`
	f, err := idl.Parse("x.thrift", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Consts
	if c[0].Value.Double != 0.5 || c[1].Value.Double != -1000 || c[2].Value.Double != 0.025 || c[3].Value.Int != -0x7FFFFFFFFFFFFFFF {
		t.Errorf("numbers %+v %+v %+v %+v", c[0].Value, c[1].Value, c[2].Value, c[3].Value)
	}
	if len(c[4].Value.List) != 2 || len(c[5].Value.Map) != 2 {
		t.Error("separators in constants")
	}
	s := f.Structs[0]
	if s.Doc != "Doc of S\non two lines." || s.Fields[0].Doc != "doc of f" || s.Fields[1].Doc != "" {
		t.Errorf("docs %q %q %q", s.Doc, s.Fields[0].Doc, s.Fields[1].Doc)
	}
	if s.Fields[1].Type.CppType != "std::map" || s.Fields[2].Name != "include" || s.Fields[3].Name != "namespace" {
		t.Error("cpp_type or keyword field names")
	}
	if f.Namespace("go") != "a.b_c.d" {
		t.Error(f.Namespace("go"))
	}
}
