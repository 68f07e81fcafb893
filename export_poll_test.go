package kite

import (
	"os"

	"github.com/kite-rpc/kite/epoll"
)

// KITE_TEST_POLLER=epoll|net runs this package's tests with that I/O path
// as the default of servers and clients (TestPollerModes sets it).
func init() {
	switch os.Getenv("KITE_TEST_POLLER") {
	case "epoll":
		pollerDefault, clientPollerDefault, muxPollerDefault = epoll.Default, epoll.Default, epoll.Default
	case "net":
		pollerDefault = func() *epoll.Poller { return nil }
		clientPollerDefault, muxPollerDefault = pollerDefault, pollerDefault
	}
}
