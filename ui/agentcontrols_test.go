package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"ringside/providers"
)

// selectCall moves the live selection to call id.
func selectCall(t *testing.T, hs *harness, id string) {
	t.Helper()
	hs.key("g")
	for i := 0; i < 20 && hs.selectedID() != id; i++ {
		hs.key("j")
	}
	if hs.selectedID() != id {
		t.Fatalf("could not select %s", id)
	}
}

// pickerNames is the names the target picker lists now, in order.
func pickerNames(m *Model) []string {
	names := make([]string, len(m.target.items))
	for i, it := range m.target.items {
		names[i] = it.target.Name
	}
	return names
}

// t on a connected call opens the picker over the directory; typing
// filters it fuzzily, enter transfers to the chosen entry, the row keeps
// its marker until the provider's next snapshot, and the status line says
// where the call went.
func TestTargetPickerFiltersAndTransfers(t *testing.T) {
	dir := testDir(t)
	hs := newHarness(t, 100, 30, withDirectory(dir))
	c := connectedCall("c1", "Carol")
	hs.events(c)

	if !strings.Contains(lastLine(hs), "t transfer…") {
		t.Fatalf("help line does not offer t: %q", lastLine(hs))
	}
	hs.key("t")
	if !hs.m.target.open(hs.m) || hs.m.target.spec.action != providers.ActionTransfer {
		t.Fatalf("t did not open the transfer picker (modal %T)", hs.m.modalPane())
	}
	scr := hs.screen()
	for _, want := range []string{"Transfer Carol (active 0:50) to", "5 in the directory", "› Ana Ribeiro", "transfer to ›", "enter transfer"} {
		if !strings.Contains(scr, want) {
			t.Errorf("picker lacks %q:\n%s", want, scr)
		}
	}
	if got := pickerNames(hs.m); !slices.Equal(got, []string{"Ana Ribeiro", "Reception", "Sales desk", "Salvador Costa", "Night line"}) {
		t.Errorf("unfiltered list %v, want the directory in file order", got)
	}

	hs.typeText("sal")
	if got := pickerNames(hs.m); len(got) != 2 || got[0] != "Sales desk" || got[1] != "Salvador Costa" {
		t.Fatalf("after typing sal the list is %v", got)
	}
	hs.typeText("e")
	if got := pickerNames(hs.m); !slices.Equal(got, []string{"Sales desk"}) {
		t.Fatalf("after typing sale the list is %v", got)
	}
	hs.key("backspace")
	hs.key("down")
	hs.key("up")

	_, cmd := hs.m.Update(keyPress("enter"))
	if hs.m.target.open(hs.m) {
		t.Error("the picker is still open after enter")
	}
	if l := selectedLine(hs); !strings.Contains(l, "⋯ transfer…") {
		t.Errorf("row while the transfer is in flight: %q", l)
	}
	if s := hs.m.status.text; s != "transferring… Carol to Sales desk" {
		t.Errorf("status while in flight: %q", s)
	}
	hs.run(cmd)
	want, _ := dir.Lookup("Sales desk")
	if got := hs.p.sentTargets(); len(got) != 1 || got[0] != want {
		t.Fatalf("provider got targets %+v, want %+v", got, want)
	}
	if got := hs.p.requests(); len(got) != 1 || got[0].Action != providers.ActionTransfer || got[0].ID != "c1" {
		t.Fatalf("provider got %v", got)
	}
	if s := hs.m.status.text; s != "transferred Carol to Sales desk" {
		t.Errorf("status after the reply: %q", s)
	}
	// Accepted, not yet confirmed: the marker stays until the provider's
	// next word on the call.
	if l := selectedLine(hs); !strings.Contains(l, "⋯ transfer…") {
		t.Errorf("row before the provider confirmed: %q", l)
	}
	hs.events(ended(c, t0, providers.EndReason{Subcode: 7015, Text: "Transferred to Sales desk"}, providers.OutcomeTransferred))
	if hs.m.store.n.live != 0 || hs.m.store.n.transferred != 1 {
		t.Errorf("after the provider's end: %d live, %d transferred", hs.m.store.n.live, hs.m.store.n.transferred)
	}
}

