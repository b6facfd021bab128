package relay

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/jsonstream"
	"ringside/providers/natsboard/wire"
)

// limitMarkerTTL is how long the marker of an expired key stays. It must be
// set at all for per-key TTLs (the lease, "never" on live calls) and for
// watchers to see an expiry as a Purge entry; 1 s is the least NATS takes.
const limitMarkerTTL = time.Second

// ttlNever exempts a message from the bucket's TTL (header Nats-TTL).
const ttlNever = "never"

// bucketConfig is the board's bucket: one value per key, ended calls
// expiring after History, values bounded by wire.MaxValue, on disk.
func bucketConfig(cfg Config) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:         wire.Bucket(cfg.Board),
		Description:    "ringside board " + cfg.Board,
		History:        1,
		TTL:            cfg.History,
		LimitMarkerTTL: limitMarkerTTL,
		MaxValueSize:   wire.MaxValue,
		Storage:        jetstream.FileStorage,
		Replicas:       cfg.Replicas,
	}
}

// openBucket creates the board's bucket, or brings an existing one to
// cfg (a new --history applies from now on).
func openBucket(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, bucketConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", wire.Bucket(cfg.Board), err)
	}
	return kv, nil
}

// prior is what an earlier run left on the board.
type prior struct {
	// live are its calls that had not ended, by id.
	live map[string]providers.Call
	// ended are the keys of its ended calls, oldest first, with when
	// they were written.
	ended []endedKey
	// keys holds every call key found, so that a purge is written only
	// for a key that holds something.
	keys map[string]bool
}

// readBoard reads the calls on the board (at most limit; the rest are
// left as they are and logged). A value that is not a call, or whose id
// is not its key's, is logged and skipped.
func readBoard(ctx context.Context, kv jetstream.KeyValue, limit int, log *slog.Logger) (prior, error) {
	p := prior{live: map[string]providers.Call{}, keys: map[string]bool{}}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := kv.Watch(wctx, wire.CallsPattern, jetstream.IgnoreDeletes())
	if err != nil {
		return p, fmt.Errorf("reading the board: %w", err)
	}
	defer w.Stop()
	skipped := 0
	for {
		var e jetstream.KeyValueEntry
		select {
		case e = <-w.Updates():
		case <-ctx.Done():
			return p, fmt.Errorf("reading the board: %w", ctx.Err())
		}
		if e == nil {
			break
		}
		if len(p.keys) >= limit {
			skipped++
			continue
		}
		p.add(e, log)
	}
	if skipped > 0 {
		log.Warn("the board holds more calls than a relay reads back; the rest are left as they are", "read", limit, "left", skipped)
	}
	slices.SortFunc(p.ended, func(a, b endedKey) int { return cmp.Compare(a.rev, b.rev) })
	return p, nil
}

// add files one entry of the board.
func (p *prior) add(e jetstream.KeyValueEntry, log *slog.Logger) {
	id, ok := wire.CallID(e.Key())
	if !ok {
		log.Warn("skipping a key that names no call", "key", e.Key())
		return
	}
	c, err := jsonstream.UnmarshalCall(e.Value())
	if err == nil && c.ID != id {
		err = fmt.Errorf("the value is call %s", c.ID)
	}
	if err != nil {
		log.Warn("skipping a call the board holds that cannot be read", "key", e.Key(), "err", err)
		return
	}
	p.keys[e.Key()] = true
	if c.State == providers.StateEnded {
		p.ended = append(p.ended, endedKey{key: e.Key(), at: e.Created(), rev: e.Revision()})
		return
	}
	p.live[id] = c
}

// writeMeta writes the board record; it never expires.
func writeMeta(ctx context.Context, js jetstream.JetStream, board string, m wire.Meta) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("board record: %w", err)
	}
	msg := &nats.Msg{Subject: kvSubject(board, wire.KeyMeta), Data: data, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgTTLHeader, ttlNever)
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("writing the board record: %w", err)
	}
	return nil
}

// kvSubject is the subject a key of a board's bucket is written on.
func kvSubject(board, key string) string { return "$KV." + wire.Bucket(board) + "." + key }
