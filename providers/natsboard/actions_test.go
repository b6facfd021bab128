package natsboard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/natsboard/boardtest"
	"ringside/providers/natsboard/wire"
)

// relayWords answers as a relay whose provider refuses each call in its
// own way; the console must say the same words and match the same errors.
func relayWords(endpoint string, req wire.Request) (wire.Reply, error) {
	switch {
	case endpoint == wire.EndpointAgentChoices:
		return wire.Reply{Choices: []wire.Choice{{State: "ready"}, {State: "not-ready", Code: "Lunch", Label: "Out to \x1b[31mlunch"},
			{State: "flying"}}}, nil
	case req.ID == "c-ended":
		return wire.Reply{}, fmt.Errorf("answer c-ended: %w: Caller hung up (200/540000)", providers.ErrEnded)
	case req.ID == "c-gone":
		return wire.Reply{}, fmt.Errorf("answer c-gone: %w at GWS", providers.ErrNotFound)
	case req.ID == "c-state":
		return wire.Reply{}, fmt.Errorf("answer c-state: %w: the call is already answered", providers.ErrNotAllowed)
	case req.ID == "c-refused":
		return wire.Reply{}, fmt.Errorf("answer c-refused: %w", &providers.RefusedError{Status: 403, Code: "Forbidden",
			Message: "Application is not allowed", RequestID: "req-7"})
	case req.ID == "c-odd":
		return wire.Reply{}, errors.New("the simulator is out of coffee")
	}
	return wire.Reply{}, nil
}

func actionBoard(t *testing.T, agent bool) (*boardtest.Board, *console) {
	t.Helper()
	srv := boardtest.Start(t)
	meta := boardtest.Meta("front", "demo", providers.Actions...)
	meta.AgentControl = agent
	b := boardtest.Publish(t, srv.Connect("", ""), meta)
	b.TakeLease()
	b.Serve(relayWords)
	return b, join(t, srv.URL, setup{}, "front")
}

// TestActionErrorsAreTheRelays: an error reply reads as the relay's words
// and matches the contract's error of its kind.
func TestActionErrorsAreTheRelays(t *testing.T) {
	_, c := actionBoard(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		id    string
		kinds []error
	}{
		{"c-ended", []error{providers.ErrEnded, providers.ErrNotFound}},
		{"c-gone", []error{providers.ErrNotFound}},
		{"c-state", []error{providers.ErrNotAllowed}},
		{"c-odd", nil},
	} {
		err := c.joined.Answer(ctx, tc.id)
		_, want := relayWords("answer", wire.Request{ID: tc.id})
		if err == nil || err.Error() != want.Error() {
			t.Errorf("%s: %v, want the relay's words %q", tc.id, err, want)
		}
		for _, k := range tc.kinds {
			if !errors.Is(err, k) {
				t.Errorf("%s: %v is not %v", tc.id, err, k)
			}
		}
	}
	err := c.joined.Answer(ctx, "c-refused")
	var refused *providers.RefusedError
	if !errors.As(err, &refused) || refused.Status != 403 || refused.Code != "Forbidden" || refused.RequestID != "req-7" {
		t.Fatalf("refused: %v (%+v)", err, refused)
	}
	if _, want := relayWords("answer", wire.Request{ID: "c-refused"}); err.Error() != want.Error() {
		t.Fatalf("words %q, want %q", err, want)
	}
}

