package main

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// load is the result of a ping-pong load: every call's latency (successes
// only), the counts and the wall time.
type load struct {
	lat      []time.Duration // sorted
	calls    int64
	errs     int64
	elapsed  time.Duration
	firstErr error
}

// runLoad runs call from conc goroutines until dur has passed, printing a
// progress line each second to progress (nil for none). call gets its
// worker's index. Each goroutine first makes one call that is not counted,
// and the clock starts when all have.
//
// With rate 0 each caller starts its next call when the last ends (a
// closed loop: the load is whatever the slowest side allows). With rate > 0
// calls are due at rate per second in total, the n-th at start + n/rate,
// and a free caller waits for the next one due; a call's latency counts
// from when it was due, so calls that start late because every caller was
// busy count their wait too (as wrk2 measures), and a server that cannot
// keep up shows it in the latency rather than quietly getting less load.
func runLoad(conc int, dur time.Duration, rate int, progress io.Writer, call func(worker int) error) load {
	var calls, errs atomic.Int64
	// A pointer, not an atomic.Value: a Value panics when a later error
	// has another concrete type than the first one stored.
	var firstErr atomic.Pointer[error]
	lat := make([][]time.Duration, conc)
	var start, stop time.Time // set before go closes
	warm := make(chan struct{}, conc)
	goCh := make(chan struct{})
	var next atomic.Int64 // the next call due, with rate > 0
	interval := 0.0
	if rate > 0 {
		interval = float64(time.Second) / float64(rate)
	}
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// One untimed call first: connections are dialled and the
			// callers running before the clock starts, which would
			// otherwise put a start-up stall into a paced run's tail.
			_ = call(i)
			warm <- struct{}{}
			<-goCh
			samples := make([]time.Duration, 0, 1024)
			record := func(d time.Duration, err error) {
				calls.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				samples = append(samples, d)
			}
			if rate > 0 {
				for {
					due := start.Add(time.Duration(float64(next.Add(1)-1) * interval))
					if !due.Before(stop) {
						break
					}
					if d := time.Until(due); d > 0 {
						time.Sleep(d)
					}
					err := call(i)
					record(time.Since(due), err)
				}
				lat[i] = samples
				return
			}
			// One clock read per call: a call's end starts the next (the
			// load generator's own cost is what limits a one-core client).
			for t0 := time.Now(); t0.Before(stop); {
				err := call(i)
				t1 := time.Now()
				record(t1.Sub(t0), err)
				t0 = t1
			}
			lat[i] = samples
		}(i)
	}
	for i := 0; i < conc; i++ {
		<-warm
	}
	start = time.Now()
	stop = start.Add(dur)
	close(goCh)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	report(done, start, progress, func() (int64, int64) { return calls.Load(), errs.Load() })
	r := load{calls: calls.Load(), errs: errs.Load(), elapsed: time.Since(start)}
	for _, s := range lat {
		r.lat = append(r.lat, s...)
	}
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	if e := firstErr.Load(); e != nil {
		r.firstErr = *e
	}
	return r
}

// report prints a progress line to progress (nil for none) each second
// until done is closed; counts gives the calls and errors so far.
func report(done <-chan struct{}, start time.Time, progress io.Writer, counts func() (calls, errs int64)) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last int64
	for {
		select {
		case <-done:
			return
		case t := <-tick.C:
			if progress != nil {
				n, errs := counts()
				fmt.Fprintf(progress, "bench: %4.0fs calls=%d qps=%d errors=%d\n", t.Sub(start).Seconds(), n, n-last, errs)
				last = n
			}
		}
	}
}

// pct returns the p-th percentile latency in microseconds.
func (r load) pct(p float64) int64 {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat))*p/100+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(r.lat) {
		i = len(r.lat) - 1
	}
	return r.lat[i].Microseconds()
}

// report prints the human-readable table, any extra lines, and last the
// machine-readable line.
func (r load) report(stdout, stderr io.Writer, title string, extra ...string) {
	fmt.Fprintf(stdout, "%s duration=%s\n", title, r.elapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  %-8s %10s\n  %-8s %10d\n  %-8s %10d\n  %-8s %10d\n  %-8s %10d\n",
		"", "latency µs", "p50", r.pct(50), "p90", r.pct(90), "p99", r.pct(99), "p99.9", r.pct(99.9))
	for _, e := range extra {
		fmt.Fprintf(stdout, "  %s\n", e)
	}
	if r.firstErr != nil {
		fmt.Fprintf(stderr, "bench: first error: %v\n", r.firstErr)
	}
	var max int64
	if len(r.lat) > 0 {
		max = r.lat[len(r.lat)-1].Microseconds()
	}
	fmt.Fprintf(stdout, "qps=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d calls=%d\n",
		int64(float64(r.calls)/r.elapsed.Seconds()), r.pct(50), r.pct(90), r.pct(99), r.pct(99.9), max, r.errs, r.calls)
}
