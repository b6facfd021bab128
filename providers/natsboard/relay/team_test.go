package relay

// These tests run the parts of a team together: a real relay over a real
// provider (Graph against its fake, Genesys against its fake and a real
// Bayeux server, the demo) and several real consoles (natsboard) on one
// NATS server or cluster, and check what the people at the consoles see and
// what reaches the provider.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/demo"
	"ringside/providers/genesys"
	"ringside/providers/genesys/gwstest"
	"ringside/providers/graph/graphtest"
	"ringside/providers/internal/bayeuxtest"
	"ringside/providers/natsboard"
	"ringside/providers/natsboard/boardtest"
	"ringside/providers/natsboard/wire"
)

// react makes the fake Graph follow each accepted action with the
// notifications Graph sends next (answer: establishing, established;
// reject: deleted; …), posted to this relay's webhook.
func (g *graphRelay) react(t *testing.T) {
	t.Helper()
	d := graphtest.NewDriver(g.srv.Fake, g.poster.URL, g.srv.Options.ClientID, nil)
	d.Pause = 0
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d.React(ctx)
}

// ring posts a new incoming call to the relay's webhook, in the shape of
// the documented incoming-call notification.
func (g *graphRelay) ring(t *testing.T, id string) {
	t.Helper()
	g.post(t, graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id))
}

// consoles starts n consoles on board at url.
func consoles(t *testing.T, n int, url, board string) []*console {
	t.Helper()
	cs := make([]*console, n)
	for i := range cs {
		cs[i] = startConsole(t, url, consoleSetup{}, board)
	}
	return cs
}

// agree waits until every console shows call id in a state ok accepts, at
// the same version, and returns that call: the consoles agree on it.
func agree(t *testing.T, cs []*console, id, what string, ok func(providers.Call) bool) providers.Call {
	t.Helper()
	var newest uint64
	for _, c := range cs {
		newest = max(newest, c.waitCall(id, what, ok).Version)
	}
	// A console may have seen an earlier version that ok accepts too:
	// each one catches up with the newest any has.
	got := make([]providers.Call, len(cs))
	for i, c := range cs {
		got[i] = c.waitCall(id, fmt.Sprintf("%s at version %d", what, newest), func(call providers.Call) bool {
			return ok(call) && call.Version >= newest
		})
	}
	for i := 1; i < len(got); i++ {
		if !reflect.DeepEqual(got[i], got[0]) {
			t.Fatalf("consoles 1 and %d disagree on %s:\n%+v\n%+v", i+1, id, got[0], got[i])
		}
	}
	return got[0]
}

// requestID is the id Graph gives each request, which two requests do not
// share.
var requestID = regexp.MustCompile(`\[request-id [0-9a-f-]+\]`)

func withoutRequestID(err error) string {
	if err == nil {
		return "<nil>"
	}
	return requestID.ReplaceAllString(err.Error(), "[request-id]")
}

func canDo(a providers.Action) func(providers.Call) bool {
	return func(c providers.Call) bool { return c.Can(a) }
}

