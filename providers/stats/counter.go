package stats

import (
	"math"
	mathbits "math/bits"
	"time"
	"unsafe"

	"ringside/providers"
	"ringside/providers/textsafe"
)

// Counter keeps the figures per queue, fed call snapshots by Apply. See the
// package documentation for what each figure counts.
type Counter struct {
	cfg       Config
	minutes   int64 // buckets in the window
	since     int64 // Config.Since as nanoseconds since 1970; math.MinInt64 when zero
	threshold int64
	grace     time.Duration

	index index    // call id → its slot in recs
	recs  []record // what each call adds, and what finds it
	links []link   // each call's places in heaps and lists, by the same slot
	free  []Handle // slots of recs to reuse, with the generation of their next call
	// The calls remembered, longest first (for the cap), and the ended ones
	// in the order they ended (to forget once out of the window).
	oldest, newest       int32
	endOldest, endNewest int32

	queues []queue
	byName map[string]int32 // queue name → its index in queues
	sorted []int32          // queue indexes by name

	head      int64 // the latest minute seen (an arrival, or a snapshot's time); math.MinInt64 before any
	forgotten int   // calls forgotten early, past Config.MaxCalls
	asked     int64 // the latest minute a snapshot was asked for

	warm uint64 // where ApplyAll's reads ahead go, so that they are made
}

// nowKind is where a call counts in the figures of now.
type nowKind uint8

const (
	nowNone nowKind = iota
	nowWaiting
	nowTalking
	nowHeld
	nowEnded // counts in no figure of now
)

// The counts one call adds to the bucket of the minute it arrived, one
// each: bit i of facts.counts adds 1 to bucket.n[i].
const (
	nOffered = iota
	nAnswered
	nWithin
	nAbandoned
	nShort
	nRejected
	nTransferred
	nSLStatic // answered, rejected or abandoned (not short): counted for SL whatever the time
	nHandled  // answered and ended: in the AHT
	nOverdue  // buckets only: ringing, never answered, past the threshold at the last snapshot
	nCounts
)

// facts is everything one snapshot of a call adds to the figures. It is
// 32 bytes, so that a record fits one cache line (see record).
type facts struct {
	queue     int16 // -1: it counts nowhere (not an incoming call); MaxQueues fits
	now       nowKind
	known     bool   // its arrival is known
	window    bool   // in the window's figures: arrival known and not before Since
	ringingSL bool   // in the window, ringing and never answered: it may pass the threshold
	counts    uint16 // what it adds to its minute's counts (nOffered…)
	arrived   int64  // nanoseconds since 1970
	speed     time.Duration
	handle    time.Duration
}

// ended reports whether the call's state is ended.
func (f *facts) ended() bool { return f.now == nowEnded }

// minute is the minute the call arrived in (when known).
func (f *facts) minute() int64 { return floorDiv(f.arrived, int64(time.Minute)) }

// record is what a Counter remembers of one call that most snapshots of it
// read or write (a lookup, the version check, what it adds): one cache line.
// Its places in heaps and lists, touched only when it starts or stops
// ringing, ends, or is forgotten, are its link, in a slice of their own: 96
// bytes a call in all.
type record struct {
	key     key // what the index knows it by
	version uint64
	f       facts  // what its latest snapshot added
	gen     uint32 // how many calls the slot has held before this one (see Handle)
	overdue bool   // in the overdue heap, not the young one (when slPos >= 0)
	inEnded bool
	_       [2]byte
}

// link is where the call at a slot is in its queue's heaps and in the
// Counter's lists.
type link struct {
	// Positions in the queue's heaps, -1 when not in them: ringPos in the
	// heap of ringing calls (the longest wait), slPos in the young or the
	// overdue heap (record.overdue says which).
	ringPos, slPos   int32
	prev, next       int32 // remembered order
	endPrev, endNext int32 // ended order
	endedAt          int64 // the latest minute seen when it ended
}

