package govern

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"
)

// Timeouts are the time limits of one call.
type Timeouts struct {
	// RPC bounds the whole call, connecting included (each attempt when
	// retrying); 0 means none, Kitex's default.
	RPC time.Duration
	// Connect bounds dialling a connection; 0 means the client's default.
	Connect time.Duration
}

// String formats the timeouts as "rpc=1s connect=50ms".
func (t Timeouts) String() string { return "rpc=" + t.RPC.String() + " connect=" + t.Connect.String() }

// TimeoutPolicy maps method names to their Timeouts; the [Wildcard] entry
// "*" applies to methods without one of their own.
type TimeoutPolicy map[string]Timeouts

// Lookup returns the timeouts of method, else the "*" entry, else zero
// Timeouts. It allocates nothing.
func (p TimeoutPolicy) Lookup(method string) Timeouts {
	if t, ok := p[method]; ok {
		return t
	}
	return p[Wildcard]
}

// String lists the entries sorted by method.
func (p TimeoutPolicy) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + ": " + p[k].String())
	}
	return b.String()
}

// ErrDenied is the error of the ACL rules made here; the server maps it to
// Kite's "permission denied".
var ErrDenied = errors.New("govern: access denied")

// An ACLRule decides whether a request for service.method may proceed: nil
// lets it through, an error rejects it (the server replies with it). The
// server runs its rules before user middlewares, so ctx carries what the
// transport decoded (metainfo, caller) but nothing middlewares add.
type ACLRule func(ctx context.Context, service, method string) error

// ACL composes rules: the request passes only if every rule passes, and
// the first rejection is returned.
func ACL(rules ...ACLRule) ACLRule {
	rules = append([]ACLRule(nil), rules...)
	return func(ctx context.Context, service, method string) error {
		for _, r := range rules {
			if err := r(ctx, service, method); err != nil {
				return err
			}
		}
		return nil
	}
}

// DenyMethods rejects the named methods with ErrDenied.
func DenyMethods(methods ...string) ACLRule {
	set := make(map[string]bool, len(methods))
	for _, m := range methods {
		set[m] = true
	}
	return func(_ context.Context, _, method string) error {
		if set[method] {
			return ErrDenied
		}
		return nil
	}
}

// AllowMethods rejects every method but the named ones with ErrDenied.
func AllowMethods(methods ...string) ACLRule {
	set := make(map[string]bool, len(methods))
	for _, m := range methods {
		set[m] = true
	}
	return func(_ context.Context, _, method string) error {
		if !set[method] {
			return ErrDenied
		}
		return nil
	}
}

// A Fallback runs after a call failed for good (retries included): it gets
// the method, the call's result struct and the error, and may fill result
// and return nil to turn the failure into a success, or return an error —
// err itself to keep the failure. The client calls it only with a non-nil
// err.
type Fallback func(ctx context.Context, method string, result any, err error) error

// FallbackOn returns a Fallback that runs f only for errors classified by
// when, and returns the error unchanged otherwise.
func FallbackOn(when Classifier, f Fallback) Fallback {
	return func(ctx context.Context, method string, result any, err error) error {
		if when(err) {
			return f(ctx, method, result, err)
		}
		return err
	}
}
