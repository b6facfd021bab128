package genesys

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
)

// earlier is a call as an earlier run reported it: talking for a while, at
// version v.
func earlier(id string, v uint64) providers.Call {
	t0 := time.Now().Add(-5 * time.Minute)
	return providers.Call{
		ID: id, Provider: Name, State: providers.StateActive, Direction: providers.Incoming,
		From:    providers.Party{ID: "+14255550100", Kind: providers.KindPhone},
		To:      providers.Party{Name: "Kristi Sippola", ID: "5001", Kind: providers.KindUser},
		Queue:   "9000",
		Arrived: t0, Answered: t0.Add(4 * time.Second),
		Caps:    providers.Caps(providers.ActionHangup, providers.ActionHold),
		Version: v,
	}
}

// eventsOf counts the events received for call id.
func (h *harness) eventsOf(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ev := range h.events {
		if ev.Call != nil && ev.Call.ID == id {
			n++
		}
	}
	return n
}

// barrier rings a new call and waits for it: every event sent before it
// has then been received.
func (h *harness) barrier(id string) {
	h.t.Helper()
	if _, err := h.gws.Ring(gwstest.QueueCall(id, "+14255550199", "9000")); err != nil {
		h.t.Fatal(err)
	}
	h.waitState(id, providers.StateRinging)
}

func TestRecheckEndsWhatGWSNoLongerListsAndLeavesTheRest(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.ActiveCall("A", "+14255550100"))
	h.waitState("A", providers.StateActive)
	aEvents := h.eventsOf("A")
	a, _ := h.p.ledger.Get("A")
	requests := len(h.gws.Requests())

	was := earlier("B", 4)
	err := h.p.Recheck(context.Background(), []providers.Call{earlier("A", 9), was, earlier("bad/id", 2)})
	var re *providers.RecheckError
	if !errors.As(err, &re) || strings.Join(re.IDs(), " ") != "bad/id" || !errors.Is(err, providers.ErrBadCallID) {
		t.Fatalf("want the bad id refused, and only it: %v", err)
	}
	b := h.waitState("B", providers.StateEnded)
	if b.Version != 5 || b.End.Text != endUnwatched || b.Caps != 0 || b.Result() != providers.OutcomeHandled ||
		b.Ended.IsZero() || b.Provider != Name {
		t.Fatalf("B ended: %+v", b)
	}
	if b.From != was.From || b.To != was.To || b.Queue != was.Queue || !b.Arrived.Equal(was.Arrived) || !b.Answered.Equal(was.Answered) {
		t.Fatalf("B must keep what the earlier run knew: %+v", b)
	}
	h.barrier("C")
	if n := h.eventsOf("A"); n != aEvents {
		t.Fatalf("%d more events for A; a call this run knows is left alone", n-aEvents)
	}
	if now, _ := h.p.ledger.Get("A"); now.Version != a.Version || now.State != providers.StateActive {
		t.Fatalf("A changed: %+v", now)
	}
	for _, r := range h.gws.Requests()[requests:] {
		if strings.Contains(r.Path, "/calls/A") || strings.Contains(r.Path, "/calls/B") {
			t.Fatalf("Recheck asked GWS about a call: %+v", r)
		}
	}

	// Both are this run's calls now: a second Recheck reports nothing.
	bEvents := h.eventsOf("B")
	if err := h.p.Recheck(context.Background(), []providers.Call{earlier("A", 9), earlier("B", 4)}); err != nil {
		t.Fatal(err)
	}
	h.barrier("D")
	if h.eventsOf("A") != aEvents || h.eventsOf("B") != bEvents {
		t.Fatal("a second Recheck must report nothing again")
	}
}

// A Recheck that comes before GWS's list of calls is in waits for it:
// judged against an empty ledger, A, which GWS still has, would end.
func TestRecheckWaitsForTheCallList(t *testing.T) {
	gws, srv := newGWS(t, gwstest.Options{})
	gws.Put(gwstest.ActiveCall("A", "+14255550100"))
	listing, open := make(chan struct{}), make(chan struct{})
	var once sync.Once
	gws.SetListGate(func(list string) {
		if list == gwstest.ListCalls {
			once.Do(func() { close(listing) })
			<-open
		}
	})
	t.Cleanup(func() {
		select {
		case <-open:
		default:
			close(open)
		}
	})
	h := newHarness(t, gws, srv)
	h.feed = newFakeFeed()
	gws.SetPublish(h.feed.publish)
	h.p = newTestProvider(t, srv.URL, Config{})
	h.p.newFeed = func() feed { return h.feed }
	h.run()
	select {
	case <-listing:
	case <-time.After(testWait):
		t.Fatal("the call list was never read")
	}

	done := make(chan error, 1)
	go func() { done <- h.p.Recheck(context.Background(), []providers.Call{earlier("A", 9), earlier("B", 4)}) }()
	waitUntil(t, "the Recheck to wait for the list", func() bool {
		s := h.p.session()
		return s != nil && s.rechecksWaiting.Load() == 1
	})
	close(open)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(testWait):
		t.Fatal("Recheck did not return once the list was in")
	}
	h.waitState("B", providers.StateEnded)
	h.waitStatus("live", func(s providers.Status) bool { return s.Link == providers.LinkLive })
	h.barrier("C")
	if c, _ := h.call("A"); c.State != providers.StateActive || c.Version != 1 {
		t.Fatalf("A is still talking at GWS: %+v", c)
	}
}

func TestRecheckGivesUpWithItsContextBeforeTheList(t *testing.T) {
	gws, srv := newGWS(t, gwstest.Options{})
	listing, open := make(chan struct{}), make(chan struct{})
	var once sync.Once
	gws.SetListGate(func(list string) {
		if list == gwstest.ListCalls {
			once.Do(func() { close(listing) })
			<-open
		}
	})
	t.Cleanup(func() { close(open) })
	h := newHarness(t, gws, srv)
	h.feed = newFakeFeed()
	gws.SetPublish(h.feed.publish)
	h.p = newTestProvider(t, srv.URL, Config{})
	h.p.newFeed = func() feed { return h.feed }
	h.run()
	select {
	case <-listing: // Run is going
	case <-time.After(testWait):
		t.Fatal("the call list was never read")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.p.Recheck(ctx, []providers.Call{earlier("B", 4)}) }()
	waitUntil(t, "the Recheck to wait for the list", func() bool {
		s := h.p.session()
		return s != nil && s.rechecksWaiting.Load() == 1
	})
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(testWait):
		t.Fatal("Recheck did not return after its context ended")
	}
	var re *providers.RecheckError
	if !errors.As(err, &re) || !errors.Is(err, context.Canceled) || strings.Join(re.IDs(), " ") != "B" {
		t.Fatalf("want B named as not checked, for the context's end; got %v", err)
	}
	if _, ok := h.p.ledger.Get("B"); ok {
		t.Fatal("B must be left as it was")
	}
}

func TestRecheckNeedsRunGoing(t *testing.T) {
	_, srv := newGWS(t, gwstest.Options{})
	p := newTestProvider(t, srv.URL, Config{})
	if err := p.Recheck(context.Background(), []providers.Call{earlier("B", 1)}); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("want a refusal in words, got %v", err)
	}
}
