package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/internal/bayeux"
	"ringside/providers/internal/bayeuxtest"
	"ringside/providers/ledger"
)

// burst is n CallStateChangeMessages for distinct ringing calls, shaped like
// GWS's (about 600 bytes each).
func burst(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"messageType":"CallStateChangeMessage","notificationType":"StatusChange","phoneNumber":"7001",`+
			`"extensions":{"WrapUpTime":0,"BusinessCall":0},"call":{"id":"NR0O3ITJ5P0TP0HCUNKM9P%06d","callUuid":"NR0O3ITJ5P0TP0HCUNKM9P%06d",`+
			`"connId":"007102719260b00c","state":"Ringing","callType":"Inbound","ani":"5125","dnis":"8012",`+
			`"participants":[{"phoneNumber":"5125","digits":"5125","formattedPhoneNumber":"5125","e164Number":""}],`+
			`"userData":{"acw_time":"40","queue":"Support"},"capabilities":["Answer","Reject","AttachUserData","UpdateUserData"],`+
			`"duration":"0","mute":"Off","supervisorListeningIn":false,"monitoredUserMuted":false,"monitoring":false,`+
			`"uri":"http://gws.example/api/v2/me/calls/NR0O3ITJ5P0TP0HCUNKM9P%06d","path":"/calls/NR0O3ITJ5P0TP0HCUNKM9P%06d"}}`, i, i, i, i)
	}
	return out
}

// BenchmarkNotifications compares what the provider does per notification
// (tolerant decoding, folding into the ledger) with the floor of decoding
// the same bytes into a plain map.
func BenchmarkNotifications(b *testing.B) {
	msgs := burst(20000)
	b.Run("baseline-json-map", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			var m map[string]any
			if err := json.Unmarshal(msgs[i%len(msgs)], &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := decodeNotification(channelCalls, msgs[i%len(msgs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode+fold", func(b *testing.B) {
		calls := ledger.New(Name, ledger.Config{})
		now := time.Now()
		fc := foldContext{now: now, window: 15 * time.Second, isAgentDN: func(string) bool { return false }}
		for i := 0; b.Loop(); i++ {
			n, err := decodeNotification(channelCalls, msgs[i%len(msgs)])
			if err != nil {
				b.Fatal(err)
			}
			fc.phoneNumber = n.Call.PhoneNumber
			calls.Update(n.Call.Call.ID, func(c *providers.Call) { fold(c, &n.Call.Call, fc) })
		}
	})
}

// BenchmarkBurstVsCometDJS is the provider's side of the bayeux package's
// benchmark of the same name: the CometD client of the provider (long-
// polling, as against GWS) receives 20,000-message bursts of GWS call
// messages from cometd-nodejs-server on /v2/me/calls, and every message is
// decoded into a call, as the provider decodes what the client delivers; in
// the same run the
// official CometD JavaScript client receives the same bursts (see
// bayeuxtest's CompareBurst for how the rounds alternate and what is
// timed). The JS client's callback gets every message parsed into objects.
//
//	go test -run '^$' -bench BurstVsCometDJS -benchtime 5x ./providers/genesys/
//
// Reported: go-msg/s, js-msg/s and x-js (their ratio; the goal is ≥ 1),
// and the server's own publish loop per burst (server-ms).
func BenchmarkBurstVsCometDJS(b *testing.B) {
	b.Run("decode", func(b *testing.B) {
		const count, jsChannel = 20000, "/bench/js"
		srv := bayeuxtest.Start(b, bayeuxtest.CometD, bayeuxtest.Options{})
		c, err := bayeux.Start(bayeux.Config{URL: srv.URL(), Transport: bayeux.LongPolling, Channels: []string{channelCalls}})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close(context.Background())
		events := c.Events()
		for ev := range events {
			if ev.Kind == bayeux.KindState && ev.State == bayeux.Live {
				break
			}
		}
		// The test server's burst numbers its calls (bayeuxtest's
		// server.js, callMessage); each must arrive, in order.
		ids := make([]string, count)
		for i := range ids {
			ids[i] = fmt.Sprintf("NR0O3ITJ5P0TP0HCUNKM9PPH4K%06d", i)
		}
		srv.CompareBurst(b, channelCalls, jsChannel, count, func(count int) error {
			for i := range count {
				ev, ok := <-events
				if !ok {
					return errors.New("event stream closed")
				}
				if ev.Kind != bayeux.KindMessage {
					return fmt.Errorf("unexpected event during the burst: %s", ev)
				}
				// As the provider reads the data the CometD client
				// delivers (and checked).
				n, err := decodeCheckedNotification(ev.Channel, ev.Data)
				switch {
				case err != nil:
					return fmt.Errorf("message %d: %w", i, err)
				case n.Call == nil || n.Call.Call.ID != ids[i] || n.Call.Call.State != gwsRinging:
					return fmt.Errorf("message %d: not ringing call %s: %+v", i, ids[i], n.Call)
				}
			}
			return nil
		})
	})
}
