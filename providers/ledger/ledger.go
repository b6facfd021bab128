// Package ledger is a provider's record of the calls it knows: the latest
// snapshot of each, versions stamped, the lifecycle enforced (no call moves
// back, an ended call never returns) and the number of live calls bounded.
// Every provider files its calls here before it emits them; the console
// never sees a ledger.
package ledger

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"ringside/providers"
	"ringside/providers/compact"
)

// Ledger is a provider's record of the calls it knows: the latest snapshot of
// each, with versions stamped and the lifecycle enforced. Notifications arrive
// late, twice or out of order on every real network; the ledger makes sure a
// call never moves back to an earlier state and an ended call never comes back
// while it is remembered (the last KeepEnded ended calls; an id forgotten
// beyond that is a new call to it, starting again at version 1).
//
// It also bounds memory: a call whose end notice is lost would stay live
// forever, and anyone who can reach a provider's source can invent call ids.
// Beyond MaxLive live calls, a new one ends the live call that has gone
// longest without an update, connected calls before ringing ones (see
// Evicted). It is safe for concurrent use.
type Ledger struct {
	provider  string
	keepEnded int
	maxLive   int
	dropped   providers.EndReason // why an evicted call ended
	now       func() time.Time
	log       *slog.Logger
	// Evictions are logged at most once per interval: a flood of new ids
	// evicts one call per id and must not flood the log as well.
	logEvict rate.Sometimes

	mu      sync.Mutex
	calls   map[string]*entry
	table   *compact.Table // the parts the calls share (see entry)
	scratch providers.Call // where update builds the next snapshot
	ended   []string       // ids of ended calls, oldest first, to forget beyond keepEnded
	// Live calls, least recently updated first. Ringing calls are kept apart
	// so that the cap can end connected calls first: a call that was
	// answered and then went silent has most likely lost its end notice,
	// while a ringing one is either new or ended soon by its deadline.
	ringing, connected liveList
	evicted            []providers.Call // ended by the cap and not yet taken by Evicted
	anyEvicted         atomic.Bool
	evictions          uint64
}

// entry is one call in the ledger, linked into its live list while live.
// It is kept small, 128 bytes: a demo files a hundred thousand of them at
// start, so the call is packed (compact.Call: 104 bytes where a
// providers.Call takes 680, what calls have in common shared through the
// ledger's table), and the live list that holds it is noted in the packed
// call's Mark. A packed time has no monotonic clock reading, as a time from
// a wire has none.
type entry struct {
	call    compact.Call
	touched int64 // when an update last came in for the call, in Unix nanoseconds
	prev    *entry
	next    *entry
}

// list is the live list that holds e.
func (e *entry) list() listID { return listID(e.call.Mark) }

func (e *entry) setList(id listID) { e.call.Mark = uint8(id) }

// listID names a ledger's live list.
type listID uint8

const (
	inNoList    listID = iota // ended
	inRinging                 // Ledger.ringing
	inConnected               // Ledger.connected
)

// liveList is a doubly linked list of entries, oldest first: moving an entry
// to the back and taking the front are O(1), however many calls there are.
type liveList struct {
	head, tail *entry
	n          int
}

func (q *liveList) pushBack(e *entry) {
	e.prev, e.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = e
	} else {
		q.head = e
	}
	q.tail = e
	q.n++
}

func (q *liveList) remove(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		q.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		q.tail = e.prev
	}
	e.prev, e.next = nil, nil
	q.n--
}

// DefaultKeepEnded is how many ended calls a ledger remembers so that late
// notifications for them are recognised and dropped.
const DefaultKeepEnded = 10000

// Config sets a ledger's limits. The zero value gives the defaults.
type Config struct {
	// MaxLive is how many live calls the ledger holds
	// (providers.DefaultMaxCalls when <= 0); beyond it, new calls end the longest-silent ones.
	MaxLive int
	// KeepEnded is how many ended calls it remembers (DefaultKeepEnded
	// when <= 0).
	KeepEnded int
	// Now stamps updates and evictions; nil means time.Now.
	Now func() time.Time
	// Log receives a line, at most every few seconds, when calls are
	// evicted; nil logs nothing.
	Log *slog.Logger
}

// FromOptions is the configuration a provider's options give: MaxCalls live
// calls (--max-calls), stamped with Now, evictions logged to Log.
func FromOptions(o providers.Options) Config {
	return Config{MaxLive: o.MaxCalls, Now: o.Now, Log: o.Log}
}

