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
// near Floor once the live heap is bigger than that, never under Percent
// of it, and never under what the program allocates in Gap:
//
//	growth = min(live, max(Floor, live × Percent/100, allocation rate × Gap))
//
// so that the memory a call costs stays close to what it holds, whatever
// the number of calls, a collection's work (which grows with the live heap)
// is paid for by at least Floor bytes of allocation, and a burst is not
// collected many times a second.
//
// The growth is set again after every collection, from the live heap that
// collection found (runtime/metrics /gc/heap/live:bytes) and the bytes
// allocated since the one before (/gc/heap/allocs:bytes), through
// debug.SetGCPercent. An operator who sets GOGC or GOMEMLIMIT has chosen a
// policy of their own: Start leaves the runtime alone then.

package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
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
	// Gap is the least time between collections at the rate the program
	// allocated since the last one: the growth is never less than what it
	// allocates in Gap. A burst (a webhook flooded with notifications, a
	// board loading) is not collected many times a second for the sake of
	// a few megabytes; once it ends, the next collection comes back to
	// Floor. Zero: no such bound.
	Gap time.Duration
}

// gcPaceDefault is the program's policy: the runtime's default pacing while
// the live heap is under 1 MB, then 1 MB of growth, down to a tenth of the
// live heap from 10 MB on (a console of about 10,000 calls), and never less
// than a quarter of a second's allocation.
//
// The growth of 1 MB (it was 4 MB) is for consoles of some thousands of
// calls: at 10,000 calls 4 MB let the heap grow by 40% between
// collections, some 400 bytes a call of resident memory. A console that
// holds still allocates little (a frame per gathering of events), so it
// collects about twice a second there. The quarter of a second is for
// bursts: a webhook taking 15,000 notifications a second allocates some
// 50 MB a second on a heap of 2 to 10 MB, and paced at a fixed growth it
// collected several times as often as the runtime's default would (and
// gave pages back to the system between bursts, to fault them in again),
// some 5 µs of CPU a notification; loading 100,000 calls took 4.3 s of CPU
// instead of 1.7 s. BenchmarkMemoryPerCall and BenchmarkWebhookOutOfProcess
// show what the policy saves and what it costs.
var gcPaceDefault = gcPolicy{Floor: 1 << 20, Percent: 10, Gap: 250 * time.Millisecond}

// PercentFor is the GOGC value p gives a live heap of live bytes when the
// program allocated at rate bytes a second since the last collection: the
// growth that is the largest of Floor, Percent of live and what is
// allocated in Gap, as a share of live, and never more than 100.
func (p gcPolicy) PercentFor(live, rate uint64) int {
	if live == 0 {
		return 100
	}
	growth := max(p.Floor, live*uint64(p.Percent)/100, uint64(float64(rate)*p.Gap.Seconds()))
	if growth >= live {
		return 100
	}
	return max(int(growth*100/live), p.Percent)
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
	cycle   uint64     // collections paced so far
	at      time.Time  // the last look: a collection's cleanup or a recheck
	allocs  uint64     // the bytes allocated since the start, then
}

// Start applies p from the next collection on, unless getenv shows GOGC or
// GOMEMLIMIT set (nil is returned then). Stop undoes it.
func startGCPace(p gcPolicy, getenv func(string) string) *gcPacer {
	if gcPaceChosen(getenv) {
		return nil
	}
	pc := &gcPacer{policy: p, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/allocs:bytes"}}}
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
	pc.cycle++
	pc.pace()
	pc.mu.Unlock()
	pc.arm()
}

// recheck runs a while after a pacing that the allocation rate set, if no
// collection has come since. A program that has gone quiet after a burst
// may not collect again for minutes, and would hold the heap the burst was
// allowed all that time: the pacing is set again from the rate since the
// last look, and the collection a lower one brings comes at once.
func (pc *gcPacer) recheck(cycle uint64) {
	if pc.stopped.Load() {
		return
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if cycle == pc.cycle { // else a collection has come and paced afresh
		pc.pace()
	}
}

// recheckAfter is how long after a pacing the allocation rate set it is
// looked at again, in Gaps.
const recheckAfter = 4

// pace sets the pacing from the live heap the last collection left and the
// rate of allocation since the last look (a collection or a recheck), and
// arms a recheck while that rate is what sets it. pc.mu is held.
func (pc *gcPacer) pace() {
	metrics.Read(pc.sample)
	live, allocs := sampleUint(pc.sample[0]), sampleUint(pc.sample[1])
	now := time.Now()
	rate := uint64(0)
	if !pc.at.IsZero() && allocs > pc.allocs {
		if d := now.Sub(pc.at); d > 0 {
			rate = uint64(float64(allocs-pc.allocs) / d.Seconds())
		}
	}
	pc.at, pc.allocs = now, allocs
	pct := pc.policy.PercentFor(live, rate)
	if pct != pc.set && !pc.stopped.Load() {
		debug.SetGCPercent(pct)
		pc.set = pct
	}
	if pc.policy.Gap > 0 && pct > pc.policy.PercentFor(live, 0) {
		cycle := pc.cycle
		time.AfterFunc(recheckAfter*pc.policy.Gap, func() { pc.recheck(cycle) })
	}
}

// sampleUint is s's value, or 0 when the runtime does not have it.
func sampleUint(s metrics.Sample) uint64 {
	if s.Value.Kind() == metrics.KindUint64 {
		return s.Value.Uint64()
	}
	return 0
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
