package demo

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"ringside/providers"
)

// The console's hand on a connected or ringing call: redirect, transfer,
// hold and resume. Like answer and hang-up, each advances to its time, checks
// the call with providers.CheckAction, then changes it and schedules what
// follows as the call's one pending event. What an action leaves to chance
// (how long the target rings, whether they answer, how long a caller waits
// on hold) is drawn from the call's own action stream, so the same seed, the
// same clock and the same actions give the same events.

// Timings of what the console sets going.
const (
	// A redirect is a message to the platform, which re-routes the call
	// before anyone answers: gone within a second.
	redirectMin, redirectMax = 250 * time.Millisecond, 900 * time.Millisecond
	// A blind transfer rings the target; a target who answers does so
	// within a few seconds, and the call leaves us.
	transferRingMin, transferRingMax = 2 * time.Second, 6 * time.Second
	// TransferNoAnswer is how long a transfer target may ring before the
	// transfer fails and the call comes back: short enough that the
	// console hears of it within its default --action-timeout (15 s).
	TransferNoAnswer = 10 * time.Second
	// NoAnswerOdds: a transfer to a person (a user or a phone number)
	// goes unanswered one time in NoAnswerOdds. Queues and applications
	// always take the call: they answer for whoever is behind them.
	NoAnswerOdds = 8
	// A caller the agent put on hold waits this long before hanging up,
	// unless the agent comes back first.
	holdPatienceMin, holdPatienceMax = 45 * time.Second, 4 * time.Minute
)

// move is a transfer or redirect under way.
type move struct {
	to       providers.Target
	redirect bool
	// done hears once how it went: nil when the call has gone to the
	// target, an error in words when it stays with us or ended first.
	done chan error
}

// errNoAnswer is a transfer whose target did not answer: the call stays
// with the agent, connected.
var errNoAnswer = errors.New("no answer")

// errCalledOff is a transfer the agent called off by hanging up.
var errCalledOff = errors.New("the transfer was called off")

// actionStream is call c's random stream for what the console does to it:
// the n-th draw of this kind for a call depends only on the seed, the call
// and n, whatever happened to other calls. It re-seeds the simulation's one
// per-call generator, as callStream does.
func (s *sim) actionStream(c *simCall) *rand.Rand {
	c.acts++
	base := uint64(s.seed) ^ fnv64(c.id)
	s.pcg.Seed(mix(base, uint64(c.acts), 5), mix(base, uint64(c.acts), 6))
	return s.rnd
}

// fnv64 is the FNV-1a hash of s, spelled out so hashing an id allocates
// nothing.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// redirect sends a ringing call to to: it stops ringing here a moment later
// and ends as redirected, outcome transferred. It returns where the outcome
// will be told.
func (s *sim) redirect(now time.Time, id string, to providers.Target) (<-chan error, error) {
	if err := to.Validate(); err != nil {
		return nil, fmt.Errorf("redirect call %s: %w", id, err)
	}
	s.advance(now)
	c, err := s.live("redirect", providers.ActionRedirect, id)
	if err != nil {
		return nil, err
	}
	delay := between(s.actionStream(c), redirectMin, redirectMax)
	t := s.now
	s.unschedule(c) // its fate as a ringing call no longer comes
	done := s.startMove(c, t, &move{to: to, redirect: true})
	s.schedule(c, evRedirected, t.Add(delay))
	return done, nil
}

// transfer hands a connected call to to, blind: the call stays as it is
// (active or held, taking nothing but a hang-up) while the target rings,
// then ends as transferred, or comes back when the target does not answer
// (see NoAnswerOdds). It returns where the outcome will be told.
func (s *sim) transfer(now time.Time, id string, to providers.Target) (<-chan error, error) {
	if err := to.Validate(); err != nil {
		return nil, fmt.Errorf("transfer call %s: %w", id, err)
	}
	s.advance(now)
	c, err := s.live("transfer", providers.ActionTransfer, id)
	if err != nil {
		return nil, err
	}
	r := s.actionStream(c)
	ring, unanswered := between(r, transferRingMin, transferRingMax), r.IntN(NoAnswerOdds) == 0
	kind := evTransferred
	if unanswered && answeredByAPerson(to.Kind) {
		kind, ring = evTransferFailed, TransferNoAnswer
	}
	t := s.now
	s.stopScript(c, t)
	done := s.startMove(c, t, &move{to: to})
	s.schedule(c, kind, t.Add(ring))
	return done, nil
}

