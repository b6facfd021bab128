package compact

import (
	"hash/maphash"
	"math"
	"slices"
	"time"

	"ringside/providers"
)

// Table shares the common parts of the calls packed with it. It is bounded:
// it remembers at most MaxShared parts, each with at most maxSharedText
// bytes of text, so that names sent from outside cannot make it hold much.
// A call whose part it does not remember gets a part of its own, which goes
// with the call.
type Table struct {
	seed   maphash.Seed
	byHash map[uint64][]*common
	n      int
}

// MaxShared is how many common parts a Table remembers at most.
const MaxShared = 4096

const (
	maxSharedText = 512 // bytes of text in a part that is remembered
	maxPerHash    = 4   // parts remembered under one hash (they differ in location only, or collide)
)

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{seed: maphash.MakeSeed(), byHash: make(map[uint64][]*common)}
}

// Shared is how many common parts the table remembers.
func (t *Table) Shared() int { return t.n }

// Pack packs c into dst. The common part dst had is used again when c has
// the same, as a call's next snapshot usually does, so that only a call's
// first snapshot looks anything up.
func (t *Table) Pack(dst *Call, c *providers.Call) {
	prev, mark := dst.ext, dst.Mark
	times, set, loc, oddTimes := packTimes(c)
	var o oddities
	o.times = oddTimes
	st := stateCode(c.State)
	if st == odd {
		o.state = c.State
	}
	oc := codeOf(outcomes[:], c.Outcome)
	if oc == odd {
		o.outcome = c.Outcome
	}
	kd := codeOf(kinds[:], c.From.Kind)
	if kd == odd {
		o.kind = c.From.Kind
	}
	var prevCommon *common
	if prev != nil {
		prevCommon = prev.k
	}
	*dst = Call{
		id: c.ID, from: [2]string{c.From.Name, c.From.ID}, times: times, version: c.Version,
		state: st, outcome: oc, kind: kd, set: set, caps: c.Caps, ringOut: c.RingOut, Mark: mark,
	}
	dst.ext = setExt(prev, t.share(prevCommon, c, loc), c.End, &c.Route, &o)
}

// maxSeconds bounds the times kept as nanoseconds: their UnixNano holds.
const maxSeconds = math.MaxInt64/int64(time.Second) - 1

// packTimes is c's times as nanoseconds, with the bits of those set and
// their one location; or, when one is outside plain range or they are in
// different locations, all four as they are, for the call to keep aside.
// Monotonic readings are dropped either way.
func packTimes(c *providers.Call) (ns [4]int64, set uint8, loc *time.Location, aside *[4]time.Time) {
	all := [4]*time.Time{&c.Arrived, &c.AnswerBy, &c.Answered, &c.Ended}
	for w, t := range all {
		if *t == (time.Time{}) {
			continue
		}
		s, l := t.Unix(), t.Location()
		if s <= -maxSeconds || s >= maxSeconds || (loc != nil && l != loc) {
			kept := [4]time.Time{c.Arrived.Round(0), c.AnswerBy.Round(0), c.Answered.Round(0), c.Ended.Round(0)}
			return [4]int64{}, 0, nil, &kept
		}
		loc = l
		ns[w] = s*int64(time.Second) + int64(t.Nanosecond())
		set |= 1 << w
	}
	return ns, set, loc, nil
}

// share is the common part for c whose times are in loc: prev if it is the
// same, nil if c has none of it, else the table's or a new one.
func (t *Table) share(prev *common, c *providers.Call, loc *time.Location) *common {
	if prev != nil && prev.is(c, loc) {
		return prev
	}
	if loc == nil && c.Provider == "" && c.Direction == "" && c.To.IsZero() && c.Queue == "" &&
		c.Region == "" && c.Modalities == nil {
		return nil
	}
	h := t.hash(c)
	for _, k := range t.byHash[h] {
		if k.is(c, loc) {
			return k
		}
	}
	k := &common{
		provider: c.Provider, direction: c.Direction, to: c.To, queue: c.Queue, region: c.Region,
		media: slices.Clone(c.Modalities), loc: loc,
	}
	k.plain.k = k
	if c.Modalities != nil && k.media == nil {
		k.media = []string{} // empty, not absent, as it was given
	}
	if t.n < MaxShared && len(t.byHash[h]) < maxPerHash && k.textLen() <= maxSharedText {
		t.byHash[h] = append(t.byHash[h], k)
		t.n++
	}
	return k
}

// is reports whether k is c's common part, with c's times in loc.
func (k *common) is(c *providers.Call, loc *time.Location) bool {
	return k.loc == loc && k.provider == c.Provider && k.direction == c.Direction && k.to == c.To &&
		k.queue == c.Queue && k.region == c.Region && (k.media == nil) == (c.Modalities == nil) &&
		slices.Equal(k.media, c.Modalities)
}

func (k *common) textLen() int {
	n := len(k.provider) + len(k.direction) + len(k.to.Name) + len(k.to.ID) + len(k.to.Kind) + len(k.queue) + len(k.region)
	for _, m := range k.media {
		n += len(m)
	}
	return n
}

func (t *Table) hash(c *providers.Call) uint64 {
	var h maphash.Hash
	h.SetSeed(t.seed)
	for _, s := range [...]string{c.Provider, string(c.Direction), c.To.Name, c.To.ID, string(c.To.Kind), c.Queue, c.Region} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	for _, m := range c.Modalities {
		h.WriteString(m)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// setExt is the ext of a call with common part k and an end, route and
// oddities of its own: nil when it has none of them, k's plain ext when it
// has nothing of its own, prev when that is the same, else a new one
// (sharing prev's route when it is the same: a call's route does not change
// as it ends).
func setExt(prev *ext, k *common, end providers.EndReason, route *providers.Route, o *oddities) *ext {
	hasRoute, hasOdd := !routeZero(route), *o != (oddities{})
	if end.IsZero() && !hasRoute && !hasOdd {
		if k == nil {
			return nil
		}
		return &k.plain
	}
	if prev != nil && prev.k == k && prev.end == end && routeOf(prev.route) == *route && sameOdd(prev.odd, o) {
		return prev
	}
	a := &ext{k: k, end: end}
	switch {
	case !hasRoute:
	case prev != nil && prev.route != nil && *prev.route == *route:
		a.route = prev.route
	default:
		r := *route
		a.route = &r
	}
	if hasOdd {
		kept := *o
		a.odd = &kept
	}
	return a
}

// routeZero is route.IsZero by the lengths of its texts: most calls have no
// route, and comparing its 304 bytes field by field took a third of Pack.
func routeZero(r *providers.Route) bool {
	empty := func(p *providers.Party) bool { return len(p.Name)|len(p.ID)|len(p.Kind) == 0 }
	return len(r.Kind) == 0 && empty(&r.Dialled) && empty(&r.RoutedTo) && empty(&r.OnBehalfOf) &&
		empty(&r.Transferor) && empty(&r.Observed) && empty(&r.Organizer) && len(r.SourceParticipant) == 0
}

// sameOdd reports whether kept holds the oddities o (nil kept: none).
func sameOdd(kept, o *oddities) bool {
	if kept == nil {
		return *o == (oddities{})
	}
	if kept.state != o.state || kept.outcome != o.outcome || kept.kind != o.kind || (kept.times == nil) != (o.times == nil) {
		return false
	}
	return kept.times == nil || *kept.times == *o.times
}
