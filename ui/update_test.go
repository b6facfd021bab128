package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ringside/providers"
	"ringside/theme"
)

// The selection is a call ID: rows inserted above it and rows removed around
// it never move it to another call, and it keeps its screen line.
func TestSelectionFollowsTheCall(t *testing.T) {
	hs := newHarness(t, 100, 30)
	calls := ringingCalls(5, 10*time.Second)
	hs.events(calls...)
	hs.key("j")
	hs.key("j")
	if got := hs.selectedID(); got != "c2" {
		t.Fatalf("after j j selected %q, want c2", got)
	}

	steps := []struct {
		name  string
		apply func()
	}{
		{"two calls ringing sooner are inserted above", func() {
			hs.events(ringing("a1", "Early 1", t0.Add(-14*time.Second)), ringing("a2", "Early 2", t0.Add(-13*time.Second)))
		}},
		{"a call above ends", func() {
			hs.events(ended(calls[0], t0, providers.EndReason{Text: "caller hung up"}, providers.OutcomeMissed))
		}},
		{"a call below ends", func() {
			hs.events(ended(calls[4], t0, providers.EndReason{Text: "caller hung up"}, providers.OutcomeMissed))
		}},
		{"the call above is answered and moves below", func() {
			hs.events(answered(calls[1], t0))
		}},
		{"a duplicate, older snapshot of the selected call arrives", func() {
			old := calls[2]
			old.Version = 0
			hs.events(old)
		}},
	}
	for _, s := range steps {
		s.apply()
		if got := hs.selectedID(); got != "c2" {
			t.Fatalf("%s: selection moved to %q", s.name, got)
		}
		if !strings.Contains(selectedLine(hs), "Caller 2") {
			t.Fatalf("%s: the highlighted row is not Caller 2:\n%s", s.name, hs.screen())
		}
	}
	// An action now goes to the selected call, whatever moved.
	hs.key("a")
	if got := hs.p.requests(); !slices.Equal(got, []request{{providers.ActionAnswer, "c2", ""}}) {
		t.Fatalf("requests %v, want answer c2", got)
	}
}

// In a list longer than the screen, the selected row also keeps its place on
// screen while rows come and go above it: the list scrolls under it.
func TestSelectedRowKeepsItsScreenLine(t *testing.T) {
	hs := newHarness(t, 100, 30)
	var calls []providers.Call
	for i := range 60 {
		calls = append(calls, ringing(fmt.Sprintf("c%02d", i), fmt.Sprintf("Caller %02d", i), t0.Add(time.Duration(i-60)*time.Second/10)))
	}
	hs.events(calls...)
	hs.key("pgdown")
	hs.key("j")
	id := hs.selectedID()
	lineOf := func() int {
		for i, l := range lines(hs.screen()) {
			if strings.HasPrefix(l, "›") {
				return i
			}
		}
		return -1
	}
	before := lineOf()
	hs.events(ringing("new1", "New 1", t0.Add(-20*time.Second)), ringing("new2", "New 2", t0.Add(-19*time.Second)))
	hs.events(ended(calls[0], t0, providers.EndReason{Text: "gone"}, providers.OutcomeMissed))
	if hs.selectedID() != id || lineOf() != before {
		t.Fatalf("selection %q on line %d, want %q on line %d", hs.selectedID(), lineOf(), id, before)
	}
}

// selectedLine is the screen line with the selection cursor.
func selectedLine(hs *harness) string {
	for _, l := range lines(hs.screen()) {
		if strings.HasPrefix(l, "›") {
			return l
		}
	}
	return ""
}

// When the selected call leaves the tab, its neighbour is selected and the
// status line says so.
func TestSelectionMovesToNeighbourWhenCallEnds(t *testing.T) {
	tests := []struct {
		name     string
		selected int // index selected before
		ends     int
		want     string
	}{
		{"middle call ends: the next one", 1, 1, "c2"},
		{"last call ends: the one before", 2, 2, "c1"},
		{"first call ends: the new first", 0, 0, "c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, 100, 30)
			calls := []providers.Call{
				ringing("c0", "Ann", t0.Add(-5*time.Second)),
				ringing("c1", "Ben", t0.Add(-4*time.Second)),
				ringing("c2", "Cat", t0.Add(-3*time.Second)),
			}
			hs.events(calls...)
			for range tt.selected {
				hs.key("j")
			}
			hs.events(ended(calls[tt.ends], t0, providers.EndReason{Code: 487, Text: "caller gave up"}, providers.OutcomeMissed))
			if got := hs.selectedID(); got != tt.want {
				t.Fatalf("selected %q, want %q", got, tt.want)
			}
			who := calls[tt.ends].From.Name
			if s := hs.m.status.text; !strings.Contains(s, who+" ended: caller gave up (487)") || !strings.Contains(s, "selected") {
				t.Errorf("status %q does not say that %s ended and what is selected now", s, who)
			}
		})
	}
}

