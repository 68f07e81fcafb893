package main

import (
	"flag"
	"fmt"
	"runtime"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/epoll"
)

// pollerFlag registers -poller; its default is the library's default I/O
// path: epoll on Linux, net elsewhere.
func pollerFlag(fs *flag.FlagSet) *string {
	def := "net"
	if runtime.GOOS == "linux" {
		def = "epoll"
	}
	return fs.String("poller", def, "I/O path: epoll (Kite's poller; kqueue on macOS/BSD) or net (the net package)")
}

// pollerOption turns a -poller value into the option both sides take.
func pollerOption(name string) (kite.Option, error) {
	switch name {
	case "epoll", "kqueue":
		return kite.WithPoller(epoll.Default()), nil
	case "net":
		return kite.WithPoller(nil), nil
	}
	return nil, fmt.Errorf("unknown -poller %q (want epoll or net)", name)
}
