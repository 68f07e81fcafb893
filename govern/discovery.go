package govern

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultWeight is the weight of an [Instance] whose Weight is 0, and the
// weight Kitex gives instances by default.
const DefaultWeight = 10

// Instance is one address a service can be reached at.
type Instance struct {
	// Addr is "host:port".
	Addr string
	// Weight is the instance's share of traffic relative to the others.
	// 0 means DefaultWeight; a negative weight drains the instance: the
	// balancers never pick it.
	Weight int
	// Tags are free-form labels (zone, cluster, version); resolvers may
	// fill them and balancers ignore them. Treat them as read-only.
	Tags map[string]string
}

// EffectiveWeight returns the weight balancers use: Weight, DefaultWeight
// when Weight is 0, and 0 (never picked) when Weight is negative.
func (in Instance) EffectiveWeight() int {
	switch {
	case in.Weight == 0:
		return DefaultWeight
	case in.Weight < 0:
		return 0
	}
	return in.Weight
}

// String formats the instance as "addr" or "addr(w=N)".
func (in Instance) String() string {
	if in.Weight == 0 {
		return in.Addr
	}
	return in.Addr + "(w=" + strconv.Itoa(in.Weight) + ")"
}

// ErrNoInstances is returned by resolvers that find nothing and by
// balancers with nothing left to pick.
var ErrNoInstances = errors.New("govern: no instances")

// A Resolver finds the instances of a service. Implementations must be safe
// for concurrent use. A Resolver may also implement
// interface{ RefreshInterval() time.Duration } to tell a [Watcher] how often
// to ask again, and interface{ Notify(service string) <-chan struct{} } to
// wake it when something changed (the channel is closed on a change).
type Resolver interface {
	// Resolve returns the current instances of service. The caller owns
	// the returned slice.
	Resolve(ctx context.Context, service string) ([]Instance, error)
}

// A Registry publishes a server's instance so that resolvers find it. A
// server calls Register once it is really serving and Deregister before it
// stops accepting calls.
type Registry interface {
	Register(ctx context.Context, service string, inst Instance) error
	Deregister(ctx context.Context, service string, inst Instance) error
}

// StaticResolver resolves every service name to one fixed list of
// instances, what a client configured with host:port addresses uses. Set
// replaces the list and wakes Watchers. It is safe for concurrent use.
type StaticResolver struct {
	mu        sync.Mutex // guards instances and changed
	instances []Instance
	changed   chan struct{}
}

// NewStaticResolver returns a resolver of the given instances.
func NewStaticResolver(instances ...Instance) *StaticResolver {
	return &StaticResolver{instances: cloneInstances(instances), changed: make(chan struct{})}
}

// HostPorts returns instances of DefaultWeight for "host:port" addresses.
func HostPorts(addrs ...string) []Instance {
	ins := make([]Instance, len(addrs))
	for i, a := range addrs {
		ins[i] = Instance{Addr: a, Weight: DefaultWeight}
	}
	return ins
}

// Resolve returns a copy of the list, whatever service is; it fails with
// ErrNoInstances when the list is empty.
func (r *StaticResolver) Resolve(_ context.Context, _ string) ([]Instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.instances) == 0 {
		return nil, ErrNoInstances
	}
	return cloneInstances(r.instances), nil
}

