package govern

import (
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"
)

var testInstances = []Instance{
	{Addr: "10.0.0.1:8888", Weight: 10},
	{Addr: "10.0.0.2:8888", Weight: 20},
	{Addr: "10.0.0.3:8888", Weight: 30},
	{Addr: "10.0.0.4:8888", Weight: 40},
}

// chiSquare returns Σ (obs-exp)²/exp of picks against weights.
func chiSquare(t *testing.T, b Balancer, ins []Instance, n int, done bool) float64 {
	t.Helper()
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		in, err := b.Pick("", nil)
		if err != nil {
			t.Fatal(err)
		}
		counts[in.Addr]++
		if done {
			b.Done(in.Addr, time.Millisecond, nil)
		}
	}
	total := 0
	for _, in := range ins {
		total += in.EffectiveWeight()
	}
	x2 := 0.0
	for _, in := range ins {
		exp := float64(n) * float64(in.EffectiveWeight()) / float64(total)
		d := float64(counts[in.Addr]) - exp
		x2 += d * d / exp
	}
	return x2
}

// 16.27 is the chi-square critical value for 3 degrees of freedom at p = 0.001.
const chi2Crit3 = 16.27

func TestRoundRobinDistribution(t *testing.T) {
	b := NewRoundRobin()
	b.Update(testInstances)
	if x2 := chiSquare(t, b, testInstances, 100_000, false); x2 > 1e-9 {
		t.Errorf("smooth WRR is exact over whole cycles; chi2 = %v", x2)
	}
	// Smoothness: weights 5,1,1 give a a b a c a a (nginx's example).
	b.Update([]Instance{{Addr: "a", Weight: 5}, {Addr: "b", Weight: 1}, {Addr: "c", Weight: 1}})
	b2 := NewRoundRobin()
	b2.Update([]Instance{{Addr: "a", Weight: 5}, {Addr: "b", Weight: 1}, {Addr: "c", Weight: 1}})
	got := ""
	for i := 0; i < 7; i++ {
		in, _ := b2.Pick("", nil)
		got += in.Addr
	}
	if got != "aabacaa" {
		t.Errorf("sequence %q, want aabacaa", got)
	}
}

func TestWeightedRandomDistribution(t *testing.T) {
	b := NewWeightedRandom(rand.NewPCG(1, 2))
	b.Update(testInstances)
	if x2 := chiSquare(t, b, testInstances, 200_000, false); x2 > chi2Crit3 {
		t.Errorf("chi2 = %v > %v", x2, chi2Crit3)
	}
}

func TestAliasOddWeights(t *testing.T) {
	ins := []Instance{{Addr: "a", Weight: 1}, {Addr: "b", Weight: 7}, {Addr: "c", Weight: 13}, {Addr: "d", Weight: 3}}
	b := NewWeightedRandom(rand.NewPCG(3, 4))
	b.Update(ins)
	if x2 := chiSquare(t, b, ins, 200_000, false); x2 > chi2Crit3 {
		t.Errorf("chi2 = %v > %v", x2, chi2Crit3)
	}
}

func TestP2CDistribution(t *testing.T) {
	b := NewP2C(rand.NewPCG(5, 6))
	b.Update(testInstances)
	// Equal feedback: picks follow the weights.
	if x2 := chiSquare(t, b, testInstances, 200_000, true); x2 > chi2Crit3 {
		t.Errorf("chi2 = %v > %v", x2, chi2Crit3)
	}
}

