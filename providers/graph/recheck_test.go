package graph

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

// earlier is a call as an earlier run reported it: talking for ten minutes,
// at version v.
func (h *harness) earlier(id string, v uint64) providers.Call {
	t0 := h.clock.Now().Add(-10 * time.Minute)
	return providers.Call{
		ID: id, Provider: Name, State: providers.StateActive, Direction: providers.Incoming,
		From:    providers.Party{Name: "Ada Lovelace", ID: "+14255550100", Kind: providers.KindPhone},
		To:      providers.Party{Name: "Front desk", Kind: providers.KindApplication},
		Queue:   "Sales",
		Arrived: t0, AnswerBy: t0.Add(15 * time.Second), Answered: t0.Add(5 * time.Second),
		Modalities: []string{"audio"},
		Caps:       providers.Caps(providers.ActionHangup, providers.ActionTransfer),
		Version:    v,
	}
}

// putHeld makes the fake Graph hold call id on hold, in the words of its
// "Get call" documentation.
func (h *harness) putHeld(id string) {
	h.t.Helper()
	doc, err := os.ReadFile("testdata/doc-get-call.json")
	if err != nil {
		h.t.Fatal(err)
	}
	doc = bytes.Replace(doc, []byte(`"state": "established"`), []byte(`"state": "hold"`), 1)
	h.srv.API.PutCall(id, bytes.ReplaceAll(doc, []byte("2e1a0b00-2db4-4022-9570-243709c565ab"), []byte(id)))
}

func TestRecheckAdoptsWhatGraphStillHasAndEndsWhatItDoesNot(t *testing.T) {
	h := newHarness(t, setup{})
	known := h.talkingCall()
	still, gone := graphtest.NewCallID(), graphtest.NewCallID()
	h.putHeld(still)
	was := h.earlier(still, 5)
	wasGone := h.earlier(gone, 3)
	wasGone.State, wasGone.Answered = providers.StateRinging, time.Time{}
	wasKnown := h.earlier(known, 40)

	if err := h.p.Recheck(context.Background(), []providers.Call{was, wasGone, wasKnown}); err != nil {
		t.Fatal(err)
	}
	// Recheck returns once both are reported: their events are there.
	adopted := h.call()
	if adopted.ID != still || adopted.State != providers.StateHeld || adopted.Version != 6 {
		t.Fatalf("want %s held, as Graph has it, at version 6; got %+v", still, adopted)
	}
	if adopted.To.Name != "John" || !adopted.Arrived.Equal(was.Arrived) || !adopted.Answered.Equal(was.Answered) ||
		adopted.Queue != "Sales" || !adopted.Can(providers.ActionHangup) {
		t.Fatalf("the adopted call must take Graph's answer and keep the earlier run's times and queue: %+v", adopted)
	}
	ended := h.call()
	if ended.ID != gone || ended.State != providers.StateEnded || ended.Version != 4 || ended.End.Text != textGone ||
		ended.Caps != 0 || !ended.Ended.Equal(h.clock.Now()) || ended.Result() != providers.OutcomeMissed {
		t.Fatalf("want %s ended as Graph no longer knows it, at version 4; got %+v", gone, ended)
	}
	if ended.From != wasGone.From || ended.Queue != "Sales" || !ended.Arrived.Equal(wasGone.Arrived) {
		t.Fatalf("the ended call must keep what the earlier run knew: %+v", ended)
	}
	h.quiet() // nothing about the call this run knows
	if n := len(h.reads(known)); n != 0 {
		t.Fatalf("a call this run knows must not be read: %d reads", n)
	}
	if r := h.reads(gone); len(r) != 1 || r[0].Status != 404 {
		t.Fatalf("reads of %s: %+v", gone, r)
	}

	// Both are this run's calls now: a second Recheck leaves them alone,
	// and Graph's next word about the adopted one goes on from its version.
	before := len(h.srv.API.Requests())
	if err := h.p.Recheck(context.Background(), []providers.Call{was, wasGone}); err != nil {
		t.Fatal(err)
	}
	if n := len(h.srv.API.Requests()); n != before {
		t.Fatalf("%d more requests; calls this run knows are not read again", n-before)
	}
	h.post(graphtest.StateChange(still, "deleted", "terminated", nil))
	if c := h.call(); c.ID != still || c.State != providers.StateEnded || c.Version != 7 {
		t.Fatalf("want %s ended at version 7; got %+v", still, c)
	}
	if !h.logContains("checked calls an earlier run reported") {
		t.Fatalf("the recheck must be logged:\n%s", h.logs.String())
	}
}

func TestRecheckWithoutCredentialsSaysWhy(t *testing.T) {
	h := newHarness(t, setup{secret: "-"})
	err := h.p.Recheck(context.Background(), []providers.Call{h.earlier(graphtest.NewCallID(), 1)})
	if err == nil || !strings.Contains(err.Error(), "cannot check the calls an earlier run reported") ||
		!strings.Contains(err.Error(), h.p.ActionsOff()) {
		t.Fatalf("want the reason in words, got %v", err)
	}
	if n := len(h.srv.API.Requests()); n != 0 {
		t.Fatalf("%d requests sent without credentials", n)
	}
}

