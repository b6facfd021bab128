package demo

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"ringside/providers"
	"ringside/providers/ledger"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const window = 15 * time.Second

// play advances s from its current time to until in steps of step and
// returns every event, in order.
func play(s *sim, until time.Time, step time.Duration) []providers.Event {
	var out []providers.Event
	for now := s.now.Add(step); ; now = now.Add(step) {
		if now.After(until) {
			now = until
		}
		s.advance(now)
		out = append(out, s.flush()...)
		if !now.Before(until) {
			return out
		}
	}
}

// checker follows a stream of events and fails the test on anything a real
// provider must never do.
type checker struct {
	t      testing.TB
	window time.Duration
	last   map[string]providers.Call
	when   time.Time
	agent  string // the agent's state, as the last status said
}

func newChecker(t testing.TB, window time.Duration) *checker {
	return &checker{t: t, window: window, last: make(map[string]providers.Call), agent: "Ready"}
}

func (k *checker) seeAll(evs []providers.Event) {
	for _, ev := range evs {
		k.see(ev)
	}
}

func (k *checker) see(ev providers.Event) {
	t := k.t
	t.Helper()
	if ev.Time.Before(k.when) {
		t.Fatalf("event times went backwards: %v after %v", ev.Time, k.when)
	}
	k.when = ev.Time
	if ev.Status != nil {
		k.seeStatus(ev)
		return
	}
	if ev.Call == nil {
		t.Fatalf("an event with neither a call nor a status: %+v", ev)
	}
	c := *ev.Call
	prev, seen := k.last[c.ID]
	switch {
	case !seen && c.Arrived.After(t0) && c.Version != 1:
		t.Fatalf("first sight of %s, which arrived after the start, has version %d", c.ID, c.Version)
	case seen && c.Version != prev.Version+1:
		t.Fatalf("%s: version %d after %d", c.ID, c.Version, prev.Version)
	case seen && c.State.Rank() < prev.State.Rank():
		t.Fatalf("%s moved back from %s to %s", c.ID, prev.State, c.State)
	case seen && prev.State == providers.StateEnded:
		t.Fatalf("%s changed after it ended: %+v", c.ID, c)
	}
	if c.Provider != Name || c.Direction != providers.Incoming || c.Region == "" || len(c.Modalities) == 0 {
		t.Fatalf("incomplete call: %+v", c)
	}
	if !c.AnswerBy.Equal(c.Arrived.Add(k.window)) {
		t.Fatalf("%s: answer-by %v is not arrival %v + window %v", c.ID, c.AnswerBy, c.Arrived, k.window)
	}
	if !seen && c.State == providers.StateRinging && c.Arrived.Equal(ev.Time) && c.Queue != "" && k.agent != "Ready" {
		t.Fatalf("queue %s offered %s while the agent is %q", c.Queue, c.ID, k.agent)
	}
	k.checkCaps(ev, prev, seen)
	if c.State.Connected() && c.Answered.IsZero() {
		t.Fatalf("%s call without an answer time: %+v", c.State, c)
	}
	if c.State == providers.StateEnded {
		switch {
		case c.End.Text == "":
			t.Fatalf("ended without words: %+v", c)
		case !c.Ended.Equal(ev.Time):
			t.Fatalf("ended at %v but reported at %v", c.Ended, ev.Time)
		case c.Outcome == providers.OutcomeNone:
			t.Fatalf("ended without an outcome: %+v", c)
		case c.Outcome == providers.OutcomeHandled && c.Answered.IsZero():
			t.Fatalf("handled but never answered: %+v", c)
		case c.Outcome != providers.OutcomeHandled && c.Outcome != providers.OutcomeTransferred && !c.Answered.IsZero():
			t.Fatalf("answered but %s: %+v", c.Outcome, c)
		case c.Outcome == providers.OutcomeTransferred && c.Answered.IsZero() &&
			(!strings.HasPrefix(c.End.Text, "Redirected to ") || c.End.Code != 0 || c.End.Subcode != 0):
			t.Fatalf("sent on before it was answered, but not as a redirect: %+v", c)
		case c.Outcome == providers.OutcomeTransferred && !c.Answered.IsZero() &&
			(!strings.HasPrefix(c.End.Text, "Transferred to ") || c.End.Code != 0 || c.End.Subcode != 7015):
			t.Fatalf("sent on once answered, but not as a transfer: %+v", c)
		case c.Outcome == providers.OutcomeTransferred && !seen:
			t.Fatalf("transferred without being seen first: %+v", c)
		case c.End == EndTimedOut && !c.Ended.Equal(c.AnswerBy):
			t.Fatalf("timed out at %v, not at the deadline %v", c.Ended, c.AnswerBy)
		case c.Outcome == providers.OutcomeMissed && c.Ended.After(c.AnswerBy):
			t.Fatalf("missed after the deadline: %+v", c)
		}
	} else if !c.Ended.IsZero() || !c.End.IsZero() || c.Outcome != providers.OutcomeNone {
		t.Fatalf("live call with an end: %+v", c)
	}
	k.last[c.ID] = c
}