// A record is one cache line exactly, and two links share one; a queue's
// number fits facts.queue.
var (
	_ [64 - unsafe.Sizeof(record{})]byte
	_ [unsafe.Sizeof(record{}) - 64]byte
	_ [32 - unsafe.Sizeof(link{})]byte
	_ [math.MaxInt16 - MaxQueues - 1]byte
)

// bucket is one minute of one queue: the calls that arrived in it.
type bucket struct {
	minute        int64
	n             [nCounts]int32
	speed, handle wide
}

// add adds what f adds (sign 1), or takes it back (sign -1).
func (b *bucket) add(f *facts, sign int32) {
	for bits := f.counts; bits != 0; bits &= bits - 1 {
		b.n[mathbits.TrailingZeros16(bits)] += sign
	}
	if sign > 0 {
		b.speed.add(f.speed)
		b.handle.add(f.handle)
	} else {
		b.speed.sub(f.speed)
		b.handle.sub(f.handle)
	}
}

// queue is one queue's figures: the buckets of the window in a ring, the
// counts of now, and its ringing calls by arrival.
type queue struct {
	name                   string
	buckets                []bucket // minute m is in buckets[m mod len]
	waiting, talking, held int
	ringing                arrivalHeap // every ringing call with a known arrival, earliest on top
	young                  arrivalHeap // window calls ringing, under the threshold at the last snapshot, earliest on top
	overdue                arrivalHeap // window calls ringing past the threshold at the last snapshot, latest on top
}

// bucketAt is the bucket of minute m, or nil when it has dropped off.
func (q *queue) bucketAt(m int64) *bucket {
	b := &q.buckets[floorMod(m, int64(len(q.buckets)))]
	if b.minute != m {
		return nil
	}
	return b
}

// bucketFor is the bucket of minute m, which replaces an older minute in
// its place; nil when a later minute holds the place (m has dropped off).
func (q *queue) bucketFor(m int64) *bucket {
	b := &q.buckets[floorMod(m, int64(len(q.buckets)))]
	if b.minute < m {
		*b = bucket{minute: m}
	}
	if b.minute != m {
		return nil
	}
	return b
}

// slack is how many minutes the ring of buckets holds beyond the window: a
// call stamped by a provider whose clock runs a little ahead does not push
// the window's oldest minute out early.
const slack = 2

// New returns a Counter with cfg's unset fields at their defaults.
func New(cfg Config) *Counter {
	cfg = cfg.withDefaults()
	c := &Counter{
		cfg:       cfg,
		minutes:   int64(cfg.Window / Bucket),
		since:     math.MinInt64,
		threshold: int64(cfg.Threshold),
		grace:     cfg.Grace,
		index:     newIndex(),
		byName:    make(map[string]int32),
		oldest:    -1, newest: -1, endOldest: -1, endNewest: -1,
		head: math.MinInt64, asked: math.MinInt64,
	}
	if !cfg.Since.IsZero() {
		c.since = nanos(cfg.Since)
	}
	return c
}

// Config is the configuration in use, defaults filled in.
func (c *Counter) Config() Config { return c.cfg }

// Apply counts one snapshot of a call, in any state. A snapshot whose
// Version is not above the last one applied for the same call is ignored.
func (c *Counter) Apply(call providers.Call) { c.ApplyAt(Handle{}, &call) }

// Handle finds a call in a Counter again without looking its id up: a
// store that keeps one per call, from ApplyAt, saves hashing the id and a
// search of the index (a cache miss or two on a big Counter) per snapshot.
// It stops finding the call once the Counter forgets it, and never finds
// another; the zero Handle finds nothing.
type Handle struct {
	slot int32 // the call's record, plus one
	gen  uint32
}