// The neighbour is the call that followed the selected one, however many
// rows left above it in the same batch, and when a new filter hides it.
func TestNeighbourIsTheCallThatFollowed(t *testing.T) {
	setup := func(t *testing.T) (*harness, []providers.Call) {
		hs := newHarness(t, 100, 30)
		calls := ringingCalls(10, 14*time.Second)
		for _, i := range []int{1, 3, 7, 8} {
			calls[i].From.Name += " sales"
		}
		hs.events(calls...)
		for range 5 {
			hs.key("j")
		}
		if hs.selectedID() != "c5" {
			t.Fatalf("selected %q, want c5", hs.selectedID())
		}
		return hs, calls
	}
	t.Run("rows above end with it in one batch", func(t *testing.T) {
		hs, calls := setup(t)
		gone := providers.EndReason{Text: "caller gave up"}
		hs.events(ended(calls[0], t0, gone, ""), ended(calls[1], t0, gone, ""), ended(calls[2], t0, gone, ""), ended(calls[5], t0, gone, ""))
		if got := hs.selectedID(); got != "c6" {
			t.Fatalf("selected %q, want c6 (the call after the one that ended)", got)
		}
	})
	t.Run("a filter hides it", func(t *testing.T) {
		hs, _ := setup(t)
		hs.key("/")
		for _, r := range "sales" {
			hs.key(string(r))
		}
		if got := hs.selectedID(); got != "c7" {
			t.Fatalf("selected %q, want c7 (the first match after c5, not the one at its old index)", got)
		}
	})
}

// The history tab opens on the newest ended call. Once it is shown, its
// selection stays with its call like the live tab's.
func TestHistoryOpensOnTheNewest(t *testing.T) {
	hs := newHarness(t, 100, 30)
	calls := ringingCalls(4, 14*time.Second)
	hs.events(calls...)
	for i := range 3 {
		hs.clk.advance(time.Second)
		hs.events(ended(calls[i], hs.clk.t, providers.EndReason{Text: "caller gave up"}, providers.OutcomeMissed))
	}
	hs.key("tab")
	if got := hs.selectedID(); got != "c2" || !strings.Contains(selectedLine(hs), "Caller 2") {
		t.Fatalf("history opened on %q, want the newest ended call c2:\n%s", got, hs.screen())
	}
	hs.clk.advance(time.Second)
	hs.events(ended(calls[3], hs.clk.t, providers.EndReason{Text: "caller gave up"}, providers.OutcomeMissed))
	if got := hs.selectedID(); got != "c2" {
		t.Fatalf("a call ended while the history was shown and the selection moved to %q", got)
	}
}

// The picker remembers its call. If that call stops ringing before the user
// chooses, nothing is sent and the user is told why.
func TestPickerRace(t *testing.T) {
	tests := []struct {
		name   string
		change func(hs *harness, c providers.Call)
		want   string // in the status line
	}{
		{"the call ends", func(hs *harness, c providers.Call) {
			hs.events(ended(c, t0, providers.EndReason{Code: 487, Text: "caller gave up"}, providers.OutcomeMissed))
		}, "has ended (caller gave up (487))"},
		{"the call is answered elsewhere", func(hs *harness, c providers.Call) {
			hs.events(answered(c, t0))
		}, "no longer ringing (now active)"},
		{"the answer window closes before the provider says so", func(hs *harness, c providers.Call) {
			hs.clk.advance(20 * time.Second)
			hs.send(tickMsg{})
		}, "answer window has closed"},
		{"the call is removed by rows arriving (selection moves)", func(hs *harness, c providers.Call) {
			hs.events(ringing("x", "Other", t0.Add(-14*time.Second)))
			hs.events(ended(c, t0, providers.EndReason{Text: "rejected elsewhere"}, providers.OutcomeRejected))
		}, "has ended (rejected elsewhere)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, 100, 30)
			c := ringing("c1", "Alice", t0.Add(-5*time.Second))
			hs.events(c, ringing("c2", "Bob", t0.Add(-2*time.Second)))
			hs.key("r")
			if !hs.m.picker.open(hs.m) || hs.m.picker.callID != "c1" {
				t.Fatalf("r did not open the picker for c1 (open %v, for %q)", hs.m.picker.open(hs.m), hs.m.picker.callID)
			}
			tt.change(hs, c)
			if !strings.Contains(hs.screen(), "nothing will be sent") {
				t.Errorf("the open picker does not warn that nothing will be sent:\n%s", hs.screen())
			}
			hs.key("b")
			if got := hs.p.requests(); len(got) != 0 {
				t.Fatalf("requests sent %v, want none", got)
			}
			if s := hs.m.status.text; !strings.Contains(s, tt.want) || !strings.Contains(s, "nothing sent") {
				t.Errorf("status %q, want it to contain %q and say nothing was sent", s, tt.want)
			}
			if hs.m.modalPane() != nil {
				t.Errorf("picker still open")
			}
		})
	}
}

