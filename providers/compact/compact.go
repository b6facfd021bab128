// Package compact keeps calls the way a store that holds many of them needs
// them: small. A providers.Call is 696 bytes, and most of them go to what is
// empty (the route always on most sources, the end while the call lives) or
// the same for many calls (the provider, the callee, the queue, the region,
// the media, the time zone). A Call here keeps what differs from call to
// call in 104 bytes, shares the rest through a Table, and keeps what few
// calls have (a route, an end, a value outside the contract's sets) aside.
// The provider's ledger and the console's store hold their calls this way,
// so that a hundred thousand live calls fit in a few tens of megabytes.
//
// Packing keeps every field as it was with one exception: a time keeps its
// wall clock and its location, not a monotonic clock reading, just as a
// time that came over a wire or from another process has none. Times are
// compared by their wall clocks then, which only a clock stepped by hand
// (or by NTP) tells apart.
//
// A Call is a value: copying it is cheap and copies share what they point
// to, which is never changed once made. A Table is not safe for concurrent
// use; its owner packs under its own lock.
package compact

import (
	"math"
	"slices"
	"time"

	"ringside/providers"
)

// Call is a providers.Call packed. The zero Call is the zero providers.Call.
type Call struct {
	id      string
	from    [2]string // From.Name, From.ID
	times   [4]int64  // Arrived, AnswerBy, Answered, Ended: nanoseconds since 1970 by the wall clock
	version uint64
	ext     *ext // what the call shares with others and what few calls have; nil for none of either
	state   code
	outcome code
	kind    code  // From.Kind
	set     uint8 // bit w: time w is set (not zero)
	caps    providers.Capabilities
	ringOut providers.RingOut // kept as it is: a byte of what was padding

	// Mark is a byte for whoever holds the call, for flags of its own (a
	// store's "ended", "listed"): it takes what would be padding, so that
	// a holder of a call and a few words stays within a size class. Pack
	// leaves it as it was, and Same and SameText do not look at it.
	Mark uint8
}

// Which names one of a call's four times.
type Which uint8

const (
	Arrived Which = iota
	AnswerBy
	Answered
	Ended
)

// common is the part of a call that many calls share: a queue's calls on one
// source have the same provider, direction, callee, queue, region, media and
// time zone. It is never changed once made.
type common struct {
	provider  string
	direction providers.Direction
	to        providers.Party
	queue     string
	region    string
	media     []string
	loc       *time.Location // every time the call has is in it; nil when it has none
	plain     ext            // the ext of every call with this part and nothing of its own
}

// ext is a call's common part and what few calls have of their own: an
// end, a route, odd values. Calls with nothing of their own share their
// common part's plain ext, so that a call needs one pointer for both. It is
// never changed once made.
type ext struct {
	k     *common // nil when none of the common part is set
	end   providers.EndReason
	route *providers.Route // nil for the zero route
	odd   *oddities        // nil when every value is in the usual sets
}

// oddities are values the packed form has no room for: a state, outcome or
// kind the contract does not name, and times outside plain range or in
// different locations, kept as they were (less the monotonic reading).
type oddities struct {
	state   providers.State
	outcome providers.Outcome
	kind    providers.PartyKind
	times   *[4]time.Time
}

// code is a value's place in its set; odd says the value is kept aside.
type code uint8

const odd code = math.MaxUint8

var (
	states = [...]providers.State{"", providers.StateRinging, providers.StateConnecting,
		providers.StateActive, providers.StateHeld, providers.StateEnding, providers.StateEnded}
	outcomes = [...]providers.Outcome{providers.OutcomeNone, providers.OutcomeHandled, providers.OutcomeRejected,
		providers.OutcomeMissed, providers.OutcomeElsewhere, providers.OutcomeTransferred}
	kinds = [...]providers.PartyKind{providers.KindUnknown, providers.KindUser, providers.KindApplication,
		providers.KindPhone, providers.KindQueue, providers.KindGuest}
)

// codeOf is v's place in set, or odd.
func codeOf[T ~string](set []T, v T) code {
	for i, s := range set {
		if s == v {
			return code(i)
		}
	}
	return odd
}

