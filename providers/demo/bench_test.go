package demo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/ledger"
)

// Start-up cost of --demo-calls N, against a baseline measured in the same
// run: filing N ready-made calls in a ledger.Ledger, which is the least any
// provider does to hand the console N calls. The ratio of the two is the
// price of generating a realistic population and its schedule.

var benchSizes = []int{1000, 10000, 100000}

func BenchmarkStartup(b *testing.B) {
	opts := providers.Options{Now: func() time.Time { return t0 }}
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("baseline-ledger/calls=%d", n), func(b *testing.B) {
			calls := populationCalls(b, n)
			b.ReportAllocs()
			for b.Loop() {
				l := ledger.New(Name, ledger.Config{MaxLive: n})
				for i := range calls {
					c := calls[i]
					l.Update(c.ID, func(x *providers.Call) { *x = c })
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/call")
		})
		b.Run(fmt.Sprintf("New/calls=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := New(Config{Calls: n, Seed: 1}, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/call")
		})
		// New, then Run until the console has every call and the live status.
		b.Run(fmt.Sprintf("New+Run-to-live/calls=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := New(Config{Calls: n, Seed: 1}, opts)
				if err != nil {
					b.Fatal(err)
				}
				events := make(chan providers.Event, 4096)
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); _ = p.Run(ctx, events) }()
				calls := 0
				for ev := range events {
					if ev.Call != nil {
						calls++
					}
					if ev.Status != nil && ev.Status.Link == providers.LinkLive {
						break
					}
				}
				cancel()
				<-done
				if calls != n {
					b.Fatalf("%d calls before live, want %d", calls, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/call")
		})
	}
}

// populationCalls is a population of n calls as the simulation makes it, for the
// baseline.
func populationCalls(b *testing.B, n int) []providers.Call {
	b.Helper()
	return newSim(Name, 1, 0, window, t0, n).snapshot()
}

// BenchmarkAdvance is the steady-state cost of one simulated event in a
// console holding many calls.
func BenchmarkAdvance(b *testing.B) {
	for _, n := range []int{100, 100000} {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			s := newSim(Name, 1, 600, window, t0, n)
			events := 0
			now := t0
			for b.Loop() {
				now = now.Add(100 * time.Millisecond)
				s.advance(now)
				events += len(s.flush())
			}
			if events > 0 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
			}
		})
	}
}
