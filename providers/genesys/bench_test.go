package genesys

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"ringside/providers"
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
