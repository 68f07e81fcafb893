package kite

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kite-rpc/kite/codec/protobuf"
	"github.com/kite-rpc/kite/codec/thrift"
	"github.com/kite-rpc/kite/codec/ttheader"
	grpct "github.com/kite-rpc/kite/transport/grpc"
	"golang.org/x/net/http2/hpack"
)

// gRPC (WIRE.md §5): the server answers HTTP/2 connections on the same
// port as Thrift and Kitex Protobuf, routing /<Package>.<Name>/<Method> to
// registered services whose methods take and return proto.Message values;
// the client (WithGRPC) calls such services over a small pool of HTTP/2
// connections per address.
//
// Unknown services and methods get the standard gRPC UNIMPLEMENTED (12).
// Kitex answers them with its own codes, 20 for an unknown service and 1
// (CANCELLED in gRPC) for an unknown method; Kite sends those two only to
// Kitex clients (user-agent "kitex/…"), which expect them.

// Metadata is gRPC metadata: header fields with lower-case names. Values
// of names ending in "-bin" are binary, base64-encoded on the wire.
type Metadata map[string][]string

// grpcCall is the per-call gRPC state kept in RPCInfo.
type grpcCall struct {
	in     []hpack.HeaderField // server: request fields
	hdrOut Metadata            // server: response header metadata
	trlOut Metadata            // server: trailer metadata
}

// reserved header names that are never metadata.
func reservedHeader(name string) bool {
	switch name {
	case "content-type", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding",
		"grpc-status", "grpc-message", "connection", "user-agent":
		return true
	}
	return len(name) > 0 && name[0] == ':'
}

func metadataOf(fields []hpack.HeaderField) Metadata {
	var md Metadata
	for _, f := range fields {
		if reservedHeader(f.Name) {
			continue
		}
		v := f.Value
		if strings.HasSuffix(f.Name, "-bin") {
			if b, err := decodeBin(v); err == nil {
				v = string(b)
			}
		}
		if md == nil {
			md = make(Metadata)
		}
		md[f.Name] = append(md[f.Name], v)
	}
	return md
}

func decodeBin(v string) ([]byte, error) {
	if len(v)%4 == 0 {
		return base64.StdEncoding.DecodeString(v)
	}
	return base64.RawStdEncoding.DecodeString(v)
}

func fieldsOf(md Metadata) []hpack.HeaderField {
	var out []hpack.HeaderField
	for k, vs := range md {
		k = strings.ToLower(k)
		if reservedHeader(k) && k != "user-agent" {
			continue
		}
		for _, v := range vs {
			if strings.HasSuffix(k, "-bin") {
				v = base64.RawStdEncoding.EncodeToString([]byte(v))
			}
			out = append(out, hpack.HeaderField{Name: k, Value: v})
		}
	}
	return out
}

func mergeMD(dst, src Metadata) Metadata {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(Metadata, len(src))
	}
	for k, v := range src {
		k = strings.ToLower(k)
		dst[k] = append(dst[k], v...)
	}
	return dst
}

// MetadataFromContext returns the gRPC metadata a server handler's caller
// sent (its header fields, rpc-transit-* and rpc-persist-* included), or
// nil.
func MetadataFromContext(ctx context.Context) Metadata {
	ri := RPCInfoFromContext(ctx)
	if ri == nil || !ri.server {
		return nil
	}
	return metadataOf(ri.h2.in)
}

type outMDKey struct{}

// WithMetadata returns a context whose gRPC calls send md as header
// fields, after any metadata ctx already carries.
func WithMetadata(ctx context.Context, md Metadata) context.Context {
	old, _ := ctx.Value(outMDKey{}).(Metadata)
	n := mergeMD(mergeMD(nil, old), md)
	return context.WithValue(ctx, outMDKey{}, n)
}

// SetHeader adds md to the response headers of the gRPC call a unary
// handler serves. It reports false outside one.
func SetHeader(ctx context.Context, md Metadata) bool {
	ri := RPCInfoFromContext(ctx)
	if ri == nil || !ri.server {
		return false
	}
	ri.h2.hdrOut = mergeMD(ri.h2.hdrOut, md)
	return true
}

// SetTrailer adds md to the trailers of the gRPC call a handler serves;
// a "grpc-status-details-bin" entry is passed through as the status
// details. It reports false outside a handler.
func SetTrailer(ctx context.Context, md Metadata) bool {
	ri := RPCInfoFromContext(ctx)
	if ri == nil || !ri.server {
		return false
	}
	ri.h2.trlOut = mergeMD(ri.h2.trlOut, md)
	return true
}

type respMDKey struct{}

type respMD struct {
	mu              sync.Mutex // guards header and trailer
	header, trailer Metadata
}

