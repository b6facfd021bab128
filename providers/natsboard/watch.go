package natsboard

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/jsonstream"
	"ringside/providers/natsboard/wire"
	"ringside/providers/textsafe"
)

// Waits between attempts to watch a board that could not be watched.
const (
	retryFirst = 250 * time.Millisecond
	retryMost  = 5 * time.Second
)

// watchBoard follows board b until ctx ends: a watch from scratch first,
// then, each time a watch stops, another one, from scratch after NATS
// reconnected, else from the revision after the last one taken.
func (p *Provider) watchBoard(ctx context.Context, b *board, sink providers.Sink) {
	fresh := true
	wait := retryFirst
	for ctx.Err() == nil {
		w, stop, err := p.startWatch(ctx, b, fresh)
		if err != nil {
			p.log.Warn("nats: could not watch the board; trying again", "board", b.name, "err", err, "in", wait)
			select {
			case <-ctx.Done():
			case <-b.rewatch:
				fresh = true
			case <-time.After(wait):
			}
			wait = min(2*wait, retryMost)
			continue
		}
		wait = retryFirst
		fresh = p.follow(ctx, b, w, fresh, sink)
		stop()
	}
}

// startWatch starts a watch of the keys a console follows. A watch from
// scratch gives the latest entry of every key, then nil; a resumed one
// every entry from the revision after the last one taken, then nil.
func (p *Provider) startWatch(ctx context.Context, b *board, fresh bool) (jetstream.KeyWatcher, func(), error) {
	// The watcher lives as long as the context it is made with.
	wctx, cancel := context.WithCancel(ctx)
	var opts []jetstream.WatchOpt
	if !fresh {
		opts = append(opts, jetstream.ResumeFromRevision(b.last+1))
	}
	// WatchFiltered writes the bucket's prefix into the slice it is given.
	keys := []string{wire.CallsPattern, wire.KeyStatus, wire.KeyLease}
	w, err := b.kv.WatchFiltered(wctx, keys, opts...)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	if fresh {
		b.gen++
	}
	return w, func() { w.Stop(); cancel() }, nil
}

// follow takes w's entries until w must be replaced, and says whether the
// next watch starts from scratch: after NATS reconnected, or when this one
// was from scratch and stopped before all its values were in.
func (p *Provider) follow(ctx context.Context, b *board, w jetstream.KeyWatcher, fresh bool, sink providers.Sink) (nextFresh bool) {
	check := time.NewTicker(max(p.watchdog/3, time.Millisecond))
	defer check.Stop()
	heard := time.Now()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-b.rewatch:
			return true
		case e, ok := <-w.Updates():
			if !ok {
				p.log.Warn("nats: the board's watch ended; watching again", "board", b.name, "revision", b.last)
				return fresh
			}
			heard = time.Now()
			if e == nil {
				if fresh && !p.caughtUp(ctx, b, sink) {
					return false
				}
				fresh = false
				continue
			}
			if !p.take(ctx, b, e, sink) {
				return false
			}
		case <-check.C:
			// The relay renews its lease every RenewEvery: a connected
			// watch that hears nothing for longer has most likely stalled
			// (its consumer lost with a node or a restart) and would come
			// back only many seconds later by itself.
			if time.Since(heard) >= p.watchdog && p.nc.IsConnected() {
				b.restarts.Add(1)
				level := p.log.Info
				if !p.relayHolds(b) {
					level = p.log.Debug // nothing renews the lease: quiet is normal
				}
				if fresh {
					level("nats: the board's watch heard nothing before it had every value; watching again from scratch", "board", b.name)
				} else {
					level("nats: the board's watch heard nothing; watching again from the next revision", "board", b.name, "revision", b.last+1)
				}
				// A watch from scratch cut short is done again from
				// scratch: only its end finds the calls that are gone.
				return fresh
			}
		}
	}
}

// caughtUp runs when a watch from scratch has delivered every value: the
// board is read, its lease is known to be there or not, and every call
// still live here that the board no longer holds ends.
func (p *Provider) caughtUp(ctx context.Context, b *board, sink providers.Sink) bool {
	p.mu.Lock()
	st := &b.st
	st.reading = false
	if st.leaseGen != b.gen && st.lease {
		st.lease = false
		st.offlineSince = p.opts.Now()
	} else if st.leaseGen != b.gen && st.offlineSince.IsZero() {
		st.offlineSince = p.opts.Now()
	}
	p.mu.Unlock()
	p.poke()

	b.mu.Lock()
	gone := b.calls.notSeenIn(b.gen)
	b.mu.Unlock()
	now := p.opts.Now()
	for _, h := range gone {
		c := h.ended(now, "No longer on board "+b.name+" (it went while the console was away).", b.last)
		if !providers.Emit(ctx, sink, providers.CallEvent(now, c)) {
			return false
		}
	}
	if len(gone) > 0 {
		p.log.Info("nats: calls no longer on the board ended", "board", b.name, "calls", len(gone))
	}
	return true
}

// relayHolds reports whether b's lease is held, as last seen.
func (p *Provider) relayHolds(b *board) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return b.st.lease
}

