//go:generate go run github.com/kite-rpc/kite/cmd/kite gen -out ../.. ../../echo.thrift

package echoserver
