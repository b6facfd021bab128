package ui

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/theme"
)

// inQueue puts c in queue q.
func inQueue(c providers.Call, q string) providers.Call {
	c.Queue = q
	return c
}

// queuesScene is a morning on four queues, fixed in time (t0 is 12:00):
//
//   - Sales: three callers waiting (5 s, 12 s, 47 s: past the 20 s
//     threshold), two talking (answered in 8 s and 30 s), one handled (in
//     10 s) and one who gave up after 40 s. Service level 2 of 5: 40 %, under
//     the 80 % target.
//   - Support: one waiting 3 s, one on hold, four handled within 15 s: 100 %.
//   - Billing: one talking, one rejected, one answered and transferred.
//   - no queue (direct): one ringing, one misdial that hung up after 3 s.
//
// Arrivals are spread over the last 50 minutes, so the sparklines have a
// shape.
func queuesScene(hs *harness) {
	hs.status(providers.Status{Link: providers.LinkLive, Detail: "simulated, seed 7"})
	ago := func(d time.Duration) time.Time { return t0.Add(-d) }
	handled := func(c providers.Call, speed, talk time.Duration) providers.Call {
		c = answered(c, c.Arrived.Add(speed))
		return ended(c, c.Answered.Add(talk), providers.EndReason{Code: 200, Text: "hung up by the caller"}, providers.OutcomeHandled)
	}
	var calls []providers.Call
	add := func(q string, cs ...providers.Call) {
		for _, c := range cs {
			calls = append(calls, inQueue(c, q))
		}
	}
	add("Sales",
		ringing("s-wait1", "Ana Ribeiro", ago(5*time.Second)),
		ringing("s-wait2", "Ethan Brooks", ago(12*time.Second)),
		ringing("s-wait3", "Lena Fischer", ago(47*time.Second)),
		answered(ringing("s-talk1", "James Carter", ago(3*time.Minute)), ago(3*time.Minute-8*time.Second)),
		answered(ringing("s-talk2", "Pieter de Vries", ago(9*time.Minute)), ago(9*time.Minute-30*time.Second)),
		handled(ringing("s-done", "Marta Kowalska", ago(31*time.Minute)), 10*time.Second, 4*time.Minute),
		ended(ringing("s-gone", "Arjun Sharma", ago(22*time.Minute)), ago(22*time.Minute-40*time.Second),
			providers.EndReason{Code: 487, Text: "the caller hung up"}, providers.OutcomeMissed),
	)
	held := answered(ringing("p-held", "Olu Okafor", ago(14*time.Minute)), ago(14*time.Minute-6*time.Second))
	held = next(held, func(c *providers.Call) { c.State = providers.StateHeld })
	add("Support",
		ringing("p-wait", "Zoë Martin", ago(3*time.Second)),
		held,
		handled(ringing("p-done1", "Mikko Virtanen", ago(48*time.Minute)), 5*time.Second, 2*time.Minute),
		handled(ringing("p-done2", "Carol Díaz", ago(41*time.Minute)), 12*time.Second, 6*time.Minute),
		handled(ringing("p-done3", "Dan Wu", ago(40*time.Minute)), 15*time.Second, 3*time.Minute),
		handled(ringing("p-done4", "山田 太郎", ago(17*time.Minute)), 3*time.Second, 90*time.Second),
	)
	xfer := answered(ringing("b-xfer", "Fay Grant", ago(26*time.Minute)), ago(26*time.Minute-9*time.Second))
	xfer = ended(xfer, ago(24*time.Minute), providers.EndReason{Code: 0, Subcode: 7015, Text: "Transferred to Sales desk"}, providers.OutcomeTransferred)
	add("Billing",
		answered(ringing("b-talk", "Gus Grant", ago(6*time.Minute)), ago(6*time.Minute-14*time.Second)),
		ended(ringing("b-rej", "Hana Novak", ago(35*time.Minute)), ago(35*time.Minute-4*time.Second),
			providers.EndReason{Code: 486, Text: "Rejected from the console: busy"}, providers.OutcomeRejected),
		xfer,
	)
	add("",
		ringing("d-wait", "+44 20 7946 0018", ago(2*time.Second)),
		ended(ringing("d-misdial", "+33 6 39 98 71 89", ago(12*time.Minute)), ago(12*time.Minute-3*time.Second),
			providers.EndReason{Code: 487, Text: "the caller hung up"}, providers.OutcomeMissed),
	)
	hs.events(calls...)
}

func TestQueuesScratch(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	for _, sz := range [][2]int{{80, 24}, {120, 35}, {200, 50}} {
		hs := newHarness(t, sz[0], sz[1], func(c *Config) { c.View = ViewQueues; c.Theme = theme.Mono })
		queuesScene(hs)
		fmt.Println(hs.screen())
		fmt.Println(strings.Repeat("=", sz[0]))
	}
}
