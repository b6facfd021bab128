package ui

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"ringside/providers"
)

// queueCalls makes n calls on ten queues, arrived over the last hour: a
// tenth ringing (arrived in the last half minute), a third of the rest
// talking, the others ended (answered or abandoned).
func queueCalls(n int) []providers.Call {
	rng := rand.New(rand.NewPCG(9, uint64(n)))
	calls := make([]providers.Call, n)
	for i := range calls {
		id := fmt.Sprintf("call-%07d", i)
		if i%10 == 0 {
			calls[i] = inQueue(ringing(id, "Caller", t0.Add(-time.Duration(rng.IntN(30_000))*time.Millisecond)), fmt.Sprint("Queue ", i%10+rng.IntN(10)))
			continue
		}
		arrived := t0.Add(-time.Duration(rng.IntN(3600)) * time.Second)
		c := inQueue(ringing(id, "Caller", arrived), fmt.Sprint("Queue ", rng.IntN(10)))
		switch rng.IntN(3) {
		case 0:
			c = answered(c, arrived.Add(time.Duration(rng.IntN(40))*time.Second))
		case 1:
			c = answered(c, arrived.Add(time.Duration(rng.IntN(40))*time.Second))
			c = ended(c, c.Answered.Add(time.Duration(rng.IntN(300))*time.Second), providers.EndReason{Text: "done"}, providers.OutcomeHandled)
		default:
			c = ended(c, arrived.Add(time.Duration(rng.IntN(60))*time.Second), providers.EndReason{Text: "gone"}, providers.OutcomeMissed)
		}
		calls[i] = c
	}
	return calls
}

// A frame of the Queues view: one tick of the clock (the figures are read
// again: the longest waits move, calls cross the threshold) and View(), on
// a 200×50 screen with the large totals, ten queues, with 100 and with
// 100,000 calls. What it costs depends on the queues and the window's
// minutes, not on the calls.
func BenchmarkQueuesView(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		calls := queueCalls(n)
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			m, clk := benchModel(b, calls, 200, 50)
			m.Update(keyPress("tab"))
			m.Update(keyPress("tab"))
			if m.tab != tabQueues || len(m.queues.snap.Queues) != 10 {
				b.Fatalf("tab %d with %d queues", m.tab, len(m.queues.snap.Queues))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				clk.set(t0.Add(time.Duration(i) * 10 * time.Millisecond))
				m.Update(tickMsg{})
				_ = m.View()
			}
		})
	}
}