// With nothing typed the last targets used come first, marked as recent;
// once the agent types, the fuzzy match alone orders the list.
func TestTargetPickerOffersRecentFirst(t *testing.T) {
	hs := newHarness(t, 100, 30, withDirectory(testDir(t)))
	hs.events(connectedCall("c1", "Carol"), connectedCall("c2", "Dan"), connectedCall("c3", "Erin"))
	transferTo := func(id, typed string) {
		t.Helper()
		selectCall(t, hs, id)
		hs.key("t")
		hs.typeText(typed)
		hs.key("enter")
	}
	transferTo("c1", "night")
	transferTo("c2", "+44 20 7946 0999")

	selectCall(t, hs, "c3")
	hs.key("t")
	got := pickerNames(hs.m)
	want := []string{"+44 20 7946 0999", "Night line", "Ana Ribeiro", "Reception", "Sales desk", "Salvador Costa"}
	if !slices.Equal(got, want) {
		t.Fatalf("list with nothing typed %v, want %v", got, want)
	}
	scr := hs.screen()
	if l := lineWith(scr, "Night line"); !strings.Contains(l, "recent") {
		t.Errorf("Night line is not marked recent: %q", l)
	}
	if l := lineWith(scr, "Ana Ribeiro"); strings.Contains(l, "recent") {
		t.Errorf("Ana Ribeiro is marked recent: %q", l)
	}
	hs.typeText("a")
	if got := pickerNames(hs.m); got[0] != "Ana Ribeiro" {
		t.Errorf("typing a lists %v: the recent targets should not come first any more", got)
	}
}

// A number typed as it is goes as it is, first in the list, with or
// without a directory; text that is neither a name nor a number sends
// nothing and says why.
func TestTargetPickerTypedNumber(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []opt
	}{
		{"with a directory", []opt{withDirectory(testDir(t))}},
		{"without one", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, 100, 30, tt.opts...)
			hs.events(connectedCall("c1", "Carol"))
			hs.key("t")
			hs.typeText("+44 20 7946 0000")
			if got := pickerNames(hs.m); len(got) == 0 || got[0] != "+44 20 7946 0000" || hs.m.target.items[0].tag != "as typed" {
				t.Fatalf("list %v: the number should come first, as typed", got)
			}
			hs.key("enter")
			want := providers.Target{Name: "+44 20 7946 0000", Kind: providers.TargetPhone, Phone: "+442079460000"}
			if got := hs.p.sentTargets(); len(got) != 1 || got[0] != want {
				t.Fatalf("provider got %+v, want %+v", got, want)
			}

			hs.events(connectedCall("c2", "Dan"))
			selectCall(t, hs, "c2")
			hs.key("t")
			hs.typeText("zzq")
			hs.key("enter")
			if got := hs.p.sentTargets(); len(got) != 1 {
				t.Fatalf("text that is no target was sent: %+v", got)
			}
			if !hs.m.target.open(hs.m) || !strings.Contains(hs.m.status.text, "nothing sent") || !strings.Contains(hs.m.status.text, "zzq") {
				t.Errorf("picker open %v, status %q", hs.m.target.open(hs.m), hs.m.status.text)
			}
			if !strings.Contains(hs.screen(), "“zzq”") {
				t.Errorf("the picker does not say the text matched nothing:\n%s", hs.screen())
			}
		})
	}
}

// The picker remembers its call: if the call ends, or stops allowing the
// action (a ringing call answered while its redirect picker was open),
// enter sends nothing and the status line says why.
func TestTargetPickerCallChanged(t *testing.T) {
	t.Run("ended", func(t *testing.T) {
		hs := newHarness(t, 100, 30, withDirectory(testDir(t)))
		c := connectedCall("c1", "Carol")
		hs.events(c)
		hs.key("t")
		hs.typeText("ana")
		hs.events(ended(c, t0, providers.EndReason{Text: "caller hung up"}, providers.OutcomeHandled))
		if !strings.Contains(hs.screen(), "has ended (caller hung up) · nothing will be sent") {
			t.Errorf("the open picker does not say the call ended:\n%s", hs.screen())
		}
		hs.key("enter")
		if got := hs.p.requests(); len(got) != 0 {
			t.Fatalf("sent %v for an ended call", got)
		}
		if s := hs.m.status.text; s != "Carol has ended (caller hung up) · nothing sent" {
			t.Errorf("status %q", s)
		}
	})
	t.Run("answered while the redirect picker was open", func(t *testing.T) {
		hs := newHarness(t, 100, 30, withDirectory(testDir(t)))
		c := redirectable("c1", "Alice")
		hs.events(c)
		hs.key("t")
		if hs.m.target.spec.action != providers.ActionRedirect || !strings.Contains(hs.screen(), "Redirect Alice to") {
			t.Fatalf("t on a ringing call did not open the redirect picker:\n%s", hs.screen())
		}
		hs.events(next(c, func(c *providers.Call) {
			c.State, c.Answered, c.AnswerBy = providers.StateActive, t0, time.Time{}
			c.Caps = providers.Caps(providers.ActionHangup, providers.ActionTransfer)
		}))
		hs.key("enter")
		if got := hs.p.requests(); len(got) != 0 {
			t.Fatalf("sent %v: a redirect picker must not turn into a transfer", got)
		}
		if s := hs.m.status.text; s != "Alice (active 0:00) is no longer ringing (now active) · nothing sent" {
			t.Errorf("status %q", s)
		}
	})
}

