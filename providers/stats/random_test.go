package stats_test

import (
	"math/rand/v2"
	"sort"
	"testing"
	"testing/quick"
	"time"

	"ringside/providers"
	"ringside/providers/stats"
)

// delivery is a snapshot as it reaches the counter, with the time it was
// sent.
type delivery struct {
	at   time.Time
	call providers.Call
}

// scenario is a random run: a configuration and the snapshots of some
// hundreds of calls over a few hours, as a provider would send them, then
// duplicated and reordered as a network would deliver them.
type scenario struct {
	cfg       stats.Config
	start     time.Time
	sent      []delivery
	delivered []delivery
}

var testQueues = []string{"Sales", "Support", "", "Billing", "IT Helpdesk"}

// lifecycle draws one call's snapshots.
func lifecycle(r *rand.Rand, id string, arrived time.Time) []delivery {
	c := providers.Call{
		ID: id, Provider: "test", State: providers.StateRinging, Direction: providers.Incoming,
		Queue: testQueues[r.IntN(len(testQueues))], Arrived: arrived, AnswerBy: arrived.Add(time.Minute),
		Version: 1,
	}
	if r.IntN(20) == 0 {
		c.Direction = providers.Outgoing
	}
	at := arrived
	if r.IntN(50) == 0 {
		c.Arrived = time.Time{} // a provider that did not say
	}
	var out []delivery
	emit := func(after time.Duration) {
		at = at.Add(after)
		out = append(out, delivery{at: at, call: c})
		c.Version += uint64(1 + r.IntN(2)) // versions may skip
	}
	emit(0)
	rings := time.Duration(r.Int64N(int64(70 * time.Second)))
	if r.IntN(10) == 0 {
		// A change that keeps it ringing: another queue, a new deadline.
		if r.IntN(2) == 0 {
			c.Queue = testQueues[r.IntN(len(testQueues))]
		}
		c.AnswerBy = c.AnswerBy.Add(time.Second)
		emit(rings / 2)
		rings -= rings / 2
	}
	end := func(after time.Duration, outcome providers.Outcome) {
		if r.IntN(4) == 0 {
			c.State = providers.StateEnding
			emit(after)
			after = time.Duration(r.Int64N(int64(time.Second)))
		}
		c.State, c.Ended, c.Outcome = providers.StateEnded, at.Add(after), outcome
		emit(after)
	}
	switch k := r.IntN(100); {
	case k < 45: // answered
		c.State, c.Answered = providers.StateConnecting, at.Add(rings)
		if r.IntN(50) == 0 {
			c.Answered = c.Arrived.Add(-time.Second) // a clock that disagrees
		}
		emit(rings)
		c.State = providers.StateActive
		emit(time.Duration(r.Int64N(int64(2 * time.Second))))
		for r.IntN(3) == 0 {
			c.State = providers.StateHeld
			emit(time.Duration(r.Int64N(int64(3 * time.Minute))))
			c.State = providers.StateActive
			emit(time.Duration(r.Int64N(int64(3 * time.Minute))))
		}
		talk := time.Duration(r.Int64N(int64(25 * time.Minute)))
		switch r.IntN(5) {
		case 0: // still talking
		case 1:
			end(talk, providers.OutcomeTransferred)
		default:
			end(talk, providers.OutcomeNone) // handled, derived
		}
	case k < 65: // the caller gives up or it rings out
		outcome := providers.OutcomeNone
		if r.IntN(2) == 0 {
			outcome = providers.OutcomeMissed
		}
		if r.IntN(3) == 0 {
			rings = time.Duration(r.Int64N(int64(8 * time.Second))) // near the grace
		}
		end(rings, outcome)
	case k < 77:
		end(rings, providers.OutcomeRejected)
	case k < 83: // redirected while ringing
		end(rings, providers.OutcomeTransferred)
	case k < 90: // another agent answers it first
		end(rings, providers.OutcomeElsewhere)
	default: // still ringing
	}
	return out
}

