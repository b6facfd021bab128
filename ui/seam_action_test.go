package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"ringside/providers"
	"ringside/theme"
)

// This file adds an action the console does not have, "divert", as an
// action is added: a row of the action table, the provider method it calls,
// and a prompt that asks where to (a pane of its own). Nothing else in the
// console changes, and the action gets its key, its help, its pending
// marker, its status words and its place in the details.

const actionDivert providers.Action = 7 // a capability bit the contract leaves free

var divertSpec = actionSpec{
	action: actionDivert, keys: []string{"d"}, help: "divert",
	verb: "divert", noun: "divert", pending: "diverting…", done: "diverted",
	// Not a contract action, so the row brings its state rule: a
	// connected call may be diverted.
	states: func(s providers.State) bool { return s == providers.StateActive || s == providers.StateHeld },
	send: func(ctx context.Context, p providers.Provider, id string, arg actionArg) error {
		d, ok := p.(diverter)
		if !ok {
			return errors.New("cannot divert")
		}
		return d.Divert(ctx, id, arg.target.Name)
	},
}

// diverter is the provider method behind the action.
type diverter interface {
	Divert(ctx context.Context, id, to string) error
}

type divertProvider struct {
	*fakeProvider
	offers providers.Capabilities
	mu     sync.Mutex
	sent   []string // "id → target"
	gate   chan struct{}
}

func (p *divertProvider) Divert(_ context.Context, id, to string) error {
	if p.gate != nil {
		<-p.gate
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, id+" → "+to)
	return nil
}

func (p *divertProvider) Offers() providers.Capabilities { return p.offers }

func (p *divertProvider) diverted() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// divertPicker is the action's prompt: a modal list of targets below the
// table. It remembers its call, as the reason picker does.
type divertPicker struct {
	paneBase
	targets []string
	callID  string
	spec    *actionSpec
	idx     int
	up      key.Binding
	down    key.Binding
	send    key.Binding
	cancel  key.Binding
}

func newDivertPicker(targets ...string) *divertPicker {
	return &divertPicker{
		targets: targets,
		up:      key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "move")),
		down:    key.NewBinding(key.WithKeys("down")),
		send:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "divert")),
		cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

func (d *divertPicker) open(*Model) bool                     { return d.callID != "" }
func (d *divertPicker) close(*Model)                         { d.callID = "" }
func (d *divertPicker) modal(*Model) bool                    { return true }
func (d *divertPicker) panel(*Model) int                     { return len(d.targets) + 3 }
func (d *divertPicker) helpKeys(*Model) []key.Binding        { return []key.Binding{d.up, d.send, d.cancel} }
func (d *divertPicker) label(_ *Model, s *actionSpec) string { return s.help + "…" }
func (d *divertPicker) note(*Model, *actionSpec) string      { return "" }

func (d *divertPicker) ask(m *Model, s *actionSpec, id string) tea.Cmd {
	d.callID, d.spec, d.idx = id, s, 0
	m.help.close(m)
	return nil
}

func (d *divertPicker) update(m *Model, msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(k, d.cancel):
		d.close(m)
		m.say(statusInfo, d.spec.noun+" cancelled")
	case key.Matches(k, d.up):
		d.idx = max(d.idx-1, 0)
	case key.Matches(k, d.down):
		d.idx = min(d.idx+1, len(d.targets)-1)
	case key.Matches(k, d.send):
		id := d.callID
		d.close(m)
		return m.submit(d.spec, id, actionArg{target: providers.Target{Name: d.targets[d.idx]}})
	}
	return nil
}

func (d *divertPicker) drawPanel(m *Model, h int) []string {
	lines := []string{"Divert " + m.whoFor(d.callID) + " to"}
	for i, t := range d.targets {
		mark := "  "
		if i == d.idx {
			mark = "› "
		}
		lines = append(lines, fit(mark+t, m.inner()))
	}
	return m.boxed(lines, h)
}

// newDivertConsole is a console whose provider can divert (or says it
// never can, with offers), with the row and its prompt registered.
func newDivertConsole(t *testing.T, offers providers.Capabilities, opts ...opt) (*harness, *divertProvider) {
	t.Helper()
	hs := &harness{t: t, p: newFake(), clk: &clock{t: t0}}
	dp := &divertProvider{fakeProvider: hs.p, offers: offers}
	cfg := Config{Provider: dp, Theme: theme.Mono, Now: hs.clk.now}
	for _, o := range opts {
		o(&cfg)
	}
	hs.m = New(cfg)
	hs.m.tick.after = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }

	// The registration: the prompt among the panes, the row among the
	// actions.
	picker := newDivertPicker("Sales desk", "Voicemail")
	spec := divertSpec
	spec.prompt = func(*Model) prompt { return picker }
	hs.m.addPane(picker)
	hs.m.addAction(&spec)

	hs.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	return hs, dp
}

var allOffered = ^providers.Capabilities(0)

// talking is an active call that may be hung up and diverted.
func talking(id, from string) providers.Call {
	c := answered(ringing(id, from, t0.Add(-60*time.Second)), t0.Add(-50*time.Second))
	c.Caps |= providers.Caps(actionDivert)
	return c
}

