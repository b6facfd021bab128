package relay

import (
	"container/list"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/jsonstream"
	"ringside/providers/natsboard/wire"
)

// How the writer uses JetStream. Writes go out asynchronously, maxWrites at
// once, one per key at a time (so a key's writes land in order: the next
// snapshot of a call waits for the ack of the one before, and only the
// latest waiting one is sent). A write that fails is sent again, with the
// latest snapshot of its key, after a pause that doubles up to retryMax.
const (
	maxWrites  = 256
	ackWait    = 5 * time.Second
	retryFirst = 100 * time.Millisecond
	retryMax   = 5 * time.Second
)

// Headers of a KV purge, as the KV client writes them: the marker tells
// watchers the key was purged, the rollup drops what the key held.
const (
	kvOperation = "KV-Operation"
	kvPurge     = "PURGE"
)

// writeOp is how a key is written.
type writeOp uint8

const (
	opLive  writeOp = iota // a live call, the status: never expires
	opEnded                // an ended call: expires after --history
	opPurge                // an ended call beyond --history-max: purged
)

type write struct {
	op   writeOp
	data []byte
}

// slot is the state of one key with writes under way.
type slot struct {
	next   *write // the latest value not sent yet
	flying *write // sent; its ack is awaited
	queued bool   // in the writer's ready queue
	paused bool   // waiting out a failure
}

// ack is JetStream's answer to one write.
type ack struct {
	key string
	err error
}

// writer turns the provider's events into KV writes. Only the relay's loop
// goroutine calls its methods; JetStream's callbacks reach it through acks.
type writer struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	prefix   string
	provider string
	owner    *atomic.Bool
	log      *slog.Logger
	say      func(string)
	now      func() time.Time
	history  time.Duration

	slots   map[string]*slot
	ready   []string // keys with a value to send, in the order they became ready
	paused  []string // keys waiting out a failure
	flying  int
	acks    chan ack
	timer   *time.Timer
	retryC  <-chan time.Time
	delay   time.Duration
	failing int  // writes failed since the last success
	halted  bool // the lease is gone: nothing more is written

	// onBoard are the call keys that hold a value, so that a purge is sent
	// only where there is something to purge.
	onBoard map[string]bool
	ended   *endedKeys
	link    providers.Link

	written, retried, dropped uint64
}