// The picker: arrows and enter, letters, escape.
func TestPicker(t *testing.T) {
	tests := []struct {
		keys []string
		want []request
	}{
		{[]string{"r", "b"}, []request{{providers.ActionReject, "c1", providers.ReasonBusy}}},
		{[]string{"r", "n"}, []request{{providers.ActionReject, "c1", providers.ReasonNone}}},
		{[]string{"r", "f"}, []request{{providers.ActionReject, "c1", providers.ReasonForbidden}}},
		{[]string{"r", "enter"}, []request{{providers.ActionReject, "c1", providers.ReasonNone}}},
		{[]string{"r", "down", "down", "enter"}, []request{{providers.ActionReject, "c1", providers.ReasonForbidden}}},
		{[]string{"r", "up", "enter"}, []request{{providers.ActionReject, "c1", providers.ReasonForbidden}}},
		{[]string{"r", "j", "enter"}, []request{{providers.ActionReject, "c1", providers.ReasonBusy}}},
		{[]string{"r", "esc"}, nil},
		{[]string{"r", "esc", "b"}, nil},
		{[]string{"r", "a", "x", "q"}, nil}, // other keys do nothing inside the picker
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, " "), func(t *testing.T) {
			hs := newHarness(t, 100, 30)
			hs.events(ringing("c1", "Alice", t0.Add(-5*time.Second)))
			for _, k := range tt.keys {
				hs.key(k)
			}
			if got := hs.p.requests(); !slices.Equal(got, tt.want) {
				t.Fatalf("requests %v, want %v", got, tt.want)
			}
			if hs.m.quitting {
				t.Fatal("q inside the picker quit the console")
			}
		})
	}
}

// A provider whose reject takes no reason (Genesys) gets no picker, and the
// help says so.
func TestRejectWithoutReasons(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.p.reasons = nil
	hs.m = New(Config{Provider: hs.p, Theme: theme.Mono, Now: hs.clk.now})
	hs.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	hs.events(ringing("c1", "Alice", t0.Add(-5*time.Second)))
	if !strings.Contains(hs.screen(), "r reject (no reason)") {
		t.Errorf("help does not say reject takes no reason:\n%s", hs.screen())
	}
	hs.key("r")
	if hs.m.picker.open(hs.m) {
		t.Fatal("picker opened for a provider without reasons")
	}
	want := []request{{providers.ActionReject, "c1", providers.ReasonNone}}
	if got := hs.p.requests(); !slices.Equal(got, want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
}

// Keys that the selected call's state or capabilities forbid are hidden from
// the help and do nothing.
func TestGatingByStateAndCapabilities(t *testing.T) {
	ring := ringing("c1", "Alice", t0.Add(-5*time.Second))
	noReject := ring
	noReject.Caps = providers.Caps(providers.ActionAnswer)
	noCaps := ring
	noCaps.Caps = 0
	expired := ringing("c1", "Alice", t0.Add(-30*time.Second))
	active := answered(ring, t0.Add(-3*time.Second))
	activeNoHangup := next(active, func(c *providers.Call) { c.Caps = 0 })
	held := next(active, func(c *providers.Call) { c.State = providers.StateHeld })
	ending := next(active, func(c *providers.Call) { c.State = providers.StateEnding })
	connecting := next(ring, func(c *providers.Call) {
		c.State, c.Caps = providers.StateConnecting, providers.Caps(providers.ActionHangup)
	})

	tests := []struct {
		name                   string
		call                   providers.Call
		answer, reject, hangup bool
	}{
		{"ringing, may answer and reject", ring, true, true, false},
		{"ringing, reject not offered", noReject, true, false, false},
		{"ringing, nothing offered", noCaps, false, false, false},
		{"ringing past its deadline", expired, false, false, false},
		{"active", active, false, false, true},
		{"active, hang-up not offered", activeNoHangup, false, false, false},
		{"held", held, false, false, true},
		{"connecting", connecting, false, false, true},
		{"ending", ending, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []struct {
				key  string
				help string
				on   bool
				want request
			}{
				{"a", "a answer", tt.answer, request{providers.ActionAnswer, "c1", ""}},
				{"r", "r reject", tt.reject, request{providers.ActionReject, "c1", providers.ReasonBusy}},
				{"x", "x hang up", tt.hangup, request{providers.ActionHangup, "c1", ""}},
			} {
				hs := newHarness(t, 120, 30, func(c *Config) { c.NoConfirm = true })
				hs.events(tt.call)
				if got := strings.Contains(hs.screen(), k.help); got != k.on {
					t.Errorf("help shows %q: %v, want %v", k.help, got, k.on)
				}
				hs.key(k.key)
				if k.key == "r" {
					hs.key("b")
				}
				got := hs.p.requests()
				if k.on && !slices.Equal(got, []request{k.want}) {
					t.Errorf("%s: requests %v, want %v", k.key, got, k.want)
				}
				if !k.on && len(got) != 0 {
					t.Errorf("%s: requests %v, want none", k.key, got)
				}
				if !k.on && !strings.Contains(hs.m.status.text, "Alice") {
					t.Errorf("%s: status %q does not say why nothing happened", k.key, hs.m.status.text)
				}
			}
		})
	}
}

