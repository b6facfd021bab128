package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/directory"
)

// testDirectory is a directory file as an operator writes one.
const testDirectory = `name,kind,graph,genesys
Ana Ribeiro,user,550fae72-d251-43ec-868c-373732c2704f,5002
Reception,phone,+14255550100,
Sales desk,queue,2c3d4e5f-6a7b-4c8d-9e0f-a1b2c3d4e5f6,9000
Salvador Costa,user,,5007
Night line,phone,,+442079460000
`

func testDir(t testing.TB) *directory.Directory {
	t.Helper()
	d, err := directory.Parse(strings.NewReader(testDirectory))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func withDirectory(d *directory.Directory) opt { return func(c *Config) { c.Directory = d } }

// connectedCall is an active call that may be hung up, transferred and held.
func connectedCall(id, from string) providers.Call {
	c := answered(ringing(id, from, t0.Add(-60*time.Second)), t0.Add(-50*time.Second))
	c.Caps = providers.Caps(providers.ActionHangup, providers.ActionTransfer, providers.ActionHold, providers.ActionResume)
	return c
}

// redirectable is a ringing call that may also be redirected.
func redirectable(id, from string) providers.Call {
	c := ringing(id, from, t0.Add(-2*time.Second))
	c.Caps |= providers.Caps(providers.ActionRedirect)
	return c
}

// agentFake is the fake provider with an agent state of its own.
type agentFake struct {
	*fakeProvider
	choices    []providers.AgentChoice
	choicesErr error
	setErr     error

	amu  sync.Mutex
	asks int
	set  []providers.AgentChoice
}

func (a *agentFake) AgentChoices(context.Context) ([]providers.AgentChoice, error) {
	a.amu.Lock()
	defer a.amu.Unlock()
	a.asks++
	return a.choices, a.choicesErr
}

func (a *agentFake) SetAgentState(_ context.Context, c providers.AgentChoice) error {
	a.amu.Lock()
	defer a.amu.Unlock()
	a.set = append(a.set, c)
	return a.setErr
}

func (a *agentFake) sets() []providers.AgentChoice {
	a.amu.Lock()
	defer a.amu.Unlock()
	return append([]providers.AgentChoice(nil), a.set...)
}

// gwsChoices are agent states as a contact centre configures them.
var gwsChoices = []providers.AgentChoice{
	{State: providers.AgentReady},
	{State: providers.AgentNotReady},
	{State: providers.AgentAfterCallWork},
	{State: providers.AgentNotReady, Code: "OutToLunch", Label: "Out to Lunch"},
	{State: providers.AgentNotReady, Code: "Meeting", Label: "Meeting"},
}

// newAgentHarness is a console over an agentFake.
func newAgentHarness(t testing.TB, w, h int, opts ...opt) (*harness, *agentFake) {
	t.Helper()
	af := &agentFake{fakeProvider: newFake(), choices: gwsChoices}
	hs := newHarness(t, w, h, append([]opt{func(c *Config) { c.Provider = af }}, opts...)...)
	hs.p = af.fakeProvider
	return hs, af
}

func parseDir(t testing.TB, csv string) *directory.Directory {
	t.Helper()
	d, err := directory.Parse(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fakeAs makes the harness's fake provider speak as name (its target
// rules) and offer only the actions given, before the console reads them.
func fakeAs(name string, offers ...providers.Action) opt {
	return func(c *Config) {
		f := c.Provider.(*fakeProvider)
		f.name, f.offers = name, providers.Caps(offers...)
	}
}
