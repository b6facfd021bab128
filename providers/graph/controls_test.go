package graph

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

// The provider's redirect, transfer, hold and resume, against the fake Graph
// and its driver over the signed webhook: what each call offers, what is
// refused and how, and how the call ends.

var (
	heidi = providers.Target{Name: "Heidi Steen", Kind: providers.TargetUser, GraphID: "550fae72-d251-43ec-868c-373732c2704f"}
	desk  = providers.Target{Name: "Front desk", Kind: providers.TargetPhone, Phone: "+12345678901"}
)

// driven is a harness whose fake Graph follows each accepted action with
// the notifications Graph sends next.
type driven struct {
	*harness
	d *graphtest.Driver
}

func newDriven(t *testing.T, s setup) *driven {
	t.Helper()
	if s.options == nil {
		s.options = func(o *providers.Options) { o.Now = time.Now }
	}
	h := newHarness(t, s)
	d := graphtest.NewDriver(h.srv.Fake, h.url(), h.srv.Options.ClientID, nil)
	d.Pause = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d.React(ctx)
	return &driven{harness: h, d: d}
}

// ring offers a new call and waits until it rings.
func (h *driven) ring() providers.Call {
	h.t.Helper()
	id := graphtest.NewCallID()
	h.post(graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id))
	return h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateRinging })
}

// answered offers a new call, answers it and waits until it talks.
func (h *driven) answered() providers.Call {
	h.t.Helper()
	c := h.ring()
	if err := h.p.Answer(context.Background(), c.ID); err != nil {
		h.t.Fatal(err)
	}
	return h.callWhere(func(x providers.Call) bool { return x.ID == c.ID && x.State == providers.StateActive })
}

// sent counts the requests of action the fake Graph received for call id.
func sent(h *harness, id string, action graphtest.Action) int {
	n := 0
	for _, r := range h.srv.API.Requests() {
		if r.CallID == id && r.Action == action {
			n++
		}
	}
	return n
}

func TestRingingCallOffersRedirectAndEndsRedirected(t *testing.T) {
	h := newDriven(t, setup{})
	c := h.ring()
	if !c.Can(providers.ActionRedirect) || c.Can(providers.ActionTransfer) || c.Caps.Has(providers.ActionHold) {
		t.Fatalf("a ringing call offers %v", c.Caps.Names())
	}
	if err := h.p.Redirect(context.Background(), c.ID, heidi); err != nil {
		t.Fatal(err)
	}
	ended := h.callWhere(func(x providers.Call) bool { return x.ID == c.ID && x.State == providers.StateEnded })
	if ended.End != (providers.EndReason{Text: "Redirected to Heidi Steen"}) || ended.Result() != providers.OutcomeTransferred {
		t.Fatalf("redirected call ended %+v, outcome %s", ended.End, ended.Result())
	}
	if j := jsonLine(t, ended); !strings.Contains(j, `"end":{"text":"Redirected to Heidi Steen"}`) || !strings.Contains(j, `"outcome":"transferred"`) {
		t.Fatalf("json: %s", j)
	}
	if n := sent(h.harness, c.ID, graphtest.ActionRedirect); n != 1 {
		t.Fatalf("%d redirects sent", n)
	}
}

func TestTalkingCallOffersTransferAndEndsTransferred(t *testing.T) {
	h := newDriven(t, setup{})
	c := h.answered()
	if !c.Can(providers.ActionTransfer) || c.Can(providers.ActionRedirect) || c.Caps.Has(providers.ActionHold) {
		t.Fatalf("a talking call offers %v", c.Caps.Names())
	}
	if err := h.p.Transfer(context.Background(), c.ID, heidi); err != nil {
		t.Fatal(err)
	}
	// Graph's "transferring" keeps the call established: it offers no
	// second transfer while the first is under way, hang-up still.
	moving := h.callWhere(func(x providers.Call) bool { return x.ID == c.ID && x.Version > c.Version })
	if moving.State == providers.StateActive && (moving.Can(providers.ActionTransfer) || !moving.Can(providers.ActionHangup)) {
		t.Fatalf("a call being transferred offers %v", moving.Caps.Names())
	}
	if err := h.p.Transfer(context.Background(), c.ID, desk); !errors.Is(err, providers.ErrNotAllowed) && !errors.Is(err, providers.ErrEnded) {
		t.Fatalf("a second transfer while the first is under way: %v", err)
	}
	ended := h.callWhere(func(x providers.Call) bool { return x.ID == c.ID && x.State == providers.StateEnded })
	want := providers.EndReason{Code: 0, Subcode: 7015, Text: "Transferred to Heidi Steen"}
	if ended.End != want || ended.Result() != providers.OutcomeTransferred {
		t.Fatalf("transferred call ended %+v, outcome %s", ended.End, ended.Result())
	}
	if j := jsonLine(t, ended); !strings.Contains(j, `"end":{"code":0,"subcode":7015,"text":"Transferred to Heidi Steen"}`) {
		t.Fatalf("json: %s", j)
	}
}

