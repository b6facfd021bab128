package genesys

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
	"ringside/providers/internal/bayeuxtest"
)

// Transfer, hold, resume, the refused redirect and the agent's state,
// through the provider: against the fake GWS with its notifications on a
// real Bayeux server, and without Run as the one-shot commands call them.

var (
	ana   = providers.Target{Name: "Ana Ribeiro", Kind: providers.TargetUser, GraphID: "550fae72-d251-43ec-868c-373732c2704f", GenesysNumber: "5002"}
	paris = providers.Target{Name: "Paris office", Kind: providers.TargetPhone, Phone: "+33155550123"}
)

// checkPosts checks the bodies POSTed to path, in order, and that each
// carried the session's CSRF token (the fake answers 403 without it).
func checkPosts(t *testing.T, gws *gwstest.Server, path string, bodies ...string) {
	t.Helper()
	var got []string
	for _, r := range posts(gws, path) {
		if r.CSRF == "" || r.Status != http.StatusOK {
			t.Errorf("POST %s %s: CSRF %q, answered %d", path, r.Body, r.CSRF, r.Status)
		}
		got = append(got, string(r.Body))
	}
	if !slices.Equal(got, bodies) {
		t.Fatalf("POST %s bodies:\n%s\nwant:\n%s", path, strings.Join(got, "\n"), strings.Join(bodies, "\n"))
	}
}

func TestLiveTransferEndsTransferred(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind bayeuxtest.Kind) {
		l := startLive(t, kind, false, Config{}, gwstest.ActiveCall("TALK", "+14255550100"))
		c := l.waitState("TALK", providers.StateActive)
		want := providers.Caps(providers.ActionHangup, providers.ActionTransfer, providers.ActionHold)
		if c.Caps != want {
			t.Fatalf("an established call offers %v, want %v", c.Caps.Names(), want.Names())
		}
		// Transfer returns once the Released that follows has arrived.
		if err := l.p.Transfer(context.Background(), "TALK", ana); err != nil {
			t.Fatal(err)
		}
		ended := l.waitState("TALK", providers.StateEnded)
		if ended.End.Text != "Transferred to Ana Ribeiro" || ended.Result() != providers.OutcomeTransferred {
			t.Fatalf("after the transfer: %s, %q, %s", ended.State, ended.End.Text, ended.Result())
		}
		checkPosts(t, l.gws, "/api/v2/me/calls/TALK", `{"operationName":"SingleStepTransfer","destination":{"phoneNumber":"5002"}}`)
	})
}

func TestLiveHoldAndResume(t *testing.T) {
	l := startLive(t, bayeuxtest.CometD, false, Config{}, gwstest.ActiveCall("TALK", "+14255550100"))
	l.waitState("TALK", providers.StateActive)
	ctx := context.Background()
	if err := l.p.Hold(ctx, "TALK"); err != nil {
		t.Fatal(err)
	}
	held := l.waitState("TALK", providers.StateHeld)
	if held.Caps != providers.Caps(providers.ActionHangup, providers.ActionTransfer, providers.ActionResume) {
		t.Fatalf("held: %s %v", held.State, held.Caps.Names())
	}
	if err := l.p.Hold(ctx, "TALK"); !errors.Is(err, providers.ErrNotAllowed) || err.Error() != "hold TALK: the call is already on hold" {
		t.Fatalf("hold of a held call: %v", err)
	}
	if err := l.p.Resume(ctx, "TALK"); err != nil {
		t.Fatal(err)
	}
	back := l.waitState("TALK", providers.StateActive)
	if !back.Can(providers.ActionHold) || back.Caps.Has(providers.ActionResume) {
		t.Fatalf("resumed: %s %v", back.State, back.Caps.Names())
	}
	// A held call is transferred as it is.
	if err := l.p.Hold(ctx, "TALK"); err != nil {
		t.Fatal(err)
	}
	if err := l.p.Transfer(ctx, "TALK", paris); err != nil {
		t.Fatal(err)
	}
	if ended := l.waitState("TALK", providers.StateEnded); ended.End.Text != "Transferred to Paris office" {
		t.Fatalf("%+v", ended)
	}
	checkPosts(t, l.gws, "/api/v2/me/calls/TALK", `{"operationName":"Hold"}`, `{"operationName":"Retrieve"}`, `{"operationName":"Hold"}`,
		`{"operationName":"SingleStepTransfer","destination":{"phoneNumber":"+33155550123"}}`)
}

