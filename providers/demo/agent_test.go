package demo

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"ringside/providers"
)

// agentOf is the Agent text of every status among evs, in order.
func agentOf(evs []providers.Event) []string {
	var out []string
	for _, ev := range evs {
		if ev.Status != nil {
			out = append(out, ev.Status.Agent)
		}
	}
	return out
}

// TestNotReadyKeepsQueueCallsAway: while the agent is not ready, queues
// offer their calls to colleagues; calls dialled directly ring as before,
// and they are the very calls a ready agent would have had.
func TestNotReadyKeepsQueueCallsAway(t *testing.T) {
	for _, choice := range []providers.AgentChoice{
		{State: providers.AgentNotReady, Code: "lunch"},
		{State: providers.AgentNotReady},
	} {
		ready := newSim(Name, 14, 30, window, t0, 0)
		away := newSim(Name, 14, 30, window, t0, 0)
		if err := away.chooseAgent(t0, choice); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"lunch": "Not Ready · Lunch", "": "Not Ready"}[choice.Code]
		if got := agentOf(away.flush()); !reflect.DeepEqual(got, []string{want}) {
			t.Fatalf("%+v: statuses %q, want %q", choice, got, want)
		}
		end := t0.Add(10 * time.Minute)
		readyEvs, awayEvs := play(ready, end, time.Second), play(away, end, time.Second)
		newChecker(t, window).seeAll(readyEvs)
		k := newChecker(t, window)
		k.agent = want
		k.seeAll(awayEvs) // fails on any queue call offered while not ready
		var direct, queued []providers.Call
		for _, ev := range readyEvs {
			if ev.Call.Queue == "" {
				direct = append(direct, *ev.Call)
			} else {
				queued = append(queued, *ev.Call)
			}
		}
		var got []providers.Call
		for _, ev := range awayEvs {
			got = append(got, *ev.Call)
		}
		if len(direct) < 20 || len(queued) < 50 {
			t.Fatalf("ten minutes at 30/min gave %d direct and %d queue events", len(direct), len(queued))
		}
		if !reflect.DeepEqual(got, direct) {
			t.Fatalf("%+v: not ready, %d events; a ready agent's direct calls made %d", choice, len(got), len(direct))
		}
	}
}

func TestAfterCallWorkEndsOnItsOwn(t *testing.T) {
	s := newSim(Name, 14, 30, window, t0, 0)
	at := t0.Add(5 * time.Second)
	if err := s.chooseAgent(at, providers.AgentChoice{State: providers.AgentAfterCallWork}); err != nil {
		t.Fatal(err)
	}
	k := newChecker(t, window)
	evs := s.flush()
	k.seeAll(evs) // the checker follows the agent's state from the statuses
	if got := agentOf(evs); !reflect.DeepEqual(got, []string{"After call work"}) || !evs[len(evs)-1].Time.Equal(at) {
		t.Fatalf("statuses %q at %v", got, evs[len(evs)-1].Time)
	}
	evs = play(s, at.Add(AfterCallWork-time.Millisecond), 100*time.Millisecond)
	k.seeAll(evs)
	if got := agentOf(evs); len(got) != 0 {
		t.Fatalf("after-call work changed before its time: %q", got)
	}
	evs = play(s, at.Add(3*time.Minute), 100*time.Millisecond)
	k.seeAll(evs)
	var back time.Time
	queued := 0
	for _, ev := range evs {
		switch {
		case ev.Status != nil:
			if ev.Status.Agent != "Ready" || !back.IsZero() {
				t.Fatalf("after-call work ended as %q (twice: %v)", ev.Status.Agent, !back.IsZero())
			}
			back = ev.Time
		case ev.Call.Queue != "" && ev.Call.Version == 1:
			queued++
		}
	}
	if !back.Equal(at.Add(AfterCallWork)) || queued == 0 {
		t.Fatalf("ready again at %v (want %v), then %d queue calls", back, at.Add(AfterCallWork), queued)
	}

	// Another choice during after-call work calls the return to Ready off.
	s = newSim(Name, 14, 0, window, t0, 0)
	for _, ch := range []providers.AgentChoice{
		{State: providers.AgentAfterCallWork},
		{State: providers.AgentNotReady, Code: "Meeting"},
	} {
		if err := s.chooseAgent(at, ch); err != nil {
			t.Fatal(err)
		}
	}
	if got := agentOf(play(s, at.Add(time.Hour), time.Second)); len(got) != 2 || got[1] != "Not Ready · Meeting" {
		t.Fatalf("statuses %q, want after-call work then the meeting and nothing more", got)
	}
	if _, ok := s.next(); ok {
		t.Fatal("a return to Ready is still scheduled")
	}
}