// A ringing call that may be redirected is redirected by t.
func TestTargetPickerRedirects(t *testing.T) {
	hs := newHarness(t, 100, 30, withDirectory(testDir(t)))
	hs.events(redirectable("c1", "Alice"))
	if !strings.Contains(lastLine(hs), "t redirect…") {
		t.Fatalf("help line does not offer redirect: %q", lastLine(hs))
	}
	hs.key("t")
	hs.typeText("recep")
	hs.key("enter")
	if got := hs.p.requests(); len(got) != 1 || got[0].Action != providers.ActionRedirect {
		t.Fatalf("provider got %v, want one redirect", got)
	}
	if s := hs.m.status.text; s != "redirected Alice to Reception" {
		t.Errorf("status %q", s)
	}
}

// A target the provider cannot reach (no Teams id or E.164 number on
// Graph, no number to dial on GWS) is not sent; the picker stays open
// and the list marks it.
func TestTargetPickerUnreachableTarget(t *testing.T) {
	for _, tt := range []struct {
		provider, entry, says string
	}{
		{"graph", "Salvador Costa", "Salvador Costa has no Teams id or E.164 number"},
		{"genesys", "Sales", "Sales desk has no number the Genesys switch can dial"},
	} {
		t.Run(tt.provider, func(t *testing.T) {
			d := testDir(t)
			if tt.provider == "genesys" {
				// Sales desk with its Teams id only.
				d = parseDir(t, "name,kind,graph\nSales desk,queue,2c3d4e5f-6a7b-4c8d-9e0f-a1b2c3d4e5f6\n")
			}
			hs := newHarness(t, 100, 30, withDirectory(d))
			hs.p.name = tt.provider
			hs.events(connectedCall("c1", "Carol"))
			hs.key("t")
			hs.typeText(tt.entry)
			if l := lineWith(hs.screen(), "› "+strings.Split(tt.says, " has")[0]); !strings.Contains(l, "cannot reach") {
				t.Errorf("the list does not mark the entry: %q", l)
			}
			hs.key("enter")
			if got := hs.p.requests(); len(got) != 0 {
				t.Fatalf("sent %v", got)
			}
			if !hs.m.target.open(hs.m) || !strings.Contains(hs.m.status.text, tt.says) || !strings.Contains(hs.m.status.text, "nothing sent") {
				t.Errorf("picker open %v, status %q", hs.m.target.open(hs.m), hs.m.status.text)
			}
			hs.key("esc")
			if hs.m.target.open(hs.m) || hs.m.status.text != "transfer cancelled" {
				t.Errorf("esc: open %v, status %q", hs.m.target.open(hs.m), hs.m.status.text)
			}
		})
	}
}