func TestHeldCallCanBeTransferred(t *testing.T) {
	h := newDriven(t, setup{})
	c := h.answered()
	h.post(graphtest.StateChange(c.ID, "updated", "hold", nil))
	held := h.callWhere(func(x providers.Call) bool { return x.ID == c.ID && x.State == providers.StateHeld })
	if !held.Can(providers.ActionTransfer) || held.Caps.Has(providers.ActionResume) {
		t.Fatalf("a held call offers %v", held.Caps.Names())
	}
	if err := h.p.Transfer(context.Background(), c.ID, desk); err != nil {
		t.Fatal(err)
	}
	ended := h.callWhere(func(x providers.Call) bool { return x.ID == c.ID && x.State == providers.StateEnded })
	if ended.End.Text != "Transferred to Front desk" {
		t.Fatalf("%+v", ended.End)
	}
}

// The end Graph reports may arrive before its reply to the request: the
// target is known from the moment the request is sent.
func TestEndThatOvertakesTheReplyStillSaysWhere(t *testing.T) {
	for _, tc := range []struct {
		action graphtest.Action
		want   providers.EndReason
	}{
		{graphtest.ActionRedirect, providers.EndReason{Text: "Redirected to Heidi Steen"}},
		{graphtest.ActionTransfer, providers.EndReason{Subcode: 7015, Text: "Transferred to Heidi Steen"}},
	} {
		t.Run(string(tc.action), func(t *testing.T) {
			h := newHarness(t, setup{options: func(o *providers.Options) { o.Now = time.Now }})
			id := graphtest.NewCallID()
			h.post(graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id))
			h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateRinging })
			if tc.action == graphtest.ActionTransfer {
				h.post(graphtest.StateChange(id, "updated", "established", nil))
				h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateActive })
			}
			end := graphtest.StateChange(id, "deleted", "terminated", nil)
			if tc.action == graphtest.ActionTransfer {
				end = graphtest.StateChange(id, "deleted", "terminated", &graphtest.ResultInfo{Code: 0, Subcode: 7015, Message: "GracefulTransferCompleted"})
			}
			// The fake's reply leaves only once this hook returns: the
			// provider has applied the end before it hears the 202.
			overtaken := make(chan providers.Call, 1)
			h.srv.API.SetHooks(func(r graphtest.Request) {
				if r.Action != tc.action {
					return
				}
				var got providers.Call
				defer func() { overtaken <- got }()
				if _, err := h.poster.Post(context.Background(), end); err != nil {
					return
				}
				deadline := time.After(5 * time.Second)
				for {
					select {
					case ev := <-h.events:
						if ev.Call != nil && ev.Call.ID == id && ev.Call.State == providers.StateEnded {
							got = *ev.Call
							return
						}
					case <-deadline:
						return
					}
				}
			}, nil)
			var err error
			if tc.action == graphtest.ActionRedirect {
				err = h.p.Redirect(context.Background(), id, heidi)
			} else {
				err = h.p.Transfer(context.Background(), id, heidi)
			}
			if err != nil {
				t.Fatal(err)
			}
			got := <-overtaken
			if got.End != tc.want || got.Result() != providers.OutcomeTransferred {
				t.Fatalf("ended %+v, outcome %s", got.End, got.Result())
			}
		})
	}
}

func TestFailedTransferIsReportedAndTheCallStays(t *testing.T) {
	h := newDriven(t, setup{tune: func(p *Provider) { p.noticeShow = 50 * time.Millisecond }})
	h.d.FailTransfersTo(desk.Phone)
	c := h.answered()
	if err := h.p.Transfer(context.Background(), c.ID, desk); err != nil {
		t.Fatal(err)
	}
	want := "transfer of the call from " + c.From.String() + " to Front desk failed: The transfer target did not take the call; Graph gave the call back. (500/7700); the call is still yours"
	st := h.waitStatus(func(s providers.Status) bool { return strings.Contains(s.Detail, "failed") })
	if st.Detail != h.addr+" · "+want || st.Link != providers.LinkLive {
		t.Fatalf("status %+v, want the detail to end with %q", st, want)
	}
	if !h.logContains("a transfer failed") || !h.logContains("subcode=7700") || !h.logContains(`message="Call transfer failed."`) {
		t.Fatalf("the failure is not logged:\n%s", h.logs.String())
	}
	// The notice goes once its time is up; the link's own detail stays.
	h.waitStatus(func(s providers.Status) bool { return s.Detail == h.addr })

	// The call is still ours, and can be transferred again: the end of
	// the second transfer names its own target.
	if now := h.ledgerCall(c.ID); now.State != providers.StateActive || !now.Can(providers.ActionTransfer) {
		t.Fatalf("after the failed transfer: %+v", now)
	}
	if err := h.p.Transfer(context.Background(), c.ID, heidi); err != nil {
		t.Fatal(err)
	}
	ended := h.callWhere(func(x providers.Call) bool { return x.ID == c.ID && x.State == providers.StateEnded })
	if ended.End.Text != "Transferred to Heidi Steen" || ended.Result() != providers.OutcomeTransferred {
		t.Fatalf("%+v", ended)
	}
}