// GWS replies statusCode 0 before the switch acts: the action waits for
// the next state message, and without one reads the call again.
func TestAcceptedControlsWaitForTheirEffect(t *testing.T) {
	t.Run("nothing changes", func(t *testing.T) {
		h := startHarness(t, Config{}, gwstest.ActiveCall("TALK", "5005"))
		h.waitState("TALK", providers.StateActive)
		h.gws.SetMode("Hold", gwstest.OpIgnored)
		err := h.p.Hold(context.Background(), "TALK")
		var unconfirmed *UnconfirmedError
		if !errors.As(err, &unconfirmed) || err.Error() != "hold TALK: GWS accepted the hold but nothing changed within 2s; the call is active" {
			t.Fatalf("%v", err)
		}
	})
	t.Run("the notification is lost", func(t *testing.T) {
		// The transfer went through but nothing was published: the call
		// read again is gone, and that is the transfer done.
		h := startHarness(t, Config{}, gwstest.ActiveCall("TALK", "5005"))
		h.waitState("TALK", providers.StateActive)
		h.gws.SetMode("SingleStepTransfer", gwstest.OpSilent)
		if err := h.p.Transfer(context.Background(), "TALK", ana); err != nil {
			t.Fatal(err)
		}
		ended := h.waitState("TALK", providers.StateEnded)
		if ended.End.Text != "Transferred to Ana Ribeiro" || ended.Result() != providers.OutcomeTransferred {
			t.Fatalf("%+v", ended)
		}
	})
	t.Run("the switch fails it later", func(t *testing.T) {
		h := startHarness(t, Config{}, gwstest.ActiveCall("TALK", "5005"))
		h.waitState("TALK", providers.StateActive)
		h.gws.SetMode("SingleStepTransfer", gwstest.OpIgnored)
		done := make(chan error, 1)
		go func() { done <- h.p.Transfer(context.Background(), "TALK", ana) }()
		waitFor(t, "the transfer to reach the fake", func() bool { return len(h.gws.Transfers()) == 1 })
		must(t, h.gws.Change("TALK", func(*gwstest.Call) {}, true, "Error"))
		err := <-done
		if err == nil || err.Error() != "transfer TALK to Ana Ribeiro: GWS reported that the transfer failed; the call is active" {
			t.Fatalf("%v", err)
		}
		// Nothing was transferred: the call's end is its own.
		must(t, h.gws.Release("TALK", true))
		if ended := h.waitState("TALK", providers.StateEnded); ended.Result() == providers.OutcomeTransferred {
			t.Fatalf("%+v", ended)
		}
	})
	t.Run("GWS refuses it", func(t *testing.T) {
		h := startHarness(t, Config{}, gwstest.ActiveCall("TALK", "5005"))
		h.waitState("TALK", providers.StateActive)
		h.gws.FailNext("SingleStepTransfer", 3, "Destination 5002 is not allowed")
		err := h.p.Transfer(context.Background(), "TALK", ana)
		var se *StatusError
		if !errors.As(err, &se) || err.Error() != "transfer TALK to Ana Ribeiro: the operation is forbidden (GWS statusCode 3: Destination 5002 is not allowed)" {
			t.Fatalf("%v", err)
		}
		if c, _ := h.call("TALK"); c.State != providers.StateActive {
			t.Fatalf("%+v", c)
		}
	})
}

