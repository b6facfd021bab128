package ui

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image/color"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"ringside/providers"
	"ringside/theme"
)

// t0 is the fixed clock of the tests: 12:00:00 UTC.
var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// request is one call a provider received.
type request struct {
	Action providers.Action
	ID     string
	Reason providers.RejectReason
}

// fakeProvider records requests and answers with err (or nil).
type fakeProvider struct {
	reasons []providers.RejectReason
	err     error
	name    string                 // "" is "fake"; "graph" or "genesys" for their target rules
	offers  providers.Capabilities // 0 offers every action
	mu      sync.Mutex
	got     []request
	targets []providers.Target // of transfers and redirects, in order
}

func newFake() *fakeProvider {
	return &fakeProvider{reasons: append([]providers.RejectReason(nil), providers.RejectReasons...)}
}

func (f *fakeProvider) Name() string {
	if f.name != "" {
		return f.name
	}
	return "fake"
}
func (f *fakeProvider) Run(ctx context.Context, _ providers.Sink) error {
	<-ctx.Done()
	return nil
}
func (f *fakeProvider) record(r request) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, r)
	return f.err
}
func (f *fakeProvider) Answer(_ context.Context, id string) error {
	return f.record(request{Action: providers.ActionAnswer, ID: id})
}
func (f *fakeProvider) Reject(_ context.Context, id string, reason providers.RejectReason) error {
	return f.record(request{Action: providers.ActionReject, ID: id, Reason: reason})
}
func (f *fakeProvider) Hangup(_ context.Context, id string) error {
	return f.record(request{Action: providers.ActionHangup, ID: id})
}
func (f *fakeProvider) Transfer(_ context.Context, id string, to providers.Target) error {
	f.mu.Lock()
	f.targets = append(f.targets, to)
	f.mu.Unlock()
	return f.record(request{Action: providers.ActionTransfer, ID: id})
}
func (f *fakeProvider) Redirect(_ context.Context, id string, to providers.Target) error {
	f.mu.Lock()
	f.targets = append(f.targets, to)
	f.mu.Unlock()
	return f.record(request{Action: providers.ActionRedirect, ID: id})
}
func (f *fakeProvider) Hold(_ context.Context, id string) error {
	return f.record(request{Action: providers.ActionHold, ID: id})
}
func (f *fakeProvider) Resume(_ context.Context, id string) error {
	return f.record(request{Action: providers.ActionResume, ID: id})
}

// Address follows the rule of the provider the fake is named after.
func (f *fakeProvider) Address(t providers.Target) (string, error) {
	switch f.name {
	case "graph":
		if a := cmp.Or(t.GraphID, t.Phone); a != "" {
			return a, nil
		}
		return "", fmt.Errorf("%w: %s has no Teams id or E.164 number, so Teams cannot be asked to send the call there", providers.ErrBadTarget, t)
	case "genesys":
		if a := cmp.Or(t.GenesysNumber, t.Phone); a != "" {
			return a, nil
		}
		return "", fmt.Errorf("%w: %s has no number the Genesys switch can dial", providers.ErrBadTarget, t)
	}
	for _, a := range []string{t.Phone, t.GenesysNumber, t.GraphID, t.Name} {
		if a != "" {
			return a, nil
		}
	}
	return "", providers.ErrBadTarget
}

func (f *fakeProvider) Offers() providers.Capabilities {
	if f.offers != 0 {
		return f.offers
	}
	return providers.Caps(providers.Actions...)
}
func (f *fakeProvider) RejectReasons() []providers.RejectReason { return f.reasons }

// sentTargets is where the transfers and redirects went, in order.
func (f *fakeProvider) sentTargets() []providers.Target {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]providers.Target(nil), f.targets...)
}

func (f *fakeProvider) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.got...)
}

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time            { return c.t }
func (c *clock) advance(d time.Duration)   { c.t = c.t.Add(d) }
func (c *clock) set(t time.Time) time.Time { c.t = t; return t }

// harness is a model under test with its fake provider, clock and the ticks
// it asked for.
type harness struct {
	t     testing.TB
	m     *Model
	p     *fakeProvider
	clk   *clock
	ticks int
}

type opt func(*Config)

func newHarness(tb testing.TB, w, h int, opts ...opt) *harness {
	tb.Helper()
	hs := &harness{t: tb, p: newFake(), clk: &clock{t: t0}}
	cfg := Config{Provider: hs.p, Theme: theme.Mono, Now: hs.clk.now}
	for _, o := range opts {
		o(&cfg)
	}
	hs.m = New(cfg)
	hs.m.tick.after = func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		hs.ticks++
		return func() tea.Msg { return fn(time.Time{}) }
	}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

