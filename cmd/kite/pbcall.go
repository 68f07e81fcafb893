package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
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
func pbBench(tr string, addrs []string, conc, size, rate int, dur time.Duration, stdout, stderr io.Writer) error {
	cli, err := pbClient(tr, addrs)
	if err != nil {
		return err
	}
	defer cli.Close()
	msg := strings.Repeat("k", size)
	reqs := make([]*pbecho.Request, conc)
	for i := range reqs {
		reqs[i] = &pbecho.Request{Action: "echo", Msg: msg}
	}
	r := runLoad(conc, dur, rate, stderr, func(i int) error {
		_, err := cli.Echo(context.Background(), reqs[i])
		return err
	})
	desc := fmt.Sprintf("transport=%s c=%d size=%d", tr, conc, size)
	if rate > 0 {
		desc += fmt.Sprintf(" rate=%d", rate)
	}
	r.report(stdout, stderr, desc)
	return nil
}
