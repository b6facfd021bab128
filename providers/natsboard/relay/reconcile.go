package relay

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"ringside/providers"
)

// recheckWaits are the pauses before asking again about calls a Recheck
// could not check; after the last, they are left as they are.
var recheckWaits = []time.Duration{5 * time.Second, 30 * time.Second}

// AwayText ends a call an earlier run left live that the provider, live
// again, does not report and cannot look up.
const AwayText = "Ended while the relay was away."

// reconciler settles the calls an earlier run left live: once the provider
// is live, those it has not reported are rechecked (a provider that can),
// or ended. It runs on the relay's loop goroutine; only Recheck runs on
// its own.
type reconciler struct {
	left     map[string]providers.Call
	checker  providers.Rechecker
	provider string
	live     bool
	tries    int
	results  chan error
	timer    *time.Timer
	retryC   <-chan time.Time
	// ctx is the provider's: a Recheck under way ends with it.
	ctx context.Context
	w   *writer
	log *slog.Logger
	say func(string)
	now func() time.Time
}

func newReconciler(p providers.Provider, left map[string]providers.Call, cfg Config, log *slog.Logger, w *writer) *reconciler {
	r := &reconciler{left: left, provider: p.Name(), results: make(chan error, 1), ctx: context.Background(),
		w: w, log: log, say: cfg.Say, now: cfg.Now}
	r.checker, _ = p.(providers.Rechecker)
	return r
}

// reported notes that the provider reported call id: it is its own again.
func (r *reconciler) reported(id string) { delete(r.left, id) }

// status starts the reconciliation the first time the provider is live.
func (r *reconciler) status(st providers.Status) {
	if r.live || st.Link != providers.LinkLive {
		return
	}
	r.live = true
	switch {
	case len(r.left) == 0:
	case r.checker == nil:
		r.endAll()
	default:
		r.recheck()
	}
}

// sorted lists the calls left, by id, so what is written is reproducible.
func (r *reconciler) sorted() []providers.Call {
	calls := slices.Collect(maps.Values(r.left))
	slices.SortFunc(calls, func(a, b providers.Call) int { return cmp.Compare(a.ID, b.ID) })
	return calls
}

// endAll writes every call left as ended while the relay was away.
func (r *reconciler) endAll() {
	now := r.now()
	calls := r.sorted()
	for _, c := range calls {
		r.w.call(*providers.CallEvent(now, providers.EndedUnwatched(c, now, AwayText)).Call)
	}
	r.left = nil
	r.log.Info("calls an earlier run left live ended: the provider does not report them", "calls", len(calls))
	r.say(fmt.Sprintf("%d call(s) an earlier run left live ended while the relay was away", len(calls)))
}

// recheck asks the provider about the calls left, in the background: it
// reports what it finds through its sink, as any event.
func (r *reconciler) recheck() {
	calls := r.sorted()
	r.tries++
	r.log.Info("asking the provider about the calls an earlier run left live", "calls", len(calls), "try", r.tries)
	go func() { r.results <- r.checker.Recheck(r.ctx, calls) }()
}

// checked takes Recheck's result: the calls it could not check are asked
// about again later, a few times, then left as they are.
func (r *reconciler) checked(err error) {
	if err == nil {
		if len(r.left) > 0 {
			r.log.Warn("the provider checked the calls an earlier run left but reported some of them not at all; left as they are", "calls", len(r.left))
		}
		r.left = nil
		return
	}
	if ids, ok := failedIDs(err); ok {
		again := map[string]providers.Call{}
		for _, id := range ids {
			if c, left := r.left[id]; left {
				again[id] = c
			}
		}
		r.left = again
	}
	if len(r.left) == 0 {
		return
	}
	if r.tries > len(recheckWaits) || r.ctx.Err() != nil {
		r.log.Warn("calls an earlier run left live could not be checked; left as they are", "calls", len(r.left), "err", err)
		r.say(fmt.Sprintf("%d call(s) an earlier run left live could not be checked (%v); left as they are", len(r.left), err))
		r.left = nil
		return
	}
	wait := recheckWaits[r.tries-1]
	r.log.Warn("some calls an earlier run left live could not be checked; asking again", "calls", len(r.left), "in", wait, "err", err)
	r.timer = time.NewTimer(wait)
	r.retryC = r.timer.C
}

// again asks about the calls still left, once their pause is over.
func (r *reconciler) again() {
	r.retryC = nil
	if len(r.left) > 0 {
		r.recheck()
	}
}

// stop drops a pending retry.
func (r *reconciler) stop() {
	if r.timer != nil {
		r.timer.Stop()
	}
	r.retryC = nil
}

// failedIDs are the calls a providers.RecheckError names as not checked;
// ok is false for an error that names none, which leaves every call to be
// asked about again.
func failedIDs(err error) ([]string, bool) {
	var named *providers.RecheckError
	if errors.As(err, &named) {
		return named.IDs(), true
	}
	return nil, false
}
