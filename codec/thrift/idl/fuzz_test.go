package idl_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kite-rpc/kite/codec/thrift/idl"
)

// FuzzParse feeds arbitrary text to the parser: it returns a File or an
// error, never panics. Includes resolve to nothing.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*.thrift"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("struct S { 1: required list<map<string, S>> x = [{}] (a = 'b') }"))
	opts := &idl.Options{ReadFile: memFS(nil)}
	f.Fuzz(func(t *testing.T, src []byte) {
		_, _ = idl.Parse("fuzz.thrift", src, opts)
	})
}
