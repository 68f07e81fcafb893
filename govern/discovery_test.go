package govern

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDiff(t *testing.T) {
	prev := []Instance{{Addr: "a"}, {Addr: "b", Weight: 5}, {Addr: "c"}}
	next := []Instance{{Addr: "b", Weight: 6}, {Addr: "c", Weight: DefaultWeight}, {Addr: "d"}}
	c := Diff(prev, next)
	if len(c.Added) != 1 || c.Added[0].Addr != "d" || len(c.Removed) != 1 || c.Removed[0].Addr != "a" ||
		len(c.Updated) != 1 || c.Updated[0].Addr != "b" {
		t.Fatalf("Diff = %+v", c)
	}
}

func TestStaticResolverWatch(t *testing.T) {
	before := runtime.NumGoroutine()
	r := NewStaticResolver(HostPorts("b:1", "a:1")...)
	changes := make(chan Change, 10)
	w := Watch(r, "svc", 0, func(c Change) { changes <- c })
	c := <-changes // synchronous first resolution
	if len(c.Added) != 2 || c.Instances[0].Addr != "a:1" {
		t.Fatalf("first change %+v", c)
	}
	r.Set(HostPorts("a:1", "c:1")...) // Notify wakes the watcher at once
	select {
	case c = <-changes:
	case <-time.After(5 * time.Second):
		t.Fatal("no change after Set")
	}
	if len(c.Added) != 1 || c.Added[0].Addr != "c:1" || len(c.Removed) != 1 || c.Removed[0].Addr != "b:1" {
		t.Fatalf("change %+v", c)
	}
	if got := w.Instances(); len(got) != 2 {
		t.Fatalf("Instances() = %v", got)
	}
	// Empty list: the resolver fails; the watcher keeps the last good set.
	r.Set()
	select {
	case c = <-changes:
	case <-time.After(5 * time.Second):
		t.Fatal("no error change")
	}
	if !errors.Is(c.Err, ErrNoInstances) || len(c.Instances) != 2 || len(c.Removed) != 0 {
		t.Fatalf("error change %+v", c)
	}
	if !strings.Contains(w.String(), "no instances") {
		t.Errorf("String() = %q", w.String())
	}
	w.Stop()
	w.Stop()
	waitGoroutines(t, before)
}

type countingResolver struct {
	mu sync.Mutex
	n  int
}

func (r *countingResolver) Resolve(ctx context.Context, _ string) ([]Instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.n%2 == 0 {
		return HostPorts("a:1", "b:1"), nil
	}
	return HostPorts("a:1"), nil
}

func TestWatchTicker(t *testing.T) {
	before := runtime.NumGoroutine()
	r := &countingResolver{}
	var mu sync.Mutex
	var got []Change
	w := Watch(r, "svc", time.Millisecond, func(c Change) { mu.Lock(); got = append(got, c); mu.Unlock() })
	w.Refresh()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	w.Stop()
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 4 || len(got[1].Added) != 1 || len(got[2].Removed) != 1 {
		t.Fatalf("changes %+v", got)
	}
	waitGoroutines(t, before)
}

func TestMemoryRegistry(t *testing.T) {
	m := NewMemoryRegistry()
	ctx := context.Background()
	var _ Registry = m
	var _ Resolver = m
	if _, err := m.Resolve(ctx, "svc"); !errors.Is(err, ErrNoInstances) {
		t.Fatal(err)
	}
	changed := m.Notify("svc")
	m.Register(ctx, "svc", Instance{Addr: "a:1"})
	m.Register(ctx, "svc", Instance{Addr: "b:1", Weight: 3})
	m.Register(ctx, "svc", Instance{Addr: "b:1", Weight: 4})
	select {
	case <-changed:
	default:
		t.Fatal("not notified")
	}
	ins, _ := m.Resolve(ctx, "svc")
	if len(ins) != 2 || ins[1].Weight != 4 {
		t.Fatalf("%v", ins)
	}
	m.Deregister(ctx, "svc", Instance{Addr: "a:1"})
	m.Deregister(ctx, "svc", Instance{Addr: "zz"})
	if ins, _ = m.Resolve(ctx, "svc"); len(ins) != 1 || ins[0].Addr != "b:1" {
		t.Fatalf("%v", ins)
	}
	if err := m.Register(ctx, "svc", Instance{}); err == nil {
		t.Error("empty address registered")
	}
}

type fakeLookup struct{}

