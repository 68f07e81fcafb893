package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
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
	mux := fs.Int("mux", 0, "pipeline all callers over N connections per address (WithMuxConnection); 0: a pooled connection per caller")
	rate := fs.Int("qps", 0, "calls due per second in total, latency counted from when each was due (as wrk2); 0: each caller calls again at once")
	raw := fs.Bool("raw", false, "drive the connections with a minimal load generator instead of the Kite client (one call in flight per connection, pre-encoded requests; on Linux one epoll loop per core), so that the server rather than the client limits the load; framed and ttheader transports")
	if err := fs.Parse(args); err != nil {
		return err
	}
	po, err := pollerOptions(*poller)
	if err != nil {
		return err
	}
	if *conc < 1 || *size < 0 || *dur <= 0 || *rate < 0 {
		return fmt.Errorf("bench: -c must be >= 1, -size >= 0, -d > 0, -qps >= 0")
	}
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
	if isPB(cf.transport) { // pbcall.go
		if *mux > 0 {
			return fmt.Errorf("bench: -mux is for Thrift transports")
		}
		return pbBench(cf.transport, addrs, *conc, *size, *rate, *dur, stdout, stderr)
	}
	opts, err := cf.options()
	if err != nil {
		return err
	}
	if *raw {
		return rawBench(cf, addrs, *conc, *size, *dur, *mux, *rate, *lb, *retries, *quiet, stdout, stderr)
	}
	gopts, perAddr, err := governFlags(*lb, *retries, len(addrs))
	if err != nil {
		return err
	}
	opts = append(opts, gopts...)
	opts = append(opts, clientOpts(po)...)
	opts = append(opts, kite.WithHostPorts(addrs...))
	if *mux > 0 {
		opts = append(opts, kite.WithMuxConnection(*mux))
	} else {
		opts = append(opts, kite.WithLongConnection(transport.LongPoolConfig{
			MaxIdlePerAddress: *conc, MaxIdleGlobal: *conc * len(addrs),
		}))
	}
	cli, err := echoserver.NewClient(echoserver.ServiceName, opts...)
	if err != nil {
		return err
	}
	defer cli.Close()

	msg := strings.Repeat("k", *size)
	reqs := make([]*echo.Request, *conc)
	keys := make([]kite.CallOption, *conc)
	for i := range reqs {
		reqs[i] = &echo.Request{Action: "echo", Msg: msg}
		keys[i] = kite.WithHashKey(strconv.Itoa(i))
	}
	var progress io.Writer
	if !*quiet {
		progress = stderr
	}
	r := runLoad(*conc, *dur, *rate, progress, func(i int) error {
		_, err := cli.Echo(context.Background(), reqs[i], keys[i])
		return err
	})
	var extra []string
	if len(addrs) > 1 {
		extra = append(extra, "per instance: "+perAddr())
	}
	desc := fmt.Sprintf("transport=%s protocol=%s c=%d size=%d", cf.transport, cf.protocol, *conc, *size)
	if *mux > 0 {
		desc += fmt.Sprintf(" mux=%d", *mux)
	}
	if *rate > 0 {
		desc += fmt.Sprintf(" rate=%d", *rate)
	}
	r.report(stdout, stderr, desc, extra...)
	return nil
}
