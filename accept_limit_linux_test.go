package kite_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/kite_gen/echo"
)

// syncBuffer is a bytes.Buffer a logger and a test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cpuTime is the process's user and system time so far.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countFDsStable returns the number of open descriptors once it has not
// changed for 50 ms.
func countFDsStable(t *testing.T) int {
	t.Helper()
	last := -1
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		n := openFDs()
		if n < 0 {
			t.Skip("no /proc/self/fd")
		}
		if n == last {
			return last
		}
		last = n
		time.Sleep(50 * time.Millisecond)
	}
	return last
}

// TestAcceptBacksOffWhenOutOfFDs fills the process's descriptor table so
// that the server's accept fails with EMFILE while a client waits in the
// listen backlog: the server must back off (not spin), log the storm once,
// and serve the waiting call once descriptors are free again.
func TestAcceptBacksOffWhenOutOfFDs(t *testing.T) {
	leakCheck(t)
	var logs syncBuffer
	_, addr := startServer(t, &handler{}, kite.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	c := newClient(t, addr, kite.WithRPCTimeout(10*time.Second))
	// Descriptors that earlier tests' peers are still closing would free
	// a slot for the server: start from a table that stays put.
	ents := countFDsStable(t)

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = uint64(ents + 64)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	var fill []*os.File
	release := func() {
		for _, f := range fill {
			f.Close()
		}
		fill = nil
	}
	defer func() {
		release()
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			t.Error(err)
		}
	}()
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatal(err)
			}
			break
		}
		fill = append(fill, f)
	}
	// One descriptor free: the client's socket takes it, the connection
	// waits in the backlog and the server's accept fails.
	fill[len(fill)-1].Close()
	fill = fill[:len(fill)-1]

	done := make(chan error, 1)
	go func() {
		_, err := c.Echo(context.Background(), &echo.Request{Action: "echo", Msg: "after"})
		done <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "accept failed"); {
		if time.Now().After(deadline) {
			t.Fatalf("no accept failure logged; logs:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	const window = 700 * time.Millisecond
	cpu0 := cpuTime(t)
	for end := time.Now().Add(window); time.Now().Before(end); {
		// Keep any descriptor freed meanwhile from the server.
		if f, err := os.Open(os.DevNull); err == nil {
			fill = append(fill, f)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if used := cpuTime(t) - cpu0; used > window/4 {
		t.Errorf("the process used %v of CPU in %v while accept failed: spinning", used, window)
	}
	select {
	case err := <-done:
		t.Fatalf("call ended while the server could not accept: %v", err)
	default:
	}
	release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("call after descriptors were freed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting call was not served after descriptors were freed")
	}
	if n := strings.Count(logs.String(), "accept failed"); n != 1 {
		t.Errorf("accept failure logged %d times, want once:\n%s", n, logs.String())
	}
}
