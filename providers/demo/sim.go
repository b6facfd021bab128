package demo

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"ringside/providers"
	"ringside/providers/ledger"
)

// The simulation is a discrete-event scheduler with no clock and no goroutine
// of its own: every method takes the time it happens at. advance(now) plays
// every event due by now, in time order, at the event's own instant; actions
// first advance to their time, then apply. Given the seed and the times it is
// handed, everything it does is fixed, so tests drive it with a fake clock
// and never sleep. The Provider wraps it in a lock and a timer loop.

type eventKind uint8

const (
	evArrival        eventKind = iota // a new call starts ringing
	evTimeout                         // a ringing call reaches its answer deadline
	evGiveUp                          // the caller hangs up while it rings
	evElsewhere                       // another agent in the queue takes it
	evMediaUp                         // an answered call's media is up: talking
	evMediaFail                       // an answered call's media never comes up
	evHold                            // the call is put on hold
	evRetrieve                        // the call is taken off hold
	evRemoteEnd                       // the far end ends the conversation
	evHoldQuit                        // the caller hangs up while on hold
	evTornDown                        // our hang-up has gone through
	evRedirected                      // our redirect has gone through: the call is gone
	evTransferred                     // the transfer target took the call
	evTransferFailed                  // the transfer target did not answer: the call stays
	evAgentReady                      // after-call work is over: the agent is ready again
)

type event struct {
	at    time.Time
	seq   uint64   // breaks ties in scheduling order, so equal times stay deterministic
	call  *simCall // nil for arrivals
	index int32    // position in the heap, for removal
	kind  eventKind
}

// eventQueue is a min-heap on (at, seq).
type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = int32(i), int32(j)
}
func (q *eventQueue) Push(x any) {
	e := x.(*event)
	e.index = int32(len(*q))
	*q = append(*q, e)
}
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	e.index = -1
	return e
}

// catchUp bounds how far behind the clock the arrival process may run. After
// a long pause (a laptop asleep, a stopped debugger) the calls that would
// have come and gone unseen are skipped rather than replayed in a burst.
const catchUp = time.Minute

type sim struct {
	seed   int64
	rate   float64 // arrivals per minute
	window time.Duration

	ledger   *ledger.Ledger
	calls    callIndex  // live calls
	ids      idArena    // the text of their ids
	order    []*simCall // calls in creation order, ended ones not yet dropped
	queue    eventQueue
	arrivals *rand.Rand // the arrival process's own stream
	pcg      *rand.PCG  // re-seeded for each call: see callStream
	rnd      *rand.Rand // draws from pcg
	serial   uint64     // serial of the last call created
	seq      uint64
	now      time.Time // never moves backwards

	// entering is the call enter is filing; putEntering, made once, copies
	// it in, sparing a closure per call.
	entering    providers.Call
	putEntering func(*providers.Call)

	// The agent at the console (agent.go): Ready at start; while not
	// ready, queues offer their calls to colleagues. agentBack is the
	// pending end of after-call work, nil when none is due. detail is the
	// live status's detail, repeated in every agent status.
	agent     providers.AgentChoice
	agentBack *event
	detail    string

	// moves are the transfers and redirects under way, by call id (a
	// call's moving flag says it has one); kept aside so that a simCall
	// stays small for a population of a million. Made on first use.
	moves map[string]*move

	quiet bool              // building the start-up population: record no events
	stamp time.Time         // the time of the change being recorded
	out   []providers.Event // changes since the last flush, in order
}

// newSim starts a simulation at start with population calls already there,
// with the default limit on live calls.
func newSim(name string, seed int64, rate float64, window time.Duration, start time.Time, population int) *sim {
	return newSimWith(name, seed, rate, window, start, population, ledger.Config{})
}

