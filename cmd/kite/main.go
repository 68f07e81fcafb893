// Command kite is Kite's command-line tool.
//
//	kite serve [-addr A]                      serve the built-in echo service
//	kite call  -addr A [-transport T] [-protocol P] [-method M] [-action X] -msg M
//	kite bench [-addr A,B] [-transport T] [-protocol P] [-c N] [-d D] [-size B] [-qps N] [-mux N | -raw]
//	kite gen   [-module M] [-out DIR] [-I DIR]... file.thrift
//
// Each takes -h for all its flags. bench -raw drives the server with a
// minimal load generator instead of the Kite client, to measure servers.
//
// Transports: buffered, framed, ttheader, ttheader-framed (the default).
// Protocols: binary (the default), compact.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "call":
		err = call(os.Args[2:])
	case "bench":
		err = bench(os.Args[2:], os.Stdout, os.Stderr)
	case "gen":
		err = gen(os.Args[2:])
	case "help", "-h", "-help", "--help":
		usage()
		return
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		// Kite's own errors already start with "kite: ".
		fmt.Fprintln(os.Stderr, "kite:", strings.TrimPrefix(err.Error(), "kite: "))
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  kite serve [-addr A]                      serve the built-in echo service
  kite call  -addr A [-transport T] [-protocol P] [-method M] [-action X] -msg M
  kite bench [-addr A,B] [-transport T] [-protocol P] [-c N] [-d D] [-size B] [-qps N] [-mux N | -raw]
  kite gen   [-module M] [-out DIR] [-I DIR]... file.thrift
each takes -h for all its flags
transports: buffered, framed, ttheader, ttheader-framed (default); protocols: binary (default), compact
`)
}
