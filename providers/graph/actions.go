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
// empty means none). The call API checks the reason, the one check on this
// path, and hands it to noteReject before sending. It is never retried past
// the call's answer deadline.
func (p *Provider) Reject(ctx context.Context, id string, reason providers.RejectReason) error {
	call, known, err := p.before(providers.ActionReject, id)
	if err != nil {
		return err
	}
	err = p.api.Reject(ctx, id, reason, call.AnswerBy)
	if err != nil {
		p.forgetReject(id)
	}
	p.afterGone(ctx, known, call, err)
	return err
}

// noteReject records a reject about to be sent (the call API's OnReject),
// so that the call's end, which Graph may report before it answers the
// reject, says it was ours and why.
func (p *Provider) noteReject(id string, r providers.RejectReason) {
	p.rejectsMu.Lock()
	defer p.rejectsMu.Unlock()
	if len(p.rejects) > ledger.DefaultKeepEnded {
		clear(p.rejects) // calls that never ended here; nothing to keep them for
	}
	p.rejects[idKey(id)] = r
	p.anyReject.Store(true)
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
// if the call is known here, providers.CheckAction allows it. An unknown call
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
	if err := providers.CheckAction(call, a, ""); err != nil {
		return call, true, fmt.Errorf("%s %s: %w", verb, id, err)
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
