// The program sets how much the Go heap may grow between collections
// from what the program holds, instead of the runtime's fixed GOGC=100.
//
// With GOGC=100 the heap may grow to twice what the last collection found
// live before the next one runs, and the resident set follows it: a console
// holding a hundred thousand calls (about 80 MB live) would sit near 160 MB
// for 80 MB of calls. A fixed lower GOGC would cut that, but would also make
// a program with a small heap (the usual console, a webhook taking a burst)
// collect several times as often for nothing: its heap's growth costs a few
// megabytes at most. The policy here keeps the runtime's default pacing
// while the heap is small and lets the growth between collections stay
// near Floor once the live heap is bigger than that, and never under
// Percent of it:
//
//	growth = min(live, max(Floor, live × Percent/100))
//
// so that the memory a call costs stays close to what it holds, whatever
// the number of calls, and a collection's work (which grows with the live
// heap) is paid for by at least Floor bytes of allocation.
//
// The growth is set again after every collection, from the live heap that
// collection found (runtime/metrics /gc/heap/live:bytes), through
// debug.SetGCPercent. An operator who sets GOGC or GOMEMLIMIT has chosen a
// policy of their own: Start leaves the runtime alone then.

package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// gcPolicy is how much the heap may grow between collections.
type gcPolicy struct {
	// Floor is the growth allowed whatever the live heap, in bytes, as
	// long as it is no more than the live heap (GOGC=100, the runtime's
	// default, never loosened).
	Floor uint64
	// Percent is the least growth as a share of the live heap, once
	// Floor is less than that share.
	Percent int
}

// gcPaceDefault is the program's policy: the runtime's default pacing while the
// live heap is under 2 MB, then 2 MB of growth, down to a tenth of the live
// heap from 20 MB on (a console of about 20,000 calls). The floor was 4 MB;
// at 10,000 calls (about 10 MB live) that let the heap grow by 40% between
// collections, some 400 bytes a call of resident memory. At 2 MB an empty
// console (about 2.5 MB live) is still paced close to the runtime's default,
// and a console of 10,000 calls collects about once every few hundred
// milliseconds, a few milliseconds of marking each: a frame now allocates
// little more than its own text. A floor of 1 MB saved only another 35 bytes
// a call there for half again the collections. BenchmarkMemoryPerCall shows
// what the policy saves and what it costs.
var gcPaceDefault = gcPolicy{Floor: 2 << 20, Percent: 10}

// PercentFor is the GOGC value p gives a live heap of live bytes: 100 up to
// Floor, Floor as a share of live beyond, and never under Percent.
func (p gcPolicy) PercentFor(live uint64) int {
	if live <= p.Floor || live == 0 {
		return 100
	}
	pct := int(p.Floor * 100 / live)
	return min(max(pct, p.Percent), 100)
}

// Chosen reports whether the environment sets the collector's pacing
// (GOGC or GOMEMLIMIT, as the runtime reads them at start).
func gcPaceChosen(getenv func(string) string) bool {
	return getenv("GOGC") != "" || getenv("GOMEMLIMIT") != ""
}

// gcPacer applies a gcPolicy after every collection until stopped.
type gcPacer struct {
	policy  gcPolicy
	stopped atomic.Bool
	sample  []metrics.Sample
	mu      sync.Mutex // the cleanups run one at a time; Stop and Set may run beside them
	set     int        // the GOGC value last set; 0 before the first
	before  int        // the GOGC value the runtime had before Start
}

// Start applies p from the next collection on, unless getenv shows GOGC or
// GOMEMLIMIT set (nil is returned then). Stop undoes it.
func startGCPace(p gcPolicy, getenv func(string) string) *gcPacer {
	if gcPaceChosen(getenv) {
		return nil
	}
	pc := &gcPacer{policy: p, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	pc.before = debug.SetGCPercent(100)
	debug.SetGCPercent(pc.before)
	pc.arm()
	return pc
}

// sentinel is an object that nothing refers to, so that the first
// collection after it is made finds it dead and runs its cleanup. It is
// bigger than the runtime's tiny blocks (16 bytes), which share one
// allocation with their neighbours and may outlive them.
type sentinel struct {
	_ [64]byte
	_ *byte // a pointer: never in a tiny block
}

// arm makes a sentinel whose cleanup runs after the next collection.
func (pc *gcPacer) arm() {
	runtime.AddCleanup(new(sentinel), func(pc *gcPacer) { pc.collected() }, pc)
}

// collected runs after each collection: it sets the pacing for the live
// heap that collection left, then arms the next sentinel.
func (pc *gcPacer) collected() {
	if pc.stopped.Load() {
		return
	}
	pc.mu.Lock()
	metrics.Read(pc.sample)
	live := uint64(0)
	if pc.sample[0].Value.Kind() == metrics.KindUint64 {
		live = pc.sample[0].Value.Uint64()
	}
	if pct := pc.policy.PercentFor(live); pct != pc.set && !pc.stopped.Load() {
		debug.SetGCPercent(pct)
		pc.set = pct
	}
	pc.mu.Unlock()
	pc.arm()
}

// Stop ends the policy and gives the runtime back the pacing it had before
// Start. A nil gcPacer (none started) does nothing.
func (pc *gcPacer) Stop() {
	if pc == nil {
		return
	}
	pc.stopped.Store(true)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	debug.SetGCPercent(pc.before)
}