func newWriter(nc *nats.Conn, cfg Config, provider string, owner *atomic.Bool, log *slog.Logger, say func(string)) (*writer, error) {
	w := &writer{
		nc: nc, prefix: "$KV." + wire.Bucket(cfg.Board) + ".", provider: provider, owner: owner, log: log, say: say,
		now: cfg.Now, history: cfg.History, slots: map[string]*slot{}, onBoard: map[string]bool{},
		ended: newEndedKeys(cfg.HistoryMax), acks: make(chan ack, maxWrites), delay: retryFirst,
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(maxWrites),
		jetstream.WithPublishAsyncTimeout(ackWait),
		jetstream.WithPublishAsyncAckHandler(func(_ jetstream.JetStream, m *nats.Msg, _ *jetstream.PubAck) {
			w.acked(m, nil)
		}),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			w.acked(m, err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	w.js = js
	return w, nil
}

// acked hands an ack to the loop. It runs on JetStream's goroutine (at
// times under its lock), so it must not block: acks has room for every
// write in flight, and each write is answered once.
func (w *writer) acked(m *nats.Msg, err error) {
	a := ack{key: strings.TrimPrefix(m.Subject, w.prefix), err: err}
	select {
	case w.acks <- a:
	default:
		w.log.Error("a write's answer found no room; its key is sent again on its next change", "key", a.key)
	}
}

// load takes in what an earlier run left: its keys, and its ended calls
// for the history bound (purging the oldest beyond it now).
func (w *writer) load(p prior) {
	for k := range p.keys {
		w.onBoard[k] = true
	}
	for _, e := range p.ended {
		w.purgeAll(w.ended.add(e))
	}
}

// take files one event of the provider.
func (w *writer) take(ev providers.Event) {
	switch {
	case ev.Call != nil:
		w.call(*ev.Call)
	case ev.Status != nil:
		w.status(ev)
	}
}

// call writes a call's snapshot: a live one for ever, an ended one until
// --history, and beyond --history-max ended calls the oldest is purged.
func (w *writer) call(c providers.Call) {
	if providers.CheckCallID(c.ID) != nil {
		w.log.Error("the provider reported a call id no board can hold", "call", c.ID)
		return
	}
	data, err := jsonstream.MarshalCall(c)
	if err == nil && len(data) > wire.MaxValue {
		err = fmt.Errorf("%d bytes, over the %d a board holds", len(data), wire.MaxValue)
	}
	if err != nil {
		w.dropped++
		w.log.Error("a call cannot be written to the board", "call", c.ID, "err", err)
		return
	}
	key := wire.CallKey(c.ID)
	if c.State != providers.StateEnded {
		w.ended.remove(key)
		w.set(key, &write{op: opLive, data: data})
		return
	}
	w.set(key, &write{op: opEnded, data: data})
	w.purgeAll(w.ended.add(endedKey{key: key, at: w.now()}))
}

// status writes the provider's status, and says when its link changes.
func (w *writer) status(ev providers.Event) {
	data, err := jsonstream.MarshalEvent(w.provider, ev)
	if err != nil {
		w.log.Error("the status cannot be written to the board", "err", err)
		return
	}
	w.set(wire.KeyStatus, &write{op: opLive, data: data})
	if st := ev.Status; st.Link != w.link {
		w.link = st.Link
		line := fmt.Sprintf("%s: %s", w.provider, st.Link)
		if st.Detail != "" {
			line += " (" + st.Detail + ")"
		}
		w.say(line)
	}
}

// purgeAll purges keys pushed out of the history, except those already
// expired by --history (nothing left to purge).
func (w *writer) purgeAll(out []endedKey) {
	for _, e := range out {
		if !e.at.IsZero() && w.now().Sub(e.at) > w.history {
			delete(w.onBoard, e.key)
			continue
		}
		w.purge(e.key)
	}
}

// purge removes an ended call from the board. One that never reached the
// board is simply not written.
func (w *writer) purge(key string) {
	s := w.slots[key]
	if !w.onBoard[key] && (s == nil || s.flying == nil) {
		if s != nil {
			s.next = nil
			w.forget(key, s)
		}
		return
	}
	w.set(key, &write{op: opPurge})
}

// set makes wr the next value of key.
func (w *writer) set(key string, wr *write) {
	if w.halted {
		return
	}
	s := w.slots[key]
	if s == nil {
		s = &slot{}
		w.slots[key] = s
	}
	s.next = wr
	w.enqueue(key, s)
}

func (w *writer) enqueue(key string, s *slot) {
	if s.next != nil && s.flying == nil && !s.queued && !s.paused {
		s.queued = true
		w.ready = append(w.ready, key)
	}
}

// forget drops a slot with nothing left to do.
func (w *writer) forget(key string, s *slot) {
	if s.next == nil && s.flying == nil && !s.queued && !s.paused {
		delete(w.slots, key)
	}
}

// pump sends what is ready, up to maxWrites in flight.
func (w *writer) pump() {
	for !w.halted && w.flying < maxWrites && len(w.ready) > 0 {
		key := w.ready[0]
		w.ready = w.ready[1:]
		s := w.slots[key]
		s.queued = false
		if s.next == nil || s.flying != nil {
			w.forget(key, s)
			continue
		}
		if !w.owner.Load() {
			w.halt()
			return
		}
		if _, err := w.js.PublishMsgAsync(w.message(key, s.next)); err != nil {
			w.failed(key, s, err)
			continue
		}
		s.flying, s.next = s.next, nil
		w.flying++
	}
	if len(w.ready) == 0 {
		w.ready = nil // let a long queue's array go
	}
}

// message is the NATS message that writes wr to key.
func (w *writer) message(key string, wr *write) *nats.Msg {
	m := &nats.Msg{Subject: w.prefix + key, Data: wr.data}
	switch wr.op {
	case opLive:
		m.Header = nats.Header{jetstream.MsgTTLHeader: []string{ttlNever}}
	case opPurge:
		m.Header = nats.Header{kvOperation: []string{kvPurge}, jetstream.MsgRollup: []string{jetstream.MsgRollupSubject}}
	}
	return m
}

// done takes JetStream's answer to a key's write.
func (w *writer) done(a ack) {
	s := w.slots[a.key]
	if s == nil || s.flying == nil {
		return
	}
	sent := s.flying
	s.flying = nil
	w.flying--
	if a.err != nil && !w.halted {
		if s.next == nil {
			s.next = sent // still the latest: send it again
		}
		w.failed(a.key, s, a.err)
		return
	}
	if a.err == nil {
		w.succeeded(a.key, sent)
	}
	w.enqueue(a.key, s)
	w.forget(a.key, s)
}

func (w *writer) succeeded(key string, sent *write) {
	w.written++
	if key != wire.KeyStatus {
		if sent.op == opPurge {
			delete(w.onBoard, key)
		} else {
			w.onBoard[key] = true
		}
	}
	if w.failing > 0 {
		w.log.Info("board writes resumed", "failed_writes", w.failing)
		w.say(fmt.Sprintf("board writes resumed after %d failed", w.failing))
		w.failing, w.delay = 0, retryFirst
	}
}

// failed parks a key whose write failed until the next retry.
func (w *writer) failed(key string, s *slot, err error) {
	w.retried++
	if w.failing == 0 {
		w.log.Warn("board writes failing; the latest of each call is kept and sent again", "err", err)
		w.say(fmt.Sprintf("board writes failing (%v); the latest of each call is kept and sent again", err))
	}
	w.failing++
	s.paused = true
	w.paused = append(w.paused, key)
	if w.retryC == nil {
		w.arm()
	}
}

// arm sets the retry timer, each pause twice the one before up to retryMax.
func (w *writer) arm() {
	w.timer = time.NewTimer(w.delay)
	w.retryC = w.timer.C
	w.delay = min(2*w.delay, retryMax)
}

// retry puts the parked keys back in the queue, once NATS is there to
// take them (until then each retry would only fill the reconnect buffer).
func (w *writer) retry() {
	w.retryC = nil
	if !w.nc.IsConnected() && !w.nc.IsClosed() {
		w.arm()
		return
	}
	parked := w.paused
	w.paused = nil
	for _, key := range parked {
		if s := w.slots[key]; s != nil {
			s.paused = false
			w.enqueue(key, s)
			w.forget(key, s)
		}
	}
}

// idle reports whether nothing waits to be written.
func (w *writer) idle() bool { return w.halted || len(w.slots) == 0 }

// halt stops all writing: the board is not ours any more.
func (w *writer) halt() {
	w.halted = true
	if w.timer != nil {
		w.timer.Stop()
	}
	w.retryC = nil
	w.slots, w.ready, w.paused = map[string]*slot{}, nil, nil
}

// endedKey is an ended call on the board, with when it was written (zero
// when not known).
type endedKey struct {
	key string
	at  time.Time
	rev uint64
}

// endedKeys are the ended calls on the board, oldest first, at most max.
type endedKeys struct {
	max   int
	order *list.List
	at    map[string]*list.Element
}

func newEndedKeys(max int) *endedKeys {
	return &endedKeys{max: max, order: list.New(), at: map[string]*list.Element{}}
}

// add files e as the newest, and returns the oldest beyond the bound.
func (k *endedKeys) add(e endedKey) []endedKey {
	k.remove(e.key)
	k.at[e.key] = k.order.PushBack(e)
	var out []endedKey
	for k.order.Len() > k.max {
		oldest := k.order.Remove(k.order.Front()).(endedKey)
		delete(k.at, oldest.key)
		out = append(out, oldest)
	}
	return out
}

func (k *endedKeys) remove(key string) {
	if el, ok := k.at[key]; ok {
		k.order.Remove(el)
		delete(k.at, key)
	}
}
