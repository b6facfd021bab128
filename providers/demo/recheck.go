package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ringside/providers"
)

var _ providers.Rechecker = (*Provider)(nil)

// endUnwatched is why a call an earlier run reported ended: a simulation
// knows no call of another.
const endUnwatched = "Ended while nobody was watching: this simulation knows no call of an earlier one."

// errRunStopped is what a Recheck waiting for Run hears when Run stops
// before it has sent the ends.
var errRunStopped = errors.New("the simulation stopped before the ends were sent")

// Recheck reports what became of calls an earlier run reported live
// (providers.Rechecker): the simulation never knows a call of an earlier
// run, so each one it does not know ends at the simulation's time. (One it
// knows is a call of this run: the same --demo-seed makes the same calls.)
// The ends go out with Run's next batch; Recheck returns once Run has sent
// them.
func (p *Provider) Recheck(ctx context.Context, calls []providers.Call) error {
	todo, failed := providers.RecheckCandidates(Name, calls)
	sent := make(chan error, 1)
	p.mu.Lock()
	if !p.running {
		p.mu.Unlock()
		return errors.New("demo: cannot check the calls an earlier run reported: the simulation is not running")
	}
	p.sim.advance(p.opts.Now())
	ended := p.sim.endUnwatched(p.sim.now, todo)
	if ended > 0 {
		p.rechecked = append(p.rechecked, sent)
		select {
		case p.wake <- struct{}{}:
		default: // Run has a wake-up pending already
		}
	}
	p.mu.Unlock()
	p.opts.Log.Info("demo: checked the calls an earlier run reported", "calls", len(todo), "ended_meanwhile", ended)
	if ended == 0 {
		return failed.OrNil()
	}
	select {
	case err := <-sent:
		if err != nil {
			return errors.Join(failed.OrNil(), fmt.Errorf("demo: %d calls an earlier run reported were ended, but %w", ended, err))
		}
		return failed.OrNil()
	case <-ctx.Done():
		return errors.Join(failed.OrNil(),
			fmt.Errorf("demo: stopped waiting for %d ended calls to be sent (they still are): %w", ended, ctx.Err()))
	}
}

// settleRechecks tells the Rechecks waiting whether their ends were sent.
func settleRechecks(waiting []chan<- error, err error) {
	for _, w := range waiting {
		w <- err // each has room for one answer, and gets one
	}
}

// endUnwatched files each of calls the ledger does not know as ended at t,
// recording its end for Run, and returns how many it ended. Calls the
// ledger knows are left alone.
func (s *sim) endUnwatched(t time.Time, calls []providers.Call) int {
	s.stamp = t
	ended := 0
	for _, prev := range calls {
		c, filed := s.ledger.Adopt(prev.ID, prev.Version, func(x *providers.Call) {
			*x = providers.EndedUnwatched(prev, t, endUnwatched)
		})
		if filed {
			// CallEvent cleans the earlier run's text, which came from
			// outside the simulation.
			s.out = append(s.out, providers.CallEvent(t, c))
			ended++
		}
	}
	return ended
}
