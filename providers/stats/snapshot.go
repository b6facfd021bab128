package stats

import (
	"math"
	"math/bits"
	"slices"
	"time"
)

// Snapshot is the figures at one time.
type Snapshot struct {
	At    time.Time // the time the figures are for
	Since time.Time // Config.Since: when the figures start (zero: they cover the window)
	// From is the start of what the window's figures cover: the start of
	// its oldest minute (At − Window, rounded up to the minute), or Since
	// if that is later.
	From      time.Time
	Window    time.Duration
	Threshold time.Duration
	Target    float64
	Queues    []Queue // by name; Direct for calls with no queue
	Total     Queue   // the sum over the queues; Name is empty
	// Forgotten is how many calls have been forgotten since the start
	// because more than Config.MaxCalls were remembered: the figures leave
	// them out.
	Forgotten int
}

// Queue is one queue's figures (or the total's). See the package
// documentation for the definitions.
type Queue struct {
	Name string

	// Now.
	Waiting, Talking, Held int
	LongestWait            time.Duration

	// Over the window.
	Offered, Answered, WithinSL, Abandoned, ShortAbandoned, Rejected, Transferred int
	SLCounted                                                                     int // the service level's denominator
	SL                                                                            float64
	HasSL                                                                         bool // false when SLCounted is 0
	ASA, AHT                                                                      time.Duration
	HasASA, HasAHT                                                                bool
	Arrivals                                                                      []int // offered per minute, oldest first; Window/1min of them

	// Alarms.
	SLBelowTarget       bool // HasSL and SL < Target
	WaitBeyondThreshold bool // LongestWait > Threshold
}

// sums is a queue's figures added up before the ratios are taken.
type sums struct {
	waiting, talking, held int
	longest                time.Duration
	n                      [nCounts]int
	speed, handle          wide
	arrivals               []int
}

func (s *sums) addBucket(b *bucket) {
	for i, n := range b.n {
		s.n[i] += int(n)
	}
	s.speed.plus(b.speed)
	s.handle.plus(b.handle)
}

func (s *sums) addSums(o *sums) {
	s.waiting += o.waiting
	s.talking += o.talking
	s.held += o.held
	s.longest = max(s.longest, o.longest)
	for i, n := range o.n {
		s.n[i] += n
	}
	s.speed.plus(o.speed)
	s.handle.plus(o.handle)
	for i, n := range o.arrivals {
		s.arrivals[i] += n
	}
}

// queue turns the sums into the figures, ratios and alarms.
func (s *sums) queue(name string, cfg *Config) Queue {
	q := Queue{
		Name:    name,
		Waiting: s.waiting, Talking: s.talking, Held: s.held, LongestWait: s.longest,
		Offered: s.n[nOffered], Answered: s.n[nAnswered], WithinSL: s.n[nWithin], Abandoned: s.n[nAbandoned],
		ShortAbandoned: s.n[nShort], Rejected: s.n[nRejected], Transferred: s.n[nTransferred],
		SLCounted: s.n[nSLStatic] + s.n[nOverdue],
		Arrivals:  s.arrivals,
	}
	if q.SLCounted > 0 {
		q.SL, q.HasSL = float64(q.WithinSL)/float64(q.SLCounted), true
	}
	if q.Answered > 0 {
		q.ASA, q.HasASA = s.speed.mean(q.Answered), true
	}
	if n := s.n[nHandled]; n > 0 {
		q.AHT, q.HasAHT = s.handle.mean(n), true
	}
	q.SLBelowTarget = q.HasSL && q.SL < cfg.Target
	q.WaitBeyondThreshold = q.LongestWait > cfg.Threshold
	return q
}