func TestP2CAvoidsSlowAndLoaded(t *testing.T) {
	ins := HostPorts("a:1", "b:1")
	b := NewP2C(rand.NewPCG(7, 8))
	b.Update(ins)
	for i := 0; i < 20; i++ {
		b.Done("a:1", 100*time.Millisecond, nil)
		b.Done("b:1", time.Millisecond, nil)
	}
	n := map[string]int{}
	for i := 0; i < 10_000; i++ {
		in, _ := b.Pick("", nil)
		n[in.Addr]++
		b.Done(in.Addr, map[string]time.Duration{"a:1": 100 * time.Millisecond, "b:1": time.Millisecond}[in.Addr], nil)
	}
	// a is chosen only when both draws are a: about a quarter of the time.
	if n["a:1"] > 3000 || n["b:1"] < 7000 {
		t.Errorf("slow instance picked %d times, fast %d", n["a:1"], n["b:1"])
	}
	// Outstanding calls count: load b with many in-flight calls.
	c := NewP2C(rand.NewPCG(9, 10))
	c.Update(ins)
	for i := 0; i < 100; i++ {
		c.Done("a:1", time.Millisecond, nil)
		c.Done("b:1", time.Millisecond, nil)
	}
	loaded := 0
	for i := 0; i < 1000; i++ {
		in, _ := c.Pick("", nil)
		if in.Addr == "b:1" {
			loaded++
		} else {
			c.Done(in.Addr, time.Millisecond, nil) // a's calls end, b's stay outstanding
		}
	}
	if loaded > 100 { // both draws hit b (with 3 redraws) about 1/16 of the time
		t.Errorf("instance with growing outstanding calls picked %d times", loaded)
	}
}

func TestExcludeTried(t *testing.T) {
	for name, b := range map[string]Balancer{
		"wrr": NewRoundRobin(), "random": NewWeightedRandom(rand.NewPCG(1, 1)),
		"p2c": NewP2C(rand.NewPCG(1, 1)), "consistent": NewConsistentHash(DefaultConsistentHashConfig()),
		"bounded": NewConsistentHash(ConsistentHashConfig{LoadBound: 1.25}),
	} {
		b.Update(testInstances)
		for i := 0; i < 200; i++ {
			tried := []string{testInstances[i%4].Addr, testInstances[(i+1)%4].Addr, testInstances[(i+2)%4].Addr}
			in, err := b.Pick(strconv.Itoa(i), tried)
			if err != nil || in.Addr != testInstances[(i+3)%4].Addr {
				t.Fatalf("%s: pick %v %v avoiding %v", name, in, err, tried)
			}
			b.Done(in.Addr, 0, nil)
		}
		// Everything tried: fall back to any instance.
		all := []string{testInstances[0].Addr, testInstances[1].Addr, testInstances[2].Addr, testInstances[3].Addr}
		if _, err := b.Pick("k", all); err != nil {
			t.Errorf("%s: all tried: %v", name, err)
		}
		b.Update(nil)
		if _, err := b.Pick("k", nil); !errors.Is(err, ErrNoInstances) {
			t.Errorf("%s: empty: %v", name, err)
		}
	}
}

func TestDrainedInstanceNeverPicked(t *testing.T) {
	ins := []Instance{{Addr: "a", Weight: -1}, {Addr: "b"}}
	for name, b := range map[string]Balancer{
		"wrr": NewRoundRobin(), "random": NewWeightedRandom(nil), "p2c": NewP2C(nil),
		"consistent": NewConsistentHash(ConsistentHashConfig{}),
	} {
		b.Update(ins)
		for i := 0; i < 100; i++ {
			in, err := b.Pick(strconv.Itoa(i), nil)
			if err != nil || in.Addr != "b" {
				t.Fatalf("%s: %v %v", name, in, err)
			}
			b.Done(in.Addr, 0, nil)
		}
	}
}

func TestHashKeyGolden(t *testing.T) {
	// These values must never change: other processes and releases hash
	// the same keys to the same instances.
	for k, want := range map[string]uint64{
		"":           0xefd01f60ba992926,
		"user-42":    0xa39532c7ab051e8d,
		"a":          0x82a2a958a9bece5b,
		"order:1001": 0xde245b16582ae9c0,
	} {
		if got := HashKey(k); got != want {
			t.Errorf("HashKey(%q) = %#x, want %#x", k, got, want)
		}
	}
	// The FNV-1a part is the standard one.
	h := fnv.New64a()
	h.Write([]byte("order:1001"))
	if got := fnvString(fnvOffset, "order:1001"); got != h.Sum64() {
		t.Errorf("fnv %#x, hash/fnv %#x", got, h.Sum64())
	}
}