// No action key works on the history tab.
func TestHistoryTabHasNoActions(t *testing.T) {
	hs := newHarness(t, 100, 30, func(c *Config) { c.NoConfirm = true })
	c := ringing("c1", "Alice", t0.Add(-5*time.Second))
	hs.events(c, ended(ringing("c2", "Bob", t0.Add(-50*time.Second)), t0.Add(-40*time.Second), providers.EndReason{Text: "timed out"}, providers.OutcomeMissed))
	hs.key("tab")
	for _, k := range []string{"a", "r", "b", "x"} {
		hs.key(k)
	}
	if got := hs.p.requests(); len(got) != 0 {
		t.Fatalf("requests from the history tab: %v", got)
	}
}

// Read-only: no action keys at all, none in the help, and the header says so.
func TestReadOnly(t *testing.T) {
	hs := newHarness(t, 120, 30, func(c *Config) { c.ReadOnly = true; c.NoConfirm = true })
	ring := ringing("c1", "Alice", t0.Add(-5*time.Second))
	act := answered(ringing("c2", "Bob", t0.Add(-50*time.Second)), t0.Add(-45*time.Second))
	hs.events(ring, act)
	scr := hs.screen()
	if !strings.Contains(lines(scr)[0], "READ-ONLY") {
		t.Errorf("header does not say read-only: %q", lines(scr)[0])
	}
	for _, h := range []string{"a answer", "r reject", "x hang up"} {
		if strings.Contains(scr, h) {
			t.Errorf("read-only help shows %q", h)
		}
	}
	hs.key("?")
	if full := hs.screen(); strings.Contains(full, "answer") || strings.Contains(full, "hang up") {
		t.Errorf("read-only full help lists actions:\n%s", full)
	}
	hs.key("?")
	for _, k := range []string{"a", "r", "b", "n", "j", "x", "y"} {
		hs.key(k)
	}
	if got := hs.p.requests(); len(got) != 0 {
		t.Fatalf("read-only console sent %v", got)
	}
	if p := hs.m.modalPane(); p != nil {
		t.Errorf("read-only console opened %T", p)
	}
	if !strings.Contains(hs.m.status.text, "read-only") {
		t.Errorf("status %q does not say the console is read-only", hs.m.status.text)
	}
}

// Hang-up asks first: y or x confirms, anything else cancels.
func TestHangupConfirm(t *testing.T) {
	act := answered(ringing("c1", "Alice", t0.Add(-50*time.Second)), t0.Add(-45*time.Second))
	hang := []request{{providers.ActionHangup, "c1", ""}}
	tests := []struct {
		name      string
		noConfirm bool
		keys      []string
		want      []request
	}{
		{"x then y", false, []string{"x", "y"}, hang},
		{"x then x", false, []string{"x", "x"}, hang},
		{"x then n cancels", false, []string{"x", "n"}, nil},
		{"x then esc cancels", false, []string{"x", "esc"}, nil},
		{"x then j cancels and does not move", false, []string{"x", "j", "y"}, nil},
		{"no-confirm hangs up at once", true, []string{"x"}, hang},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, 100, 30, func(c *Config) { c.NoConfirm = tt.noConfirm })
			hs.events(act)
			hs.key(tt.keys[0])
			if !tt.noConfirm && !strings.Contains(hs.screen(), "Hang up Alice (active 0:45)? y or x hangs up") {
				t.Errorf("no question asked:\n%s", hs.screen())
			}
			for _, k := range tt.keys[1:] {
				hs.key(k)
			}
			if got := hs.p.requests(); !slices.Equal(got, tt.want) {
				t.Fatalf("requests %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("the call ends while the question is open", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		hs.events(act)
		hs.key("x")
		hs.events(ended(act, t0, providers.EndReason{Text: "caller hung up"}, providers.OutcomeHandled))
		if scr := hs.screen(); strings.Contains(scr, "? y or x hangs up") || !strings.Contains(scr, "Alice has ended (caller hung up) · nothing will be sent") {
			t.Errorf("the open question does not say the call has ended:\n%s", scr)
		}
		hs.key("y")
		if got := hs.p.requests(); len(got) != 0 {
			t.Fatalf("requests %v, want none", got)
		}
		if s := hs.m.status.text; !strings.Contains(s, "has ended (caller hung up) · nothing sent") {
			t.Errorf("status %q", s)
		}
	})
}

// blockingProvider holds each request until released, to see the row while
// the request is in flight.
type blockingProvider struct {
	*fakeProvider
	release chan error
}