func TestSeamAddedActionGoesThroughItsPrompt(t *testing.T) {
	hs, dp := newDivertConsole(t, allOffered)
	hs.events(talking("c1", "Carol"))
	if scr := hs.screen(); !strings.Contains(scr, "d divert…") {
		t.Fatalf("help does not offer the added action:\n%s", scr)
	}
	hs.key("enter")
	if l := lineWith(hs.screen(), "can now"); !strings.Contains(l, "hangup, divert") {
		t.Errorf("the details do not list the added action: %q", l)
	}
	hs.key("enter")

	hs.key("d")
	scr := hs.screen()
	if !strings.Contains(scr, "Divert Carol") || !strings.Contains(scr, "› Sales desk") {
		t.Fatalf("d did not open its prompt for Carol:\n%s", scr)
	}
	if last := lines(scr)[len(lines(scr))-1]; !strings.Contains(last, "enter divert") || !strings.Contains(last, "esc cancel") {
		t.Errorf("the help line is not the prompt's: %q", last)
	}
	hs.key("x") // the prompt takes every key: no hang-up question
	if hs.m.confirm.open(hs.m) {
		t.Fatal("a key went past the modal prompt")
	}
	hs.key("down")

	// Enter: the request is in flight, the row says so in the row's word.
	dp.gate = make(chan struct{})
	_, cmd := hs.m.Update(keyPress("enter"))
	if l := selectedLine(hs); !strings.Contains(l, "⋯ diverting…") {
		t.Errorf("row while the request is in flight: %q", l)
	}
	if s := hs.m.status.text; s != "diverting… Carol to Voicemail" {
		t.Errorf("status while in flight: %q", s)
	}
	close(dp.gate)
	hs.run(cmd)
	if got := dp.diverted(); !slices.Equal(got, []string{"c1 → Voicemail"}) {
		t.Fatalf("provider got %v", got)
	}
	if s := hs.m.status.text; s != "diverted Carol to Voicemail" {
		t.Errorf("status after the reply: %q", s)
	}
}

func TestSeamAddedActionFollowsItsRule(t *testing.T) {
	hs, dp := newDivertConsole(t, allOffered)
	hs.events(ringing("c1", "Alice", t0.Add(-2*time.Second)))
	if strings.Contains(hs.screen(), "divert") {
		t.Errorf("a ringing call offers divert:\n%s", hs.screen())
	}
	hs.key("d")
	if s := hs.m.status.text; s != "Alice does not allow divert now" {
		t.Errorf("status %q", s)
	}

	// The prompt remembers its call: if it ends meanwhile, nothing is sent.
	c := talking("c2", "Bob")
	hs.events(c)
	for i := 0; i < 3 && hs.selectedID() != "c2"; i++ {
		hs.key("j")
	}
	hs.key("d")
	hs.events(ended(c, t0, providers.EndReason{Text: "caller hung up"}, providers.OutcomeHandled))
	hs.key("enter")
	if got := dp.diverted(); len(got) != 0 {
		t.Fatalf("diverted an ended call: %v", got)
	}
	if s := hs.m.status.text; !strings.Contains(s, "Bob has ended (caller hung up) · nothing sent") {
		t.Errorf("status %q", s)
	}
}

// A provider that never diverts has no key for it, as a read-only console
// has none at all.
func TestSeamAddedActionHiddenWhereNotOffered(t *testing.T) {
	for _, tt := range []struct {
		name   string
		offers providers.Capabilities
		opts   []opt
		says   string
	}{
		{"not offered", providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionHangup), nil, "fake cannot divert"},
		{"read-only", allOffered, []opt{func(c *Config) { c.ReadOnly = true }}, "read-only console: no answer, reject, hang-up, transfer, redirect, hold, resume or divert"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hs, dp := newDivertConsole(t, tt.offers, tt.opts...)
			hs.events(talking("c1", "Carol"))
			hs.key("?")
			if scr := hs.screen(); strings.Contains(scr, "divert") {
				t.Errorf("help lists divert:\n%s", scr)
			}
			hs.key("?")
			hs.key("d")
			if got := dp.diverted(); len(got) != 0 || hs.m.modalPane() != nil {
				t.Fatalf("d did something: sent %v, opened %T", got, hs.m.modalPane())
			}
			if hs.m.status.text != tt.says {
				t.Errorf("status %q, want %q", hs.m.status.text, tt.says)
			}
		})
	}
}

func lineWith(screen, s string) string {
	for _, l := range lines(screen) {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// An added action that sends the call on says so in its row (sendsOn) and
// takes the console's own target picker as its prompt; nothing else
// changes. A one-shot request for it checks its target before anything is
// sent, and a target sent to from the console comes back among the recent
// ones.
func TestSeamAddedActionSendsOn(t *testing.T) {
	spec := divertSpec
	spec.sendsOn = true
	spec.prompt = func(m *Model) prompt { return &m.target }
	saved := actionTable
	actionTable = append(slices.Clip(actionTable), spec) // the row, where Perform finds it
	t.Cleanup(func() { actionTable = saved })

	dp := &divertProvider{fakeProvider: newFake(), offers: allOffered}
	if err := Perform(context.Background(), dp, actionDivert, "c1", Arg{}); err == nil || !strings.Contains(err.Error(), "no target given") {
		t.Errorf("one-shot divert without a target: %v", err)
	}
	if got := dp.diverted(); len(got) != 0 {
		t.Fatalf("a divert without a target was sent: %v", got)
	}

	hs := &harness{t: t, p: dp.fakeProvider, clk: &clock{t: t0}}
	hs.m = New(Config{Provider: dp, Theme: theme.Mono, Now: hs.clk.now})
	hs.m.tick.after = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	hs.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	hs.events(talking("c1", "Carol"), talking("c2", "Dan"))

	selectCall(t, hs, "c1")
	hs.key("d")
	hs.typeText("+44 20 7946 0000")
	hs.key("enter")
	if got := dp.diverted(); !slices.Equal(got, []string{"c1 → +44 20 7946 0000"}) {
		t.Fatalf("provider got %v", got)
	}
	selectCall(t, hs, "c2")
	hs.key("d")
	if l := lineWith(hs.screen(), "+44 20 7946 0000"); !strings.Contains(l, "recent") {
		t.Errorf("the target sent to is not among the recent ones: %q\n%s", l, hs.screen())
	}
}
