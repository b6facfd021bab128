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
