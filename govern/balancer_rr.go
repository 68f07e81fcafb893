package govern

import (
	"strings"
	"sync"
	"time"
)

// RoundRobin is smooth weighted round-robin, nginx's algorithm: each pick
// adds every instance's weight to its credit, takes the instance with the
// most credit and subtracts the total weight from it. Over any window of
// total-weight picks each instance is chosen exactly weight times, spread
// out rather than in bursts. Pick is O(n) under a mutex.
type RoundRobin struct {
	mu    sync.Mutex // guards peers
	peers []rrPeer
}

type rrPeer struct {
	in      Instance
	weight  int
	current int
}

// NewRoundRobin returns an empty smooth weighted round-robin balancer.
func NewRoundRobin() *RoundRobin { return &RoundRobin{} }

// Update replaces the instances, keeping the credit of those that stay.
func (b *RoundRobin) Update(instances []Instance) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := make(map[string]int, len(b.peers))
	for _, p := range b.peers {
		old[p.in.Addr] = p.current
	}
	peers := make([]rrPeer, 0, len(instances))
	for _, in := range instances {
		peers = append(peers, rrPeer{in: in, weight: in.EffectiveWeight(), current: old[in.Addr]})
	}
	b.peers = peers
}

// Pick returns the next instance not in tried.
func (b *RoundRobin) Pick(_ string, tried []string) (Instance, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i := b.pickLocked(tried); i >= 0 {
		return b.peers[i].in, nil
	}
	if len(tried) > 0 {
		if i := b.pickLocked(nil); i >= 0 {
			return b.peers[i].in, nil
		}
	}
	return Instance{}, ErrNoInstances
}

func (b *RoundRobin) pickLocked(tried []string) int {
	total, best := 0, -1
	for i := range b.peers {
		p := &b.peers[i]
		if p.weight == 0 || (len(tried) > 0 && contains(tried, p.in.Addr)) {
			continue
		}
		p.current += p.weight
		total += p.weight
		if best < 0 || p.current > b.peers[best].current {
			best = i
		}
	}
	if best >= 0 {
		b.peers[best].current -= total
	}
	return best
}

// Done does nothing: round-robin ignores feedback.
func (b *RoundRobin) Done(string, time.Duration, error) {}

// String lists each instance with its weight: "wrr[a(w=10) b(w=5)]".
func (b *RoundRobin) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return describe("wrr", len(b.peers), func(i int, s *strings.Builder) {
		writeKV(s, b.peers[i].in.Addr, "w", int64(b.peers[i].weight))
	})
}
