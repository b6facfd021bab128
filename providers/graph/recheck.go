package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"ringside/providers"
	"ringside/providers/graph/notification"
)

var _ providers.Rechecker = (*Provider)(nil)

// recheckWork is what Recheck found out about one batch of calls an earlier
// run reported, for the worker to file and report: the worker alone files
// calls from Graph's answers, so that ring watch, names and the cap apply to
// an adopted call exactly as to one a notification brought.
type recheckWork struct {
	at    time.Time
	found []adoption       // calls Graph still has, with its answer
	gone  []providers.Call // calls Graph no longer knows
	done  chan struct{}    // closed once every call has been reported
}

// adoption is a call an earlier run reported and Graph's answer about it,
// read back as the notification Graph would have sent with it.
type adoption struct {
	prev providers.Call
	n    notification.Notification
}

// Recheck finds out from Graph what became of calls an earlier run
// reported live (providers.Rechecker). Each call this run has not heard of
// is read (GET /communications/calls/{id}), staleParallel at a time and
// staleBatch calls at once, as the read-back of silent calls reads them: a
// call Graph still has is filed as if a notification had brought it, and
// keeps the times and parties the earlier run knew where Graph's answer says
// nothing of them; a call it no longer knows ends as the read-back ends one
// (textGone). Reading needs the calls API's credentials. At most --max-calls
// calls are read in one Recheck: the ledger holds no more live calls than
// that, so reading more could only end others to make room.
func (p *Provider) Recheck(ctx context.Context, calls []providers.Call) error {
	if p.api == nil {
		return fmt.Errorf("graph: cannot check the calls an earlier run reported: %s", p.set.actionsOff)
	}
	rs := p.run.Load()
	if rs == nil {
		return errors.New("graph: cannot check the calls an earlier run reported: the provider is not running")
	}
	// The reads stop when the caller gives up or Run ends, whichever is first.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopWithRun := context.AfterFunc(rs.ctx, cancel)
	defer stopWithRun()

	todo, failed := providers.RecheckCandidates(Name, calls)
	todo = slices.DeleteFunc(todo, p.knows)
	if limit := p.ledger.MaxLive(); len(todo) > limit {
		for _, c := range todo[limit:] {
			failed.Add(c.ID, fmt.Errorf("not checked: more calls than --max-calls (%d) to check at once", limit))
		}
		todo = todo[:limit]
	}
	var stopped error
	for chunk := range slices.Chunk(todo, staleBatch) {
		if err := ctx.Err(); err != nil {
			for _, c := range chunk {
				failed.Add(c.ID, fmt.Errorf("read %s: not sent: %w", c.ID, err))
			}
			continue
		}
		if err := p.recheckChunk(ctx, rs, chunk, failed); err != nil {
			stopped = err
		}
	}
	return errors.Join(failed.OrNil(), stopped)
}

// knows reports whether this run has heard of the call (under any spelling
// of its id).
func (p *Provider) knows(c providers.Call) bool {
	first, ok := p.ids.lookup(c.ID)
	if !ok {
		return false
	}
	_, known := p.ledger.Get(first)
	return known
}

// recheckChunk reads the calls of one chunk from Graph and hands what it
// found out to the worker; reads that failed are added to failed. It
// returns an error only when ctx ended while the worker was reporting the
// calls (it still reports them).
func (p *Provider) recheckChunk(ctx context.Context, rs *runState, chunk []providers.Call, failed *providers.RecheckError) error {
	ids := make([]string, len(chunk))
	for i, c := range chunk {
		ids[i] = c.ID
	}
	reads := p.readCalls(ctx, ids)
	work := recheckWork{at: p.opts.Now(), done: make(chan struct{})}
	for i, c := range chunk {
		err := reads[i].err
		if err == nil {
			var items []notification.Notification
			if items, err = readBack(c.ID, reads[i].resource); err == nil {
				work.found = append(work.found, adoption{prev: c, n: items[0]})
				continue
			}
			err = fmt.Errorf("read %s: %w", c.ID, err)
		}
		if errors.Is(err, providers.ErrNotFound) {
			work.gone = append(work.gone, c)
			continue
		}
		failed.Add(c.ID, err)
	}
	if len(work.found)+len(work.gone) == 0 {
		return nil
	}
	select {
	case rs.rechecks <- work:
	case <-ctx.Done():
		for _, a := range work.found {
			failed.Add(a.prev.ID, fmt.Errorf("read %s, but not reported: %w", a.prev.ID, ctx.Err()))
		}
		for _, c := range work.gone {
			failed.Add(c.ID, fmt.Errorf("read %s, but not reported: %w", c.ID, ctx.Err()))
		}
		return nil
	}
	select {
	case <-work.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("graph: stopped waiting for %d calls checked to be reported (they still are, unless Run ends): %w",
			len(work.found)+len(work.gone), ctx.Err())
	}
}