// waitFor polls cond until it holds (bounded by testWait).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestControlsOnlyWhereGWSOffersThem(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.QueueCall("RING", "+14255550100", "9000"), gwstest.ActiveCall("TALK", "5005"))
	ring := h.waitState("RING", providers.StateRinging)
	h.waitState("TALK", providers.StateActive)
	if ring.Caps != providers.Caps(providers.ActionAnswer, providers.ActionReject) {
		t.Fatalf("a ringing queue call offers %v", ring.Caps.Names())
	}
	if o := h.p.Offers(); o.Has(providers.ActionRedirect) ||
		o != providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionHangup, providers.ActionTransfer, providers.ActionHold, providers.ActionResume) {
		t.Fatalf("offers %v", o.Names())
	}
	ctx := context.Background()
	cases := []struct {
		err   error
		is    error
		words string
	}{
		{h.p.Redirect(ctx, "RING", paris), providers.ErrNotAllowed, "redirect RING: GWS has no redirect; answer the call, then transfer it"},
		{h.p.Redirect(ctx, "NEVER-SEEN", paris), providers.ErrNotAllowed, "redirect NEVER-SEEN: GWS has no redirect; answer the call, then transfer it"},
		{h.p.Redirect(ctx, "TALK", paris), providers.ErrNotAllowed, "redirect TALK: the call is already answered; transfer it instead"},
		{h.p.Transfer(ctx, "RING", paris), providers.ErrNotAllowed, "transfer RING: the call has not been answered yet"},
		{h.p.Hold(ctx, "RING"), providers.ErrNotAllowed, "hold RING: the call has not been answered yet"},
		{h.p.Resume(ctx, "TALK"), providers.ErrNotAllowed, "resume TALK: the call is not on hold"},
		{h.p.Transfer(ctx, "TALK", providers.Target{Name: "Teams only", Kind: providers.TargetUser, GraphID: ana.GraphID}),
			providers.ErrBadTarget, "transfer TALK: not a valid target: Genesys cannot dial \"Teams only\""},
	}
	for _, tc := range cases {
		if !errors.Is(tc.err, tc.is) || !strings.HasPrefix(tc.err.Error(), tc.words) {
			t.Errorf("%v, want %v: %q", tc.err, tc.is, tc.words)
		}
	}
	// GWS's capabilities are the gate: an established call without Hold
	// (a supervisor's, say) offers none.
	must(t, h.gws.Change("TALK", func(c *gwstest.Call) { c.Capabilities = []string{"Hangup"} }, true, ""))
	h.waitCall("TALK", "to lose Hold", func(c providers.Call) bool { return !c.Caps.Has(providers.ActionHold) })
	if err := h.p.Hold(ctx, "TALK"); !errors.Is(err, providers.ErrNotAllowed) || err.Error() != "hold TALK: GWS offers no Hold for this call now" {
		t.Errorf("%v", err)
	}
	if n := len(posts(h.gws, "/api/v2/me/calls/RING")) + len(posts(h.gws, "/api/v2/me/calls/TALK")); n != 0 {
		t.Fatalf("%d operations sent for refused actions", n)
	}
}

