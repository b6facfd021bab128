package record

import (
	"context"

	"ringside/providers"
)

// The console, the relay and main find what a provider can do beyond the
// contract by type assertion: providers.AgentControl (the agent's state),
// providers.Rechecker (a relay's restart) and Boards (a console on several
// boards). A wrapper must answer those assertions exactly as the provider
// it wraps would, or recording would change what the console offers; so
// there is one wrapper type per combination, each embedding the parts it
// has.

// boarded is a provider that watches boards (natsboard).
type boarded interface{ Boards() []string }

// agentPart records agent-state changes and passes the menu through.
type agentPart struct {
	r   *recorder
	ctl providers.AgentControl
}

func (a agentPart) AgentChoices(ctx context.Context) ([]providers.AgentChoice, error) {
	return a.ctl.AgentChoices(ctx)
}

func (a agentPart) SetAgentState(ctx context.Context, choice providers.AgentChoice) error {
	line := Action{Action: ActionState, State: string(choice.State), Code: choice.Code}
	return a.r.act(line, func() error { return a.ctl.SetAgentState(ctx, choice) })
}

// recheckPart passes a relay's recheck through: its results arrive through
// Run's sink, and are recorded there.
type recheckPart struct{ rc providers.Rechecker }

func (p recheckPart) Recheck(ctx context.Context, calls []providers.Call) error {
	return p.rc.Recheck(ctx, calls)
}

type boardsPart struct{ b boarded }

func (p boardsPart) Boards() []string { return p.b.Boards() }

type (
	plain struct{ *recorder }
	withA struct {
		*recorder
		agentPart
	}
	withR struct {
		*recorder
		recheckPart
	}
	withAR struct {
		*recorder
		agentPart
		recheckPart
	}
	withB struct {
		*recorder
		boardsPart
	}
	withAB struct {
		*recorder
		agentPart
		boardsPart
	}
	withRB struct {
		*recorder
		recheckPart
		boardsPart
	}
	withARB struct {
		*recorder
		agentPart
		recheckPart
		boardsPart
	}
)

// withParts is r as the wrapper type that has exactly the optional
// interfaces r's provider has.
func withParts(r *recorder) providers.Provider {
	ctl, isAgent := r.inner.(providers.AgentControl)
	rc, isRecheck := r.inner.(providers.Rechecker)
	b, isBoards := r.inner.(boarded)
	a, re, bo := agentPart{r, ctl}, recheckPart{rc}, boardsPart{b}
	switch {
	case isAgent && isRecheck && isBoards:
		return withARB{r, a, re, bo}
	case isAgent && isRecheck:
		return withAR{r, a, re}
	case isAgent && isBoards:
		return withAB{r, a, bo}
	case isRecheck && isBoards:
		return withRB{r, re, bo}
	case isAgent:
		return withA{r, a}
	case isRecheck:
		return withR{r, re}
	case isBoards:
		return withB{r, bo}
	}
	return plain{r}
}