// newScenario draws a scenario from seed.
func newScenario(seed uint64) scenario {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(time.Hour))))
	s := scenario{start: start, cfg: stats.Config{
		Window:    time.Duration(3+r.IntN(12)) * time.Minute,
		Threshold: time.Duration(10+r.IntN(30)) * time.Second,
		Target:    0.8,
		Grace:     5 * time.Second,
		MaxCalls:  1 << 20,
	}}
	if r.IntN(2) == 0 {
		s.cfg.Since = start.Add(time.Duration(r.Int64N(int64(10 * time.Minute))))
	}
	calls := 50 + r.IntN(400)
	gap := time.Duration(1+r.IntN(30)) * time.Second // a quiet day or a busy one
	arrived := start
	for i := range calls {
		arrived = arrived.Add(time.Duration(r.ExpFloat64() * float64(gap)))
		s.sent = append(s.sent, lifecycle(r, "c"+itoa(i), arrived)...)
	}
	sort.SliceStable(s.sent, func(i, j int) bool { return s.sent[i].at.Before(s.sent[j].at) })

	// The network: some snapshots twice, some a few places late, within
	// lateness of when they were sent (a Counter remembers an ended call
	// for a window after its end: a duplicate later than that would count
	// it again, as documented).
	const lateness = 30 * time.Second
	s.delivered = append([]delivery(nil), s.sent...)
	for i := 0; i < len(s.delivered); i++ {
		d := s.delivered[i]
		j := min(i+1+r.IntN(5), len(s.delivered)-1)
		if j <= i || s.delivered[j].at.Sub(d.at) > lateness {
			continue
		}
		switch r.IntN(10) {
		case 0: // again, a few places later
			s.delivered = append(s.delivered[:j], append([]delivery{d}, s.delivered[j:]...)...)
		case 1: // late: swapped with one of the next few
			s.delivered[i], s.delivered[j] = s.delivered[j], s.delivered[i]
		}
	}
	return s
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// run feeds the scenario to a Counter and, every few snapshots and at the
// end, compares its figures at a time at or after the latest snapshot with
// a recount of the calls as delivered so far. It returns the first
// difference ("" if none) and how many times it compared.
func (s scenario) run(r *rand.Rand, newCounter func(stats.Config) *stats.Counter) (string, int) {
	c := newCounter(s.cfg)
	seen := latest{}
	var now time.Time
	checks := 0
	check := func() string {
		at := now.Add(time.Duration(r.Int64N(int64(40 * time.Second))))
		now = at
		checks++
		if d := diff(c.Snapshot(at), recount(s.cfg, seen, at)); d != "" {
			return "at " + at.Format(time.RFC3339Nano) + ", after " + itoa(checks) + " checks:\n" + d
		}
		return ""
	}
	for _, d := range s.delivered {
		if d.at.After(now) {
			now = d.at
		}
		c.Apply(d.call)
		seen.apply(d.call)
		if r.IntN(8) == 0 {
			if msg := check(); msg != "" {
				return msg, checks
			}
		}
	}
	// And on, past the last call, until the whole window has drained.
	for range 4 {
		now = now.Add(s.cfg.Window / 3)
		if msg := check(); msg != "" {
			return msg, checks
		}
	}
	return "", checks
}

// TestRandomSequencesMatchRecount: whatever the order snapshots arrive in,
// duplicated, late or with versions skipped, the figures equal a recount
// from the latest snapshot of each call, at every check.
func TestRandomSequencesMatchRecount(t *testing.T) {
	randomSequences(t, stats.New, 80)
}

// TestRandomSequencesWithCollidingHashes: the same, with every call's id
// alike by its first hash, so that every lookup, addition and removal goes
// through one run of the index's table, and only the second hash tells the
// calls apart.
func TestRandomSequencesWithCollidingHashes(t *testing.T) {
	randomSequences(t, stats.NewCollidingForTest, 20)
}

func randomSequences(t *testing.T, newCounter func(stats.Config) *stats.Counter, scenarios int) {
	checks := 0
	property := func(seed uint64) bool {
		s := newScenario(seed)
		msg, n := s.run(rand.New(rand.NewPCG(seed, 1)), newCounter)
		checks += n
		if msg != "" {
			t.Errorf("seed %d (window %s, threshold %s, since %v, %d snapshots): %s",
				seed, s.cfg.Window, s.cfg.Threshold, s.cfg.Since, len(s.delivered), msg)
			return false
		}
		return true
	}
	if err := quick.Check(property, &quick.Config{MaxCount: scenarios}); err != nil {
		t.Fatal(err)
	}
	if checks < 10*scenarios {
		t.Fatalf("only %d comparisons made; the scenarios are too small to prove much", checks)
	}
}