// Graph's own failure example (500/7000 on an established call) is a
// failure only after a transfer of ours: the same resultInfo read back
// later, or sent for someone else's operation, says nothing to the agent.
func TestTransferFailureIsReadWithTheState(t *testing.T) {
	h := newHarness(t, setup{})
	h.talking(transferCallID)
	failed := corpusBody(t, "doc-transfer-failed-500-7000.json")
	h.post(failed)
	h.quiet()
	if h.noticeNow() != "" {
		t.Fatalf("a failure without a transfer of ours was shown: %q", h.noticeNow())
	}

	// A transfer of ours: the fake Graph accepts it, and Graph then
	// reports the call back to established with 500/7000.
	if err := h.p.Transfer(context.Background(), transferCallID, heidi); err != nil {
		t.Fatal(err)
	}
	h.post(failed)
	st := h.waitStatus(func(s providers.Status) bool { return strings.Contains(s.Detail, "failed") })
	if !strings.HasSuffix(st.Detail, "to Heidi Steen failed: The transfer did not complete; Graph gave the call back. (500/7000); the call is still yours") {
		t.Fatalf("status %q", st.Detail)
	}
	shown := h.noticeNow()
	// A call torn down with an error after a transfer of ours is ending,
	// not given back: no new notice.
	if err := h.p.Transfer(context.Background(), transferCallID, desk); err != nil {
		t.Fatal(err)
	}
	h.post(graphtest.StateChange(transferCallID, "updated", "terminating", &graphtest.ResultInfo{Code: 500, Subcode: 1005, Message: "media"}))
	h.callWhere(func(x providers.Call) bool { return x.ID == transferCallID && x.State == providers.StateEnding })
	if now := h.noticeNow(); now != shown {
		t.Fatalf("a call being torn down was reported as a failed transfer: %q", now)
	}
	// A deleted with the same codes under 200 is an ordinary end, not a
	// failure and not a transfer.
	h.post(graphtest.StateChange(transferCallID, "deleted", "terminated", &graphtest.ResultInfo{Code: 200, Subcode: 7000, Message: "x"}))
	ended := h.callWhere(func(x providers.Call) bool { return x.ID == transferCallID && x.State == providers.StateEnded })
	if ended.Result() != providers.OutcomeHandled || ended.End.Text != "The conversation has ended by bot." {
		t.Fatalf("%+v", ended)
	}
}

// noticeNow is the notice the status detail carries now.
func (h *harness) noticeNow() string {
	h.p.statusMu.Lock()
	defer h.p.statusMu.Unlock()
	return h.p.notice
}

func TestRedirectAndTransferOnlyWhereTheCallAllows(t *testing.T) {
	h := newDriven(t, setup{})
	ctx := context.Background()
	ringing := h.ring()
	talking := h.answered()
	cases := []struct {
		what  string
		do    func() error
		is    error
		words string
	}{
		{"transfer a ringing call", func() error { return h.p.Transfer(ctx, ringing.ID, heidi) },
			providers.ErrNotAllowed, "transfer " + ringing.ID + ": the call has not been answered; redirect it instead"},
		{"redirect a talking call", func() error { return h.p.Redirect(ctx, talking.ID, heidi) },
			providers.ErrNotAllowed, "redirect " + talking.ID + ": the call is already answered; transfer it instead"},
		{"transfer to a target Teams cannot reach", func() error {
			return h.p.Transfer(ctx, talking.ID, providers.Target{Name: "Queue 5002", Kind: providers.TargetPhone, GenesysNumber: "5002"})
		}, providers.ErrBadTarget, "Teams cannot reach"},
	}
	for _, tc := range cases {
		err := tc.do()
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.words) {
			t.Errorf("%s: %v, want %v saying %q", tc.what, err, tc.is, tc.words)
		}
	}
	if n := sent(h.harness, ringing.ID, graphtest.ActionTransfer) + sent(h.harness, talking.ID, graphtest.ActionRedirect) +
		sent(h.harness, talking.ID, graphtest.ActionTransfer); n != 0 {
		t.Fatalf("%d requests sent for refused actions", n)
	}
	// The refused transfer left nothing behind: the call's end is its own.
	if err := h.p.Hangup(ctx, talking.ID); err != nil {
		t.Fatal(err)
	}
	ended := h.callWhere(func(x providers.Call) bool { return x.ID == talking.ID && x.State == providers.StateEnded })
	if ended.Result() != providers.OutcomeHandled {
		t.Fatalf("%+v", ended)
	}
	if err := h.p.Transfer(ctx, talking.ID, heidi); !errors.Is(err, providers.ErrEnded) {
		t.Fatalf("transfer of an ended call: %v", err)
	}
}