// New returns an empty ledger for the named provider.
func New(provider string, cfg Config) *Ledger {
	if cfg.MaxLive <= 0 {
		cfg.MaxLive = providers.DefaultMaxCalls
	}
	if cfg.KeepEnded <= 0 {
		cfg.KeepEnded = DefaultKeepEnded
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Ledger{
		provider: provider, keepEnded: cfg.KeepEnded, maxLive: cfg.MaxLive, now: cfg.Now, log: cfg.Log,
		dropped:  providers.EndReason{Text: fmt.Sprintf("Dropped: more than %d live calls (--max-calls).", cfg.MaxLive)},
		logEvict: rate.Sometimes{Interval: 10 * time.Second},
		calls:    make(map[string]*entry),
		table:    compact.NewTable(),
	}
}

// Update applies change to the call id (a new call with only ID and Provider
// set if the ledger has not seen it) and returns the resulting snapshot and
// whether it changed. Changes to an ended call are dropped. A change that
// would move the call to an earlier state keeps the later state and its
// capabilities (other fields still apply). Each real change increases
// Version by one. Any update of a live call, changed or not, counts as a
// sign of life for MaxLive and Quiet. A new live call beyond MaxLive ends
// another one (see Evicted). change runs with the ledger locked, so it must
// not call the ledger.
func (l *Ledger) Update(id string, change func(c *providers.Call)) (providers.Call, bool) {
	l.mu.Lock()
	call, changed, victim := l.update(id, change, 0)
	l.mu.Unlock()
	if victim != nil {
		l.logEviction(victim)
	}
	return call, changed
}

// Adopt files the call id, as change makes it, when the ledger does not know
// it: a call an earlier run reported (see providers.Rechecker), whose
// snapshot must replace the one that run sent, so its Version starts above
// after, the Version that run gave it. It is Update for a new call
// otherwise: change starts from a bare call, an ended one is remembered, a
// live one beyond MaxLive ends another (see Evicted). When the ledger knows
// id already, Adopt changes nothing and returns the call as recorded and
// false: what this run heard of the call is newer than the earlier run's.
func (l *Ledger) Adopt(id string, after uint64, change func(c *providers.Call)) (providers.Call, bool) {
	l.mu.Lock()
	if cur, known := l.calls[id]; known {
		call := cur.call.Call()
		l.mu.Unlock()
		return call, false
	}
	call, changed, victim := l.update(id, change, after)
	l.mu.Unlock()
	if victim != nil {
		l.logEviction(victim)
	}
	return call, changed
}

// update applies change to call id; a new call's Version starts at after+1.
func (l *Ledger) update(id string, change func(c *providers.Call), after uint64) (providers.Call, bool, *eviction) {
	cur, known := l.calls[id]
	if known && cur.call.State() == providers.StateEnded {
		return cur.call.Call(), false, nil
	}
	// The change is made on a scratch call the ledger owns, as it may come
	// to nothing: change is opaque to the compiler, so a local copy would
	// move to the heap on every update. Its media are the call's own, as
	// change may write to them.
	next := &l.scratch
	var was providers.State
	if known {
		cur.call.Unpack(next)
		next.Modalities = slices.Clone(next.Modalities)
		was = cur.call.State()
	} else {
		*next = providers.Call{ID: id, Provider: l.provider}
	}
	change(next)
	next.ID, next.Provider = id, l.provider
	switch {
	case known && next.State.Rank() < was.Rank():
		// A late report of an earlier state, or of one the provider could
		// not name: what it allows belongs to that state too (answer on a
		// call that is already talking).
		next.State, next.Caps = was, cur.call.Caps()
	case !next.State.Valid():
		next.State = providers.StateRinging // a new call in a state nobody named
	}
	now := l.now()
	var victim *eviction
	if known {
		next.Version = cur.call.Version() + 1
		packed := cur.call // packing into a copy keeps the parts it shares
		l.table.Pack(&packed, next)
		if compact.Same(&packed, &cur.call) {
			l.place(cur, now)
			return cur.call.Call(), false, nil
		}
		cur.call = packed
	} else {
		next.Version = max(after, after+1) // at the very top it cannot grow; it must not wrap to 0
		if next.State.Live() && l.ringing.n+l.connected.n >= l.maxLive {
			// Make room before filing the new call, so that the call
			// being filed is never the one that goes.
			victim = l.evictOne(now)
		}
		cur = &entry{}
		l.table.Pack(&cur.call, next)
		l.calls[id] = cur
	}
	l.place(cur, now)
	if cur.call.State() == providers.StateEnded {
		l.remember(id)
	}
	return cur.call.Call(), true, victim
}

// place files e at the back of the live list its state belongs to, or takes
// it off its list once it has ended.
func (l *Ledger) place(e *entry, now time.Time) {
	if q := l.list(e.list()); q != nil {
		q.remove(e)
	}
	switch state := e.call.State(); {
	case state == providers.StateRinging:
		e.setList(inRinging)
	case state.Live():
		e.setList(inConnected)
	default:
		e.setList(inNoList)
		return
	}
	l.list(e.list()).pushBack(e)
	e.touched = now.UnixNano()
}

func (l *Ledger) list(id listID) *liveList {
	switch id {
	case inRinging:
		return &l.ringing
	case inConnected:
		return &l.connected
	}
	return nil
}

// remember records that id has ended, forgetting the oldest ended calls
// beyond keepEnded.
func (l *Ledger) remember(id string) {
	l.ended = append(l.ended, id)
	if len(l.ended) > l.keepEnded {
		drop := len(l.ended) - l.keepEnded
		for _, old := range l.ended[:drop] {
			delete(l.calls, old)
		}
		// Drop from the front without moving what is kept: append
		// reallocates, copying only the kept ids, when it runs out of
		// room, so an ended call costs O(1) however many are remembered.
		clear(l.ended[:drop])
		l.ended = l.ended[drop:]
	}
}

// eviction is what the log says about a call the cap ended.
type eviction struct {
	id    string
	was   providers.State
	total uint64
}

// evictOne ends the connected call that has gone longest without an update,
// or the oldest ringing call when no call is connected, and keeps it for
// Evicted.
func (l *Ledger) evictOne(now time.Time) *eviction {
	e := l.connected.head
	if e == nil {
		e = l.ringing.head
	}
	if e == nil {
		return nil
	}
	was := e.call.State()
	l.list(e.list()).remove(e)
	e.setList(inNoList)
	c := e.call.Call()
	c.State, c.Ended, c.Caps = providers.StateEnded, now, 0
	c.End = l.dropped
	c.Outcome = c.Result() // handled if it was answered, else missed
	c.Version++
	l.table.Pack(&e.call, &c)
	l.remember(c.ID)
	l.evictions++
	if len(l.evicted) >= l.keepEnded {
		// Nobody is taking the reports: keep the newest, as the ledger
		// keeps the newest ended calls.
		l.evicted[0] = providers.Call{}
		l.evicted = l.evicted[1:]
	}
	l.evicted = append(l.evicted, e.call.Call())
	l.anyEvicted.Store(true)
	return &eviction{id: c.ID, was: was, total: l.evictions}
}

func (l *Ledger) logEviction(v *eviction) {
	if l.log == nil {
		return
	}
	l.logEvict.Do(func() {
		l.log.Warn(l.provider+": more live calls than --max-calls allows; ended the one silent longest (said at most every 10 s)",
			"max_calls", l.maxLive, "call", v.id, "state", v.was, "evicted_total", v.total)
	})
}

// Evicted returns, oldest first, the calls the cap has ended since the last
// call to Evicted, as ended snapshots with an EndReason that says why. The
// provider sends them to the console like any other end. It is cheap when
// there are none, so providers call it after every Update that may add a
// call.
func (l *Ledger) Evicted() []providers.Call {
	if !l.anyEvicted.Load() {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.evicted
	l.evicted = nil
	l.anyEvicted.Store(false)
	return out
}

// Evictions is how many calls the cap has ended so far.
func (l *Ledger) Evictions() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.evictions
}

// MaxLive is the most live calls the ledger holds.
func (l *Ledger) MaxLive() int { return l.maxLive }

// Get returns the call id as last recorded.
func (l *Ledger) Get(id string) (providers.Call, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.calls[id]
	if !ok {
		return providers.Call{}, false
	}
	return e.call.Call(), true
}

// Live returns every call that has not ended, in no particular order.
func (l *Ledger) Live() []providers.Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]providers.Call, 0, l.ringing.n+l.connected.n)
	for _, q := range []*liveList{&l.connected, &l.ringing} {
		for e := q.head; e != nil; e = e.next {
			out = append(out, e.call.Call())
		}
	}
	return out
}

// LiveCount is how many calls have not ended.
func (l *Ledger) LiveCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ringing.n + l.connected.n
}

// Quiet returns the ids of the live calls that have had no update since
// before, connected calls first, each group least recently updated first.
// It looks only at those calls (and the first that is not quiet in each
// group), not at every call.
func (l *Ledger) Quiet(before time.Time) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ids []string
	cutoff := before.UnixNano()
	for _, q := range []*liveList{&l.connected, &l.ringing} {
		for e := q.head; e != nil && e.touched < cutoff; e = e.next {
			ids = append(ids, e.call.ID())
		}
	}
	return ids
}
