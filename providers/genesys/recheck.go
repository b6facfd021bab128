package genesys

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"ringside/providers"
)

var _ providers.Rechecker = (*Provider)(nil)

// endUnwatched is why a call an earlier run reported ended, when GWS's list
// of the agent's calls no longer had it.
const endUnwatched = "ended while nobody was watching; GWS no longer lists it"

// recheckReq is one Recheck handed to the session's loop.
type recheckReq struct {
	calls []providers.Call
	// claimed is set by whoever settles the request first: the loop when
	// it starts on it, or Recheck when its caller gives up before that
	// (the loop then leaves the calls as they were).
	claimed atomic.Bool
	done    chan struct{} // closed by the loop once every call is reported
}

// Recheck reports what became of calls an earlier run reported live
// (providers.Rechecker). GWS's list of the agent's calls, read at connect
// before Run reports live, holds every call the agent has, so a call this
// run has not heard of by then has ended: each one is reported ended
// (endUnwatched). Nothing is sent to GWS. A Recheck that comes before the
// first list is in waits for it.
func (p *Provider) Recheck(ctx context.Context, calls []providers.Call) error {
	s := p.session()
	if s == nil {
		return errors.New("genesys: cannot check the calls an earlier run reported: the provider is not running")
	}
	todo, failed := providers.RecheckCandidates(Name, calls)
	if len(todo) == 0 {
		return failed.OrNil()
	}
	req := &recheckReq{calls: todo, done: make(chan struct{})}
	giveUp := func(why error) error {
		for _, c := range todo {
			failed.Add(c.ID, why)
		}
		return failed
	}
	select {
	case s.rechecks <- req:
	case <-ctx.Done():
		return giveUp(fmt.Errorf("not checked: %w", ctx.Err()))
	case <-s.done:
		return giveUp(errRecheckRunEnded)
	}
	select {
	case <-req.done:
		return failed.OrNil()
	case <-ctx.Done():
	case <-s.done:
	}
	if req.claimed.CompareAndSwap(false, true) {
		// The loop has not started on them, and now never will.
		if err := ctx.Err(); err != nil {
			return giveUp(fmt.Errorf("not checked: GWS's list of calls was not in yet: %w", err))
		}
		return giveUp(errRecheckRunEnded)
	}
	// The loop has started on the calls: it reports them all before it
	// does anything else (or ends).
	select {
	case <-req.done:
		return failed.OrNil()
	case <-ctx.Done():
		return errors.Join(failed.OrNil(),
			fmt.Errorf("genesys: stopped waiting for %d calls checked to be reported (they still are): %w", len(todo), ctx.Err()))
	}
}

// errRecheckRunEnded is why calls were not checked when Run ended first.
var errRecheckRunEnded = errors.New("not checked: Run ended first")

// handleRecheck settles a Recheck now, or once the first call list is in:
// until then the ledger does not know every call GWS has.
func (s *session) handleRecheck(r *recheckReq) {
	if !s.everSynced {
		s.heldRechecks = append(s.heldRechecks, r)
		s.rechecksWaiting.Add(1)
		s.log.Info("checking the calls an earlier run reported once GWS's list of calls is in", "calls", len(r.calls))
		return
	}
	s.applyRecheck(r)
}

// releaseRechecks settles the Rechecks that waited for the call list.
func (s *session) releaseRechecks() {
	held := s.heldRechecks
	s.heldRechecks = nil
	for _, r := range held {
		s.rechecksWaiting.Add(-1)
		s.applyRecheck(r)
	}
}

// applyRecheck ends every call of r the ledger does not know: GWS's list,
// applied already, did not have it. Calls it knows are left alone.
func (s *session) applyRecheck(r *recheckReq) {
	if !r.claimed.CompareAndSwap(false, true) {
		return // its caller gave up: left as they were
	}
	defer close(r.done)
	now := s.p.opts.Now()
	ended := 0
	for _, prev := range r.calls {
		c, filed := s.p.ledger.Adopt(prev.ID, prev.Version, func(c *providers.Call) {
			*c = providers.EndedUnwatched(prev, now, endUnwatched)
		})
		if !filed {
			continue
		}
		ended++
		s.emit(c)
		// An action sent on the call meanwhile learns it is gone.
		s.waiters.judge(prev.ID, gwsReleased, "")
	}
	s.log.Info("checked the calls an earlier run reported", "calls", len(r.calls), "ended_meanwhile", ended)
}