func TestCallsBeingSetUpOrOutgoingOfferNeitherRedirectNorTransfer(t *testing.T) {
	h := newHarness(t, setup{})
	h.post([]byte(`{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/out1","resourceData":{"state":"establishing","direction":"outgoing"}}]}`))
	c := h.call()
	if c.Caps != providers.Caps(providers.ActionHangup) {
		t.Fatalf("a call being set up offers %v", c.Caps.Names())
	}
	if err := h.p.Transfer(context.Background(), c.ID, heidi); !errors.Is(err, providers.ErrNotAllowed) ||
		!strings.Contains(err.Error(), "still being connected") {
		t.Fatalf("%v", err)
	}
	h.post([]byte(`{"value":[{"changeType":"created","resourceUrl":"/communications/calls/out2","resourceData":{"state":"incoming","direction":"outgoing"}}]}`))
	if c := h.call(); c.Caps != 0 {
		t.Fatalf("our own call ringing at the far end offers %v", c.Caps.Names())
	}
}

// A redirect is sent only inside the answer window, like answer and
// reject; one that was not sent leaves no target behind.
func TestRedirectAfterTheAnswerWindowIsNotSent(t *testing.T) {
	h := newHarness(t, setup{})
	t0 := time.Now()
	h.clock.Set(t0)
	h.post(graphtest.Notification("doc-incoming-current.json"))
	c := h.call()
	h.clock.Set(t0.Add(16 * time.Second))
	err := h.p.Redirect(context.Background(), c.ID, heidi)
	if !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "answer window has closed") {
		t.Fatalf("%v", err)
	}
	if n := sent(h, c.ID, graphtest.ActionRedirect); n != 0 {
		t.Fatalf("%d redirects sent", n)
	}
	h.post(graphtest.StateChange(c.ID, "deleted", "terminated", nil))
	if ended := h.call(); ended.End.Text != textNoReason || ended.Result() != providers.OutcomeMissed {
		t.Fatalf("%+v", ended)
	}
}

func TestHoldAndResumeAreRefusedInWords(t *testing.T) {
	h := newDriven(t, setup{})
	ctx := context.Background()
	if o := h.p.Offers(); o.Has(providers.ActionHold) || o.Has(providers.ActionResume) ||
		o != providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionHangup, providers.ActionTransfer, providers.ActionRedirect) {
		t.Fatalf("offers %v", o.Names())
	}
	c := h.answered()
	before := len(h.srv.API.Requests())
	for _, tc := range []struct {
		err   error
		words string
	}{
		{h.p.Hold(ctx, c.ID), "hold " + c.ID + ": Graph has no hold for a bot's call"},
		{h.p.Resume(ctx, c.ID), "resume " + c.ID + ": the call is not on hold"},
		{h.p.Hold(ctx, "never-seen"), "hold never-seen: Graph has no hold for a bot's call"},
		{h.p.Resume(ctx, "never-seen"), "resume never-seen: Graph has no hold for a bot's call"},
	} {
		if !errors.Is(tc.err, providers.ErrNotAllowed) || tc.err.Error() != tc.words {
			t.Errorf("%v, want %q", tc.err, tc.words)
		}
	}
	if err := h.p.Hold(ctx, "../x"); !errors.Is(err, providers.ErrBadCallID) {
		t.Errorf("bad id: %v", err)
	}
	if n := len(h.srv.API.Requests()); n != before {
		t.Fatalf("%d requests sent for hold", n-before)
	}
}

func TestWithoutCredentialsNothingIsOffered(t *testing.T) {
	h := newHarness(t, setup{secret: "-"})
	h.post(graphtest.Notification("doc-incoming-current.json"))
	c := h.call()
	if c.Caps != 0 {
		t.Fatalf("%v", c.Caps.Names())
	}
	if err := h.p.Redirect(context.Background(), c.ID, heidi); err == nil || !strings.Contains(err.Error(), "cannot act on calls") {
		t.Fatalf("%v", err)
	}
}
