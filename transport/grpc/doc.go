// Package grpc is Kite's gRPC transport: HTTP/2 connections for servers and
// clients, built directly on golang.org/x/net/http2's Framer (for reading
// frames) and hpack (for decoding header blocks).
//
// It does not use net/http. http2.Server.ServeConn gives every request an
// http.Request, a ResponseWriter, a header map and two goroutines; grpc-go
// gets its speed from a transport of its own on the same Framer. This
// package does likewise and goes further in the places that dominate small
// unary calls:
//
//   - one reader goroutine per connection parses frames and assembles gRPC
//     messages; a unary stream's handler goroutine starts only once the
//     whole request has arrived, so it never parks waiting for data;
//   - every writer appends finished frames to one connection buffer, and a
//     single writer goroutine flushes whatever has accumulated with one
//     write, so 100 concurrent replies cost a handful of syscalls;
//   - header blocks are encoded without the HPACK dynamic table, so the
//     constant blocks (":status 200", "grpc-status 0", …) are encoded once
//     at start-up and copied, and encoding needs no lock.
//
// Flow control is honoured in both directions: a sender blocks when the
// peer's window is exhausted, and a receiver opens a stream's window only
// as the application consumes messages (plus whatever is needed to finish
// the message in progress, which [Config.MaxRecvMsgSize] bounds), so a slow
// reader never makes either side buffer without bound.
//
// Keepalive ([Keepalive], [KeepaliveEnforcement]) follows grpc-go's
// keepalive package: PINGs after a quiet spell, GOAWAY ENHANCE_YOUR_CALM
// "too_many_pings" for clients that ping too often, and graceful drains
// for idle and old connections. It runs on timers, not goroutines: the
// reader only stamps the time of each read, and a connection's timer
// looks at the stamp when it fires.
//
// The root package kite uses this package for its gRPC server (sniffed on
// the same port as Thrift) and client; applications use kite, not this
// package.
package grpc
