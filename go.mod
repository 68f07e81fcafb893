module github.com/kite-rpc/kite

go 1.23.0

require (
	golang.org/x/net v0.43.0
	golang.org/x/sys v0.35.0
	google.golang.org/protobuf v1.36.12
)

require golang.org/x/text v0.28.0 // indirect
