package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/demo"
	"ringside/providers/graph"
	"ringside/providers/graph/graphtest"
	"ringside/providers/jsonstream"
	"ringside/providers/natsboard/wire"
)

// graphRelay runs the graph provider against the fake of Graph behind a
// relay, and returns what a test needs to post notifications and check
// what Graph was asked.
type graphRelay struct {
	srv    *graphtest.Server
	p      *graph.Provider
	poster *graphtest.Poster
	board  *board
	nc     *nats.Conn
	rr     *running
}

func startGraphRelay(t *testing.T, name string) *graphRelay {
	t.Helper()
	ns := startNATS(t)
	return runGraphRelay(t, graphtest.Start(t, graphtest.Options{}), connect(t, ns.ClientURL()), Config{Board: name})
}

// newGraphProvider is a graph provider that acts through the fake srv.
func newGraphProvider(t *testing.T, srv *graphtest.Server) *graph.Provider {
	t.Helper()
	cfg := graph.Config{
		Listen: "127.0.0.1:0", CallbackPath: "/api/calls",
		ClientID: srv.Options.ClientID, Tenant: srv.Options.Tenant,
		APIBase: srv.APIBase, TokenURL: srv.Base + "/{tenant}/oauth2/v2.0/token", OpenIDConfig: srv.OpenIDConfig,
	}
	p, err := graph.New(cfg, providers.Options{
		Log: slog.New(slog.DiscardHandler),
		Getenv: func(k string) string {
			if k == graph.SecretEnv {
				return srv.Options.ClientSecret
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runGraphRelay runs a relay of a new graph provider on srv over nc, and
// waits until this run's webhook is live on the board (an earlier run's
// status may still be there: the webhook's address tells them apart).
func runGraphRelay(t *testing.T, srv *graphtest.Server, nc *nats.Conn, cfg Config) *graphRelay {
	t.Helper()
	p := newGraphProvider(t, srv)
	rr := startRelay(t, p, nc, cfg)
	b := watchBoard(t, nc, cfg.Board)
	b.until("graph live", func(m map[string]jetstream.KeyValueEntry) bool {
		e, ok := m[wire.KeyStatus]
		if !ok || e.Operation() != jetstream.KeyValuePut {
			return false
		}
		_, _, st, err := jsonstream.UnmarshalStatus(e.Value())
		return err == nil && st.Link == providers.LinkLive && st.Detail != "" && st.Detail == p.Addr()
	})
	poster := &graphtest.Poster{URL: "http://" + p.Addr() + "/api/calls", Signer: srv.Signer, Audience: srv.Options.ClientID}
	return &graphRelay{srv: srv, p: p, poster: poster, board: b, nc: nc, rr: rr}
}

// post delivers a notification as the calling platform would.
func (g *graphRelay) post(t *testing.T, body []byte) {
	t.Helper()
	rep, err := g.poster.Post(context.Background(), body)
	if err != nil || rep.Status != http.StatusAccepted {
		t.Fatalf("webhook: %v %d %s", err, rep.Status, rep.Body)
	}
}

// asked returns the request Graph got for call id and action.
func (g *graphRelay) asked(t *testing.T, id string, action graphtest.Action) graphtest.Request {
	t.Helper()
	for _, r := range g.srv.API.Requests() {
		if r.CallID == id && r.Action == action {
			return r
		}
	}
	t.Fatalf("Graph was not asked to %s %s: %+v", action, id, g.srv.API.Requests())
	return graphtest.Request{}
}

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	ga, _ := json.Marshal(a)
	gb, _ := json.Marshal(b)
	if !bytes.Equal(ga, gb) {
		t.Fatalf("body %s, want %s", got, want)
	}
}

// TestActionsReachGraph: answer, reject with a reason and hang up sent as
// NATS requests reach Graph as the documented requests; a call Graph no
// longer has is not found, in the provider's words.
func TestActionsReachGraph(t *testing.T) {
	g := startGraphRelay(t, "teams")
	ringingCall := func(c providers.Call) bool { return c.State == providers.StateRinging }
	id1, id2 := graphtest.NewCallID(), graphtest.NewCallID()
	g.post(t, graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id1))
	g.post(t, graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id2))
	g.board.waitCall(id1, "ringing", ringingCall)
	g.board.waitCall(id2, "ringing", ringingCall)

	if code, words := request(t, g.nc, "teams", "answer", fmt.Appendf(nil, `{"id":%q}`, id1), nil); code != "" {
		t.Fatalf("answer: %s %s", code, words)
	}
	r := g.asked(t, id1, graphtest.ActionAnswer)
	if r.Method != http.MethodPost || r.Path != "/v1.0/communications/calls/"+id1+"/answer" {
		t.Fatalf("answer went to %s %s", r.Method, r.Path)
	}
	jsonEqual(t, r.Body, `{"acceptedModalities":["audio"],"mediaConfig":{"@odata.type":"#microsoft.graph.serviceHostedMediaConfig"}}`)

	if code, words := request(t, g.nc, "teams", "reject", fmt.Appendf(nil, `{"id":%q,"reason":"Busy"}`, id2), nil); code != "" {
		t.Fatalf("reject: %s %s", code, words)
	}
	r = g.asked(t, id2, graphtest.ActionReject)
	if r.Method != http.MethodPost || r.Path != "/v1.0/communications/calls/"+id2+"/reject" {
		t.Fatalf("reject went to %s %s", r.Method, r.Path)
	}
	jsonEqual(t, r.Body, `{"reason":"busy"}`)

	g.post(t, graphtest.StateChange(id1, "updated", "established", nil))
	g.board.waitCall(id1, "active", func(c providers.Call) bool { return c.State == providers.StateActive })
	if code, words := request(t, g.nc, "teams", "hangup", fmt.Appendf(nil, `{"id":%q}`, id1), nil); code != "" {
		t.Fatalf("hangup: %s %s", code, words)
	}
	r = g.asked(t, id1, graphtest.ActionDelete)
	if r.Method != http.MethodDelete || r.Path != "/v1.0/communications/calls/"+id1 || len(r.Body) != 0 {
		t.Fatalf("hangup went to %s %s %q", r.Method, r.Path, r.Body)
	}

	gone := graphtest.NewCallID()
	g.srv.API.Gone(gone)
	code, words := request(t, g.nc, "teams", "answer", fmt.Appendf(nil, `{"id":%q}`, gone), nil)
	if code != wire.CodeNotFound || !strings.Contains(words, "no longer exists") {
		t.Fatalf("a call Graph no longer has: %s %q", code, words)
	}
	g.asked(t, gone, graphtest.ActionAnswer)
}

// TestActionsReachTheDemo: actions over NATS change the demo's calls as
// its own keys would, and its refusals keep its words and kind.
func TestActionsReachTheDemo(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	cfg := demo.Config{Seed: 42, Calls: 12}
	p, err := demo.New(cfg, providers.Options{AnswerWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	twin, err := demo.New(cfg, providers.Options{AnswerWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	startRelay(t, p, nc, Config{Board: "sim"})
	b := watchBoard(t, nc, "sim")
	var answerID, rejectID string
	b.until("ringing calls to answer and to reject", func(m map[string]jetstream.KeyValueEntry) bool {
		answerID, rejectID = "", ""
		for key := range m {
			id, ok := wire.CallID(key)
			if !ok {
				continue
			}
			c, _ := callIn(m, id)
			switch {
			case c.Can(providers.ActionReject) && rejectID == "":
				rejectID = id
			case c.Can(providers.ActionAnswer) && answerID == "":
				answerID = id
			}
		}
		return answerID != "" && rejectID != ""
	})

	if code, words := request(t, nc, "sim", "answer", fmt.Appendf(nil, `{"id":%q}`, answerID), nil); code != "" {
		t.Fatalf("answer: %s %s", code, words)
	}
	b.waitCall(answerID, "answered", func(c providers.Call) bool { return c.State == providers.StateActive })
	if code, words := request(t, nc, "sim", "reject", fmt.Appendf(nil, `{"id":%q,"reason":"busy"}`, rejectID), nil); code != "" {
		t.Fatalf("reject: %s %s", code, words)
	}
	c := b.waitCall(rejectID, "rejected", func(c providers.Call) bool { return c.State == providers.StateEnded })
	if c.Result() != providers.OutcomeRejected || c.End.Code != 486 {
		t.Fatalf("rejected busy: %+v", c)
	}
	if code, words := request(t, nc, "sim", "hangup", fmt.Appendf(nil, `{"id":%q}`, answerID), nil); code != "" {
		t.Fatalf("hangup: %s %s", code, words)
	}
	b.waitCall(answerID, "hung up", func(c providers.Call) bool { return c.State == providers.StateEnded })

	// Refusals: the demo's own words, the contract's kind.
	code, words := request(t, nc, "sim", "answer", []byte(`{"id":"nosuch"}`), nil)
	want := twin.Answer(context.Background(), "nosuch")
	if code != wire.CodeNotFound || words != want.Error() {
		t.Fatalf("unknown call: %s %q, want 404 %q", code, words, want)
	}
	code, words = request(t, nc, "sim", "answer", fmt.Appendf(nil, `{"id":%q}`, rejectID), nil)
	if code != wire.CodeEnded || !strings.Contains(words, "already ended") {
		t.Fatalf("an ended call: %s %q", code, words)
	}

	// The agent's state.
	code, words = request(t, nc, "sim", wire.EndpointAgentState, []byte(`{"choice":{"state":"not-ready","code":"lunch"}}`), nil)
	if code != "" {
		t.Fatalf("agent state: %s %s", code, words)
	}
	b.until("the agent on lunch", func(m map[string]jetstream.KeyValueEntry) bool {
		st, ok := m[wire.KeyStatus]
		return ok && strings.Contains(string(st.Value()), `"agent":"Not Ready · Lunch"`)
	})
	reply, err := nc.Request(wire.ActionSubject("sim", wire.EndpointAgentChoices), nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var choices wire.Reply
	if err := json.Unmarshal(reply.Data, &choices); err != nil || !choices.OK || !strings.Contains(string(reply.Data), `"code":"lunch"`) {
		t.Fatalf("agent choices %s: %v", reply.Data, err)
	}
}

// TestBadRequestsReachNothing: what cannot be read, or names no valid
// call, reason or target, is refused with words and a log line; nothing
// reaches the provider.
func TestBadRequestsReachNothing(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	p := newScripted(live(providers.LinkLive))
	rr := startRelay(t, p, nc, Config{Board: "bad"})
	big := fmt.Appendf(nil, `{"id":"c1","reason":"%s"}`, strings.Repeat("x", wire.MaxRequest))
	for _, c := range []struct {
		name, endpoint string
		body           string
		hdr            nats.Header
		code, want     string
	}{
		{"not JSON", "answer", `{"id":`, nil, wire.CodeBadRequest, "not a JSON object"},
		{"not an object", "answer", `["c1"]`, nil, wire.CodeBadRequest, "not a JSON object"},
		{"wrong type", "answer", `{"id":5}`, nil, wire.CodeBadRequest, `field "id" is a JSON number, want string`},
		{"two values", "answer", `{"id":"c1"} {"id":"c2"}`, nil, wire.CodeBadRequest, "more than one JSON value"},
		{"oversized", "answer", string(big), nil, wire.CodeBadRequest, "over the 8192 allowed"},
		{"bad id", "answer", `{"id":"../c1"}`, nil, wire.CodeBadRequest, "call id"},
		{"no id", "hangup", `{}`, nil, wire.CodeBadRequest, "call id"},
		{"bad reason", "reject", `{"id":"c1","reason":"maybe"}`, nil, wire.CodeBadRequest, "unknown reason"},
		{"target wrong type", "transfer", `{"id":"c1","target":"Bob"}`, nil, wire.CodeBadRequest, `field "target"`},
		{"bad deadline", "answer", `{"id":"c1"}`, nats.Header{wire.DeadlineHeader: {"soon"}}, wire.CodeBadRequest, "not a number of milliseconds"},
		{"no state", wire.EndpointAgentState, `{}`, nil, "404", ""}, // the script has no agent state: no endpoint
		{"no target", "redirect", `{"id":"c1"}`, nil, wire.CodeBadTarget, "no target given"},
		{"bad target", "transfer", `{"id":"c1","target":{"phone":"12"}}`, nil, wire.CodeBadTarget, ""},
		{"unreachable target", "transfer", `{"id":"c1","target":{"name":"Bob","kind":"user","graph_id":"550fae72-d251-43ec-868c-373732c2704f"}}`, nil, wire.CodeBadTarget, "the script dials numbers only"},
	} {
		if c.endpoint == wire.EndpointAgentState {
			if !noResponders(nc, wire.ActionSubject("bad", c.endpoint)) {
				t.Errorf("%s: served", c.name)
			}
			continue
		}
		code, words := request(t, nc, "bad", c.endpoint, []byte(c.body), c.hdr)
		if code != c.code || !strings.Contains(words, c.want) {
			t.Errorf("%s: %s %q, want %s %q", c.name, code, words, c.code, c.want)
		}
	}
	if got := p.actions(); len(got) != 0 {
		t.Fatalf("the provider was asked %v", got)
	}
	if n := rr.log.count("action request refused"); n != 10 {
		t.Fatalf("%d log lines for 10 bad requests:\n%s", n, rr.log.String())
	}
	// The same path takes a good request.
	if code, words := request(t, nc, "bad", "transfer", []byte(`{"id":"c1","target":{"name":"Desk","kind":"phone","phone":"+442079460000"}}`), nil); code != "" {
		t.Fatalf("%s %s", code, words)
	}
	if got := p.actions(); len(got) != 1 || got[0] != "transfer c1 Desk" {
		t.Fatalf("%v", got)
	}
}

// TestOtherBoardsAreNeverServed: a relay answers only its own board's
// subjects.
func TestOtherBoardsAreNeverServed(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	p := newScripted(live(providers.LinkLive))
	startRelay(t, p, nc, Config{Board: "mine"})
	for _, subject := range []string{
		wire.ActionSubject("other", "answer"),
		wire.ActionSubject("mine-2", "answer"),
		wire.ActionSubject("mine", "dance"),
		"ringside.mine.answer",
	} {
		if !noResponders(nc, subject) {
			t.Errorf("%s was served", subject)
		}
	}
	if got := p.actions(); len(got) != 0 {
		t.Fatalf("the provider was asked %v", got)
	}
	if code, _ := request(t, nc, "mine", "answer", []byte(`{"id":"c1"}`), nil); code != "" || len(p.actions()) != 1 {
		t.Fatalf("its own board: %s %v", code, p.actions())
	}
}

// TestDeadlineHeaderIsHonoured: an action runs within the console's
// deadline when it is shorter than the relay's own, and not at all when
// the console had already given up.
func TestDeadlineHeaderIsHonoured(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	p := newScripted(live(providers.LinkLive))
	p.block = true
	startRelay(t, p, nc, Config{Board: "dl", ActionTimeout: time.Hour})
	sent := time.Now()
	code, words := request(t, nc, "dl", "answer", []byte(`{"id":"c1"}`), nats.Header{wire.DeadlineHeader: {"200"}})
	if code != wire.CodeTimeout || !strings.Contains(words, "deadline") {
		t.Fatalf("%s %q", code, words)
	}
	p.mu.Lock()
	deadline := p.deadlines[0]
	p.mu.Unlock()
	if !deadline.Before(sent.Add(time.Minute)) {
		t.Fatalf("the action could run until %v: the console's 200 ms were not applied", deadline.Sub(sent))
	}

	code, words = request(t, nc, "dl", "answer", []byte(`{"id":"c2"}`), nats.Header{wire.DeadlineHeader: {"0"}})
	if code != wire.CodeTimeout || !strings.Contains(words, "nothing was sent") || len(p.actions()) != 1 {
		t.Fatalf("a console that gave up: %s %q %v", code, words, p.actions())
	}
}

// TestRelayTimeoutBoundsALongerDeadline: the relay's --action-timeout wins
// over a console that would wait longer.
func TestRelayTimeoutBoundsALongerDeadline(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	p := newScripted(live(providers.LinkLive))
	p.block = true
	startRelay(t, p, nc, Config{Board: "dl2", ActionTimeout: 200 * time.Millisecond})
	sent := time.Now()
	code, _ := request(t, nc, "dl2", "answer", []byte(`{"id":"c1"}`), nats.Header{wire.DeadlineHeader: {"3600000"}})
	p.mu.Lock()
	deadline := p.deadlines[0]
	p.mu.Unlock()
	if code != wire.CodeTimeout || !deadline.Before(sent.Add(time.Minute)) {
		t.Fatalf("%s; the action could run for %v", code, deadline.Sub(sent))
	}
}

// TestBusyRelayRefuses: beyond MaxInFlight actions at once a request is
// refused as busy, nothing sent.
func TestBusyRelayRefuses(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	p := newScripted(live(providers.LinkLive))
	p.hold = make(chan struct{})
	startRelay(t, p, nc, Config{Board: "busy", MaxInFlight: 1})
	first := make(chan string, 1)
	go func() {
		// Not request: a test may only give up on its own goroutine.
		reply, err := nc.Request(wire.ActionSubject("busy", "answer"), []byte(`{"id":"c1"}`), waitLimit)
		if err != nil {
			first <- err.Error()
			return
		}
		first <- reply.Header.Get("Nats-Service-Error-Code")
	}()
	eventually(t, "the first action under way", func() bool { return len(p.actions()) == 1 })
	code, words := request(t, nc, "busy", "answer", []byte(`{"id":"c2"}`), nil)
	if code != wire.CodeFailed || !strings.Contains(words, "busy") || len(p.actions()) != 1 {
		t.Fatalf("%s %q %v", code, words, p.actions())
	}
	close(p.hold)
	if code := <-first; code != "" {
		t.Fatalf("the first action: %s", code)
	}
	// Room again: the next is taken.
	if code, _ := request(t, nc, "busy", "answer", []byte(`{"id":"c3"}`), nil); code != "" {
		t.Fatalf("after the first: %s", code)
	}
}

// TestRefusalsKeepTheirKind: a provider's refusal travels with its code,
// its words and, for a server's refusal, its details.
func TestRefusalsKeepTheirKind(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	p := newScripted(live(providers.LinkLive))
	startRelay(t, p, nc, Config{Board: "refuse"})
	refused := &providers.RefusedError{Status: 403, Code: "7503", Message: "Application is not authorized", RequestID: "r-1"}
	for _, c := range []struct {
		err  error
		code string
	}{
		{fmt.Errorf("answer c1: %w", providers.ErrEnded), wire.CodeEnded},
		{fmt.Errorf("answer c1: the call is held: %w", providers.ErrNotAllowed), wire.CodeNotAllowed},
		{fmt.Errorf("answer c1: %w", refused), wire.CodeRefused},
		{fmt.Errorf("answer c1: the line is down"), wire.CodeFailed},
	} {
		p.mu.Lock()
		p.actErr = c.err
		p.mu.Unlock()
		reply, err := nc.RequestMsg(&nats.Msg{Subject: wire.ActionSubject("refuse", "answer"), Data: []byte(`{"id":"c1"}`)}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		code, words := reply.Header.Get("Nats-Service-Error-Code"), reply.Header.Get("Nats-Service-Error")
		if code != c.code || words != c.err.Error() {
			t.Errorf("%v: %s %q", c.err, code, words)
		}
		if c.code == wire.CodeRefused {
			var r wire.Refusal
			if err := json.Unmarshal(reply.Data, &r); err != nil || r != (wire.Refusal{Status: 403, Code: "7503", Message: refused.Message, RequestID: "r-1"}) {
				t.Errorf("refusal body %s: %v", reply.Data, err)
			}
		}
	}
}

// An action the relay has no case for is refused, never answered OK: the
// console would otherwise report as done what nobody did.
func TestUnknownActionIsRefusedNotDone(t *testing.T) {
	s := &actionService{}
	unknown := providers.Action(len(providers.Actions)) // the first bit the contract leaves free
	reply, err := s.callAction(unknown)(context.Background(), wire.Request{ID: "c1"})
	if reply.OK || !errors.Is(err, providers.ErrNotAllowed) {
		t.Fatalf("reply %+v, err %v; want a refusal that is ErrNotAllowed", reply, err)
	}
}