// WithResponseMetadata returns a context in which unary gRPC calls record
// the response header and trailer metadata; read them with
// ResponseMetadata.
func WithResponseMetadata(ctx context.Context) context.Context {
	return context.WithValue(ctx, respMDKey{}, &respMD{})
}

// ResponseMetadata returns the header and trailer metadata of the last
// unary gRPC call made with ctx (prepared by WithResponseMetadata).
func ResponseMetadata(ctx context.Context) (header, trailer Metadata) {
	r, _ := ctx.Value(respMDKey{}).(*respMD)
	if r == nil {
		return nil, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.header, r.trailer
}

// Metainfo over HTTP/2 (WIRE.md §6): rpc-transit-<k> and rpc-persist-<k>,
// the key lower-cased with '_' as '-'; received keys are upper-cased with
// '-' as '_'.
const (
	h2Transient  = "rpc-transit-"
	h2Persistent = "rpc-persist-"
)

func h2MetaKey(k string) string { return strings.ReplaceAll(strings.ToLower(k), "_", "-") }

func metaFromH2(fields []hpack.HeaderField) *metaNode {
	var n *metaNode
	for _, f := range fields {
		var list *[]kv
		var key string
		switch {
		case strings.HasPrefix(f.Name, h2Transient):
			key = f.Name[len(h2Transient):]
			if n == nil {
				n = &metaNode{}
			}
			list = &n.stale
		case strings.HasPrefix(f.Name, h2Persistent):
			key = f.Name[len(h2Persistent):]
			if n == nil {
				n = &metaNode{}
			}
			list = &n.persistent
		default:
			continue
		}
		if key != "" && f.Value != "" {
			*list = append(*list, kv{Key: strings.ReplaceAll(strings.ToUpper(key), "-", "_"), Value: f.Value})
		}
	}
	return n
}

func appendH2Meta(ctx context.Context, out []hpack.HeaderField) []hpack.HeaderField {
	if n := metaFrom(ctx); n != nil {
		for _, e := range n.transient {
			out = append(out, hpack.HeaderField{Name: h2Transient + h2MetaKey(e.Key), Value: e.Value})
		}
		for _, e := range n.persistent {
			out = append(out, hpack.HeaderField{Name: h2Persistent + h2MetaKey(e.Key), Value: e.Value})
		}
	}
	if md, _ := ctx.Value(outMDKey{}).(Metadata); md != nil {
		out = append(out, fieldsOf(md)...)
	}
	return out
}

// Options.

type grpcOption struct{}

func (grpcOption) applyClient(c *clientConfig) { c.grpc, c.kpb = true, false }
func (grpcOption) String() string              { return "WithGRPC()" }

// WithGRPC makes the client call gRPC over HTTP/2 (h2c with prior
// knowledge, or TLS with ALPN h2 under [WithTLS]): Call's args and result
// are the request and response proto.Message values, and NewStream opens
// streaming calls. The path is /<Package>.<Name>/<method> of the service
// given by WithServiceInfo, or /<service>/<method> with NewClient's service
// name. A Thrift client (kite gen's) sends Kitex's Thrift over gRPC instead
// (content-type application/grpc+thrift, the method's Args and Result
// wrappers as messages), unary calls only. Each address gets up to two HTTP/2 connections, a second one once
// the first carries 64 streams. Replaces [WithKitexProtobuf]; the last of
// the two given wins.
func WithGRPC() ClientOption { return grpcOption{} }

type tlsOption struct{ cfg *tls.Config }

func (o tlsOption) applyClient(c *clientConfig) { c.tls = o.cfg }
func (o tlsOption) applyServer(c *serverConfig) { c.tls = o.cfg }
func (o tlsOption) String() string              { return "WithTLS(...)" }

// WithTLS turns on TLS. A server then speaks TLS on every connection,
// offering ALPN "h2" (gRPC) alongside Kite's other protocols inside TLS; a
// client with [WithGRPC] dials TLS and requires ALPN h2. The default is no
// TLS; the last value given wins.
func WithTLS(cfg *tls.Config) Option { return tlsOption{cfg} }

type compressionOption string

func (o compressionOption) applyClient(c *clientConfig) { c.gzip = o == "gzip" }
func (o compressionOption) String() string              { return "WithCompression(" + string(o) + ")" }

// WithCompression compresses a gRPC client's messages: "gzip" (sent as
// grpc-encoding gzip; the server answers in kind) or "identity", the
// default. The last value given wins.
func WithCompression(name string) ClientOption { return compressionOption(name) }

// GRPCKeepalive configures the HTTP/2 PINGs a gRPC client sends to find a
// dead connection, as grpc-go's keepalive.ClientParameters. Pass it to
// [WithGRPCKeepalive].
type GRPCKeepalive struct {
	// Time is how long a connection may receive nothing before the client
	// sends a PING. Zero, the default, sends none. grpc-go raises values
	// below 10 s to 10 s; Kite does not.
	//
	// Servers limit how often they accept pings: grpc-go and Kitex servers
	// (and Kite's, see [GRPCKeepaliveEnforcement]) by default allow one
	// per 5 minutes while calls are open and one per 2 hours on an idle one,
	// and answer more with GOAWAY ENHANCE_YOUR_CALM "too_many_pings",
	// closing the connection. The client then doubles Time for its new
	// connections, as grpc-go's does. Keep Time at or above the server's
	// MinTime.
	Time time.Duration
	// Timeout is how long the client waits after a PING for anything from
	// the server before closing the connection: its calls fail with
	// CodeUnavailable and the next call dials anew. The default is 20 s.
	Timeout time.Duration
	// PermitWithoutStream sends pings while no call is open; by default an
	// idle connection is not pinged (servers refuse such pings unless
	// their policy permits them).
	PermitWithoutStream bool
}

type grpcKeepaliveOption GRPCKeepalive

func (o grpcKeepaliveOption) applyClient(c *clientConfig) { c.h2ka = GRPCKeepalive(o) }
func (o grpcKeepaliveOption) String() string {
	return "WithGRPCKeepalive(" + o.Time.String() + ", " + o.Timeout.String() + ", " + strconv.FormatBool(o.PermitWithoutStream) + ")"
}

// WithGRPCKeepalive makes a gRPC client ping its connections (HTTP/2
// PING) to find dead ones, which TCP alone reports only when the client
// writes, and on an idle connection never. The default is no pings; the
// last value given wins.
func WithGRPCKeepalive(p GRPCKeepalive) ClientOption { return grpcKeepaliveOption(p) }

// GRPCServerKeepalive configures a gRPC server's connections, as grpc-go's
// keepalive.ServerParameters. Pass it to [WithGRPCServerKeepalive].
type GRPCServerKeepalive struct {
	// Time is how long a connection may receive nothing before the server
	// sends a PING. Zero takes the default, 2 hours, as grpc-go's and
	// Kitex's servers: a client that vanished without closing its socket
	// would otherwise hold its streams and their handlers for ever, since
	// the idle timeout spares connections with open streams. Negative
	// sends none.
	Time time.Duration
	// Timeout is how long the server waits after a PING for anything from
	// the client before closing the connection, cancelling its handlers'
	// contexts. The default is 20 s.
	Timeout time.Duration
	// MaxConnectionIdle drains a connection (GOAWAY; the client moves its
	// next calls to a new connection) once it has had no open call for
	// this long. The default is none; see also [WithIdleTimeout], which
	// closes such connections without GOAWAY.
	MaxConnectionIdle time.Duration
	// MaxConnectionAge drains a connection this old, give or take 10%,
	// so that clients reconnect and spread over new server instances.
	// The default is none.
	MaxConnectionAge time.Duration
	// MaxConnectionAgeGrace is how long calls may run on a connection
	// drained for its age; those still open then end as at a shutdown past
	// its deadline ([Server.Shutdown]). The default is no limit.
	MaxConnectionAgeGrace time.Duration
}

// GRPCKeepaliveEnforcement is how often a gRPC server lets clients ping,
// as grpc-go's keepalive.EnforcementPolicy. A ping sooner than allowed is
// a strike (pings just after the server sent data are not: clients use
// those to measure bandwidth); the third strike is answered with GOAWAY
// ENHANCE_YOUR_CALM "too_many_pings" and the connection closes, as grpc-go
// servers do. Pass it to [WithGRPCKeepaliveEnforcement].
type GRPCKeepaliveEnforcement struct {
	// MinTime is the least time between pings while calls are open. Zero
	// takes the default, 5 minutes, as grpc-go's; negative accepts any
	// rate.
	MinTime time.Duration
	// PermitWithoutStream accepts pings, at MinTime, on a connection with
	// no open call; by default those are allowed only every 2 hours.
	PermitWithoutStream bool
}

// grpcServerKeepalive holds the server's keepalive options.
type grpcServerKeepalive struct {
	params  GRPCServerKeepalive
	enforce GRPCKeepaliveEnforcement
}

type grpcServerKeepaliveOption GRPCServerKeepalive

func (o grpcServerKeepaliveOption) applyServer(c *serverConfig) {
	c.h2ka.params = GRPCServerKeepalive(o)
}
func (o grpcServerKeepaliveOption) String() string {
	return "WithGRPCServerKeepalive(" + o.Time.String() + ", " + o.Timeout.String() + ", " + o.MaxConnectionIdle.String() +
		", " + o.MaxConnectionAge.String() + ", " + o.MaxConnectionAgeGrace.String() + ")"
}

// WithGRPCServerKeepalive sets how a server pings its gRPC connections to
// find dead clients, and how long it keeps idle and old connections. The
// default pings after 2 hours without traffic, with a 20 s timeout, and
// keeps connections however idle or old (as grpc-go); the last value
// given wins.
func WithGRPCServerKeepalive(p GRPCServerKeepalive) ServerOption { return grpcServerKeepaliveOption(p) }

type grpcEnforcementOption GRPCKeepaliveEnforcement

func (o grpcEnforcementOption) applyServer(c *serverConfig) {
	c.h2ka.enforce = GRPCKeepaliveEnforcement(o)
}
func (o grpcEnforcementOption) String() string {
	return "WithGRPCKeepaliveEnforcement(" + o.MinTime.String() + ", " + strconv.FormatBool(o.PermitWithoutStream) + ")"
}

// WithGRPCKeepaliveEnforcement sets how often gRPC clients may ping the
// server. The default allows one ping per 5 minutes while calls are open
// and one per 2 hours on idle connections, as grpc-go; the last value given wins.
func WithGRPCKeepaliveEnforcement(p GRPCKeepaliveEnforcement) ServerOption {
	return grpcEnforcementOption(p)
}

// Server side.

// h2Server is a Server's gRPC state, built on the first HTTP/2 connection.
type h2Server struct {
	mu       sync.Mutex // guards srv
	srv      *grpct.Server
	paths    map[string]*method
	services map[string]bool
}

func (s *Server) grpcServer() *grpct.Server {
	s.h2.mu.Lock()
	defer s.h2.mu.Unlock()
	if s.h2.srv == nil {
		s.mu.Lock()
		s.h2.paths = make(map[string]*method)
		s.h2.services = make(map[string]bool)
		for _, svc := range s.services {
			full := svc.info.Name
			if svc.info.Package != "" {
				full = svc.info.Package + "." + full
			}
			s.h2.services[full] = true
			for name, m := range svc.methods {
				s.h2.paths["/"+full+"/"+name] = m
			}
		}
		s.mu.Unlock()
		ka := s.cfg.h2ka
		cfg := grpct.Config{MaxRecvMsgSize: s.cfg.maxFrame, WriteTimeout: s.cfg.rwTimeout, IdleTimeout: s.cfg.idleTimeout,
			Keepalive: grpct.Keepalive{Time: ka.params.Time, Timeout: ka.params.Timeout,
				MaxConnectionIdle: ka.params.MaxConnectionIdle, MaxConnectionAge: ka.params.MaxConnectionAge,
				MaxConnectionAgeGrace: ka.params.MaxConnectionAgeGrace},
			KeepaliveEnforcement: grpct.KeepaliveEnforcement(ka.enforce),
		}
		s.h2.srv = grpct.NewServer(cfg, s.handleGRPC, func(path string) bool {
			m := s.h2.paths[path]
			return m == nil || m.info.Streaming == Unary
		})
	}
	return s.h2.srv
}

// serveHTTP2 serves an HTTP/2 connection whose first bytes were already
// read (peeked).
func (s *Server) serveHTTP2(sc *serverConn, peeked []byte) {
	sc.mu.Lock()
	if sc.dead {
		sc.mu.Unlock()
		return
	}
	sc.active++ // Shutdown sends GOAWAY instead of closing it
	nc := sc.nc
	sc.mu.Unlock()
	_ = nc.SetReadDeadline(time.Time{})
	s.grpcServer().ServeConn(nc, peeked)
}

// goAwayHTTP2 starts the graceful shutdown of HTTP/2 connections.
func (s *Server) goAwayHTTP2() {
	if srv := s.h2srv(); srv != nil {
		srv.GoAway()
	}
}

// closeHTTP2 ends the HTTP/2 connections when Shutdown runs out of time:
// a final GOAWAY goes before the close, and Kitex and Kite clients also get
// RST_STREAM 1000 for each open stream (grpct.Server.Close).
func (s *Server) closeHTTP2() {
	if srv := s.h2srv(); srv != nil {
		srv.Close()
	}
}

func (s *Server) h2srv() *grpct.Server {
	s.h2.mu.Lock()
	defer s.h2.mu.Unlock()
	return s.h2.srv
}

// startTLS performs the TLS handshake on a new connection. It reports
// whether the connection was served in full (ALPN h2) or failed, in which
// case serveConn returns.
func (s *Server) startTLS(sc *serverConn) bool {
	tc := tls.Server(sc.nc, s.cfg.tls)
	sc.mu.Lock()
	sc.nc = tc
	sc.mu.Unlock()
	hs := s.cfg.rwTimeout
	if hs <= 0 {
		hs = 10 * time.Second
	}
	_ = tc.SetDeadline(time.Now().Add(hs))
	if err := tc.Handshake(); err != nil {
		return true
	}
	_ = tc.SetDeadline(time.Time{})
	if tc.ConnectionState().NegotiatedProtocol == "h2" {
		s.serveHTTP2(sc, nil)
		return true
	}
	return false
}

// handleGRPC serves one gRPC stream.
func (s *Server) handleGRPC(st *grpct.Stream) {
	m := s.h2.paths[st.Path]
	if m == nil {
		s.grpcNotFound(st)
		return
	}
	ri := s.riPool.Get().(*RPCInfo)
	defer func() { ri.reset(); ri.server = true; s.riPool.Put(ri) }()
	ri.Start = time.Now()
	ri.Received = ri.Start
	ri.RemoteAddr = st.RemoteAddr()
	ri.Service, ri.Method = m.svc.info.Name, m.name
	ri.method = m
	ri.h2.in = st.Header
	ctx := context.WithValue(st.Context(), rpcInfoKey{}, ri)
	if in := metaFromH2(st.Header); in != nil {
		ctx = context.WithValue(ctx, metaKey{}, in)
	}

	var err error
	var result any
	if m.info.Streaming != Unary {
		ss := &ServerStream{st: st, ctx: ctx, ri: ri}
		err = s.call(ctx, m, ss, nil)
	} else {
		var b []byte
		if b, err = st.Recv(0); err != nil {
			if errors.Is(err, io.EOF) {
				err = &grpct.StatusError{Code: 13, Message: "grpc: request without a message"}
			}
		} else {
			args := m.info.NewArgs()
			var uerr error
			if ts, ok := args.(thrift.Struct); ok {
				// Thrift over gRPC (application/grpc+thrift), as Kitex
				// sends it: the Args wrapper struct, no message header.
				_, uerr = thrift.Consume(b, thrift.Binary, ts)
			} else {
				uerr = protobuf.Unmarshal(b, args)
			}
			if uerr != nil {
				err = &grpct.StatusError{Code: 13, Message: "grpc: error unmarshalling request: " + uerr.Error()}
			} else {
				result = m.info.NewResult()
				err = s.call(ctx, m, args, result)
			}
		}
	}
	if err == nil && result != nil {
		bp := protobuf.GetBuffer()
		var b []byte
		var merr error
		if ts, ok := result.(thrift.Struct); ok {
			b = thrift.Append((*bp)[:0], thrift.Binary, ts) // the Result wrapper
		} else {
			b, merr = protobuf.Marshal(*bp, result)
		}
		*bp = b
		if merr != nil {
			err = &grpct.StatusError{Code: 13, Message: "grpc: error marshalling response: " + merr.Error()}
		} else {
			if ri.h2.hdrOut != nil {
				_ = st.WriteHeader(fieldsOf(ri.h2.hdrOut))
			}
			err = st.Send(b, false)
			if err != nil {
				var se *grpct.StatusError
				if !errors.As(err, &se) { // the stream is gone: nothing more to say
					protobuf.PutBuffer(bp)
					return
				}
			}
		}
		protobuf.PutBuffer(bp)
	}
	if err == nil {
		if ri.h2.trlOut == nil && ri.h2.hdrOut == nil {
			st.WriteStatus(0, "", nil)
		} else {
			st.WriteStatus(0, "", s.trailerFields(st, ri, nil))
		}
		ri.Sent = time.Now()
		return
	}
	code, msg, be := grpcStatusOf(err)
	st.WriteStatus(code, msg, s.trailerFields(st, ri, be))
	ri.Sent = time.Now()
}

// trailerFields builds the trailer fields: metadata set by the handler
// (header metadata too when no header was sent), and a business error.
func (s *Server) trailerFields(st *grpct.Stream, ri *RPCInfo, be *BizError) []hpack.HeaderField {
	out := fieldsOf(ri.h2.trlOut)
	if be != nil {
		out = append(out, hpack.HeaderField{Name: ttheader.KeyBizStatus, Value: strconv.Itoa(int(be.Code))})
		if len(be.Extra) > 0 {
			if x, err := json.Marshal(be.Extra); err == nil {
				out = append(out, hpack.HeaderField{Name: ttheader.KeyBizExtra, Value: string(x)})
			}
		}
	}
	return out
}

// grpcStatusOf maps a handler error to a gRPC status as Kitex does
// (WIRE.md §5.2).
func grpcStatusOf(err error) (uint32, string, *BizError) {
	var pe panicError
	var be *BizError
	var se *grpct.StatusError
	var ke *Error
	switch {
	case errors.As(err, &pe):
		return 13, pe.msg, nil
	case errors.As(err, &be):
		return 13, be.Message, be
	case errors.As(err, &se):
		return se.Code, se.Message, nil
	case errors.As(err, &ke):
		return ke.Code.GRPCCode(), ke.Message + " [biz error]", nil
	case errors.Is(err, context.DeadlineExceeded):
		return 4, "context deadline exceeded", nil
	case errors.Is(err, context.Canceled):
		return 1, "context canceled", nil
	}
	return 13, err.Error() + " [biz error]", nil
}

// grpcNotFound answers a path no service serves.
func (s *Server) grpcNotFound(st *grpct.Stream) {
	path := st.Path
	kitex := strings.HasPrefix(st.UserAgent, "kitex/")
	i := strings.LastIndexByte(path, '/')
	if i <= 0 || path[0] != '/' {
		st.WriteStatus(13, "malformed method name, method=\""+path+"\"", nil)
		return
	}
	svc, meth := path[1:i], path[i+1:]
	if !s.h2.services[svc] {
		name := svc
		if j := strings.LastIndexByte(svc, '.'); j >= 0 {
			name = svc[j+1:]
		}
		if kitex {
			st.WriteStatus(20, "unknown service "+name, nil)
		} else {
			st.WriteStatus(12, "unknown service "+svc, nil)
		}
		return
	}
	if kitex {
		st.WriteStatus(1, "unknown method "+meth, nil)
	} else {
		st.WriteStatus(12, "unknown method "+meth+" for service "+svc, nil)
	}
}

// Client side.

// h2Pool holds a client's HTTP/2 connections, per address.
type h2Pool struct {
	mu     sync.Mutex // guards conns, closed and kaTime
	conns  map[string][]*grpct.ClientConn
	closed bool
	kaTime time.Duration // keepalive Time for new connections, once doubled
	dialMu sync.Mutex    // serialises dialling
	paths  sync.Map      // method name -> :path (Client.grpcPath)
	npaths atomic.Int64  // paths stored, or tried
}

// tooManyPings doubles the keepalive Time of new connections after a
// server closed one for pinging too often, as grpc-go's client does;
// p.mu must be held.
func (p *h2Pool) tooManyPingsLocked(base time.Duration) {
	if p.kaTime < base {
		p.kaTime = base
	}
	if p.kaTime < math.MaxInt64/2 {
		p.kaTime *= 2
	}
}

const h2PoolSize, h2StreamsPerConn = 2, 64

func (c *Client) h2conn(ctx context.Context, addr string) (*grpct.ClientConn, error) {
	p := &c.h2
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, &Error{Code: CodeUnavailable, Message: "client closed"}
		}
		list := p.conns[addr]
		var best *grpct.ClientConn
		bestN := 0
		live := list[:0]
		for _, cc := range list {
			if !cc.Usable() {
				if cc.TooManyPings() {
					p.tooManyPingsLocked(c.cfg.h2ka.Time)
				}
				continue
			}
			live = append(live, cc)
			if n := cc.Streams(); best == nil || n < bestN {
				best, bestN = cc, n
			}
		}
		if p.conns == nil {
			p.conns = make(map[string][]*grpct.ClientConn)
		}
		p.conns[addr] = live
		if best != nil && (bestN < h2StreamsPerConn || len(live) >= h2PoolSize) {
			p.mu.Unlock()
			return best, nil
		}
		p.mu.Unlock()
		p.dialMu.Lock()
		p.mu.Lock()
		n := len(p.conns[addr])
		p.mu.Unlock()
		if n != len(live) { // someone else dialled meanwhile
			p.dialMu.Unlock()
			continue
		}
		cc, err := c.dialH2(ctx, addr)
		if err != nil {
			p.dialMu.Unlock()
			if best != nil {
				return best, nil
			}
			return nil, err
		}
		p.mu.Lock()
		p.conns[addr] = append(p.conns[addr], cc)
		p.mu.Unlock()
		p.dialMu.Unlock()
		return cc, nil
	}
}

