package govern

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ConsistentHashConfig configures [NewConsistentHash].
type ConsistentHashConfig struct {
	// VirtualNodes is the number of ring points of an instance of
	// DefaultWeight; an instance gets VirtualNodes*Weight/DefaultWeight
	// points (at least one). 0 means 100.
	VirtualNodes int
	// LoadBound, when above 1, enables consistent hashing with bounded
	// loads (Mirrokni, Thorup, Zadimoghaddam, 2017): no instance takes more
	// than ceil(LoadBound × (in-flight calls + 1) × its share of the
	// weight) outstanding calls; a key whose instance is full moves on
	// clockwise. 1.25 is a usual choice. 0 disables the bound.
	LoadBound float64
}

// DefaultConsistentHashConfig returns 100 virtual nodes and no load bound.
func DefaultConsistentHashConfig() ConsistentHashConfig {
	return ConsistentHashConfig{VirtualNodes: 100}
}

// ConsistentHash maps a call's key to an instance on a hash ring with
// virtual nodes, so that a key keeps its instance while the instance set
// changes little: adding or removing one of N instances moves about 1/N of
// the keys. Keys and ring points are hashed with [HashKey] (stable across
// processes); the point i of an instance hashes "addr#i".
//
// Update is incremental: points of unchanged instances are kept and new
// ones merged in. Without a load bound Pick is lock-free, O(log points);
// with one, Pick and Done take a mutex.
type ConsistentHash struct {
	cfg   ConsistentHashConfig
	state atomic.Pointer[chState]

	mu       sync.Mutex // serialises Update; with a load bound, also Pick and Done
	inflight int64      // guarded by mu: outstanding calls (load bound only)
}

type chState struct {
	points  []chPoint // sorted by hash
	nodes   map[string]*chNode
	weight  int // sum of node weights
	ordered []*chNode
}

type chPoint struct {
	hash uint64
	node *chNode
}

type chNode struct {
	in       Instance
	weight   int
	inflight int64 // guarded by ConsistentHash.mu
}

// NewConsistentHash returns an empty consistent-hash balancer.
func NewConsistentHash(cfg ConsistentHashConfig) *ConsistentHash {
	if cfg.VirtualNodes <= 0 {
		cfg.VirtualNodes = 100
	}
	b := &ConsistentHash{cfg: cfg}
	b.state.Store(&chState{nodes: map[string]*chNode{}})
	return b
}

func (b *ConsistentHash) bounded() bool { return b.cfg.LoadBound > 1 }

func (b *ConsistentHash) vnodes(weight int) int {
	return max(1, b.cfg.VirtualNodes*weight/DefaultWeight)
}

// Update replaces the instances, moving only the ring points of instances
// that were added, removed or reweighted.
func (b *ConsistentHash) Update(instances []Instance) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.state.Load()
	st := &chState{nodes: make(map[string]*chNode, len(instances))}
	var added []*chNode
	for _, in := range instances {
		w := in.EffectiveWeight()
		if w == 0 {
			continue
		}
		if n, ok := old.nodes[in.Addr]; ok && n.weight == w {
			if !sameInstance(n.in, in) { // new tags: same points, fresh node value
				n = &chNode{in: in, weight: w, inflight: n.inflight}
				added = append(added, n) // re-pointed below
			}
			st.nodes[in.Addr] = n
		} else {
			n := &chNode{in: in, weight: w}
			if ok {
				n.inflight = old.nodes[in.Addr].inflight
			}
			st.nodes[in.Addr] = n
			added = append(added, n)
		}
		st.weight += w
	}
	// Keep the points whose node stays unchanged.
	kept := make([]chPoint, 0, len(old.points))
	for _, p := range old.points {
		if st.nodes[p.node.in.Addr] == p.node {
			kept = append(kept, p)
		}
	}
	var fresh []chPoint
	for _, n := range added {
		for i := 0; i < b.vnodes(n.weight); i++ {
			fresh = append(fresh, chPoint{hash: pointHash(n.in.Addr, i), node: n})
		}
	}
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].hash < fresh[j].hash })
	st.points = mergePoints(kept, fresh)
	for _, n := range old.nodes {
		if st.nodes[n.in.Addr] == nil {
			b.inflight -= n.inflight
		}
	}
	st.ordered = make([]*chNode, 0, len(st.nodes))
	for _, n := range st.nodes {
		st.ordered = append(st.ordered, n)
	}
	sort.Slice(st.ordered, func(i, j int) bool { return st.ordered[i].in.Addr < st.ordered[j].in.Addr })
	b.state.Store(st)
}

