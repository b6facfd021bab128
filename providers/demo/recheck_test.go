package demo

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"ringside/providers"
)

// earlierCall is a call an earlier run reported: talking, at version 7,
// with a name carrying an escape sequence, as text from outside may.
func earlierCall(id string) providers.Call {
	return providers.Call{
		ID: id, Provider: Name, State: providers.StateActive, Direction: providers.Incoming,
		From:    providers.Party{Name: "Ada\x1b[31m Lovelace", ID: "+14255550100", Kind: providers.KindPhone},
		To:      Agent,
		Queue:   "Support",
		Arrived: t0.Add(-3 * time.Minute), Answered: t0.Add(-170 * time.Second),
		Caps:    providers.Caps(providers.ActionHangup),
		Version: 7,
	}
}

func TestRecheckEndsEveryCallOfAnEarlierRun(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := mustNew(t, Config{Calls: 1, Seed: 1}, providers.Options{Now: clock.Now})
	events, _ := start(t, p, 16)
	recv(t, events)
	ring := *recv(t, events).Call
	recv(t, events) // live

	clock.Set(t0.Add(2 * time.Second))
	old := earlierCall("7c1f3a52-0000-4000-8000-000000000001")
	err := p.Recheck(context.Background(), []providers.Call{ring, old, earlierCall("..")})
	if !errors.Is(err, providers.ErrBadCallID) || !strings.Contains(err.Error(), "..: not a valid call id") {
		t.Fatalf("want the bad id refused in words, got %v", err)
	}
	// Recheck returns once Run has sent the end.
	var ended providers.Call
	select {
	case ev := <-events:
		ended = *ev.Call
	default:
		t.Fatal("Recheck returned before the end was sent")
	}
	if ended.ID != old.ID || ended.State != providers.StateEnded || ended.Version != 8 || ended.End.Text != endUnwatched ||
		!ended.Ended.Equal(t0.Add(2*time.Second)) || ended.Caps != 0 || ended.Result() != providers.OutcomeHandled {
		t.Fatalf("ended: %+v", ended)
	}
	if ended.From.Name != "Ada Lovelace" || ended.Queue != "Support" || !ended.Answered.Equal(old.Answered) {
		t.Fatalf("the end must keep what the earlier run knew, its text cleaned: %+v", ended)
	}
	select {
	case ev := <-events:
		t.Fatalf("an event for a call the simulation knows: %+v", ev)
	default:
	}
	if c, _ := p.sim.ledger.Get(ring.ID); c.State != providers.StateRinging || c.Version != ring.Version {
		t.Fatalf("the simulation's own call changed: %+v", c)
	}

	// The ended call is known now: a second Recheck sends nothing.
	if err := p.Recheck(context.Background(), []providers.Call{old}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		t.Fatalf("an event for a call already ended: %+v", ev)
	default:
	}
}

// A console that stops reading holds Run up; Recheck stops waiting with its
// context, and the end still goes out once the console reads again.
func TestRecheckStopsWaitingWithItsContext(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := mustNew(t, Config{Calls: 1, Seed: 1}, providers.Options{Now: clock.Now})
	events, _ := start(t, p, 0) // nobody reads yet: Run blocks on its first event
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	old := earlierCall("7c1f3a52-0000-4000-8000-000000000002")
	var err error
	deadline := time.Now().Add(guard)
	for {
		// Run may not have begun: Recheck refuses until it has.
		if err = p.Recheck(ctx, []providers.Call{old}); err == nil || !strings.Contains(err.Error(), "not running") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run never began")
		}
		time.Sleep(time.Millisecond)
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "they still are") {
		t.Fatalf("want Recheck to stop waiting with its context, got %v", err)
	}
	for {
		ev := recv(t, events)
		if ev.Call != nil && ev.Call.ID == old.ID {
			if ev.Call.State != providers.StateEnded {
				t.Fatalf("%+v", ev.Call)
			}
			return
		}
	}
}

func TestRecheckNeedsRunGoing(t *testing.T) {
	p := mustNew(t, Config{Calls: 1, Seed: 1}, providers.Options{})
	err := p.Recheck(context.Background(), []providers.Call{earlierCall("7c1f3a52-0000-4000-8000-000000000003")})
	if err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("want a refusal in words, got %v", err)
	}
}