// ApplyAt is Apply for a call whose Handle may be h (the one ApplyAt gave
// for its last snapshot, or the zero Handle), with the same figures as
// Apply. It returns the call's Handle now: the zero Handle when the Counter
// does not remember the call (a call that is not incoming is never
// remembered).
func (c *Counter) ApplyAt(h Handle, call *providers.Call) Handle {
	slot, known := c.handled(h)
	if !known {
		return c.applyKeyed(call, c.index.keyOf(call.ID))
	}
	return c.applySlot(slot, call)
}

// applyKeyed applies call, whose key is k, finding it by its key.
func (c *Counter) applyKeyed(call *providers.Call, k key) Handle {
	slot, known := c.index.find(c.recs, k)
	if !known {
		if call.Direction == providers.Incoming {
			return c.add(call, k)
		}
		return Handle{}
	}
	return c.applySlot(slot, call)
}

// applySlot applies call, remembered at slot.
func (c *Counter) applySlot(slot int32, call *providers.Call) Handle {
	r := &c.recs[slot]
	h := Handle{slot: slot + 1, gen: r.gen}
	if call.Version <= r.version {
		return h
	}
	f := c.factsOf(call, r.f.queue)
	c.update(slot, call.Version, f)
	return h
}

// ApplyAll is ApplyAt for a batch: calls in order, hs[i] the handle of
// calls[i], replaced by its handle after. A chunk at a time, it first reads
// the records the handles find, and hashes the ids of the calls without
// one and looks them up, so that those cache misses overlap instead of
// coming one after another; then it applies the chunk. The figures are
// Apply's, call by call.
func (c *Counter) ApplyAll(hs []Handle, calls []*providers.Call) {
	var keys [applyChunk]key
	var keyed [applyChunk]bool
	var found [applyChunk]Handle // what the look-ups ahead found
	for start := 0; start < len(calls); start += applyChunk {
		chunk := calls[start:min(start+applyChunk, len(calls))]
		for i, call := range chunk {
			h := hs[start+i]
			keyed[i] = false
			if _, ok := c.handled(h); !ok {
				keys[i], keyed[i] = c.index.keyOf(call.ID), true
				h = Handle{}
				if slot, ok := c.index.find(c.recs, keys[i]); ok {
					h = Handle{slot: slot + 1, gen: c.recs[slot].gen}
				}
			}
			found[i] = h
			if h.slot > 0 {
				c.warm += c.recs[h.slot-1].version // read now, used below
			}
			// Every line of the snapshot read below (its direction and
			// state, its queue, its times, its version), so that their
			// misses overlap too: 696 bytes a snapshot, fields far apart.
			c.warm += uint64(len(call.Direction)+len(call.Queue)) + uint64(call.Arrived.Nanosecond()+call.Ended.Nanosecond()) + call.Version
		}
		for i, call := range chunk {
			// Found again: an earlier call of the chunk may have made the
			// Counter forget this one, or remember it for the first time.
			if slot, ok := c.handled(found[i]); ok {
				hs[start+i] = c.applySlot(slot, call)
				continue
			}
			if !keyed[i] {
				keys[i] = c.index.keyOf(call.ID)
			}
			hs[start+i] = c.applyKeyed(call, keys[i])
		}
	}
}

// applyChunk is how many calls ApplyAll reads ahead of applying them.
const applyChunk = 128

// handled is the slot h finds, if it finds one.
func (c *Counter) handled(h Handle) (int32, bool) {
	slot := h.slot - 1
	if slot < 0 || int(slot) >= len(c.recs) {
		return 0, false
	}
	if r := &c.recs[slot]; r.gen != h.gen || !r.inUse() {
		return 0, false
	}
	return slot, true
}

// inUse reports whether the record holds a call: every call remembered has
// its key (index.insert), and a free slot is zero but for its generation.
func (r *record) inUse() bool { return r.key != key{} }