// checkCaps checks what a call allows in its state. A call being sent on
// takes nothing while it rings (a redirect) and only a hang-up once
// connected (a transfer); from there it either goes (ended, transferred),
// is hung up, or comes back as it was (a transfer nobody answered).
func (k *checker) checkCaps(ev providers.Event, prev providers.Call, seen bool) {
	t, c := k.t, *ev.Call
	t.Helper()
	hangup := providers.Caps(providers.ActionHangup)
	full := map[providers.State]providers.Capabilities{
		providers.StateConnecting: hangup,
		providers.StateActive:     providers.Caps(providers.ActionHangup, providers.ActionTransfer, providers.ActionHold),
		providers.StateHeld:       providers.Caps(providers.ActionHangup, providers.ActionTransfer, providers.ActionResume),
		providers.StateEnding:     0,
		providers.StateEnded:      0,
	}
	wasMoving := seen && ((prev.State == providers.StateRinging && prev.Caps == 0) ||
		(prev.State == providers.StateActive || prev.State == providers.StateHeld) && prev.Caps == hangup)
	switch c.State {
	case providers.StateRinging:
		if c.Caps == 0 {
			// A redirect under way.
			if wasMoving || !seen {
				t.Fatalf("%s: a redirect started twice, or on a call never seen ringing", c.ID)
			}
			break
		}
		if wasMoving {
			t.Fatalf("%s: a redirect came back: %v", c.ID, c.Caps.Names())
		}
		if !c.Can(providers.ActionAnswer) || !c.Can(providers.ActionRedirect) || c.Can(providers.ActionHangup) {
			t.Fatalf("ringing call with capabilities %v", c.Caps.Names())
		}
		if c.Can(providers.ActionReject) != (c.Queue != "") {
			t.Fatalf("reject must be offered exactly for queue calls: queue %q caps %v", c.Queue, c.Caps.Names())
		}
		if ev.Time.After(c.AnswerBy) {
			t.Fatalf("%s still ringing at %v, past its deadline %v", c.ID, ev.Time, c.AnswerBy)
		}
	case providers.StateActive, providers.StateHeld:
		switch {
		case c.Caps == hangup && wasMoving:
			t.Fatalf("%s: a transfer started twice", c.ID)
		case c.Caps == hangup && (prev.State != c.State || prev.Caps != full[c.State]):
			t.Fatalf("%s: a transfer started from %s %v, not from %s as it was", c.ID, prev.State, prev.Caps.Names(), c.State)
		case c.Caps != hangup && c.Caps != full[c.State]:
			t.Fatalf("%s call with capabilities %v", c.State, c.Caps.Names())
		case c.Caps != hangup && wasMoving && prev.State != c.State:
			t.Fatalf("%s: a failed transfer left it %s, not %s as it was", c.ID, c.State, prev.State)
		}
	default:
		if c.Caps != full[c.State] {
			t.Fatalf("%s call with capabilities %v", c.State, c.Caps.Names())
		}
		if wasMoving && c.State == providers.StateEnded && c.Outcome != providers.OutcomeTransferred && !strings.HasPrefix(c.End.Text, "Dropped") {
			t.Fatalf("%s: sent on, then ended as %s (%v)", c.ID, c.Outcome, c.End)
		}
	}
	if c.Outcome == providers.OutcomeTransferred && !wasMoving {
		t.Fatalf("%s: transferred without a transfer or redirect under way", c.ID)
	}
}

