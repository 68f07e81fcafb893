package gen_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift/idl"
	"github.com/kite-rpc/kite/gen"
)

var update = flag.Bool("update", false, "rewrite golden files and the checked-in kite_gen output")

const corpusDir = "../codec/thrift/idl/testdata/corpus"

var corpus = []string{"shared.thrift", "thrifttest.thrift", "features.thrift"}

func generate(t *testing.T, path, importPath string) []gen.File {
	t.Helper()
	f, err := idl.ParseFile(path, &idl.Options{IncludeDirs: []string{filepath.Join(corpusDir, "incdir")}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := gen.Generate(f, gen.Options{ImportPath: importPath})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func concat(files []gen.File) []byte {
	var b bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&b, "==== %s ====\n", f.Path)
		b.Write(f.Content)
	}
	return b.Bytes()
}

// TestGolden compares the generated code of every corpus file with
// testdata/<file>.golden; go test -run Golden -update rewrites them.
func TestGolden(t *testing.T) {
	for _, name := range corpus {
		t.Run(name, func(t *testing.T) {
			got := concat(generate(t, filepath.Join(corpusDir, name), "example.com/out"))
			golden := filepath.Join("testdata", strings.TrimSuffix(name, ".thrift")+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("generated code differs from %s; run go test ./gen -run Golden -update and review the diff", golden)
			}
		})
	}
}

func TestHeaderAndCompat(t *testing.T) {
	for _, f := range generate(t, filepath.Join(corpusDir, "features.thrift"), "example.com/out") {
		if !bytes.HasPrefix(f.Content, []byte(gen.Header+"\n")) {
			t.Errorf("%s: no generated-code header", f.Path)
		}
		if !bytes.Contains(f.Content, []byte("var _ = idl.CompatV1")) {
			t.Errorf("%s: no idl.CompatV1 reference", f.Path)
		}
	}
}

// kiteGen lists the IDL files whose output is checked in under ../kite_gen.
var kiteGen = []string{"echo.thrift", "bench.thrift"}

// TestKiteGenUpToDate checks that the checked-in ../kite_gen output is
// what the generator produces now (-update rewrites it), and that
// kite_gen/echo.thrift is the shared echo IDL.
func TestKiteGenUpToDate(t *testing.T) {
	for _, name := range kiteGen {
		for _, f := range generate(t, filepath.Join("..", "kite_gen", name), "github.com/kite-rpc/kite/kite_gen") {
			p := filepath.Join("..", "kite_gen", filepath.FromSlash(f.Path))
			if *update {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Content, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			have, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(have, f.Content) {
				t.Errorf("%s is stale: run go generate ./kite_gen/... or go test ./gen -update", p)
			}
		}
	}
	shared, err := os.ReadFile("../../shared/vectors/echo.thrift")
	if err != nil {
		t.Skip("no ../shared beside the checkout:", err)
	}
	mine, err := os.ReadFile("../kite_gen/echo.thrift")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, mine) {
		t.Error("kite_gen/echo.thrift differs from ../shared/vectors/echo.thrift")
	}
}

var consumeRE = regexp.MustCompile(`(?m)^func \(p \*(\w+)\) ConsumeBinary\(`)

// TestCorpus generates every corpus file into a temporary module that
// uses this checkout, then runs go vet and go test there: the generated
// code compiles and vets, every generated struct round-trips random values
// in both protocols (testdata/roundtrip_test.go.txt), and the semantics of
// defaults, required fields, unknown fields, depth limits, enums, constants
// and services hold (testdata/behavior_test.go.txt).
func TestCorpus(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	if testing.Short() {
		t.Skip("builds a module; skipped with -short")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(rel string, b []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", []byte("module corpus\n\ngo 1.23\n\nrequire github.com/kite-rpc/kite v0.0.0\n\nreplace github.com/kite-rpc/kite => "+root+"\n"))
	if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
		write("go.sum", sum)
	}
	type typ struct{ pkg, name string }
	var types []typ
	pkgs := map[string]string{}
	seen := map[string]bool{}
	for _, name := range corpus {
		for _, f := range generate(t, filepath.Join(corpusDir, name), "corpus") {
			if seen[f.Path] {
				continue
			}
			seen[f.Path] = true
			write(f.Path, f.Content)
			pkg := "corpus/" + filepath.ToSlash(filepath.Dir(f.Path))
			alias := "p" + fmt.Sprint(len(pkgs))
			if a, ok := pkgs[pkg]; ok {
				alias = a
			}
			pkgs[pkg] = alias
			for _, m := range consumeRE.FindAllSubmatch(f.Content, -1) {
				types = append(types, typ{pkg, string(m[1])})
			}
		}
	}
	var b bytes.Buffer
	b.WriteString("package corpus_test\n\nimport (\n\t\"github.com/kite-rpc/kite/codec/thrift\"\n")
	var paths []string
	for p := range pkgs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fmt.Fprintf(&b, "\t%s %q\n", pkgs[p], p)
	}
	b.WriteString(")\n\nvar allTypes = []struct {\n\tname string\n\tmk   func() thrift.Struct\n}{\n")
	for _, ty := range types {
		fmt.Fprintf(&b, "\t{%q, func() thrift.Struct { return new(%s.%s) }},\n", ty.pkg+"."+ty.name, pkgs[ty.pkg], ty.name)
	}
	b.WriteString("}\n")
	write("types_test.go", b.Bytes())
	for _, tmpl := range []string{"roundtrip_test.go.txt", "behavior_test.go.txt"} {
		src, err := os.ReadFile(filepath.Join("testdata", tmpl))
		if err != nil {
			t.Fatal(err)
		}
		write(strings.TrimSuffix(tmpl, ".txt"), src)
	}
	if len(types) < 100 {
		t.Fatalf("only %d generated types found", len(types))
	}
	run := func(args ...string) {
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if testing.Verbose() {
			t.Logf("%s", out)
		}
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("vet", "./...")
	run("test", "-count=1", "-v", "./...")
}
