package demo

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"ringside/providers"
)

// Targets as a directory would give them.
var (
	salesDesk = providers.Target{Name: "Sales desk", Kind: providers.TargetQueue, GraphID: "6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", GenesysNumber: "7001"}
	anaSilva  = providers.Target{Name: "Ana Silva", Kind: providers.TargetUser, GraphID: "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f", GenesysNumber: "5002"}
	badPhone  = providers.Target{Name: "Somewhere", Kind: providers.TargetPhone, Phone: "020 7946 0000"}
)

// findCall is a call of s in state whose own script has a pending event
// later than after (so that an action at after acts on it as it is), and
// for which ok says yes.
func findCall(t *testing.T, s *sim, state providers.State, after time.Time, ok func(*simCall) bool) string {
	t.Helper()
	for _, call := range s.snapshot() {
		c := s.calls.get(call.ID)
		if c.state() == state && c.pending() != nil && c.pending().at.After(after) && (ok == nil || ok(c)) {
			return c.id
		}
	}
	t.Fatalf("no %s call among %d that fits", state, s.calls.len())
	return ""
}

// callEvents is the events of call id among evs.
func callEvents(evs []providers.Event, id string) []providers.Call {
	var out []providers.Call
	for _, ev := range evs {
		if ev.Call != nil && ev.Call.ID == id {
			out = append(out, *ev.Call)
		}
	}
	return out
}

// outcome is what done has been told, or false when nothing yet.
func outcome(done <-chan error) (error, bool) {
	select {
	case err := <-done:
		return err, true
	default:
		return nil, false
	}
}

func TestRedirectRingingCall(t *testing.T) {
	for _, queued := range []bool{true, false} {
		s := newSim(Name, 8, 0, window, t0, 300)
		id := findRinging(t, s, queued)
		at := t0.Add(2 * time.Second)
		done, err := s.redirect(at, id, salesDesk)
		if err != nil {
			t.Fatalf("queued %v: %v", queued, err)
		}
		evs := callEvents(s.flush(), id)
		if len(evs) != 1 || evs[0].State != providers.StateRinging || evs[0].Caps != 0 {
			t.Fatalf("queued %v: redirecting should leave it ringing with nothing to do: %+v", queued, evs)
		}
		// Nothing else may be done to it on its way.
		if err := s.answer(at, id); !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "being redirected to Sales desk") {
			t.Fatalf("queued %v: answer while redirecting: %v", queued, err)
		}
		if _, told := outcome(done); told {
			t.Fatalf("queued %v: the redirect was over before it went through", queued)
		}
		evs = callEvents(play(s, at.Add(time.Second), 10*time.Millisecond), id)
		if len(evs) != 1 {
			t.Fatalf("queued %v: %d events after the redirect, want the end", queued, len(evs))
		}
		c := evs[0]
		if d := c.Ended.Sub(at); d < redirectMin || d > redirectMax {
			t.Fatalf("queued %v: the redirect took %v", queued, d)
		}
		if c.State != providers.StateEnded || c.End != (providers.EndReason{Text: "Redirected to Sales desk"}) ||
			c.Result() != providers.OutcomeTransferred || !c.Answered.IsZero() || c.Caps != 0 {
			t.Fatalf("queued %v: redirected call %+v", queued, c)
		}
		if err, told := outcome(done); !told || err != nil {
			t.Fatalf("queued %v: redirect outcome %v (told %v), want nil", queued, err, told)
		}
		if len(callEvents(play(s, at.Add(time.Minute), time.Second), id)) != 0 {
			t.Fatalf("queued %v: the call changed after it was redirected", queued)
		}
	}
}

func TestTransferGoesThrough(t *testing.T) {
	for _, state := range []providers.State{providers.StateActive, providers.StateHeld} {
		s := newSim(Name, 21, 0, window, t0, 400)
		at := t0.Add(time.Second)
		id := findCall(t, s, state, at, nil)
		// A queue always takes the call.
		done, err := s.transfer(at, id, salesDesk)
		if err != nil {
			t.Fatalf("%s: %v", state, err)
		}
		evs := callEvents(s.flush(), id)
		if len(evs) != 1 || evs[0].State != state || evs[0].Caps != providers.Caps(providers.ActionHangup) {
			t.Fatalf("%s: a transfer under way should leave the call %s, taking only a hang-up: %+v", state, state, evs)
		}
		for _, refused := range []error{s.holdCall(at, id), s.resumeCall(at, id), func() error { _, err := s.transfer(at, id, anaSilva); return err }()} {
			if !errors.Is(refused, providers.ErrNotAllowed) {
				t.Fatalf("%s: an action on a call being transferred: %v", state, refused)
			}
		}
		_, err = s.transfer(at, id, anaSilva)
		if !strings.Contains(err.Error(), "being transferred to Sales desk") {
			t.Fatalf("%s: a second transfer: %v", state, err)
		}
		evs = callEvents(play(s, at.Add(time.Minute), 100*time.Millisecond), id)
		if len(evs) != 1 {
			t.Fatalf("%s: %d events after the transfer, want the end: %+v", state, len(evs), evs)
		}
		c := evs[0]
		if d := c.Ended.Sub(at); d < transferRingMin || d > transferRingMax {
			t.Fatalf("%s: the transfer took %v", state, d)
		}
		want := providers.EndReason{Code: 0, Subcode: 7015, Text: "Transferred to Sales desk"}
		if c.State != providers.StateEnded || c.End != want || c.Result() != providers.OutcomeTransferred || c.Answered.IsZero() {
			t.Fatalf("%s: transferred call %+v", state, c)
		}
		if c.End.String() != "Transferred to Sales desk (0/7015)" {
			t.Fatalf("%s: end reason reads %q", state, c.End.String())
		}
		if err, told := outcome(done); !told || err != nil {
			t.Fatalf("%s: transfer outcome %v (told %v), want nil", state, err, told)
		}
	}
}

