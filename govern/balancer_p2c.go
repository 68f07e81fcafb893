package govern

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// P2C is the power of two choices: it draws two instances at random in
// proportion to their weights and sends the call to the one with the lower
// load score, (EWMA latency + 1 µs) × (outstanding calls + 1). On a tie the
// first draw wins, so with equal feedback picks follow the weights. Done
// feeds it: it ends the outstanding call and folds the latency into the
// instance's exponentially weighted moving average (a failed call counts as
// twice the larger of its latency and the average, so failing instances
// lose traffic). Pick and Done are lock-free.
type P2C struct {
	rng   rng
	decay float64
	state atomic.Pointer[p2cState]
	mu    sync.Mutex // serialises Update
}

type p2cState struct {
	nodes   []*p2cNode
	weights []int
	ins     []Instance
	byAddr  map[string]*p2cNode
	table   alias
}

type p2cNode struct {
	in       Instance
	inflight atomic.Int64
	ewma     atomic.Int64 // nanoseconds
}

// NewP2C returns an empty power-of-two-choices balancer drawing from src
// (nil: the runtime's generator). Each Done moves the latency average a
// fifth of the way towards the new sample.
func NewP2C(src RandSource) *P2C {
	b := &P2C{decay: 0.2}
	b.rng.src = src
	b.state.Store(&p2cState{byAddr: map[string]*p2cNode{}})
	return b
}

// Update replaces the instances, keeping the averages and outstanding
// counts of those that stay.
func (b *P2C) Update(instances []Instance) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.state.Load()
	st := &p2cState{
		nodes: make([]*p2cNode, len(instances)), weights: make([]int, len(instances)),
		ins: cloneInstances(instances), byAddr: make(map[string]*p2cNode, len(instances)),
	}
	for i, in := range instances {
		n := old.byAddr[in.Addr]
		if n == nil || !sameInstance(n.in, in) {
			nn := &p2cNode{in: in}
			if n != nil {
				nn.inflight.Store(n.inflight.Load())
				nn.ewma.Store(n.ewma.Load())
			}
			n = nn
		}
		st.nodes[i], st.weights[i], st.byAddr[in.Addr] = n, in.EffectiveWeight(), n
	}
	st.table = newAlias(st.weights)
	b.state.Store(st)
}

// Pick draws two instances not in tried and returns the less loaded one,
// counting an outstanding call on it.
func (b *P2C) Pick(_ string, tried []string) (Instance, error) {
	st := b.state.Load()
	i := pickWeighted(&b.rng, &st.table, st.ins, st.weights, tried)
	if i < 0 {
		return Instance{}, ErrNoInstances
	}
	n := st.nodes[i]
	for k := 0; k < 3; k++ {
		j := st.table.sample(b.rng.Uint64())
		if j == i || st.weights[j] == 0 || (len(tried) > 0 && contains(tried, st.ins[j].Addr)) {
			continue
		}
		if m := st.nodes[j]; score(m) < score(n) {
			n = m
		}
		break
	}
	n.inflight.Add(1)
	return n.in, nil
}

func score(n *p2cNode) int64 {
	return (n.ewma.Load() + int64(time.Microsecond)) * (n.inflight.Load() + 1)
}

// Done ends an outstanding call on addr and updates its latency average.
func (b *P2C) Done(addr string, latency time.Duration, err error) {
	n := b.state.Load().byAddr[addr]
	if n == nil {
		return
	}
	if n.inflight.Add(-1) < 0 {
		n.inflight.Add(1)
	}
	for {
		old := n.ewma.Load()
		sample := int64(latency)
		if err != nil {
			sample = 2 * max(sample, old)
		}
		v := old + int64(b.decay*float64(sample-old))
		if old == 0 {
			v = sample
		}
		if n.ewma.CompareAndSwap(old, v) {
			return
		}
	}
}

// String lists each instance with its weight, outstanding calls and
// latency average: "p2c[a(w=10)(inflight=2)(ewma=1.2ms)]".
func (b *P2C) String() string {
	st := b.state.Load()
	return describe("p2c", len(st.nodes), func(i int, s *strings.Builder) {
		n := st.nodes[i]
		writeKV(s, n.in.Addr, "w", int64(st.weights[i]))
		s.WriteString("(inflight=" + strconv.FormatInt(n.inflight.Load(), 10) +
			")(ewma=" + time.Duration(n.ewma.Load()).String() + ")")
	})
}
