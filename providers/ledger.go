package providers

import (
	"reflect"
	"slices"
	"sync"
	"time"
)

// Ledger is a provider's record of the calls it knows: the latest snapshot of
// each, with versions stamped and the lifecycle enforced. Notifications arrive
// late, twice or out of order on every real network; the ledger makes sure a
// call never moves back to an earlier state and an ended call never comes back
// while it is remembered (the last keepEnded ended calls; an id forgotten
// beyond that is a new call to it, starting again at version 1). It is safe
// for concurrent use.
type Ledger struct {
	provider  string
	keepEnded int

	mu    sync.Mutex
	calls map[string]*Call
	ended []string // ids of ended calls, oldest first, to forget beyond keepEnded
}

// DefaultKeepEnded is how many ended calls a ledger remembers so that late
// notifications for them are recognised and dropped.
const DefaultKeepEnded = 10000

// NewLedger returns an empty ledger for the named provider that remembers up
// to keepEnded ended calls (DefaultKeepEnded if keepEnded <= 0).
func NewLedger(provider string, keepEnded int) *Ledger {
	if keepEnded <= 0 {
		keepEnded = DefaultKeepEnded
	}
	return &Ledger{provider: provider, keepEnded: keepEnded, calls: make(map[string]*Call)}
}

// Update applies change to the call id (a new call with only ID and Provider
// set if the ledger has not seen it) and returns the resulting snapshot and
// whether it changed. Changes to an ended call are dropped. A change that
// would move the call to an earlier state keeps the later state and its
// capabilities (other fields still apply). Each real change increases
// Version by one. change runs with the ledger locked, so it must not call
// the ledger.
func (l *Ledger) Update(id string, change func(c *Call)) (Call, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur, known := l.calls[id]
	if known && cur.State == StateEnded {
		return cur.Clone(), false
	}
	next := Call{ID: id, Provider: l.provider}
	if known {
		next = cur.Clone()
	}
	change(&next)
	next.ID, next.Provider = id, l.provider
	switch {
	case known && next.State.Rank() < cur.State.Rank():
		// A late report of an earlier state, or of one the provider could
		// not name: what it allows belongs to that state too (answer on a
		// call that is already talking).
		next.State, next.Caps = cur.State, cur.Caps
	case !next.State.Valid():
		next.State = StateRinging // a new call in a state nobody named
	}
	if known && equalCalls(*cur, next) {
		return cur.Clone(), false
	}
	if known {
		next.Version = cur.Version + 1
	} else {
		next.Version = 1
	}
	l.calls[id] = &next
	if next.State == StateEnded {
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
	return next.Clone(), true
}

// Get returns the call id as last recorded.
func (l *Ledger) Get(id string) (Call, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.calls[id]
	if !ok {
		return Call{}, false
	}
	return c.Clone(), true
}

// Live returns every call that has not ended, in no particular order.
func (l *Ledger) Live() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Call, 0, len(l.calls)-len(l.ended))
	for _, c := range l.calls {
		if c.State != StateEnded {
			out = append(out, c.Clone())
		}
	}
	return out
}

func equalCalls(a, b Call) bool {
	if !slices.Equal(a.Modalities, b.Modalities) ||
		!a.Arrived.Equal(b.Arrived) || !a.AnswerBy.Equal(b.AnswerBy) ||
		!a.Answered.Equal(b.Answered) || !a.Ended.Equal(b.Ended) {
		return false
	}
	strip := func(c Call) Call {
		c.Modalities, c.Version = nil, 0
		c.Arrived, c.AnswerBy, c.Answered, c.Ended = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		return c
	}
	return reflect.DeepEqual(strip(a), strip(b))
}
