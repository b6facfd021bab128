package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers/natsboard/wire"
)

// renewWait bounds one renewal, well inside LeaseTTL.
const renewWait = 2 * time.Second

// releaseWait bounds deleting the lease at a clean stop.
const releaseWait = 3 * time.Second

// lease is this relay's hold on its board.
type lease struct {
	board   string
	js      jetstream.JetStream
	kv      jetstream.KeyValue
	subject string
	me      wire.Lease
	data    []byte

	mu  sync.Mutex
	rev uint64 // the revision of our latest lease value
}

// takeLease creates the lease key, which expires LeaseTTL after its last
// write. A key already there is another relay's: *LeaseHeldError names it.
func takeLease(ctx context.Context, js jetstream.JetStream, kv jetstream.KeyValue, board string, me wire.Lease) (*lease, error) {
	data, err := json.Marshal(me)
	if err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	l := &lease{board: board, js: js, kv: kv, subject: kvSubject(board, wire.KeyLease), me: me, data: data}
	rev, err := kv.Create(ctx, wire.KeyLease, data, jetstream.KeyTTL(wire.LeaseTTL))
	if errors.Is(err, jetstream.ErrKeyExists) {
		holder, _ := l.holder(ctx)
		return nil, &LeaseHeldError{Board: board, Holder: holder}
	}
	if err != nil {
		return nil, fmt.Errorf("taking the lease: %w", err)
	}
	l.setRev(rev)
	return l, nil
}

func (l *lease) setRev(rev uint64) {
	l.mu.Lock()
	l.rev = rev
	l.mu.Unlock()
}

func (l *lease) revision() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rev
}

// holder reads who holds the lease now; ours reports whether it is us.
func (l *lease) holder(ctx context.Context) (wire.Lease, error) {
	e, err := l.kv.Get(ctx, wire.KeyLease)
	if err != nil {
		return wire.Lease{}, err
	}
	var h wire.Lease
	if err := json.Unmarshal(e.Value(), &h); err != nil {
		return wire.Lease{}, fmt.Errorf("lease record: %w", err)
	}
	return h, nil
}

// keep renews the lease every RenewEvery until ctx ends. It reports to
// fatal, once, a lease another writer took (ErrLeaseLost) or a closed
// connection, and returns; while NATS is merely away it keeps trying (no
// action can reach the relay meanwhile anyway).
func (l *lease) keep(ctx context.Context, log *slog.Logger, fatal func(error)) {
	t := time.NewTicker(wire.RenewEvery)
	defer t.Stop()
	failing := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := l.renew(ctx, log)
		switch {
		case err == nil:
			if failing > 0 {
				log.Info("lease renewed again", "failed_renewals", failing)
			}
			failing = 0
		case ctx.Err() != nil:
			return
		case errors.Is(err, ErrLeaseLost), errors.Is(err, nats.ErrConnectionClosed):
			fatal(err)
			return
		default:
			if failing == 0 {
				log.Warn("renewing the lease failed; trying again every second", "err", err)
			}
			failing++
		}
	}
}

// renew writes the lease again, only over our own last write, with its
// TTL. (kv.Update would keep the key for ever: it drops the TTL.)
func (l *lease) renew(ctx context.Context, log *slog.Logger) error {
	rctx, cancel := context.WithTimeout(ctx, renewWait)
	defer cancel()
	msg := &nats.Msg{Subject: l.subject, Data: l.data}
	ack, err := l.js.PublishMsg(rctx, msg, jetstream.WithExpectLastSequencePerSubject(l.revision()), jetstream.WithMsgTTL(wire.LeaseTTL))
	if err == nil {
		l.setRev(ack.Sequence)
		return nil
	}
	if !wrongLastSequence(err) {
		return err
	}
	return l.recover(rctx, log)
}

// recover finds out why a renewal met another revision: our own write
// whose ack was lost (adopt it), a lease that lapsed while NATS was away
// with nobody taking it (take it again), or another relay's (lost).
func (l *lease) recover(ctx context.Context, log *slog.Logger) error {
	e, err := l.kv.Get(ctx, wire.KeyLease)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		rev, cerr := l.kv.Create(ctx, wire.KeyLease, l.data, jetstream.KeyTTL(wire.LeaseTTL))
		if cerr == nil {
			l.setRev(rev)
			log.Warn("the lease had lapsed (NATS was away for longer than its TTL); taken again")
			return nil
		}
		if !errors.Is(cerr, jetstream.ErrKeyExists) {
			return cerr
		}
		e, err = l.kv.Get(ctx, wire.KeyLease)
	}
	if err != nil {
		return err
	}
	var h wire.Lease
	if json.Unmarshal(e.Value(), &h) == nil && h.Relay == l.me.Relay {
		l.setRev(e.Revision())
		return nil
	}
	return fmt.Errorf("%w: board %s is now held by %s", ErrLeaseLost, l.board, holderWords(h))
}

// wrongLastSequence says whether err is JetStream's refusal of a write
// expecting another last revision (10164 on replicated streams).
func wrongLastSequence(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// release deletes the lease, only if it is still ours, so that consoles
// see the relay gone at once and another relay may start at once.
func (l *lease) release(log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), releaseWait)
	defer cancel()
	if err := l.kv.Delete(ctx, wire.KeyLease, jetstream.LastRevision(l.revision())); err != nil {
		log.Warn("releasing the lease failed; it frees itself when its TTL runs out", "err", err, "ttl", wire.LeaseTTL)
		return
	}
	log.Info("lease released")
}