// newSimWith is newSim with the ledger configured by lc. The population
// comes on top of lc.MaxLive: the calls a demo starts with are what it was
// asked to show (--demo-calls), and filing them must neither evict any nor
// slow the start down.
func newSimWith(name string, seed int64, rate float64, window time.Duration, start time.Time, population int, lc ledger.Config) *sim {
	if lc.MaxLive <= 0 {
		lc.MaxLive = providers.DefaultMaxCalls
	}
	lc.MaxLive += population
	s := &sim{
		seed:     seed,
		rate:     rate,
		window:   window,
		calls:    callIndex{byHash: make(map[uint64]*simCall, population)},
		order:    make([]*simCall, 0, population),
		arrivals: rand.New(rand.NewPCG(mix(uint64(seed), 0, 3), mix(uint64(seed), 0, 4))),
		now:      start,
		pcg:      rand.NewPCG(0, 0),
		agent:    agentReady,
	}
	s.rnd = rand.New(s.pcg)
	// The ledger stamps what it evicts with the simulation's time of the
	// change that caused it, not the wall clock's.
	lc.Now = func() time.Time { return s.stamp }
	s.ledger = ledger.New(name, lc)
	s.putEntering = func(x *providers.Call) { *x = s.entering }
	s.populate(population)
	if rate > 0 {
		s.push(start.Add(s.interArrival()), evArrival, nil)
	}
	return s
}

// longestGap caps the gap between arrivals. A tiny rate draws gaps of
// centuries, beyond what a Duration holds; converted unchecked they would
// wrap round to nothing and calls would pour in.
const longestGap = 100 * 365 * 24 * time.Hour

// interArrival draws the gap to the next call of a Poisson process.
func (s *sim) interArrival() time.Duration {
	gap := s.arrivals.ExpFloat64() * 60 / s.rate * float64(time.Second)
	if gap >= float64(longestGap) {
		return longestGap
	}
	return max(time.Duration(gap).Round(time.Millisecond), time.Millisecond)
}

func (s *sim) push(at time.Time, kind eventKind, c *simCall) *event {
	s.seq++
	var e *event
	if c != nil {
		// A call has at most one pending event, so it carries its own.
		e = &c.slot
		*e = event{at: at, seq: s.seq, kind: kind, call: c}
	} else {
		e = &event{at: at, seq: s.seq, kind: kind}
	}
	if s.quiet {
		// Start-up population: the heap is built in one go afterwards.
		e.index = int32(len(s.queue))
		s.queue = append(s.queue, e)
	} else {
		heap.Push(&s.queue, e)
	}
	if c != nil {
		c.queued = true
	}
	return e
}

// schedule makes kind at at the one pending event of c.
func (s *sim) schedule(c *simCall, kind eventKind, at time.Time) {
	s.unschedule(c)
	s.push(at, kind, c)
}

func (s *sim) unschedule(c *simCall) {
	if c.queued {
		heap.Remove(&s.queue, int(c.slot.index))
		c.queued = false
	}
}

// enter files call, new to the ledger, as seen at t.
func (s *sim) enter(t time.Time, call providers.Call) {
	s.entering = call
	s.record(t, call.ID, s.putEntering)
	s.entering = providers.Call{}
}

// record applies change to call id in the ledger and keeps the new snapshot
// as an event at t.
func (s *sim) record(t time.Time, id string, change func(*providers.Call)) {
	s.stamp = t
	snap, changed := s.ledger.Update(id, change)
	if changed && !s.quiet {
		kept := snap // only what is kept goes to the heap
		s.out = append(s.out, providers.Event{Time: t, Call: &kept})
	}
	// A new call beyond the ledger's limit ended the one silent longest:
	// it leaves the simulation too, and the console hears of its end.
	for _, gone := range s.ledger.Evicted() {
		if c := s.calls.get(gone.ID); c != nil {
			s.retire(c)
		}
		if !s.quiet {
			s.out = append(s.out, providers.Event{Time: t, Call: &gone})
		}
	}
}

// flush hands over the changes recorded since the last flush.
func (s *sim) flush() []providers.Event {
	out := s.out
	s.out = nil
	return out
}

// next is when the next event is due; ok is false when nothing is scheduled.
func (s *sim) next() (at time.Time, ok bool) {
	if len(s.queue) == 0 {
		return time.Time{}, false
	}
	return s.queue[0].at, true
}

