package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercentFor(t *testing.T) {
	p := gcPolicy{Floor: 16 << 20, Percent: 20}
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 100},
		{1 << 20, 100},
		{16 << 20, 100}, // growth = Floor = live
		{32 << 20, 50},  // Floor is half of live
		{64 << 20, 25},  // a quarter
		{80 << 20, 20},  // a fifth: Percent
		{800 << 20, 20}, // never under Percent
		{1 << 40, 20},   // nor for a heap far bigger
		{17 << 20, 94},  // just over Floor
		{(16 << 20) + 1, 99},
	} {
		if got := p.PercentFor(c.live, 0); got != c.want {
			t.Errorf("PercentFor(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

// A burst is not collected more often than Gap: the growth is at least
// what the program allocates in Gap, back to Floor once the burst is over.
func TestPercentForRate(t *testing.T) {
	p := gcPolicy{Floor: 2 << 20, Percent: 10, Gap: 100 * time.Millisecond}
	for _, c := range []struct {
		live, rate uint64
		want       int
	}{
		{10 << 20, 0, 20},          // quiet: Floor
		{10 << 20, 10 << 20, 20},   // 1 MB in Gap: Floor still
		{10 << 20, 50 << 20, 50},   // 5 MB in Gap
		{10 << 20, 200 << 20, 100}, // never looser than the runtime's default
		{100 << 20, 50 << 20, 10},  // Percent: a tenth of a big heap is more
	} {
		if got := p.PercentFor(c.live, c.rate); got != c.want {
			t.Errorf("PercentFor(%d MB, %d MB/s) = %d, want %d", c.live>>20, c.rate>>20, got, c.want)
		}
	}
}

func TestChosen(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"GOGC": "50"}, true},
		{map[string]string{"GOGC": "off"}, true},
		{map[string]string{"GOMEMLIMIT": "1GiB"}, true},
		{map[string]string{"GODEBUG": "gctrace=1"}, false},
	} {
		if got := gcPaceChosen(env(c.env)); got != c.want {
			t.Errorf("gcPaceChosen(%v) = %v, want %v", c.env, got, c.want)
		}
	}
}

// gogc is the runtime's GOGC value now.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// waitGOGC collects until the pacing is within [lo, hi], or fails at a
// deadline: the pacing is set after a collection, on the runtime's cleanup
// goroutine.
func waitGOGC(t *testing.T, lo, hi int, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for g := gogc(); g < lo || g > hi; g = gogc() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: GOGC is %d, want %d to %d", what, g, lo, hi)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

var held []byte // kept live across collections

var sink []byte // where the burst's garbage goes, so that it is made

// After a burst the pacing the allocation rate loosened is tightened again
// without waiting for the next collection, which a quiet program may not
// make for minutes.
func TestPacingTightensAfterABurst(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	pc := startGCPace(gcPolicy{Floor: 1 << 20, Percent: 10, Gap: 50 * time.Millisecond}, func(string) string { return "" })
	defer pc.Stop()
	held = make([]byte, 64<<20)
	defer func() { held = nil }()
	waitGOGC(t, 10, 10, "holding 64 MB, quiet")
	// A burst: far more than the 6 MB a tenth of the heap allows, in
	// each 50 ms.
	deadline := time.Now().Add(20 * time.Second)
	for gogc() < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("in a burst GOGC is %d, want at least 50", gogc())
		}
		for range 64 {
			sink = make([]byte, 64<<10)
		}
	}
	sink = nil
	// Quiet again, and no collection asked for: the recheck tightens it.
	for g := gogc(); g != 10; g = gogc() {
		if time.Now().After(deadline) {
			t.Fatalf("after the burst GOGC is still %d, want 10", g)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The pacing follows the live heap: tightened while much is held, the
// runtime's default again once it is let go, and what it was before once
// stopped.
func TestPacingFollowsTheLiveHeap(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	pc := startGCPace(gcPolicy{Floor: 8 << 20, Percent: 20}, func(string) string { return "" })
	if pc == nil {
		t.Fatal("Start with no GOGC or GOMEMLIMIT set started nothing")
	}
	held = make([]byte, 128<<20) // 8 MB of growth is a sixteenth of it: Percent holds
	for i := 0; i < len(held); i += 4096 {
		held[i] = 1
	}
	waitGOGC(t, 20, 20, "holding 128 MB")
	held = make([]byte, 32<<20)
	// 8 MB of growth over 32 MB and what else the test holds.
	waitGOGC(t, 21, 25, "holding 32 MB")
	held = nil
	waitGOGC(t, 100, 100, "holding nothing")
	held = make([]byte, 128<<20)
	waitGOGC(t, 20, 20, "holding 128 MB again")
	pc.Stop()
	if got := gogc(); got != 100 {
		t.Fatalf("after Stop GOGC is %d, want the 100 it was", got)
	}
	held = nil
	for range 3 {
		runtime.GC() // cleanups after Stop change nothing
	}
	held = make([]byte, 128<<20)
	runtime.GC()
	runtime.GC()
	if got := gogc(); got != 100 {
		t.Fatalf("a collection after Stop set GOGC to %d", got)
	}
	held = nil
}

// An operator's GOGC or GOMEMLIMIT is theirs: Start does nothing then.
func TestStartLeavesAChosenPacingAlone(t *testing.T) {
	before := debug.SetGCPercent(70)
	defer debug.SetGCPercent(before)
	pc := startGCPace(gcPaceDefault, func(k string) string {
		if k == "GOGC" {
			return "70"
		}
		return ""
	})
	if pc != nil {
		pc.Stop()
		t.Fatal("Start with GOGC set started a pacer")
	}
	held = make([]byte, 256<<20)
	runtime.GC()
	runtime.GC()
	held = nil
	if got := gogc(); got != 70 {
		t.Fatalf("GOGC is %d, want the operator's 70", got)
	}
	pc.Stop() // a nil gcPacer stops nothing, safely
}

// The program's policy: Go's default for a small heap, then 1 MB of growth,
// a tenth of a big heap, and a quarter of a second's allocation in a burst.
func TestDefault(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{{1 << 20, 100}, {2 << 20, 50}, {4 << 20, 25}, {8 << 20, 12}, {10 << 20, 10}, {20 << 20, 10}, {40 << 20, 10}, {80 << 20, 10}, {1 << 30, 10}} {
		if got := gcPaceDefault.PercentFor(c.live, 0); got != c.want {
			t.Errorf("gcPaceDefault.PercentFor(%d MB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
	if got := gcPaceDefault.PercentFor(10<<20, 20<<20); got != 50 { // 5 MB in a quarter of a second
		t.Errorf("gcPaceDefault.PercentFor(10 MB, 20 MB/s) = %d, want 50", got)
	}
}
