package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ringside/providers"
	"ringside/providers/natsboard/boardtest"
	"ringside/providers/natsboard/wire"
)

// natsBoard publishes board "front" as a relay would, with one ringing
// call, a live status, and actions answered by h.
func natsBoard(t *testing.T, agent bool, h boardtest.Handler) (*boardtest.Server, *boardtest.Board) {
	t.Helper()
	srv := boardtest.Start(t)
	meta := boardtest.Meta("front", "graph", providers.Actions...)
	meta.AgentControl = agent
	b := boardtest.Publish(t, srv.Connect("", ""), meta)
	b.TakeLease()
	b.Status(providers.Status{Link: providers.LinkLive, Detail: "127.0.0.1:8443"})
	b.Call(providers.Call{ID: "c1", Provider: "graph", State: providers.StateRinging, Direction: providers.Incoming,
		From: providers.Party{Name: "Adele Vance"}, Caps: providers.Caps(providers.ActionAnswer, providers.ActionReject), Version: 4})
	b.Serve(h)
	return srv, b
}

// endedWords answers as a relay whose provider knows c-ended has ended.
func endedWords(endpoint string, req wire.Request) (wire.Reply, error) {
	if endpoint == wire.EndpointAgentChoices {
		return wire.Reply{Choices: []wire.Choice{{State: "ready"}}}, nil
	}
	if req.ID == "c-ended" {
		return wire.Reply{}, fmt.Errorf("%s %s: %w: Caller hung up", endpoint, req.ID, providers.ErrEnded)
	}
	return wire.Reply{}, nil
}

// TestNATSOneShot: the one-shot commands act on a board through its
// relay, with the relay's words when it refuses.
func TestNATSOneShot(t *testing.T) {
	srv, b := natsBoard(t, true, endedWords)
	board := []string{"--provider", "nats", "--board", "front", "--nats", srv.URL}

	te := newTestEnv(nil)
	if code := run(append([]string{"reject", "c1", "--reason", "busy"}, board...), te.env()); code != exitOK || te.stdout.String() != "rejected c1\n" {
		t.Fatalf("reject: exit %d, stdout %q, stderr %q", code, te.stdout.String(), te.stderr.String())
	}
	if got := b.Requests(); len(got) != 1 || got[0].Endpoint != "reject" || got[0].Body != (wire.Request{ID: "c1", Reason: "busy"}) {
		t.Fatalf("the relay got %+v", got)
	}

	te = newTestEnv(nil)
	if code := run(append([]string{"answer", "c-ended"}, board...), te.env()); code != exitFailed ||
		te.stderr.String() != "ringside: answer c-ended: the call has already ended: Caller hung up\n" {
		t.Fatalf("answer an ended call: exit %d, stderr %q", code, te.stderr.String())
	}

	te = newTestEnv(nil)
	if code := run(append([]string{"state", "ready"}, board...), te.env()); code != exitOK || te.stdout.String() != "agent state set to Ready\n" {
		t.Fatalf("state: exit %d, stdout %q, stderr %q", code, te.stdout.String(), te.stderr.String())
	}

	b.StopServing()
	te = newTestEnv(nil)
	if code := run(append([]string{"hangup", "c1"}, board...), te.env()); code != exitFailed ||
		te.stderr.String() != "ringside: board front has no relay running; nothing was sent\n" {
		t.Fatalf("no relay: exit %d, stderr %q", code, te.stderr.String())
	}
}

// TestNATSJoinFails: a board that cannot be joined stops the program
// before anything starts, saying why.
func TestNATSJoinFails(t *testing.T) {
	srv, _ := natsBoard(t, false, boardtest.OK)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := "nats://" + closed.Addr().String()
	closed.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--json", "--provider", "nats", "--board", "back", "--nats", srv.URL}, "ringside: nats: no relay has published board back on " + srv.URL},
		{[]string{"answer", "c1", "--provider", "nats", "--board", "front", "--nats", nowhere}, "ringside: nats: no NATS server answers at " + nowhere},
		{[]string{"--json", "--provider", "nats"}, "ringside: nats: --board is required with --provider nats"},
	} {
		te := newTestEnv(nil)
		code := run(tc.args, te.env())
		if code == exitOK || !strings.HasPrefix(te.stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q…", tc.args, code, te.stderr.String(), tc.want)
		}
	}
}

// TestNATSJSONStream: --json on a board writes its calls (at their
// revisions) and the relay's status, as the stream does for any provider.
func TestNATSJSONStream(t *testing.T) {
	srv, b := natsBoard(t, false, boardtest.OK)
	rev := b.Call(providers.Call{ID: "c2", Provider: "graph", State: providers.StateActive, Direction: providers.Incoming, Version: 1})
	out := streamUntil(t, "no calls or status from the board", func(out string) bool {
		return strings.Contains(out, `"id":"c1"`) && strings.Contains(out, `"id":"c2"`) && strings.Contains(out, `"status":"live"`)
	}, "--json", "--provider", "nats", "--board", "front", "--nats", srv.URL)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var ev struct {
			Type     string `json:"type"`
			Provider string `json:"provider"`
			Detail   string `json:"detail"`
			Call     struct {
				ID       string `json:"id"`
				Provider string `json:"provider"`
				Version  uint64 `json:"version"`
			} `json:"call"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		switch {
		case ev.Type == "call" && ev.Call.ID == "c2" && (ev.Call.Version != rev || ev.Call.Provider != "graph"):
			t.Errorf("c2 at version %d from %q, want revision %d from graph", ev.Call.Version, ev.Call.Provider, rev)
		case ev.Type == "status" && ev.Provider != "nats":
			t.Errorf("status from %q: %s", ev.Provider, sc.Text())
		}
	}
}

// TestNATSConsole: the console on boards is read-only when the NATS user
// may act on none of them, and shows each row's board when it watches
// several.
func TestNATSConsole(t *testing.T) {
	srv := boardtest.StartConfig(t, "providers/natsboard/testdata/nats-users.conf")
	relay := srv.Connect("relay", "relay-secret")
	for _, name := range []string{"demo", "other"} {
		b := boardtest.Publish(t, relay, boardtest.Meta(name, "demo", providers.Actions...))
		b.TakeLease()
	}
	screen := func(vars map[string]string, args ...string) string {
		t.Helper()
		te := newTestEnv(vars)
		e := te.env()
		var content string
		e.runConsole = func(m tea.Model, _ ...tea.ProgramOption) error {
			m, _ = m.Update(tea.WindowSizeMsg{Width: 100, Height: 20})
			content = ansi.Strip(m.View().Content)
			return nil
		}
		if code := run(append([]string{"--provider", "nats", "--nats", srv.URL}, args...), e); code != exitOK {
			t.Fatalf("%v: exit %d, stderr %q", args, code, te.stderr.String())
		}
		return content
	}
	sup := map[string]string{"RINGSIDE_NATS_PASSWORD": "supervisor-secret"}
	if got := screen(sup, "--nats-user", "supervisor", "--board", "demo"); !strings.Contains(got, "READ-ONLY") || strings.Contains(got, "BOARD") {
		t.Errorf("supervisor on one board:\n%s", got)
	}
	if got := screen(map[string]string{"RINGSIDE_NATS_PASSWORD": "relay-secret"}, "--nats-user", "relay", "--board", "demo", "--board", "other"); strings.Contains(got, "READ-ONLY") || !strings.Contains(got, "BOARD") {
		t.Errorf("two boards:\n%s", got)
	}
}