// h holds an active call and takes a held one back.
func TestHoldAndResume(t *testing.T) {
	hs := newHarness(t, 100, 30)
	c := connectedCall("c1", "Carol")
	hs.events(c)
	if !strings.Contains(lastLine(hs), "h hold") {
		t.Fatalf("help line does not offer hold: %q", lastLine(hs))
	}
	hs.key("h")
	if s := hs.m.status.text; s != "put Carol on hold" {
		t.Errorf("status after hold: %q", s)
	}
	held := next(c, func(c *providers.Call) { c.State = providers.StateHeld })
	hs.events(held)
	if l := selectedLine(hs); !strings.Contains(l, "‖ held") {
		t.Errorf("row once held: %q", l)
	}
	if !strings.Contains(lastLine(hs), "h resume") {
		t.Fatalf("help line does not offer resume: %q", lastLine(hs))
	}
	hs.key("h")
	if s := hs.m.status.text; !strings.HasPrefix(s, "resumed Carol") {
		t.Errorf("status after resume: %q", s)
	}
	want := []request{{providers.ActionHold, "c1", ""}, {providers.ActionResume, "c1", ""}}
	if got := hs.p.requests(); !slices.Equal(got, want) {
		t.Errorf("provider got %v, want %v", got, want)
	}
}

// Keys follow the call and the provider: no t on a call neither ringing
// with redirect nor connected with transfer, no h where the provider never
// holds, no s without agent state; the status line says why a key did
// nothing.
func TestAgentControlGating(t *testing.T) {
	t.Run("t on a call that allows neither", func(t *testing.T) {
		hs := newHarness(t, 100, 30, withDirectory(testDir(t)))
		plain := ringing("c1", "Alice", t0.Add(-2*time.Second)) // no redirect on it
		connecting := next(ringing("c2", "Bob", t0.Add(-3*time.Second)), func(c *providers.Call) {
			c.State, c.AnswerBy = providers.StateConnecting, time.Time{}
			c.Caps = providers.Caps(providers.ActionHangup, providers.ActionTransfer)
		})
		hs.events(plain, connecting)
		for _, tc := range []struct{ id, says string }{
			{"c1", "Alice does not allow redirect now"},
			{"c2", "Bob (connecting 0:03) does not allow transfer now"},
		} {
			selectCall(t, hs, tc.id)
			if l := lastLine(hs); strings.Contains(l, "t transfer") || strings.Contains(l, "t redirect") {
				t.Errorf("%s: help offers t: %q", tc.id, lastLine(hs))
			}
			hs.key("t")
			if hs.m.target.open(hs.m) {
				t.Fatalf("%s: t opened the picker", tc.id)
			}
			if hs.m.status.text != tc.says {
				t.Errorf("%s: status %q, want %q", tc.id, hs.m.status.text, tc.says)
			}
		}
	})
	t.Run("no hold or redirect offered (graph)", func(t *testing.T) {
		hs := newHarness(t, 100, 30, fakeAs("graph", providers.ActionAnswer, providers.ActionReject, providers.ActionHangup,
			providers.ActionTransfer, providers.ActionRedirect))
		c := connectedCall("c1", "Carol")
		hs.events(c)
		hs.key("?")
		if scr := hs.screen(); strings.Contains(scr, "hold") || strings.Contains(scr, "resume") {
			t.Errorf("full help lists hold where it is never offered:\n%s", scr)
		}
		hs.key("?")
		hs.key("h")
		if got := hs.p.requests(); len(got) != 0 {
			t.Fatalf("h sent %v", got)
		}
		if s := hs.m.status.text; s != "graph cannot hold" {
			t.Errorf("status %q", s)
		}
	})
	t.Run("no redirect offered (genesys) on a ringing call", func(t *testing.T) {
		hs := newHarness(t, 100, 30, fakeAs("genesys", providers.ActionAnswer, providers.ActionReject, providers.ActionHangup,
			providers.ActionTransfer, providers.ActionHold, providers.ActionResume))
		hs.events(redirectable("c1", "Alice"))
		hs.key("t")
		if hs.m.target.open(hs.m) || hs.m.status.text != "genesys cannot redirect" {
			t.Errorf("picker open %v, status %q", hs.m.target.open(hs.m), hs.m.status.text)
		}
	})
	t.Run("no s without agent state", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		hs.events(connectedCall("c1", "Carol"))
		if strings.Contains(hs.screen(), "agent state") {
			t.Errorf("help offers the agent state:\n%s", hs.screen())
		}
		hs.key("s")
		if hs.m.agent.open(hs.m) || hs.m.modalPane() != nil {
			t.Error("s opened the agent menu for a provider without agent state")
		}
	})
}