// stateCode is a state's code; the states a call is in most are tried first.
func stateCode(s providers.State) code {
	switch s {
	case providers.StateActive:
		return 3
	case providers.StateRinging:
		return 1
	}
	return codeOf(states[:], s)
}

// ID is the call's id.
func (c *Call) ID() string { return c.id }

// Version is the call's version.
func (c *Call) Version() uint64 { return c.version }

// RingOut is what the switch does to the agent if the call rings out.
func (c *Call) RingOut() providers.RingOut { return c.ringOut }

// Caps is what may be done to the call now.
func (c *Call) Caps() providers.Capabilities { return c.caps }

// State is the call's state.
func (c *Call) State() providers.State {
	if c.state == odd {
		return c.ext.odd.state
	}
	return states[c.state]
}

// shared is the call's common part, nil for none.
func (c *Call) shared() *common {
	if c.ext == nil {
		return nil
	}
	return c.ext.k
}

// Queue is the queue the call came through, if any.
func (c *Call) Queue() string {
	if k := c.shared(); k != nil {
		return k.queue
	}
	return ""
}

// Provider is the source the call came from.
func (c *Call) Provider() string {
	if k := c.shared(); k != nil {
		return k.provider
	}
	return ""
}

// From is the caller.
func (c *Call) From() providers.Party {
	p := providers.Party{Name: c.from[0], ID: c.from[1]}
	if c.kind == odd {
		p.Kind = c.ext.odd.kind
	} else {
		p.Kind = kinds[c.kind]
	}
	return p
}

// End is why the call ended, if it has.
func (c *Call) End() providers.EndReason {
	if c.ext == nil {
		return providers.EndReason{}
	}
	return c.ext.end
}

// Outcome is the outcome the provider set, if any (Result derives one).
func (c *Call) Outcome() providers.Outcome {
	if c.outcome == odd {
		return c.ext.odd.outcome
	}
	return outcomes[c.outcome]
}

// Result is the call's outcome as providers.Call.Result gives it, from the
// fields it reads (the state, the outcome set, whether it was answered)
// without unpacking the rest.
func (c *Call) Result() providers.Outcome {
	probe := providers.Call{State: c.State(), Outcome: c.Outcome()}
	if c.HasTime(Answered) {
		probe.Answered = c.Time(Answered)
	}
	return providers.ResultOf(&probe)
}

// Time is one of the call's times.
func (c *Call) Time(w Which) time.Time {
	if c.oddTimes() {
		return c.ext.odd.times[w]
	}
	if c.set&(1<<w) == 0 {
		return time.Time{}
	}
	return time.Unix(0, c.times[w]).In(c.ext.k.loc)
}

// Nanos is one of the call's times as nanoseconds since 1970 (as
// time.Time.UnixNano gives them), 0 for the zero time: what a sort key needs,
// read without making the time.
func (c *Call) Nanos(w Which) int64 {
	if c.oddTimes() {
		if t := c.ext.odd.times[w]; !t.IsZero() {
			return t.UnixNano()
		}
		return 0
	}
	if c.set&(1<<w) == 0 {
		return 0
	}
	return c.times[w]
}

// HasTime reports whether one of the call's times is set (not zero).
func (c *Call) HasTime(w Which) bool {
	if c.oddTimes() {
		return !c.ext.odd.times[w].IsZero()
	}
	return c.set&(1<<w) != 0
}

// Unpack writes the call into dst, every field replaced. dst.Modalities is
// shared with every call of the same media: read it, or clone it before
// changing it.
func (c *Call) Unpack(dst *providers.Call) {
	*dst = providers.Call{
		ID:      c.id,
		State:   c.State(),
		From:    c.From(),
		Version: c.version,
		Caps:    c.caps,
		RingOut: c.ringOut,
	}
	dst.Outcome = c.Outcome()
	e := c.ext
	if e == nil {
		return
	}
	if k := e.k; k != nil {
		dst.Provider, dst.Direction, dst.To = k.provider, k.direction, k.to
		dst.Queue, dst.Region, dst.Modalities = k.queue, k.region, k.media
	}
	dst.End = e.end
	if e.route != nil {
		dst.Route = *e.route
	}
	if e.odd != nil && e.odd.times != nil {
		t := e.odd.times
		dst.Arrived, dst.AnswerBy, dst.Answered, dst.Ended = t[0], t[1], t[2], t[3]
		return
	}
	if c.set == 0 {
		return
	}
	for w, at := range [...]*time.Time{&dst.Arrived, &dst.AnswerBy, &dst.Answered, &dst.Ended} {
		if c.set&(1<<w) != 0 {
			*at = time.Unix(0, c.times[w]).In(e.k.loc)
		}
	}
}

