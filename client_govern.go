package kite

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/govern"
	"github.com/kite-rpc/kite/transport"
)

// clientGovern is what a Client applies around the wire call: discovery,
// balancing, breakers, retry and backup requests, limits, ACL and fallback
// (DESIGN.md: timeout → retry / backup → discovery + balancing → instance
// breaker → transport). Fields are fixed after NewClient.
type clientGovern struct {
	balancer    govern.Balancer
	watcher     *govern.Watcher    // nil with static addresses
	retriers    *govern.RetrierSet // nil: one attempt
	breakers    *govern.BreakerSet // per instance address; nil: none
	svcBreakers *govern.BreakerSet // per method of the service; nil: none
	inflight    *govern.ConcurrencyLimiter
	acl         govern.ACLRule
	fallback    govern.Fallback
	timeouts    govern.TimeoutPolicy
	hedged      bool // some retry policy sends backup requests
}

// initGovern builds the client's policies from its options.
func (c *Client) initGovern() error {
	g := &c.gov
	cfg := &c.cfg
	g.balancer = cfg.balancer
	if g.balancer == nil {
		g.balancer = govern.DefaultBalancer()
	}
	if len(cfg.retry) > 0 {
		ps := make(govern.RetryPolicies, len(cfg.retry))
		for m, p := range cfg.retry {
			if p.RetryOn == nil {
				p.RetryOn = retryable
			}
			if p.InRetryChain == nil {
				p.InRetryChain = inRetryChain
			}
			if p.BackupDelay > 0 {
				g.hedged = true
			}
			ps[m] = p
		}
		if g.hedged && cfg.svcInfo == nil {
			return &Error{Code: CodeInvalidArgument, Message: "backup requests need WithServiceInfo: each attempt decodes into a result of its own"}
		}
		g.retriers = govern.NewRetrierSet(ps)
	}
	if cfg.breaker != nil {
		p := *cfg.breaker
		if p.IsFailure == nil {
			p.IsFailure = breakerFailure
		}
		g.breakers = govern.NewBreakerSet(p)
		g.svcBreakers = govern.NewBreakerSet(p)
	}
	if cfg.limit.MaxInFlight > 0 {
		g.inflight = govern.NewConcurrencyLimiter(cfg.limit.MaxInFlight)
	}
	if len(cfg.acl) > 0 {
		g.acl = govern.ACL(cfg.acl...)
	}
	g.fallback, g.timeouts = cfg.fallback, cfg.timeouts
	switch {
	case cfg.resolver != nil:
		g.watcher = govern.Watch(cfg.resolver, c.service, 0, c.onDiscovery)
	case len(cfg.hostPorts) > 0:
		g.balancer.Update(govern.HostPorts(cfg.hostPorts...))
	}
	return nil
}

// onDiscovery applies a resolver's change: the balancer is rebuilt and the
// connections and breakers of removed instances are dropped.
func (c *Client) onDiscovery(ch govern.Change) {
	if ch.Err != nil {
		c.cfg.logger.Warn("kite: service discovery failed; keeping the last instances", "service", c.service, "err", ch.Err)
		return
	}
	c.gov.balancer.Update(ch.Instances)
	for _, in := range ch.Removed {
		if lp, ok := c.pool.(*transport.LongPool); ok {
			lp.CloseIdle(in.Addr)
		}
		if c.gov.breakers != nil {
			c.gov.breakers.Forget(in.Addr)
		}
	}
}

// retryable is the default retry classifier: connection failures and
// timeouts of an attempt (the caller's own deadline is checked by govern).
func retryable(err error) bool {
	switch CodeOf(err) {
	case CodeUnavailable, CodeDeadlineExceeded:
		return true
	}
	return false
}

// breakerFailure is what a breaker counts against a callee: connection
// failures, timeouts and overload; not business errors or bad requests.
func breakerFailure(err error) bool {
	switch CodeOf(err) {
	case CodeUnavailable, CodeDeadlineExceeded, CodeResourceExhausted:
		return true
	}
	return false
}

// inRetryChain reports whether ctx carries Kitex's retry marker, so a
// retried request is not retried again by the next hop.
func inRetryChain(ctx context.Context) bool {
	_, ok := GetPersistentValue(ctx, govern.RetryChainKey)
	if !ok {
		n := metaFrom(ctx)
		if n != nil {
			_, ok = find(n.persistent, govern.RetryChainKey)
		}
	}
	return ok
}