// add remembers a call seen for the first time and counts it.
func (c *Counter) add(call *providers.Call, k key) Handle {
	f := c.factsOf(call, -1)
	slot, gen := c.alloc()
	c.recs[slot] = record{version: call.Version, f: f, gen: gen}
	c.links[slot] = link{ringPos: -1, slPos: -1, prev: c.newest, next: -1, endPrev: -1, endNext: -1}
	if c.newest >= 0 {
		c.links[c.newest].next = slot
	} else {
		c.oldest = slot
	}
	c.newest = slot
	c.index.insert(c.recs, k, slot)
	c.contribute(slot, true)
	if f.ended() {
		c.linkEnded(slot)
	}
	c.prune()
	if c.index.len() > c.cfg.MaxCalls {
		c.evict()
	}
	if r := &c.recs[slot]; r.gen == gen && r.inUse() {
		return Handle{slot: slot + 1, gen: gen}
	}
	return Handle{} // forgotten at once (pruned, or evicted as the oldest)
}

// update replaces what the call at slot adds with f.
func (c *Counter) update(slot int32, version uint64, f facts) {
	r := &c.recs[slot]
	old := &r.f
	// Most snapshots change nothing the figures count (ringing to ringing,
	// connecting to active): taking the call back and adding it again would
	// leave every figure as it was, so only its version moves on.
	if f == *old && c.unmoved(&f) {
		r.version = version
		return
	}
	// A call that keeps its place in the heaps (most changes: answered to
	// active, on hold and back) is not taken out and put back.
	heaps := old.queue != f.queue || old.arrived != f.arrived || old.known != f.known ||
		(old.now == nowWaiting) != (f.now == nowWaiting) || old.ringingSL != f.ringingSL || old.window != f.window
	c.retract(slot, heaps)
	r.version, r.f = version, f
	c.contribute(slot, heaps)
	switch {
	case f.ended() && !r.inEnded:
		c.linkEnded(slot)
	case !f.ended() && r.inEnded:
		c.unlinkEnded(slot)
	}
}

// unmoved reports whether f, already counted, is where contribute would
// count it again: its minute seen. A latest minute moved back by Snapshot
// (a made-up arrival far ahead) would have contribute see it afresh. (A
// bucket that Snapshot empties as too far ahead takes its calls out of the
// window's figures with it, dropAhead, so their next facts differ.)
func (c *Counter) unmoved(f *facts) bool {
	return f.queue < 0 || !f.known || f.minute() <= c.head
}

// factsOf is what call adds to the figures. prev is the queue its last
// snapshot counted in (-1 if none), which saves looking the name up again.
//
// The facts are worked out in local variables and put together only at the
// return: built field by field in memory, they were then copied with wide
// loads that the CPU cannot forward from the narrow stores (a stall of
// about 5 ns a snapshot).
func (c *Counter) factsOf(call *providers.Call, prev int16) facts {
	if call.Direction != providers.Incoming {
		return facts{queue: -1}
	}
	queue := prev
	if prev < 0 || !sameQueue(c.queues[prev].name, call.Queue) {
		queue = int16(c.queueOf(call.Queue))
	}
	now := nowNone
	switch call.State {
	case providers.StateRinging:
		now = nowWaiting
	case providers.StateConnecting, providers.StateActive:
		now = nowTalking
	case providers.StateHeld:
		now = nowHeld
	case providers.StateEnded:
		now = nowEnded
	}
	if call.Arrived.IsZero() {
		return facts{queue: queue, now: now}
	}
	arrived := nanos(call.Arrived)
	if arrived < c.since {
		return facts{queue: queue, now: now, known: true, arrived: arrived}
	}
	counts, speed, handle, ringingSL := c.windowFacts(call, now)
	return facts{queue: queue, now: now, known: true, window: true, ringingSL: ringingSL,
		counts: counts, arrived: arrived, speed: speed, handle: handle}
}

