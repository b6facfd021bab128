package bayeux

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"ringside/providers/internal/bayeuxtest"
)

// burstSize is the burst both clients receive per round: 20,000 GWS call
// messages of about 600 bytes (11.8 MB).
const burstSize = 20000

// BenchmarkBurstVsCometDJS measures messages per second received from a
// 20,000-message burst on cometd-nodejs-server (long-polling), by this
// client and, in the same run against the same server, by the official
// CometD JavaScript client (cometd + cometd-nodejs-client, run by
// bayeuxtest/testdata/server/bench.mjs). Rounds alternate between the two clients
// so that a busy machine weighs on both alike. Each is timed from the
// burst request until its last message arrived; each round of the JS
// client runs in a fresh Node process after one warm-up burst. The two
// clients subscribe to channels of their own, so that neither receives
// (and spends time on) the other's bursts.
//
// The JS client hands its callback parsed objects; this client hands on
// the data as raw JSON, for the consumer to decode into its own types. So
// there are two measures: "receive" counts messages as this client
// delivers them, "decode" also has the consumer decode every message's
// data (the work a GWS consumer adds).
//
//	go test -run '^$' -bench BurstVsCometDJS -benchtime 5x ./providers/internal/bayeux/
//
// Reported: go-msg/s, js-msg/s and x-js (their ratio; the goal is ≥ 1),
// and the server's own publish loop per burst (server-ms), which bounds
// both.
func BenchmarkBurstVsCometDJS(b *testing.B) {
	b.Run("receive", func(b *testing.B) { benchBurst(b, false) })
	b.Run("decode", func(b *testing.B) { benchBurst(b, true) })
}

func benchBurst(b *testing.B, decode bool) {
	srv := bayeuxtest.Start(b, bayeuxtest.CometD, bayeuxtest.Options{})
	const goChannel, jsChannel = "/bench/go", "/bench/js"
	c, err := Start(Config{URL: srv.URL(), Transport: LongPolling, Channels: []string{goChannel}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	events := c.Events()
	for ev := range events {
		// A session's resync comes first, then its going live.
		if ev.Kind == KindState && ev.State == Live {
			break
		}
	}
	var loops time.Duration // the server's publish loops, Go rounds
	receive := func() time.Duration {
		start := time.Now()
		errc := make(chan error, 1)
		go func() {
			loop, err := srv.Burst(goChannel, burstSize)
			loops += loop
			errc <- err
		}()
		var d struct {
			Seq  int `json:"seq"`
			Call struct {
				ID    string `json:"id"`
				State string `json:"state"`
			} `json:"call"`
		}
		for n := 0; n < burstSize; {
			ev, ok := <-events
			if !ok {
				b.Fatal("event stream closed")
			}
			if ev.Kind != KindMessage {
				b.Fatalf("unexpected event during the burst: %s", ev)
			}
			if decode {
				if err := json.Unmarshal(ev.Data, &d); err != nil || d.Seq != n {
					b.Fatalf("message %d: seq %d (%v)", n, d.Seq, err)
				}
			}
			n++
		}
		elapsed := time.Since(start)
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
		return elapsed
	}
	receive() // warm-up, as the JS client gets
	loops = 0

	var goTime time.Duration
	var jsSeconds float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		js, err := srv.RunCometDJS(ctx, jsChannel, burstSize, 1, 1)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		jsSeconds += js.Seconds
		b.StartTimer()
		goTime += receive()
	}
	b.StopTimer()
	goRate := float64(burstSize*b.N) / goTime.Seconds()
	jsRate := float64(burstSize*b.N) / jsSeconds
	b.ReportMetric(goRate, "go-msg/s")
	b.ReportMetric(jsRate, "js-msg/s")
	b.ReportMetric(goRate/jsRate, "x-js")
	b.ReportMetric(float64(loops.Milliseconds())/float64(b.N), "server-ms")
}
