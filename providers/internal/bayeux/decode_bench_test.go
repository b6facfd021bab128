package bayeux

import (
	"fmt"
	"strings"
	"testing"
)

// burstBody is a long-polling response like cometd-nodejs-server's after a
// burst: n call messages, then the connect reply.
func burstBody(n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		id := fmt.Sprintf("NR0O3ITJ5P0TP0HCUNKM9PPH4K%06d", i)
		fmt.Fprintf(&b, `{"channel":"/v2/me/calls","data":{"messageType":"CallStateChangeMessage","notificationType":"StatusChange","phoneNumber":"7001","seq":%d,"call":{"id":"%s","connId":"007102719260b%03d","state":"Ringing","callType":"Inbound","ani":"5125","dnis":"8012","participants":[{"phoneNumber":"5125","digits":"5125","formattedPhoneNumber":"5125"}],"userData":{"acw_time":"40","queue":"Support"},"capabilities":["Answer","Reject","AttachUserData","UpdateUserData"],"duration":"0","mute":"Off","uri":"http://gws.example/api/v2/me/calls/%s"}}},`, i, id, i%1000, id)
	}
	b.WriteString(`{"id":"7","channel":"/meta/connect","successful":true}]`)
	return []byte(b.String())
}

// BenchmarkDecodeResponse is the client's own cost of reading a 20,000
// message long-polling response (about 11.8 MB).
func BenchmarkDecodeResponse(b *testing.B) {
	body := burstBody(burstSize)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		msgs, err := decodeResponse(body)
		if err != nil || len(msgs) != burstSize+1 {
			b.Fatalf("%d messages, %v", len(msgs), err)
		}
	}
	b.ReportMetric(float64(burstSize)*float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}
