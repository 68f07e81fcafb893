package govern

import (
	"context"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DNSLookup is the part of *net.Resolver a [DNSResolver] uses; tests and
// custom DNS clients can stand in for it.
type DNSLookup interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
}

// DNSResolver resolves services through DNS:
//
//   - a target "host:port" becomes one instance per A/AAAA address of host,
//     each "ip:port" with DefaultWeight (an IP literal host resolves to
//     itself);
//   - a target starting with "_" ("_thrift._tcp.example.com") is looked up
//     as an SRV name; the records of the lowest priority (RFC 2782) become
//     instances "target:port" with the record's weight (0 counts as 1) and
//     the tag "priority". The target host names are dialled as they are.
//
// A Watcher resolves it again every Refresh. The zero value uses
// net.DefaultResolver and refreshes every DefaultRefreshInterval.
type DNSResolver struct {
	// Lookup does the queries; nil means net.DefaultResolver.
	Lookup DNSLookup
	// Refresh is how often a Watcher should resolve again; 0 means
	// DefaultRefreshInterval.
	Refresh time.Duration
}

// RefreshInterval returns Refresh, or DefaultRefreshInterval when it is 0.
func (d *DNSResolver) RefreshInterval() time.Duration {
	if d.Refresh == 0 {
		return DefaultRefreshInterval
	}
	return d.Refresh
}

func (d *DNSResolver) lookup() DNSLookup {
	if d.Lookup == nil {
		return net.DefaultResolver
	}
	return d.Lookup
}

// Resolve looks target up as described on [DNSResolver]. An answer with no
// usable record is ErrNoInstances.
func (d *DNSResolver) Resolve(ctx context.Context, target string) ([]Instance, error) {
	if strings.HasPrefix(target, "_") {
		return d.resolveSRV(ctx, target)
	}
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return nil, err
	}
	if net.ParseIP(host) != nil {
		return []Instance{{Addr: target, Weight: DefaultWeight}}, nil
	}
	addrs, err := d.lookup().LookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, ErrNoInstances
	}
	ins := make([]Instance, 0, len(addrs))
	seen := make(map[string]bool, len(addrs))
	for _, a := range addrs {
		addr := net.JoinHostPort(a, port)
		if !seen[addr] {
			seen[addr] = true
			ins = append(ins, Instance{Addr: addr, Weight: DefaultWeight})
		}
	}
	sortInstances(ins)
	return ins, nil
}

func (d *DNSResolver) resolveSRV(ctx context.Context, name string) ([]Instance, error) {
	_, srvs, err := d.lookup().LookupSRV(ctx, "", "", name)
	if err != nil {
		return nil, err
	}
	if len(srvs) == 0 {
		return nil, ErrNoInstances
	}
	best := srvs[0].Priority
	for _, s := range srvs {
		best = min(best, s.Priority)
	}
	prio := strconv.Itoa(int(best))
	var ins []Instance
	for _, s := range srvs {
		if s.Priority != best || s.Target == "." || s.Target == "" {
			continue
		}
		w := int(s.Weight)
		if w == 0 {
			w = 1
		}
		ins = append(ins, Instance{
			Addr:   net.JoinHostPort(strings.TrimSuffix(s.Target, "."), strconv.Itoa(int(s.Port))),
			Weight: w,
			Tags:   map[string]string{"priority": prio},
		})
	}
	if len(ins) == 0 {
		return nil, ErrNoInstances
	}
	sort.Slice(ins, func(i, j int) bool { return ins[i].Addr < ins[j].Addr })
	return ins, nil
}

// String names the resolver and its refresh interval.
func (d *DNSResolver) String() string { return "dns(refresh=" + d.RefreshInterval().String() + ")" }
