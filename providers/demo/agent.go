package demo

import (
	"container/heap"
	"context"
	"fmt"
	"strings"
	"time"

	"ringside/providers"
	"ringside/providers/textsafe"
)

// The agent at the console has a state of their own, as in a contact
// centre: Ready, Not Ready (with a reason or without), or After call work.
// Queues offer their calls only to a ready agent; calls dialled to the agent
// directly ring whatever the state. After-call work turns back into Ready on
// its own after AfterCallWork. Each change is a live status whose Agent text
// is the choice's Label, which the console's header shows.

// AfterCallWork is how long after-call work lasts before the agent is
// Ready again, as a contact centre's wrap-up timer would have it.
const AfterCallWork = 30 * time.Second

var (
	agentReady         = providers.AgentChoice{State: providers.AgentReady, Label: "Ready"}
	agentNotReady      = providers.AgentChoice{State: providers.AgentNotReady, Label: "Not Ready"}
	agentAfterCallWork = providers.AgentChoice{State: providers.AgentAfterCallWork, Label: "After call work"}
)

// notReadyReasons are the reasons an agent may give for not being ready:
// Code is what SetAgentState takes (in any case), Label what the header
// shows.
var notReadyReasons = []providers.AgentChoice{
	{State: providers.AgentNotReady, Code: "break", Label: "Not Ready · Break"},
	{State: providers.AgentNotReady, Code: "lunch", Label: "Not Ready · Lunch"},
	{State: providers.AgentNotReady, Code: "meeting", Label: "Not Ready · Meeting"},
	{State: providers.AgentNotReady, Code: "training", Label: "Not Ready · Training"},
}

// agentChoices is the agent-state menu, in the order it is shown.
func agentChoices() []providers.AgentChoice {
	out := make([]providers.AgentChoice, 0, 3+len(notReadyReasons))
	out = append(out, agentReady, agentNotReady)
	out = append(out, notReadyReasons...)
	return append(out, agentAfterCallWork)
}

// resolveChoice finds the menu entry asked for: by state and, for not
// ready, by reason code (without regard to case; none is plain Not Ready).
// The label asked for is ignored: the demo's own is shown.
func resolveChoice(ch providers.AgentChoice) (providers.AgentChoice, error) {
	code := strings.TrimSpace(ch.Code)
	switch ch.State {
	case providers.AgentReady, providers.AgentAfterCallWork:
		if code != "" {
			return providers.AgentChoice{}, fmt.Errorf("a reason (%q) goes only with not-ready", quote(code))
		}
		if ch.State == providers.AgentReady {
			return agentReady, nil
		}
		return agentAfterCallWork, nil
	case providers.AgentNotReady:
		if code == "" {
			return agentNotReady, nil
		}
		for _, r := range notReadyReasons {
			if strings.EqualFold(r.Code, code) {
				return r, nil
			}
		}
		return providers.AgentChoice{}, fmt.Errorf("unknown reason %q (want %s)", quote(code), reasonCodes())
	}
	return providers.AgentChoice{}, fmt.Errorf("unknown state %q (want ready, not-ready or after-call-work)", quote(string(ch.State)))
}

func reasonCodes() string {
	codes := make([]string, len(notReadyReasons))
	for i, r := range notReadyReasons {
		codes[i] = r.Code
	}
	return strings.Join(codes[:len(codes)-1], ", ") + " or " + codes[len(codes)-1]
}

// quote makes what the caller sent safe and short enough to quote.
func quote(s string) string { return textsafe.Cut(textsafe.Clean(s), 40) }

// chooseAgent sets the agent's state at now, as asked.
func (s *sim) chooseAgent(now time.Time, ch providers.AgentChoice) error {
	choice, err := resolveChoice(ch)
	if err != nil {
		return fmt.Errorf("agent state: %w", err)
	}
	s.advance(now)
	s.setAgent(s.now, choice)
	return nil
}

// setAgent makes ch the agent's state at t and reports it. After-call work
// schedules the return to Ready; any other choice calls a pending one off.
func (s *sim) setAgent(t time.Time, ch providers.AgentChoice) {
	s.agent = ch
	if s.agentBack != nil {
		heap.Remove(&s.queue, int(s.agentBack.index))
		s.agentBack = nil
	}
	if ch.State == providers.AgentAfterCallWork {
		s.agentBack = s.push(t.Add(AfterCallWork), evAgentReady, nil)
	}
	if !s.quiet {
		s.out = append(s.out, providers.StatusEvent(t, s.status()))
	}
}

// status is the live status, with the agent's state.
func (s *sim) status() providers.Status {
	return providers.Status{Link: providers.LinkLive, Detail: s.detail, Agent: s.agent.Label}
}

var _ providers.AgentControl = (*Provider)(nil)

// AgentChoices is the agent-state menu: Ready, Not Ready without a reason
// and with each of break, lunch, meeting and training, and After call work.
func (p *Provider) AgentChoices(ctx context.Context) ([]providers.AgentChoice, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("agent states: %w", err)
	}
	return agentChoices(), nil
}

// SetAgentState makes choice the agent's state at once; Run reports it as
// a live status with the new Agent text. An unknown state or reason code,
// or a reason with anything but not-ready, is refused in words.
func (p *Provider) SetAgentState(ctx context.Context, choice providers.AgentChoice) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("agent state: %w", err)
	}
	err := p.apply(func(now time.Time) error { return p.sim.chooseAgent(now, choice) })
	if err != nil {
		p.opts.Log.Info("demo agent state refused", "state", choice.State, "reason", choice.Code, "error", err)
	} else {
		p.opts.Log.Debug("demo agent state", "state", choice.State, "reason", choice.Code)
	}
	return err
}
