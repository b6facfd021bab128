package replay

import (
	"context"
	"fmt"
	"time"

	"ringside/providers"
)

// With --replay-act the console may act on replayed calls. Nothing is sent
// anywhere: each action changes the call as the demo's would, and from then
// on the call is the replay's own: the recording's later events for it are
// skipped. The codes are the demo's, which are Graph's for the same ends.

// Simulated delays, in the recording's time (divided by --speed like
// everything else): media coming up after an answer, the tear-down after a
// hang-up.
const (
	mediaSetup = 500 * time.Millisecond
	tearDown   = 300 * time.Millisecond
)

var (
	// endHungUp is how a call hung up from the console ends.
	endHungUp = providers.EndReason{Code: 200, Subcode: 7000, Text: "You hung up (ended by the bot)"}
	// rejectEnds are the SIP answers the reasons stand for: 603 Decline,
	// 486 Busy Here, 403 Forbidden.
	rejectEnds = map[providers.RejectReason]providers.EndReason{
		providers.ReasonNone:      {Code: 603, Text: "Rejected from the console (declined, no reason given)"},
		providers.ReasonBusy:      {Code: 486, Text: "Rejected from the console: busy"},
		providers.ReasonForbidden: {Code: 403, Text: "Rejected from the console: forbidden"},
	}
)

// errReadOnly refuses an action on a replay without --replay-act.
var errReadOnly error = readOnlyError{}

type readOnlyError struct{}

func (readOnlyError) Error() string {
	return "a replay is read-only: start it with --replay-act to try actions on its calls"
}
func (readOnlyError) Unwrap() error { return providers.ErrNotAllowed }

// step is a simulated change still to come for a call.
type step struct {
	due   time.Time
	id    string
	apply func(c *providers.Call, now time.Time)
}

// capsIn is what a simulated call offers in state s.
func capsIn(s providers.State) providers.Capabilities {
	switch s {
	case providers.StateConnecting:
		return providers.Caps(providers.ActionHangup)
	case providers.StateActive:
		return providers.Caps(providers.ActionHangup, providers.ActionTransfer, providers.ActionHold)
	case providers.StateHeld:
		return providers.Caps(providers.ActionHangup, providers.ActionTransfer, providers.ActionResume)
	}
	return 0
}

// end makes c ended at now, why, with outcome o (none: the contract's rule).
func end(c *providers.Call, now time.Time, why providers.EndReason, o providers.Outcome) {
	c.State, c.Ended, c.End, c.Caps, c.AnswerBy = providers.StateEnded, now, why, 0, time.Time{}
	c.Outcome = o
}

func (p *Provider) Answer(ctx context.Context, id string) error {
	return p.act(ctx, providers.ActionAnswer, id, func(ps *pass, c *providers.Call, now time.Time) {
		c.State, c.Answered, c.AnswerBy, c.Caps = providers.StateConnecting, now, time.Time{}, capsIn(providers.StateConnecting)
		ps.later(now.Add(ps.clock.scale(mediaSetup)), id, func(c *providers.Call, _ time.Time) {
			if c.State == providers.StateConnecting {
				c.State, c.Caps = providers.StateActive, capsIn(providers.StateActive)
			}
		})
	})
}

func (p *Provider) Reject(ctx context.Context, id string, reason providers.RejectReason) error {
	r, err := providers.CheckRejectReason(reason)
	if err != nil {
		return fmt.Errorf("reject %s: %w", id, err)
	}
	return p.act(ctx, providers.ActionReject, id, func(_ *pass, c *providers.Call, now time.Time) {
		end(c, now, rejectEnds[r], providers.OutcomeRejected)
	})
}

func (p *Provider) Hangup(ctx context.Context, id string) error {
	return p.act(ctx, providers.ActionHangup, id, func(ps *pass, c *providers.Call, now time.Time) {
		c.State, c.Caps = providers.StateEnding, 0
		ps.later(now.Add(ps.clock.scale(tearDown)), id, func(c *providers.Call, now time.Time) {
			end(c, now, endHungUp, providers.OutcomeNone)
			c.Outcome = c.Result()
		})
	})
}

