package genesys

import (
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
)

func TestCallsBeyondMaxCallsAreDropped(t *testing.T) {
	gws, srv := newGWS(t, gwstest.Options{})
	gws.Put(gwstest.ActiveCall("TALK1", "+14255550101"))
	gws.Put(gwstest.ActiveCall("TALK2", "+14255550102"))
	h := newHarness(t, gws, srv)
	h.feed = newFakeFeed()
	gws.SetPublish(h.feed.publish)
	p, err := New(Config{URL: srv.URL, User: testUser}, providers.Options{
		Log:      testLogger(t),
		Getenv:   func(k string) string { return map[string]string{PasswordEnv: testPassword}[k] },
		MaxCalls: 2, // --max-calls 2
	})
	if err != nil {
		t.Fatal(err)
	}
	p.pollEvery, p.retryMin, p.retryMax = 20*time.Millisecond, 20*time.Millisecond, 100*time.Millisecond
	p.newFeed = func() feed { return h.feed }
	h.p = p
	h.run()
	h.waitStatus("live", func(s providers.Status) bool { return s.Link == providers.LinkLive })
	h.waitState("TALK1", providers.StateActive)
	h.waitState("TALK2", providers.StateActive)

	if _, err := gws.Ring(gwstest.QueueCall("RING1", "+14255550103", "9000")); err != nil {
		t.Fatal(err)
	}
	h.waitState("RING1", providers.StateRinging)
	dropped := h.waitState("TALK1", providers.StateEnded)
	if dropped.End.Text != "Dropped: more than 2 live calls (--max-calls)." || dropped.Outcome != providers.OutcomeHandled {
		t.Fatalf("the call silent longest must end saying why: %+v", dropped)
	}
	if c, _ := h.call("TALK2"); c.State != providers.StateActive {
		t.Fatalf("TALK2 must stay: %+v", c)
	}
}