// advance plays every event due by now.
func (s *sim) advance(now time.Time) {
	if now.Before(s.now) {
		now = s.now
	}
	for len(s.queue) > 0 && !s.queue[0].at.After(now) {
		e := heap.Pop(&s.queue).(*event)
		if e.call != nil {
			e.call.queued = false
		}
		s.fire(e, now)
	}
	s.now = now
}

func (s *sim) fire(e *event, now time.Time) {
	c, t := e.call, e.at
	switch e.kind {
	case evArrival:
		if now.Sub(t) > catchUp {
			s.push(now.Add(s.interArrival()), evArrival, nil)
			return
		}
		s.arrive(t)
		s.push(t.Add(s.interArrival()), evArrival, nil)
	case evTimeout, evGiveUp:
		s.end(c, t, c.fateEnd.reason(), providers.OutcomeMissed)
	case evElsewhere:
		s.end(c, t, c.fateEnd.reason(), providers.OutcomeElsewhere)
	case evMediaUp, evRetrieve:
		s.setState(c, t, providers.StateActive)
		s.talk(c, t)
	case evMediaFail:
		s.end(c, t, EndMediaFailure, providers.OutcomeHandled)
	case evHold:
		s.setState(c, t, providers.StateHeld)
		s.hold(c, t)
	case evRemoteEnd:
		s.end(c, t, c.plan.remoteEnd.reason(), providers.OutcomeHandled)
	case evHoldQuit:
		s.end(c, t, c.plan.holdQuitEnd.reason(), providers.OutcomeHandled)
	case evTornDown:
		s.end(c, t, EndHungUp, providers.OutcomeHandled)
	case evRedirected, evTransferred:
		s.moveDone(c, t)
	case evTransferFailed:
		s.moveFailed(c, t)
	case evAgentReady:
		s.agentBack = nil
		s.setAgent(t, agentReady)
	}
}

// setState moves c to state at t, with what that state allows.
func (s *sim) setState(c *simCall, t time.Time, state providers.State) {
	c.become(state)
	caps := c.caps()
	s.record(t, c.id, func(x *providers.Call) {
		x.State = state
		x.Caps = caps
	})
}

// arrive starts a new ringing call at t.
func (s *sim) arrive(t time.Time) {
	s.serial++
	c, call, fateIn := s.drawCall(s.callStream(s.serial), false)
	if call.Queue != "" && s.agent.State != providers.AgentReady {
		// A queue offers its calls only to agents who are ready: this one
		// goes to a colleague, unseen. It was drawn all the same, so the
		// calls after it are the ones they would have been.
		return
	}
	s.ring(c, call, fateIn, t, t)
}

// ring enters c as a ringing call that arrived at arrived, at time now,
// whose fate strikes fateIn after it arrived.
func (s *sim) ring(c *simCall, call providers.Call, fateIn time.Duration, arrived, now time.Time) {
	c.become(providers.StateRinging)
	s.order = append(s.order, c)
	call.State = providers.StateRinging
	call.Arrived = arrived
	call.AnswerBy = arrived.Add(s.window)
	call.Caps = c.caps()
	s.calls.put(c)
	call.ID = c.id
	s.enter(now, call)
	fateAt := arrived.Add(fateIn)
	if fateAt.Before(now) {
		fateAt = now
	}
	s.schedule(c, c.fate, fateAt)
}

// talk schedules what comes next for a call that is talking from t: a hold,
// or the end of the conversation.
func (s *sim) talk(c *simCall, t time.Time) {
	p := &c.plan
	if p.holdIn > 0 && p.holdIn < p.remaining {
		s.schedule(c, evHold, t.Add(p.holdIn))
		return
	}
	p.holdIn = 0
	s.schedule(c, evRemoteEnd, t.Add(p.remaining))
}

// hold schedules the end of a hold that starts at t.
func (s *sim) hold(c *simCall, t time.Time) {
	p := &c.plan
	p.remaining -= p.holdIn
	p.holdIn = 0
	if p.quitAfter > 0 {
		s.schedule(c, evHoldQuit, t.Add(p.quitAfter))
		return
	}
	s.schedule(c, evRetrieve, t.Add(p.holdFor))
}

