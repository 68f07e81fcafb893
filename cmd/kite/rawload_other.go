//go:build !linux

package main

import (
	"io"
	"time"
)

// rawRun runs the raw load; without epoll, on a goroutine per connection.
func rawRun(e *rawEcho, addrs []string, conc int, dur time.Duration, rate int, progress io.Writer) (load, error) {
	return rawRunNet(e, addrs, conc, dur, rate, progress)
}