// TestConsolesShareAGraphBoard: three consoles on a Graph relay's board see
// a call the webhook brings; an answer from one and a reject from another
// reach Graph as its documented requests, and what Graph reports next
// shows the same in every console; an action on a call Graph does not know
// fails at a console as it fails at the provider itself.
func TestConsolesShareAGraphBoard(t *testing.T) {
	ns := startNATS(t)
	g := runGraphRelay(t, graphtest.Start(t, graphtest.Options{}), connect(t, ns.ClientURL()), Config{Board: "teams"})
	g.react(t)
	cs := consoles(t, 3, ns.ClientURL(), "teams")
	answered, rejected := graphtest.NewCallID(), graphtest.NewCallID()
	g.ring(t, answered)
	g.ring(t, rejected)
	agree(t, cs, answered, "ringing, to answer", canDo(providers.ActionAnswer))
	agree(t, cs, rejected, "ringing, to reject", canDo(providers.ActionReject))
	ctx := context.Background()

	if err := cs[1].joined.Answer(ctx, answered); err != nil {
		t.Fatalf("answer from console 2: %v", err)
	}
	r := g.asked(t, answered, graphtest.ActionAnswer)
	if r.Method != http.MethodPost || r.Path != "/v1.0/communications/calls/"+answered+"/answer" {
		t.Fatalf("answer went to %s %s", r.Method, r.Path)
	}
	jsonEqual(t, r.Body, `{"acceptedModalities":["audio"],"mediaConfig":{"@odata.type":"#microsoft.graph.serviceHostedMediaConfig"}}`)
	agree(t, cs, answered, "active", inState(providers.StateActive))

	if err := cs[2].joined.Reject(ctx, rejected, providers.ReasonBusy); err != nil {
		t.Fatalf("reject from console 3: %v", err)
	}
	r = g.asked(t, rejected, graphtest.ActionReject)
	if r.Method != http.MethodPost || r.Path != "/v1.0/communications/calls/"+rejected+"/reject" {
		t.Fatalf("reject went to %s %s", r.Method, r.Path)
	}
	jsonEqual(t, r.Body, `{"reason":"busy"}`)
	if c := agree(t, cs, rejected, "ended", inState(providers.StateEnded)); c.Result() != providers.OutcomeRejected || c.Caps != 0 {
		t.Fatalf("rejected: outcome %s, caps %v", c.Result(), c.Caps.Names())
	}

	// A call Graph does not know: the console's refusal is the provider's,
	// in its words and of its kind.
	unknown := graphtest.NewCallID()
	g.srv.API.Gone(unknown)
	atConsole := cs[0].joined.Answer(ctx, unknown)
	direct := g.p.Answer(ctx, unknown)
	if !errors.Is(direct, providers.ErrNotFound) {
		t.Fatalf("the provider itself: %v", direct)
	}
	if !errors.Is(atConsole, providers.ErrNotFound) || withoutRequestID(atConsole) != withoutRequestID(direct) {
		t.Fatalf("at a console: %v\nwant the kind and words of: %v", atConsole, direct)
	}
	// Graph's own refusal behind it, as the provider's error has it (each
	// request has its own id).
	var fromGraph, fromBoard *providers.RefusedError
	if !errors.As(direct, &fromGraph) || !errors.As(atConsole, &fromBoard) ||
		fromBoard.Status != fromGraph.Status || fromBoard.Code != fromGraph.Code || fromBoard.Message != fromGraph.Message || fromBoard.RequestID == "" {
		t.Fatalf("Graph's refusal at a console %+v, from the provider %+v", fromBoard, fromGraph)
	}
}

// genesysRelay is a genesys provider behind a relay, against the fake GWS
// publishing its notifications through a real Bayeux server.
type genesysRelay struct {
	gws *gwstest.Server
	p   *genesys.Provider
	rr  *running
}

