package relay

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/jsonstream"
	"ringside/providers/natsboard/wire"
)

// BenchmarkEventsToBoard measures the writer: provider events in, KV
// writes out, each acknowledged by JetStream (an embedded server on
// loopback, file storage). ns/op is per event.
//
//   - new-call: every event a call not seen before (one write each);
//   - lifecycle: calls ringing, answered, ended, a few hundred under way at
//     once (a call's next snapshot waits for the ack of the one before, so
//     some are folded into the latest; writes/event says how many);
//   - put-baseline: the new-call events written one at a time with kv.Put,
//     each waiting for its ack, as a writer without the pipeline would.
func BenchmarkEventsToBoard(b *testing.B) {
	b.Run("new-call", func(b *testing.B) {
		benchEvents(b, func(i int) providers.Event { return ringing(fmt.Sprintf("c%d", i), 1) })
	})
	b.Run("lifecycle", func(b *testing.B) {
		const window = 300
		benchEvents(b, func(i int) providers.Event {
			call, step := i%window+window*(i/(3*window)), i/window%3
			id := fmt.Sprintf("c%d", call)
			switch step {
			case 0:
				return ringing(id, 1)
			case 1:
				ev := ringing(id, 2)
				ev.Call.State, ev.Call.Answered, ev.Call.Caps = providers.StateActive, t0, providers.Caps(providers.ActionHangup)
				return ev
			}
			return ended(id, 3, "The caller hung up.")
		})
	})
	b.Run("put-baseline", func(b *testing.B) {
		ns := startNATS(b)
		js, err := jetstream.New(connect(b, ns.ClientURL()))
		if err != nil {
			b.Fatal(err)
		}
		kv, err := openBucket(b.Context(), js, Config{Board: "bench"}.withDefaults())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			ev := ringing(fmt.Sprintf("c%d", i), 1)
			data, err := jsonstream.MarshalCall(*ev.Call)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := kv.Put(b.Context(), wire.CallKey(ev.Call.ID), data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchEvents(b *testing.B, event func(i int) providers.Event) {
	ns := startNATS(b)
	nc := connect(b, ns.ClientURL())
	owner := &atomic.Bool{}
	owner.Store(true)
	cfg := Config{Board: "bench"}.withDefaults()
	w, err := newWriter(nc, cfg, "bench", owner, cfg.Log, cfg.Say)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := openBucket(b.Context(), w.js, cfg); err != nil {
		b.Fatal(err)
	}
	events := make([]providers.Event, b.N)
	for i := range events {
		events[i] = event(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for _, ev := range events {
		w.take(ev)
		w.pump()
		for drained := false; !drained; {
			select {
			case a := <-w.acks:
				w.done(a)
			default:
				drained = true
			}
		}
	}
	for !w.idle() {
		select {
		case a := <-w.acks:
			w.done(a)
		case <-w.retryC:
			w.retry()
		}
		w.pump()
	}
	b.StopTimer()
	if w.retried > 0 || w.dropped > 0 {
		b.Fatalf("%d writes retried, %d dropped", w.retried, w.dropped)
	}
	b.ReportMetric(float64(w.written)/float64(b.N), "writes/event")
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