// windowFacts is what call, in the window and in the state now, adds to
// its minute: its counts (bit i adds 1 to bucket.n[i]), its speed of
// answer and handling time, and whether it rings unanswered (facts).
func (c *Counter) windowFacts(call *providers.Call, now nowKind) (counts uint16, speed, handle time.Duration, ringingSL bool) {
	counts = 1 << nOffered
	// The queue answered the call when this console's side answered it,
	// or, for a call another agent answered first (OutcomeElsewhere), when
	// it left here. Such a call's talk time is not known here, so it is in
	// no AHT.
	hasAnswered, hasEnded := !call.Answered.IsZero(), !call.Ended.IsZero()
	result := providers.ResultOf(call)
	answered := hasAnswered || (result == providers.OutcomeElsewhere && hasEnded)
	switch {
	case answered:
		pickedUp := &call.Answered
		if !hasAnswered {
			pickedUp = &call.Ended
		}
		counts |= 1<<nAnswered | 1<<nSLStatic
		speed = max(between(call.Arrived, *pickedUp), 0)
		if speed <= c.cfg.Threshold {
			counts |= 1 << nWithin
		}
		if now == nowEnded && hasEnded && hasAnswered {
			counts |= 1 << nHandled
			handle = max(between(call.Answered, call.Ended), 0)
		}
	case result == providers.OutcomeMissed:
		counts |= 1 << nAbandoned
		if hasEnded && between(call.Arrived, call.Ended) <= c.grace {
			counts |= 1 << nShort
		} else {
			counts |= 1 << nSLStatic
		}
	case result == providers.OutcomeRejected:
		counts |= 1<<nRejected | 1<<nSLStatic
	}
	if result == providers.OutcomeTransferred {
		counts |= 1 << nTransferred
	}
	return counts, speed, handle, !answered && now == nowWaiting
}

// sameQueue reports whether a call's Queue field names the queue called name.
func sameQueue(name, field string) bool {
	return name == field || (field == "" && name == Direct)
}

// queueOf is the index of the queue a call's Queue field names, made if new.
func (c *Counter) queueOf(field string) int32 {
	name := field
	if name == "" {
		name = Direct
	}
	if i, ok := c.byName[name]; ok {
		return i
	}
	if len(name) > maxQueueName {
		name = textsafe.Cut(name, maxQueueName)
		if i, ok := c.byName[name]; ok {
			return i
		}
	}
	if len(c.queues) >= MaxQueues {
		name = Overflow
		if i, ok := c.byName[name]; ok {
			return i
		}
	}
	i := int32(len(c.queues))
	buckets := make([]bucket, c.minutes+slack)
	for j := range buckets {
		buckets[j].minute = math.MinInt64
	}
	c.queues = append(c.queues, queue{
		name: name, buckets: buckets,
		ringing: arrivalHeap{}, young: arrivalHeap{sl: true}, overdue: arrivalHeap{sl: true, latest: true},
	})
	c.byName[name] = i
	c.insertSorted(i)
	return i
}

// insertSorted puts queue i in its place in the sorted order.
func (c *Counter) insertSorted(i int32) {
	name := c.queues[i].name
	at := len(c.sorted)
	for at > 0 && c.queues[c.sorted[at-1]].name > name {
		at--
	}
	c.sorted = append(c.sorted, 0)
	copy(c.sorted[at+1:], c.sorted[at:])
	c.sorted[at] = i
}

// contribute adds what the call at slot adds to the figures; heaps says
// whether to put it in its queue's heaps too.
func (c *Counter) contribute(slot int32, heaps bool) {
	r := &c.recs[slot]
	f := &r.f
	if f.queue < 0 {
		return
	}
	q := &c.queues[f.queue]
	switch f.now {
	case nowWaiting:
		q.waiting++
	case nowTalking:
		q.talking++
	case nowHeld:
		q.held++
	}
	if f.known {
		c.see(f.minute())
	}
	if f.window {
		if b := q.bucketFor(f.minute()); b != nil {
			b.add(f, 1)
		}
	}
	if !heaps {
		return
	}
	if f.now == nowWaiting && f.known {
		q.ringing.push(c.links, slot, f.arrived)
	}
	if f.ringingSL {
		// Young until a snapshot finds it past the threshold (settle).
		q.young.push(c.links, slot, f.arrived)
	}
}