func (c *Client) dialH2(ctx context.Context, addr string) (*grpct.ClientConn, error) {
	d := &net.Dialer{Timeout: c.cfg.connectTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if c.cfg.tls != nil {
		cfg := c.cfg.tls.Clone()
		cfg.NextProtos = []string{"h2"}
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(addr)
			cfg.ServerName = host
		}
		tc := tls.Client(nc, cfg)
		hctx, cancel := context.WithTimeout(ctx, c.cfg.connectTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			_ = nc.Close()
			return nil, err
		}
		if tc.ConnectionState().NegotiatedProtocol != "h2" {
			_ = tc.Close()
			return nil, errors.New("server did not negotiate h2")
		}
		nc = tc
	}
	ka := grpct.Keepalive{Time: c.cfg.h2ka.Time, Timeout: c.cfg.h2ka.Timeout, PermitWithoutStream: c.cfg.h2ka.PermitWithoutStream}
	if ka.Time > 0 {
		c.h2.mu.Lock()
		if c.h2.kaTime > ka.Time {
			ka.Time = c.h2.kaTime
		}
		c.h2.mu.Unlock()
	} else {
		ka.Time = -1 // grpct's zero is its default
	}
	return grpct.NewClientConn(nc, grpct.Config{MaxRecvMsgSize: c.cfg.maxFrame, Keepalive: ka}), nil
}

