package demo

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"ringside/providers"
)

// simCall is the simulation's side of one live call: what the ledger does
// not hold — its fate if nobody acts, its script once answered, and the one
// event pending for it. It is 128 bytes: a load demo keeps a million.
type simCall struct {
	id   string
	slot event // the call's one pending event, while queued says it is in the queue
	plan talkPlan

	st         phase
	fate       eventKind // what happens while it rings if nobody at the console acts: evTimeout, evGiveUp or evElsewhere
	fateEnd    endRef    // how the fate ends it
	acts       uint8     // draws made for the console's actions so far (actionStream)
	rejectable bool
	moving     bool // a transfer or redirect is under way (sim.moves holds it)
	queued     bool // slot is in the event queue
}

// pending is the call's pending event, or nil if none.
func (c *simCall) pending() *event {
	if c.queued {
		return &c.slot
	}
	return nil
}

// state is the call's state.
func (c *simCall) state() providers.State { return c.st.state() }

// become moves the call to state st.
func (c *simCall) become(st providers.State) { c.st = phaseOf(st) }

// callIndex finds a live call by its id. It is keyed by a hash of the id,
// which takes two thirds of the room a key of the id's string would: the
// simulation draws every id (drawCall), and draws again any whose hash a
// live call has, so that no two live calls share one.
type callIndex struct {
	byHash map[uint64]*simCall
}

func (x *callIndex) get(id string) *simCall {
	if c := x.byHash[fnv64(id)]; c != nil && c.id == id {
		return c
	}
	return nil
}

// taken reports whether a live call has id's hash (and so, perhaps, id).
func (x *callIndex) taken(id string) bool { return x.byHash[fnv64(id)] != nil }

func (x *callIndex) put(c *simCall) { x.byHash[fnv64(c.id)] = c }

func (x *callIndex) remove(c *simCall) {
	if h := fnv64(c.id); x.byHash[h] == c {
		delete(x.byHash, h)
	}
}

func (x *callIndex) len() int { return len(x.byHash) }

// phase is a call's state in a byte: its place in providers.States.
type phase uint8

func phaseOf(st providers.State) phase { return phase(slices.Index(providers.States, st)) }

func (p phase) state() providers.State { return providers.States[p] }

// talkPlan scripts an answered call. Durations are drawn when the call is
// created, so what the console does to one call never changes another
// call's future.
type talkPlan struct {
	setup       time.Duration // answer to media up
	remaining   time.Duration // talk time still to come, not counting hold
	holdIn      time.Duration // talk time before the hold; 0 when no hold is to come
	holdFor     time.Duration
	quitAfter   time.Duration // caller hangs up this long into the hold; 0 = waits it out
	teardown    time.Duration // our hang-up to the call being gone
	remoteEnd   endRef        // how the far end ends it
	holdQuitEnd endRef        // how a caller who gives up on hold ends it
	mediaFails  bool          // media never comes up
}

// callStream is the random stream of call serial, derived from the seed and
// the serial alone: the same seed always gives call n the same caller, fate
// and script, whatever happened to calls before it. It re-seeds the
// simulation's one per-call generator rather than allocating a new one:
// start-up creates up to a million calls.
func (s *sim) callStream(serial uint64) *rand.Rand {
	s.pcg.Seed(mix(uint64(s.seed), serial, 1), mix(uint64(s.seed), serial, 2))
	return s.rnd
}

// mix spreads seed, stream and word into an unrelated 64-bit state
// (splitmix64), so neighbouring serials get independent streams.
func mix(seed, stream, word uint64) uint64 {
	z := seed ^ stream*0x9e3779b97f4a7c15 ^ word*0xbf58476d1ce4e5b9
	z += 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	d := lo + time.Duration(r.Float64()*float64(hi-lo))
	return d.Round(time.Millisecond)
}

// weightedItem is anything drawn in proportion to its weight.
type weightedItem interface{ weightOf() int }

// totalWeight is the sum of the items' weights.
func totalWeight[T weightedItem](items []T) int {
	sum := 0
	for _, it := range items {
		sum += it.weightOf()
	}
	return sum
}

// weightedIndex is the index of the item n falls on, for n drawn from
// [0, totalWeight(items)): each item covers as many numbers as its weight.
func weightedIndex[T weightedItem](items []T, n int) int {
	for i, it := range items {
		if n < it.weightOf() {
			return i
		}
		n -= it.weightOf()
	}
	return len(items) - 1
}