// retract takes back what the call at slot added; heaps says whether to
// take it out of its queue's heaps too.
func (c *Counter) retract(slot int32, heaps bool) {
	r := &c.recs[slot]
	f := &r.f
	if f.queue < 0 {
		return
	}
	q := &c.queues[f.queue]
	switch f.now {
	case nowWaiting:
		q.waiting--
	case nowTalking:
		q.talking--
	case nowHeld:
		q.held--
	}
	if f.window {
		if b := q.bucketAt(f.minute()); b != nil {
			b.add(f, -1)
		}
	}
	if !heaps {
		return
	}
	l := &c.links[slot]
	if l.ringPos >= 0 {
		q.ringing.remove(c.links, slot)
	}
	if l.slPos >= 0 {
		if r.overdue {
			q.overdue.remove(c.links, slot)
			r.overdue = false
			if b := q.bucketAt(f.minute()); b != nil {
				b.n[nOverdue]--
			}
		} else {
			q.young.remove(c.links, slot)
		}
	}
}

// settle moves the window's ringing calls of q across the threshold for a
// snapshot whose threshold cut is cut: a call that arrived before cut has
// waited longer than the threshold. Each call crosses once as time goes
// on (back again only if a snapshot is asked for an earlier time), so the
// work is that of the calls crossing, not of all the calls.
func (c *Counter) settle(q *queue, cut int64) {
	for q.young.len() > 0 {
		slot, arrived := q.young.top()
		if arrived >= cut {
			break
		}
		r := &c.recs[slot]
		q.young.remove(c.links, slot)
		r.overdue = true
		q.overdue.push(c.links, slot, arrived)
		if b := q.bucketAt(r.f.minute()); b != nil {
			b.n[nOverdue]++
		}
	}
	for q.overdue.len() > 0 {
		slot, arrived := q.overdue.top()
		if arrived < cut {
			break
		}
		r := &c.recs[slot]
		q.overdue.remove(c.links, slot)
		r.overdue = false
		q.young.push(c.links, slot, arrived)
		if b := q.bucketAt(r.f.minute()); b != nil {
			b.n[nOverdue]--
		}
	}
}

// see moves the latest minute seen on to m. Calls that ended before any
// minute was seen count as ended in the first one.
func (c *Counter) see(m int64) {
	if m <= c.head {
		return
	}
	if c.head == math.MinInt64 {
		for slot := c.endOldest; slot >= 0; slot = c.links[slot].endNext {
			c.links[slot].endedAt = m
		}
	}
	c.head = m
}

// alloc is a free slot in recs and the generation of its next call. The
// free list keeps that generation so that the slot's record, long cold, is
// only written (which does not wait for the miss), never read.
func (c *Counter) alloc() (int32, uint32) {
	if n := len(c.free); n > 0 {
		h := c.free[n-1]
		c.free = c.free[:n-1]
		return h.slot - 1, h.gen
	}
	c.recs = append(c.recs, record{})
	c.links = append(c.links, link{})
	return int32(len(c.recs) - 1), 0
}

func (c *Counter) linkEnded(slot int32) {
	c.recs[slot].inEnded = true
	l := &c.links[slot]
	l.endPrev, l.endNext, l.endedAt = c.endNewest, -1, c.head
	if c.endNewest >= 0 {
		c.links[c.endNewest].endNext = slot
	} else {
		c.endOldest = slot
	}
	c.endNewest = slot
}

func (c *Counter) unlinkEnded(slot int32) {
	l := &c.links[slot]
	if l.endPrev >= 0 {
		c.links[l.endPrev].endNext = l.endNext
	} else {
		c.endOldest = l.endNext
	}
	if l.endNext >= 0 {
		c.links[l.endNext].endPrev = l.endPrev
	} else {
		c.endNewest = l.endPrev
	}
	c.recs[slot].inEnded = false
	l.endPrev, l.endNext = -1, -1
}