// TestRandomSequencesThroughHandles: a store that keeps each call's Handle
// and hands it back with the call's next snapshot gets the figures Apply
// gives, at every check, also while calls are forgotten under it (a small
// MaxCalls, and the window) and their handles go stale.
func TestRandomSequencesThroughHandles(t *testing.T) {
	for seed := range uint64(40) {
		s := newScenario(seed)
		if seed%2 == 0 {
			s.cfg.MaxCalls = 10 + int(seed)
		}
		r := rand.New(rand.NewPCG(seed, 2))
		plain, handled := stats.New(s.cfg), stats.New(s.cfg)
		handles := map[string]stats.Handle{}
		var now time.Time
		stale := 0
		for i, d := range s.delivered {
			if d.at.After(now) {
				now = d.at
			}
			plain.Apply(d.call)
			h, had := handles[d.call.ID]
			call := d.call
			next := handled.ApplyAt(h, &call)
			if had && h != (stats.Handle{}) && next != h {
				stale++
			}
			handles[d.call.ID] = next
			if r.IntN(8) == 0 || i == len(s.delivered)-1 {
				at := now.Add(time.Duration(r.Int64N(int64(40 * time.Second))))
				if d := diff(handled.Snapshot(at), plain.Snapshot(at)); d != "" {
					t.Fatalf("seed %d, after %d snapshots: through handles the figures differ:\n%s", seed, i+1, d)
				}
				if handled.Remembered() != plain.Remembered() {
					t.Fatalf("seed %d: %d calls remembered through handles, %d by Apply", seed, handled.Remembered(), plain.Remembered())
				}
			}
		}
		if seed == 0 && stale == 0 {
			t.Fatal("no handle went stale: the forgetting was not exercised")
		}
	}
}

// A handle finds nothing once its call is forgotten, even when another call
// takes its place in the Counter, and the zero Handle finds nothing: the
// figures stay those Apply gives.
func TestHandleOfAForgottenCall(t *testing.T) {
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	cfg := stats.Config{MaxCalls: 1}
	plain, handled := stats.New(cfg), stats.New(cfg)
	call := func(id, queue string, state providers.State, version uint64) providers.Call {
		return providers.Call{ID: id, State: state, Direction: providers.Incoming, Queue: queue, Arrived: at, Version: version}
	}
	handles := map[string]stats.Handle{}
	feed := func(c providers.Call) stats.Handle {
		t.Helper()
		plain.Apply(c)
		h := handled.ApplyAt(handles[c.ID], &c)
		handles[c.ID] = h
		if d := diff(handled.Snapshot(at), plain.Snapshot(at)); d != "" {
			t.Fatalf("after %s v%d the figures differ:\n%s", c.ID, c.Version, d)
		}
		return h
	}
	h1 := feed(call("first", "Sales", providers.StateRinging, 1))
	if h1 == (stats.Handle{}) {
		t.Fatal("a remembered call has no handle")
	}
	if again := handled.ApplyAt(h1, &providers.Call{ID: "first", Version: 1}); again != h1 {
		t.Fatalf("the same call's handle changed: %v then %v", h1, again)
	}
	// Past MaxCalls the first call is forgotten and the second takes its
	// place; the first's handle must not reach the second's record.
	h2 := feed(call("second", "Support", providers.StateRinging, 1))
	if h2 == h1 {
		t.Fatalf("the second call has the forgotten first call's handle %v", h1)
	}
	if h := feed(call("first", "Sales", providers.StateActive, 2)); h == h1 {
		t.Fatal("a forgotten call's old handle still found a record")
	}
	feed(call("second", "Support", providers.StateActive, 2))
	outgoing := providers.Call{ID: "out", State: providers.StateActive, Direction: providers.Outgoing, Version: 1}
	if h := handled.ApplyAt(stats.Handle{}, &outgoing); h != (stats.Handle{}) {
		t.Fatalf("an outgoing call, never remembered, has handle %v", h)
	}
}

// TestRandomSequencesThroughApplyAll: the same, the snapshots handed over
// in batches of every size (some longer than ApplyAll's chunk, with the same
// call more than once), handles kept as a store keeps them.
func TestRandomSequencesThroughApplyAll(t *testing.T) {
	for seed := range uint64(40) {
		s := newScenario(seed)
		if seed%2 == 0 {
			s.cfg.MaxCalls = 10 + int(seed)
		}
		r := rand.New(rand.NewPCG(seed, 3))
		plain, batched := stats.New(s.cfg), stats.New(s.cfg)
		handles := map[string]stats.Handle{}
		var now time.Time
		for start := 0; start < len(s.delivered); {
			size := 1 + r.IntN(300)
			batch := s.delivered[start:min(start+size, len(s.delivered))]
			start += len(batch)
			calls := make([]*providers.Call, len(batch))
			hs := make([]stats.Handle, len(batch))
			for i := range batch {
				if batch[i].at.After(now) {
					now = batch[i].at
				}
				plain.Apply(batch[i].call)
				call := batch[i].call
				calls[i], hs[i] = &call, handles[call.ID]
			}
			// A call twice in a batch has its first handle both times:
			// ApplyAll finds it again by its id when that one is gone.
			batched.ApplyAll(hs, calls)
			for i, c := range calls {
				handles[c.ID] = hs[i]
			}
			at := now.Add(time.Duration(r.Int64N(int64(40 * time.Second))))
			if d := diff(batched.Snapshot(at), plain.Snapshot(at)); d != "" {
				t.Fatalf("seed %d, after %d snapshots: through ApplyAll the figures differ:\n%s", seed, start, d)
			}
		}
	}
}