func (p *Provider) Hold(ctx context.Context, id string) error {
	return p.act(ctx, providers.ActionHold, id, func(_ *pass, c *providers.Call, _ time.Time) {
		c.State, c.Caps = providers.StateHeld, capsIn(providers.StateHeld)
	})
}

func (p *Provider) Resume(ctx context.Context, id string) error {
	return p.act(ctx, providers.ActionResume, id, func(_ *pass, c *providers.Call, _ time.Time) {
		c.State, c.Caps = providers.StateActive, capsIn(providers.StateActive)
	})
}

// Transfer ends the call at once as Graph ends a completed transfer
// (0/7015), outcome transferred: the replay's target always answers.
func (p *Provider) Transfer(ctx context.Context, id string, to providers.Target) error {
	if err := to.Validate(); err != nil {
		return fmt.Errorf("transfer %s: %w", id, err)
	}
	return p.act(ctx, providers.ActionTransfer, id, func(_ *pass, c *providers.Call, now time.Time) {
		end(c, now, providers.EndReason{Subcode: 7015, Text: "Transferred to " + to.String()}, providers.OutcomeTransferred)
	})
}

// Redirect ends the ringing call at once, with no codes as on Graph,
// outcome transferred.
func (p *Provider) Redirect(ctx context.Context, id string, to providers.Target) error {
	if err := to.Validate(); err != nil {
		return fmt.Errorf("redirect %s: %w", id, err)
	}
	return p.act(ctx, providers.ActionRedirect, id, func(_ *pass, c *providers.Call, now time.Time) {
		end(c, now, providers.EndReason{Text: "Redirected to " + to.String()}, providers.OutcomeTransferred)
	})
}

// act applies change to the call id as the pass has it, after the checks
// every provider makes, and hands the new snapshot to Run. From now on the
// call is the replay's own.
func (p *Provider) act(ctx context.Context, a providers.Action, id string, change func(ps *pass, c *providers.Call, now time.Time)) error {
	if !p.cfg.Act {
		return fmt.Errorf("%s %s: %w", a, id, errReadOnly)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", a, id, err)
	}
	if err := providers.CheckCallID(id); err != nil {
		return fmt.Errorf("%s: %w", a, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.pass
	if ps == nil {
		return fmt.Errorf("%s %s: %w: the replay is not playing", a, id, providers.ErrNotFound)
	}
	c, ok := ps.get(id)
	if !ok {
		return fmt.Errorf("%s %s: %w", a, id, providers.ErrNotFound)
	}
	if err := providers.CheckAction(c, a, ""); err != nil {
		return fmt.Errorf("%s %s: %w", a, id, err)
	}
	now := p.opts.Now()
	change(ps, &c, now)
	c.Version++
	ps.acted[id] = true
	ps.store(c, now)
	p.outbox = append(p.outbox, providers.CallEvent(now, c))
	p.poke()
	return nil
}

// later schedules a simulated change of call id.
func (ps *pass) later(due time.Time, id string, apply func(c *providers.Call, now time.Time)) {
	ps.steps = append(ps.steps, step{due: due, id: id, apply: apply})
}

// due applies the simulated changes due by now and returns their events.
func (ps *pass) due(now time.Time) []providers.Event {
	var evs []providers.Event
	kept := ps.steps[:0]
	for _, s := range ps.steps {
		if s.due.After(now) {
			kept = append(kept, s)
			continue
		}
		c, ok := ps.get(s.id)
		if !ok || c.State == providers.StateEnded {
			continue
		}
		was := c.State
		s.apply(&c, now)
		if c.State == was {
			continue // overtaken by another action
		}
		c.Version++
		ps.store(c, now)
		evs = append(evs, providers.CallEvent(now, c))
	}
	clear(ps.steps[len(kept):])
	ps.steps = kept
	return evs
}

// next is when the next simulated change is due.
func (ps *pass) next() (time.Time, bool) {
	var at time.Time
	for _, s := range ps.steps {
		if at.IsZero() || s.due.Before(at) {
			at = s.due
		}
	}
	return at, !at.IsZero()
}
