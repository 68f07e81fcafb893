module github.com/kite-rpc/kite

go 1.22
