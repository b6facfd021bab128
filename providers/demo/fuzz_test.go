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
// moves and actions on live, ended and unknown calls, and checks that every
// event stream is one a real provider may send (checker), that every refusal
// is worded and typed, that refusals change nothing, and that replaying the
// same sequence gives the same events.
func FuzzLifecycle(f *testing.F) {
	f.Add(int64(1), uint8(10), uint8(4), uint8(29), []byte{1, 0, 0, 40, 3, 0, 0, 200, 2, 1})
	f.Add(int64(7), uint8(0), uint8(1), uint8(0), []byte{2, 1, 2, 1, 1, 0, 3, 0})
	f.Add(int64(-3), uint8(200), uint8(60), uint8(5), []byte{4, 3, 1, 7, 0, 255, 3, 2, 1, 9, 4, 250, 2, 3})
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

func drive(t *testing.T, seed int64, rate float64, calls int, w time.Duration, ops []byte) []providers.Event {
	s := newSim(Name, seed, rate, w, t0, calls)
	k := newChecker(t, w)
	for _, c := range s.snapshot() {
		k.see(providers.Event{Time: t0, Call: &c})
	}
	var all []providers.Event
	var ended []string
	now := t0
	for i := 0; i+1 < len(ops); i += 2 {
		op, arg := ops[i]%5, ops[i+1]
		if op == 0 || op == 4 {
			step := time.Duration(arg) * 37 * time.Millisecond
			if op == 4 {
				step = time.Duration(arg) * time.Second
			}
			now = now.Add(step)
			s.advance(now)
			evs := s.flush()
			k.seeAll(evs)
			all = append(all, evs...)
			for _, ev := range evs {
				if ev.Call.State == providers.StateEnded {
					ended = append(ended, ev.Call.ID)
				}
			}
			continue
		}
		// Pick a target: a live call, a call that ended, or one never seen.
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
		before, wasKnown := s.ledger.Get(id)
		var err error
		var verb string
		switch op {
		case 1:
			verb, err = "answer", s.answer(now, id)
		case 2:
			reason := []providers.RejectReason{"none", "busy", "forbidden", "soon"}[arg%4]
			verb, err = "reject", s.reject(now, id, reason)
		case 3:
			verb, err = "hang up", s.hangup(now, id)
		}
		evs := s.flush()
		k.seeAll(evs)
		all = append(all, evs...)
		if err == nil {
			last := evs[len(evs)-1].Call
			if last.ID != id || !evs[len(evs)-1].Time.Equal(s.now) {
				t.Fatalf("%s %s succeeded but the last event is %+v", verb, id, last)
			}
			want := map[string]providers.State{"answer": providers.StateConnecting, "reject": providers.StateEnded, "hang up": providers.StateEnding}[verb]
			if last.State != want {
				t.Fatalf("%s %s gave %s, want %s", verb, id, last.State, want)
			}
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
		case strings.Contains(err.Error(), "unknown reason"):
		default:
			t.Fatalf("%s %s: untyped error %v", verb, id, err)
		}
		if slices.ContainsFunc(evs, func(ev providers.Event) bool {
			return ev.Call.ID == id && ev.Time.Equal(s.now) && ev.Call.State != providers.StateEnded
		}) {
			t.Fatalf("%s %s was refused (%v) but changed the call", verb, id, err)
		}
	}
	return all
}
