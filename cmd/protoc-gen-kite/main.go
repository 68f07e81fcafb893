// Command protoc-gen-kite is a protoc plugin that generates Kite service
// stubs for protobuf services, next to the messages protoc-gen-go
// generates. The stubs serve and call a service over gRPC
// ([github.com/kite-rpc/kite.WithGRPC]) and Kitex Protobuf
// ([github.com/kite-rpc/kite.WithKitexProtobuf]).
//
// Install it on PATH and run protoc with both plugins, giving them the same
// options:
//
//	go install github.com/kite-rpc/kite/cmd/protoc-gen-kite
//	protoc --go_out=. --go_opt=paths=source_relative \
//	       --kite_out=. --kite_opt=paths=source_relative echo.proto
//
// For every .proto file that declares services it writes <file>_kite.pb.go
// into the Go package of protoc-gen-go's output (go_package, M options,
// paths=import or source_relative, module= are honoured as protoc-gen-go
// honours them). For every service S of proto package p it holds:
//
//   - SServiceName, the proto service name;
//   - SHandler, the interface a server implements: a unary method is
//     M(ctx, *Req) (*Resp, error); a server-streaming method is
//     M(*Req, *kite.ServerStreamOf[Req, Resp]) error; client- and
//     bidirectional-streaming methods are M(*kite.ServerStreamOf[Req, Resp]) error;
//   - SServiceInfo(), the *kite.ServiceInfo (Name S, Package p, every
//     method under its proto name with its kite.StreamKind, NewArgs and
//     NewResult allocating the request and response messages);
//   - NewSServer(handler, opts...), a *kite.Server with the service registered;
//   - SClient and NewSClient(service, opts...): unary methods return the
//     response; streaming methods open the call and return a
//     *kite.ClientStreamOf[Req, Resp] (a server-streaming method has sent
//     its one request and closed the sending side already).
//
// A unary handler's response is copied field by field into the message the
// server encodes (unknown fields too), so the handler may return any
// message it likes, including one it keeps. Messages of the Opaque API, or
// with extension ranges, are copied with proto.Merge instead. When
// protoc-gen-go runs with default_api_level or apilevelM options, give
// protoc-gen-kite the same ones.
//
// Generated code references idl.CompatV1
// ([github.com/kite-rpc/kite/codec/thrift/idl.CompatV1]) so that code from
// an incompatible generator fails to compile rather than misbehave.
package main

import (
	"flag"
	"fmt"
	"os"

	"google.golang.org/protobuf/compiler/protogen"
)

// version is written into the header of generated files and printed by
// -version.
const version = "v1"

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println("protoc-gen-kite " + version)
		return
	}
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "protoc-gen-kite: a protoc plugin; run it as protoc --kite_out=DIR [--kite_opt=paths=source_relative] FILE.proto")
		os.Exit(2)
	}
	var flags flag.FlagSet
	protogen.Options{ParamFunc: flags.Set}.Run(generate)
}