func (b *blockingProvider) Answer(ctx context.Context, id string) error {
	_ = b.record(request{providers.ActionAnswer, id, ""})
	select {
	case err := <-b.release:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A request in flight marks its row, blocks a second request and ends in
// the status line with the provider's own words.
func TestPendingAndResult(t *testing.T) {
	bp := &blockingProvider{fakeProvider: newFake(), release: make(chan error, 1)}
	clk := &clock{t: t0}
	m := New(Config{Provider: bp, Theme: theme.Mono, Now: clk.now})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m.Update(eventsMsg{events: []providers.Event{providers.CallEvent(t0, ringing("c1", "Alice", t0.Add(-5*time.Second)))}})
	_, cmd := m.Update(keyPress("a"))
	if cmd == nil {
		t.Fatal("a returned no command")
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- findResult(cmd) }()
	scr := m.View().Content
	if !strings.Contains(scr, "⋯ answering…") {
		t.Errorf("row shows no pending marker:\n%s", scr)
	}
	if _, again := m.Update(keyPress("a")); findResult(again) != nil {
		t.Error("a second answer was sent while the first is in flight")
	}
	bp.release <- fmt.Errorf("answer c1: %w", &providers.RefusedError{Status: 403, Code: "Forbidden", Message: "Call already answered"})
	msg := <-done
	m.Update(msg)
	scr = m.View().Content
	if strings.Contains(scr, "answering…") {
		t.Error("pending marker still shown after the result")
	}
	want := "could not answer Alice: answer c1: refused by the server (HTTP 403): Forbidden Call already answered"
	if m.status.text != want {
		t.Errorf("status %q\nwant   %q", m.status.text, want)
	}
	if got := bp.requests(); len(got) != 1 {
		t.Errorf("requests %v, want one", got)
	}
}

// findResult runs cmd (and batches) and returns an action result, if any.
func findResult(cmd tea.Cmd) tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			if r := findResult(c); r != nil {
				return r
			}
		}
	case actionResultMsg:
		return msg
	}
	return nil
}

// A request that runs out of time says so in words.
func TestActionTimeout(t *testing.T) {
	bp := &blockingProvider{fakeProvider: newFake(), release: make(chan error)}
	m := New(Config{Provider: bp, Theme: theme.Mono, Now: func() time.Time { return t0 }, ActionTimeout: 20 * time.Millisecond})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m.Update(eventsMsg{events: []providers.Event{providers.CallEvent(t0, ringing("c1", "Alice", t0.Add(-5*time.Second)))}})
	_, cmd := m.Update(keyPress("a"))
	m.Update(findResult(cmd))
	if want := "could not answer Alice: no reply from the provider within 20ms"; m.status.text != want {
		t.Errorf("status %q, want %q", m.status.text, want)
	}
}

// Success is reported with the reason.
func TestRejectSuccessStatus(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.events(ringing("c1", "Alice", t0.Add(-5*time.Second)))
	hs.key("r")
	hs.key("f")
	if want := "rejected Alice (forbidden)"; hs.m.status.text != want {
		t.Errorf("status %q, want %q", hs.m.status.text, want)
	}
}

// The filter matches any visible text, follows every keystroke, keeps up with
// events, and esc clears it.
func TestFilter(t *testing.T) {
	hs := newHarness(t, 120, 30)
	alice := ringing("c1", "Alice Smith", t0.Add(-5*time.Second))
	bob := ringing("c2", "Bob Jones", t0.Add(-4*time.Second))
	bob.Modalities = []string{"audio", "video"}
	carol := answered(ringing("c3", "Carol 山田", t0.Add(-60*time.Second)), t0.Add(-50*time.Second))
	carol.Queue = "Sales"
	hs.events(alice, bob, carol)

	visible := func() []string {
		var ids []string
		hs.m.list(hs.m.tab).Range(0, func(_ int, r *row) bool { ids = append(ids, r.call.ID()); return true })
		return ids
	}
	typeText := func(s string) {
		for _, r := range s {
			hs.key(string(r))
		}
	}
	hs.key("/")
	if !hs.m.filter.editing {
		t.Fatal("/ did not open the filter")
	}
	steps := []struct {
		do   func()
		want []string
	}{
		{func() { typeText("s") }, []string{"c1", "c2", "c3"}},          // alice Smith, joneS, Sales
		{func() { typeText("a") }, []string{"c3"}},                      // "sa": Sales
		{func() { hs.key("backspace"); typeText("m") }, []string{"c1"}}, // "sm": Smith
		{func() { hs.key("backspace"); hs.key("backspace"); typeText("video") }, []string{"c2"}},
		{func() {
			hs.key("backspace")
			hs.key("backspace")
			hs.key("backspace")
			hs.key("backspace")
			hs.key("backspace")
			typeText("山田")
		}, []string{"c3"}},
		{func() { hs.key("enter") }, []string{"c3"}}, // kept after enter
		{func() { hs.events(ringing("c4", "Dave 山田", t0.Add(-1*time.Second))) }, []string{"c4", "c3"}},
		{func() { hs.events(ringing("c5", "Eve", t0.Add(-1*time.Second))) }, []string{"c4", "c3"}},
		{func() { hs.events(ended(carol, t0, providers.EndReason{Text: "done"}, providers.OutcomeHandled)) }, []string{"c4"}},
		{func() { hs.key("esc") }, []string{"c1", "c2", "c4", "c5"}},
	}
	for i, s := range steps {
		s.do()
		if got := visible(); !slices.Equal(got, s.want) {
			t.Fatalf("step %d: rows %v, want %v (filter %q)", i, got, s.want, hs.m.store.query.text)
		}
	}
	// Multiple words must all match; the search text covers state words.
	hs.key("/")
	typeText("ringing jones")
	if got := visible(); !slices.Equal(got, []string{"c2"}) {
		t.Fatalf("rows %v, want [c2]", got)
	}
	hs.key("esc")
	if hs.m.store.query.active() || hs.m.modalPane() != nil {
		t.Fatal("esc did not clear and close the filter")
	}
}

