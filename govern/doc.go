// Package govern holds Kite's service governance: discovery and registry
// interfaces with static and DNS resolvers, load balancers, retries and
// backup (hedged) requests, circuit breakers, limiters, timeouts, ACL rules
// and fallbacks.
//
// Every policy is a plain struct with a Default…() constructor, and every
// stateful object (a [Balancer], [Breaker], [TokenBucket], [Budget]) is safe
// for concurrent use, allocates nothing on its per-call methods, and has an
// explicit-time variant (AllowAt, RecordAt, …) so that tests can drive it
// with a fake clock. Each also has a String or Snapshot method for operators.
//
// govern knows nothing of Kite's error type: what counts as a failure, or as
// retryable, is a [Classifier] the caller passes in; [IsRetryable] and
// [IsFailure] are defaults that understand the standard library's errors.
//
// The order in which a client applies the pieces, outermost first, is:
// timeout ([TimeoutPolicy]) → retry and backup requests ([Retrier]) →
// discovery ([Watcher]) and load balancing ([Balancer]) → instance circuit
// breaker ([BreakerSet]) → transport. A server applies its [Limiter] and
// [ACLRule]s before user middlewares and registers itself with a
// [Registry] once it is serving.
package govern

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// Wildcard is the method name of the default entry in per-method policy
// maps such as [RetryPolicies] and [TimeoutPolicy], as in Kitex.
const Wildcard = "*"

// A Classifier reports whether err belongs to a class: retryable, a
// failure for a circuit breaker, eligible for a fallback. govern cannot
// see Kite's error codes, so the client passes classifiers that can.
type Classifier func(err error) bool

// IsRetryable is the default [RetryPolicy.RetryOn]: it reports whether err
// is a timeout (a net.Error whose Timeout is true, context.DeadlineExceeded,
// os.ErrDeadlineExceeded) or a broken or refused connection (ECONNREFUSED,
// ECONNRESET, ECONNABORTED, EPIPE, io.EOF, io.ErrUnexpectedEOF). It is false
// for nil and context.Canceled. [Retrier.Do] never retries once the
// caller's own context is done, whatever the classifier says, so a
// DeadlineExceeded is retried only when it came from a per-attempt timeout.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return isConnError(err)
}

// IsFailure is the default [BreakerPolicy.IsFailure]: it reports whether err
// says the instance or the network misbehaved — any net.Error,
// context.DeadlineExceeded, io.EOF, io.ErrUnexpectedEOF, ECONNREFUSED,
// ECONNRESET — as opposed to a business error, which is the callee working
// as designed. It is false for nil and context.Canceled (the caller gave up).
func IsFailure(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return isConnError(err)
}

func isConnError(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed)
}
