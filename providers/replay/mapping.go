package replay

import (
	"container/list"
	"fmt"
	"math"
	"strconv"
	"time"

	"ringside/providers"
	"ringside/providers/record"
)

// clock maps the recording's time to this replay's: the recorded moment
// origin (the recording's start, plus --from) is base, now or when the pass
// began, and every interval from it is divided by the speed. Times in calls
// (arrived, answer by, answered, ended) and events go through the same map,
// so a 15 s answer window at --speed 4 lasts 3.75 s of wall time, and its
// countdown runs as it did, four times as fast.
type clock struct {
	base   time.Time
	origin time.Time
	speed  float64
}

// at is recorded time t in this replay; a zero time stays zero.
func (m clock) at(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return m.base.Add(m.scale(t.Sub(m.origin)))
}

// scale is d of the recording in wall time, within what a Duration holds.
func (m clock) scale(d time.Duration) time.Duration {
	f := float64(d) / m.speed
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(f)
}

// keepEnded is how many ended calls a pass remembers: the history shown
// when starting --from somewhere, and the calls an action is refused on as
// ended rather than unknown. It is the console's own history.
const keepEnded = 10000

// pass is one play of the recording, from --from to its end. Its state is
// the calls as the recording has them so far, and what actions changed.
// Every field is guarded by the provider's lock once Run has published it.
type pass struct {
	n     int
	clock clock
	max   int // most live calls (--max-calls)

	live  map[string]*list.Element // call id → its element in order
	order *list.List               // live calls (*providers.Call), least recently changed first

	ended      map[string]providers.Call
	endedOrder []string // ids of ended, oldest first

	// acted: calls the console acted on (--replay-act); the recording's
	// later events for them are skipped.
	acted map[string]bool
	steps []step // simulated changes still to come

	status *providers.Status // the last status recorded, as recorded
	last   time.Time         // when the last line played (Run's alone)
}

func newPass(n int, c clock, maxLive int) *pass {
	return &pass{
		n: n, clock: c, max: maxLive,
		live: make(map[string]*list.Element), order: list.New(),
		ended: make(map[string]providers.Call), acted: make(map[string]bool),
	}
}

// id is a recorded call id in this pass: the same on the first, suffixed
// "_loopN" on the Nth, so that the console takes each pass's calls as new
// ones rather than older versions of calls it has seen end. The suffix is
// within CheckCallID's alphabet; a long id gives way at its front.
func (ps *pass) id(recorded string) string {
	if ps.n == 1 {
		return recorded
	}
	suffix := "_loop" + strconv.Itoa(ps.n)
	if len(recorded)+len(suffix) > providers.MaxCallIDLen {
		recorded = recorded[len(recorded)+len(suffix)-providers.MaxCallIDLen:]
	}
	return recorded + suffix
}

// call is a recorded call as this pass shows it: its id for the pass, its
// times moved.
func (ps *pass) call(c providers.Call) providers.Call {
	c = c.Clone()
	c.ID = ps.id(c.ID)
	m := ps.clock
	c.Arrived, c.AnswerBy, c.Answered, c.Ended = m.at(c.Arrived), m.at(c.AnswerBy), m.at(c.Answered), m.at(c.Ended)
	return c
}

// get is the call id as the pass has it now, live or among the ended it
// remembers.
func (ps *pass) get(id string) (providers.Call, bool) {
	if e, ok := ps.live[id]; ok {
		return *e.Value.(*providers.Call), true
	}
	c, ok := ps.ended[id]
	return c, ok
}

// store files c as the latest of its call. A new live call beyond the
// --max-calls bound ends the call that has gone longest without a change,
// as a provider's ledger does; that end is returned, to be sent first.
func (ps *pass) store(c providers.Call, at time.Time) (evicted *providers.Call) {
	if e, ok := ps.live[c.ID]; ok {
		if c.State == providers.StateEnded {
			ps.order.Remove(e)
			delete(ps.live, c.ID)
			ps.remember(c)
			return nil
		}
		*e.Value.(*providers.Call) = c
		ps.order.MoveToBack(e)
		return nil
	}
	if c.State == providers.StateEnded {
		ps.remember(c)
		return nil
	}
	if len(ps.live) >= ps.max {
		oldest := ps.order.Front()
		victim := *oldest.Value.(*providers.Call)
		ps.order.Remove(oldest)
		delete(ps.live, victim.ID)
		gone := providers.EndedUnwatched(victim, at, fmt.Sprintf("Dropped: more than %d live calls (--max-calls).", ps.max))
		ps.remember(gone)
		evicted = &gone
	}
	cp := c
	ps.live[c.ID] = ps.order.PushBack(&cp)
	return evicted
}

// remember keeps an ended call, forgetting the oldest beyond keepEnded.
func (ps *pass) remember(c providers.Call) {
	if _, ok := ps.ended[c.ID]; !ok {
		if len(ps.endedOrder) >= keepEnded {
			delete(ps.ended, ps.endedOrder[0])
			ps.endedOrder = ps.endedOrder[1:]
		}
		ps.endedOrder = append(ps.endedOrder, c.ID)
	}
	ps.ended[c.ID] = c
}

// apply takes one recorded entry into the pass and returns what to send
// for it (nothing for an action line, nor for a call the console acted on).
// status words a status line as the replay shows it.
func (ps *pass) apply(e record.Entry, status func(providers.Status) providers.Status) []providers.Event {
	at := ps.clock.at(e.Time)
	switch {
	case e.Call != nil:
		c := ps.call(*e.Call)
		if ps.acted[c.ID] {
			return nil
		}
		var evs []providers.Event
		if gone := ps.store(c, at); gone != nil {
			evs = append(evs, providers.CallEvent(at, *gone))
		}
		return append(evs, providers.CallEvent(at, c))
	case e.Status != nil:
		st := *e.Status
		ps.status = &st
		return []providers.Event{providers.StatusEvent(at, status(st))}
	}
	return nil // an action line: what was done shows in the calls
}

// state is the pass as it stands, to send at once when it starts part of
// the way in (--from): the last status, the ended calls remembered, then
// the live ones, all at base.
func (ps *pass) state(status func(providers.Status) providers.Status) []providers.Event {
	at := ps.clock.base
	evs := make([]providers.Event, 0, len(ps.endedOrder)+len(ps.live)+1)
	if ps.status != nil {
		evs = append(evs, providers.StatusEvent(at, status(*ps.status)))
	}
	for _, id := range ps.endedOrder {
		evs = append(evs, providers.CallEvent(at, ps.ended[id]))
	}
	for e := ps.order.Front(); e != nil; e = e.Next() {
		evs = append(evs, providers.CallEvent(at, *e.Value.(*providers.Call)))
	}
	return evs
}

// finish ends every call still live at the end of a pass that will be
// played again: the recording stops there, and the next pass's calls are
// others, so these would otherwise stay on the console for ever.
func (ps *pass) finish(at time.Time) []providers.Event {
	var evs []providers.Event
	for e := ps.order.Front(); e != nil; e = e.Next() {
		c := providers.EndedUnwatched(*e.Value.(*providers.Call), at, "The recording ends here; the replay starts again")
		evs = append(evs, providers.CallEvent(at, c))
	}
	ps.order.Init()
	clear(ps.live)
	ps.steps = nil
	return evs
}