func TestRecheckRefusesBadIDsWithoutSendingAnything(t *testing.T) {
	h := newHarness(t, setup{})
	good := graphtest.NewCallID()
	calls := []providers.Call{h.earlier("../answer", 1), h.earlier("a/b", 1), h.earlier(good, 1)}
	err := h.p.Recheck(context.Background(), calls)
	var re *providers.RecheckError
	if !errors.As(err, &re) || !errors.Is(err, providers.ErrBadCallID) || strings.Join(re.IDs(), " ") != "../answer a/b" {
		t.Fatalf("want both bad ids refused as such, got %v", err)
	}
	if !strings.Contains(err.Error(), "not a valid call id") {
		t.Fatalf("the refusal must say why: %v", err)
	}
	for _, r := range h.srv.API.Requests() {
		if r.CallID != good {
			t.Fatalf("a request went out for a bad id: %+v", r)
		}
	}
	if c := h.call(); c.ID != good || c.State != providers.StateEnded {
		t.Fatalf("the good id is still checked: %+v", c)
	}
}

func TestRecheckStopsWhenItsContextEnds(t *testing.T) {
	h := newHarness(t, setup{})
	waiting, release := h.srv.API.HoldReads()
	t.Cleanup(release)
	a, b := graphtest.NewCallID(), graphtest.NewCallID()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.p.Recheck(ctx, []providers.Call{h.earlier(a, 2), h.earlier(b, 2)}) }()
	for range 2 {
		select {
		case <-waiting:
		case <-time.After(10 * time.Second):
			t.Fatal("the reads never reached Graph")
		}
	}
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Recheck did not return after its context ended")
	}
	var re *providers.RecheckError
	if !errors.As(err, &re) || !errors.Is(err, context.Canceled) || len(re.IDs()) != 2 {
		t.Fatalf("want both calls named as not checked, for the context's end; got %v", err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if _, err := h.srv.API.Wait(wctx, 2); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.srv.API.Requests() {
		if r.Status != 0 {
			t.Fatalf("a read was answered though the client gave up: %+v", r)
		}
	}
	// Left as they were: nothing reported, nothing filed.
	h.quiet()
	for _, id := range []string{a, b} {
		if _, ok := h.p.ledger.Get(id); ok {
			t.Fatalf("%s filed though it was not checked", id)
		}
	}
}

func TestRecheckReadThatFailsLeavesTheCallToTryAgain(t *testing.T) {
	h := newHarness(t, setup{})
	id := graphtest.NewCallID()
	h.srv.API.Script(id, graphtest.ActionGet, graphtest.Response{Status: 403})
	was := h.earlier(id, 9)
	err := h.p.Recheck(context.Background(), []providers.Call{was})
	var re *providers.RecheckError
	if !errors.As(err, &re) || len(re.IDs()) != 1 || re.IDs()[0] != id || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("want %s named with Graph's refusal, got %v", id, err)
	}
	h.quiet()
	// Tried again, Graph no longer knows it.
	if err := h.p.Recheck(context.Background(), []providers.Call{was}); err != nil {
		t.Fatal(err)
	}
	if c := h.call(); c.ID != id || c.State != providers.StateEnded || c.Version != 10 {
		t.Fatalf("want %s ended at version 10; got %+v", id, c)
	}
}

func TestRecheckReadsNoMoreThanMaxCalls(t *testing.T) {
	h := newHarness(t, setup{options: func(o *providers.Options) { o.MaxCalls = 2 }})
	calls := []providers.Call{h.earlier(graphtest.NewCallID(), 1), h.earlier(graphtest.NewCallID(), 1), h.earlier(graphtest.NewCallID(), 1)}
	for _, c := range calls {
		h.putHeld(c.ID)
	}
	err := h.p.Recheck(context.Background(), calls)
	var re *providers.RecheckError
	if !errors.As(err, &re) || len(re.IDs()) != 1 || re.IDs()[0] != calls[2].ID || !strings.Contains(err.Error(), "--max-calls (2)") {
		t.Fatalf("want the third call refused for --max-calls, got %v", err)
	}
	if n := len(h.srv.API.Requests()); n != 2 {
		t.Fatalf("%d reads, want 2", n)
	}
	if n := h.p.ledger.LiveCount(); n != 2 {
		t.Fatalf("%d live calls, want 2", n)
	}
}

func TestRecheckNeedsRunGoing(t *testing.T) {
	h := newHarness(t, setup{noRun: true})
	err := h.p.Recheck(context.Background(), []providers.Call{h.earlier(graphtest.NewCallID(), 1)})
	if err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("want a refusal in words, got %v", err)
	}
	if n := len(h.srv.API.Requests()); n != 0 {
		t.Fatalf("%d requests", n)
	}
}
