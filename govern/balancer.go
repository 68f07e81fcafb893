package govern

import (
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A Balancer picks the instance each call goes to. Implementations are
// safe for concurrent use and allocate nothing in Pick and Done.
//
// Every successful Pick must be followed by exactly one Done for the
// returned address when the attempt ends; balancers that weigh load
// (power of two choices, bounded-load consistent hashing) count
// outstanding requests with it, and the others ignore it.
type Balancer interface {
	// Update replaces the instances. State kept per instance (smooth
	// round-robin credit, latency averages, ring points, outstanding
	// counts) survives for addresses that stay. The balancer keeps no
	// reference to the slice.
	Update(instances []Instance)
	// Pick chooses an instance. key is the call's hash key, used only by
	// consistent hashing. tried lists addresses this call already used;
	// Pick avoids them unless nothing else is left, so a retry goes to
	// another instance when there is one. Pick fails with ErrNoInstances
	// when there is no instance of positive weight.
	Pick(key string, tried []string) (Instance, error)
	// Done reports that an attempt on addr ended after latency with err.
	Done(addr string, latency time.Duration, err error)
	// String describes the balancer and its instances for an operator.
	String() string
}

// DefaultBalancer returns the default balancer, smooth weighted
// round-robin ([NewRoundRobin]).
func DefaultBalancer() Balancer { return NewRoundRobin() }

// HashKey is the hash consistent hashing uses: 64-bit FNV-1a of s, then the
// MurmurHash3 fmix64 finaliser to spread FNV's weak low bits. It is the same
// in every process, release and platform, so a key maps to the same
// instance everywhere that sees the same instances.
func HashKey(s string) uint64 { return fmix64(fnvString(fnvOffset, s)) }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// rng is a source of random numbers: the runtime's goroutine-safe
// generator, or an injected rand.Source behind a mutex (for tests).
type rng struct {
	mu  sync.Mutex // guards src
	src rand.Source
}

func (r *rng) Uint64() uint64 {
	if r.src == nil {
		return rand.Uint64()
	}
	r.mu.Lock()
	v := r.src.Uint64()
	r.mu.Unlock()
	return v
}

// below returns a uniform number in [0, n) from random bits r (Lemire's
// multiply-shift; its bias is below 2^-32 for the sizes used here).
func below(r uint64, n int) int {
	hi, _ := bits.Mul64(r, uint64(n))
	return int(hi)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// alias is Vose's alias table: O(1) weighted sampling.
type alias struct {
	prob  []uint32 // threshold for keeping column i, out of 2^32
	alias []int32
}

func newAlias(weights []int) alias {
	n := len(weights)
	a := alias{prob: make([]uint32, n), alias: make([]int32, n)}
	total := 0
	for _, w := range weights {
		total += w
	}
	if n == 0 || total == 0 {
		return a
	}
	// Scaled weights p_i = w_i * n / total, in units of 1/total to stay exact.
	scaled := make([]int64, n)
	small := make([]int32, 0, n)
	large := make([]int32, 0, n)
	for i, w := range weights {
		scaled[i] = int64(w) * int64(n)
		if scaled[i] < int64(total) {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s] = uint32((uint64(scaled[s]) << 32) / uint64(total))
		a.alias[s] = l
		scaled[l] -= int64(total) - scaled[s]
		if scaled[l] < int64(total) {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range large {
		a.prob[i], a.alias[i] = ^uint32(0), i
	}
	for _, i := range small { // only from rounding
		a.prob[i], a.alias[i] = ^uint32(0), i
	}
	return a
}

func (a *alias) sample(r uint64) int {
	i := below(r, len(a.prob)) // the high bits choose the column, the low 32 the coin
	if uint32(r) < a.prob[i] || a.prob[i] == ^uint32(0) {
		return i
	}
	return int(a.alias[i])
}

// weightedScan picks among instances not in tried, by weight, in O(n): the
// fallback when rejection sampling keeps hitting tried instances.
func weightedScan(r uint64, n int, weight func(int) int, addr func(int) string, tried []string) int {
	total := 0
	for i := 0; i < n; i++ {
		if w := weight(i); w > 0 && !contains(tried, addr(i)) {
			total += w
		}
	}
	if total == 0 {
		return -1
	}
	x := below(r, total)
	for i := 0; i < n; i++ {
		if w := weight(i); w > 0 && !contains(tried, addr(i)) {
			if x < w {
				return i
			}
			x -= w
		}
	}
	return -1
}

func describe(name string, n int, item func(i int, b *strings.Builder)) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		item(i, &b)
	}
	b.WriteByte(']')
	return b.String()
}

func writeKV(b *strings.Builder, addr, k string, v int64) {
	b.WriteString(addr)
	b.WriteByte('(')
	b.WriteString(k)
	b.WriteByte('=')
	b.WriteString(strconv.FormatInt(v, 10))
	b.WriteByte(')')
}

// RandSource is a source of uniformly distributed random bits, as
// math/rand/v2's Source: pass rand.NewPCG(seed1, seed2) for reproducible
// behaviour, or nil for the runtime's generator.
type RandSource = rand.Source
