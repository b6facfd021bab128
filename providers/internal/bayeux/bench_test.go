package bayeux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"ringside/providers/internal/bayeuxtest"
)

// burstSize is the burst both clients receive per round: 20,000 GWS call
// messages of about 600 bytes (11.8 MB).
const burstSize = 20000

// BenchmarkBurstVsCometDJS measures messages per second received from a
// 20,000-message burst on cometd-nodejs-server (long-polling), by this
// client and, in the same run against the same server, by the official
// CometD JavaScript client (cometd + cometd-nodejs-client, run by
// bayeuxtest/testdata/server/bench.mjs); see bayeuxtest's CompareBurst for
// how the rounds alternate and what is timed.
//
// The JS client hands its callback parsed objects; this client hands on
// the data as raw JSON, for the consumer to decode into its own types. So
// there are two measures here: "receive" counts messages as this client
// delivers them, "unmarshal" also has the consumer json.Unmarshal every
// message's data into a small struct (what any consumer adds). The GWS
// provider's own measure, every message decoded into a call, is the
// genesys package's BenchmarkBurstVsCometDJS/decode.
//
//	go test -run '^$' -bench BurstVsCometDJS -benchtime 5x ./providers/internal/bayeux/
//
// Reported: go-msg/s, js-msg/s and x-js (their ratio; the goal is ≥ 1),
// and the server's own publish loop per burst (server-ms), which bounds
// both.
func BenchmarkBurstVsCometDJS(b *testing.B) {
	b.Run("receive", func(b *testing.B) { benchBurst(b, false) })
	b.Run("unmarshal", func(b *testing.B) { benchBurst(b, true) })
}

func benchBurst(b *testing.B, unmarshal bool) {
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
	var d struct {
		Seq  int `json:"seq"`
		Call struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"call"`
	}
	srv.CompareBurst(b, goChannel, jsChannel, burstSize, func(count int) error {
		for n := 0; n < count; n++ {
			ev, ok := <-events
			if !ok {
				return errors.New("event stream closed")
			}
			if ev.Kind != KindMessage {
				return fmt.Errorf("unexpected event during the burst: %s", ev)
			}
			if unmarshal {
				if err := json.Unmarshal(ev.Data, &d); err != nil || d.Seq != n {
					return fmt.Errorf("message %d: seq %d (%v)", n, d.Seq, err)
				}
			}
		}
		return nil
	})
}