// take applies one entry. It returns false only when ctx ended while an
// event waited for the console.
func (p *Provider) take(ctx context.Context, b *board, e jetstream.KeyValueEntry, sink providers.Sink) bool {
	rev := e.Revision()
	// A watch from scratch repeats what was taken already: such an entry
	// only says the key is still there.
	seen := rev <= b.last
	b.last = max(b.last, rev)
	switch key := e.Key(); {
	case key == wire.KeyLease:
		p.takeLease(b, e)
	case key == wire.KeyStatus:
		p.takeStatus(b, e)
	case strings.HasPrefix(key, wire.CallPrefix):
		return p.takeCall(ctx, b, e, seen, sink)
	default:
		p.refuse(b, e, "not a key of a board")
	}
	return true
}

// takeLease notes whether a relay holds the board: a put is a relay taking
// or renewing it; a delete (a clean stop) or a purge (it expired) is none.
func (p *Provider) takeLease(b *board, e jetstream.KeyValueEntry) {
	held := e.Operation() == jetstream.KeyValuePut
	if held {
		var l wire.Lease
		if len(e.Value()) > wire.MaxValue || json.Unmarshal(e.Value(), &l) != nil {
			// The key is held all the same: by whom is only for the log.
			p.refuse(b, e, "a lease that cannot be read")
		}
	}
	p.mu.Lock()
	st := &b.st
	if held {
		st.lease, st.leaseGen, st.offlineSince = true, b.gen, time.Time{}
	} else if st.lease || st.offlineSince.IsZero() {
		st.lease, st.offlineSince = false, e.Created()
	}
	p.mu.Unlock()
	p.poke()
}

// takeStatus keeps the relay's provider status.
func (p *Provider) takeStatus(b *board, e jetstream.KeyValueEntry) {
	var st providers.Status
	known := false
	if e.Operation() == jetstream.KeyValuePut {
		var err error
		if len(e.Value()) > wire.MaxValue {
			p.refuse(b, e, "a status over the size allowed")
			return
		}
		if _, _, st, err = jsonstream.UnmarshalStatus(e.Value()); err != nil {
			p.refuse(b, e, err.Error())
			return
		}
		known = true
	}
	p.mu.Lock()
	b.st.relay, b.st.relayKnown = st, known
	p.mu.Unlock()
	p.poke()
}

// takeCall applies a call's entry: a put is the call's new snapshot; a
// delete or purge takes the key off the board (an ended call leaving the
// history; a live one ends here).
func (p *Provider) takeCall(ctx context.Context, b *board, e jetstream.KeyValueEntry, seen bool, sink providers.Sink) bool {
	id, ok := wire.CallID(e.Key())
	if !ok {
		p.refuse(b, e, "not a call's key")
		return true
	}
	if seen {
		b.mu.Lock()
		if h := b.calls.byID[id]; h != nil && e.Operation() == jetstream.KeyValuePut {
			h.gen = b.gen
		}
		b.mu.Unlock()
		return true
	}
	if e.Operation() != jetstream.KeyValuePut {
		b.mu.Lock()
		h := b.calls.remove(id)
		b.mu.Unlock()
		if h == nil {
			return true
		}
		c := h.ended(e.Created(), "Taken off board "+b.name+".", e.Revision())
		return providers.Emit(ctx, sink, providers.CallEvent(e.Created(), c))
	}
	c, ok := p.decodeCall(b, e, id)
	if !ok {
		return true
	}
	b.mu.Lock()
	var dropped *heldCall
	if c.State.Live() {
		dropped = b.calls.put(id, c, e.Revision(), b.gen)
	} else {
		b.calls.remove(id)
	}
	evicted := b.calls.evicted
	b.mu.Unlock()
	if dropped != nil {
		p.log.Warn("nats: more live calls on the board than --max-calls allows; ended the one silent longest",
			"board", b.name, "max_calls", b.calls.max, "call", dropped.call.ID, "evicted_total", evicted)
		why := "Dropped: more than " + strconv.Itoa(b.calls.max) + " live calls (--max-calls)."
		if !providers.Emit(ctx, sink, providers.CallEvent(e.Created(), dropped.ended(e.Created(), why, e.Revision()))) {
			return false
		}
	}
	return providers.Emit(ctx, sink, providers.CallEvent(e.Created(), c))
}

// decodeCall reads a call's value as the console shows it: its version the
// entry's revision, its id and provider the board's where there are
// several, no capabilities where this user may not act.
func (p *Provider) decodeCall(b *board, e jetstream.KeyValueEntry, id string) (providers.Call, bool) {
	if len(e.Value()) > wire.MaxValue {
		p.refuse(b, e, "a value over the size allowed")
		return providers.Call{}, false
	}
	c, err := jsonstream.UnmarshalCall(e.Value())
	if err != nil {
		p.refuse(b, e, err.Error())
		return providers.Call{}, false
	}
	if c.ID != id {
		p.refuse(b, e, "the call under this key has another id")
		return providers.Call{}, false
	}
	c.Version = e.Revision()
	c.Provider = textsafe.Line(textsafe.Cut(c.Provider, 32))
	if p.multi {
		c.ID, c.Provider = b.name+"."+c.ID, b.name
	}
	if b.readOnly {
		c.Caps = 0
	}
	return c, true
}

// refuse logs an entry that is not what its key should hold; nothing
// changes. The words name the key and the revision, never the value.
func (p *Provider) refuse(b *board, e jetstream.KeyValueEntry, why string) {
	b.refusals.Do(func() {
		p.log.Warn("nats: refused a value on the board (said for the first ones, then every few seconds)",
			"board", b.name, "key", textsafe.Cut(e.Key(), 160), "revision", e.Revision(), "bytes", len(e.Value()), "why", why)
	})
}