// TestActionsSendWhatTheyAsk: each action reaches its subject with the
// call's id, the reason, the target, and how long the console waits.
func TestActionsSendWhatTheyAsk(t *testing.T) {
	b, c := actionBoard(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	to := providers.Target{Name: "Sales desk", Kind: providers.TargetQueue, Phone: "+14255550100"}
	steps := []struct {
		do       func() error
		endpoint string
		check    func(wire.Request) bool
	}{
		{func() error { return c.joined.Reject(ctx, "c1", "BUSY") }, "reject", func(r wire.Request) bool { return r.Reason == "busy" }},
		{func() error { return c.joined.Hangup(ctx, "c1") }, "hangup", nil},
		{func() error { return c.joined.Transfer(ctx, "c1", to) }, "transfer", func(r wire.Request) bool {
			got, err := r.Target.Target()
			return err == nil && got == to
		}},
		{func() error { return c.joined.Redirect(ctx, "c1", to) }, "redirect", func(r wire.Request) bool { return r.Target != nil }},
		{func() error { return c.joined.Hold(ctx, "c.1") }, "hold", func(r wire.Request) bool { return r.ID == "c.1" }},
		{func() error { return c.joined.Resume(ctx, "c1") }, "resume", nil},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.endpoint, err)
		}
		got := b.Requests()
		if len(got) != i+1 {
			t.Fatalf("%d requests after %s", len(got), s.endpoint)
		}
		r := got[i]
		if r.Endpoint != s.endpoint || (r.Body.ID != "c1" && r.Body.ID != "c.1") || (s.check != nil && !s.check(r.Body)) {
			t.Errorf("%s: got %+v", s.endpoint, r)
		}
		if r.DeadlineMs <= 0 || r.DeadlineMs > 10_000 {
			t.Errorf("%s: deadline header %d ms for a 10 s wait", s.endpoint, r.DeadlineMs)
		}
	}
	// What is refused here is never sent.
	if err := c.joined.Reject(ctx, "c1", "sulking"); err == nil {
		t.Error("an unknown reason was sent")
	}
	if err := c.joined.Answer(ctx, "../c1"); !errors.Is(err, providers.ErrBadCallID) {
		t.Errorf("bad id: %v", err)
	}
	if n := len(b.Requests()); n != len(steps) {
		t.Fatalf("%d requests, want %d", n, len(steps))
	}
}

// TestActionsCheckTheCallFirst: a call the console holds is checked as
// every provider checks it, before anything is sent.
func TestActionsCheckTheCallFirst(t *testing.T) {
	b, c := actionBoard(t, false)
	b.Call(ringing("c1"))
	c.waitCall("c1", providers.StateRinging)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.joined.Hangup(ctx, "c1")
	if !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "has not been answered") {
		t.Fatalf("hang up a ringing call: %v", err)
	}
	if len(b.Requests()) != 0 {
		t.Fatal("sent anyway")
	}
	if err := c.joined.Answer(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
}

// TestNoRelayRunning: with nobody serving the board, an action says so at
// once, and that nothing was sent.
func TestNoRelayRunning(t *testing.T) {
	b, c := actionBoard(t, false)
	b.StopServing()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := c.joined.Answer(ctx, "c1")
	if !errors.Is(err, ErrNoRelay) || err.Error() != "board front has no relay running; nothing was sent" {
		t.Fatalf("%v", err)
	}
}

