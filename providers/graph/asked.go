package graph

import (
	"context"
	"time"

	"ringside/providers"
	"ringside/providers/graph/notification"
	"ringside/providers/ledger"
)

// asked is what the console asked Graph to do to a call, remembered from
// the moment the request is sent until the call ends. Graph's end of a
// call says nothing of who asked for it: a redirected call ends with a bare
// "deleted", a transferred one with 0/7015 that names no target, and either
// may overtake the reply to the request that caused it.
type asked struct {
	reject   providers.RejectReason // a reject was sent, with this reason
	redirect string                 // a redirect was sent, to this target (as a person reads it)
	transfer string                 // a transfer was sent and not reported failed, to this target
}

// note records a request about to be sent on call id. The record is
// bounded: past DefaultKeepEnded calls, the calls that never ended here
// are forgotten at once.
func (p *Provider) note(id string, change func(*asked)) {
	p.askedMu.Lock()
	defer p.askedMu.Unlock()
	key := idKey(id)
	a, ok := p.asked[key]
	if !ok && len(p.asked) >= ledger.DefaultKeepEnded {
		clear(p.asked) // calls that never ended here; nothing to keep them for
	}
	change(&a)
	if a == (asked{}) {
		delete(p.asked, key)
	} else {
		p.asked[key] = a
	}
	p.anyAsked.Store(len(p.asked) > 0)
}

// noteReject records a reject about to be sent (the call API's OnReject),
// so that the call's end, which Graph may report before it answers the
// reject, says it was ours and why.
func (p *Provider) noteReject(id string, r providers.RejectReason) {
	p.note(id, func(a *asked) { a.reject = r })
}

// askedOf is what was asked of call id and not yet settled.
func (p *Provider) askedOf(id string) asked {
	if !p.anyAsked.Load() {
		return asked{}
	}
	p.askedMu.Lock()
	defer p.askedMu.Unlock()
	return p.asked[idKey(id)]
}

// forgetAsked drops everything asked of call id: it has ended.
func (p *Provider) forgetAsked(id string) {
	if !p.anyAsked.Load() {
		return
	}
	p.askedMu.Lock()
	defer p.askedMu.Unlock()
	delete(p.asked, idKey(id))
	p.anyAsked.Store(len(p.asked) > 0)
}

// DefaultNoticeShow is how long the status detail carries a notice about a
// call, such as a transfer Graph reported failed.
const DefaultNoticeShow = 30 * time.Second

// transferFailure is the resultInfo of a notification that reports our
// transfer of the call failed, or nil. Graph reports it by taking the call
// back to established (or hold) with a resultInfo of code 500 (subcode 7000
// or 7700); the same subcode under 200 on an ended call means something
// else, so the code is read together with the state.
func transferFailure(n notification.Notification, a asked) *notification.ResultInfo {
	if a.transfer == "" || n.ChangeType == notification.Deleted || n.Call == nil || n.Call.ResultInfo == nil {
		return nil
	}
	if s := n.Call.State; s != "established" && s != "hold" {
		return nil
	}
	if n.Call.ResultInfo.Code < 400 {
		return nil
	}
	return n.Call.ResultInfo
}

// transferFailed tells the agent that Graph gave the call back: in the log,
// and in the status detail for noticeShow. The call stays as it is (still
// connected, still ours); the transfer is no longer pending.
func (p *Provider) transferFailed(ctx context.Context, sink providers.Sink, call providers.Call, to string, ri *notification.ResultInfo) {
	p.note(call.ID, func(a *asked) { a.transfer = "" })
	// Words for the codes where there are some: the message Graph sends
	// with them is meant for developers (a placeholder in its own
	// examples), and stays in the log.
	why := providers.EndReason{Code: ri.Code, Subcode: ri.Subcode, Text: TransferFailureWords(ri.Code, ri.Subcode)}
	switch {
	case why.Text != "":
	case ri.Message != "":
		why.Text = ri.Message
	default:
		why.Text = "Graph gave no reason"
	}
	p.opts.Log.Warn("graph: a transfer failed; the call is still connected here",
		"call", call.ID, "to", to, "code", ri.Code, "subcode", ri.Subcode, "message", ri.Message)
	p.showNotice(ctx, sink, "transfer of the call from "+call.From.String()+" to "+to+" failed: "+why.String()+"; the call is still yours")
}

// showNotice adds words to the status detail until noticeShow has passed
// (a newer notice replaces an older one). It runs on the worker, which
// owns the notice timer.
func (p *Provider) showNotice(ctx context.Context, sink providers.Sink, words string) {
	if p.noticeEnd != nil {
		p.noticeEnd.Stop()
	}
	p.noticeEnd = time.NewTimer(p.noticeShow)
	p.setNotice(ctx, sink, words)
}

// noticeExpired is the notice timer's channel, nil (never ready) when no
// notice is shown.
func (p *Provider) noticeExpired() <-chan time.Time {
	if p.noticeEnd == nil {
		return nil
	}
	return p.noticeEnd.C
}

// clearNotice takes the notice off the status detail.
func (p *Provider) clearNotice(ctx context.Context, sink providers.Sink) {
	if p.noticeEnd != nil {
		p.noticeEnd.Stop()
		p.noticeEnd = nil
	}
	p.setNotice(ctx, sink, "")
}

func (p *Provider) setNotice(ctx context.Context, sink providers.Sink, words string) {
	p.statusMu.Lock()
	same := p.notice == words
	p.notice = words
	p.statusMu.Unlock()
	if !same {
		p.setStatus(ctx, sink, func(*providers.Status) {})
	}
}