// Set replaces the instances and wakes every Watcher of r.
func (r *StaticResolver) Set(instances ...Instance) {
	r.mu.Lock()
	r.instances = cloneInstances(instances)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// Notify returns a channel closed at the next Set.
func (r *StaticResolver) Notify(string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// String lists the instances.
func (r *StaticResolver) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return "static" + formatInstances(r.instances)
}

// MemoryRegistry is an in-process [Registry] that is also a [Resolver] of
// what was registered in it: for tests, examples, and servers and clients in
// one process. It is safe for concurrent use.
type MemoryRegistry struct {
	mu       sync.Mutex // guards services and changed
	services map[string][]Instance
	changed  map[string]chan struct{}
}

// NewMemoryRegistry returns an empty registry.
func NewMemoryRegistry() *MemoryRegistry {
	return &MemoryRegistry{services: make(map[string][]Instance), changed: make(map[string]chan struct{})}
}

// Register adds inst to service, replacing an instance of the same Addr.
func (m *MemoryRegistry) Register(_ context.Context, service string, inst Instance) error {
	if inst.Addr == "" {
		return errors.New("govern: register: instance without an address")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.services[service]
	for i := range list {
		if list[i].Addr == inst.Addr {
			list[i] = inst
			m.notifyLocked(service)
			return nil
		}
	}
	m.services[service] = append(list, inst)
	m.notifyLocked(service)
	return nil
}

// Deregister removes the instance of inst.Addr from service; removing an
// unknown instance is not an error.
func (m *MemoryRegistry) Deregister(_ context.Context, service string, inst Instance) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.services[service]
	for i := range list {
		if list[i].Addr == inst.Addr {
			m.services[service] = append(list[:i:i], list[i+1:]...)
			m.notifyLocked(service)
			return nil
		}
	}
	return nil
}

// Resolve returns the instances registered for service, or ErrNoInstances.
func (m *MemoryRegistry) Resolve(_ context.Context, service string) ([]Instance, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.services[service]) == 0 {
		return nil, ErrNoInstances
	}
	return cloneInstances(m.services[service]), nil
}

// Notify returns a channel closed at the next change of service.
func (m *MemoryRegistry) Notify(service string) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := m.changed[service]
	if ch == nil {
		ch = make(chan struct{})
		m.changed[service] = ch
	}
	return ch
}

func (m *MemoryRegistry) notifyLocked(service string) {
	if ch := m.changed[service]; ch != nil {
		close(ch)
		delete(m.changed, service)
	}
}

// Change is what a [Watcher] reports: the instances now, and how they
// differ from the previous report. Removed instances are those whose
// connections, breakers and balancer state the client should drop.
type Change struct {
	Service   string
	Instances []Instance // the whole current set, sorted by Addr
	Added     []Instance // new addresses
	Removed   []Instance // addresses that went away
	Updated   []Instance // same address, other weight or tags
	// Err is the resolver's error when a refresh failed; Instances then
	// holds the last good set and Added, Removed, Updated are empty.
	Err error
}

// DefaultRefreshInterval is how often a [Watcher] resolves again when
// neither its caller nor its resolver says otherwise.
const DefaultRefreshInterval = 30 * time.Second

// Watcher turns a [Resolver] into a stream of [Change]s: it resolves on a
// ticker (and whenever the resolver notifies it) and calls a function
// with each difference. Stop ends it and waits for its goroutine, so a
// stopped Watcher leaks nothing.
type Watcher struct {
	r        Resolver
	service  string
	interval time.Duration
	timeout  time.Duration
	onChange func(Change)

	ctx     context.Context // canceled by Stop
	cancel  context.CancelFunc
	refresh chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once

	mu      sync.Mutex // guards current and lastErr
	current []Instance
	lastErr error
}

