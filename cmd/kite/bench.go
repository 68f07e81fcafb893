package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/kite_gen/echo"
	"github.com/kite-rpc/kite/kite_gen/echo/echoserver"
	"github.com/kite-rpc/kite/transport"
)

func splitAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// bench runs a ping-pong load of Echo calls and prints the result; the last
// line is machine-readable.
func bench(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, "")
	conc := fs.Int("c", 100, "concurrent callers")
	dur := fs.Duration("d", 5*time.Second, "duration")
	size := fs.Int("size", 1024, "message size in bytes")
	quiet := fs.Bool("q", false, "no progress lines")
	poller := pollerFlag(fs)
	lb := fs.String("lb", "wrr", "balancer over -addr: wrr, random, hash or p2c")
	retries := fs.Int("retry", 0, "retry a failed call up to N times, on another instance")
	if err := fs.Parse(args); err != nil {
		return err
	}
	po, err := pollerOptions(*poller)
	if err != nil {
		return err
	}
	if *conc < 1 || *size < 0 || *dur <= 0 {
		return fmt.Errorf("bench: -c must be >= 1, -size >= 0, -d > 0")
	}
	if isPB(cf.transport) && cf.addr != "" { // pbcall.go
		return pbBench(cf.transport, splitAddrs(cf.addr), *conc, *size, *dur, stdout, stderr)
	}
	opts, err := cf.options()
	if err != nil {
		return err
	}
	gopts, perAddr, err := governFlags(*lb, *retries)
	if err != nil {
		return err
	}
	opts = append(opts, gopts...)
	addrs := splitAddrs(cf.addr)
	if len(addrs) == 0 {
		// No server given: run one in process on loopback.
		srv, err := newEchoServer(serverOpts(po)...)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		go func() { _ = srv.Serve(ln) }()
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
		}()
		addrs = []string{ln.Addr().String()}
		fmt.Fprintf(stderr, "bench: embedded server on %s\n", addrs[0])
	}
	opts = append(opts, clientOpts(po)...)
	opts = append(opts, kite.WithHostPorts(addrs...), kite.WithLongConnection(transport.LongPoolConfig{
		MaxIdlePerAddress: *conc, MaxIdleGlobal: *conc * len(addrs),
	}))
	cli, err := echoserver.NewClient(echoserver.ServiceName, opts...)
	if err != nil {
		return err
	}
	defer cli.Close()

	msg := strings.Repeat("k", *size)
	var calls, errs atomic.Int64
	lat := make([][]time.Duration, *conc)
	var firstErr atomic.Value
	stop := time.Now().Add(*dur)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < *conc; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req := &echo.Request{Action: "echo", Msg: msg}
			ctx := context.Background()
			samples := make([]time.Duration, 0, 1024)
			for {
				t0 := time.Now()
				if !t0.Before(stop) {
					break
				}
				_, err := cli.Echo(ctx, req, kite.WithHashKey(strconv.Itoa(i)))
				d := time.Since(t0)
				calls.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				samples = append(samples, d)
			}
			lat[i] = samples
		}(i)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last int64
	for running := true; running; {
		select {
		case <-done:
			running = false
		case t := <-tick.C:
			if !*quiet {
				n := calls.Load()
				fmt.Fprintf(stderr, "bench: %4.0fs calls=%d qps=%d errors=%d\n", t.Sub(start).Seconds(), n, n-last, errs.Load())
				last = n
			}
		}
	}
	elapsed := time.Since(start)
	var all []time.Duration
	for _, s := range lat {
		all = append(all, s...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) int64 {
		if len(all) == 0 {
			return 0
		}
		i := int(float64(len(all))*p/100+0.5) - 1
		if i < 0 {
			i = 0
		}
		if i >= len(all) {
			i = len(all) - 1
		}
		return all[i].Microseconds()
	}
	n := calls.Load()
	qps := int64(float64(n) / elapsed.Seconds())
	fmt.Fprintf(stdout, "transport=%s protocol=%s c=%d size=%d duration=%s\n", cf.transport, cf.protocol, *conc, *size, elapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  %-8s %10s\n  %-8s %10d\n  %-8s %10d\n  %-8s %10d\n  %-8s %10d\n", "", "latency", "p50", pct(50), "p90", pct(90), "p99", pct(99), "p99.9", pct(99.9))
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(stderr, "bench: first error: %v\n", e)
	}
	var max int64
	if len(all) > 0 {
		max = all[len(all)-1].Microseconds()
	}
	if len(addrs) > 1 {
		fmt.Fprintf(stdout, "  per instance: %s\n", perAddr())
	}
	fmt.Fprintf(stdout, "qps=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d calls=%d\n",
		qps, pct(50), pct(90), pct(99), pct(99.9), max, errs.Load(), n)
	return nil
}
