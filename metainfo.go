package kite

import (
	"context"
	"strings"
	"sync"

	"github.com/kite-rpc/kite/codec/ttheader"
)

// Metainfo is metadata that travels with calls, as Kitex's metainfo does:
//
//   - transient values (WithValue) reach the next hop only;
//   - persistent values (WithPersistentValue) travel along the whole chain;
//   - backward values (SendBackwardValue) go from a server back to its caller.
//
// Over TTHeader they are the string keys RPC_TRANSIT_<k>, RPC_PERSIST_<k>
// and, in replies, <k>. Framed and Buffered have no place for them.

type kv = ttheader.StrKV

// metaNode is the immutable metadata of one context.
type metaNode struct {
	transient  []kv // set in this hop; sent on outgoing calls
	stale      []kv // received from the caller; readable, not forwarded
	persistent []kv // received or set; forwarded on outgoing calls
}

type metaKey struct{}

func metaFrom(ctx context.Context) *metaNode {
	m, _ := ctx.Value(metaKey{}).(*metaNode)
	return m
}

func with(list []kv, k, v string) []kv {
	out := make([]kv, 0, len(list)+1)
	for _, e := range list {
		if e.Key != k {
			out = append(out, e)
		}
	}
	return append(out, kv{Key: k, Value: v})
}

func find(list []kv, k string) (string, bool) {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Key == k {
			return list[i].Value, true
		}
	}
	return "", false
}

// WithValue returns a context carrying the transient value k=v to the next
// hop. Empty keys or values are ignored, as Kitex ignores them.
func WithValue(ctx context.Context, k, v string) context.Context {
	if k == "" || v == "" {
		return ctx
	}
	old := metaFrom(ctx)
	n := &metaNode{}
	if old != nil {
		*n = *old
	}
	n.transient = with(n.transient, k, v)
	return context.WithValue(ctx, metaKey{}, n)
}

// WithPersistentValue returns a context carrying k=v to every later hop.
func WithPersistentValue(ctx context.Context, k, v string) context.Context {
	if k == "" || v == "" {
		return ctx
	}
	old := metaFrom(ctx)
	n := &metaNode{}
	if old != nil {
		*n = *old
	}
	n.persistent = with(n.persistent, k, v)
	return context.WithValue(ctx, metaKey{}, n)
}

// GetValue returns the transient value k: one set in this hop, or one the
// caller sent.
func GetValue(ctx context.Context, k string) (string, bool) {
	n := metaFrom(ctx)
	if n == nil {
		return "", false
	}
	if v, ok := find(n.transient, k); ok {
		return v, true
	}
	return find(n.stale, k)
}

// GetPersistentValue returns the persistent value k.
func GetPersistentValue(ctx context.Context, k string) (string, bool) {
	n := metaFrom(ctx)
	if n == nil {
		return "", false
	}
	return find(n.persistent, k)
}

// GetAllValues returns every transient value visible in ctx, or nil.
func GetAllValues(ctx context.Context) map[string]string {
	n := metaFrom(ctx)
	if n == nil || len(n.transient)+len(n.stale) == 0 {
		return nil
	}
	m := make(map[string]string, len(n.transient)+len(n.stale))
	for _, e := range n.stale {
		m[e.Key] = e.Value
	}
	for _, e := range n.transient {
		m[e.Key] = e.Value
	}
	return m
}

// GetAllPersistentValues returns every persistent value in ctx, or nil.
func GetAllPersistentValues(ctx context.Context) map[string]string {
	n := metaFrom(ctx)
	if n == nil || len(n.persistent) == 0 {
		return nil
	}
	m := make(map[string]string, len(n.persistent))
	for _, e := range n.persistent {
		m[e.Key] = e.Value
	}
	return m
}

// backwardStore receives a reply's backward values on the client.
type backwardStore struct {
	mu sync.Mutex // guards m
	m  map[string]string
}

type backwardKey struct{}

// WithBackwardValues returns a context in which a call records the
// backward values its server sends; read them with RecvBackwardValues.
func WithBackwardValues(ctx context.Context) context.Context {
	if _, ok := ctx.Value(backwardKey{}).(*backwardStore); ok {
		return ctx
	}
	return context.WithValue(ctx, backwardKey{}, &backwardStore{})
}

// RecvBackwardValues returns the backward values received by calls made
// with ctx (prepared by WithBackwardValues), or nil.
func RecvBackwardValues(ctx context.Context) map[string]string {
	s, _ := ctx.Value(backwardKey{}).(*backwardStore)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) == 0 {
		return nil
	}
	m := make(map[string]string, len(s.m))
	for k, v := range s.m {
		m[k] = v
	}
	return m
}

// SendBackwardValue sends k=v back to the caller with the reply of the call
// ctx belongs to. It reports false outside a server handler, or for an
// empty key or value.
func SendBackwardValue(ctx context.Context, k, v string) bool {
	ri := RPCInfoFromContext(ctx)
	if ri == nil || !ri.server || k == "" || v == "" {
		return false
	}
	ri.backward = with(ri.backward, k, v)
	return true
}

// appendOutgoing adds ctx's metainfo to an outgoing TTHeader.
func appendOutgoing(ctx context.Context, h *ttheader.Header) {
	n := metaFrom(ctx)
	if n == nil {
		return
	}
	for _, e := range n.transient {
		h.Strs = append(h.Strs, kv{Key: ttheader.PrefixTransient + e.Key, Value: e.Value})
	}
	for _, e := range n.persistent {
		h.Strs = append(h.Strs, kv{Key: ttheader.PrefixPersistent + e.Key, Value: e.Value})
	}
}

// incoming builds the metadata a server hands its handler from a request
// header, or nil when there is none.
func incoming(h *ttheader.Header) *metaNode {
	var n *metaNode
	for _, e := range h.Strs {
		var list *[]kv
		var key string
		switch {
		case strings.HasPrefix(e.Key, ttheader.PrefixTransientUpstream):
			continue // stale values of the hop before: not ours to read
		case strings.HasPrefix(e.Key, ttheader.PrefixTransient):
			if e.Key == ttheader.KeyACLToken {
				continue
			}
			key = e.Key[len(ttheader.PrefixTransient):]
			if n == nil {
				n = &metaNode{}
			}
			list = &n.stale
		case strings.HasPrefix(e.Key, ttheader.PrefixPersistent):
			key = e.Key[len(ttheader.PrefixPersistent):]
			if n == nil {
				n = &metaNode{}
			}
			list = &n.persistent
		default:
			continue
		}
		if key != "" && e.Value != "" {
			*list = append(*list, kv{Key: key, Value: e.Value})
		}
	}
	return n
}

// recordBackward stores a reply's backward values in ctx's store, if any.
// Every string key without a Kite/Kitex meaning is a backward value.
func recordBackward(ctx context.Context, h *ttheader.Header) {
	s, _ := ctx.Value(backwardKey{}).(*backwardStore)
	if s == nil || len(h.Strs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range h.Strs {
		switch e.Key {
		case ttheader.KeyBizStatus, ttheader.KeyBizMessage, ttheader.KeyBizExtra,
			ttheader.KeyConnReset, ttheader.KeyIDLServiceName, ttheader.KeyRealIP, ttheader.KeyCRC32C:
			continue
		}
		if strings.HasPrefix(e.Key, ttheader.PrefixTransient) || strings.HasPrefix(e.Key, ttheader.PrefixPersistent) {
			continue
		}
		if s.m == nil {
			s.m = make(map[string]string)
		}
		s.m[e.Key] = e.Value
	}
}