// startGenesysRelay starts the fake GWS holding calls, a CometD server it
// publishes to, and a relay of the genesys provider on board over nc.
func startGenesysRelay(t *testing.T, nc *nats.Conn, board string, calls ...gwstest.Call) *genesysRelay {
	t.Helper()
	const user, password = "ksippo", "s3cret-pass"
	bx := bayeuxtest.Start(t, bayeuxtest.CometD, bayeuxtest.Options{Timeout: 5 * time.Second})
	gws := gwstest.New(gwstest.Options{User: user, Password: password, FirstName: "Kristi", LastName: "Sippola"})
	srv := httptest.NewServer(gws)
	t.Cleanup(srv.Close)
	gws.SetBaseURL(srv.URL)
	for _, c := range calls {
		gws.Put(c)
	}
	gws.SetPublish(func(channel string, data []byte) error { return bx.Publish(channel, json.RawMessage(data)) })
	p, err := genesys.New(genesys.Config{URL: srv.URL, User: user, CometdURL: bx.URL()}, providers.Options{
		Log: slog.New(slog.DiscardHandler),
		Getenv: func(k string) string {
			if k == genesys.PasswordEnv {
				return password
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &genesysRelay{gws: gws, p: p, rr: startRelay(t, p, nc, Config{Board: board})}
}

// posted are the bodies of the POSTs GWS received on path, in order.
func (g *genesysRelay) posted(path string) []string {
	var bodies []string
	for _, r := range g.gws.Requests() {
		if r.Method == http.MethodPost && r.Path == path {
			bodies = append(bodies, string(r.Body))
		}
	}
	return bodies
}

// TestConsoleActsThroughAGenesysRelay: a console on a Genesys relay's board
// answers and holds a call and sets the agent's state; GWS receives the
// documented operations, and the console shows their effect.
func TestConsoleActsThroughAGenesysRelay(t *testing.T) {
	ns := startNATS(t)
	g := startGenesysRelay(t, connect(t, ns.ClientURL()), "desk", gwstest.QueueCall("Q1", "+14255550100", "9000"))
	c := startConsole(t, ns.ClientURL(), consoleSetup{}, "desk")
	agent, ok := c.joined.(providers.AgentControl)
	if !ok {
		t.Fatalf("the console of a Genesys board has no agent state: %T", c.joined)
	}
	c.waitStatus("live", func(st providers.Status) bool { return st.Link == providers.LinkLive })
	c.waitCall("Q1", "ringing, to answer", canDo(providers.ActionAnswer))
	ctx := context.Background()

	if err := c.joined.Answer(ctx, "Q1"); err != nil {
		t.Fatalf("answer: %v", err)
	}
	c.waitCall("Q1", "active, to hold", func(call providers.Call) bool {
		return call.State == providers.StateActive && call.Can(providers.ActionHold)
	})
	if err := c.joined.Hold(ctx, "Q1"); err != nil {
		t.Fatalf("hold: %v", err)
	}
	c.waitCall("Q1", "held", inState(providers.StateHeld))
	if got, want := g.posted("/api/v2/me/calls/Q1"), []string{`{"operationName":"Answer"}`, `{"operationName":"Hold"}`}; !slices.Equal(got, want) {
		t.Fatalf("GWS got %q on the call, want %q", got, want)
	}

	choices, err := agent.AgentChoices(ctx)
	if err != nil {
		t.Fatalf("agent choices: %v", err)
	}
	direct, err := g.p.AgentChoices(ctx)
	if err != nil || !reflect.DeepEqual(choices, direct) {
		t.Fatalf("agent choices through the relay %+v, from the provider %+v (%v)", choices, direct, err)
	}
	for _, step := range []struct {
		choice providers.AgentChoice
		shown  string
	}{
		{providers.AgentChoice{State: providers.AgentReady}, "Ready"},
		{providers.AgentChoice{State: providers.AgentNotReady}, "Not Ready"},
	} {
		if err := agent.SetAgentState(ctx, step.choice); err != nil {
			t.Fatalf("agent state %s: %v", step.choice.State, err)
		}
		c.waitStatus("agent "+step.shown, func(st providers.Status) bool { return st.Agent == step.shown })
	}
	if got, want := g.posted("/api/v2/me/channels/voice"), []string{`{"operationName":"Ready"}`, `{"operationName":"NotReady"}`}; !slices.Equal(got, want) {
		t.Fatalf("GWS got %q on the voice channel, want %q", got, want)
	}
}

// violations collects the permission violations NATS reports to a
// connection, which arrive on the side.
type violations struct {
	mu   sync.Mutex
	seen []string
	news chan struct{}
}

func newViolations() *violations { return &violations{news: make(chan struct{}, 1)} }

func (v *violations) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	if !errors.Is(err, nats.ErrPermissionViolation) {
		return
	}
	v.mu.Lock()
	v.seen = append(v.seen, err.Error())
	v.mu.Unlock()
	select {
	case v.news <- struct{}{}:
	default:
	}
}

// wait waits until NATS has refused a publish to subject, and says whether
// it did within waitLimit.
func (v *violations) wait(subject string) bool {
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	want := `Publish to "` + subject + `"`
	for {
		v.mu.Lock()
		found := slices.ContainsFunc(v.seen, func(s string) bool { return strings.Contains(s, want) })
		v.mu.Unlock()
		if found {
			return true
		}
		select {
		case <-v.news:
		case <-deadline.C:
			return false
		}
	}
}

// teamConfig is the example configuration the README shows, run as it is
// written: boardtest takes only its listen address and store.
const teamConfig = "../testdata/team-example.conf"

// TestTeamExampleConfiguration: on a NATS server run from the example
// team configuration, the relay user publishes board sales, the agent's
// console answers a call, and the supervisor's console only watches: no
// action keys, its attempts refused in words, and a request it sends by
// hand never reaches the relay. Neither may write the board's bucket.
func TestTeamExampleConfiguration(t *testing.T) {
	srv := boardtest.StartConfig(t, teamConfig)
	p, err := demo.New(demo.Config{Seed: 7, Calls: 6}, providers.Options{AnswerWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	rr := startRelay(t, p, connect(t, srv.URL, nats.UserInfo("relay", "relay-secret")), Config{Board: "sales"})
	agent := startConsole(t, srv.URL, consoleSetup{user: "agent", password: "agent-secret"}, "sales")
	super := startConsole(t, srv.URL, consoleSetup{user: "supervisor", password: "supervisor-secret"}, "sales")
	if agent.p.ReadOnly() || !super.p.ReadOnly() {
		t.Fatalf("read-only: agent %v, supervisor %v", agent.p.ReadOnly(), super.p.ReadOnly())
	}
	var id string
	agent.until("a ringing call the agent may answer", func(calls map[string]providers.Call, _ providers.Status) bool {
		for _, c := range calls {
			if c.State == providers.StateRinging && c.Can(providers.ActionAnswer) {
				id = c.ID
				return true
			}
		}
		return false
	})
	if c := super.waitCall(id, "ringing", inState(providers.StateRinging)); c.Caps != 0 {
		t.Fatalf("the supervisor is offered %v", c.Caps.Names())
	}
	super.waitStatus("the read-only warning", func(st providers.Status) bool {
		return st.Link == providers.LinkLive && st.Warning == "read-only: the NATS user may not send actions on board sales"
	})

	// The supervisor's console refuses at once, in words.
	ctx := context.Background()
	err = super.joined.Answer(ctx, id)
	if !errors.Is(err, natsboard.ErrReadOnly) || !errors.Is(err, providers.ErrNotAllowed) ||
		err.Error() != "the NATS user may not send actions on board sales" {
		t.Fatalf("answer at the supervisor's console: %v", err)
	}

	// A request the supervisor sends by hand: NATS refuses it, and it
	// reaches no one. A spy listening where the relay does would get it
	// before anything sent after it.
	spyNC := connect(t, srv.URL, nats.UserInfo("relay", "relay-secret"))
	spy, err := spyNC.SubscribeSync("ringside.sales.act.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := spyNC.Flush(); err != nil {
		t.Fatal(err)
	}
	denied := newViolations()
	superNC := connect(t, srv.URL, nats.UserInfo("supervisor", "supervisor-secret"), nats.ErrorHandler(denied.handler))
	subject := "ringside.sales.act.answer"
	if err := superNC.PublishRequest(subject, superNC.NewRespInbox(), fmt.Appendf(nil, `{"id":%q}`, id)); err != nil {
		t.Fatal(err)
	}
	if err := superNC.Flush(); err != nil {
		t.Fatal(err)
	}
	if !denied.wait(subject) {
		t.Fatalf("NATS did not refuse the supervisor's request on %s", subject)
	}

	// The call still rings: the agent answers it.
	if err := agent.joined.Answer(ctx, id); err != nil {
		t.Fatalf("the agent's answer: %v", err)
	}
	first, err := spy.NextMsg(waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	if first.Header.Get(wire.DeadlineHeader) == "" {
		t.Fatalf("the relay's subject carried the supervisor's request: %q %s", first.Subject, first.Data)
	}
	answered := func(c providers.Call) bool { return c.State.Live() && c.State != providers.StateRinging }
	agent.waitCall(id, "answered", answered)
	if c := super.waitCall(id, "answered", answered); c.Caps != 0 {
		t.Fatalf("the supervisor is offered %v", c.Caps.Names())
	}

	// Neither the agent nor the supervisor may write the board: not a
	// call, not the relay's lease.
	for _, who := range []struct{ user, password string }{{"agent", "agent-secret"}, {"supervisor", "supervisor-secret"}} {
		v := newViolations()
		js, err := jetstream.New(connect(t, srv.URL, nats.UserInfo(who.user, who.password), nats.ErrorHandler(v.handler)))
		if err != nil {
			t.Fatal(err)
		}
		kv, err := js.KeyValue(ctx, wire.Bucket("sales"))
		if err != nil {
			t.Fatalf("%s binds the board: %v", who.user, err)
		}
		for _, key := range []string{wire.CallKey(id), wire.KeyLease} {
			putCtx, cancel := context.WithTimeout(ctx, waitLimit)
			refused := make(chan bool, 1)
			go func() { refused <- v.wait("$KV." + wire.Bucket("sales") + "." + key); cancel() }()
			_, err := kv.Put(putCtx, key, []byte(`{"id":"forged"}`))
			if !<-refused || err == nil {
				t.Fatalf("%s wrote %s: %v", who.user, key, err)
			}
			cancel()
		}
	}
	if !rr.r.Owner() {
		t.Fatal("the relay lost its board")
	}
	if c := agent.waitCall(id, "still answered", answered); c.ID != id {
		t.Fatalf("%+v", c)
	}
}

// offline says that a console shows its board as it was, its relay gone.
func offline(st providers.Status) bool {
	return st.Link == providers.LinkReconnecting && strings.Contains(st.Detail, "relay offline since ") &&
		strings.Contains(st.Detail, "showing the board as it was")
}

func isLive(st providers.Status) bool { return st.Link == providers.LinkLive }

// TestConsolesKeepTheBoardAcrossARelayRestart: consoles keep a board whose
// relay stopped (cleanly, or killed so that only its lease's expiry tells)
// and say it is stale; a new relay on the board brings them up to date
// with no restart of theirs: the call that ended meanwhile ends, the one
// that began shows, the one still under way stays.
func TestConsolesKeepTheBoardAcrossARelayRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(t *testing.T, g *graphRelay)
	}{
		{"clean stop", func(t *testing.T, g *graphRelay) {
			if err := g.rr.stop(t); err != nil {
				t.Fatalf("the first relay's stop: %v", err)
			}
		}},
		{"killed", func(t *testing.T, g *graphRelay) {
			// Its connection gone, the relay neither renews nor deletes
			// its lease: the board is free once the lease expires.
			g.nc.Close()
			if err := g.rr.wait(t); !errors.Is(err, nats.ErrConnectionClosed) {
				t.Fatalf("the killed relay: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := startNATS(t)
			srv := graphtest.Start(t, graphtest.Options{})
			first := runGraphRelay(t, srv, connect(t, ns.ClientURL()), Config{Board: "rs"})
			first.react(t)
			cs := consoles(t, 2, ns.ClientURL(), "rs")
			stays, ends := graphtest.NewCallID(), graphtest.NewCallID()
			first.ring(t, stays)
			first.ring(t, ends)
			agree(t, cs, stays, "ringing", canDo(providers.ActionAnswer))
			agree(t, cs, ends, "ringing", inState(providers.StateRinging))
			if err := cs[0].joined.Answer(context.Background(), stays); err != nil {
				t.Fatal(err)
			}
			agree(t, cs, stays, "active", inState(providers.StateActive))

			tc.stop(t, first)
			for _, c := range cs {
				c.waitStatus("relay offline", offline)
				c.mu.Lock()
				kept := c.calls[stays].State == providers.StateActive && c.calls[ends].State == providers.StateRinging
				c.mu.Unlock()
				if !kept {
					t.Fatalf("the board was not kept while its relay is away:\n%s", c.dump())
				}
			}
			// An action meanwhile finds no relay, says so, and sends nothing.
			err := cs[1].joined.Hangup(context.Background(), stays)
			if !errors.Is(err, natsboard.ErrNoRelay) || err.Error() != "board rs has no relay running; nothing was sent" {
				t.Fatalf("hang up while the relay is away: %v", err)
			}

			// Meanwhile one call ends at Graph, and the new relay's webhook
			// brings a new one.
			srv.API.Gone(ends)
			second := runGraphRelay(t, srv, connect(t, ns.ClientURL()), Config{Board: "rs"})
			second.react(t)
			begins := graphtest.NewCallID()
			second.ring(t, begins)
			for _, c := range cs {
				c.waitStatus("the new relay's webhook live", func(st providers.Status) bool {
					return st.Link == providers.LinkLive && st.Detail == second.p.Addr()
				})
			}
			agree(t, cs, ends, "ended", inState(providers.StateEnded))
			agree(t, cs, begins, "ringing", canDo(providers.ActionAnswer))
			if c := agree(t, cs, stays, "still active", inState(providers.StateActive)); !c.Can(providers.ActionHangup) {
				t.Fatalf("the call still under way offers %v", c.Caps.Names())
			}
			// And the new relay acts for them: the one hang-up Graph gets.
			if err := cs[1].joined.Hangup(context.Background(), stays); err != nil {
				t.Fatalf("hang up through the new relay: %v", err)
			}
			var deletes int
			for _, r := range srv.API.Requests() {
				if r.CallID == stays && r.Action == graphtest.ActionDelete {
					deletes++
				}
			}
			if deletes != 1 {
				t.Fatalf("Graph was asked %d times to hang up, want once", deletes)
			}
			agree(t, cs, stays, "hung up", inState(providers.StateEnded))
		})
	}
}

// cutProxy is a loopback TCP proxy in front of a NATS server whose line
// the test cuts and restores: while cut, every connection through it is
// closed and new ones are closed as they come.
type cutProxy struct {
	t        *testing.T
	ln       net.Listener
	upstream string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startProxy proxies to the host:port of upstream (a nats:// URL) until the
// test ends.
func startProxy(t *testing.T, upstream string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, ln: ln, upstream: strings.TrimPrefix(upstream, "nats://"), conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// URL is where clients reach the server through the proxy.
func (p *cutProxy) URL() string { return "nats://" + p.ln.Addr().String() }

func (p *cutProxy) accept() {
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return // the listener is closed: the test is over
		}
		p.wg.Go(func() { p.pipe(down) })
	}
}

// pipe joins one client connection to the server until either side ends
// or the line is cut.
func (p *cutProxy) pipe(down net.Conn) {
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		down.Close()
		return
	}
	if !p.track(down, up) {
		down.Close()
		up.Close()
		return
	}
	var both sync.WaitGroup
	both.Go(func() { _, _ = io.Copy(up, down); up.Close(); down.Close() })
	both.Go(func() { _, _ = io.Copy(down, up); up.Close(); down.Close() })
	both.Wait()
	p.mu.Lock()
	delete(p.conns, down)
	delete(p.conns, up)
	p.mu.Unlock()
}

// track files a new pair, unless the line is cut.
func (p *cutProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

// Cut closes every connection through the proxy and refuses new ones.
func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
}

// Restore lets connections through again.
func (p *cutProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// TestConsoleCatchesUpAfterItsLineIsCut: a console whose connection to NATS
// is cut while the relay changes the board (a call ends and leaves the
// board entirely, another begins) shows the board as it is once it is
// back: no ghost, no gap, live.
func TestConsoleCatchesUpAfterItsLineIsCut(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	// Ended calls leave the board a second after they end: the ended call
	// is not on the board at all when the console is back.
	g := runGraphRelay(t, graphtest.Start(t, graphtest.Options{}), nc, Config{Board: "cut", History: time.Second})
	proxy := startProxy(t, ns.ClientURL())
	c := startConsole(t, proxy.URL(), consoleSetup{}, "cut")
	stays, ends := graphtest.NewCallID(), graphtest.NewCallID()
	g.ring(t, stays)
	g.ring(t, ends)
	c.waitCall(stays, "ringing", inState(providers.StateRinging))
	c.waitCall(ends, "ringing", inState(providers.StateRinging))

	proxy.Cut()
	c.waitStatus("NATS unreachable", func(st providers.Status) bool {
		return st.Link == providers.LinkReconnecting && strings.Contains(st.Detail, "NATS unreachable since")
	})
	g.post(t, graphtest.StateChange(ends, "deleted", "terminated", &graphtest.ResultInfo{Code: 0, Subcode: 5001, Message: "Call ended by the caller."}))
	g.board.waitCall(ends, "ended", inState(providers.StateEnded))
	begins := graphtest.NewCallID()
	g.ring(t, begins)
	g.board.waitCall(begins, "ringing", inState(providers.StateRinging))
	// The ended call expires, and then its expiry marker: nothing on the
	// board says it was ever there.
	st, err := g.board.js.Stream(context.Background(), "KV_"+wire.Bucket("cut"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ended call gone from the board", func() bool {
		_, err := st.GetLastMsgForSubject(context.Background(), "$KV."+wire.Bucket("cut")+"."+wire.CallKey(ends))
		return errors.Is(err, jetstream.ErrMsgNotFound)
	})
	c.mu.Lock()
	unseen := c.calls[ends].State == providers.StateRinging && c.calls[begins].ID == ""
	c.mu.Unlock()
	if !unseen {
		t.Fatalf("the console heard of the changes while cut off:\n%s", c.dump())
	}

	proxy.Restore()
	c.waitStatus("live again", isLive)
	c.waitCall(ends, "ended", inState(providers.StateEnded))
	c.waitCall(begins, "ringing", inState(providers.StateRinging))
	c.waitCall(stays, "still ringing", canDo(providers.ActionAnswer))
}

// nodeNamed is the index of the cluster's node whose server name is name.
func nodeNamed(t *testing.T, cl *boardtest.Cluster, name string) int {
	t.Helper()
	for i, n := range cl.Nodes {
		nc := connect(t, n.URL)
		got := nc.ConnectedServerName()
		nc.Close()
		if got == name {
			return i
		}
	}
	t.Fatalf("no node of the cluster is named %q", name)
	return -1
}

// leaseNow reads the board's lease through js: who holds it, at which
// revision.
func leaseNow(js jetstream.JetStream, board string) (wire.Lease, uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, wire.Bucket(board))
	if err != nil {
		return wire.Lease{}, 0, err
	}
	e, err := kv.Get(ctx, wire.KeyLease)
	if err != nil {
		return wire.Lease{}, 0, err
	}
	var l wire.Lease
	if err := json.Unmarshal(e.Value(), &l); err != nil {
		return wire.Lease{}, 0, err
	}
	return l, e.Revision(), nil
}

// leadOn makes the node named name the leader of stream (a stepdown with a
// preferred placement) and waits until it is.
func leadOn(t *testing.T, nc *nats.Conn, stream jetstream.Stream, name string) {
	t.Helper()
	ctx := context.Background()
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Cluster.Leader == name {
		return
	}
	reply, err := nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+info.Config.Name,
		fmt.Appendf(nil, `{"placement":{"preferred":%q}}`, name), waitLimit)
	if err != nil {
		t.Fatalf("stream leader stepdown: %v", err)
	}
	var answer struct {
		Success bool `json:"success"`
	}
	if err := json.Unmarshal(reply.Data, &answer); err != nil || !answer.Success {
		t.Fatalf("stream leader stepdown: %s", reply.Data)
	}
	eventually(t, "the stream's leader on "+name, func() bool {
		info, err := stream.Info(ctx)
		return err == nil && info.Cluster != nil && info.Cluster.Leader == name
	})
}

// TestBoardSurvivesTheLossOfItsStreamLeader: on a three-node cluster, with
// the board's bucket on three replicas, the node that leads the bucket's
// stream, and that the relay and a console are connected to, shuts down.
// New calls still reach both consoles, actions from both still reach
// Graph, and the relay keeps renewing its lease.
func TestBoardSurvivesTheLossOfItsStreamLeader(t *testing.T) {
	cl := boardtest.StartCluster(t, 3)
	nc := connect(t, cl.URLs())
	g := runGraphRelay(t, graphtest.Start(t, graphtest.Options{}), nc, Config{Board: "ha", Replicas: 3})
	g.react(t)
	ctx := context.Background()
	stream, err := g.board.js.Stream(ctx, "KV_"+wire.Bucket("ha"))
	if err != nil {
		t.Fatal(err)
	}
	if c := stream.CachedInfo().Cluster; c == nil || len(c.Replicas) != 2 {
		t.Fatalf("the board's bucket is not on three nodes: %+v", c)
	}
	// The hardest node to lose: it leads the bucket's stream, and the
	// relay and a console are connected to it.
	lost := nodeNamed(t, cl, nc.ConnectedServerName())
	leadOn(t, nc, stream, nc.ConnectedServerName())
	other := (lost + 1) % len(cl.Nodes)
	cs := []*console{
		startConsole(t, cl.Nodes[lost].URL, consoleSetup{}, "ha"),
		startConsole(t, cl.Nodes[other].URL, consoleSetup{}, "ha"),
	}
	before := graphtest.NewCallID()
	g.ring(t, before)
	agree(t, cs, before, "ringing", canDo(providers.ActionReject))

	cl.Nodes[lost].Stop()
	survivor, err := jetstream.New(connect(t, cl.Nodes[other].URL))
	if err != nil {
		t.Fatal(err)
	}
	var held uint64
	eventually(t, "the lease readable after the loss", func() bool {
		l, rev, err := leaseNow(survivor, "ha")
		held = rev
		return err == nil && l.Relay == g.rr.r.ID()
	})

	after := graphtest.NewCallID()
	g.ring(t, after)
	agree(t, cs, after, "ringing", canDo(providers.ActionAnswer))
	if err := cs[1].joined.Answer(ctx, after); err != nil {
		t.Fatalf("answer from the console on a surviving node: %v", err)
	}
	g.asked(t, after, graphtest.ActionAnswer)
	agree(t, cs, after, "active", inState(providers.StateActive))
	if err := cs[0].joined.Reject(ctx, before, providers.ReasonBusy); err != nil {
		t.Fatalf("reject from the console whose node went: %v", err)
	}
	jsonEqual(t, g.asked(t, before, graphtest.ActionReject).Body, `{"reason":"busy"}`)
	agree(t, cs, before, "rejected", inState(providers.StateEnded))

	eventually(t, "a renewal of the lease after the loss", func() bool {
		l, rev, err := leaseNow(survivor, "ha")
		return err == nil && l.Relay == g.rr.r.ID() && rev > held
	})
	select {
	case err := <-g.rr.done:
		g.rr.done <- err
		t.Fatalf("the relay stopped: %v\nlog:\n%s", err, g.rr.log.String())
	default:
	}
	if !g.rr.r.Owner() {
		t.Fatalf("the relay let its board go\nlog:\n%s", g.rr.log.String())
	}
}
