package genesys

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"ringside/providers"
	"ringside/providers/ledger"
)

// FuzzDecodeNotification feeds arbitrary CometD data to the decoder and the
// mapping behind it: nothing from the network may panic them, and whatever
// they accept must make a well-formed call.
func FuzzDecodeNotification(f *testing.F) {
	// Every message of the corpus is a seed.
	names, _ := filepath.Glob("testdata/*.json")
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			continue
		}
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
		{channelCalls, `{"messageType":"CallStateChangeMessage","extensions":{"NO_ANSWER_TIMEOUT":"-1e9"},"call":{"id":"x","state":"Ringing","ani":"1","userData":{"WWE_PARTY_1":{"firstname":"A\nB"}}}}`},
		{channelDevices, `{"messageType":"ErrorMessage","errorCode":1e999,"errorMessage":"\u202e","deviceUri":"/"}`},
	} {
		f.Add(seed.channel, []byte(seed.data))
	}
	keys, err := parseNameKeys([]string{"CallerName", "WWE_PARTY_{number}"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, channel string, data []byte) {
		n, err := decodeNotification(channel, data)
		if err != nil {
			if n.Call != nil || n.Device != nil || n.Error != nil {
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
		if e := n.Error; e != nil {
			if len(e.Message) > maxErrorText+len("…") || len(e.Code) > maxErrorCode+len("…") ||
				len(e.CallID) > maxErrorRef+len("…") || len(e.Device) > maxErrorRef+len("…") {
				t.Fatalf("an error note beyond its bounds: %+v", e)
			}
			if e.refusal().Error() == "" {
				t.Fatal("an empty refusal")
			}
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
		if w.NoAnswer < 0 || w.NoAnswer > maxNoAnswer || w.NoAnswer != 0 && w.NoAnswerProblem != "" {
			t.Fatalf("implausible ring timeout accepted: %v (%q)", w.NoAnswer, w.NoAnswerProblem)
		}
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		fc := foldContext{now: now, window: 15 * time.Second, phoneNumber: n.Call.PhoneNumber,
			isAgentDN: func(s string) bool { return s == "5001" }, agentName: "Agent", nameKeys: keys}
		calls := ledger.New(Name, ledger.Config{})
		for _, prev := range []providers.State{"", providers.StateRinging, providers.StateActive} {
			id := w.ID + "/" + string(prev)
			if prev != "" {
				calls.Update(id, func(c *providers.Call) { c.State = prev; c.Arrived = now.Add(-time.Minute) })
			}
			c, _ := calls.Update(id, func(c *providers.Call) { fold(c, &w, fc) })
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
			if c.State == providers.StateRinging && c.AnswerBy.Sub(c.Arrived) > max(maxNoAnswer, fc.window) {
				t.Fatalf("a deadline beyond any the switch may set: %v", c.AnswerBy.Sub(c.Arrived))
			}
			for _, p := range []providers.Party{c.From, c.To} {
				if p.Name != fc.agentName && utf8.RuneCountInString(p.Name) > maxNameRunes {
					t.Fatalf("a name beyond its bound: %q", p.Name)
				}
			}
		}
	})
}