// Read-only: no t, h or s at all, in the help or at the keyboard.
func TestReadOnlyHasNoAgentControls(t *testing.T) {
	hs, af := newAgentHarness(t, 120, 30, withDirectory(testDir(t)), func(c *Config) { c.ReadOnly = true })
	hs.events(connectedCall("c1", "Carol"), redirectable("c2", "Alice"))
	hs.key("?")
	for _, word := range []string{"transfer", "redirect", "hold", "resume", "agent state"} {
		if strings.Contains(hs.screen(), word) {
			t.Errorf("read-only help lists %q:\n%s", word, hs.screen())
		}
	}
	hs.key("?")
	for _, id := range []string{"c1", "c2"} {
		selectCall(t, hs, id)
		for _, k := range []string{"t", "h", "s", "enter"} {
			hs.key(k)
			if k != "enter" && hs.m.modalPane() != nil {
				t.Fatalf("%s opened %T", k, hs.m.modalPane())
			}
		}
	}
	if got := hs.p.requests(); len(got) != 0 {
		t.Errorf("read-only console sent %v", got)
	}
	if af.asks != 0 || len(af.sets()) != 0 {
		t.Errorf("read-only console asked for agent states (%d reads, %d sets)", af.asks, len(af.sets()))
	}
}

// s opens the agent-state menu: the provider's choices (read in a command)
// with their reasons, in state order; enter asks for one in a command and
// the status line says how it went.
func TestAgentMenu(t *testing.T) {
	hs, af := newAgentHarness(t, 100, 30)
	hs.status(providers.Status{Link: providers.LinkLive, Agent: "Ready"})
	if !strings.Contains(lastLine(hs), "s agent state") {
		t.Fatalf("help line does not offer s: %q", lastLine(hs))
	}
	// Opened without running its command: the plain states, while the
	// provider's list is on its way.
	_, cmd := hs.m.Update(keyPress("s"))
	if got := AgentChoiceWords(hs.m.agent.choices[1]); got != "Not Ready" || len(hs.m.agent.choices) != 3 {
		t.Errorf("before the list arrived: %v", hs.m.agent.choices)
	}
	if !strings.Contains(hs.screen(), "reading the reasons from fake…") {
		t.Errorf("the menu does not say it is reading:\n%s", hs.screen())
	}
	hs.run(cmd)
	var got []string
	for _, c := range hs.m.agent.choices {
		got = append(got, AgentChoiceWords(c))
	}
	want := []string{"Ready", "Not Ready", "Not Ready · Out to Lunch", "Not Ready · Meeting", "After call work"}
	if !slices.Equal(got, want) {
		t.Fatalf("menu %v, want %v", got, want)
	}
	if scr := hs.screen(); !strings.Contains(scr, "Agent state · now Ready") || !strings.Contains(scr, "(3) Not Ready · Out to Lunch") {
		t.Errorf("menu:\n%s", scr)
	}
	hs.key("down")
	hs.key("down")
	hs.key("enter")
	if hs.m.agent.open(hs.m) {
		t.Error("the menu is still open after enter")
	}
	if got := af.sets(); len(got) != 1 || got[0] != gwsChoices[3] {
		t.Fatalf("provider got %+v, want %+v", got, gwsChoices[3])
	}
	if s := hs.m.status.text; s != "agent state set to Not Ready · Out to Lunch" {
		t.Errorf("status %q", s)
	}
	// The header shows the state once the provider reports it.
	hs.status(providers.Status{Link: providers.LinkLive, Agent: "Not Ready (Lunch)"})
	if !strings.Contains(lines(hs.screen())[0], "agent: Not Ready (Lunch)") {
		t.Errorf("header %q", lines(hs.screen())[0])
	}

	// A digit picks at once; a refusal is said in the provider's words.
	af.setErr = errors.New("refused by the server: statusCode 3")
	hs.key("s")
	hs.key("1")
	if s := hs.m.status.text; s != "could not set the agent state to Ready: refused by the server: statusCode 3" {
		t.Errorf("status %q", s)
	}
}