func (fakeLookup) LookupHost(_ context.Context, host string) ([]string, error) {
	if host == "svc.local" {
		return []string{"10.0.0.2", "10.0.0.1", "10.0.0.2", "::1"}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (fakeLookup) LookupSRV(_ context.Context, _, _, name string) (string, []*net.SRV, error) {
	return name, []*net.SRV{
		{Target: "b.local.", Port: 9, Priority: 10, Weight: 0},
		{Target: "a.local.", Port: 9, Priority: 10, Weight: 60},
		{Target: "backup.local.", Port: 9, Priority: 20, Weight: 100},
	}, nil
}

func TestDNSResolverFake(t *testing.T) {
	d := &DNSResolver{Lookup: fakeLookup{}, Refresh: time.Second}
	ins, err := d.Resolve(context.Background(), "svc.local:8888")
	if err != nil {
		t.Fatal(err)
	}
	want := "static[10.0.0.1:8888(w=10) 10.0.0.2:8888(w=10) [::1]:8888(w=10)]"
	if got := NewStaticResolver(ins...).String(); got != want {
		t.Errorf("A/AAAA: %s, want %s", got, want)
	}
	ins, err = d.Resolve(context.Background(), "_thrift._tcp.svc.local")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].Addr != "a.local:9" || ins[0].Weight != 60 || ins[1].Weight != 1 || ins[0].Tags["priority"] != "10" {
		t.Errorf("SRV: %v", ins)
	}
	if ins, _ := d.Resolve(context.Background(), "127.0.0.1:80"); len(ins) != 1 || ins[0].Addr != "127.0.0.1:80" {
		t.Errorf("IP literal: %v", ins)
	}
	if _, err := d.Resolve(context.Background(), "nohost.local:1"); err == nil {
		t.Error("unknown host resolved")
	}
	if _, err := d.Resolve(context.Background(), "no-port"); err == nil {
		t.Error("target without port resolved")
	}
	if d.RefreshInterval() != time.Second || (&DNSResolver{}).RefreshInterval() != DefaultRefreshInterval {
		t.Error("RefreshInterval")
	}
}

// dnsServer is a tiny authoritative DNS server on 127.0.0.1 answering A
// and SRV questions from fixed tables, for net.Resolver tests.
func dnsServer(t *testing.T, a map[string][]net.IP, srv map[string][]net.SRV) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := dnsAnswer(buf[:n], a, srv); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

func appendName(b []byte, name string) []byte {
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

func dnsAnswer(q []byte, a map[string][]net.IP, srv map[string][]net.SRV) []byte {
	if len(q) < 12 {
		return nil
	}
	off := 12
	var labels []string
	for off < len(q) && q[off] != 0 {
		l := int(q[off])
		if off+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[off+1:off+1+l]))
		off += 1 + l
	}
	off++
	if off+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[off:])
	name := strings.ToLower(strings.Join(labels, "."))
	question := q[12 : off+4]
	var answers [][]byte
	known := false
	rr := func(typ uint16, rdata []byte) []byte {
		b := []byte{0xc0, 12} // pointer to the question's name
		b = binary.BigEndian.AppendUint16(b, typ)
		b = binary.BigEndian.AppendUint16(b, 1)  // IN
		b = binary.BigEndian.AppendUint32(b, 60) // TTL
		b = binary.BigEndian.AppendUint16(b, uint16(len(rdata)))
		return append(b, rdata...)
	}
	if ips, ok := a[name]; ok {
		known = true
		if qtype == 1 {
			for _, ip := range ips {
				answers = append(answers, rr(1, ip.To4()))
			}
		}
	}
	if recs, ok := srv[name]; ok {
		known = true
		if qtype == 33 {
			for _, s := range recs {
				var rd []byte
				rd = binary.BigEndian.AppendUint16(rd, s.Priority)
				rd = binary.BigEndian.AppendUint16(rd, s.Weight)
				rd = binary.BigEndian.AppendUint16(rd, s.Port)
				answers = append(answers, rr(33, appendName(rd, s.Target)))
			}
		}
	}
	flags := uint16(0x8580) // QR, AA, RD, RA, NOERROR
	if !known {
		flags |= 3 // NXDOMAIN
	}
	resp := append([]byte{}, q[0:2]...)
	resp = binary.BigEndian.AppendUint16(resp, flags)
	resp = binary.BigEndian.AppendUint16(resp, 1)
	resp = binary.BigEndian.AppendUint16(resp, uint16(len(answers)))
	resp = binary.BigEndian.AppendUint32(resp, 0)
	resp = append(resp, question...)
	for _, an := range answers {
		resp = append(resp, an...)
	}
	return resp
}

func TestDNSResolverNetResolver(t *testing.T) {
	addr := dnsServer(t,
		map[string][]net.IP{"svc.kite.test": {net.IPv4(10, 0, 0, 1), net.IPv4(10, 0, 0, 2)}},
		map[string][]net.SRV{"_thrift._tcp.kite.test": {
			{Target: "a.kite.test.", Port: 8888, Priority: 1, Weight: 30},
			{Target: "b.kite.test.", Port: 8889, Priority: 1, Weight: 10},
			{Target: "c.kite.test.", Port: 8890, Priority: 2, Weight: 10},
		}})
	nr := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
	d := &DNSResolver{Lookup: nr}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ins, err := d.Resolve(ctx, "svc.kite.test.:8888")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].Addr != "10.0.0.1:8888" || ins[1].Addr != "10.0.0.2:8888" {
		t.Fatalf("A: %v", ins)
	}
	ins, err = d.Resolve(ctx, "_thrift._tcp.kite.test.")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].Addr != "a.kite.test:8888" || ins[0].Weight != 30 || ins[1].Addr != "b.kite.test:8889" {
		t.Fatalf("SRV: %v", ins)
	}
	if _, err := d.Resolve(ctx, "missing.kite.test.:1"); err == nil {
		t.Fatal("NXDOMAIN resolved")
	}
}