// forget drops the call at slot from memory. Its figures stay as they are:
// callers retract first what should go.
func (c *Counter) forget(slot int32) {
	r := &c.recs[slot]
	if r.inEnded {
		c.unlinkEnded(slot)
	}
	l := &c.links[slot]
	if l.prev >= 0 {
		c.links[l.prev].next = l.next
	} else {
		c.oldest = l.next
	}
	if l.next >= 0 {
		c.links[l.next].prev = l.prev
	} else {
		c.newest = l.prev
	}
	c.index.remove(c.recs, slot)
	gen := r.gen + 1
	*r = record{gen: gen} // handles to the call find nothing now
	c.free = append(c.free, Handle{slot: slot + 1, gen: gen})
}

// prune forgets the calls that ended a window's length ago. Their figures
// stay where they were counted (their minute has left the window by then,
// or it was before Since); what is forgotten is only that the call was seen,
// which a late duplicate of one of its snapshots would need. The ended
// calls are kept in the order they ended, so the oldest is first.
func (c *Counter) prune() {
	if c.head == math.MinInt64 {
		return // no minute seen yet
	}
	first := c.head - c.minutes + 1
	for c.endOldest >= 0 {
		// An end stamped far ahead of the latest minute was stamped by a
		// made-up arrival time (see Snapshot): not worth keeping.
		l := &c.links[c.endOldest]
		if at := l.endedAt; at >= first && at <= c.head+slack {
			break
		}
		if l.endNext >= 0 {
			// Most likely forgotten next (a minute's calls go together):
			// its record's miss overlaps with this one's forgetting.
			c.warm += c.recs[l.endNext].key.h1
		}
		c.forget(c.endOldest)
	}
}

// evict makes room past Config.MaxCalls: it forgets the call that ended
// first, its figures kept (only a late duplicate of one of its snapshots
// needed it); with none ended, the call remembered longest, which leaves
// every figure (it would stay waiting or talking for ever otherwise, and a
// later snapshot counts it afresh, once).
func (c *Counter) evict() {
	c.forgotten++
	if c.endOldest >= 0 {
		c.forget(c.endOldest)
		return
	}
	slot := c.oldest
	c.retract(slot, true)
	c.forget(slot)
}

// Remembered is how many calls the Counter remembers now.
func (c *Counter) Remembered() int { return c.index.len() }

var unixEpoch = time.Unix(0, 0)

// plainSeconds bounds the times taken by plain arithmetic (146 years either
// side of 1970): two of them are apart by less than int64 nanoseconds hold.
// Times outside (made up) go the slow, saturating way of time.Sub.
const plainSeconds = 1 << 62 / int64(time.Second)

// nanos is t as nanoseconds since 1970 by its wall clock, saturated at the
// ends of int64.
func nanos(t time.Time) int64 {
	if s := t.Unix(); s > -plainSeconds && s < plainSeconds {
		return s*int64(time.Second) + int64(t.Nanosecond())
	}
	return int64(t.Sub(unixEpoch))
}

// between is to − from by their wall clocks, saturated (time.Sub without
// the monotonic readings, which calls decoded from a wire never have:
// every figure reads the wall clock, as the minutes do).
func between(from, to time.Time) time.Duration {
	a, b := from.Unix(), to.Unix()
	if a > -plainSeconds && a < plainSeconds && b > -plainSeconds && b < plainSeconds {
		return time.Duration((b-a)*int64(time.Second) + int64(to.Nanosecond()-from.Nanosecond()))
	}
	return to.Round(0).Sub(from.Round(0))
}

// minuteOf is the number of the minute t falls in, counted from 1970.
func minuteOf(t time.Time) int64 { return floorDiv(nanos(t), int64(time.Minute)) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