// The provider's list cannot be read: the menu keeps the plain states and
// says why; a list that arrives after the menu was closed and opened again
// is not taken for the new one.
func TestAgentMenuWithoutTheList(t *testing.T) {
	hs, af := newAgentHarness(t, 100, 30)
	af.choicesErr = errors.New("GET /api/v2/settings/agent-states: HTTP 503")
	hs.key("s")
	if scr := hs.screen(); !strings.Contains(scr, "could not read the reasons: GET /api/v2/settings/agent-states: HTTP 503") ||
		!strings.Contains(scr, "(3) After call work") {
		t.Errorf("menu:\n%s", scr)
	}
	hs.key("esc")
	if hs.m.agent.open(hs.m) {
		t.Fatal("esc did not close the menu")
	}

	af.choicesErr = nil
	_, stale := hs.m.Update(keyPress("s"))
	hs.key("esc")
	hs.key("s") // opened again: its own list arrives
	hs.run(stale)
	if !hs.m.agent.open(hs.m) || len(hs.m.agent.choices) != len(gwsChoices) {
		t.Fatalf("open %v, %d choices", hs.m.agent.open(hs.m), len(hs.m.agent.choices))
	}
	hs.send(agentChoicesMsg{gen: hs.m.agent.gen - 1, choices: gwsChoices[:1]})
	if len(hs.m.agent.choices) != len(gwsChoices) {
		t.Errorf("a reply to an earlier opening replaced the list: %v", hs.m.agent.choices)
	}
}

// A transferred call shows in the history with a glyph and a word, its end
// reason saying where it went, and in the header's counts.
func TestTransferredInHistoryAndCounts(t *testing.T) {
	hs := newHarness(t, 120, 30)
	c := connectedCall("c1", "Carol")
	hs.events(c)
	if strings.Contains(lines(hs.screen())[1], "transferred") {
		t.Errorf("counts show transferred before any was: %q", lines(hs.screen())[1])
	}
	hs.events(ended(c, t0, providers.EndReason{Subcode: 7015, Text: "Transferred to Sales desk"}, providers.OutcomeTransferred))
	if l := lines(hs.screen())[1]; !strings.Contains(l, "⇢ 1 transferred") {
		t.Errorf("counts: %q", l)
	}
	hs.key("tab")
	if l := selectedLine(hs); !strings.Contains(l, "⇢ transferred") || !strings.Contains(l, "Transferred to Sales desk (0/7015)") {
		t.Errorf("history row: %q", l)
	}
	hs.key("enter")
	if l := lineWith(hs.screen(), "outcome"); !strings.Contains(l, "Transferred to Sales desk") || !strings.Contains(l, "transferred") {
		t.Errorf("details: %q", l)
	}
	hs.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	if l := lines(hs.screen())[1]; !strings.Contains(l, "xfer 1") && !strings.Contains(l, "⇢1") {
		t.Errorf("narrow counts: %q", l)
	}
	checkFrame(t, hs.m.View().Content, 80, 24)
}

// The target picker, the agent menu and a history with a transferred call
// fill the frame exactly at every size, as every other view does.
func TestAgentControlsFillFrameAtEverySize(t *testing.T) {
	sizes := [][2]int{{120, 35}, {80, 24}, {100, 30}, {60, 20}, {40, 10}, {200, 60}, {95, 12}}
	for _, sz := range sizes {
		for _, view := range []string{"target", "agent", "history"} {
			hs, _ := newAgentHarness(t, sz[0], sz[1], withDirectory(testDir(t)))
			scene(hs)
			c := connectedCall("c-gus", "Gus Grant")
			hs.events(c)
			switch view {
			case "target":
				selectCall(t, hs, "c-gus")
				hs.key("t")
				hs.typeText("sa")
			case "agent":
				hs.key("s")
			case "history":
				hs.events(ended(c, t0, providers.EndReason{Subcode: 7015, Text: "Transferred to Sales desk"}, providers.OutcomeTransferred))
				hs.key("tab")
			}
			t.Run(view, func(t *testing.T) {
				checkFrame(t, hs.m.View().Content, sz[0], sz[1])
			})
		}
	}
}

// A call another agent answered first shows in the history as answered
// elsewhere, with its glyph and whole word, and in the header's counts
// once there is one.
func TestAnsweredElsewhereInHistoryAndCounts(t *testing.T) {
	hs := newHarness(t, 140, 30)
	c := ringing("c1", "Dana", t0.Add(-3*time.Second))
	hs.events(c)
	if strings.Contains(lines(hs.screen())[1], "elsewhere") {
		t.Errorf("counts show elsewhere before any was: %q", lines(hs.screen())[1])
	}
	hs.events(ended(c, t0, providers.EndReason{Text: "Answered by another agent in the queue"}, providers.OutcomeElsewhere))
	if l := lines(hs.screen())[1]; !strings.Contains(l, "⇉ 1 elsewhere") || !strings.Contains(l, "0 missed") {
		t.Errorf("counts: %q", l)
	}
	hs.key("tab")
	if l := selectedLine(hs); !strings.Contains(l, "⇉ elsewhere") || !strings.Contains(l, "Answered by another agent") {
		t.Errorf("history row: %q", l)
	}
	checkFrame(t, hs.m.View().Content, 140, 30)
}