// seeStatus checks an agent status: live, with the demo's detail and a
// state the menu offers.
func (k *checker) seeStatus(ev providers.Event) {
	t, st := k.t, ev.Status
	t.Helper()
	labels := map[string]bool{}
	for _, ch := range agentChoices() {
		labels[ch.Label] = true
	}
	if st.Link != providers.LinkLive || !labels[st.Agent] || !strings.HasPrefix(st.Detail, "simulated calls") && st.Detail != "" {
		t.Fatalf("agent status %+v", *st)
	}
	k.agent = st.Agent
}

func TestSameSeedSameCalls(t *testing.T) {
	run := func(seed int64) []providers.Event {
		s := newSim(Name, seed, 30, window, t0, 20)
		return play(s, t0.Add(10*time.Minute), 250*time.Millisecond)
	}
	a, b := run(42), run(42)
	if len(a) < 200 {
		t.Fatalf("ten minutes at 30/min gave only %d events", len(a))
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed and clock gave different events")
	}
	if c := run(43); reflect.DeepEqual(a[:10], c[:10]) {
		t.Fatal("another seed gave the same events")
	}
	if !reflect.DeepEqual(newSim(Name, 42, 30, window, t0, 50).snapshot(), newSim(Name, 42, 30, window, t0, 50).snapshot()) {
		t.Fatal("the same seed gave a different start-up population")
	}
}

func TestStepSizeDoesNotChangeEvents(t *testing.T) {
	// Events happen at their own instants, however coarsely the clock ticks.
	fine := play(newSim(Name, 7, 20, window, t0, 10), t0.Add(5*time.Minute), 10*time.Millisecond)
	coarse := play(newSim(Name, 7, 20, window, t0, 10), t0.Add(5*time.Minute), 3*time.Second)
	if !reflect.DeepEqual(fine, coarse) {
		t.Fatalf("10 ms steps gave %d events, 3 s steps %d, or they differ", len(fine), len(coarse))
	}
}

func TestActionsDoNotChangeOtherCalls(t *testing.T) {
	// Each call draws from its own stream: answering one call must not change
	// who calls next or what happens to the others.
	quiet := newSim(Name, 9, 30, window, t0, 0)
	busy := newSim(Name, 9, 30, window, t0, 0)
	quietEvs := play(quiet, t0.Add(2*time.Minute), time.Second)
	var answered string
	var busyEvs []providers.Event
	for now := t0.Add(time.Second); !now.After(t0.Add(2 * time.Minute)); now = now.Add(time.Second) {
		busy.advance(now)
		for _, ev := range busy.flush() {
			busyEvs = append(busyEvs, ev)
			if answered == "" && ev.Call.State == providers.StateRinging {
				answered = ev.Call.ID
				if err := busy.answer(now, answered); err != nil {
					t.Fatal(err)
				}
				busyEvs = append(busyEvs, busy.flush()...)
			}
		}
	}
	strip := func(evs []providers.Event) []providers.Call {
		var out []providers.Call
		for _, ev := range evs {
			if ev.Call.ID != answered {
				out = append(out, *ev.Call)
			}
		}
		return out
	}
	if answered == "" {
		t.Fatal("no call rang in two minutes at 30/min")
	}
	if !reflect.DeepEqual(strip(quietEvs), strip(busyEvs)) {
		t.Fatal("answering one call changed the others")
	}
}

func TestTimeoutExactlyAtDeadline(t *testing.T) {
	for _, w := range []time.Duration{15 * time.Second, 5 * time.Second, 30 * time.Millisecond} {
		s := newSim(Name, 1, 0, w, t0, 1)
		snap := s.snapshot()
		if len(snap) != 1 {
			t.Fatalf("window %v: %d calls at start, want 1", w, len(snap))
		}
		c := snap[0]
		if c.State != providers.StateRinging || !c.Arrived.Equal(t0) || !c.AnswerBy.Equal(t0.Add(w)) {
			t.Fatalf("window %v: first call %+v", w, c)
		}
		s.advance(c.AnswerBy.Add(-time.Nanosecond))
		if evs := s.flush(); len(evs) != 0 {
			t.Fatalf("window %v: %d changes before the deadline: %+v", w, len(evs), evs[0].Call)
		}
		s.advance(c.AnswerBy)
		evs := s.flush()
		if len(evs) != 1 {
			t.Fatalf("window %v: %d events at the deadline, want 1", w, len(evs))
		}
		end := *evs[0].Call
		if end.State != providers.StateEnded || end.End != EndTimedOut || !end.Ended.Equal(c.AnswerBy) ||
			!evs[0].Time.Equal(c.AnswerBy) || end.Result() != providers.OutcomeMissed || end.Caps != 0 {
			t.Fatalf("window %v: at the deadline %+v", w, end)
		}
		if at, ok := s.next(); ok || s.calls.len() != 0 {
			t.Fatalf("window %v: %d calls live and an event at %v after the only call ended", w, s.calls.len(), at)
		}
		if err := s.answer(c.AnswerBy, c.ID); !errors.Is(err, providers.ErrEnded) {
			t.Fatalf("window %v: answer at the deadline: %v", w, err)
		}
	}
}

