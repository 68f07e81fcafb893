package main

import (
	"flag"
	"fmt"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/epoll"
)

// pollerFlag registers -poller. Empty (the default) keeps the library's
// default for each side: epoll for servers on Linux, net for clients.
func pollerFlag(fs *flag.FlagSet) *string {
	return fs.String("poller", "", "I/O path for both sides: epoll (Kite's poller; kqueue on macOS/BSD) or net (the net package); default: the library's (on Linux epoll for servers and -mux clients, net for other clients)")
}

// pollerOptions turns a -poller value into the options both sides take.
func pollerOptions(name string) ([]kite.Option, error) {
	switch name {
	case "":
		return nil, nil
	case "epoll", "kqueue":
		return []kite.Option{kite.WithPoller(epoll.Default())}, nil
	case "net":
		return []kite.Option{kite.WithPoller(nil)}, nil
	}
	return nil, fmt.Errorf("unknown -poller %q (want epoll or net)", name)
}

func serverOpts(os []kite.Option) []kite.ServerOption {
	out := make([]kite.ServerOption, len(os))
	for i, o := range os {
		out[i] = o
	}
	return out
}

func clientOpts(os []kite.Option) []kite.ClientOption {
	out := make([]kite.ClientOption, len(os))
	for i, o := range os {
		out[i] = o
	}
	return out
}
