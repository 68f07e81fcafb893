package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.23\n")
	write("idl/svc.thrift", "include \"common.thrift\"\nnamespace go app.svc\nstruct Req { common.Common c }\nservice Hello { Req hi(1: Req r) }\n")
	write("shared/common.thrift", "namespace go app.common\nstruct Common { 1: string s }\n")
	var stderr bytes.Buffer
	out := filepath.Join(dir, "kite_gen")
	err := genTo([]string{"-out", out, "-I", filepath.Join(dir, "shared"), filepath.Join(dir, "idl", "svc.thrift")}, &stderr)
	if err != nil {
		t.Fatal(err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "warning:") || !strings.Contains(stderr.String(), "No field key specified for c") {
		t.Errorf("warnings: %q", stderr.String())
	}
	for _, p := range []string{"app/svc/svc.go", "app/svc/hello/hello.go", "app/common/common.go"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "app/svc/hello/hello.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"example.com/m/kite_gen/app/svc"`)) {
		t.Errorf("import path not derived from go.mod:\n%s", b[:400])
	}

	// -module names the module of the current directory
	if ip, err := importPath("gen2", "example.org/x", dir); err != nil || ip != "example.org/x/gen2" {
		t.Errorf("-module: %q %v", ip, err)
	}
	if _, err := importPath(filepath.Join(dir, ".."), "example.org/x", dir); err == nil {
		t.Error("output outside the module accepted")
	}

	svc := filepath.Join(dir, "idl", "svc.thrift")
	for _, args := range [][]string{
		{},
		{filepath.Join(dir, "nope.thrift")},
		{"-out", filepath.Join(dir, "gen3"), svc}, // common.thrift not found without -I
	} {
		if err := genTo(args, &stderr); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	stderr.Reset()
	err = genTo([]string{"-out", filepath.Join(dir, "gen3"), svc}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "svc.thrift:1:1: could not find include file common.thrift") {
		t.Errorf("error %v", err)
	}
}