func TestConsistentGolden(t *testing.T) {
	want := map[string]string{
		"user-1": "10.0.0.3:8888", "user-2": "10.0.0.3:8888", "user-3": "10.0.0.2:8888",
		"user-42": "10.0.0.4:8888", "order:1001": "10.0.0.4:8888", "": "10.0.0.3:8888",
	}
	// The same answer whatever order the instances come in or were added.
	orders := [][]Instance{
		testInstances,
		{testInstances[3], testInstances[1], testInstances[0], testInstances[2]},
	}
	for _, ins := range orders {
		b := NewConsistentHash(DefaultConsistentHashConfig())
		b.Update(ins)
		inc := NewConsistentHash(DefaultConsistentHashConfig())
		for i := range ins {
			inc.Update(ins[:i+1])
		}
		for k, w := range want {
			for _, bb := range []*ConsistentHash{b, inc} {
				if in, _ := bb.Pick(k, nil); in.Addr != w {
					t.Errorf("key %q -> %s, want %s", k, in.Addr, w)
				}
			}
		}
	}
}

func ownerMap(b Balancer, keys int) []string {
	out := make([]string, keys)
	for i := range out {
		in, _ := b.Pick("key-"+strconv.Itoa(i), nil)
		out[i] = in.Addr
	}
	return out
}

func TestConsistentRemap(t *testing.T) {
	const keys = 50_000
	var ins []Instance
	for i := 0; i < 10; i++ {
		ins = append(ins, Instance{Addr: "10.1.0." + strconv.Itoa(i) + ":80"})
	}
	b := NewConsistentHash(DefaultConsistentHashConfig())
	b.Update(ins)
	before := ownerMap(b, keys)
	// Remove one of N: only its keys move (about 1/N), and no other key.
	b.Update(ins[1:])
	after := ownerMap(b, keys)
	moved := 0
	for i := range before {
		if before[i] != after[i] {
			moved++
			if before[i] != ins[0].Addr {
				t.Fatalf("key %d moved from surviving %s to %s", i, before[i], after[i])
			}
		}
	}
	if frac := float64(moved) / keys; frac > 1.0/10+0.03 {
		t.Errorf("removal moved %.3f of keys, want ≤ 1/10 + 0.03", frac)
	}
	// Add one to N-1: keys only move to the new instance, about 1/N of them.
	b.Update(ins)
	back := ownerMap(b, keys)
	moved = 0
	for i := range after {
		if after[i] != back[i] {
			moved++
			if back[i] != ins[0].Addr {
				t.Fatalf("key %d moved to old instance %s", i, back[i])
			}
		}
		if back[i] != before[i] {
			t.Fatalf("key %d: re-adding gives %s, originally %s", i, back[i], before[i])
		}
	}
	if frac := float64(moved) / keys; frac > 1.0/10+0.03 {
		t.Errorf("addition moved %.3f of keys", frac)
	}
	// Balance: each instance owns its share within 25 %.
	n := map[string]int{}
	for _, a := range back {
		n[a]++
	}
	for a, c := range n {
		if c < keys/10*3/4 || c > keys/10*5/4 {
			t.Errorf("%s owns %d of %d keys", a, c, keys)
		}
	}
}