// end ends c at t.
func (s *sim) end(c *simCall, t time.Time, why providers.EndReason, outcome providers.Outcome) {
	s.retire(c)
	s.record(t, c.id, func(x *providers.Call) {
		x.State = providers.StateEnded
		x.Ended = t
		x.End = why
		x.Outcome = outcome
		x.Caps = 0
	})
}

// retire takes c out of the simulation: nothing more happens to it. A
// transfer or redirect still under way comes to nothing (only a call
// dropped for the live-call limit ends so: while a call moves, its move is
// the only event it has).
func (s *sim) retire(c *simCall) {
	if c.moving {
		s.settle(c, fmt.Errorf("the call was dropped before it reached %s: %w", s.moves[c.id].to, providers.ErrEnded))
	}
	s.unschedule(c)
	c.become(providers.StateEnded)
	s.calls.remove(c)
	if len(s.order) > 2*s.calls.len()+1024 {
		s.compact()
	}
}

// populate creates n calls already under way at s.now: a mix of ringing,
// connecting, talking and held calls, as a console that has been open a
// while would show. The first is always a fresh ringing queue call that can
// be rejected and rings out its whole window, so a test or a demo can rely
// on one call ringing right away.
func (s *sim) populate(n int) {
	if n <= 0 {
		return
	}
	s.quiet = true
	t0 := s.now
	for i := range n {
		s.serial++
		r := s.callStream(s.serial)
		c, call, fateIn := s.drawCall(r, i == 0)
		if i == 0 {
			s.ring(c, call, fateIn, t0, t0)
			continue
		}
		u, back := r.Float64(), r.Float64()
		if u < 0.18 {
			// Ringing for a while already: countdowns start staggered.
			arrived := t0.Add(-time.Duration(0.85 * back * float64(s.window)).Round(time.Millisecond))
			if c.fate != evTimeout {
				// The fate strikes in what is left of the window.
				frac := float64(fateIn) / float64(s.window)
				left := arrived.Add(s.window).Sub(t0)
				fateIn = t0.Sub(arrived) + time.Duration(frac*float64(left))
			}
			s.ring(c, call, fateIn, arrived, t0)
			continue
		}
		p := &c.plan
		ring := time.Duration((0.1 + 0.8*r.Float64()) * float64(s.window)).Round(time.Millisecond)
		var answered time.Time
		switch {
		case u < 0.20:
			answered = t0.Add(-time.Duration(back * float64(p.setup)).Round(time.Millisecond))
			c.become(providers.StateConnecting)
			kind := evMediaUp
			if p.mediaFails {
				kind = evMediaFail
			}
			s.schedule(c, kind, answered.Add(p.setup))
		case u < 0.32:
			onHold := time.Duration(back * float64(p.holdFor)).Round(time.Millisecond)
			talked := between(r, 10*time.Second, 4*time.Minute)
			answered = t0.Add(-onHold - talked - p.setup)
			c.become(providers.StateHeld)
			p.holdIn = 0
			if p.quitAfter > onHold {
				s.schedule(c, evHoldQuit, t0.Add(p.quitAfter-onHold))
			} else {
				s.schedule(c, evRetrieve, t0.Add(max(p.holdFor-onHold, time.Millisecond)))
			}
		default:
			talked := time.Duration(back * float64(p.remaining)).Round(time.Millisecond)
			answered = t0.Add(-talked - p.setup)
			c.become(providers.StateActive)
			p.remaining = max(p.remaining-talked, time.Millisecond)
			if p.holdIn > talked {
				p.holdIn -= talked
			} else {
				p.holdIn = 0
			}
			s.talk(c, t0)
		}
		call.State = c.state()
		call.Arrived = answered.Add(-ring)
		call.AnswerBy = call.Arrived.Add(s.window)
		call.Answered = answered
		call.Caps = c.caps()
		s.calls.put(c)
		s.order = append(s.order, c)
		call.ID = c.id
		s.enter(t0, call)
	}
	heap.Init(&s.queue)
	s.quiet = false
}

