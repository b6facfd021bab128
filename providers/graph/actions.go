package graph

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ringside/providers"
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
		p.note(id, func(a *asked) { a.reject = "" })
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

// Redirect sends a ringing call to target before it is answered (Graph
// rings the target instead of the bot). Like reject it works only inside
// the call's answer window. Graph answers 202 and later only reports the
// call deleted: the target is remembered from the moment the request is
// sent, so that end reads "Redirected to <target>".
func (p *Provider) Redirect(ctx context.Context, id string, to providers.Target) error {
	call, known, err := p.before(providers.ActionRedirect, id)
	if err != nil {
		return err
	}
	where := to.String()
	p.note(id, func(a *asked) { a.redirect = where })
	err = p.api.Redirect(ctx, id, to, call.AnswerBy)
	if err != nil {
		p.note(id, func(a *asked) { a.redirect = "" })
	}
	p.afterGone(ctx, known, call, err)
	return err
}

// Transfer hands a connected call to target, blind. Graph answers 202,
// then ends the call with 0/7015 once the target has it ("Transferred to
// <target>"), or gives it back established with a 500 resultInfo, which the
// worker reports as a failed transfer (asked.go).
func (p *Provider) Transfer(ctx context.Context, id string, to providers.Target) error {
	call, known, err := p.before(providers.ActionTransfer, id)
	if err != nil {
		return err
	}
	where := to.String()
	p.note(id, func(a *asked) { a.transfer = where })
	err = p.api.Transfer(ctx, id, to)
	if err != nil {
		p.note(id, func(a *asked) { a.transfer = "" })
	}
	p.afterGone(ctx, known, call, err)
	return err
}

// noHold is why Graph refuses hold and resume: its calls API has no hold
// for a call the bot itself is on (startHoldMusic works on a participant
// of a group call).
const noHold = "Graph has no hold for a bot's call"

// Hold is refused: see noHold.
func (p *Provider) Hold(_ context.Context, id string) error {
	return p.refuseHold(providers.ActionHold, id)
}

// Resume is refused: see noHold.
func (p *Provider) Resume(_ context.Context, id string) error {
	return p.refuseHold(providers.ActionResume, id)
}

// refuseHold says why hold or resume cannot be done: the contract's words
// for a call known here (it may have ended, or not be in a state for it),
// else noHold. Either wraps ErrNotAllowed (ErrEnded for an ended call).
func (p *Provider) refuseHold(a providers.Action, id string) error {
	if err := providers.CheckCallID(id); err != nil {
		return fmt.Errorf("%s: %w", a, err)
	}
	if known, ok := p.ids.lookup(id); ok {
		if call, ok := p.ledger.Get(known); ok {
			if err := providers.CheckAction(call, a, noHold); err != nil {
				return fmt.Errorf("%s %s: %w", a, id, err)
			}
		}
	}
	return fmt.Errorf("%s %s: %w", a, id, errNoHold)
}

// errNoHold reads as noHold and matches ErrNotAllowed.
var errNoHold = &wordsError{words: noHold, kind: providers.ErrNotAllowed}

// wordsError is a refusal that reads as its words alone and matches kind.
type wordsError struct {
	words string
	kind  error
}

func (e *wordsError) Error() string { return e.words }
func (e *wordsError) Unwrap() error { return e.kind }

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
	p.forgetAsked(call.ID)
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