// send applies the client's policies around the wire call.
func (c *Client) send(ctx context.Context, ri *RPCInfo, args, result any) error {
	g := &c.gov
	if g.timeouts != nil {
		t := g.timeouts.Lookup(ri.Method)
		if t.RPC > 0 && !ri.timeoutSet {
			ri.timeout = t.RPC
		}
		ri.connectTimeout = t.Connect
	}
	if g.acl != nil {
		if err := g.acl(ctx, c.service, ri.Method); err != nil {
			return &Error{Code: CodePermissionDenied, Message: "request forbidden", Err: err}
		}
	}
	if g.inflight != nil {
		if !g.inflight.Acquire() {
			return &Error{Code: CodeResourceExhausted, Message: "request over limit: too many calls in flight to " + c.service}
		}
		defer g.inflight.Release()
	}
	var err error
	var r *govern.Retrier
	if g.retriers != nil {
		r = g.retriers.Lookup(ri.Method)
	}
	if r == nil {
		_, err = c.attempt(ctx, ri, args, result, nil)
	} else {
		err = c.retry(ctx, r, ri, args, result)
	}
	if err != nil && g.fallback != nil {
		err = g.fallback(ctx, ri.Method, result, err)
	}
	return err
}

// attempt picks an instance, consults its breaker and makes one wire call.
// tried lists the addresses earlier attempts used.
func (c *Client) attempt(ctx context.Context, ri *RPCInfo, args, result any, tried []string) (string, error) {
	g := &c.gov
	addr := ri.target
	var tk govern.Ticket
	var br *govern.Breaker
	if addr == "" {
		for i := 0; ; i++ {
			in, err := g.balancer.Pick(ri.hashKey, tried)
			if err != nil {
				return "", &Error{Code: CodeUnavailable, Message: "no instance of " + c.service + ": use WithHostPorts, WithResolver or WithTarget", Err: err}
			}
			addr = in.Addr
			if g.breakers == nil {
				break
			}
			br = g.breakers.Get(addr)
			if tk, err = br.Allow(); err == nil {
				break
			}
			if i >= 2 {
				g.balancer.Done(addr, 0, err)
				return addr, &Error{Code: CodeUnavailable, Message: "forbidden by circuit breaker: " + addr, Err: err}
			}
			g.balancer.Done(addr, 0, err)
			tried = append(tried, addr)
		}
	}
	var stk govern.Ticket
	var sbr *govern.Breaker
	if g.svcBreakers != nil {
		sbr = g.svcBreakers.Get(ri.Method)
		var err error
		if stk, err = sbr.Allow(); err != nil {
			if br != nil {
				br.Record(tk, nil)
			}
			if ri.target == "" {
				g.balancer.Done(addr, 0, err)
			}
			return addr, &Error{Code: CodeUnavailable, Message: "forbidden by circuit breaker: " + c.service + "." + ri.Method, Err: err}
		}
	}
	ri.addr = addr
	err := c.invoke(ctx, ri, args, result)
	if ri.target == "" {
		// The attempt's latency from the clocks the call already read:
		// Start (set per attempt) and, for a reply, Received.
		end := ri.Received
		if end.Before(ri.Start) {
			end = time.Now() // no reply (an error or oneway)
		}
		g.balancer.Done(addr, end.Sub(ri.Start), err)
	}
	if br != nil {
		br.Record(tk, err)
	}
	if sbr != nil {
		sbr.Record(stk, err)
	}
	return addr, err
}

// retry runs attempts under a retry policy. Attempts after the first get an
// RPCInfo of their own; with backup requests each also decodes into a
// result of its own, and the winner's is copied into result.
func (c *Client) retry(ctx context.Context, r *govern.Retrier, ri *RPCInfo, args, result any) error {
	p := r.Policy()
	rc := retryCalls.Get().(*retryCall)
	rc.c, rc.ri, rc.args, rc.result = c, ri, args, result
	rc.hedged, rc.same = p.BackupDelay > 0, p.SameInstance
	winner, err := r.Do(ctx, rc.fn)
	// Do has returned: no attempt is running.
	if err == nil && rc.hedged && winner > 0 && result != nil {
		err = copyResult(rc.results[winner], result)
	}
	for _, x := range rc.extra {
		if winner > 0 && x.RemoteAddr != nil {
			ri.RemoteAddr = x.RemoteAddr
		}
		x.reset()
		c.riPool.Put(x)
	}
	rc.reset()
	retryCalls.Put(rc)
	return err
}

