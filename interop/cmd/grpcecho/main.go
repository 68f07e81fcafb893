// Command grpcecho serves the protobuf echo on grpc-go: the reference
// server of BENCHMARKS.md's gRPC section.
//
//	grpcecho -addr 127.0.0.1:18889
package main

import (
	"flag"
	"log"
	"net"

	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip"

	"github.com/kite-rpc/kite/interop/grpcecho"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18889", "listen address")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer()
	s.RegisterService(&grpcecho.ServiceDesc, &grpcecho.Server{})
	log.Printf("grpcecho: grpc-go %s serving protobuf.Echo on %s", grpc.Version, *addr)
	log.Fatal(s.Serve(ln))
}
