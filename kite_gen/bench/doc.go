//go:generate go run github.com/kite-rpc/kite/cmd/kite gen -out .. ../bench.thrift

package bench
