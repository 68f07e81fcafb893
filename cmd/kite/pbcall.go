package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/internal/pbecho"
)

// The protobuf echo from the command line: -transport kpb (Kitex Protobuf
// over TTHeaderFramed) or grpc (gRPC over HTTP/2, h2c).

func isPB(tr string) bool { return tr == "kpb" || tr == "grpc" }

func pbClient(tr string, addrs []string, extra ...kite.ClientOption) (*pbecho.Client, error) {
	opts := []kite.ClientOption{kite.WithHostPorts(addrs...)}
	if tr == "grpc" {
		opts = append(opts, kite.WithGRPC())
	} else {
		opts = append(opts, kite.WithKitexProtobuf())
	}
	return pbecho.NewClient(append(opts, extra...)...)
}

// pbCall makes one protobuf echo call and prints the reply.
func pbCall(tr, addr, action, msg string, timeout time.Duration) error {
	cli, err := pbClient(tr, splitAddrs(addr), kite.WithRPCTimeout(timeout))
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx := kite.WithBackwardValues(context.Background())
	resp, err := cli.Echo(ctx, &pbecho.Request{Action: action, Msg: msg})
	if bw := kite.RecvBackwardValues(ctx); len(bw) > 0 {
		fmt.Printf("backward: %v\n", bw)
	}
	var be *kite.BizError
	switch {
	case errors.As(err, &be):
		fmt.Printf("biz error: code=%d msg=%q extra=%v\n", be.Code, be.Message, be.Extra)
		return err
	case err != nil:
		return err
	}
	fmt.Printf("response: action=%q msg=%q\n", resp.Action, resp.Msg)
	return nil
}

// pbBench runs conc callers of the protobuf echo for dur and prints the
// same lines as bench.
func pbBench(tr string, addrs []string, conc, size int, dur time.Duration, stdout, stderr io.Writer) error {
	cli, err := pbClient(tr, addrs)
	if err != nil {
		return err
	}
	defer cli.Close()
	msg := strings.Repeat("k", size)
	var calls, errs atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, conc)
	start := time.Now()
	stop := start.Add(dur)
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req := &pbecho.Request{Action: "echo", Msg: msg}
			for {
				t0 := time.Now()
				if !t0.Before(stop) {
					return
				}
				_, err := cli.Echo(context.Background(), req)
				calls.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
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
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(stderr, "bench: first error: %v\n", e)
	}
	var max int64
	if len(all) > 0 {
		max = all[len(all)-1].Microseconds()
	}
	n := calls.Load()
	fmt.Fprintf(stdout, "transport=%s c=%d size=%d duration=%s\n", tr, conc, size, elapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "qps=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d calls=%d\n",
		int64(float64(n)/elapsed.Seconds()), pct(50), pct(90), pct(99), pct(99.9), max, errs.Load(), n)
	return nil
}