// answeredByAPerson reports whether a target of kind k is someone who may
// not pick up: a queue or an application answers for whoever is behind it.
func answeredByAPerson(k providers.TargetKind) bool {
	return k == providers.TargetUser || k == providers.TargetPhone
}

// startMove files m as c's move from t on: the call keeps its state but
// takes nothing more than a hang-up while it is under way.
func (s *sim) startMove(c *simCall, t time.Time, m *move) <-chan error {
	m.done = make(chan error, 1)
	if s.moves == nil {
		s.moves = make(map[string]*move)
	}
	s.moves[c.id] = m
	c.moving = true
	s.setState(c, t, c.state())
	return m.done
}

// settle tells the one waiting on c's move how it went and forgets the move.
func (s *sim) settle(c *simCall, err error) {
	m := s.moves[c.id]
	delete(s.moves, c.id)
	c.moving = false
	m.done <- err
}

// moveDone ends c at t: its redirect or transfer went through.
func (s *sim) moveDone(c *simCall, t time.Time) {
	m := s.moves[c.id]
	end := TransferEnd(m.to)
	if m.redirect {
		end = RedirectEnd(m.to)
	}
	s.settle(c, nil)
	s.end(c, t, end, providers.OutcomeTransferred)
}

// moveFailed brings c back at t: the transfer target did not answer. The
// call is as it was, active or on hold; an active call talks on where its
// script left off, a held one waits for the agent to come back.
func (s *sim) moveFailed(c *simCall, t time.Time) {
	m := s.moves[c.id]
	s.settle(c, fmt.Errorf("%w from %s within %s (500/7700, the transfer failed); the call is still yours, %s",
		errNoAnswer, m.to, TransferNoAnswer, stateWords(c.state())))
	s.setState(c, t, c.state())
	s.carryOn(c, t)
}

// stateWords names a connected call's state for an error.
func stateWords(st providers.State) string {
	if st == providers.StateHeld {
		return "on hold"
	}
	return string(st)
}

// holdCall puts an active call on hold for the agent. The caller waits a
// while (holdPatienceMin to holdPatienceMax) and hangs up if nobody comes
// back; a hold of the call's own script, if one was to come, is still to come.
func (s *sim) holdCall(now time.Time, id string) error {
	s.advance(now)
	c, err := s.live("hold", providers.ActionHold, id)
	if err != nil {
		return err
	}
	t := s.now
	s.stopScript(c, t)
	s.setState(c, t, providers.StateHeld)
	s.carryOn(c, t)
	return nil
}

// resumeCall takes a held call back, whoever put it on hold: the call talks
// on for the talk time its script has left.
func (s *sim) resumeCall(now time.Time, id string) error {
	s.advance(now)
	c, err := s.live("resume", providers.ActionResume, id)
	if err != nil {
		return err
	}
	t := s.now
	s.setState(c, t, providers.StateActive)
	s.talk(c, t)
	return nil
}

// carryOn schedules what comes next for c from t, in the hands of the
// agent again: an active call talks on, a held one waits for the agent for
// as long as its caller's patience lasts.
func (s *sim) carryOn(c *simCall, t time.Time) {
	if c.state() == providers.StateHeld {
		s.schedule(c, evHoldQuit, t.Add(between(s.actionStream(c), holdPatienceMin, holdPatienceMax)))
		return
	}
	s.talk(c, t)
}

// stopScript takes c's script in hand at t, for a hold or a transfer: the
// talk time still to come (and to the hold the script has ahead, if any)
// is kept for when it talks again; a hold of the script's own is over.
func (s *sim) stopScript(c *simCall, t time.Time) {
	if e := c.pending(); e != nil && c.state() == providers.StateActive {
		// Events due by t have been played, so left is above zero.
		p, left := &c.plan, e.at.Sub(t)
		switch e.kind {
		case evHold:
			p.remaining -= p.holdIn - left
			p.holdIn = left
		case evRemoteEnd:
			p.remaining = left
		}
	}
	s.unschedule(c)
}
