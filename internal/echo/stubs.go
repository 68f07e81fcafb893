package echo

import (
	"context"
	"errors"

	"github.com/kite-rpc/kite"
)

// Handler is the server side of EchoServer.
type Handler interface {
	Echo(ctx context.Context, req *Request) (*Response, error)
	EchoComplex(ctx context.Context, req *ComplexRequest) (*ComplexResponse, error)
	// EchoWithException may return an *EchoException, which the caller
	// receives as the declared exception.
	EchoWithException(ctx context.Context, req *Request) (*Response, error)
	EchoOneway(ctx context.Context, req *Request) error
}

// NewServiceInfo describes EchoServer for kite.Server.Register; the
// implementation given to Register must be a Handler.
func NewServiceInfo() *kite.ServiceInfo {
	return &kite.ServiceInfo{
		Name: ServiceName,
		Methods: map[string]kite.MethodInfo{
			"Echo": {
				Handler: func(ctx context.Context, impl, args, result any) error {
					resp, err := impl.(Handler).Echo(ctx, args.(*EchoArgs).Req)
					if err != nil {
						return err
					}
					result.(*EchoResult).Success = resp
					return nil
				},
				NewArgs:   func() any { return new(EchoArgs) },
				NewResult: func() any { return new(EchoResult) },
			},
			"EchoComplex": {
				Handler: func(ctx context.Context, impl, args, result any) error {
					resp, err := impl.(Handler).EchoComplex(ctx, args.(*EchoComplexArgs).Req)
					if err != nil {
						return err
					}
					result.(*EchoComplexResult).Success = resp
					return nil
				},
				NewArgs:   func() any { return new(EchoComplexArgs) },
				NewResult: func() any { return new(EchoComplexResult) },
			},
			"EchoWithException": {
				Handler: func(ctx context.Context, impl, args, result any) error {
					resp, err := impl.(Handler).EchoWithException(ctx, args.(*EchoWithExceptionArgs).Req)
					if err != nil {
						var ee *EchoException
						if errors.As(err, &ee) {
							result.(*EchoWithExceptionResult).Err = ee
							return nil
						}
						return err
					}
					result.(*EchoWithExceptionResult).Success = resp
					return nil
				},
				NewArgs:   func() any { return new(EchoWithExceptionArgs) },
				NewResult: func() any { return new(EchoWithExceptionResult) },
			},
			"EchoOneway": {
				Handler: func(ctx context.Context, impl, args, result any) error {
					return impl.(Handler).EchoOneway(ctx, args.(*EchoOnewayArgs).Req)
				},
				NewArgs: func() any { return new(EchoOnewayArgs) },
				Oneway:  true,
			},
		},
	}
}

var serviceInfo = NewServiceInfo()

// Client is a typed EchoServer client over a kite.Client.
type Client struct{ c *kite.Client }

// NewClient returns a typed client; service is the callee's service name
// (usually ServiceName).
func NewClient(service string, opts ...kite.ClientOption) (*Client, error) {
	c, err := kite.NewClient(service, append([]kite.ClientOption{kite.WithServiceInfo(serviceInfo)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return &Client{c: c}, nil
}

// Kite returns the underlying kite.Client.
func (c *Client) Kite() *kite.Client { return c.c }

// Close closes the client.
func (c *Client) Close() error { return c.c.Close() }

// Echo calls EchoServer.Echo.
func (c *Client) Echo(ctx context.Context, req *Request, opts ...kite.CallOption) (*Response, error) {
	args := EchoArgs{Req: req}
	var res EchoResult
	if err := c.c.Call(ctx, "Echo", &args, &res, opts...); err != nil {
		return nil, err
	}
	return res.Success, nil
}

// EchoComplex calls EchoServer.EchoComplex.
func (c *Client) EchoComplex(ctx context.Context, req *ComplexRequest, opts ...kite.CallOption) (*ComplexResponse, error) {
	args := EchoComplexArgs{Req: req}
	var res EchoComplexResult
	if err := c.c.Call(ctx, "EchoComplex", &args, &res, opts...); err != nil {
		return nil, err
	}
	return res.Success, nil
}

// EchoWithException calls EchoServer.EchoWithException; the declared
// exception comes back as an *EchoException error.
func (c *Client) EchoWithException(ctx context.Context, req *Request, opts ...kite.CallOption) (*Response, error) {
	args := EchoWithExceptionArgs{Req: req}
	var res EchoWithExceptionResult
	if err := c.c.Call(ctx, "EchoWithException", &args, &res, opts...); err != nil {
		return nil, err
	}
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Success, nil
}

// EchoOneway calls EchoServer.EchoOneway; no reply is awaited.
func (c *Client) EchoOneway(ctx context.Context, req *Request, opts ...kite.CallOption) error {
	args := EchoOnewayArgs{Req: req}
	return c.c.Call(ctx, "EchoOneway", &args, nil, opts...)
}