func TestConsistentBoundedLoad(t *testing.T) {
	const c = 1.25
	b := NewConsistentHash(ConsistentHashConfig{LoadBound: c})
	b.Update(testInstances)
	r := rand.New(rand.NewPCG(11, 12))
	type call struct{ addr string }
	var open []call
	inflight := map[string]int{}
	total := 0
	for step := 0; step < 20_000; step++ {
		if len(open) > 0 && r.IntN(3) == 0 { // end a random call
			i := r.IntN(len(open))
			b.Done(open[i].addr, 0, nil)
			inflight[open[i].addr]--
			total--
			open[i] = open[len(open)-1]
			open = open[:len(open)-1]
			continue
		}
		// Hot keys: most calls hash to a handful of keys.
		in, err := b.Pick("hot-"+strconv.Itoa(r.IntN(3)), nil)
		if err != nil {
			t.Fatal(err)
		}
		total++
		inflight[in.Addr]++
		open = append(open, call{in.Addr})
		// The instance that takes a call is within the bound once it has it.
		w := 0
		for _, x := range testInstances {
			if x.Addr == in.Addr {
				w = x.Weight
			}
		}
		if bound := math.Ceil(c * float64(total) * float64(w) / 100); float64(inflight[in.Addr]) > bound {
			t.Fatalf("step %d: %s has %d in flight, bound %v (total %d)", step, in.Addr, inflight[in.Addr], bound, total)
		}
	}
}

func TestConcurrentBalancers(t *testing.T) {
	for name, b := range map[string]Balancer{
		"wrr": NewRoundRobin(), "random": NewWeightedRandom(rand.NewPCG(1, 1)),
		"p2c": NewP2C(nil), "consistent": NewConsistentHash(DefaultConsistentHashConfig()),
		"bounded": NewConsistentHash(ConsistentHashConfig{LoadBound: 1.5}),
	} {
		b.Update(testInstances)
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 2000; i++ {
					if g == 0 && i%100 == 0 {
						b.Update(testInstances[:2+i/100%3])
						continue
					}
					in, err := b.Pick(strconv.Itoa(i), nil)
					if err == nil {
						b.Done(in.Addr, time.Millisecond, nil)
					}
				}
			}(g)
		}
		wg.Wait()
		if b.String() == "" {
			t.Errorf("%s: empty String", name)
		}
	}
}

func TestBalancerString(t *testing.T) {
	b := NewRoundRobin()
	b.Update([]Instance{{Addr: "a:1", Weight: 5}, {Addr: "b:1"}})
	if got, want := b.String(), "wrr[a:1(w=5) b:1(w=10)]"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	c := NewConsistentHash(ConsistentHashConfig{VirtualNodes: 10, LoadBound: 1.25})
	c.Update([]Instance{{Addr: "a:1"}})
	c.Pick("x", nil)
	if got, want := c.String(), "consistent(bound=1.25)[a:1(points=10)(inflight=1)]"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func benchmarkPick(b *testing.B, bal Balancer, n int) {
	var ins []Instance
	for i := 0; i < n; i++ {
		ins = append(ins, Instance{Addr: "10.0.0." + strconv.Itoa(i) + ":8888", Weight: 10 + i%3*10})
	}
	bal.Update(ins)
	tried := []string{ins[0].Addr}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in, err := bal.Pick("user-12345", tried)
		if err != nil {
			b.Fatal(err)
		}
		bal.Done(in.Addr, time.Millisecond, nil)
	}
}

// BenchmarkPick measures one Pick+Done per balancer at 10 and 1,000
// instances.
func BenchmarkPick(b *testing.B) {
	balancers := []struct {
		name string
		new  func() Balancer
	}{
		{"wrr", func() Balancer { return NewRoundRobin() }},
		{"random", func() Balancer { return NewWeightedRandom(nil) }},
		{"p2c", func() Balancer { return NewP2C(nil) }},
		{"hash", func() Balancer { return NewConsistentHash(DefaultConsistentHashConfig()) }},
		{"hash-bounded", func() Balancer { return NewConsistentHash(ConsistentHashConfig{LoadBound: 1.25}) }},
	}
	for _, bl := range balancers {
		for _, n := range []int{10, 1000} {
			b.Run(bl.name+"/"+strconv.Itoa(n), func(b *testing.B) { benchmarkPick(b, bl.new(), n) })
		}
	}
}