// TestTransferNoAnswer: a person does not answer one time in NoAnswerOdds;
// the call then stays as it was and its conversation goes on where it left
// off. A queue always answers.
func TestTransferNoAnswer(t *testing.T) {
	run := func(to providers.Target) (failed, through int) {
		s := newSim(Name, 31, 0, window, t0, 2000)
		at := t0.Add(time.Second)
		type pending struct {
			state providers.State
			kind  eventKind
			left  time.Duration
			done  <-chan error
		}
		moving := map[string]pending{}
		s.advance(at)
		s.flush()
		for _, call := range s.snapshot() {
			c := s.calls.get(call.ID)
			if (c.state() != providers.StateActive && c.state() != providers.StateHeld) || !c.pending().at.After(at) {
				continue
			}
			p := pending{state: c.state(), kind: c.pending().kind, left: c.pending().at.Sub(at)}
			var err error
			if p.done, err = s.transfer(at, c.id, to); err != nil {
				t.Fatal(err)
			}
			moving[c.id] = p
		}
		evs := play(s, at.Add(TransferNoAnswer), 250*time.Millisecond)
		back := at.Add(TransferNoAnswer)
		for id, p := range moving {
			calls := callEvents(evs, id)
			c := calls[len(calls)-1]
			err, told := outcome(p.done)
			if !told {
				t.Fatalf("%s: no outcome %v after the transfer began", id, TransferNoAnswer)
			}
			if c.State == providers.StateEnded {
				if err != nil || c.Result() != providers.OutcomeTransferred || c.Ended.After(at.Add(transferRingMax)) {
					t.Fatalf("%s: ended %+v, outcome %v", id, c, err)
				}
				through++
				continue
			}
			failed++
			caps := map[providers.State]providers.Capabilities{providers.StateActive: activeCaps, providers.StateHeld: heldCaps}[p.state]
			if c.State != p.state || c.Caps != caps || c.Version != calls[0].Version+1 {
				t.Fatalf("%s: after no answer %s %v (v%d), want %s as before with its actions back", id, c.State, c.Caps.Names(), c.Version, p.state)
			}
			words := "no answer from " + to.Name + " within 10s (500/7700, the transfer failed); the call is still yours, " + stateWords(p.state)
			if !errors.Is(err, errNoAnswer) || err.Error() != words {
				t.Fatalf("%s: outcome %v, want %q", id, err, words)
			}
			// An active call talks on for the time its script had left; a
			// held one waits for the agent as long as its caller will.
			sc := s.calls.get(id)
			switch {
			case p.state == providers.StateActive && (sc.pending().kind != p.kind || !sc.pending().at.Equal(back.Add(p.left))):
				t.Fatalf("%s: after the failed transfer next is %v at %v, want %v at %v", id, sc.pending().kind, sc.pending().at, p.kind, back.Add(p.left))
			case p.state == providers.StateHeld && (sc.pending().kind != evHoldQuit || sc.pending().at.Sub(back) < holdPatienceMin || sc.pending().at.Sub(back) > holdPatienceMax):
				t.Fatalf("%s: on hold after the failed transfer, next is %v at %v", id, sc.pending().kind, sc.pending().at)
			}
		}
		return failed, through
	}
	failed, through := run(anaSilva)
	if n := failed + through; n < 1000 || failed < n/16 || failed > n/5 {
		t.Fatalf("%d of %d transfers to a person went unanswered, want about one in %d", failed, n, NoAnswerOdds)
	}
	if again, _ := run(anaSilva); again != failed {
		t.Fatalf("the same seed left %d transfers unanswered, then %d", failed, again)
	}
	if failed, _ := run(salesDesk); failed != 0 {
		t.Fatalf("%d transfers to a queue went unanswered", failed)
	}
}

