module github.com/kite-rpc/kite/interop

go 1.26

require (
	github.com/apache/thrift v0.25.0
	github.com/kite-rpc/kite v0.0.0
)

replace github.com/kite-rpc/kite => ../