func TestAgentChoicesAndRefusals(t *testing.T) {
	p := mustNew(t, Config{Seed: 1}, providers.Options{Now: (&fakeClock{now: t0}).Now})
	ctx := context.Background()
	choices, err := p.AgentChoices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, ch := range choices {
		labels = append(labels, string(ch.State)+"/"+ch.Code+"="+ch.Label)
	}
	want := []string{
		"ready/=Ready", "not-ready/=Not Ready", "not-ready/break=Not Ready · Break", "not-ready/lunch=Not Ready · Lunch",
		"not-ready/meeting=Not Ready · Meeting", "not-ready/training=Not Ready · Training", "after-call-work/=After call work",
	}
	if !reflect.DeepEqual(labels, want) {
		t.Fatalf("choices %q", labels)
	}
	choices[0].Label = "mangled"
	if again, _ := p.AgentChoices(ctx); again[0].Label != "Ready" {
		t.Fatal("AgentChoices must hand out a copy")
	}
	for _, ch := range choices[1:] {
		if err := p.SetAgentState(ctx, ch); err != nil {
			t.Fatalf("%+v: %v", ch, err)
		}
	}
	for _, tc := range []struct {
		choice providers.AgentChoice
		says   string
	}{
		{providers.AgentChoice{State: "away"}, `agent state: unknown state "away" (want ready, not-ready or after-call-work)`},
		{providers.AgentChoice{State: providers.AgentNotReady, Code: "nap"}, `agent state: unknown reason "nap" (want break, lunch, meeting or training)`},
		{providers.AgentChoice{State: providers.AgentReady, Code: "lunch"}, `agent state: a reason ("lunch") goes only with not-ready`},
		{providers.AgentChoice{State: providers.AgentNotReady, Code: "lunch\x1b[2J"}, `unknown reason "lunch" (want`},
	} {
		if err := p.SetAgentState(ctx, tc.choice); err == nil || !strings.Contains(err.Error(), tc.says) || strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("%+v: %v, want %q", tc.choice, err, tc.says)
		}
	}
	if p.sim.agent != agentAfterCallWork {
		t.Fatalf("a refused choice changed the state: %+v", p.sim.agent)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.SetAgentState(canceled, choices[0]); !errors.Is(err, context.Canceled) {
		t.Fatalf("with an ended context: %v", err)
	}
	if _, err := p.AgentChoices(canceled); !errors.Is(err, context.Canceled) {
		t.Fatalf("with an ended context: %v", err)
	}
}

// TestRunAgentState: the statuses Run sends carry the agent's state, and
// a change comes as a live status with the new Agent text.
func TestRunAgentState(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := mustNew(t, Config{Seed: 3}, providers.Options{Now: clock.Now})
	events, _ := start(t, p, 16)
	for _, link := range []providers.Link{providers.LinkConnecting, providers.LinkLive} {
		ev := recv(t, events)
		if ev.Status == nil || ev.Status.Link != link || ev.Status.Agent != "Ready" {
			t.Fatalf("%+v, want %s with the agent ready", ev, link)
		}
	}
	clock.Set(t0.Add(3 * time.Second))
	if err := p.SetAgentState(context.Background(), providers.AgentChoice{State: providers.AgentNotReady, Code: "TRAINING"}); err != nil {
		t.Fatal(err)
	}
	ev := recv(t, events)
	want := providers.Status{Link: providers.LinkLive, Detail: p.Detail(), Agent: "Not Ready · Training"}
	if ev.Status == nil || *ev.Status != want || !ev.Time.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("after not-ready: %+v, want %+v", ev, want)
	}
	if err := p.SetAgentState(context.Background(), providers.AgentChoice{State: providers.AgentAfterCallWork}); err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, events); ev.Status == nil || ev.Status.Agent != "After call work" {
		t.Fatalf("after after-call work: %+v", ev)
	}
	clock.Set(t0.Add(3*time.Second + AfterCallWork))
	if ev := recv(t, events); ev.Status == nil || ev.Status.Agent != "Ready" || !ev.Time.Equal(t0.Add(3*time.Second+AfterCallWork)) {
		t.Fatalf("after-call work should end on its own: %+v", ev)
	}
}