func TestOneShotTransferAndHold(t *testing.T) {
	gws, srv := newGWS(t, gwstest.Options{})
	gws.Put(gwstest.ActiveCall("C1", "5005"))
	gws.Put(gwstest.ActiveCall("C2", "5006"))
	p := newTestProvider(t, srv.URL, Config{})
	ctx := context.Background()
	if err := p.Hold(ctx, "C1"); err != nil {
		t.Fatal(err)
	}
	if c, _ := gws.Call("C1"); c.State != "Held" {
		t.Fatalf("C1 %s", c.State)
	}
	if err := p.Resume(ctx, "C1"); err != nil {
		t.Fatal(err)
	}
	if err := p.Transfer(ctx, "C2", paris); err != nil {
		t.Fatal(err)
	}
	if _, ok := gws.Call("C2"); ok {
		t.Fatal("C2 is still there after its transfer")
	}
	if got := gws.Transfers(); !reflect.DeepEqual(got, []gwstest.Transfer{{CallID: "C2", Destination: "+33155550123"}}) {
		t.Fatalf("%+v", got)
	}
	gws.SetMode("SingleStepTransfer", gwstest.OpIgnored)
	p.confirmWait = 200 * time.Millisecond
	err := p.Transfer(ctx, "C1", ana)
	if !strings.HasPrefix(fmtErr(err), "transfer C1 to Ana Ribeiro: GWS accepted the transfer but nothing changed within") ||
		!strings.HasSuffix(err.Error(), "the call is active") {
		t.Fatalf("%v", err)
	}
	if err := p.Redirect(ctx, "C1", ana); !errors.Is(err, providers.ErrNotAllowed) {
		t.Fatalf("%v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestLiveAgentStateRoundTrip(t *testing.T) {
	l := startLive(t, bayeuxtest.CometD, false, Config{})
	ctx := context.Background()
	choices, err := l.p.AgentChoices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []providers.AgentChoice{
		{State: providers.AgentReady, Label: "Ready"},
		{State: providers.AgentNotReady, Label: "Not Ready"},
		{State: providers.AgentNotReady, Code: "OutToLunch", Label: "Out to Lunch"},
		{State: providers.AgentNotReady, Code: "Meeting", Label: "Meeting"},
		{State: providers.AgentNotReady, Code: "Training", Label: "Training"},
		{State: providers.AgentAfterCallWork, Label: "After Call Work"},
	}
	if !reflect.DeepEqual(choices, want) {
		t.Fatalf("choices %+v", choices)
	}
	steps := []struct {
		choice providers.AgentChoice
		body   string
		header string
	}{
		{providers.AgentChoice{State: providers.AgentReady}, `{"operationName":"Ready"}`, "Ready"},
		{providers.AgentChoice{State: providers.AgentNotReady, Code: "OutToLunch"}, `{"operationName":"OutToLunch"}`, "Not Ready (Out to Lunch)"},
		// A reason is found by its display name too, without regard to case.
		{providers.AgentChoice{State: providers.AgentNotReady, Code: "meeting"}, `{"operationName":"Meeting"}`, "Not Ready (Meeting)"},
		{providers.AgentChoice{State: providers.AgentNotReady}, `{"operationName":"NotReady"}`, "Not Ready"},
		{providers.AgentChoice{State: providers.AgentAfterCallWork}, `{"operationName":"AfterCallWork"}`, "Not Ready (AfterCallWork)"},
	}
	var bodies []string
	for _, s := range steps {
		if err := l.p.SetAgentState(ctx, s.choice); err != nil {
			t.Fatalf("%+v: %v", s.choice, err)
		}
		bodies = append(bodies, s.body)
		// The header follows the device message GWS publishes.
		l.waitStatus("agent "+s.header, func(st providers.Status) bool { return st.Agent == s.header })
	}
	checkPosts(t, l.gws, voiceChannelPath, bodies...)

	// Refused before anything is posted.
	for _, tc := range []struct {
		choice providers.AgentChoice
		words  string
	}{
		{providers.AgentChoice{State: providers.AgentNotReady, Code: "Sleeping"},
			`agent state not-ready: GWS has no agent state "Sleeping" (configured for not-ready: OutToLunch, Meeting, Training)`},
		{providers.AgentChoice{State: providers.AgentReady, Code: "OutToLunch"},
			`agent state ready: "OutToLunch" is a not-ready state, not ready`},
		{providers.AgentChoice{State: providers.AgentAfterCallWork, Code: "Lunch"},
			`agent state after-call-work: GWS has no agent state "Lunch" (none is configured for after-call-work)`},
	} {
		if err := l.p.SetAgentState(ctx, tc.choice); !errors.Is(err, providers.ErrNotAllowed) || err.Error() != tc.words {
			t.Errorf("%+v: %v, want %q", tc.choice, err, tc.words)
		}
	}
	if err := l.p.SetAgentState(ctx, providers.AgentChoice{State: "asleep"}); err == nil || !strings.Contains(err.Error(), "want ready, not-ready or after-call-work") {
		t.Errorf("%v", err)
	}
	checkPosts(t, l.gws, voiceChannelPath, bodies...)
}

// Without the configured states the system ones are still offered (GWS
// always accepts them) beside the error saying why the others are missing.
func TestAgentChoicesWhenTheConfiguredStatesCannotBeRead(t *testing.T) {
	gws := gwstest.New(gwstest.Options{User: testUser, Password: testPassword})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == agentStatesPath {
			http.Error(w, "settings are down", http.StatusServiceUnavailable)
			return
		}
		gws.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p := newTestProvider(t, srv.URL, Config{})
	choices, err := p.AgentChoices(context.Background())
	if err == nil || !strings.Contains(err.Error(), "reading the configured agent states") {
		t.Fatalf("%v", err)
	}
	var states []providers.AgentState
	for _, c := range choices {
		states = append(states, c.State)
	}
	if !slices.Equal(states, providers.AgentStates) {
		t.Fatalf("%+v", choices)
	}
	if err := p.SetAgentState(context.Background(), providers.AgentChoice{State: providers.AgentReady}); err != nil {
		t.Fatalf("a system state needs no settings: %v", err)
	}
}
