//go:build linux && !kite_nopoller

package epoll

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

const idleConns = 10000

// raiseNoFile raises the soft RLIMIT_NOFILE to need, or skips the test.
func raiseNoFile(t *testing.T, need uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	if lim.Cur >= need {
		return
	}
	old := lim
	lim.Cur = need
	if lim.Max < need {
		lim.Max = need // allowed with CAP_SYS_RESOURCE
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("RLIMIT_NOFILE is %d (hard %d), below the %d this test needs, and raising it failed: %v",
			old.Cur, old.Max, need, err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// TestManyIdleConnections holds 10,000 idle served connections: they cost
// no goroutine, and closing them returns every descriptor and goroutine.
// The client ends live in a child process (this test binary, running
// TestIdleClientProcess), so each process needs only 10,000 descriptors.
func TestManyIdleConnections(t *testing.T) {
	raiseNoFile(t, idleConns+200)
	noLeaks(t)
	p := New(2)
	s, addr := startEcho(t, p)
	before := runtime.NumGoroutine()

	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "EPOLL_TEST_IDLE_ADDR="+addr)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	sc := bufio.NewScanner(stdout)
	ready := false
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			ready = true
			break
		}
		if len(line) > 5 && line[:5] == "SKIP:" {
			t.Skip(line)
		}
	}
	if !ready {
		t.Fatal("the client process did not open its connections")
	}
	if g := runtime.NumGoroutine(); g > before+10 {
		t.Errorf("%d goroutines with %d idle connections (had %d)", g, idleConns, before)
	}
	if got := countFDs(); got >= 0 && got < idleConns {
		t.Errorf("only %d descriptors open", got)
	}
	stdin.Close() // the client exits, closing its ends
	go func() {
		for sc.Scan() {
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for s.closed.Load() != idleConns && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.closed.Load() != idleConns {
		t.Fatalf("%d of %d connections closed", s.closed.Load(), idleConns)
	}
}

// TestIdleClientProcess is the client side of TestManyIdleConnections; it
// runs only in the child process.
func TestIdleClientProcess(t *testing.T) {
	addr := os.Getenv("EPOLL_TEST_IDLE_ADDR")
	if addr == "" {
		t.Skip("runs as TestManyIdleConnections' child process")
	}
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	if lim.Cur < idleConns+100 {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		if lim.Cur < idleConns+100 {
			fmt.Println("SKIP: RLIMIT_NOFILE hard limit " + strconv.FormatUint(lim.Max, 10) + " is too low")
			return
		}
	}
	conns := make([]net.Conn, 0, idleConns)
	for i := 0; i < idleConns; i++ {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	for i := 0; i < idleConns; i += 97 {
		conns[i].Write(frame("hi"))
		if got := readFrame(t, conns[i]); got != "hi" {
			t.Fatalf("conn %d: %q", i, got)
		}
	}
	fmt.Println("ready")
	buf := make([]byte, 1)
	os.Stdin.Read(buf) // until the parent closes stdin
	for _, c := range conns {
		c.Close()
	}
}