func (p *h2Pool) close() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, list := range conns {
		for _, cc := range list {
			_ = cc.Close()
		}
	}
}

// grpcPath returns the :path of method, built once per method (for the
// first maxCachedPaths methods: a generic client may name any number) so
// that a call needs no allocation for it.
func (c *Client) grpcPath(method string) string {
	if p, ok := c.h2.paths.Load(method); ok {
		return p.(string)
	}
	p := c.buildGRPCPath(method)
	if c.h2.npaths.Add(1) <= maxCachedPaths {
		c.h2.paths.Store(method, p)
	}
	return p
}

const maxCachedPaths = 1024

func (c *Client) buildGRPCPath(method string) string {
	svc := c.cfg.idlService
	if svc == "" {
		svc = c.service
	}
	if c.cfg.idlPackage != "" {
		svc = c.cfg.idlPackage + "." + svc
	}
	return "/" + svc + "/" + method
}

// openStream starts a gRPC call.
func (c *Client) openStream(ctx context.Context, ri *RPCInfo, thriftPayload bool) (*grpct.Stream, error) {
	addr, err := c.pickAddr(ri)
	if err != nil {
		return nil, err
	}
	cc, err := c.h2conn(ctx, addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(ctx.Err())
		}
		return nil, &Error{Code: CodeUnavailable, Message: "connect to " + addr, Err: err}
	}
	req := grpct.Request{
		Path:      c.grpcPath(ri.Method),
		Authority: c.service,
		TLS:       c.cfg.tls != nil,
		UserAgent: "kite-grpc",
		Metadata:  appendH2Meta(ctx, nil),
	}
	if dl, ok := ctx.Deadline(); ok {
		req.Timeout = time.Until(dl)
	}
	req.Gzip = c.cfg.gzip
	if thriftPayload {
		req.ContentType = "application/grpc+thrift"
	}
	st, err := cc.NewStream(ctx, &req)
	if errors.Is(err, grpct.ErrGoAway) {
		if cc, err = c.h2conn(ctx, addr); err == nil {
			st, err = cc.NewStream(ctx, &req)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(ctx.Err())
		}
		return nil, statusToError(err, false)
	}
	ri.RemoteAddr = st.RemoteAddr()
	ri.SeqID = int32(st.ID())
	return st, nil
}