// An idle console schedules no tick; a ringing call starts one 10 Hz tick,
// a connected call a 1 Hz one, and there is never more than one armed.
func TestTickOnlyWhileSomethingMoves(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.m.Init()
	hs.status(providers.Status{Link: providers.LinkLive})
	hs.key("j")
	hs.key("?")
	hs.send(tea.WindowSizeMsg{Width: 90, Height: 25})
	old := ended(ringing("old", "Old", t0.Add(-100*time.Second)), t0.Add(-90*time.Second), providers.EndReason{Text: "timed out"}, providers.OutcomeMissed)
	hs.events(old)
	if hs.ticks != 0 || hs.m.tick.armed {
		t.Fatalf("idle console scheduled %d ticks", hs.ticks)
	}
	if !strings.Contains(lines(hs.screen())[0], "idle since 12:00:00") {
		t.Errorf("idle header does not say it is idle: %q", lines(hs.screen())[0])
	}

	var asked []time.Duration
	var last func(time.Time) tea.Msg // the tick armed last
	hs.m.tick.after = func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		asked = append(asked, d)
		last = fn
		return func() tea.Msg { return fn(time.Time{}) }
	}
	fire := func() { hs.send(last(time.Time{})) }
	c := ringing("c1", "Alice", t0.Add(-5*time.Second))
	hs.events(c)
	hs.key("j")
	hs.events(ringing("c2", "Bob", t0))
	if !slices.Equal(asked, []time.Duration{ringingTick}) {
		t.Fatalf("ticks asked %v, want one at %v", asked, ringingTick)
	}
	hs.clk.advance(100 * time.Millisecond)
	fire()
	if len(asked) != 2 {
		t.Fatalf("tick was not re-armed: %v", asked)
	}
	// Only connected calls left: the tick slows to the next whole second.
	hs.clk.set(t0.Add(300 * time.Millisecond))
	hs.events(answered(c, t0), ended(ringing("c2", "Bob", t0), t0, providers.EndReason{Text: "gone"}, providers.OutcomeMissed))
	fire()
	if got := asked[len(asked)-1]; got != 700*time.Millisecond {
		t.Fatalf("connected-only tick %v, want 700ms (to the next second)", got)
	}
	// A call rings while the slow tick is armed: its countdown gets the
	// fast tick at once, and the slow one, when it fires, arms nothing.
	slow := last
	dan := ringing("c3", "Dan", hs.clk.t)
	hs.events(dan)
	if got := asked[len(asked)-1]; got != ringingTick {
		t.Fatalf("a call rang with the slow tick armed: ticks asked %v, want a %v one last", asked, ringingTick)
	}
	n := len(asked)
	hs.send(slow(time.Time{}))
	if len(asked) != n || !hs.m.tick.armed {
		t.Fatalf("the replaced slow tick counted when it fired: asked %v, armed %v", asked[n:], hs.m.tick.armed)
	}
	hs.events(ended(dan, hs.clk.t, providers.EndReason{Text: "gone"}, providers.OutcomeMissed))
	fire()
	// Nothing live: the tick stops.
	n = len(asked)
	hs.events(ended(answered(c, t0), t0, providers.EndReason{Text: "done"}, providers.OutcomeHandled))
	fire()
	hs.key("j")
	if len(asked) != n || hs.m.tick.armed {
		t.Fatalf("tick still scheduled with nothing live: %v", asked[n:])
	}
}