func TestEveryTimeoutIsAtItsDeadline(t *testing.T) {
	s := newSim(Name, 5, 60, window, t0, 300)
	evs := play(s, t0.Add(20*time.Minute), 700*time.Millisecond)
	k := newChecker(t, window)
	k.seeAll(evs) // checks timeouts, give-ups and versions on every call
	counts := map[string]int{}
	for _, ev := range evs {
		if c := ev.Call; c.State == providers.StateEnded && c.Answered.IsZero() {
			counts[c.End.Text]++
			// A supervisor counts a call another agent took as answered,
			// the ones that rang out or were given up as missed.
			want := providers.OutcomeMissed
			if c.End == EndAnsweredElsewhere {
				want = providers.OutcomeElsewhere
			}
			if c.Result() != want {
				t.Fatalf("%q ended %s, want %s", c.End.Text, c.Result(), want)
			}
		}
	}
	if counts[EndTimedOut.Text] == 0 || counts[EndAnsweredElsewhere.Text] == 0 ||
		counts[endPSTNGaveUp.Text]+counts[endGaveUp.Text]+counts[endGaveUpP2P.Text] == 0 {
		t.Fatalf("unanswered calls should time out, be given up and be taken elsewhere: %v", counts)
	}
}

func TestAnswerThenTalkThenEnd(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		s := newSim(Name, seed, 0, window, t0, 1)
		id := s.snapshot()[0].ID
		plan := s.calls.get(id).plan
		at := t0.Add(3 * time.Second)
		if err := s.answer(at, id); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		evs := s.flush()
		if len(evs) != 1 {
			t.Fatalf("seed %d: %d events on answer", seed, len(evs))
		}
		c := *evs[0].Call
		if c.State != providers.StateConnecting || !c.Answered.Equal(at) || !c.Can(providers.ActionHangup) || c.Can(providers.ActionAnswer) {
			t.Fatalf("seed %d: after answer %+v", seed, c)
		}
		if plan.setup < 400*time.Millisecond || plan.setup > 1500*time.Millisecond {
			t.Fatalf("seed %d: media setup %v", seed, plan.setup)
		}
		s.advance(at.Add(plan.setup - time.Millisecond))
		if len(s.flush()) != 0 {
			t.Fatalf("seed %d: changed before media setup ended", seed)
		}
		s.advance(at.Add(plan.setup))
		c = *s.flush()[0].Call
		if plan.mediaFails {
			if c.State != providers.StateEnded || c.End != EndMediaFailure || c.Result() != providers.OutcomeHandled {
				t.Fatalf("seed %d: media failure gave %+v", seed, c)
			}
			continue
		}
		if c.State != providers.StateActive {
			t.Fatalf("seed %d: after setup %+v", seed, c)
		}
		rest := play(s, at.Add(time.Hour), 5*time.Second)
		var states []providers.State
		for _, ev := range rest {
			states = append(states, ev.Call.State)
		}
		last := *rest[len(rest)-1].Call
		want := plan.remoteEnd.reason()
		if plan.holdIn > 0 && plan.quitAfter > 0 {
			want = plan.holdQuitEnd.reason()
		}
		if last.State != providers.StateEnded || last.End != want || last.Result() != providers.OutcomeHandled {
			t.Fatalf("seed %d: ended as %+v, want %v (states %v)", seed, last, want, states)
		}
		if plan.holdIn > 0 && states[0] != providers.StateHeld {
			t.Fatalf("seed %d: a hold was planned but states were %v", seed, states)
		}
		if d := last.Duration(last.Ended); d < 12*time.Second {
			t.Fatalf("seed %d: talked only %v", seed, d)
		}
	}
}