// Call is the call unpacked, its media a copy of its own.
func (c *Call) Call() providers.Call {
	var out providers.Call
	c.Unpack(&out)
	out.Modalities = slices.Clone(out.Modalities)
	return out
}

// Same reports whether a and b are the same snapshot of a call: every field
// equal but the version, times compared as instants (as time.Time.Equal
// does), so that a time given again in another zone changes nothing.
func Same(a, b *Call) bool {
	if a.id != b.id || a.from != b.from || a.state != b.state || a.outcome != b.outcome ||
		a.kind != b.kind || a.caps != b.caps || a.ringOut != b.ringOut || !sameCommon(a.shared(), b.shared()) || !sameOwn(a.ext, b.ext) {
		return false
	}
	if !a.oddTimes() && !b.oddTimes() {
		return a.set == b.set && a.times == b.times
	}
	for w := range a.times {
		if !a.Time(Which(w)).Equal(b.Time(Which(w))) {
			return false
		}
	}
	return true
}

// oddTimes reports whether the call's times are kept aside.
func (c *Call) oddTimes() bool {
	return c.ext != nil && c.ext.odd != nil && c.ext.odd.times != nil
}

// SameText reports whether a and b read the same wherever a call is shown
// as text: every field equal but the version, what may be done and the
// times, of which only whether AnswerBy and Answered are set counts (a
// deadline is shown as a countdown, an answer as an outcome).
func SameText(a, b *Call) bool {
	return a.id == b.id && a.from == b.from && a.state == b.state && a.outcome == b.outcome &&
		a.kind == b.kind && a.ringOut == b.ringOut && sameCommon(a.shared(), b.shared()) && sameOwn(a.ext, b.ext) &&
		a.HasTime(AnswerBy) == b.HasTime(AnswerBy) && a.HasTime(Answered) == b.HasTime(Answered)
}

// SameButState reports whether a and b differ at most in their version,
// what may be done, their state, their outcome, their end, their times and
// what the switch does if they ring out: in what a call keeps as it rings,
// is answered, held and ended, and in nothing a filter searches.
func SameButState(a, b *Call) bool {
	if a.id != b.id || a.from != b.from || a.kind != b.kind || !sameCommon(a.shared(), b.shared()) {
		return false
	}
	var za, zb ext
	if a.ext != nil {
		za = *a.ext
	}
	if b.ext != nil {
		zb = *b.ext
	}
	if routeOf(za.route) != routeOf(zb.route) {
		return false
	}
	return a.kind != odd || za.odd.kind == zb.odd.kind
}

// sameCommon compares the shared parts by value, the location left out
// (times are compared as instants).
func sameCommon(a, b *common) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		x := a
		if x == nil {
			x = b
		}
		return x.provider == "" && x.direction == "" && x.to.IsZero() && x.queue == "" && x.region == "" && len(x.media) == 0
	}
	return a.provider == b.provider && a.direction == b.direction && a.to == b.to && a.queue == b.queue &&
		a.region == b.region && slices.Equal(a.media, b.media)
}

// sameOwn compares what two calls have of their own by value, odd times
// left out (Same compares them).
func sameOwn(a, b *ext) bool {
	if a == b {
		return true
	}
	var za, zb ext
	if a != nil {
		za = *a
	}
	if b != nil {
		zb = *b
	}
	if za.end != zb.end || routeOf(za.route) != routeOf(zb.route) {
		return false
	}
	var oa, ob oddities
	if za.odd != nil {
		oa = *za.odd
	}
	if zb.odd != nil {
		ob = *zb.odd
	}
	return oa.state == ob.state && oa.outcome == ob.outcome && oa.kind == ob.kind
}

func routeOf(r *providers.Route) providers.Route {
	if r == nil {
		return providers.Route{}
	}
	return *r
}
