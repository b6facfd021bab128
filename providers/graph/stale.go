package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"ringside/providers"
	"ringside/providers/graph/notification"
)

// Calls whose end never arrives. Graph says nothing while a call simply goes
// on, so a notification that is lost (the webhook was down, the platform gave
// up) leaves a call live here forever. Two things bound that: the ledger's cap
// on live calls (--max-calls), which ends the call silent longest to make
// room, and, when the console has credentials for the calls API, a
// background check that reads each call silent for StaleAfter back from
// Graph and ends it when Graph no longer knows it.

// StaleAfter is how long a call may go without a notification before it is
// read back from Graph. Graph sends nothing during a steady conversation, so
// this is long: the check is for calls whose end notice was lost, not for
// calls that are merely quiet. (A ringing call with an answer deadline needs
// no check: it is ended locally soon after its deadline, as Graph ends it.)
const StaleAfter = 30 * time.Minute

const (
	staleEvery    = time.Minute // how often silent calls are looked for
	staleBatch    = 100         // calls read per look, at most
	staleParallel = 4           // reads in flight at once, at most
	// A read that fails (Graph unreachable, throttling, a refusal) is tried
	// again after staleRetryMin, then after twice as long each time, up to
	// StaleAfter.
	staleRetryMin = time.Minute
)

// staleCheck is the state of the background check.
type staleCheck struct {
	after time.Duration // StaleAfter when zero; tests shorten it
	every time.Duration // staleEvery when zero; tests shorten it
	// looks counts completed looks, so a test can wait for one to pass.
	looks atomic.Uint64
}

// staleLooks is what watchStale carries from one look to the next.
type staleLooks struct {
	// retries holds, for each silent call whose read failed, when to read
	// it again; only calls that are still silent are kept.
	retries map[string]retry
	// Failed reads are logged at most once a minute: with Graph down,
	// every silent call fails at every look.
	logFailed rate.Sometimes
}

// retry is when a call whose read failed is read again.
type retry struct {
	at   time.Time
	wait time.Duration
}

// dropEvicted tells the console about the calls the ledger ended to make
// room for a new one, and forgets what the worker kept about them. It runs
// on the worker, after every ledger update that may add a call.
func (p *Provider) dropEvicted(ctx context.Context, sink providers.Sink, rings *ringWatch, at time.Time) {
	for _, gone := range p.ledger.Evicted() {
		rings.forget(gone.ID)
		p.forgetAsked(gone.ID)
		providers.Emit(ctx, sink, providers.CallEvent(at, gone))
	}
}

// watchStale looks for silent calls every so often until ctx ends. It runs
// beside the worker, never on the webhook's path: the reads it makes may
// take seconds each.
func (p *Provider) watchStale(ctx context.Context, sink providers.Sink, queue chan<- batch) {
	every := p.stale.every
	if every <= 0 {
		every = staleEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	looks := &staleLooks{retries: make(map[string]retry), logFailed: rate.Sometimes{Interval: time.Minute}}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		p.checkStale(ctx, sink, queue, looks)
		p.stale.looks.Add(1)
	}
}

// checkStale reads back the calls silent for too long whose turn has come,
// a batch at a time, and settles each by Graph's answer.
func (p *Provider) checkStale(ctx context.Context, sink providers.Sink, queue chan<- batch, looks *staleLooks) {
	after := p.stale.after
	if after <= 0 {
		after = StaleAfter
	}
	now := p.opts.Now()
	quiet := p.ledger.Quiet(now.Add(-after))
	// Forget the retries of calls that spoke up or ended meanwhile, so the
	// map never holds more than the silent calls.
	retries := looks.retries
	if len(retries) > 0 {
		still := make(map[string]bool, len(quiet))
		for _, id := range quiet {
			still[id] = true
		}
		for id := range retries {
			if !still[id] {
				delete(retries, id)
			}
		}
	}
	var due []string
	for _, id := range quiet {
		if r, waiting := retries[id]; waiting && now.Before(r.at) {
			continue
		}
		if due = append(due, id); len(due) == staleBatch {
			break
		}
	}
	if len(due) == 0 {
		return
	}
	reads := p.readCalls(ctx, due)
	for i, id := range due {
		if ctx.Err() != nil {
			return
		}
		p.settleStale(ctx, sink, queue, looks, id, reads[i], now, after)
	}
}

