package demo

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/providers"
)

// FuzzLifecycle drives the simulation with arbitrary sequences of clock
// moves, actions on live, ended and unknown calls (answer, reject, hang up,
// transfer, redirect, hold, resume, to good targets and bad ones) and
// changes of the agent's state, and checks that every event stream is one
// a real provider may send (checker: never backwards, ended calls stay
// ended, no queue call offered to an agent who is not ready), that every
// refusal is worded and typed, that refusals change nothing, that every
// transfer and redirect is told its outcome exactly when it has one, and
// that replaying the same sequence gives the same events.
func FuzzLifecycle(f *testing.F) {
	f.Add(int64(1), uint8(10), uint8(4), uint8(29), []byte{1, 0, 0, 40, 3, 0, 0, 200, 2, 1})
	f.Add(int64(7), uint8(0), uint8(1), uint8(0), []byte{2, 1, 2, 1, 1, 0, 3, 0})
	f.Add(int64(-3), uint8(200), uint8(60), uint8(5), []byte{4, 3, 1, 7, 0, 255, 3, 2, 1, 9, 4, 250, 2, 3})
	f.Add(int64(21), uint8(30), uint8(40), uint8(29), []byte{5, 0, 5, 8, 7, 1, 8, 1, 0, 120, 4, 12, 6, 2, 9, 3, 4, 40, 9, 6, 4, 31})
	f.Add(int64(5), uint8(60), uint8(20), uint8(10), []byte{7, 2, 5, 2, 3, 2, 6, 9, 6, 30, 0, 30, 9, 1, 4, 200, 8, 4, 5, 4})
	f.Fuzz(func(t *testing.T, seed int64, rate, calls, win uint8, ops []byte) {
		if len(ops) > 400 {
			ops = ops[:400]
		}
		w := time.Duration(int(win)%30+1) * 500 * time.Millisecond
		a := drive(t, seed, float64(rate), int(calls), w, ops)
		b := drive(t, seed, float64(rate), int(calls), w, ops)
		if !reflect.DeepEqual(a, b) {
			t.Fatal("the same seed, clock and actions gave different events")
		}
	})
}

// fuzzTargets are what transfers and redirects are sent to: a person, a
// queue, a number, and a number that is not one.
var fuzzTargets = []providers.Target{
	anaSilva, salesDesk,
	{Name: "+1 415 555 0123", Kind: providers.TargetPhone, Phone: "+14155550123"},
	badPhone,
}

// fuzzChoices are the agent's menu and two choices it does not have.
var fuzzChoices = append(agentChoices(),
	providers.AgentChoice{State: "away"},
	providers.AgentChoice{State: providers.AgentNotReady, Code: "nap"},
)

func drive(t *testing.T, seed int64, rate float64, calls int, w time.Duration, ops []byte) []providers.Event {
	s := newSim(Name, seed, rate, w, t0, calls)
	k := newChecker(t, w)
	for _, c := range s.snapshot() {
		k.see(providers.Event{Time: t0, Call: &c})
	}
	var all []providers.Event
	var ended []string
	waiting := map[string]<-chan error{} // transfers and redirects not yet told
	see := func(evs []providers.Event) {
		k.seeAll(evs)
		all = append(all, evs...)
		for _, ev := range evs {
			if ev.Call != nil && ev.Call.State == providers.StateEnded {
				ended = append(ended, ev.Call.ID)
			}
		}
		checkOutcomes(t, s, waiting)
	}
	now := t0
	for i := 0; i+1 < len(ops); i += 2 {
		op, arg := ops[i]%10, ops[i+1]
		switch op {
		case 0, 4:
			step := time.Duration(arg) * 37 * time.Millisecond
			if op == 4 {
				step = time.Duration(arg) * time.Second
			}
			now = now.Add(step)
			s.advance(now)
			see(s.flush())
			continue
		case 9:
			choice := fuzzChoices[int(arg)%len(fuzzChoices)]
			err := s.chooseAgent(now, choice)
			evs := s.flush()
			see(evs)
			switch last := evs[max(len(evs)-1, 0):]; {
			case err == nil && (len(last) == 0 || last[0].Status == nil || last[0].Status.Agent == ""):
				t.Fatalf("agent state %+v set, but no status says so", choice)
			case err != nil && !strings.HasPrefix(err.Error(), "agent state: "):
				t.Fatalf("agent state %+v refused without saying what: %v", choice, err)
			case err != nil && len(evs) != 0:
				t.Fatalf("agent state %+v was refused (%v) but changed %d things", choice, err, len(evs))
			}
			continue
		}
		// Pick a call: a live call, a call that ended, or one never seen.
		live := s.snapshot()
		var id string
		switch {
		case arg%7 == 6:
			id = "00000000-0000-4000-8000-000000000000"
		case arg%7 == 5 && len(ended) > 0:
			id = ended[int(arg)%len(ended)]
		case len(live) > 0:
			id = live[int(arg)%len(live)].ID
		default:
			continue
		}
		to := fuzzTargets[int(arg/7)%len(fuzzTargets)]
		before, wasKnown := s.ledger.Get(id)
		var err error
		var verb string
		var done <-chan error
		switch op {
		case 1:
			verb, err = "answer", s.answer(now, id)
		case 2:
			reason := []providers.RejectReason{"none", "busy", "forbidden", "soon"}[arg%4]
			verb, err = "reject", s.reject(now, id, reason)
		case 3:
			verb, err = "hang up", s.hangup(now, id)
		case 5:
			verb = "transfer"
			done, err = s.transfer(now, id, to)
		case 6:
			verb = "redirect"
			done, err = s.redirect(now, id, to)
		case 7:
			verb, err = "hold", s.holdCall(now, id)
		case 8:
			verb, err = "resume", s.resumeCall(now, id)
		}
		evs := s.flush()
		if done != nil {
			waiting[id] = done
		}
		see(evs)
		if err == nil {
			checkDone(t, s, verb, id, before, evs)
			continue
		}
		if !strings.HasPrefix(err.Error(), verb+" call "+id+": ") {
			t.Fatalf("error does not say what was refused: %v", err)
		}
		switch {
		case errors.Is(err, providers.ErrEnded):
			if !wasKnown {
				t.Fatalf("%s %s: ended, but the ledger never knew it", verb, id)
			}
		case errors.Is(err, providers.ErrNotFound):
			if wasKnown {
				t.Fatalf("%s %s: not found, but the ledger knows it: %+v", verb, id, before)
			}
		case errors.Is(err, providers.ErrNotAllowed):
		case errors.Is(err, providers.ErrBadTarget):
			if to.Validate() == nil {
				t.Fatalf("%s %s to %+v: a good target refused: %v", verb, id, to, err)
			}
		case strings.Contains(err.Error(), "unknown reason"):
		default:
			t.Fatalf("%s %s: untyped error %v", verb, id, err)
		}
		if slices.ContainsFunc(evs, func(ev providers.Event) bool {
			return ev.Call != nil && ev.Call.ID == id && ev.Time.Equal(s.now) && ev.Call.State != providers.StateEnded
		}) {
			t.Fatalf("%s %s was refused (%v) but changed the call", verb, id, err)
		}
	}
	return all
}