// retryCall is the state of one call under a retry policy, pooled with its
// attempt function so a call that needs no retry allocates nothing for it.
type retryCall struct {
	c            *Client
	ri           *RPCInfo
	args, result any
	hedged, same bool
	fn           func(ctx context.Context, attempt int) error // rc.attempt, bound once

	mu      sync.Mutex // guards the fields below
	tried   []string
	results map[int]any
	extra   []*RPCInfo
}

var retryCalls = sync.Pool{New: func() any {
	rc := &retryCall{}
	rc.fn = rc.attempt
	return rc
}}

func (rc *retryCall) reset() {
	rc.c, rc.ri, rc.args, rc.result = nil, nil, nil, nil
	rc.tried = rc.tried[:0]
	rc.extra = rc.extra[:0]
	for k := range rc.results {
		delete(rc.results, k)
	}
}

// attempt is one attempt of the call; attempts may run concurrently when
// backup requests are on.
func (rc *retryCall) attempt(ctx context.Context, attempt int) error {
	c, ri, res := rc.c, rc.ri, rc.result
	ari := ri
	if attempt > 0 {
		ari = c.riPool.Get().(*RPCInfo)
		ari.Service, ari.Method, ari.target, ari.hashKey = ri.Service, ri.Method, ri.target, ri.hashKey
		ari.timeout, ari.timeoutSet, ari.connectTimeout = ri.timeout, ri.timeoutSet, ri.connectTimeout
		ari.Start = time.Now()
		ctx = WithPersistentValue(ctx, govern.RetryChainKey, strconv.Itoa(attempt))
		if rc.hedged && res != nil {
			res = c.newResult(ri.Method)
		}
	}
	rc.mu.Lock()
	if attempt > 0 {
		rc.extra = append(rc.extra, ari)
		if rc.hedged && res != nil {
			if rc.results == nil {
				rc.results = make(map[int]any)
			}
			rc.results[attempt] = res
		}
	}
	var avoid []string
	if !rc.same {
		avoid = append(avoid, rc.tried...)
	}
	rc.mu.Unlock()
	addr, err := c.attempt(ctx, ari, rc.args, res, avoid)
	if addr != "" {
		rc.mu.Lock()
		rc.tried = append(rc.tried, addr)
		rc.mu.Unlock()
	}
	return err
}

// newResult allocates a result struct for method from the service info.
func (c *Client) newResult(method string) any {
	if mi, ok := c.cfg.svcInfo.Methods[method]; ok && mi.NewResult != nil {
		return mi.NewResult()
	}
	return nil
}

// copyResult moves a backup request's result into the caller's, by way of
// its encoding: it happens only when a backup wins, and needs no reflection.
func copyResult(from, to any) error {
	fs, ok1 := from.(thrift.Struct)
	ts, ok2 := to.(thrift.Struct)
	if !ok1 || !ok2 {
		return &Error{Code: CodeInternal, Message: "backup request: result is not a thrift.Struct"}
	}
	if _, err := ts.ConsumeBinary(fs.AppendBinary(nil)); err != nil {
		return &Error{Code: CodeInternal, Message: "backup request: copy result", Err: err}
	}
	return nil
}

// remoteException builds the *Error of an exception reply. Kitex's
// overload and ACL refusals arrive as INTERNAL_ERROR with a known text;
// they get the codes a caller can act on.
func remoteException(typ int32, msg string) *Error {
	code := CodeFromThrift(typ)
	if code == CodeInternal {
		switch {
		case strings.HasPrefix(msg, overLimitText):
			code = CodeResourceExhausted
		case strings.HasPrefix(msg, forbiddenText):
			code = CodePermissionDenied
		}
	}
	return &Error{Code: code, Message: msg, Remote: true}
}

// Texts of Kitex's kerrors.ErrOverlimit and ErrACL, which servers put in
// INTERNAL_ERROR exceptions.
const (
	overLimitText = "request over limit"
	forbiddenText = "request forbidden"
)

// Governance options.

type resolverOption struct{ r govern.Resolver }

func (o resolverOption) applyClient(c *clientConfig) { c.resolver = o.r }
func (o resolverOption) String() string              { return "WithResolver(...)" }

// WithResolver finds the service's instances with r, refreshing them in the
// background (every 30 s unless r says otherwise) until Close. It replaces
// WithHostPorts' static list. The last value given wins.
func WithResolver(r govern.Resolver) ClientOption { return resolverOption{r} }

type balancerOption struct{ b govern.Balancer }

func (o balancerOption) applyClient(c *clientConfig) { c.balancer = o.b }
func (o balancerOption) String() string              { return "WithBalancer(" + o.b.String() + ")" }

