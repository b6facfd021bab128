package stats_test

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/stats"
)

// lifecycleStream is the snapshots of calls calls arriving five a second
// over queues queues, each a realistic life (ringing, perhaps a change while
// it rings, connecting, active, perhaps held and back, ended; or ringing,
// then given up, rejected or redirected), in the order they happen.
func lifecycleStream(calls, queues int, seed uint64) []providers.Call {
	r := rand.New(rand.NewPCG(seed, 11))
	names := make([]string, queues)
	for i := range names {
		names[i] = "Queue " + itoa(i)
	}
	type timed struct {
		at time.Time
		c  providers.Call
	}
	var out []timed
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for i := range calls {
		at = at.Add(time.Duration(r.ExpFloat64() * float64(200*time.Millisecond)))
		c := providers.Call{ID: "bench-call-" + itoa(i), Provider: "demo", State: providers.StateRinging,
			Direction: providers.Incoming, Queue: names[r.IntN(queues)], Arrived: at,
			AnswerBy: at.Add(15 * time.Second), Caps: providers.Caps(providers.ActionAnswer, providers.ActionReject), Version: 1}
		t := at
		emit := func(after time.Duration) {
			t = t.Add(after)
			out = append(out, timed{t, c})
			c.Version++
		}
		emit(0)
		rings := time.Duration(r.Int64N(int64(30 * time.Second)))
		if r.IntN(3) == 0 {
			c.Caps = providers.Caps(providers.ActionAnswer)
			emit(rings / 2)
		}
		if r.IntN(3) > 0 {
			c.State, c.Answered = providers.StateConnecting, t.Add(rings)
			emit(rings)
			c.State = providers.StateActive
			emit(time.Second)
			if r.IntN(4) == 0 {
				c.State = providers.StateHeld
				emit(time.Minute)
				c.State = providers.StateActive
				emit(time.Minute)
			}
			c.State, c.Ended = providers.StateEnded, t.Add(time.Duration(r.Int64N(int64(10*time.Minute))))
			emit(c.Ended.Sub(t))
			continue
		}
		c.State, c.Ended = providers.StateEnded, t.Add(rings)
		c.Outcome = []providers.Outcome{providers.OutcomeMissed, providers.OutcomeRejected, providers.OutcomeTransferred}[r.IntN(3)]
		emit(rings)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	stream := make([]providers.Call, len(out))
	for i, e := range out {
		stream[i] = e.c
	}
	return stream
}

// replay hands out a stream of snapshots pass after pass, as one long run:
// each pass gives its calls fresh ids (each snapshot its own copy, as
// decoded from a wire) and moves their times on by the length of a pass. The work between passes is done with the timer stopped.
type replay struct {
	stream []providers.Call
	callOf []int // the index of each snapshot's call
	span   time.Duration
	pass   int
	next   int
	// handles is a caller's Handle for each call of the pass, by its
	// number (as the console's rows keep them); a new pass's calls start
	// with none.
	handles []stats.Handle
}

func newReplay(calls, queues int) *replay {
	stream := lifecycleStream(calls, queues, 1)
	r := &replay{stream: stream, callOf: make([]int, len(stream))}
	first, last := stream[0].Arrived, stream[0].Arrived
	for i, c := range stream {
		r.callOf[i] = atoiSuffix(c.ID)
		last = maxTime(last, c.Arrived, c.Answered, c.Ended)
	}
	r.span = last.Sub(first).Truncate(time.Minute) + time.Minute
	r.handles = make([]stats.Handle, calls)
	return r
}

// call is the next snapshot; b's timer stops while a new pass is made.
func (r *replay) call(b *testing.B) *providers.Call {
	if r.next == len(r.stream) {
		r.newPass(b)
	}
	r.next++
	return &r.stream[r.next-1]
}

// batch is the next size snapshots at most, as pointers into the stream
// (as a store hands its batch on), and the number of each one's call in the
// pass. A batch ends with its pass: the next pass rewrites the stream in
// place.
func (r *replay) batch(b *testing.B, into []*providers.Call, size int) ([]*providers.Call, []int) {
	if r.next == len(r.stream) {
		r.newPass(b)
	}
	end := min(r.next+size, len(r.stream))
	into = into[:0]
	for i := r.next; i < end; i++ {
		into = append(into, &r.stream[i])
	}
	callOf := r.callOf[r.next:end]
	r.next = end
	return into, callOf
}

// newPass makes the next pass of the stream, b's timer stopped.
func (r *replay) newPass(b *testing.B) {
	b.StopTimer()
	r.pass++
	prefix := "p" + itoa(r.pass) + "-call-"
	for i := range r.stream {
		c := &r.stream[i]
		// A string of its own for each snapshot, as a decoder makes.
		c.ID = prefix + itoa(r.callOf[i])
		c.Arrived, c.AnswerBy = c.Arrived.Add(r.span), c.AnswerBy.Add(r.span)
		if !c.Answered.IsZero() {
			c.Answered = c.Answered.Add(r.span)
		}
		if !c.Ended.IsZero() {
			c.Ended = c.Ended.Add(r.span)
		}
	}
	r.next = 0
	clear(r.handles)
	b.StartTimer()
}

func atoiSuffix(id string) int {
	n := 0
	for i := len(id) - 1; i >= 0 && id[i] >= '0' && id[i] <= '9'; i-- {
		n = 0
		for _, d := range id[i:] {
			n = n*10 + int(d-'0')
		}
	}
	return n
}

func maxTime(t time.Time, more ...time.Time) time.Time {
	for _, m := range more {
		if m.After(t) {
			t = m
		}
	}
	return t
}

// copied keeps copy-baseline's copies from being optimised away.
var copied providers.Call

// BenchmarkApply is the cost of one snapshot (ns/op) in a steady run of
// calls arriving five a second on 50 queues, each a realistic life, against
// two baselines fed the same snapshots: copy-baseline only takes each
// snapshot (a 330-byte copy from a stream too big for the caches, which
// Apply, taking a Call by value, pays too), and map-baseline keeps the live
// calls' latest snapshots in a plain map with the same version check (an
// ended call leaves it), the least any consumer of the events does.
func BenchmarkApply(b *testing.B) {
	b.Run("counter", func(b *testing.B) {
		r := newReplay(20_000, 50)
		c := stats.New(stats.Config{})
		b.ResetTimer()
		for b.Loop() {
			c.Apply(*r.call(b))
		}
	})
	// The same as counter, side by side with map-baseline (see sideBySide),
	// in turns of 100 snapshots.
	b.Run("vs-map", func(b *testing.B) {
		c := stats.New(stats.Config{})
		sideBySide(b, 100, func(_ *replay, calls []*providers.Call, _ []int) {
			for _, call := range calls {
				c.Apply(*call)
			}
		})
	})
	b.Run("copy-baseline", func(b *testing.B) {
		r := newReplay(20_000, 50)
		b.ResetTimer()
		for b.Loop() {
			copied = *r.call(b)
		}
	})
	b.Run("map-baseline", func(b *testing.B) {
		r := newReplay(20_000, 50)
		m := map[string]providers.Call{}
		b.ResetTimer()
		for b.Loop() {
			plainMap(m, r.call(b))
		}
	})
}

// plainMap is the baseline: a map of the live calls by id, a newer
// snapshot replacing the one it holds and an ended call leaving it.
func plainMap(m map[string]providers.Call, c *providers.Call) {
	old, ok := m[c.ID]
	switch {
	case ok && c.Version <= old.Version:
	case c.State == providers.StateEnded:
		delete(m, c.ID)
	default:
		m[c.ID] = *c
	}
}

// BenchmarkApplyAll is the cost of one snapshot on the console's path: the
// snapshots of BenchmarkApply in batches, handed on as pointers with the
// Handle the caller keeps for each call (ApplyAll, the handles gathered and
// put back as ui's queuesView does). A batch of 100 is what a busy minute
// brings between two frames; one of 10,000 (ui's BenchmarkApplyBatch) spans
// more than half an hour of this stream, so most calls ring, are answered
// and end within one batch, where only their first snapshot has a handle
// (none). See sideBySide for the figures.
func BenchmarkApplyAll(b *testing.B) {
	for _, size := range []int{100, 10_000} {
		b.Run("batch="+itoa(size), func(b *testing.B) {
			c := stats.New(stats.Config{})
			var hs []stats.Handle
			sideBySide(b, size, func(r *replay, calls []*providers.Call, callOf []int) {
				hs = hs[:0]
				for _, n := range callOf {
					hs = append(hs, r.handles[n])
				}
				c.ApplyAll(hs, calls)
				for i, n := range callOf {
					r.handles[n] = hs[i]
				}
			})
		})
	}
}

// sideBySide feeds the snapshots of a replay in batches of size to apply and
// to the plain map of map-baseline (BenchmarkApply), taking turns at going
// first, and reports the time of each per snapshot (ns/event, map-ns/event)
// and their ratio (x-map): measured over the same moments, the ratio holds
// however busy the machine is.
func sideBySide(b *testing.B, size int, apply func(r *replay, calls []*providers.Call, callOf []int)) {
	r := newReplay(20_000, 50)
	m := map[string]providers.Call{}
	plain := func(calls []*providers.Call) {
		for _, c := range calls {
			plainMap(m, c)
		}
	}
	var calls []*providers.Call
	var counter, baseline time.Duration
	events, turn := 0, false
	b.ResetTimer()
	for b.Loop() {
		var callOf []int
		calls, callOf = r.batch(b, calls, size)
		turn = !turn
		if turn {
			counter += timed(func() { apply(r, calls, callOf) })
			baseline += timed(func() { plain(calls) })
		} else {
			baseline += timed(func() { plain(calls) })
			counter += timed(func() { apply(r, calls, callOf) })
		}
		events += len(calls)
	}
	b.ReportMetric(float64(counter.Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(baseline.Nanoseconds())/float64(events), "map-ns/event")
	b.ReportMetric(float64(counter)/float64(baseline), "x-map")
}

func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// BenchmarkSnapshot is the cost of the figures with 100 and 100,000 calls
// remembered on 20 queues (a third of them live): the same, since Snapshot
// goes over the window's minutes of each queue, not over the calls.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(itoa(n)+"-calls", func(b *testing.B) {
			c := stats.New(stats.Config{})
			start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			r := rand.New(rand.NewPCG(uint64(n), 3))
			for i := range n {
				at := start.Add(time.Duration(i) * 50 * time.Minute / time.Duration(n))
				k := ring("c"+itoa(i), "Queue "+itoa(r.IntN(20)), at)
				c.Apply(k.c)
				switch r.IntN(3) {
				case 0: // still ringing
				case 1:
					c.Apply(k.answer(at.Add(time.Duration(r.IntN(40)) * time.Second)))
				default:
					c.Apply(k.answer(at.Add(time.Duration(r.IntN(40)) * time.Second)))
					c.Apply(k.end(at.Add(5*time.Minute), providers.OutcomeNone))
				}
			}
			if c.Remembered() != n {
				b.Fatalf("remembers %d calls, want %d", c.Remembered(), n)
			}
			now := start.Add(50 * time.Minute)
			c.Snapshot(now) // the ringing calls cross the threshold once
			for b.Loop() {
				now = now.Add(time.Millisecond)
				if s := c.Snapshot(now); len(s.Queues) != 20 {
					b.Fatalf("%d queues", len(s.Queues))
				}
			}
		})
	}
}