// Watch resolves service once, synchronously, reporting the result to
// onChange (as Added, or as Err), then keeps resolving every interval in a
// goroutine of its own, calling onChange — from that goroutine, one call at
// a time — only when the set of instances changed or a refresh failed.
//
// An interval of 0 takes the resolver's RefreshInterval() when it has one,
// else DefaultRefreshInterval; a negative interval, or a resolver whose
// RefreshInterval is negative, disables the ticker (a resolver that
// notifies still wakes the Watcher). Each resolution is bounded by
// max(interval, 5 s).
func Watch(r Resolver, service string, interval time.Duration, onChange func(Change)) *Watcher {
	if interval == 0 {
		interval = DefaultRefreshInterval
		if ri, ok := r.(interface{ RefreshInterval() time.Duration }); ok {
			interval = ri.RefreshInterval()
		}
	}
	w := &Watcher{
		r: r, service: service, interval: interval, onChange: onChange,
		timeout: max(interval, 5*time.Second),
		refresh: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	notifier, _ := r.(interface{ Notify(string) <-chan struct{} })
	var notify <-chan struct{}
	if notifier != nil {
		notify = notifier.Notify(service)
	}
	w.resolve()
	go w.loop(notifier, notify)
	return w
}

func (w *Watcher) loop(notifier interface{ Notify(string) <-chan struct{} }, notify <-chan struct{}) {
	defer close(w.done)
	var tick <-chan time.Time
	if w.interval > 0 {
		t := time.NewTicker(w.interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-w.stop:
			return
		case <-tick:
		case <-w.refresh:
		case <-notify:
			notify = notifier.Notify(w.service)
		}
		w.resolve()
	}
}

func (w *Watcher) resolve() {
	ctx, cancel := context.WithTimeout(w.ctx, w.timeout)
	ins, err := w.r.Resolve(ctx, w.service)
	cancel()
	w.mu.Lock()
	if err != nil {
		w.lastErr = err
		cur := w.current
		w.mu.Unlock()
		w.emit(Change{Service: w.service, Instances: cur, Err: err})
		return
	}
	sortInstances(ins)
	c := Diff(w.current, ins)
	c.Service = w.service
	w.current, w.lastErr = ins, nil
	w.mu.Unlock()
	if len(c.Added)+len(c.Removed)+len(c.Updated) > 0 {
		w.emit(c)
	}
}

func (w *Watcher) emit(c Change) {
	select {
	case <-w.stop:
		return
	default:
	}
	if w.onChange != nil {
		w.onChange(c)
	}
}

// Refresh asks the Watcher to resolve again now (for example after every
// instance failed); it does not wait.
func (w *Watcher) Refresh() {
	select {
	case w.refresh <- struct{}{}:
	default:
	}
}

// Instances returns the last set resolved successfully, sorted by Addr.
// The slice is shared: do not modify it.
func (w *Watcher) Instances() []Instance {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.current
}

// Stop ends the Watcher and waits until its goroutine has returned; after
// Stop returns, onChange is not called again. Stop may be called more than
// once, but not from onChange.
func (w *Watcher) Stop() {
	w.once.Do(func() {
		close(w.stop)
		w.cancel()
	})
	<-w.done
}

// String reports the service, the instances and the last error.
func (w *Watcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := "watch " + w.service + " every " + w.interval.String() + ": " + formatInstances(w.current)
	if w.lastErr != nil {
		s += " (last refresh: " + w.lastErr.Error() + ")"
	}
	return s
}

// Diff compares two instance sets by Addr. Both must be sorted by Addr
// (as Change.Instances is); the result's Instances is next.
func Diff(prev, next []Instance) Change {
	c := Change{Instances: next}
	i, j := 0, 0
	for i < len(prev) || j < len(next) {
		switch {
		case j == len(next) || (i < len(prev) && prev[i].Addr < next[j].Addr):
			c.Removed = append(c.Removed, prev[i])
			i++
		case i == len(prev) || next[j].Addr < prev[i].Addr:
			c.Added = append(c.Added, next[j])
			j++
		default:
			if !sameInstance(prev[i], next[j]) {
				c.Updated = append(c.Updated, next[j])
			}
			i++
			j++
		}
	}
	return c
}

func sameInstance(a, b Instance) bool {
	if a.Addr != b.Addr || a.EffectiveWeight() != b.EffectiveWeight() || len(a.Tags) != len(b.Tags) {
		return false
	}
	for k, v := range a.Tags {
		if w, ok := b.Tags[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func sortInstances(ins []Instance) {
	sort.Slice(ins, func(i, j int) bool { return ins[i].Addr < ins[j].Addr })
}

func cloneInstances(ins []Instance) []Instance {
	if ins == nil {
		return nil
	}
	return append([]Instance(nil), ins...)
}

func formatInstances(ins []Instance) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, in := range ins {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(in.String())
	}
	b.WriteByte(']')
	return b.String()
}
