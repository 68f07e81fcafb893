package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/govern"
)

// governFlags turns bench's -lb and -retry into client options and, when
// there are several instances, a middleware that counts calls per instance
// so the balancing can be seen (with one it would only slow the client).
func governFlags(lb string, retries int, instances int) ([]kite.ClientOption, func() string, error) {
	var b govern.Balancer
	switch lb {
	case "wrr", "":
		b = govern.NewRoundRobin()
	case "random":
		b = govern.NewWeightedRandom(nil)
	case "hash":
		b = govern.NewConsistentHash(govern.DefaultConsistentHashConfig())
	case "p2c":
		b = govern.NewP2C(nil)
	default:
		return nil, nil, fmt.Errorf("unknown -lb %q (want wrr, random, hash or p2c)", lb)
	}
	if retries < 0 {
		return nil, nil, fmt.Errorf("-retry must be >= 0")
	}
	var counts sync.Map // addr → *atomic.Int64
	count := func(next kite.Endpoint) kite.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			err := next(ctx, req, resp)
			if ri := kite.RPCInfoFromContext(ctx); ri != nil && ri.RemoteAddr != nil {
				v, _ := counts.LoadOrStore(ri.RemoteAddr.String(), new(atomic.Int64))
				v.(*atomic.Int64).Add(1)
			}
			return err
		}
	}
	opts := []kite.ClientOption{kite.WithBalancer(b)}
	if instances > 1 {
		opts = append(opts, kite.WithMiddleware(count))
	}
	if retries > 0 {
		p := govern.DefaultRetryPolicy()
		p.MaxAttempts = retries + 1
		opts = append(opts, kite.WithRetry(p))
	}
	report := func() string {
		var parts []string
		counts.Range(func(k, v any) bool {
			parts = append(parts, fmt.Sprintf("%s=%d", k, v.(*atomic.Int64).Load()))
			return true
		})
		sort.Strings(parts)
		return strings.Join(parts, " ")
	}
	return opts, report, nil
}