// invokeGRPC makes a unary gRPC call.
func (c *Client) invokeGRPC(ctx context.Context, ri *RPCInfo, args, result any) error {
	targs, thriftArgs := args.(thrift.Struct)
	tres, thriftRes := result.(thrift.Struct)
	isThrift := thriftArgs && thriftRes
	if thriftArgs && result == nil {
		return &Error{Code: CodeInvalidArgument, Message: "oneway methods are not carried over gRPC"}
	}
	if !isThrift && (!protobuf.IsMessage(args) || !protobuf.IsMessage(result)) {
		return &Error{Code: CodeInvalidArgument, Message: "args and result must be proto.Message values, or Thrift args and result wrappers"}
	}
	if err := ctx.Err(); err != nil {
		return ctxError(err)
	}
	if ri.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, ri.Start.Add(ri.timeout))
		defer cancel()
	}
	bp := protobuf.GetBuffer()
	var b []byte
	var err error
	if isThrift {
		// Kitex's Thrift over gRPC: the Args wrapper, binary, no envelope.
		b = thrift.Append((*bp)[:0], thrift.Binary, targs)
	} else {
		b, err = protobuf.Marshal(*bp, args)
	}
	*bp = b
	if err != nil {
		protobuf.PutBuffer(bp)
		return &Error{Code: CodeInvalidArgument, Message: "encode args", Err: err}
	}
	st, err := c.openStream(ctx, ri, isThrift)
	if err != nil {
		protobuf.PutBuffer(bp)
		return err
	}
	err = st.Send(b, true)
	protobuf.PutBuffer(bp)
	ri.Sent = time.Now()
	if err != nil && !errors.Is(err, grpct.ErrStreamDone) {
		return c.grpcErr(ctx, st, err)
	}
	msg, err := st.Recv(0)
	ri.Received = time.Now()
	if err != nil {
		if grpct.IsEOF(err) {
			err = &grpct.StatusError{Code: 13, Message: "grpc: no response message"}
		}
		return c.grpcErr(ctx, st, err)
	}
	if isThrift {
		_, err = thrift.Consume(msg, thrift.Binary, tres)
	} else {
		err = protobuf.Unmarshal(msg, result)
	}
	if err != nil {
		st.Reset(&grpct.StatusError{Code: 13, Message: "bad response"})
		return &Error{Code: CodeProtocol, Message: "decode result", Err: err}
	}
	var extra []byte
	if extra, err = st.Recv(0); !grpct.IsEOF(err) {
		if err == nil {
			_ = extra
			st.Reset(&grpct.StatusError{Code: 13, Message: "too many responses"})
			return &Error{Code: CodeInternal, Message: "grpc: more than one response to a unary call"}
		}
		return c.grpcErr(ctx, st, err)
	}
	recordRespMD(ctx, st)
	return nil
}