func TestRejectEachReason(t *testing.T) {
	for _, reason := range providers.RejectReasons {
		s := newSim(Name, 3, 0, window, t0, 1)
		id := s.snapshot()[0].ID
		at := t0.Add(4 * time.Second)
		if err := s.reject(at, id, reason); err != nil {
			t.Fatalf("%s: %v", reason, err)
		}
		evs := s.flush()
		want, _ := RejectEnd(reason)
		if len(evs) != 1 {
			t.Fatalf("%s: %d events", reason, len(evs))
		}
		c := *evs[0].Call
		if c.State != providers.StateEnded || c.End != want || !c.Ended.Equal(at) || c.Result() != providers.OutcomeRejected || c.Caps != 0 {
			t.Fatalf("%s: %+v", reason, c)
		}
		if !strings.Contains(c.End.Text, map[providers.RejectReason]string{"none": "declined", "busy": "busy", "forbidden": "forbidden"}[reason]) {
			t.Fatalf("%s: words %q do not say why", reason, c.End.Text)
		}
		if at, ok := s.next(); ok {
			t.Fatalf("%s: an event is still scheduled at %v for a rejected call", reason, at)
		}
		if len(play(s, at.Add(time.Minute), time.Second)) != 0 {
			t.Fatalf("%s: the call changed after it was rejected", reason)
		}
	}
	codes := map[int]bool{}
	for _, r := range providers.RejectReasons {
		e, _ := RejectEnd(r)
		codes[e.Code] = true
	}
	if len(codes) != 3 {
		t.Fatal("each reason needs its own code")
	}
	s := newSim(Name, 3, 0, window, t0, 1)
	if err := s.reject(t0, s.snapshot()[0].ID, "later"); err == nil || !strings.Contains(err.Error(), "later") {
		t.Fatalf("an unknown reason must be refused by name, got %v", err)
	}
}

func TestHangup(t *testing.T) {
	s := newSim(Name, 11, 0, window, t0, 1)
	id := s.snapshot()[0].ID
	s.calls.get(id).plan.mediaFails = false
	if err := s.answer(t0.Add(time.Second), id); err != nil {
		t.Fatal(err)
	}
	s.advance(t0.Add(5 * time.Second))
	s.flush()
	at := t0.Add(6 * time.Second)
	if err := s.hangup(at, id); err != nil {
		t.Fatal(err)
	}
	c := *s.flush()[0].Call
	if c.State != providers.StateEnding || c.Caps != 0 {
		t.Fatalf("after hang-up: %+v", c)
	}
	if err := s.hangup(at, id); !errors.Is(err, providers.ErrNotAllowed) {
		t.Fatalf("a second hang-up while ending: %v", err)
	}
	teardown := s.calls.get(id).plan.teardown
	s.advance(at.Add(teardown))
	c = *s.flush()[0].Call
	if c.State != providers.StateEnded || c.End != EndHungUp || !c.Ended.Equal(at.Add(teardown)) ||
		c.Result() != providers.OutcomeHandled || c.Duration(c.Ended) != 5*time.Second+teardown {
		t.Fatalf("after tear-down: %+v", c)
	}
}

func TestHangupWhileHeldAndConnecting(t *testing.T) {
	s := newSim(Name, 21, 0, window, t0, 400)
	var held, connecting string
	for _, c := range s.snapshot() {
		switch c.State {
		case providers.StateHeld:
			held = c.ID
		case providers.StateConnecting:
			connecting = c.ID
		}
	}
	if held == "" || connecting == "" {
		t.Fatal("400 calls at start should include held and connecting ones")
	}
	for _, id := range []string{held, connecting} {
		if err := s.hangup(t0, id); err != nil {
			t.Fatalf("hang up %s: %v", id, err)
		}
	}
}

func findRinging(t *testing.T, s *sim, rejectable bool) string {
	t.Helper()
	for _, c := range s.snapshot() {
		if c.State == providers.StateRinging && c.Can(providers.ActionReject) == rejectable {
			return c.ID
		}
	}
	t.Fatalf("no ringing call with reject=%v among %d", rejectable, s.calls.len())
	return ""
}