// checkDone checks what an action that succeeded did to the call: the
// last event is the call, now, as the action leaves it.
func checkDone(t *testing.T, s *sim, verb, id string, before providers.Call, evs []providers.Event) {
	t.Helper()
	last := evs[len(evs)-1]
	if last.Call == nil || last.Call.ID != id || !last.Time.Equal(s.now) {
		t.Fatalf("%s %s succeeded but the last event is %+v", verb, id, last)
	}
	c := *last.Call
	hangupOnly := providers.Caps(providers.ActionHangup)
	var ok bool
	switch verb {
	case "answer":
		ok = c.State == providers.StateConnecting
	case "reject":
		ok = c.State == providers.StateEnded && c.Result() == providers.OutcomeRejected
	case "hang up":
		ok = c.State == providers.StateEnding
	case "transfer":
		ok = c.State == before.State && c.Caps == hangupOnly
	case "redirect":
		ok = c.State == providers.StateRinging && c.Caps == 0
	case "hold":
		ok = c.State == providers.StateHeld && c.Can(providers.ActionResume)
	case "resume":
		ok = c.State == providers.StateActive && c.Can(providers.ActionHold)
	}
	if !ok {
		t.Fatalf("%s %s gave %s %v", verb, id, c.State, c.Caps.Names())
	}
}

// checkOutcomes checks that a transfer or redirect is told how it went
// exactly when it is over, and what: nil when the call went, an error when
// it stayed (unanswered, connected as before) or ended otherwise.
func checkOutcomes(t *testing.T, s *sim, waiting map[string]<-chan error) {
	t.Helper()
	for id, done := range waiting {
		c := s.calls.get(id)
		if c != nil && c.moving {
			if len(done) != 0 {
				t.Fatalf("%s: told an outcome while still on its way", id)
			}
			continue
		}
		var err error
		select {
		case err = <-done:
		default:
			t.Fatalf("%s: its transfer or redirect is over but was never told so", id)
		}
		delete(waiting, id)
		call, _ := s.ledger.Get(id)
		switch {
		case call.Result() == providers.OutcomeTransferred:
			if err != nil {
				t.Fatalf("%s went (%v) but was told %v", id, call.End, err)
			}
		case errors.Is(err, errNoAnswer):
			// The call came back (the checker saw it come back as it was);
			// it may have ended since, in the same step.
			if call.State == providers.StateRinging || call.Result() == providers.OutcomeTransferred {
				t.Fatalf("%s: unanswered, but %s %v", id, call.State, call.Result())
			}
		case errors.Is(err, errCalledOff):
			if call.State != providers.StateEnding && call.State != providers.StateEnded {
				t.Fatalf("%s: called off, but %s", id, call.State)
			}
		case !errors.Is(err, providers.ErrEnded):
			t.Fatalf("%s: told %v, call %+v", id, err, call)
		}
	}
}