func TestHangupCallsTransferOff(t *testing.T) {
	s := newSim(Name, 21, 0, window, t0, 400)
	at := t0.Add(time.Second)
	id := findCall(t, s, providers.StateActive, at, nil)
	done, err := s.transfer(at, id, anaSilva)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.hangup(at.Add(time.Second), id); err != nil {
		t.Fatalf("hang up while the transfer rings: %v", err)
	}
	err, told := outcome(done)
	if !told || !errors.Is(err, errCalledOff) || !strings.Contains(err.Error(), "you hung up before Ana Silva took the call") {
		t.Fatalf("transfer outcome after a hang-up: %v (told %v)", err, told)
	}
	calls := callEvents(play(s, at.Add(time.Minute), 100*time.Millisecond), id)
	if c := calls[len(calls)-1]; c.State != providers.StateEnded || c.End != EndHungUp || c.Result() != providers.OutcomeHandled {
		t.Fatalf("a transfer called off by a hang-up ended as %+v", c)
	}
}

func TestHoldAndResumeByAgent(t *testing.T) {
	hold := t0.Add(time.Second)
	// A call that talks to its end, and one whose script has a hold of its
	// own still to come: the two holds must not get in each other's way.
	for _, next := range []eventKind{evRemoteEnd, evHold} {
		s := newSim(Name, 21, 0, window, t0, 400)
		id := findCall(t, s, providers.StateActive, hold, func(c *simCall) bool {
			return c.pending().at.After(hold.Add(time.Minute)) && c.pending().kind == next
		})
		c := s.calls.get(id)
		kind, due := c.pending().kind, c.pending().at
		if err := s.holdCall(hold, id); err != nil {
			t.Fatal(err)
		}
		evs := callEvents(s.flush(), id)
		if len(evs) != 1 || evs[0].State != providers.StateHeld || evs[0].Caps != heldCaps {
			t.Fatalf("after hold: %+v", evs)
		}
		if wait := c.pending().at.Sub(hold); c.pending().kind != evHoldQuit || wait < holdPatienceMin || wait > holdPatienceMax {
			t.Fatalf("a caller on hold waits %v for %v", wait, c.pending().kind)
		}
		if err := s.holdCall(hold, id); !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "already on hold") {
			t.Fatalf("hold twice: %v", err)
		}
		resume := hold.Add(20 * time.Second)
		if err := s.resumeCall(resume, id); err != nil {
			t.Fatal(err)
		}
		evs = callEvents(s.flush(), id)
		if len(evs) != 1 || evs[0].State != providers.StateActive || evs[0].Caps != activeCaps {
			t.Fatalf("after resume: %+v", evs)
		}
		// The conversation picks up where it was: what was due comes as
		// much later as the hold lasted.
		if c.pending().kind != kind || !c.pending().at.Equal(due.Add(20*time.Second)) {
			t.Fatalf("after resume next is %v at %v, want %v at %v", c.pending().kind, c.pending().at, kind, due.Add(20*time.Second))
		}
		if err := s.resumeCall(resume, id); !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "not on hold") {
			t.Fatalf("resume twice: %v", err)
		}
	}
}

func TestCallerLeftOnHoldHangsUp(t *testing.T) {
	s := newSim(Name, 21, 0, window, t0, 400)
	id := findCall(t, s, providers.StateActive, t0, nil)
	if err := s.holdCall(t0, id); err != nil {
		t.Fatal(err)
	}
	s.flush()
	c := s.calls.get(id)
	quit, why := c.pending().at, c.plan.holdQuitEnd.reason()
	calls := callEvents(play(s, t0.Add(5*time.Minute), time.Second), id)
	if len(calls) != 1 || calls[0].End != why || !calls[0].Ended.Equal(quit) || calls[0].Result() != providers.OutcomeHandled {
		t.Fatalf("a caller left on hold: %+v, want %v at %v", calls, why, quit)
	}
}

func TestResumeScriptedHold(t *testing.T) {
	s := newSim(Name, 21, 0, window, t0, 400)
	id := findCall(t, s, providers.StateHeld, t0, nil)
	remaining := s.calls.get(id).plan.remaining
	if err := s.resumeCall(t0, id); err != nil {
		t.Fatal(err)
	}
	if c := s.calls.get(id); c.state() != providers.StateActive || c.pending().kind != evRemoteEnd || !c.pending().at.Equal(t0.Add(remaining)) {
		t.Fatalf("a call taken off the script's hold: %s, next %v at %v, want the end at %v", c.state(), c.pending().kind, c.pending().at, t0.Add(remaining))
	}
}