// The intake drains everything queued into one message, and returns when the
// console's context ends.
func TestReadBatch(t *testing.T) {
	ch := make(chan providers.Event, 100)
	for i := range 60 {
		ch <- providers.CallEvent(t0, ringing(fmt.Sprint(i), "x", t0))
	}
	done := make(chan struct{})
	msg := readBatch(ch, done, 50, 0).(eventsMsg)
	if len(msg.events) != 50 || msg.closed {
		t.Fatalf("first batch has %d events (closed %v), want 50", len(msg.events), msg.closed)
	}
	msg = readBatch(ch, done, 50, 0).(eventsMsg)
	if len(msg.events) != 10 {
		t.Fatalf("second batch has %d events, want 10", len(msg.events))
	}
	got := make(chan tea.Msg)
	go func() { got <- readBatch(ch, done, 50, 0) }()
	close(done)
	select {
	case m := <-got:
		if m != nil {
			t.Fatalf("read after done returned %v", m)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the intake did not return when its context ended")
	}
	close(ch)
	if m := readBatch(ch, make(chan struct{}), 50, 0).(eventsMsg); !m.closed {
		t.Fatal("closed channel not reported")
	}
}

// Events that trickle in, each after the queue has run dry, are gathered
// into one message while they come within the gathering time; with none,
// each is a message of its own. A gathering intake still returns when the
// console's context ends, with what it has.
func TestReadBatchGathersATrickle(t *testing.T) {
	trickle := func(ch chan<- providers.Event, n int) {
		for i := range n {
			time.Sleep(2 * time.Millisecond)
			ch <- providers.CallEvent(t0, ringing(fmt.Sprint("t", i), "x", t0))
		}
	}
	for _, tt := range []struct {
		gather time.Duration
		want   int
	}{{10 * time.Second, 6}, {0, 1}} {
		ch := make(chan providers.Event, 10)
		ch <- providers.CallEvent(t0, ringing("first", "x", t0))
		go trickle(ch, 5)
		done := make(chan struct{})
		if tt.gather > 0 {
			// The sixth event ends the batch only by the limit: the
			// gathering time is far off.
			msg := readBatch(ch, done, 6, tt.gather).(eventsMsg)
			if len(msg.events) != tt.want {
				t.Fatalf("gathering %v: %d events in the first message, want %d", tt.gather, len(msg.events), tt.want)
			}
			continue
		}
		if msg := readBatch(ch, done, 6, tt.gather).(eventsMsg); len(msg.events) != tt.want {
			t.Fatalf("no gathering: %d events in the first message, want %d", len(msg.events), tt.want)
		}
	}
	ch := make(chan providers.Event, 10)
	ch <- providers.CallEvent(t0, ringing("alone", "x", t0))
	done := make(chan struct{})
	got := make(chan tea.Msg)
	go func() { got <- readBatch(ch, done, 50, time.Hour) }()
	for deadline := time.Now().Add(5 * time.Second); len(ch) > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // until the intake holds the event and gathers
	}
	close(done)
	select {
	case m := <-got:
		if msg, ok := m.(eventsMsg); !ok || len(msg.events) != 1 {
			t.Fatalf("gathering when the context ended returned %#v, want the one event", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a gathering intake did not return when its context ended")
	}
}

// A 10,000-event burst through the model costs one message and one render
// (or a few, when the batch limit is lower than the burst).
func TestBurstIsBatched(t *testing.T) {
	for _, tt := range []struct{ limit, want int }{{0, 1}, {4096, 3}} {
		ch := make(chan providers.Event, 10000)
		for i := range 10000 {
			ch <- providers.CallEvent(t0, ringing(fmt.Sprintf("c%05d", i), "x", t0))
		}
		m := New(Config{Provider: newFake(), Events: ch, Theme: theme.Mono, Now: func() time.Time { return t0 }, MaxBatch: tt.limit})
		m.tick.after = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		renders := 0
		cmd := m.waitEvents()
		for m.store.n.live < 10000 && renders < 100 {
			_, cmd = m.Update(cmd())
			_ = m.View()
			renders++
		}
		if renders != tt.want || m.store.n.live != 10000 {
			t.Errorf("batch limit %d: 10,000 events took %d messages and renders (%d calls), want %d",
				tt.limit, renders, m.store.n.live, tt.want)
		}
		m.cancel()
	}
}

// Quit: q and ctrl+c end the program and stop the console's background work.
func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		hs := newHarness(t, 100, 30)
		_, cmd := hs.m.Update(keyPress(k))
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Fatalf("%s: command is not quit", k)
		}
		if hs.m.ctx.Err() == nil {
			t.Fatalf("%s: the console's context is still running", k)
		}
	}
	// ctrl+c quits from inside the picker too.
	hs := newHarness(t, 100, 30)
	hs.events(ringing("c1", "Alice", t0))
	hs.key("r")
	hs.key("ctrl+c")
	if !hs.m.quitting {
		t.Fatal("ctrl+c in the picker did not quit")
	}
}

// auto asks for the background once and rebuilds the styles once.
func TestAutoThemeFollowsBackground(t *testing.T) {
	m := New(Config{Provider: newFake(), Theme: theme.Auto, Now: func() time.Time { return t0 }})
	if m.bgSettled {
		t.Fatal("auto theme did not wait for the background colour")
	}
	m.Update(tea.BackgroundColorMsg{Color: lightGrey})
	if m.Styles().Name != theme.Light {
		t.Fatalf("light background gave %q", m.Styles().Name)
	}
	m.Update(tea.BackgroundColorMsg{Color: black})
	if m.Styles().Name != theme.Light {
		t.Fatal("styles rebuilt a second time")
	}
	// Explicit themes never ask.
	if New(Config{Provider: newFake(), Theme: theme.Dark}).bgSettled != true {
		t.Fatal("dark theme waits for the background")
	}
}