// A transfer or redirect the provider accepted is not done until the
// provider says so: Graph answers 202, then keeps the call (established
// while the target rings, or ringing with no word at all after a
// redirect) until it ends it or gives it back. The row keeps its marker,
// and takes no other action, for as long as that lasts, not only until
// the next snapshot.
func TestSentOnCallKeepsItsMarkerUntilSettled(t *testing.T) {
	t.Run("transfer given back", func(t *testing.T) {
		c := connectedCall("c1", "Carol")
		hs := sentOn(t, c, "sales")
		// Graph's "transferring": still established, no second transfer.
		c = next(c, func(c *providers.Call) { c.Caps = providers.Caps(providers.ActionHangup) })
		hs.events(c)
		hs.clk.advance(20 * time.Second)
		hs.send(tickMsg{})
		if l := selectedLine(hs); !strings.Contains(l, "⋯ transfer…") {
			t.Fatalf("row while the target rings: %q", l)
		}
		hs.key("x")
		if got := hs.p.requests(); len(got) != 1 {
			t.Fatalf("a hang-up went out during the transfer: %v", got)
		}
		// The transfer failed: Graph gives the call back, transfer allowed.
		c = next(c, func(c *providers.Call) { c.Caps = providers.Caps(providers.ActionHangup, providers.ActionTransfer) })
		hs.events(c)
		if l := selectedLine(hs); strings.Contains(l, "transfer…") || !strings.Contains(l, "active") {
			t.Fatalf("row once the call came back: %q", l)
		}
		// The status line no longer says "transferred".
		if s := hs.m.status.text; s != "Carol is back: the transfer did not go through" {
			t.Fatalf("status once the call came back: %q", s)
		}
		// Said once: a later snapshot of the call says nothing more.
		hs.m.say(statusInfo, "something else")
		hs.events(next(c, func(c *providers.Call) { c.State = providers.StateHeld }))
		if s := hs.m.status.text; s != "something else" {
			t.Fatalf("status after a later snapshot: %q", s)
		}
	})
	t.Run("redirect with no word until the end", func(t *testing.T) {
		c := redirectable("c1", "Alice")
		hs := sentOn(t, c, "recep")
		hs.clk.advance(5 * time.Second)
		hs.send(tickMsg{})
		if l := selectedLine(hs); !strings.Contains(l, "⋯ redirect…") {
			t.Fatalf("row after the redirect was accepted: %q", l)
		}
		hs.key("a")
		if got := hs.p.requests(); len(got) != 1 || got[0].Action != providers.ActionRedirect {
			t.Fatalf("an answer went out for a call being redirected: %v", got)
		}
		hs.events(ended(c, hs.clk.t, providers.EndReason{Text: "Redirected to Reception"}, providers.OutcomeTransferred))
		if hs.m.store.n.live != 0 || hs.m.store.n.transferred != 1 {
			t.Fatalf("after the end: %d live, %d transferred", hs.m.store.n.live, hs.m.store.n.transferred)
		}
	})
	t.Run("a provider that never settles it", func(t *testing.T) {
		c := connectedCall("c1", "Carol")
		hs := sentOn(t, c, "sales")
		hs.clk.advance(sendOnSettle)
		hs.send(tickMsg{})
		if l := selectedLine(hs); strings.Contains(l, "transfer…") {
			t.Fatalf("the marker outlived its bound: %q", l)
		}
	})
}

// sentOn is a console showing c, whose target picker was opened on it with
// t, given typed and sent with enter.
func sentOn(t *testing.T, c providers.Call, typed string) *harness {
	t.Helper()
	hs := newHarness(t, 100, 30, withDirectory(testDir(t)))
	hs.events(c)
	hs.key("t")
	hs.typeText(typed)
	hs.key("enter")
	if got := hs.p.requests(); len(got) != 1 {
		t.Fatalf("sent %v, want one request", got)
	}
	return hs
}