// drawCall creates the caller, route and script of a call from its stream r
// (callStream), and how long after it arrives its fate strikes (timeouts:
// the window). patient makes a queue call that rings out its whole window:
// the first call of a start-up population, so tests and demos can count on
// it.
func (s *sim) drawCall(r *rand.Rand, patient bool) (c *simCall, call providers.Call, fateIn time.Duration) {
	c = &simCall{}
	call.Direction = providers.Incoming

	viaQueue := r.Float64() < 0.7 || patient
	rg := drawRegion(r)
	call.Region = rg.name
	who := r.Float64()
	var phone, direct bool
	switch {
	case viaQueue && who < 0.60, !viaQueue && who < 0.25:
		phone = true
		number := rg.phones[r.IntN(len(rg.phones))].draw(r)
		call.From = providers.Party{ID: number, Kind: providers.KindPhone}
		if r.Float64() < 0.35 {
			call.From.Name = callerIDNames[r.IntN(len(callerIDNames))]
		}
	case viaQueue && who < 0.93, !viaQueue && who < 0.95:
		name := rg.users[r.IntN(len(rg.users))]
		call.From = providers.Party{Name: name, ID: userIDs[name], Kind: providers.KindUser}
	default:
		name := rg.guests[r.IntN(len(rg.guests))]
		call.From = providers.Party{Name: name, ID: userIDs[name], Kind: providers.KindGuest}
	}
	if viaQueue {
		q := drawQueue(r)
		call.Queue = q.name
		call.To = providers.Party{Name: q.name, ID: q.id, Kind: providers.KindQueue}
	} else {
		direct = true
		call.To = Agent
	}
	// Like Genesys, only calls offered through a queue can be turned down:
	// the queue hands them to the next agent. A call dialled to you directly
	// can only be answered or left to ring.
	c.rejectable = viaQueue
	// The sets are shared and never written: the ledger copies a call's
	// modalities before any change and hands out copies.
	call.Modalities = drawModalities(r, phone)

	// Ids are 122 random bits; a clash is all but impossible, but a console
	// acting on the wrong call would be worse than the check. During start-up
	// the ledger holds only live calls, so the map is enough.
	for {
		c.id = s.ids.newID(r)
		if s.calls.taken(c.id) {
			continue
		}
		if !s.quiet {
			if _, known := s.ledger.Get(c.id); known {
				continue
			}
		}
		break
	}

	// The ring: who gives up, who is taken by a colleague, who rings out.
	// This console is one agent of a team, so a colleague picks up about
	// half of the queue's calls first, as a staffed queue does; the queues'
	// figures then read like a real wallboard's rather than all misses.
	fateU, giveUpAt, elsewhereAt := r.Float64(), 0.15+0.75*r.Float64(), 0.2+0.65*r.Float64()
	switch {
	case patient:
		c.fate = evTimeout
	case fateU < 0.22:
		c.fate, c.fateEnd = evGiveUp, refOf(giveUpEnd(phone, direct))
		fateIn = time.Duration(giveUpAt * float64(s.window))
	case viaQueue && fateU < 0.70:
		c.fate, c.fateEnd = evElsewhere, refOf(&EndAnsweredElsewhere)
		fateIn = time.Duration(elsewhereAt * float64(s.window))
	default:
		c.fate = evTimeout
	}
	if c.fate == evTimeout {
		fateIn, c.fateEnd = s.window, refOf(&EndTimedOut)
	}

	// The conversation, should someone answer.
	p := &c.plan
	p.setup = between(r, 400*time.Millisecond, 1500*time.Millisecond)
	p.mediaFails = r.Float64() < 0.015
	// Talk time is log-normal: most calls take a few minutes, a few drag on.
	talk := math.Exp(math.Log(150) + 0.8*r.NormFloat64())
	p.remaining = (time.Duration(min(max(talk, 12), 40*60) * float64(time.Second))).Round(time.Millisecond)
	holds, holdFrac := r.Float64() < 0.25, 0.2+0.5*r.Float64()
	p.holdFor = between(r, 8*time.Second, 75*time.Second)
	quits, quitFrac := r.Float64() < 0.12, 0.3+0.6*r.Float64()
	if holds {
		p.holdIn = max(time.Duration(holdFrac*float64(p.remaining)).Round(time.Millisecond), time.Millisecond)
		if quits {
			p.quitAfter = max(time.Duration(quitFrac*float64(p.holdFor)).Round(time.Millisecond), time.Millisecond)
		}
	}
	endU := r.Float64()
	switch {
	case phone:
		p.remoteEnd, p.holdQuitEnd = refOf(pick(endU, pstnEnds)), refOf(&endPSTNOnHold)
	case direct:
		p.remoteEnd, p.holdQuitEnd = refOf(pick(endU, directEnds)), refOf(&endOtherOnHold)
	default:
		p.remoteEnd, p.holdQuitEnd = refOf(pick(endU, queueEnds)), refOf(&endOtherOnHold)
	}
	p.teardown = between(r, 150*time.Millisecond, 650*time.Millisecond)
	return c, call, fateIn
}

func giveUpEnd(phone, direct bool) *providers.EndReason {
	switch {
	case phone:
		return &endPSTNGaveUp
	case direct:
		return &endGaveUpP2P
	}
	return &endGaveUp
}

// What may be done to a call, by state. A call on its way elsewhere takes
// nothing while it rings (the redirect has gone out) and only a hang-up
// once connected (which calls the transfer off).
var (
	connectingCaps = providers.Caps(providers.ActionHangup)
	activeCaps     = providers.Caps(providers.ActionHangup, providers.ActionTransfer, providers.ActionHold)
	heldCaps       = providers.Caps(providers.ActionHangup, providers.ActionTransfer, providers.ActionResume)
	movingCaps     = providers.Caps(providers.ActionHangup)
)

// caps is what may be done to c now, in its state.
func (c *simCall) caps() providers.Capabilities {
	switch c.state() {
	case providers.StateRinging:
		if c.moving {
			return 0
		}
		return c.ringingCaps()
	case providers.StateConnecting:
		return connectingCaps
	case providers.StateActive, providers.StateHeld:
		switch {
		case c.moving:
			return movingCaps
		case c.state() == providers.StateActive:
			return activeCaps
		}
		return heldCaps
	}
	return 0
}

// ringingCaps is what may be done to a ringing call: answer it, send it on,
// and reject it where a queue offered it.
func (c *simCall) ringingCaps() providers.Capabilities {
	if c.rejectable {
		return providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionRedirect)
	}
	return providers.Caps(providers.ActionAnswer, providers.ActionRedirect)
}