func recordRespMD(ctx context.Context, st *grpct.Stream) {
	r, _ := ctx.Value(respMDKey{}).(*respMD)
	if r == nil {
		return
	}
	h, _ := st.ResponseHeader()
	r.mu.Lock()
	r.header, r.trailer = metadataOf(h), metadataOf(st.Trailer())
	r.mu.Unlock()
}

func (c *Client) grpcErr(ctx context.Context, st *grpct.Stream, err error) error {
	recordRespMD(ctx, st)
	if cerr := ctx.Err(); cerr != nil {
		return ctxError(cerr)
	}
	// The server runs its copy of the deadline (grpc-timeout) and may
	// cancel the stream a moment before the caller's own timer fires: that
	// is still the caller's deadline.
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < deadlineSlack {
		var se *grpct.StatusError
		if errors.As(err, &se) && (se.Code == 1 || se.Code == 4) {
			return &Error{Code: CodeDeadlineExceeded, Message: "grpc: " + se.Message, Err: err}
		}
	}
	return statusToErrorWithTrailer(err, st.Trailer())
}

// deadlineSlack is how close to the caller's deadline a peer's CANCELLED or
// DEADLINE_EXCEEDED counts as the deadline passing.
const deadlineSlack = 20 * time.Millisecond

// statusToError turns a transport error into the error a caller sees.
func statusToError(err error, _ bool) error {
	if err == nil {
		return nil
	}
	return statusToErrorWithTrailer(err, nil)
}