// TestControlRefusals: each action is checked against the call's state and
// capabilities (providers.CheckAction) and its target, refused in words,
// and a refusal changes nothing.
func TestControlRefusals(t *testing.T) {
	s := newSim(Name, 21, 0, window, t0, 400)
	var ringing, connecting, active, held string
	for _, c := range s.snapshot() {
		switch c.State {
		case providers.StateRinging:
			ringing = c.ID
		case providers.StateConnecting:
			connecting = c.ID
		case providers.StateActive:
			active = c.ID
		case providers.StateHeld:
			held = c.ID
		}
	}
	ended := findRinging(t, s, true)
	if err := s.reject(t0, ended, providers.ReasonBusy); err != nil {
		t.Fatal(err)
	}
	s.flush()
	redirect := func(id string, to providers.Target) error { _, err := s.redirect(t0, id, to); return err }
	transfer := func(id string, to providers.Target) error { _, err := s.transfer(t0, id, to); return err }
	for _, tc := range []struct {
		name string
		err  error
		want error
		says string
	}{
		{"transfer ringing", transfer(ringing, anaSilva), providers.ErrNotAllowed, "redirect it instead"},
		{"hold ringing", s.holdCall(t0, ringing), providers.ErrNotAllowed, "redirect it instead"},
		{"redirect active", redirect(active, anaSilva), providers.ErrNotAllowed, "transfer it instead"},
		{"transfer connecting", transfer(connecting, anaSilva), providers.ErrNotAllowed, "still being connected"},
		{"hold connecting", s.holdCall(t0, connecting), providers.ErrNotAllowed, "still being connected"},
		{"hold held", s.holdCall(t0, held), providers.ErrNotAllowed, "already on hold"},
		{"resume active", s.resumeCall(t0, active), providers.ErrNotAllowed, "not on hold"},
		{"transfer unknown", transfer("no-such-call", anaSilva), providers.ErrNotFound, "transfer call no-such-call"},
		{"redirect unknown", redirect("no-such-call", anaSilva), providers.ErrNotFound, "redirect call no-such-call"},
		{"hold unknown", s.holdCall(t0, "no-such-call"), providers.ErrNotFound, "hold call no-such-call"},
		{"resume unknown", s.resumeCall(t0, "no-such-call"), providers.ErrNotFound, "resume call no-such-call"},
		{"redirect ended", redirect(ended, anaSilva), providers.ErrEnded, "already ended: Rejected from the console: busy"},
		{"transfer ended", transfer(ended, anaSilva), providers.ErrEnded, "already ended"},
		{"hold ended", s.holdCall(t0, ended), providers.ErrEnded, "already ended"},
		{"resume ended", s.resumeCall(t0, ended), providers.ErrEnded, "already ended"},
		{"transfer to a bad number", transfer(active, badPhone), providers.ErrBadTarget, "transfer call " + active + ": not a valid target: phone number"},
		{"redirect to a bad number", redirect(ringing, badPhone), providers.ErrBadTarget, "must start with +"},
		{"redirect to nobody", redirect(ringing, providers.Target{}), providers.ErrBadTarget, "the name is empty"},
	} {
		if !errors.Is(tc.err, tc.want) || !strings.Contains(tc.err.Error(), tc.says) {
			t.Errorf("%s: %v, want %v saying %q", tc.name, tc.err, tc.want, tc.says)
		}
	}
	if evs := s.flush(); len(evs) != 0 {
		t.Fatalf("refused actions changed %d calls: %+v", len(evs), evs[0].Call)
	}
}

// TestTransferKeepsOtherCallsAsTheyWere: what the console does to one call
// draws from that call's own stream; every other call goes on as it would.
func TestTransferKeepsOtherCallsAsTheyWere(t *testing.T) {
	quiet := newSim(Name, 9, 30, window, t0, 50)
	busy := newSim(Name, 9, 30, window, t0, 50)
	at := t0.Add(time.Second)
	moved := map[string]bool{}
	for _, c := range busy.snapshot() {
		var err error
		switch {
		case c.State == providers.StateActive:
			_, err = busy.transfer(at, c.ID, anaSilva)
		case c.State == providers.StateHeld:
			err = busy.resumeCall(at, c.ID)
		case c.State == providers.StateRinging:
			_, err = busy.redirect(at, c.ID, salesDesk)
		default:
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		moved[c.ID] = true
	}
	strip := func(evs []providers.Event) []providers.Call {
		var out []providers.Call
		for _, ev := range evs {
			if !moved[ev.Call.ID] {
				out = append(out, *ev.Call)
			}
		}
		return out
	}
	a, b := strip(play(quiet, t0.Add(5*time.Minute), time.Second)), strip(play(busy, t0.Add(5*time.Minute), time.Second))
	if len(a) < 100 || !reflect.DeepEqual(a, b) {
		t.Fatalf("acting on %d calls changed the others (%d events against %d)", len(moved), len(b), len(a))
	}
}