// send delivers msg and runs the commands it returns that are requests to
// the provider (their results are delivered too). Ticks and event reads are
// not run: tests drive those themselves.
func (hs *harness) send(msg tea.Msg) {
	hs.t.Helper()
	_, cmd := hs.m.Update(msg)
	hs.run(cmd)
}

func (hs *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	// Only run what cannot block: action commands return quickly against
	// the fake; tick commands were replaced; event reads have no channel.
	msg := cmd()
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			hs.run(c)
		}
	case actionResultMsg:
		hs.send(msg)
	case paneMsg:
		hs.send(msg)
	}
}

// key presses one key, named as tea names it ("a", "enter", "esc", "ctrl+c").
func (hs *harness) key(name string) {
	hs.t.Helper()
	hs.send(keyPress(name))
}

func keyPress(name string) tea.KeyPressMsg {
	switch name {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case " ":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "G":
		return tea.KeyPressMsg{Code: 'g', ShiftedCode: 'G', Text: "G", Mod: tea.ModShift}
	}
	r := []rune(name)[0]
	return tea.KeyPressMsg{Code: r, Text: name}
}

// typeText types s one key at a time.
func (hs *harness) typeText(s string) {
	hs.t.Helper()
	for _, r := range s {
		hs.key(string(r))
	}
}

// events delivers calls as one batch.
func (hs *harness) events(calls ...providers.Call) {
	hs.t.Helper()
	evs := make([]providers.Event, len(calls))
	for i, c := range calls {
		evs[i] = providers.CallEvent(hs.clk.t, c)
	}
	hs.send(eventsMsg{events: evs})
}

func (hs *harness) status(s providers.Status) {
	hs.send(eventsMsg{events: []providers.Event{providers.StatusEvent(hs.clk.t, s)}})
}

// screen is the view as plain text (escape sequences removed).
func (hs *harness) screen() string {
	return ansi.Strip(hs.m.View().Content)
}

// asciiView is the view as a terminal with no colour support would get it:
// bold and reverse kept, colours dropped.
func asciiView(content string) string {
	var buf bytes.Buffer
	w := &colorprofile.Writer{Forward: &buf, Profile: colorprofile.ASCII}
	_, _ = w.WriteString(content)
	return buf.String()
}

func (hs *harness) selectedID() string { return hs.m.sel[hs.m.tab].id }

// actionKey is the key binding of action a.
func (m *Model) actionKey(a providers.Action) key.Binding {
	for _, b := range m.actions {
		if b.action == a {
			return b.key
		}
	}
	return key.Binding{}
}

// ringing returns a ringing call that arrived at arrived with a 15 s window.
func ringing(id, from string, arrived time.Time) providers.Call {
	return providers.Call{
		ID: id, Provider: "fake", State: providers.StateRinging, Direction: providers.Incoming,
		From:       providers.Party{Name: from, Kind: providers.KindUser},
		To:         providers.Party{Name: "Front desk", Kind: providers.KindApplication},
		Modalities: []string{"audio"},
		Arrived:    arrived, AnswerBy: arrived.Add(15 * time.Second),
		Caps:    providers.Caps(providers.ActionAnswer, providers.ActionReject),
		Version: 1,
	}
}

// ringingCalls returns n ringing calls c0, c1, … from "Caller 0", "Caller 1",
// …, the first arrived firstAgo before t0 and each next one a second later.
func ringingCalls(n int, firstAgo time.Duration) []providers.Call {
	calls := make([]providers.Call, n)
	for i := range calls {
		calls[i] = ringing(fmt.Sprintf("c%d", i), fmt.Sprintf("Caller %d", i), t0.Add(time.Duration(i)*time.Second-firstAgo))
	}
	return calls
}

// next returns c changed by fn with the next version.
func next(c providers.Call, fn func(c *providers.Call)) providers.Call {
	c = c.Clone()
	fn(&c)
	c.Version++
	return c
}

func answered(c providers.Call, at time.Time) providers.Call {
	return next(c, func(c *providers.Call) {
		c.State, c.Answered, c.AnswerBy = providers.StateActive, at, time.Time{}
		c.Caps = providers.Caps(providers.ActionHangup)
	})
}

func ended(c providers.Call, at time.Time, end providers.EndReason, o providers.Outcome) providers.Call {
	return next(c, func(c *providers.Call) {
		c.State, c.Ended, c.End, c.Outcome, c.Caps = providers.StateEnded, at, end, o, 0
	})
}

func lines(s string) []string { return strings.Split(s, "\n") }

var (
	lightGrey = color.RGBA{R: 0xee, G: 0xee, B: 0xee, A: 0xff}
	black     = color.RGBA{A: 0xff}
)