// applyRecheck files and reports what Recheck found out. It runs on the
// worker.
func (p *Provider) applyRecheck(ctx context.Context, sink providers.Sink, rings *ringWatch, r recheckWork) {
	defer close(r.done)
	for i := range r.found {
		p.handle(ctx, sink, rings, r.at, r.found[i].n, &r.found[i].prev)
	}
	for _, c := range r.gone {
		p.endUnwatched(ctx, sink, c, r.at)
	}
	p.opts.Log.Info("graph: checked calls an earlier run reported", "still_live", len(r.found), "ended_meanwhile", len(r.gone))
}

// endUnwatched ends a call an earlier run reported and Graph no longer
// knows, unless this run has heard of it meanwhile.
func (p *Provider) endUnwatched(ctx context.Context, sink providers.Sink, prev providers.Call, now time.Time) {
	id := p.ids.resolve(prev.ID)
	call, filed := p.ledger.Adopt(id, prev.Version, func(c *providers.Call) {
		*c = providers.EndedUnwatched(prev, now, textGone)
	})
	if !filed {
		return
	}
	p.forgetAsked(id)
	providers.Emit(ctx, sink, providers.CallEvent(now, call))
}

// file applies a notification's change to the ledger. adopt, when set, is
// the call an earlier run reported: it is filed only if this run has not
// heard of it, with a version above the earlier run's and what that run knew
// carried over (carryOver).
func (p *Provider) file(id string, ch change, adopt *providers.Call) (providers.Call, bool) {
	// The changes are closures the ledger does not keep, so they live on
	// the stack: this runs for every notification.
	if adopt == nil {
		return p.ledger.Update(id, func(c *providers.Call) { p.names.keep(c, &ch) })
	}
	prev := *adopt
	return p.ledger.Adopt(id, prev.Version, func(c *providers.Call) {
		p.names.keep(c, &ch)
		carryOver(c, prev)
	})
}

// carryOver keeps what the earlier run knew of an adopted call: its times
// (Graph's call resource has none, and the call arrived, was answered and
// began to ring before this run) and whatever Graph's answer leaves out.
func carryOver(c *providers.Call, prev providers.Call) {
	if !prev.Arrived.IsZero() && prev.Arrived.Before(c.Arrived) {
		c.Arrived = prev.Arrived
	}
	if !c.Answered.IsZero() && !prev.Answered.IsZero() && prev.Answered.Before(c.Answered) {
		c.Answered = prev.Answered
	}
	// A deadline only ever moves earlier, as in change.apply.
	if !c.AnswerBy.IsZero() && !prev.AnswerBy.IsZero() && prev.AnswerBy.Before(c.AnswerBy) {
		c.AnswerBy = prev.AnswerBy
	}
	if c.Direction == "" {
		c.Direction = prev.Direction
	}
	if c.From.IsZero() {
		c.From = prev.From
	}
	if c.To.IsZero() {
		c.To = prev.To
	}
	if c.Queue == "" {
		c.Queue = prev.Queue
	}
	if c.Route.IsZero() {
		c.Route = prev.Route
	}
	if c.Region == "" {
		c.Region = prev.Region
	}
	if len(c.Modalities) == 0 {
		c.Modalities = slices.Clone(prev.Modalities)
	}
}