// compact drops ended calls from the creation order.
func (s *sim) compact() {
	s.order = slices.DeleteFunc(s.order, func(c *simCall) bool { return c.state() == providers.StateEnded })
}

// snapshot is every live call, oldest first.
func (s *sim) snapshot() []providers.Call { return s.snapshotOf(s.underWay()) }

// underWay is every live call, oldest first.
func (s *sim) underWay() []*simCall {
	s.compact()
	return slices.Clone(s.order)
}

// snapshotOf is the calls cs as the ledger has them now.
func (s *sim) snapshotOf(cs []*simCall) []providers.Call {
	out := make([]providers.Call, 0, len(cs))
	for _, c := range cs {
		if call, ok := s.ledger.Get(c.id); ok {
			out = append(out, call)
		}
	}
	return out
}

// Actions. Each advances to now first, so a call whose deadline passed is
// already over when the console's request is looked at.

func (s *sim) answer(now time.Time, id string) error {
	s.advance(now)
	c, err := s.live("answer", providers.ActionAnswer, id)
	if err != nil {
		return err
	}
	t := s.now
	c.become(providers.StateConnecting)
	s.record(t, id, func(x *providers.Call) {
		x.State = providers.StateConnecting
		x.Answered = t
		x.Caps = connectingCaps
	})
	kind := evMediaUp
	if c.plan.mediaFails {
		kind = evMediaFail
	}
	s.schedule(c, kind, t.Add(c.plan.setup))
	return nil
}

func (s *sim) reject(now time.Time, id string, reason providers.RejectReason) error {
	r, err := providers.CheckRejectReason(reason)
	if err != nil {
		return fmt.Errorf("reject call %s: %w", id, err)
	}
	s.advance(now)
	c, err := s.live("reject", providers.ActionReject, id)
	if err != nil {
		return err
	}
	s.end(c, s.now, rejectEnds[r], providers.OutcomeRejected)
	return nil
}

func (s *sim) hangup(now time.Time, id string) error {
	s.advance(now)
	c, err := s.live("hang up", providers.ActionHangup, id)
	if err != nil {
		return err
	}
	t := s.now
	if c.moving {
		// Hanging up while the target rings: the transfer is called off.
		s.settle(c, fmt.Errorf("%w: you hung up before %s took the call", errCalledOff, s.moves[c.id].to))
	}
	s.setState(c, t, providers.StateEnding)
	s.schedule(c, evTornDown, t.Add(c.plan.teardown))
	return nil
}

// live finds the call an action is for and checks that the action may be
// done now (providers.CheckAction), or says why not. The simulator knows
// every call there is, so one it does not know is not found.
func (s *sim) live(verb string, a providers.Action, id string) (*simCall, error) {
	call, known := s.ledger.Get(id)
	c := s.calls.get(id)
	if !known || (c == nil && call.State != providers.StateEnded) {
		return nil, fmt.Errorf("%s call %s: %w", verb, id, providers.ErrNotFound)
	}
	if err := providers.CheckAction(call, a, s.notOffered(c, a)); err != nil {
		return nil, fmt.Errorf("%s call %s: %w", verb, id, err)
	}
	return c, nil
}

// notOffered says why the simulator leaves an action out of a call's
// capabilities while its state would allow it: a call on its way elsewhere
// takes nothing but a hang-up, and, like Genesys, it offers reject only on
// calls a queue delivered.
func (s *sim) notOffered(c *simCall, a providers.Action) string {
	if c != nil && c.moving {
		m := s.moves[c.id]
		if m.redirect {
			return "the call is being redirected to " + m.to.String()
		}
		return "the call is being transferred to " + m.to.String() + "; hang up to call it off"
	}
	if a == providers.ActionReject {
		return "the call was dialled to you directly, not offered by a queue, so it cannot be rejected; answer it or let it ring out"
	}
	return ""
}
