package stats_test

import (
	"context"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/demo"
	"ringside/providers/stats"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// agentStep is something the test's agent does to a call at a time.
type agentStep struct {
	at     time.Time
	id     string
	action providers.Action
}

// demoRun drives the demo provider on a fake clock: its Run goes as in the
// console, the clock moves a second or two at a time, and an agent answers,
// rejects, redirects, holds, transfers and hangs up some calls. After each
// move a barrier (a Recheck of a call the simulation does not know, which
// returns once Run has sent everything due) makes sure every event due by
// the clock has been received.
type demoRun struct {
	t      *testing.T
	clock  *fakeClock
	p      *demo.Provider
	sink   chan providers.Event
	ctx    context.Context
	r      *rand.Rand
	plan   []agentStep
	moves  sync.WaitGroup // transfers and redirects under way (they return once done)
	seen   map[string]bool
	step   int
	events int
}

// barrier waits until Run has sent every event due at the clock's time,
// handing each to feed.
func (d *demoRun) barrier(feed func(providers.Event)) {
	d.step++
	marker := providers.Call{ID: "barrier-" + itoa(d.step), Provider: demo.Name, State: providers.StateRinging,
		Direction: providers.Outgoing, Version: 1}
	done := make(chan error, 1)
	go func() { done <- d.p.Recheck(d.ctx, []providers.Call{marker}) }()
	for {
		select {
		case ev := <-d.sink:
			feed(ev)
			if ev.Call != nil && ev.Call.ID == marker.ID {
				if err := <-done; err != nil {
					d.t.Fatalf("barrier: %v", err)
				}
				return
			}
		case err := <-done:
			if err != nil {
				d.t.Fatalf("barrier: %v", err)
			}
			done <- nil // sent: the marker is on its way
		case <-time.After(30 * time.Second):
			d.t.Fatal("the simulation sent nothing for 30 s")
		}
	}
}

// plans what the agent will do about a call it sees for the first time.
func (d *demoRun) plans(c *providers.Call, now time.Time) {
	if d.seen[c.ID] || c.Direction != providers.Incoming {
		return
	}
	d.seen[c.ID] = true
	if c.State != providers.StateRinging {
		return
	}
	after := func(most time.Duration) time.Time { return now.Add(time.Duration(d.r.Int64N(int64(most)))) }
	switch k := d.r.IntN(100); {
	case k < 50:
		answer := after(40 * time.Second) // within the threshold or past it
		d.plan = append(d.plan, agentStep{answer, c.ID, providers.ActionAnswer})
		talk := answer.Add(time.Duration(5+d.r.IntN(300)) * time.Second)
		switch d.r.IntN(4) {
		case 0:
			d.plan = append(d.plan, agentStep{talk, c.ID, providers.ActionHangup})
		case 1:
			d.plan = append(d.plan, agentStep{talk, c.ID, providers.ActionTransfer})
		case 2:
			d.plan = append(d.plan, agentStep{talk, c.ID, providers.ActionHold})
		}
	case k < 60:
		d.plan = append(d.plan, agentStep{after(20 * time.Second), c.ID, providers.ActionReject})
	case k < 68:
		d.plan = append(d.plan, agentStep{after(30 * time.Second), c.ID, providers.ActionRedirect})
	}
	// The rest ring out, or their callers give up, or another agent takes them.
}

// act does what is due by now. Errors are expected: a caller may have hung
// up before the agent got there.
func (d *demoRun) act(now time.Time) {
	sort.Slice(d.plan, func(i, j int) bool { return d.plan[i].at.Before(d.plan[j].at) })
	n := 0
	for n < len(d.plan) && !d.plan[n].at.After(now) {
		s := d.plan[n]
		n++
		to := providers.Target{Name: "Colleague", Phone: "+14255550100"}
		switch s.action {
		case providers.ActionAnswer:
			_ = d.p.Answer(d.ctx, s.id)
		case providers.ActionReject:
			_ = d.p.Reject(d.ctx, s.id, providers.ReasonBusy)
		case providers.ActionHangup:
			_ = d.p.Hangup(d.ctx, s.id)
		case providers.ActionHold:
			_ = d.p.Hold(d.ctx, s.id)
		case providers.ActionTransfer, providers.ActionRedirect:
			// They return once the move is done, which takes the clock.
			d.moves.Add(1)
			go func() {
				defer d.moves.Done()
				if s.action == providers.ActionTransfer {
					_ = d.p.Transfer(d.ctx, s.id, to)
				} else {
					_ = d.p.Redirect(d.ctx, s.id, to)
				}
			}()
		}
	}
	d.plan = d.plan[n:]
}

// TestDemoMatchesRecount runs the simulator at a high rate for hours of its
// clock, several seeds, and at checkpoints throughout compares the Counter
// fed its events with a recount from the latest snapshot of each call.
func TestDemoMatchesRecount(t *testing.T) {
	hours := 3 * time.Hour // the 20-minute window passes nine times over
	if testing.Short() {
		hours = 40 * time.Minute
	}
	for _, seed := range []int64{3, 42, 2026} {
		t.Run("seed "+itoa(int(seed)), func(t *testing.T) { runDemo(t, seed, hours) })
	}
}

func runDemo(t *testing.T, seed int64, length time.Duration) {
	start := time.Date(2026, 3, 2, 8, 59, 41, 250_000_000, time.UTC)
	clock := &fakeClock{t: start}
	p, err := demo.New(demo.Config{Rate: 120, Seed: seed, Calls: 30},
		providers.Options{Now: clock.Now, AnswerWindow: 45 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sink := make(chan providers.Event, 64)
	ran := make(chan error, 1)
	go func() { ran <- p.Run(ctx, sink) }()
	d := &demoRun{t: t, clock: clock, p: p, sink: sink, ctx: ctx, seen: map[string]bool{},
		r: rand.New(rand.NewPCG(uint64(seed), 7))}
	defer func() {
		cancel()
		for {
			select {
			case <-sink: // let Run and the moves finish
				continue
			case err := <-ran:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			}
			break
		}
		d.moves.Wait()
	}()

	// The console starts now: the calls already under way count now only.
	cfg := stats.Config{Window: 20 * time.Minute, Threshold: 20 * time.Second, Target: 0.8,
		Grace: 5 * time.Second, Since: start, MaxCalls: 1 << 20}
	c := stats.New(cfg)
	calls := latest{}
	var offered, answered, overdue, dropped int
	feed := func(ev providers.Event) {
		if ev.Call == nil {
			return
		}
		d.events++
		c.Apply(*ev.Call)
		calls.apply(*ev.Call)
		d.plans(ev.Call, clock.Now())
	}

	// The calls under way come first, then the live status: Run is going.
	for live := false; !live; {
		select {
		case ev := <-sink:
			feed(ev)
			live = ev.Status != nil && ev.Status.Link == providers.LinkLive
		case <-time.After(30 * time.Second):
			t.Fatal("the simulation never went live")
		}
	}
	nextCheck := start.Add(37 * time.Second)
	checks := 0
	var prevTotal stats.Queue
	for clock.Now().Sub(start) < length {
		clock.Add(time.Duration(200+d.r.IntN(4800)) * time.Millisecond)
		now := clock.Now()
		d.act(now)
		d.barrier(feed)
		if now.Before(nextCheck) {
			continue
		}
		nextCheck = now.Add(time.Duration(40+d.r.IntN(120)) * time.Second)
		checks++
		got, want := c.Snapshot(now), recount(cfg, calls, now)
		if msg := diff(got, want); msg != "" {
			t.Fatalf("seed %d at %v (check %d, %d events): %s", seed, now, checks, d.events, msg)
		}
		tot := got.Total
		offered, answered = max(offered, tot.Offered), max(answered, tot.Answered)
		overdue = max(overdue, tot.SLCounted-tot.Answered-tot.Rejected-(tot.Abandoned-tot.ShortAbandoned))
		if tot.Offered < prevTotal.Offered {
			dropped++ // minutes left the window
		}
		prevTotal = tot
	}
	// The run must have been worth comparing: many calls, all outcomes,
	// calls past the threshold while ringing, and minutes dropping off.
	if checks < 20 || offered < 500 || answered < 50 || overdue == 0 || dropped == 0 {
		t.Fatalf("too little happened to prove anything: %d checks, at most %d offered, %d answered, %d ringing past the threshold, %d drops",
			checks, offered, answered, overdue, dropped)
	}
	if n := c.Remembered(); n > len(calls)/2 {
		t.Fatalf("remembers %d of %d calls: ended calls are not forgotten", n, len(calls))
	}
	t.Logf("seed %d: %d events, %d calls, %d checks; in the window at most %d offered, %d answered, %d ringing past the threshold; %d remembered at the end",
		seed, d.events, len(calls), checks, offered, answered, overdue, c.Remembered())
}