func TestGating(t *testing.T) {
	s := newSim(Name, 8, 0, window, t0, 300)
	direct := findRinging(t, s, false)
	c, _ := s.ledger.Get(direct)
	if c.Queue != "" || c.To != Agent {
		t.Fatalf("a call without reject should be a direct call to the agent: %+v", c)
	}
	err := s.reject(t0, direct, providers.ReasonBusy)
	if !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "directly") {
		t.Fatalf("reject of a direct call: %v", err)
	}
	if evs := s.flush(); len(evs) != 0 {
		t.Fatalf("a refused reject changed %d calls", len(evs))
	}
	if err := s.hangup(t0, direct); !errors.Is(err, providers.ErrNotAllowed) {
		t.Fatalf("hang up a ringing call: %v", err)
	}
	if err := s.answer(t0, direct); err != nil {
		t.Fatal(err)
	}
	if err := s.answer(t0, direct); !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "already answered") {
		t.Fatalf("answer twice: %v", err)
	}
	queued := findRinging(t, s, true)
	if err := s.answer(t0, queued); err != nil {
		t.Fatal(err)
	}
	if err := s.reject(t0, queued, providers.ReasonNone); !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "hang it up") {
		t.Fatalf("reject an answered call: %v", err)
	}
}

func TestUnknownCall(t *testing.T) {
	s := newSim(Name, 8, 0, window, t0, 3)
	for name, act := range map[string]func() error{
		"answer": func() error { return s.answer(t0, "no-such-call") },
		"reject": func() error { return s.reject(t0, "no-such-call", providers.ReasonBusy) },
		"hangup": func() error { return s.hangup(t0, "no-such-call") },
	} {
		err := act()
		if !errors.Is(err, providers.ErrNotFound) || errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "no-such-call") {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestActionsOnEndedCall(t *testing.T) {
	s := newSim(Name, 8, 0, window, t0, 1)
	id := s.snapshot()[0].ID
	s.advance(t0.Add(window))
	s.flush()
	for name, act := range map[string]func() error{
		"answer": func() error { return s.answer(t0.Add(window), id) },
		"reject": func() error { return s.reject(t0.Add(window), id, providers.ReasonBusy) },
		"hangup": func() error { return s.hangup(t0.Add(window), id) },
	} {
		err := act()
		// An ended call is gone, as everywhere in the contract: ErrEnded,
		// which is also ErrNotFound.
		if !errors.Is(err, providers.ErrEnded) || !errors.Is(err, providers.ErrNotFound) || errors.Is(err, providers.ErrNotAllowed) ||
			!strings.Contains(err.Error(), "already ended") || !strings.Contains(err.Error(), "Timed out") {
			t.Fatalf("%s on a timed-out call: %v", name, err)
		}
	}
	if evs := s.flush(); len(evs) != 0 {
		t.Fatalf("refused actions changed %d calls", len(evs))
	}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

func TestPopulationMix(t *testing.T) {
	const n = 3000
	s := newSim(Name, 2026, 0, window, t0, n)
	snap := s.snapshot()
	if len(snap) != n {
		t.Fatalf("%d calls, want %d", len(snap), n)
	}
	first := snap[0]
	if first.State != providers.StateRinging || !first.Arrived.Equal(t0) || !first.AnswerBy.Equal(t0.Add(window)) ||
		!first.Can(providers.ActionReject) || s.calls.get(first.ID).fate != evTimeout {
		t.Fatalf("the first call must be a fresh, rejectable, patient ringing call: %+v", first)
	}
	k := newChecker(t, window)
	states := map[providers.State]int{}
	kinds := map[providers.PartyKind]int{}
	mods := map[string]int{}
	regionsSeen := map[string]int{}
	queuesSeen := map[string]int{}
	countries := map[string]bool{}
	ids := map[string]bool{}
	for _, c := range snap {
		k.see(providers.Event{Time: t0, Call: &c})
		states[c.State]++
		kinds[c.From.Kind]++
		mods[strings.Join(c.Modalities, "+")]++
		regionsSeen[c.Region]++
		queuesSeen[c.Queue]++
		if ids[c.ID] {
			t.Fatalf("duplicate id %s", c.ID)
		}
		ids[c.ID] = true
		if c.Version != 1 || c.Arrived.After(t0) || c.AnswerBy.Before(t0) && c.State == providers.StateRinging {
			t.Fatalf("bad start-up call: %+v", c)
		}
		if c.State.Connected() && (c.Answered.After(t0) || c.Answered.Before(c.Arrived)) {
			t.Fatalf("answered at %v, arrived %v: %+v", c.Answered, c.Arrived, c)
		}
		if c.From.Kind == providers.KindPhone {
			if !e164.MatchString(c.From.ID) {
				t.Fatalf("not E.164: %q", c.From.ID)
			}
			// E.164 length by country: +1 and ten digits, +44 and ten,
			// +33 and nine, +61 and nine.
			cc := map[string]int{"+1": 12, "+44": 13, "+33": 12, "+61": 12}
			known := false
			for prefix, length := range cc {
				if strings.HasPrefix(c.From.ID, prefix) {
					known = true
					if len(c.From.ID) != length {
						t.Fatalf("%q has the wrong length for %s", c.From.ID, prefix)
					}
				}
			}
			if !known {
				t.Fatalf("%q is from a country without a fiction range here", c.From.ID)
			}
			countries[c.From.ID[:3]] = true
			if len(c.Modalities) != 1 || c.Modalities[0] != "audio" {
				t.Fatalf("a PSTN call with %v", c.Modalities)
			}
		} else if c.From.Name == "" || c.From.ID == "" {
			t.Fatalf("a Teams caller without name or id: %+v", c.From)
		}
	}
	frac := func(m int) float64 { return float64(m) / n }
	if r := frac(states[providers.StateRinging]); r < 0.12 || r > 0.25 {
		t.Fatalf("ringing share %.2f: %v", r, states)
	}
	if r := frac(states[providers.StateActive]); r < 0.55 || r > 0.8 {
		t.Fatalf("active share %.2f: %v", r, states)
	}
	if states[providers.StateHeld] == 0 || states[providers.StateConnecting] == 0 {
		t.Fatalf("states %v", states)
	}
	if kinds[providers.KindPhone] == 0 || kinds[providers.KindUser] == 0 || kinds[providers.KindGuest] == 0 {
		t.Fatalf("caller kinds %v", kinds)
	}
	if frac(mods["audio"]) < 0.7 || mods["audio+video"] == 0 || mods["audio+videoBasedScreenSharing"] == 0 ||
		mods["audio+videoBasedScreenSharing"] > mods["audio+video"] {
		t.Fatalf("modalities %v", mods)
	}
	if len(regionsSeen) != 3 || len(countries) < 4 {
		t.Fatalf("regions %v, country prefixes %v", regionsSeen, countries)
	}
	if len(queuesSeen) != len(queues)+1 || frac(queuesSeen[""]) < 0.2 || frac(queuesSeen[""]) > 0.4 {
		t.Fatalf("queues %v", queuesSeen)
	}
}

func TestArrivalRate(t *testing.T) {
	s := newSim(Name, 77, 12, window, t0, 0)
	evs := play(s, t0.Add(time.Hour), 2*time.Second)
	arrivals := 0
	maxRinging, ringing, sum := 0, 0, 0
	for _, ev := range evs {
		switch {
		case ev.Call.Version == 1:
			arrivals++
			ringing++
		case ev.Call.State == providers.StateEnded:
			ringing--
		}
		maxRinging = max(maxRinging, ringing)
		sum += ringing
	}
	// 720 expected; a Poisson count stays within ±4σ (±107).
	if arrivals < 613 || arrivals > 827 {
		t.Fatalf("%d arrivals in an hour at 12/min", arrivals)
	}
	if maxRinging < 3 {
		t.Fatalf("at 12/min several calls should ring at once now and then; at most %d did", maxRinging)
	}
	if _, ok := newSim(Name, 77, 0, window, t0, 0).next(); ok {
		t.Fatal("rate 0 must schedule no arrivals")
	}
}

func TestTinyRateBringsNoFlood(t *testing.T) {
	for _, rate := range []float64{1e-12, 1e-300} {
		s := newSim(Name, 1, rate, window, t0, 0)
		if evs := play(s, t0.Add(time.Hour), 10*time.Second); len(evs) != 0 {
			t.Fatalf("%g calls a minute gave %d events in an hour", rate, len(evs))
		}
		if at, ok := s.next(); !ok || !at.After(t0.Add(time.Hour)) {
			t.Fatalf("%g calls a minute: next arrival at %v (ok %v)", rate, at, ok)
		}
	}
}

func TestLongPauseSkipsUnseenArrivals(t *testing.T) {
	s := newSim(Name, 4, 60, window, t0, 0)
	s.advance(t0.Add(3 * time.Hour))
	evs := s.flush()
	if len(evs) > 400 {
		t.Fatalf("a three-hour pause replayed %d events", len(evs))
	}
	if at, ok := s.next(); !ok || !at.After(t0.Add(3*time.Hour)) {
		t.Fatalf("after the pause the next arrival is at %v (ok %v)", at, ok)
	}
}

func TestClockGoingBackwards(t *testing.T) {
	s := newSim(Name, 4, 30, window, t0, 5)
	play(s, t0.Add(time.Minute), time.Second)
	s.advance(t0)
	if evs := s.flush(); len(evs) != 0 || !s.now.Equal(t0.Add(time.Minute)) {
		t.Fatalf("a clock going back gave %d events and time %v", len(evs), s.now)
	}
	id := findRinging(t, newSim(Name, 4, 0, window, t0, 1), true)
	s2 := newSim(Name, 4, 0, window, t0, 1)
	s2.advance(t0.Add(time.Second))
	if err := s2.reject(t0, id, providers.ReasonNone); err != nil {
		t.Fatal(err)
	}
	if c, _ := s2.ledger.Get(id); !c.Ended.Equal(t0.Add(time.Second)) {
		t.Fatalf("an action with an earlier clock must apply at the simulation's time, got %v", c.Ended)
	}
}

func TestGUIDShape(t *testing.T) {
	guid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	r := newSim(Name, 1, 0, window, t0, 0).callStream(1)
	for range 1000 {
		if g := newGUID(r); !guid.MatchString(g) {
			t.Fatalf("not a v4 GUID: %s", g)
		}
	}
	for name, id := range userIDs {
		if !guid.MatchString(id) {
			t.Fatalf("%s: %s", name, id)
		}
	}
}

func TestCallsBeyondTheLimitAreDropped(t *testing.T) {
	// 20 calls at start on top of a limit of 5, and ten new calls a second.
	s := newSimWith(Name, 5, 600, window, t0, 20, ledger.Config{MaxLive: 5})
	if s.ledger.LiveCount() != 20 || s.ledger.Evictions() != 0 {
		t.Fatalf("the calls a demo starts with come on top of the limit: %d live, %d evicted",
			s.ledger.LiveCount(), s.ledger.Evictions())
	}
	k := newChecker(t, window)
	dropped := 0
	for step := range 300 {
		evs := play(s, t0.Add(time.Duration(step+1)*time.Second), time.Second)
		k.seeAll(evs)
		for _, ev := range evs {
			if ev.Call.State == providers.StateEnded && ev.Call.End.Text == "Dropped: more than 25 live calls (--max-calls)." {
				dropped++
			}
		}
		if live := s.ledger.LiveCount(); live > 25 || live != s.calls.len() {
			t.Fatalf("after %d s: %d live calls in the ledger, %d in the simulation; want the same, at most 25", step+1, live, s.calls.len())
		}
	}
	if dropped == 0 || uint64(dropped) != s.ledger.Evictions() {
		t.Fatalf("%d drops reported, %d counted: ten calls a second must go past the limit, and each drop must reach the console",
			dropped, s.ledger.Evictions())
	}
}

func TestMaxCallsReachesTheDemo(t *testing.T) {
	p, err := New(Config{Calls: 50, Seed: 1}, providers.Options{MaxCalls: 10, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.sim.ledger.MaxLive(); got != 60 {
		t.Fatalf("ledger holds %d live calls, want --max-calls 10 + --demo-calls 50", got)
	}
}

// Ids from the arena are the ids newGUID draws from the same stream, and
// they stay as they were while more are drawn, across chunks.
func TestIDArenaKeepsIDs(t *testing.T) {
	s := newSim(Name, 1, 0, window, t0, 0)
	var a idArena
	var got, want []string
	for i := range 3*idsPerChunk + 5 {
		got = append(got, a.newID(s.callStream(uint64(i))))
		want = append(want, newGUID(s.callStream(uint64(i))))
	}
	if !slices.Equal(got, want) {
		t.Fatal("ids from the arena differ from newGUID's, or changed as more were drawn")
	}
}

// A call's own state is 128 bytes, a size class of its own: a load demo
// keeps up to a million.
func TestSimCallSize(t *testing.T) {
	if n := unsafe.Sizeof(simCall{}); n > 128 {
		t.Fatalf("a simCall is %d bytes, more than 128", n)
	}
}
