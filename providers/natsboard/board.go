package natsboard

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"

	"ringside/providers"
	"ringside/providers/natsboard/wire"
)

// board is one watched board: what Join learnt of it, the calls live on
// it as last seen, and its state for the status line.
type board struct {
	name     string
	kv       jetstream.KeyValue
	meta     wire.Meta
	readOnly bool // the NATS user may not send actions here

	mu    sync.Mutex // guards calls: actions read them
	calls liveCalls

	// Owned by the board's watch goroutine.
	last uint64 // the highest revision taken
	gen  uint32 // numbers the watches from scratch, for the ghost sweep

	// st is the board's part of the status, guarded by Provider.mu.
	st boardStatus

	// rewatch asks the watch goroutine to watch again from scratch (NATS
	// reconnected). Buffered: a second ask while one waits is the same.
	rewatch chan struct{}
	// restarts counts watches the watchdog re-created.
	restarts atomic.Uint64
	// refusals is how often a value that is not a call is logged: the
	// first ones, then one every few seconds, so a flood of junk does not
	// flood the log as well.
	refusals rate.Sometimes
}

func newBoard(name string, kv jetstream.KeyValue, meta wire.Meta, readOnly bool, maxCalls int) *board {
	return &board{
		name: name, kv: kv, meta: meta, readOnly: readOnly,
		calls:    newLiveCalls(maxCalls),
		st:       boardStatus{reading: true},
		rewatch:  make(chan struct{}, 1),
		refusals: rate.Sometimes{First: 20, Interval: 5 * time.Second},
	}
}

// known is the live call id (the board's own id) as last seen.
func (b *board) known(id string) (providers.Call, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.calls.byID[id]
	if h == nil {
		return providers.Call{}, false
	}
	return h.call.Clone(), true
}

// liveCalls are a board's live calls, at most max of them: a board holds
// what its relay's provider holds, but anyone who may write to the bucket
// can invent keys, and --max-calls bounds what the console keeps whatever
// arrives. Beyond max, a new call ends the call silent longest, connected
// calls before ringing ones, as a provider's ledger does.
type liveCalls struct {
	max  int
	byID map[string]*heldCall
	// Least recently updated first, ringing calls apart: a connected call
	// silent for long has most likely lost its end.
	ringing, connected list.List
	evicted            uint64
}

// heldCall is a live call as the console last emitted it.
type heldCall struct {
	id   string // the board's id (the key's)
	call providers.Call
	rev  uint64
	gen  uint32 // the watch from scratch that last saw it
	elem *list.Element
	in   *list.List
}

func newLiveCalls(max int) liveCalls {
	if max <= 0 {
		max = providers.DefaultMaxCalls
	}
	return liveCalls{max: max, byID: make(map[string]*heldCall)}
}

// put files the live call c (the board's id) at rev and returns the call
// it had to drop to make room, if any.
func (l *liveCalls) put(id string, c providers.Call, rev uint64, gen uint32) (dropped *heldCall) {
	h := l.byID[id]
	if h == nil {
		if len(l.byID) >= l.max {
			dropped = l.dropOne()
		}
		h = &heldCall{id: id}
		l.byID[id] = h
	} else {
		h.in.Remove(h.elem)
	}
	h.call, h.rev, h.gen = c, rev, gen
	h.in = &l.connected
	if c.State == providers.StateRinging {
		h.in = &l.ringing
	}
	h.elem = h.in.PushBack(h)
	return dropped
}

// remove forgets id and returns what was held for it.
func (l *liveCalls) remove(id string) *heldCall {
	h := l.byID[id]
	if h != nil {
		h.in.Remove(h.elem)
		delete(l.byID, id)
	}
	return h
}

// dropOne forgets the connected call silent longest, else the ringing one.
func (l *liveCalls) dropOne() *heldCall {
	front := l.connected.Front()
	if front == nil {
		front = l.ringing.Front()
	}
	if front == nil {
		return nil
	}
	l.evicted++
	return l.remove(front.Value.(*heldCall).id)
}

// notSeenIn forgets and returns the calls the watch from scratch gen did
// not find on the board.
func (l *liveCalls) notSeenIn(gen uint32) []*heldCall {
	var gone []*heldCall
	for id, h := range l.byID {
		if h.gen != gen {
			gone = append(gone, l.remove(id))
		}
	}
	return gone
}

// ended is h's call ended at t with words why, at version v (newer than
// anything the call had, so the console takes it).
func (h *heldCall) ended(t time.Time, why string, v uint64) providers.Call {
	c := h.call.Clone()
	c.State, c.Ended, c.Caps = providers.StateEnded, t, 0
	c.End = providers.EndReason{Text: why}
	c.Outcome = c.Result()
	c.Version = max(v, h.rev+1)
	return c
}
