package govern

import (
	"strings"
	"sync/atomic"
	"time"
)

// WeightedRandom picks instances at random in proportion to their weights
// with Vose's alias method: O(1) per pick, lock-free. Update rebuilds the
// table in O(n).
type WeightedRandom struct {
	rng   rng
	state atomic.Pointer[wrState]
}

type wrState struct {
	ins     []Instance
	weights []int
	table   alias
}

// NewWeightedRandom returns an empty weighted random balancer drawing from
// src, or from the runtime's generator when src is nil. An injected src is
// used under a mutex; seed one (rand.NewPCG) for reproducible tests.
func NewWeightedRandom(src RandSource) *WeightedRandom {
	b := &WeightedRandom{}
	b.rng.src = src
	b.state.Store(&wrState{})
	return b
}

// Update replaces the instances.
func (b *WeightedRandom) Update(instances []Instance) {
	st := &wrState{ins: cloneInstances(instances), weights: make([]int, len(instances))}
	for i, in := range instances {
		st.weights[i] = in.EffectiveWeight()
	}
	st.table = newAlias(st.weights)
	b.state.Store(st)
}

// Pick draws an instance not in tried.
func (b *WeightedRandom) Pick(_ string, tried []string) (Instance, error) {
	st := b.state.Load()
	if i := pickWeighted(&b.rng, &st.table, st.ins, st.weights, tried); i >= 0 {
		return st.ins[i], nil
	}
	return Instance{}, ErrNoInstances
}

// pickWeighted draws by weight with the alias table, retrying a few times
// on a tried instance, then scanning; when only tried instances remain it
// ignores tried.
func pickWeighted(r *rng, t *alias, ins []Instance, weights []int, tried []string) int {
	if len(ins) == 0 {
		return -1
	}
	for k := 0; k < 4; k++ {
		i := t.sample(r.Uint64())
		if weights[i] == 0 {
			continue
		}
		if len(tried) == 0 || !contains(tried, ins[i].Addr) {
			return i
		}
	}
	w := func(i int) int { return weights[i] }
	a := func(i int) string { return ins[i].Addr }
	if i := weightedScan(r.Uint64(), len(ins), w, a, tried); i >= 0 {
		return i
	}
	return weightedScan(r.Uint64(), len(ins), w, a, nil)
}

// Done does nothing: random picks ignore feedback.
func (b *WeightedRandom) Done(string, time.Duration, error) {}

// String lists each instance with its weight: "random[a(w=10) b(w=5)]".
func (b *WeightedRandom) String() string {
	st := b.state.Load()
	return describe("random", len(st.ins), func(i int, s *strings.Builder) {
		writeKV(s, st.ins[i].Addr, "w", int64(st.weights[i]))
	})
}