// read is Graph's answer to reading one call.
type read struct {
	resource []byte
	err      error
}

// readCalls reads the calls ids from Graph, staleParallel at a time.
func (p *Provider) readCalls(ctx context.Context, ids []string) []read {
	out := make([]read, len(ids))
	turns := make(chan struct{}, staleParallel)
	var wg sync.WaitGroup
	for i, id := range ids {
		select {
		case turns <- struct{}{}:
		case <-ctx.Done():
			for j := i; j < len(ids); j++ {
				out[j].err = fmt.Errorf("read %s: not sent: %w", ids[j], ctx.Err())
			}
			wg.Wait()
			return out
		}
		wg.Go(func() {
			defer func() { <-turns }()
			out[i].resource, out[i].err = p.api.Get(ctx, id)
		})
	}
	wg.Wait()
	return out
}

// settleStale acts on Graph's answer about a silent call: a call Graph still
// has is refreshed from what it says (through the worker, like any
// notification, which also marks the call as heard from); a call it no
// longer knows is ended; anything else is tried again later.
func (p *Provider) settleStale(ctx context.Context, sink providers.Sink, queue chan<- batch, looks *staleLooks,
	id string, r read, now time.Time, after time.Duration) {
	retries := looks.retries
	err := r.err
	if err == nil {
		var items []notification.Notification
		if items, err = readBack(id, r.resource); err == nil {
			// The worker applies the answer a moment later; until it
			// has, the ledger still counts the call as silent. Not due
			// again for a whole period, it is not read twice for one
			// silence (the entry goes once the call is heard from).
			retries[id] = retry{at: now.Add(after)}
			select {
			case queue <- batch{at: now, items: items}:
			case <-ctx.Done():
			}
			return
		}
		err = fmt.Errorf("read call %s: %w", id, err)
	}
	if errors.Is(err, providers.ErrNotFound) {
		delete(retries, id)
		p.endUnknown(ctx, sink, id, now, after)
		return
	}
	next := retries[id]
	next.wait = min(max(2*next.wait, staleRetryMin), after)
	next.at = now.Add(next.wait)
	retries[id] = next
	looks.logFailed.Do(func() {
		p.opts.Log.Warn("graph: cannot read back a call that has been silent for long; trying again later",
			"call", id, "err", err, "retry_in", next.wait)
	})
}

// readBack turns a call resource read from Graph into the notification
// Graph would have sent with it, so that it is applied exactly as one.
func readBack(id string, resource []byte) ([]notification.Notification, error) {
	type item struct {
		ChangeType   string          `json:"changeType"`
		ResourceURL  string          `json:"resourceUrl"`
		ResourceData json.RawMessage `json:"resourceData"`
	}
	body, err := json.Marshal(struct {
		Value []item `json:"value"`
	}{[]item{{ChangeType: string(notification.Updated), ResourceURL: "/communications/calls/" + id, ResourceData: resource}}})
	if err != nil {
		return nil, fmt.Errorf("Graph's answer is not JSON: %w", err)
	}
	items, err := notification.Decode(body)
	if err != nil {
		return nil, fmt.Errorf("Graph's answer is not a call: %w", err)
	}
	if len(items) != 1 || items[0].Kind != notification.KindCall || items[0].Call == nil {
		return nil, errors.New("Graph's answer is not a call")
	}
	return items, nil
}

// endUnknown ends a silent call Graph no longer knows: its end notice was
// lost.
func (p *Provider) endUnknown(ctx context.Context, sink providers.Sink, id string, now time.Time, after time.Duration) {
	if c, ok := p.ledger.Get(id); !ok || !c.State.Live() {
		return
	}
	call, changed := p.ledger.Update(id, func(c *providers.Call) {
		c.State, c.Ended, c.Caps = providers.StateEnded, now, 0
		c.End = providers.EndReason{Text: textGone}
	})
	if !changed {
		return
	}
	p.forgetAsked(id)
	p.opts.Log.Info("graph: ended a call Graph no longer knows; its end notice never came", "call", id, "silent_for_over", after)
	providers.Emit(ctx, sink, providers.CallEvent(now, call))
}