// Errors from the provider are shown with its words.
func TestProviderErrorWords(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.p.err = fmt.Errorf("reject c1: %w", providers.ErrNotFound)
	hs.events(ringing("c1", "Alice", t0))
	hs.key("r")
	hs.key("b")
	if want := "could not reject Alice: reject c1: call not found"; hs.m.status.text != want {
		t.Errorf("status %q, want %q", hs.m.status.text, want)
	}
	if !errors.Is(hs.p.err, providers.ErrNotFound) {
		t.Fatal("test setup")
	}
}

// When the selected call ends and the cursor moves to its neighbour by
// itself, an action key pressed in that moment is held back: it was most
// likely meant for the call that left.
func TestActionKeyHeldBackRightAfterSelectionMoved(t *testing.T) {
	hs := newHarness(t, 100, 30)
	a := ringing("c1", "Alice", t0.Add(-5*time.Second))
	hs.events(a, ringing("c2", "Bob", t0.Add(-3*time.Second)))
	hs.events(ended(a, t0, providers.EndReason{Text: "caller gave up"}, providers.OutcomeMissed))
	hs.key("a")
	if got := hs.p.requests(); len(got) != 0 {
		t.Fatalf("a right after the selection moved sent %v", got)
	}
	if s := hs.m.status.text; !strings.Contains(s, "selection just moved to Bob") {
		t.Errorf("status %q", s)
	}
	hs.key("a")
	if got := hs.p.requests(); !slices.Equal(got, []request{{providers.ActionAnswer, "c2", ""}}) {
		t.Fatalf("second a sent %v, want answer c2", got)
	}

	// After the guard time, or after the user moved the cursor, keys act
	// at once.
	for _, settle := range []func(hs *harness){
		func(hs *harness) { hs.clk.advance(selectionGuard) },
		func(hs *harness) { hs.key("k") },
	} {
		hs := newHarness(t, 100, 30)
		hs.events(a, ringing("c2", "Bob", t0.Add(-3*time.Second)), ringing("c3", "Cat", t0.Add(-2*time.Second)))
		hs.events(ended(a, t0, providers.EndReason{Text: "caller gave up"}, providers.OutcomeMissed))
		settle(hs)
		hs.key("a")
		if got := hs.p.requests(); len(got) != 1 {
			t.Fatalf("after settling, a sent %v (status %q)", got, hs.m.status.text)
		}
	}
}

// After the provider says yes, the row keeps its marker until the call's new
// snapshot arrives (never flashing back to "ringing"), but not forever.
func TestMarkerWaitsForTheNewSnapshot(t *testing.T) {
	hs := newHarness(t, 100, 30)
	c := ringing("c1", "Alice", t0.Add(-5*time.Second))
	hs.events(c)
	hs.key("a") // the fake says yes at once and sends nothing
	if hs.m.status.text != "answered Alice" {
		t.Fatalf("status %q", hs.m.status.text)
	}
	if !strings.Contains(selectedLine(hs), "answering…") {
		t.Fatalf("marker gone before the snapshot: %q", selectedLine(hs))
	}
	hs.key("a")
	if len(hs.p.requests()) != 1 {
		t.Fatal("a second answer was sent before the first one's snapshot")
	}
	hs.events(next(c, func(c *providers.Call) {
		c.State, c.Caps = providers.StateConnecting, providers.Caps(providers.ActionHangup)
	}))
	if l := selectedLine(hs); strings.Contains(l, "answering…") || !strings.Contains(l, "connecting") {
		t.Fatalf("after the snapshot: %q", l)
	}

	// The snapshot may also come before the reply: then the marker goes
	// with the reply, and hang-up is offered at once.
	bp := &blockingProvider{fakeProvider: newFake(), release: make(chan error, 1)}
	m := New(Config{Provider: bp, Theme: theme.Mono, Now: func() time.Time { return t0 }})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m.Update(eventsMsg{events: []providers.Event{providers.CallEvent(t0, c)}})
	_, cmd := m.Update(keyPress("a"))
	reply := make(chan tea.Msg, 1)
	go func() { reply <- findResult(cmd) }()
	m.Update(eventsMsg{events: []providers.Event{providers.CallEvent(t0, answered(c, t0))}})
	bp.release <- nil
	m.Update(<-reply)
	if r := m.store.get("c1"); r.busy(m.now) || !m.actionKey(providers.ActionHangup).Enabled() {
		t.Fatalf("the snapshot came first, yet the row is still busy (%v) or hang-up is off (%v):\n%s",
			r.busy(m.now), m.actionKey(providers.ActionHangup).Enabled(), ansi.Strip(m.View().Content))
	}

	hs = newHarness(t, 100, 30)
	hs.events(c)
	hs.key("a")
	hs.clk.advance(awaitSnapshot)
	hs.send(tickMsg{})
	if l := selectedLine(hs); strings.Contains(l, "answering…") {
		t.Fatalf("marker still shown %v after the reply: %q", awaitSnapshot, l)
	}
}