// WithBalancer picks instances with b. The default is smooth weighted
// round-robin (govern.DefaultBalancer); consistent hashing takes its key
// from WithHashKey. The last value given wins.
func WithBalancer(b govern.Balancer) ClientOption { return balancerOption{b} }

type retryOption struct {
	p       govern.RetryPolicy
	methods []string
}

func (o retryOption) applyClient(c *clientConfig) {
	if c.retry == nil {
		c.retry = make(govern.RetryPolicies)
	}
	if len(o.methods) == 0 {
		c.retry[govern.Wildcard] = o.p
	}
	for _, m := range o.methods {
		c.retry[m] = o.p
	}
}
func (o retryOption) String() string {
	return "WithRetry(" + o.p.String() + ", " + strings.Join(o.methods, ",") + ")"
}

// WithRetry retries failed calls, or sends backup requests, as p says: for
// the named methods, or for every method without a policy of its own when
// none are named. Retries carry Kitex's retry marker so the next hop does
// not retry again. By default nothing is retried; later calls of WithRetry
// for the same method replace earlier ones. Backup requests need
// WithServiceInfo (generated clients pass it).
func WithRetry(p govern.RetryPolicy, methods ...string) ClientOption {
	return retryOption{p: p, methods: methods}
}

type breakerOption struct{ p govern.BreakerPolicy }

func (o breakerOption) applyClient(c *clientConfig) { c.breaker = &o.p }
func (o breakerOption) String() string              { return "WithCircuitBreaker(...)" }

// WithCircuitBreaker puts a breaker in front of every instance and every
// method of the service (govern.DefaultBreakerPolicy gives Kitex's
// thresholds). Connection failures, timeouts and overload count as
// failures; business errors do not. There are none by default; the last
// value given wins.
func WithCircuitBreaker(p govern.BreakerPolicy) ClientOption { return breakerOption{p} }

type limitOption struct{ p govern.LimitPolicy }

func (o limitOption) applyClient(c *clientConfig) { c.limit = o.p }
func (o limitOption) applyServer(c *serverConfig) { c.limit = o.p }
func (o limitOption) String() string              { return "WithLimit(" + o.p.String() + ")" }

// WithLimit bounds load. On a server: MaxConnections (new connections over
// it are closed), MaxQPS and MaxInFlight (requests over them are answered
// at once with Kitex's "request over limit" exception, CodeResourceExhausted
// to Kite callers). On a client: MaxInFlight calls to the service. No
// limits by default; the last value given wins.
func WithLimit(p govern.LimitPolicy) Option { return limitOption{p} }

type aclOption struct{ rules []govern.ACLRule }

func (o aclOption) applyClient(c *clientConfig) { c.acl = append(c.acl, o.rules...) }
func (o aclOption) applyServer(c *serverConfig) { c.acl = append(c.acl, o.rules...) }
func (o aclOption) String() string              { return "WithACL(...)" }

// WithACL checks every call with the rules, in order, before middlewares
// run; the first error refuses the call (CodePermissionDenied; on a server,
// Kitex's "request forbidden" exception). Each use adds rules.
func WithACL(rules ...govern.ACLRule) Option { return aclOption{rules} }

type fallbackOption struct{ f govern.Fallback }

func (o fallbackOption) applyClient(c *clientConfig) { c.fallback = o.f }
func (o fallbackOption) String() string              { return "WithFallback(...)" }

// WithFallback gives f the last error of a call, after retries; f may fill
// the result and return nil, or return an error. None by default; the last
// value given wins.
func WithFallback(f govern.Fallback) ClientOption { return fallbackOption{f} }

type timeoutsOption struct{ p govern.TimeoutPolicy }

func (o timeoutsOption) applyClient(c *clientConfig) { c.timeouts = o.p }
func (o timeoutsOption) String() string              { return "WithTimeouts(" + o.p.String() + ")" }

// WithTimeouts sets RPC and connect timeouts per method ("*" for the
// rest); a call's WithTimeout still wins over the RPC timeout, and a
// connect timeout here bounds dialling below WithConnectTimeout's. The
// last value given wins.
func WithTimeouts(p govern.TimeoutPolicy) ClientOption { return timeoutsOption{p} }

type hashKeyOption string

func (o hashKeyOption) applyCall(ri *RPCInfo) { ri.hashKey = string(o) }
func (o hashKeyOption) String() string        { return "WithHashKey(" + string(o) + ")" }

// WithHashKey gives a consistent-hashing balancer the key of one call.
func WithHashKey(key string) CallOption { return hashKeyOption(key) }
