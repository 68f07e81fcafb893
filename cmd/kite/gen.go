package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kite-rpc/kite/codec/thrift/idl"
	kitegen "github.com/kite-rpc/kite/gen"
)

// stringsFlag collects a repeatable flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// gen implements `kite gen [-module M] [-out DIR] [-I DIR]... file.thrift`.
func gen(args []string) error { return genTo(args, os.Stderr) }

func genTo(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "kite_gen", "output directory")
	module := fs.String("module", "", "Go module path of the current directory (default: read from the go.mod above -out)")
	var includes stringsFlag
	fs.Var(&includes, "I", "include directory (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kite gen [-module M] [-out DIR] [-I DIR]... file.thrift")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("gen: one IDL file expected")
	}
	f, err := idl.ParseFile(fs.Arg(0), &idl.Options{IncludeDirs: includes})
	if err != nil {
		return err
	}
	printWarnings(stderr, f, map[*idl.File]bool{})
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	ip, err := importPath(*out, *module, wd)
	if err != nil {
		return err
	}
	files, err := kitegen.Generate(f, kitegen.Options{ImportPath: ip})
	if err != nil {
		return err
	}
	for _, gf := range files {
		p := filepath.Join(*out, filepath.FromSlash(gf.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, gf.Content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func printWarnings(w io.Writer, f *idl.File, seen map[*idl.File]bool) {
	if seen[f] {
		return
	}
	seen[f] = true
	for _, inc := range f.Includes {
		printWarnings(w, inc.File, seen)
	}
	for _, msg := range f.Warnings {
		fmt.Fprintln(w, "warning:", msg)
	}
}

// importPath returns the Go import path of directory out. With module set,
// the current directory wd is that module's root; otherwise the module is
// the one whose go.mod is nearest above out.
func importPath(out, module, wd string) (string, error) {
	abs := out
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(wd, out)
	}
	root := ""
	if module != "" {
		root = wd
	} else {
		for dir := abs; ; dir = filepath.Dir(dir) {
			if m, err := modulePath(filepath.Join(dir, "go.mod")); err == nil {
				root, module = dir, m
				break
			}
			if filepath.Dir(dir) == dir {
				return "", fmt.Errorf("gen: no go.mod above %s; give -module", out)
			}
		}
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("gen: output directory %s is outside the module root %s", out, root)
	}
	if rel == "." {
		return module, nil
	}
	return module + "/" + filepath.ToSlash(rel), nil
}

// modulePath reads the module path from a go.mod file.
func modulePath(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("gen: no module line in %s", gomod)
}
