// Package kite is a small, fast, stdlib-first RPC library that speaks the
// wire protocols of the Kitex ecosystem.
package kite
