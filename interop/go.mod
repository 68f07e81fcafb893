module github.com/kite-rpc/kite/interop

go 1.26.0

require (
	github.com/apache/thrift v0.25.0
	github.com/cloudwego/netpoll v0.7.2
	github.com/kite-rpc/kite v0.0.0
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/bytedance/gopkg v0.1.1 // indirect
	github.com/cloudwego/gopkg v0.1.4 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)

replace github.com/kite-rpc/kite => ../
