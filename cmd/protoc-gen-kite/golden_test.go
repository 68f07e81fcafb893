package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/kite-rpc/kite/internal/pbecho"
)

var update = flag.Bool("update", false, "rewrite the golden files from the generator's output")

// run runs the plugin in-process on files (dependencies first; the last
// ones named in gen are generated) and returns the response.
func run(t *testing.T, param string, gen []string, files ...*descriptorpb.FileDescriptorProto) *pluginpb.CodeGeneratorResponse {
	t.Helper()
	req := &pluginpb.CodeGeneratorRequest{
		FileToGenerate:  gen,
		Parameter:       proto.String(param),
		ProtoFile:       files,
		CompilerVersion: &pluginpb.Version{Major: proto.Int32(3), Minor: proto.Int32(21), Patch: proto.Int32(12), Suffix: proto.String("")},
	}
	p, err := protogen.Options{ParamFunc: new(flag.FlagSet).Set}.New(req)
	if err != nil {
		t.Fatalf("protogen: %v", err)
	}
	if err := generate(p); err != nil {
		t.Fatalf("generate: %v", err)
	}
	resp := p.Response()
	if resp.Error != nil {
		t.Fatalf("plugin error: %s", resp.GetError())
	}
	return resp
}

func checkGolden(t *testing.T, resp *pluginpb.CodeGeneratorResponse, want map[string]string) {
	t.Helper()
	if len(resp.File) != len(want) {
		var names []string
		for _, f := range resp.File {
			names = append(names, f.GetName())
		}
		t.Fatalf("generated %q, want %d files", names, len(want))
	}
	for _, f := range resp.File {
		golden, ok := want[f.GetName()]
		if !ok {
			t.Errorf("unexpected output file %s", f.GetName())
			continue
		}
		got := []byte(f.GetContent())
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, w) {
			t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", f.GetName(), golden, firstDiff(string(got), string(w)))
		}
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return ""
}

// TestGoldenEcho generates the stubs of the vectors' echo.proto from the
// descriptor compiled into internal/pbecho; the output is checked in
// there, so the main module's build and vet cover it.
func TestGoldenEcho(t *testing.T) {
	fd := protodesc.ToFileDescriptorProto(pbecho.File_echo_proto)
	resp := run(t, "Mecho.proto=github.com/kite-rpc/kite/internal/pbecho,paths=source_relative", []string{"echo.proto"}, fd)
	checkGolden(t, resp, map[string]string{
		"echo_kite.pb.go": filepath.Join("..", "..", "internal", "pbecho", "echo_kite.pb.go"),
	})
}

// TestGoldenOpaque generates echo.proto for the Opaque API, whose unary
// replies are copied with proto.Merge.
func TestGoldenOpaque(t *testing.T) {
	fd := protodesc.ToFileDescriptorProto(pbecho.File_echo_proto)
	resp := run(t, "Mecho.proto=github.com/kite-rpc/kite/internal/pbecho,default_api_level=API_OPAQUE", []string{"echo.proto"}, fd)
	checkGolden(t, resp, map[string]string{
		"github.com/kite-rpc/kite/internal/pbecho/echo_kite.pb.go": filepath.Join("testdata", "echo_opaque.golden"),
	})
}

// TestGoldenStreams generates a file with two services, the four method
// kinds, comments, deprecations, oneofs, proto3 optional fields, messages
// of two other Go packages (one extendable) and an RPC named Close.
func TestGoldenStreams(t *testing.T) {
	empty := protodesc.ToFileDescriptorProto(emptypb.File_google_protobuf_empty_proto)
	resp := run(t, "paths=import", []string{"kite/test/streams.proto"}, empty, extProto(), streamsProto())
	checkGolden(t, resp, map[string]string{
		"example.com/kitetest/streampb/streams_kite.pb.go": filepath.Join("testdata", "streams.golden"),
	})
}

// TestNoServices checks that a file without services gets no output.
func TestNoServices(t *testing.T) {
	resp := run(t, "", []string{"kite/test/ext.proto"}, extProto())
	if len(resp.File) != 0 {
		t.Fatalf("generated %d files for a file without services", len(resp.File))
	}
}

// TestBadParameter checks that unknown plugin options are refused.
func TestBadParameter(t *testing.T) {
	req := &pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{"echo.proto"},
		Parameter:      proto.String("Mecho.proto=x/pbecho,frobnicate=1"),
		ProtoFile:      []*descriptorpb.FileDescriptorProto{protodesc.ToFileDescriptorProto(pbecho.File_echo_proto)},
	}
	if _, err := (protogen.Options{ParamFunc: new(flag.FlagSet).Set}).New(req); err == nil {
		t.Fatal("unknown option accepted")
	}
}

func field(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type, typeName string) *descriptorpb.FieldDescriptorProto {
	f := &descriptorpb.FieldDescriptorProto{
		Name:     proto.String(name),
		JsonName: proto.String(name),
		Number:   proto.Int32(num),
		Label:    descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
		Type:     typ.Enum(),
	}
	if typeName != "" {
		f.TypeName = proto.String(typeName)
	}
	return f
}

