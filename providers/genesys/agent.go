package genesys

import (
	"context"
	"fmt"
	"strings"

	"ringside/providers"
	"ringside/providers/textsafe"
)

var _ providers.AgentControl = (*Provider)(nil)

// systemOps is the GWS operation of each agent state without a reason.
var systemOps = map[providers.AgentState]string{
	providers.AgentReady:         OpReady,
	providers.AgentNotReady:      OpNotReady,
	providers.AgentAfterCallWork: OpAfterCallWork,
}

// agentStateOf is the console's agent state an option results in: after
// call work by its work mode, ready by its state, else not ready (a
// configured state that does not say is a reason to be away, GWS's
// default).
func agentStateOf(o AgentStateOption) providers.AgentState {
	switch {
	case strings.EqualFold(o.WorkMode, OpAfterCallWork):
		return providers.AgentAfterCallWork
	case strings.EqualFold(o.State, OpReady):
		return providers.AgentReady
	}
	return providers.AgentNotReady
}

// AgentChoices lists the agent states: Ready, Not Ready, After Call Work
// (GWS's system states, always available, sent without a code), each
// followed by the states the administrator configured that result in it
// (GET /api/v2/settings/agent-states; Code is their operationName). When
// the configured states cannot be read the error says why, and the list
// still holds the system states, which GWS always accepts.
func (p *Provider) AgentChoices(ctx context.Context) ([]providers.AgentChoice, error) {
	configured, err := p.rest.agentStates(ctx)
	if err != nil {
		err = fmt.Errorf("agent states: %w", err)
	}
	var out []providers.AgentChoice
	for _, state := range providers.AgentStates {
		for _, o := range SystemAgentStates {
			if agentStateOf(o) == state {
				out = append(out, providers.AgentChoice{State: state, Label: o.DisplayName})
			}
		}
		for _, o := range configured {
			if agentStateOf(o) == state && !isSystemOp(o.OperationName) {
				out = append(out, providers.AgentChoice{State: state, Code: o.OperationName, Label: o.DisplayName})
			}
		}
	}
	return out, err
}

// isSystemOp reports whether name is one of GWS's system agent states (a
// settings list may repeat them).
func isSystemOp(name string) bool {
	for _, o := range SystemAgentStates {
		if strings.EqualFold(o.OperationName, name) {
			return true
		}
	}
	return false
}

// SetAgentState posts the agent state's operation on the voice channel:
// the system state's, or with a Code the configured state of that
// operationName (or display name), which must result in choice.State. An
// unknown code, or one of another state, is refused before anything is
// posted. GWS answers statusCode 0 once it has accepted the change; the
// new state reaches the header with the device message that follows.
func (p *Provider) SetAgentState(ctx context.Context, choice providers.AgentChoice) error {
	state, ok := providers.ParseAgentState(string(choice.State))
	if !ok {
		return fmt.Errorf("agent state %q: want ready, not-ready or after-call-work", textsafe.Cut(textsafe.Clean(string(choice.State)), 40))
	}
	op := systemOps[state]
	if code := strings.TrimSpace(choice.Code); code != "" {
		o, err := p.findAgentState(ctx, state, code)
		if err != nil {
			return fmt.Errorf("agent state %s: %w", state, err)
		}
		op = o.OperationName
	}
	return p.rest.setAgentState(ctx, op)
}

// findAgentState looks code up among the system and configured states and
// checks that it results in state.
func (p *Provider) findAgentState(ctx context.Context, state providers.AgentState, code string) (AgentStateOption, error) {
	configured, err := p.rest.agentStates(ctx)
	if err != nil {
		return AgentStateOption{}, err
	}
	options := append(append([]AgentStateOption(nil), SystemAgentStates...), configured...)
	shown := textsafe.Cut(textsafe.Clean(code), 40)
	o, ok := FindAgentState(options, code)
	if !ok {
		return AgentStateOption{}, &wordsError{kind: providers.ErrNotAllowed,
			words: fmt.Sprintf("GWS has no agent state %q (%s)", shown, codesOf(configured, state))}
	}
	if got := agentStateOf(o); got != state {
		return AgentStateOption{}, &wordsError{kind: providers.ErrNotAllowed,
			words: fmt.Sprintf("%q is a %s state, not %s", shown, got, state)}
	}
	return o, nil
}

// codesOf lists the codes configured for state, for a refusal.
func codesOf(configured []AgentStateOption, state providers.AgentState) string {
	var codes []string
	for _, o := range configured {
		if agentStateOf(o) == state && !isSystemOp(o.OperationName) {
			codes = append(codes, o.OperationName)
		}
	}
	if len(codes) == 0 {
		return "none is configured for " + string(state)
	}
	return "configured for " + string(state) + ": " + strings.Join(codes, ", ")
}
