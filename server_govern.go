package kite

import (
	"context"
	"net"
	"time"

	"github.com/kite-rpc/kite/govern"
)

// serverGovern is what a Server applies before middlewares: limits and ACL
// rules, for every protocol; and the registry it announces itself in.
type serverGovern struct {
	limiter *govern.Limiter // nil without limits
	acl     govern.ACLRule  // nil without rules

	registered bool // guarded by Server.mu
}

func (s *Server) initGovern() {
	p := s.cfg.limit
	if p.MaxConnections > 0 || p.MaxQPS > 0 || p.MaxInFlight > 0 {
		s.gov.limiter = govern.NewLimiter(p)
	}
	if len(s.cfg.acl) > 0 {
		s.gov.acl = govern.ACL(s.cfg.acl...)
	}
}

// acceptConn applies MaxConnections to a new connection.
func (s *Server) acceptConn() bool {
	return s.gov.limiter == nil || s.gov.limiter.AcceptConn()
}

// connClosed gives a connection's slot back.
func (s *Server) connClosed() {
	if s.gov.limiter != nil {
		s.gov.limiter.CloseConn()
	}
}

// admissionError refuses a request before middlewares run. Its text is
// Kitex's (kerrors.ErrOverlimit, ErrACL), which Kite clients map back to
// CodeResourceExhausted and CodePermissionDenied.
type admissionError struct{ err *Error }

func (e admissionError) Error() string { return e.err.Error() }
func (e admissionError) Unwrap() error { return e.err }

// admit applies limits and ACL rules to one request; done must be called
// when it finishes if admit returned nil.
func (s *Server) admit(ctx context.Context, m *method) error {
	if l := s.gov.limiter; l != nil && !l.Begin() {
		return admissionError{err: &Error{Code: CodeResourceExhausted, Message: overLimitText + ": too many requests"}}
	}
	if s.gov.acl != nil {
		if err := s.gov.acl(ctx, m.svc.info.Name, m.name); err != nil {
			s.done()
			return admissionError{err: &Error{Code: CodePermissionDenied, Message: forbiddenText + ": " + err.Error(), Err: err}}
		}
	}
	return nil
}

func (s *Server) done() {
	if l := s.gov.limiter; l != nil {
		l.End()
	}
}

// register announces the server once it is accepting on ln.
func (s *Server) register(ln net.Listener) {
	if s.cfg.registry == nil {
		return
	}
	s.mu.Lock()
	if s.gov.registered {
		s.mu.Unlock()
		return
	}
	s.gov.registered = true
	s.mu.Unlock()
	inst := s.cfg.instance
	if inst.Addr == "" {
		inst.Addr = ln.Addr().String()
		s.cfg.instance.Addr = inst.Addr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, svc := range s.services {
		if err := s.cfg.registry.Register(ctx, svc.info.Name, inst); err != nil {
			s.cfg.logger.Error("kite: register failed", "service", svc.info.Name, "addr", inst.Addr, "err", err)
		}
	}
}

// deregister withdraws the server before it stops serving.
func (s *Server) deregister(ctx context.Context) {
	s.mu.Lock()
	reg := s.gov.registered
	s.gov.registered = false
	s.mu.Unlock()
	if !reg {
		return
	}
	for _, svc := range s.services {
		if err := s.cfg.registry.Deregister(ctx, svc.info.Name, s.cfg.instance); err != nil {
			s.cfg.logger.Warn("kite: deregister failed", "service", svc.info.Name, "err", err)
		}
	}
}

type registryOption struct {
	r    govern.Registry
	inst govern.Instance
}

func (o registryOption) applyServer(c *serverConfig) { c.registry, c.instance = o.r, o.inst }
func (o registryOption) String() string              { return "WithRegistry(" + o.inst.String() + ")" }

// WithRegistry registers every service of the server in r as inst once the
// server is accepting connections, and deregisters it when Shutdown begins.
// An empty inst.Addr means the listener's address. None by default; the
// last value given wins.
func WithRegistry(r govern.Registry, inst govern.Instance) ServerOption {
	return registryOption{r, inst}
}