func statusToErrorWithTrailer(err error, trailer []hpack.HeaderField) error {
	var se *grpct.StatusError
	if !errors.As(err, &se) {
		if errors.Is(err, grpct.ErrConnClosed) {
			return &Error{Code: CodeUnavailable, Message: "grpc: connection closed", Err: err}
		}
		return &Error{Code: CodeUnavailable, Message: "grpc", Err: err}
	}
	var bizStatus, bizExtra string
	for _, f := range trailer {
		switch f.Name {
		case ttheader.KeyBizStatus:
			bizStatus = f.Value
		case ttheader.KeyBizExtra:
			bizExtra = f.Value
		}
	}
	if bizStatus != "" {
		if code, perr := strconv.ParseInt(bizStatus, 10, 32); perr == nil && code != 0 {
			be := &BizError{Code: int32(code), Message: se.Message}
			if bizExtra != "" {
				_ = json.Unmarshal([]byte(bizExtra), &be.Extra)
			}
			return be
		}
	}
	code := CodeFromGRPC(se.Code)
	if se.Code == 20 {
		code = CodeUnknownService // Kitex's non-standard code
	}
	return &Error{Code: code, Message: se.Message, Remote: true}
}

// NewStream opens a gRPC streaming call of method; the client must have
// been made with WithGRPC. The call lasts until ctx ends, the server
// finishes it, or RecvMsg returns an error.
func (c *Client) NewStream(ctx context.Context, method string, opts ...CallOption) (*ClientStream, error) {
	if !c.cfg.grpc {
		return nil, &Error{Code: CodeInvalidArgument, Message: "NewStream needs a client made WithGRPC"}
	}
	if c.closed.Load() {
		return nil, &Error{Code: CodeUnavailable, Message: "client closed"}
	}
	ri := &RPCInfo{Service: c.service, Method: method, Start: time.Now(), timeout: c.cfg.rpcTimeout}
	for _, o := range opts {
		o.applyCall(ri)
	}
	var cancel context.CancelFunc
	if ri.timeout > 0 {
		ctx, cancel = context.WithDeadline(ctx, ri.Start.Add(ri.timeout))
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	st, err := c.openStream(ctx, ri, false)
	if err != nil {
		cancel()
		return nil, err
	}
	return &ClientStream{st: st, ctx: ctx, cancel: cancel, c: c}, nil
}