func pointHash(addr string, i int) uint64 {
	var buf [20]byte
	h := fnvString(fnvOffset, addr)
	h = fnvString(h, "#")
	for _, c := range strconv.AppendInt(buf[:0], int64(i), 10) {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return fmix64(h)
}

func mergePoints(a, b []chPoint) []chPoint {
	out := make([]chPoint, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if b[j].hash < a[i].hash || (b[j].hash == a[i].hash && b[j].node.in.Addr < a[i].node.in.Addr) {
			out = append(out, b[j])
			j++
		} else {
			out = append(out, a[i])
			i++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// Pick returns the instance owning HashKey(key): the first ring point at
// or after the hash, walking clockwise past tried instances and, with a
// load bound, past full ones.
func (b *ConsistentHash) Pick(key string, tried []string) (Instance, error) {
	if b.bounded() {
		b.mu.Lock()
		defer b.mu.Unlock()
	}
	st := b.state.Load()
	if len(st.points) == 0 {
		return Instance{}, ErrNoInstances
	}
	h := HashKey(key)
	start := sort.Search(len(st.points), func(i int) bool { return st.points[i].hash >= h })
	if n := b.walk(st, start, tried); n != nil {
		return n.in, nil
	}
	if len(tried) > 0 {
		if n := b.walk(st, start, nil); n != nil {
			return n.in, nil
		}
	}
	return Instance{}, ErrNoInstances
}

func (b *ConsistentHash) walk(st *chState, start int, tried []string) *chNode {
	limit := int64(math.MaxInt64)
	for k := 0; k < len(st.points); k++ {
		n := st.points[(start+k)%len(st.points)].node
		if len(tried) > 0 && contains(tried, n.in.Addr) {
			continue
		}
		if b.bounded() {
			limit = b.capacity(st, n)
			if n.inflight >= limit {
				continue
			}
			n.inflight++
			b.inflight++
		}
		return n
	}
	return nil
}

// capacity is ceil(c × (inflight+1) × w/W); with mu held.
func (b *ConsistentHash) capacity(st *chState, n *chNode) int64 {
	c := b.cfg.LoadBound * float64(b.inflight+1) * float64(n.weight) / float64(st.weight)
	return int64(math.Ceil(c))
}

// Done releases the outstanding call counted by Pick (load bound only).
func (b *ConsistentHash) Done(addr string, _ time.Duration, _ error) {
	if !b.bounded() {
		return
	}
	b.mu.Lock()
	if n := b.state.Load().nodes[addr]; n != nil && n.inflight > 0 {
		n.inflight--
		b.inflight--
	}
	b.mu.Unlock()
}

// String lists each instance with its ring points, and with a load bound
// its outstanding calls: "consistent[a(points=100)]".
func (b *ConsistentHash) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.state.Load()
	name := "consistent"
	if b.bounded() {
		name += "(bound=" + strconv.FormatFloat(b.cfg.LoadBound, 'g', -1, 64) + ")"
	}
	return describe(name, len(st.ordered), func(i int, s *strings.Builder) {
		n := st.ordered[i]
		writeKV(s, n.in.Addr, "points", int64(b.vnodes(n.weight)))
		if b.bounded() {
			s.WriteString("(inflight=" + strconv.FormatInt(n.inflight, 10) + ")")
		}
	})
}