// extProto is a proto2 file in another Go package with an extendable
// message.
func extProto() *descriptorpb.FileDescriptorProto {
	return &descriptorpb.FileDescriptorProto{
		Name:    proto.String("kite/test/ext.proto"),
		Package: proto.String("kite.test.ext"),
		Syntax:  proto.String("proto2"),
		Options: &descriptorpb.FileOptions{GoPackage: proto.String("example.com/kitetest/extpb")},
		MessageType: []*descriptorpb.DescriptorProto{{
			Name:           proto.String("Extendable"),
			Field:          []*descriptorpb.FieldDescriptorProto{field("id", 1, descriptorpb.FieldDescriptorProto_TYPE_INT64, "")},
			ExtensionRange: []*descriptorpb.DescriptorProto_ExtensionRange{{Start: proto.Int32(100), End: proto.Int32(200)}},
		}},
	}
}

func method(name, in, out string, cs, ss bool) *descriptorpb.MethodDescriptorProto {
	m := &descriptorpb.MethodDescriptorProto{Name: proto.String(name), InputType: proto.String(in), OutputType: proto.String(out)}
	if cs {
		m.ClientStreaming = proto.Bool(true)
	}
	if ss {
		m.ServerStreaming = proto.Bool(true)
	}
	return m
}

func streamsProto() *descriptorpb.FileDescriptorProto {
	const (
		str   = descriptorpb.FieldDescriptorProto_TYPE_STRING
		i64   = descriptorpb.FieldDescriptorProto_TYPE_INT64
		msg   = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
		req   = ".kite.test.v1.Req"
		resp  = ".kite.test.v1.Resp"
		empty = ".google.protobuf.Empty"
	)
	oneof := func(f *descriptorpb.FieldDescriptorProto, i int32) *descriptorpb.FieldDescriptorProto {
		f.OneofIndex = proto.Int32(i)
		return f
	}
	opt := oneof(field("note", 5, str, ""), 1)
	opt.Proto3Optional = proto.Bool(true)
	comment := func(path []int32, text string) *descriptorpb.SourceCodeInfo_Location {
		return &descriptorpb.SourceCodeInfo_Location{Path: path, Span: []int32{0, 0, 1}, LeadingComments: proto.String(text)}
	}
	deprecated := &descriptorpb.MethodOptions{Deprecated: proto.Bool(true)}
	return &descriptorpb.FileDescriptorProto{
		Name:       proto.String("kite/test/streams.proto"),
		Package:    proto.String("kite.test.v1"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/protobuf/empty.proto", "kite/test/ext.proto"},
		Options:    &descriptorpb.FileOptions{GoPackage: proto.String("example.com/kitetest/streampb")},
		MessageType: []*descriptorpb.DescriptorProto{
			{
				Name: proto.String("Req"),
				Field: []*descriptorpb.FieldDescriptorProto{
					field("msg", 1, str, ""),
				},
			},
			{
				Name: proto.String("Resp"),
				Field: []*descriptorpb.FieldDescriptorProto{
					field("msg", 1, str, ""),
					oneof(field("text", 2, str, ""), 0),
					oneof(field("number", 3, i64, ""), 0),
					field("inner", 4, msg, req),
					opt,
				},
				OneofDecl: []*descriptorpb.OneofDescriptorProto{{Name: proto.String("value")}, {Name: proto.String("_note")}},
			},
		},
		Service: []*descriptorpb.ServiceDescriptorProto{
			{
				Name: proto.String("Streamer"),
				Method: []*descriptorpb.MethodDescriptorProto{
					method("Echo", req, resp, false, false),
					method("ServerStream", req, resp, false, true),
					method("ClientStream", req, resp, true, false),
					method("Bidi", req, resp, true, true),
					method("Ping", empty, empty, false, false),
					method("Close", req, ".kite.test.ext.Extendable", false, false),
				},
			},
			{
				Name:    proto.String("legacy_service"),
				Options: &descriptorpb.ServiceOptions{Deprecated: proto.Bool(true)},
				Method: []*descriptorpb.MethodDescriptorProto{
					{Name: proto.String("old_call"), InputType: proto.String(empty), OutputType: proto.String(resp), Options: deprecated},
				},
			},
		},
		SourceCodeInfo: &descriptorpb.SourceCodeInfo{Location: []*descriptorpb.SourceCodeInfo_Location{
			comment([]int32{6, 0}, " Streamer shows every kind of method.\n"),
			comment([]int32{6, 0, 2, 0}, " Echo returns its request.\n"),
			comment([]int32{6, 0, 2, 3}, " Bidi answers each request.\n With two lines.\n"),
			comment([]int32{6, 1, 2, 0}, " old_call is old.\n"),
		}},
	}
}