// TestAgentStateThroughTheRelay: a single board whose relay has an agent
// state offers it; choices come back cleaned, and unknown states left out.
func TestAgentStateThroughTheRelay(t *testing.T) {
	b, c := actionBoard(t, true)
	ctl, ok := c.joined.(providers.AgentControl)
	if !ok {
		t.Fatal("no agent control on a board whose relay has it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	choices, err := ctl.AgentChoices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(choices) != 2 || choices[1] != (providers.AgentChoice{State: providers.AgentNotReady, Code: "Lunch", Label: "Out to lunch"}) {
		t.Fatalf("choices %+v", choices)
	}
	if err := ctl.SetAgentState(ctx, choices[1]); err != nil {
		t.Fatal(err)
	}
	got := b.Requests()
	if last := got[len(got)-1]; last.Endpoint != wire.EndpointAgentState || last.Body.Choice == nil ||
		*last.Body.Choice != (wire.Choice{State: "not-ready", Code: "Lunch", Label: "Out to lunch"}) {
		t.Fatalf("sent %+v", last)
	}
	_, plain := actionBoard(t, false)
	if _, ok := plain.joined.(providers.AgentControl); ok {
		t.Fatal("agent control on a board whose relay has none")
	}
}

// TestReadOnlyUser: the supervisor of the team's configuration watches
// the board, its calls carry no capabilities, the status says why, and an
// action is refused at once in words. The trainee may act but not hang
// up: the permission violation ends the wait instead of the timeout.
func TestReadOnlyUser(t *testing.T) {
	srv := boardtest.StartConfig(t, "testdata/nats-users.conf")
	b := boardtest.Publish(t, srv.Connect("relay", "relay-secret"), boardtest.Meta("demo", "demo", providers.Actions...))
	b.TakeLease()
	b.Status(providers.Status{Link: providers.LinkLive})
	b.Call(ringing("c1"))
	b.Call(active(ringing("c2")))
	b.Serve(boardtest.OK)

	sup := join(t, srv.URL, setup{user: "supervisor", password: "supervisor-secret"}, "demo")
	if !sup.p.ReadOnly() {
		t.Fatal("the supervisor joined as one who may act")
	}
	st := sup.waitStatus("the read-only warning", func(s providers.Status) bool { return live(s) && s.Warning != "" })
	if st.Warning != "read-only: the NATS user may not send actions on board demo" {
		t.Errorf("warning %q", st.Warning)
	}
	got := sup.waitCall("c1", providers.StateRinging)
	if got.Caps != 0 {
		t.Errorf("a read-only user's call offers %v", got.Caps.Names())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := sup.joined.Answer(ctx, "c1")
	if !errors.Is(err, ErrReadOnly) || err.Error() != "the NATS user may not send actions on board demo" {
		t.Fatalf("answer as the supervisor: %v", err)
	}

	agent := join(t, srv.URL, setup{user: "agent", password: "agent-secret"}, "demo")
	if agent.p.ReadOnly() {
		t.Fatal("the agent joined read-only")
	}
	if got := agent.waitCall("c1", providers.StateRinging); got.Caps == 0 {
		t.Error("the agent's call offers nothing")
	}
	if err := agent.joined.Answer(ctx, "c1"); err != nil {
		t.Fatalf("answer as the agent: %v", err)
	}

	trainee := join(t, srv.URL, setup{user: "trainee", password: "trainee-secret"}, "demo")
	trainee.waitCall("c2", providers.StateActive)
	err = trainee.joined.Hangup(ctx, "c2")
	if !errors.Is(err, ErrReadOnly) || err.Error() != "the NATS user may not send hangup on board demo" || ctx.Err() != nil {
		t.Fatalf("hang up as the trainee: %v (waited out: %v)", err, ctx.Err())
	}
	if err := trainee.joined.Hold(ctx, "c2"); err != nil {
		t.Fatalf("hold as the trainee: %v", err)
	}
}

// TestJoinSaysWhatIsMissing: each way a join fails has its words.
func TestJoinSaysWhatIsMissing(t *testing.T) {
	srv := boardtest.StartConfig(t, "testdata/nats-users.conf")
	relay := srv.Connect("relay", "relay-secret")
	boardtest.Publish(t, relay, boardtest.Meta("demo", "demo", providers.Actions...))
	boardtest.Publish(t, relay, boardtest.Meta("other", "demo", providers.Actions...))
	// A bucket with no record yet: a relay that has not finished starting.
	bare := boardtest.Publish(t, relay, boardtest.Meta("bare", "demo"))
	bare.Delete(wire.KeyMeta)

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := "nats://" + closed.Addr().String()
	closed.Close()

	for _, tc := range []struct {
		name, url, user, password, board, want string
	}{
		{"no server", nowhere, "", "", "demo", "no NATS server answers at " + nowhere},
		{"wrong password", srv.URL, "agent", "guess", "demo", "refused the credentials"},
		{"no such board", srv.URL, "relay", "relay-secret", "nope", "no relay has published board nope on " + srv.URL + ": start `ringside relay --board nope`"},
		{"no record yet", srv.URL, "relay", "relay-secret", "bare", "board bare has no board record yet"},
		{"may not read", srv.URL, "agent", "agent-secret", "other", "the NATS user may not read board other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := newProvider(t, tc.url, setup{user: tc.user, password: tc.password}, tc.board)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := p.Join(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v\nwant %q", err, tc.want)
			}
			if ctx.Err() != nil {
				t.Fatal("the join waited out its time instead of saying why")
			}
		})
	}
}

// TestNewRefusesBadBoards: board names are checked before anything starts.
func TestNewRefusesBadBoards(t *testing.T) {
	for _, boards := range [][]string{nil, {"a.b"}, {"front", "front"}, {strings.Repeat("x", 65)}} {
		if _, err := New(Config{Boards: boards}, providers.Options{}); err == nil {
			t.Errorf("%q accepted", boards)
		}
	}
}

// TestURLsShowNoPassword: a password written into --nats never shows.
func TestURLsShowNoPassword(t *testing.T) {
	if got := shownURLs("nats://ann:s3cret@nats1:4222, tls://bob:pw@nats2:4222,carl:pw@nats3"); strings.Contains(got, "s3cret") ||
		strings.Contains(got, "pw") || got != "nats://nats1:4222,tls://nats2:4222,nats3" {
		t.Fatalf("%q", got)
	}
}
