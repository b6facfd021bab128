package providers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestEndedUnwatchedKeepsWhatWasKnown(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	live := Call{
		ID: "c1", Provider: "graph", State: StateActive, Direction: Incoming,
		From: Party{Name: "Ada", ID: "+4420", Kind: KindPhone}, To: Party{Name: "Bot"}, Queue: "Sales",
		Route:      Route{Dialled: Party{ID: "+4421", Kind: KindPhone}},
		Modalities: []string{"audio"}, Arrived: t0, AnswerBy: t0.Add(15 * time.Second), Answered: t0.Add(5 * time.Second),
		Caps: Caps(ActionHangup, ActionTransfer), Version: 6,
	}
	now := t0.Add(time.Hour)
	c := EndedUnwatched(live, now, "gone while nobody watched")
	if c.State != StateEnded || !c.Ended.Equal(now) || c.Caps != 0 || !c.AnswerBy.IsZero() || c.Version != 7 {
		t.Fatalf("ended: %+v", c)
	}
	if c.End != (EndReason{Text: "gone while nobody watched"}) || c.Result() != OutcomeHandled || c.Outcome != OutcomeHandled {
		t.Fatalf("end %+v outcome %q", c.End, c.Outcome)
	}
	if c.From != live.From || c.To != live.To || c.Queue != live.Queue || c.Route != live.Route ||
		!c.Arrived.Equal(t0) || !c.Answered.Equal(live.Answered) || c.ID != "c1" || c.Provider != "graph" {
		t.Fatalf("what was known must be kept: %+v", c)
	}
	c.Modalities[0] = "video"
	if live.Modalities[0] != "audio" {
		t.Fatal("the ended call must share no memory with the given one")
	}

	ringing := live
	ringing.State, ringing.Answered = StateRinging, time.Time{}
	if c := EndedUnwatched(ringing, now, "x"); c.Result() != OutcomeMissed {
		t.Fatalf("a call never answered ended unseen is missed: %+v", c)
	}
}

func TestRecheckCandidates(t *testing.T) {
	calls := []Call{
		{ID: "a1", Provider: "genesys", State: StateRinging},
		{ID: "../answer", Provider: "genesys", State: StateActive},
		{ID: "old", Provider: "genesys", State: StateEnded},
		{ID: "a1", Provider: "genesys", State: StateRinging},
		{ID: "g1", Provider: "graph", State: StateActive},
		{ID: "b\x1b[2J", State: StateActive},
		{ID: "n1", State: StateHeld}, // no provider said: taken as ours
	}
	todo, bad := RecheckCandidates("genesys", calls)
	var ids []string
	for _, c := range todo {
		ids = append(ids, c.ID)
	}
	if fmt.Sprint(ids) != "[a1 n1]" {
		t.Fatalf("to check: %v", ids)
	}
	if got := fmt.Sprint(bad.IDs()); got != "[../answer g1 b\x1b[2J]" {
		t.Fatalf("refused: %q", got)
	}
	err := bad.OrNil()
	if !errors.Is(err, ErrBadCallID) {
		t.Fatalf("want ErrBadCallID among the failures: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"genesys: could not check 3 of the calls", "../answer: not a valid call id", "g1: it is a call of the graph provider, not of genesys"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.ContainsRune(msg, 0x1b) {
		t.Fatalf("the error must not carry escape sequences: %q", msg)
	}
	if (&RecheckError{}).OrNil() != nil {
		t.Fatal("no failure is no error")
	}
}

func TestRecheckErrorCountsWhatItDoesNotSpellOut(t *testing.T) {
	e := &RecheckError{Provider: "graph"}
	for i := range 8 {
		e.Add(fmt.Sprintf("c%d", i), fmt.Errorf("read call c%d: %w", i, context.Canceled))
	}
	msg := e.Error()
	if !strings.Contains(msg, "c4: read call c4") || strings.Contains(msg, "c5:") || !strings.HasSuffix(msg, "; and 3 more") {
		t.Fatalf("error %q", msg)
	}
	if !errors.Is(e, context.Canceled) || len(e.IDs()) != 8 {
		t.Fatalf("the error must keep every failure: %v", e.IDs())
	}
}
