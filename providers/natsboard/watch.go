package natsboard

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/natsboard/wire"
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
