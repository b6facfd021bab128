package genesys

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"ringside/providers"
)

// FuzzDecodeNotification feeds arbitrary CometD data to the decoder and the
// mapping behind it: nothing from the network may panic them, and whatever
// they accept must make a well-formed call.
func FuzzDecodeNotification(f *testing.F) {
	if raw, err := os.ReadFile("testdata/seed004_reject_notification.json"); err == nil {
		var msg struct {
			Channel string          `json:"channel"`
			Data    json.RawMessage `json:"data"`
		}
		if json.Unmarshal(raw, &msg) == nil {
			f.Add(msg.Channel, []byte(msg.Data))
		}
	}
	for _, seed := range []struct{ channel, data string }{
		{channelCalls, `{"messageType":"CallStateChangeMessage","notificationType":"StatusChange","phoneNumber":"7001","call":{"id":"NR0O3ITJ5P0TP0HCUNKM9PPH4K00000D","state":"Ringing","callType":"Inbound","ani":"5125","dnis":"8012","participants":[],"userData":{"acw_time":"40"},"capabilities":["Answer","Reject","AttachUserData","UpdateUserData"],"duration":"0","mute":"Off"}}`},
		{channelCalls, `{"messageType":"CallStateChangeMessage","notificationType":"AttachedDataChanged","phoneNumber":"1000","call":{"id":"0071025563e9f00f","state":"Established","participants":["1001"],"capabilities":["Hangup"],"duration":"13"}}`},
		{channelCalls, `{"call":{"id":"x","state":"Held","duration":1e400}}`},
		{channelDevices, `{"messageType":"DeviceStateChangeMessage","devices":[{"id":"d","phoneNumber":"5005","doNotDisturb":"On","userState":{"state":"NotReady","displayName":"Lunch"}}]}`},
		{channelCalls, `[]`},
		{channelCalls, `{"messageType":"CallStateChangeMessage","call":{"id":"\u0000","participants":[{"phoneNumber":{"a":1}}]}}`},
	} {
		f.Add(seed.channel, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, channel string, data []byte) {
		n, err := decodeNotification(channel, data)
		if err != nil {
			if n.Call != nil || n.Device != nil {
				t.Fatalf("an error with a result: %+v", n)
			}
			if err.Error() == "" {
				t.Fatal("an empty error message")
			}
			return
		}
		if n.Device != nil {
			_ = agentLabel(n.Device.Devices)
		}
		if n.Call == nil {
			return
		}
		w := n.Call.Call
		if strings.TrimSpace(w.ID) == "" {
			t.Fatalf("accepted a call without an id: %+v", w)
		}
		if w.HasDuration && (w.Duration < 0 || w.Duration > maxCallAge) {
			t.Fatalf("implausible duration accepted: %v", w.Duration)
		}
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		fc := foldContext{now: now, window: 15 * time.Second, phoneNumber: n.Call.PhoneNumber,
			isAgentDN: func(s string) bool { return s == "5001" }, agentName: "Agent"}
		ledger := providers.NewLedger(Name, providers.LedgerConfig{})
		for _, prev := range []providers.State{"", providers.StateRinging, providers.StateActive} {
			id := w.ID + "/" + string(prev)
			if prev != "" {
				ledger.Update(id, func(c *providers.Call) { c.State = prev; c.Arrived = now.Add(-time.Minute) })
			}
			c, _ := ledger.Update(id, func(c *providers.Call) { fold(c, &w, fc) })
			if !c.State.Valid() {
				t.Fatalf("fold made an invalid state %q", c.State)
			}
			if c.State == providers.StateRinging && c.AnswerBy.IsZero() {
				t.Fatalf("a ringing call without a deadline: %+v", c)
			}
			if c.State == providers.StateEnded && (c.End.IsZero() || c.Ended.IsZero()) {
				t.Fatalf("an ended call without a reason or time: %+v", c)
			}
			if c.Arrived.After(now) {
				t.Fatalf("arrived in the future: %v", c.Arrived)
			}
		}
	})
}