// Snapshot is the figures at now: those of now, and those of the window
// that ends with now's minute. Its cost is that of the window's minutes of
// each queue and of the calls that crossed the threshold since the last
// snapshot, not that of the calls remembered.
func (c *Counter) Snapshot(now time.Time) Snapshot {
	cur := minuteOf(now)
	forward := cur >= c.asked
	c.asked = max(c.asked, cur)
	if forward && c.head > cur+c.minutes+slack {
		// A made-up arrival far ahead moved the latest minute there;
		// the snapshot's time is the better word on what time it is.
		c.head = cur
	}
	c.see(cur)
	c.prune()
	first := cur - c.minutes + 1
	nowNs := nanos(now)
	cut := math.MinInt64 + c.threshold
	if nowNs > cut {
		cut = nowNs - c.threshold
	}

	s := Snapshot{
		At: now, Since: c.cfg.Since, From: time.Unix(first*60, 0).In(now.Location()),
		Window: c.cfg.Window, Threshold: c.cfg.Threshold, Target: c.cfg.Target,
		Forgotten: c.forgotten,
	}
	if s.Since.After(s.From) {
		s.From = s.Since
	}
	total := sums{arrivals: make([]int, c.minutes)}
	for _, qi := range c.sorted {
		q := &c.queues[qi]
		c.settle(q, cut)
		if forward {
			c.dropAhead(qi, cur+int64(len(q.buckets)))
		}
		qs := sums{waiting: q.waiting, talking: q.talking, held: q.held, arrivals: make([]int, c.minutes)}
		for m := first; m <= cur; m++ {
			if b := q.bucketAt(m); b != nil {
				qs.addBucket(b)
				qs.arrivals[m-first] = int(b.n[nOffered])
			}
		}
		if q.ringing.len() > 0 {
			_, arrived := q.ringing.top()
			qs.longest = time.Duration(max(subSat(nowNs, arrived), 0))
		}
		if qs.n[nOffered] == 0 && qs.waiting == 0 && qs.talking == 0 && qs.held == 0 {
			continue // nothing now, nothing in the window
		}
		s.Queues = append(s.Queues, qs.queue(q.name, &c.cfg))
		total.addSums(&qs)
	}
	s.Total = total.queue("", &c.cfg)
	return s
}

// dropAhead empties queue qi's buckets of minutes after last. Such a minute
// comes from a made-up arrival time (a provider's clock a little ahead stays
// within the ring's slack); left in place, it would hold its bucket until
// its minute came round and keep the real minutes there out.
//
// The calls counted in those buckets are taken out of the window's figures
// first, as a call that arrived before Since is: a bucket emptied under a
// call that still counted in it would have the call taken back later from
// whatever call next filled that minute. Their next snapshot counts them
// afresh. Walking every call is rare: only a made-up arrival ever puts a
// bucket this far ahead.
func (c *Counter) dropAhead(qi int32, last int64) {
	q := &c.queues[qi]
	if !slices.ContainsFunc(q.buckets, func(b bucket) bool { return b.minute > last }) {
		return
	}
	for slot := c.oldest; slot >= 0; slot = c.links[slot].next {
		r := &c.recs[slot]
		f := &r.f
		if int32(f.queue) != qi || !f.window || f.minute() <= last {
			continue
		}
		// What it added to its bucket goes with the bucket; it keeps its
		// place in now's counts and among the ringing, and leaves the
		// heaps of the service level, which are for the window's calls.
		if c.links[slot].slPos >= 0 {
			if r.overdue {
				q.overdue.remove(c.links, slot)
				r.overdue = false
			} else {
				q.young.remove(c.links, slot)
			}
		}
		*f = facts{queue: f.queue, now: f.now, known: f.known, arrived: f.arrived}
	}
	for i := range q.buckets {
		if q.buckets[i].minute > last {
			q.buckets[i] = bucket{minute: math.MinInt64}
		}
	}
}

// subSat is a − b, saturated at the ends of int64.
func subSat(a, b int64) int64 {
	d := a - b
	if (b > 0 && d > a) || (b < 0 && d < a) {
		if b > 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return d
}

// wide is a sum of durations in 128 bits: exact, and it cannot overflow
// however many calls of whatever length (a made-up end time years away)
// are added up.
type wide struct{ hi, lo uint64 }

// add adds d, which is never negative.
func (w *wide) add(d time.Duration) {
	var carry uint64
	w.lo, carry = bits.Add64(w.lo, uint64(d), 0)
	w.hi += carry
}

// sub takes back d, added before.
func (w *wide) sub(d time.Duration) {
	var borrow uint64
	w.lo, borrow = bits.Sub64(w.lo, uint64(d), 0)
	w.hi -= borrow
}

func (w *wide) plus(o wide) {
	var carry uint64
	w.lo, carry = bits.Add64(w.lo, o.lo, 0)
	w.hi += o.hi + carry
}

// mean is the sum divided by n, rounded down. A mean of durations is a
// duration, so the quotient fits; a sum that says otherwise (it cannot
// happen) gives the longest duration rather than a panic.
func (w wide) mean(n int) time.Duration {
	if n <= 0 || w.hi >= uint64(n) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(w.hi, w.lo, uint64(n))
	return time.Duration(min(q, math.MaxInt64))
}
