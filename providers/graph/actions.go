package graph

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ringside/providers"
	"ringside/providers/ledger"
)

// Answer answers a ringing call. Retries for throttling stop at the call's
// answer deadline when the call is known, else after a fixed budget.
func (p *Provider) Answer(ctx context.Context, id string) error {
	call, known, err := p.before(providers.ActionAnswer, id)
	if err != nil {
		return err
	}
	err = p.api.Answer(ctx, id, call.AnswerBy)
	p.afterGone(ctx, known, call, err)
	return err
}

// Reject turns a ringing call down with reason (none, busy or forbidden;
// empty means none). It is never retried past the call's answer deadline.
func (p *Provider) Reject(ctx context.Context, id string, reason providers.RejectReason) error {
	if reason == "" {
		reason = providers.ReasonNone
	}
	r, ok := providers.ParseRejectReason(string(reason))
	if !ok {
		return fmt.Errorf("reject %s: unknown reason %q (want none, busy or forbidden)", id, reason)
	}
	call, known, err := p.before(providers.ActionReject, id)
	if err != nil {
		return err
	}
	// Noted before sending: Graph's deleted notification may arrive before
	// its reply to the reject does.
	key := idKey(id)
	p.rejectsMu.Lock()
	if len(p.rejects) > ledger.DefaultKeepEnded {
		clear(p.rejects) // calls that never ended here; nothing to keep them for
	}
	p.rejects[key] = r
	p.anyReject.Store(true)
	p.rejectsMu.Unlock()
	err = p.api.Reject(ctx, id, r, call.AnswerBy)
	if err != nil {
		p.forgetReject(id)
	}
	p.afterGone(ctx, known, call, err)
	return err
}

// Hangup ends a connected call (in a group call, only the bot's leg).
func (p *Provider) Hangup(ctx context.Context, id string) error {
	call, known, err := p.before(providers.ActionHangup, id)
	if err != nil {
		return err
	}
	err = p.api.Delete(ctx, id)
	p.afterGone(ctx, known, call, err)
	return err
}

// before checks that the action can be sent: the client is configured and,
// if the call is known here, its state allows the action. An unknown call
// is tried anyway: the one-shot commands act on calls this process never saw.
func (p *Provider) before(a providers.Action, id string) (providers.Call, bool, error) {
	verb := a.String()
	if a == providers.ActionHangup {
		verb = "hang up"
	}
	if p.api == nil {
		return providers.Call{}, false, fmt.Errorf("%s %s: cannot act on calls: %s", verb, id, p.set.actionsOff)
	}
	known, ok := p.ids.lookup(id)
	if !ok {
		return providers.Call{}, false, nil
	}
	call, ok := p.ledger.Get(known)
	if !ok {
		return providers.Call{}, false, nil
	}
	switch {
	case call.State == providers.StateEnded:
		return call, true, fmt.Errorf("%s %s: the call has already ended: %w", verb, id, providers.ErrNotFound)
	case (a == providers.ActionAnswer || a == providers.ActionReject) && call.State != providers.StateRinging:
		hint := ""
		if a == providers.ActionReject && call.State.Connected() {
			hint = "; hang it up instead"
		}
		return call, true, fmt.Errorf("%s %s: the call is %s, not ringing%s: %w", verb, id, call.State, hint, providers.ErrNotAllowed)
	case a == providers.ActionHangup && call.State == providers.StateRinging:
		return call, true, fmt.Errorf("%s %s: the call is still ringing; reject it instead: %w", verb, id, providers.ErrNotAllowed)
	case a == providers.ActionHangup && call.State == providers.StateEnding:
		return call, true, fmt.Errorf("%s %s: the call is already ending: %w", verb, id, providers.ErrNotAllowed)
	}
	return call, true, nil
}

// afterGone ends a call Graph says no longer exists, so the console stops
// offering actions on it; its end notice was lost or is still on its way.
func (p *Provider) afterGone(ctx context.Context, known bool, call providers.Call, err error) {
	if !known || !errors.Is(err, providers.ErrNotFound) {
		return
	}
	now := p.opts.Now()
	ended, changed := p.ledger.Update(call.ID, func(c *providers.Call) {
		c.State, c.Ended, c.Caps = providers.StateEnded, now, 0
		c.End = providers.EndReason{Text: textGone}
	})
	if !changed {
		return
	}
	p.forgetReject(call.ID)
	if rs := p.run.Load(); rs != nil {
		// Bounded by both the action's and the run's context: a console
		// that stopped reading must not hold the action up.
		select {
		case rs.sink <- providers.CallEvent(now, ended):
		case <-rs.ctx.Done():
		case <-ctx.Done():
		case <-time.After(time.Second):
			p.opts.Log.Warn("graph: could not report a call Graph no longer knows", "call", call.ID)
		}
	}
}

func (p *Provider) rejectOf(id string) providers.RejectReason {
	if !p.anyReject.Load() {
		return ""
	}
	p.rejectsMu.Lock()
	defer p.rejectsMu.Unlock()
	return p.rejects[idKey(id)]
}

func (p *Provider) forgetReject(id string) {
	if !p.anyReject.Load() {
		return
	}
	p.rejectsMu.Lock()
	defer p.rejectsMu.Unlock()
	delete(p.rejects, idKey(id))
	p.anyReject.Store(len(p.rejects) > 0)
}
