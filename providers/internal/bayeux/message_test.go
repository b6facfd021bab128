package bayeux

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unsafe"
)

// decodeCases are response bodies and what the decoder makes of them. They
// also seed the fuzz target.
var decodeCases = []struct {
	name      string
	body      string
	channels  []string // of the messages read, in order
	skipped   int
	truncated bool
	fatal     bool // nothing usable: an error and no message
}{
	{name: "cometd connect with queued messages first",
		body:     `[{"channel":"/v2/me/calls","data":{"n":1}},{"channel":"/v2/me/calls","data":{"n":2}},{"id":"3","channel":"/meta/connect","successful":true}]`,
		channels: []string{"/v2/me/calls", "/v2/me/calls", "/meta/connect"}},
	{name: "faye connect reply first, then messages with colliding ids",
		body:     `[{"id":"3","clientId":"abc","channel":"/meta/connect","successful":true,"advice":{"reconnect":"retry","interval":0,"timeout":60000}},{"channel":"/v2/me/calls","data":{"a":1},"id":"3"}]`,
		channels: []string{"/meta/connect", "/v2/me/calls"}},
	{name: "single object", body: ` {"channel":"/meta/connect","successful":false,"error":"402::session_unknown"} `,
		channels: []string{"/meta/connect"}},
	{name: "empty list", body: `[]`},
	{name: "white space around", body: "\n\t[ {\"channel\" : \"/a\" , \"data\" : [ 1 , 2 ] } ]\r\n", channels: []string{"/a"}},
	{name: "escaped strings", body: `[{"channel":"\/v2\/me\/calls","data":"caf\u00e9 \"x\"","error":"é"}]`, channels: []string{"/v2/me/calls"}},
	{name: "numeric id", body: `[{"channel":"/meta/connect","id":42,"successful":true}]`, channels: []string{"/meta/connect"}},
	{name: "subscription as list", body: `[{"channel":"/meta/subscribe","id":"1","subscription":["/a","/b/*"],"successful":true}]`, channels: []string{"/meta/subscribe"}},
	{name: "null data is data", body: `[{"channel":"/a","data":null}]`, channels: []string{"/a"}},
	{name: "unknown fields ignored", body: `[{"channel":"/a","data":1,"timestamp":"x","extra":{"deep":[1,{"x":null}]}}]`, channels: []string{"/a"}},
	{name: "wrong type skips only that message",
		body:     `[{"channel":"/a","data":1},{"channel":"/meta/connect","successful":"yes"},{"channel":"/b","data":2}]`,
		channels: []string{"/a", "/b"}, skipped: 1},
	{name: "advice of the wrong types keeps its reply",
		body:     `[{"id":"1","channel":"/meta/connect","successful":true,"advice":{"interval":"soon","timeout":{"ms":1},"reconnect":7,"maxInterval":true,"multiple-clients":"yes","hosts":[1]}}]`,
		channels: []string{"/meta/connect"}},
	{name: "advice that is not an object keeps its reply", body: `[{"channel":"/meta/connect","successful":true,"advice":"retry"}]`, channels: []string{"/meta/connect"}},
	{name: "advice numbers beyond float64", body: `[{"channel":"/meta/connect","successful":true,"advice":{"timeout":1e400,"interval":-1e400,"maxInterval":1e-400}}]`, channels: []string{"/meta/connect"}},
	{name: "element that is not an object", body: `[1,{"channel":"/a","data":1},"x",null]`, channels: []string{"/a"}, skipped: 3},
	{name: "message without channel", body: `[{"data":1},{"channel":"","data":2},{"channel":"/a","data":3}]`, channels: []string{"/a"}, skipped: 2},
	{name: "truncated body keeps what came before",
		body:     `[{"channel":"/a","data":{"n":1}},{"channel":"/b","data":{"n":`,
		channels: []string{"/a"}, truncated: true},
	{name: "missing comma", body: `[{"channel":"/a","data":1} {"channel":"/b","data":2}]`, channels: []string{"/a"}, truncated: true},
	{name: "trailing garbage", body: `[{"channel":"/a","data":1}] x`, channels: []string{"/a"}, truncated: true},
	{name: "two values", body: `[{"channel":"/a","data":1}][]`, channels: []string{"/a"}, truncated: true},
	{name: "bad number", body: `[{"channel":"/a","data":01}]`, truncated: true},
	{name: "control character in string", body: "[{\"channel\":\"/a\",\"data\":\"a\x01b\"}]", truncated: true},
	{name: "bad escape", body: `[{"channel":"/a","data":"\x"}]`, truncated: true},
	{name: "nested 10,000 deep counting the list", body: `[{"channel":"/a","data":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}]`,
		channels: []string{"/a"}},
	{name: "nested deeper", body: `[{"channel":"/a","data":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}]`, truncated: true},
	{name: "duplicate fields: the last wins", body: `[{"channel":"/x","data":1,"channel":"/a","data":2}]`, channels: []string{"/a"}},
	{name: "strings that are not UTF-8 are read", body: "[{\"channel\":\"/a\xff\",\"data\":\"\xfe\"}]", channels: []string{"/a\ufffd"}},
	{name: "empty body", body: ``, fatal: true},
	{name: "only spaces", body: "  \n", fatal: true},
	{name: "html error page", body: `<html>Bad Gateway</html>`, fatal: true},
	{name: "bare string", body: `"hello"`, fatal: true},
}

func TestDecodeResponse(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := decodeResponse([]byte(tc.body))
			var got []string
			for _, m := range msgs {
				got = append(got, m.Channel)
			}
			if strings.Join(got, " ") != strings.Join(tc.channels, " ") {
				t.Fatalf("channels %q, want %q (err %v)", got, tc.channels, err)
			}
			if tc.fatal {
				if err == nil || isDecodeErr(err) {
					t.Fatalf("error %v, want a plain error", err)
				}
				return
			}
			if tc.skipped == 0 && !tc.truncated {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var de *decodeError
			if !errorsAs(err, &de) || de.Skipped != tc.skipped || de.Truncated != tc.truncated {
				t.Fatalf("error %v, want skipped %d truncated %v", err, tc.skipped, tc.truncated)
			}
			if !strings.Contains(err.Error(), "message") && !strings.Contains(err.Error(), "JSON") {
				t.Fatalf("error %q does not say what was wrong", err)
			}
		})
	}
}

// TestDecodeFields: every field a client cares about is read, and data is
// recognised by its content, never by its id.
func TestDecodeFields(t *testing.T) {
	body := `[{"id":"7","channel":"/meta/handshake","successful":true,"version":"1.0","minimumVersion":"1.0",
		"clientId":"c1","supportedConnectionTypes":["long-polling","websocket"],
		"advice":{"reconnect":"retry","interval":0,"timeout":30000,"maxInterval":10000,"multiple-clients":true},
		"ext":{"ack":true}},
		{"channel":"/v2/me/calls","data":{"call":{"id":"X"}},"id":"7"},
		{"id":"8","channel":"/meta/subscribe","subscription":"/v2/me/calls","successful":false,"error":"403::denied"}]`
	msgs, err := decodeResponse([]byte(body))
	if err != nil || len(msgs) != 3 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	hs := msgs[0]
	if hs.ID != "7" || !hs.ok() || hs.ClientID != "c1" || hs.Version != "1.0" || hs.MinimumVersion != "1.0" ||
		strings.Join(hs.SupportedConnectionTypes, ",") != "long-polling,websocket" || string(hs.Ext) != `{"ack":true}` || hs.isData() {
		t.Fatalf("handshake reply read as %+v", hs)
	}
	a := hs.Advice
	if a == nil || a.Reconnect != "retry" || *a.Interval != 0 || *a.Timeout != 30000 || *a.MaxInterval != 10000 || !a.MultipleClients {
		t.Fatalf("advice read as %+v", a)
	}
	if d := msgs[1]; !d.isData() || string(d.Data) != `{"call":{"id":"X"}}` {
		t.Fatalf("data message read as %+v", d)
	}
	if s := msgs[2]; s.ok() || s.Error != "403::denied" || len(s.Subscription) != 1 || s.Subscription[0] != "/v2/me/calls" || s.isData() {
		t.Fatalf("subscribe reply read as %+v", s)
	}
}

// TestDecodeAdvice: advice is read leniently: a field of the wrong type is
// ignored and named, the others are kept, and numbers too large for a
// float64 read as infinite (the client caps them) rather than spoiling
// the reply.
func TestDecodeAdvice(t *testing.T) {
	for _, tc := range []struct {
		body     string
		interval float64 // NaN: not set
		timeout  float64
		reconn   string
		invalid  string
	}{
		{`{"reconnect":"retry","interval":"soon","timeout":30000,"hosts":[1]}`, math.NaN(), 30000, "retry", "interval hosts"},
		{`{"reconnect":7,"interval":0,"timeout":"60000","multiple-clients":"yes"}`, 0, math.NaN(), "", "reconnect timeout multiple-clients"},
		{`{"timeout":1e400,"interval":-1e400,"maxInterval":null}`, math.Inf(-1), math.Inf(1), "", ""},
		{`[1,2]`, math.NaN(), math.NaN(), "", "advice (not an object)"},
	} {
		msgs, err := decodeResponse([]byte(`[{"channel":"/meta/connect","successful":true,"advice":` + tc.body + `}]`))
		if err != nil || len(msgs) != 1 || !msgs[0].ok() || msgs[0].Advice == nil {
			t.Fatalf("%s: %d messages, %v; want the reply kept", tc.body, len(msgs), err)
		}
		a := msgs[0].Advice
		same := func(p *float64, want float64) bool {
			if math.IsNaN(want) {
				return p == nil
			}
			return p != nil && *p == want
		}
		if !same(a.Interval, tc.interval) || !same(a.Timeout, tc.timeout) || a.Reconnect != tc.reconn || a.MaxInterval != nil ||
			strings.Join(a.invalid, " ") != tc.invalid {
			t.Errorf("%s read as %+v (interval %v timeout %v)", tc.body, a, deref(a.Interval), deref(a.Timeout))
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestDecodeKeepsDataInBody: data is handed on as a slice of the body,
// neither copied nor able to overwrite what follows it, and the body is
// left as it was.
func TestDecodeKeepsDataInBody(t *testing.T) {
	body := burstBody(3 * deliverBatch)
	orig := bytes.Clone(body)
	msgs, err := decodeResponse(body)
	if err != nil || len(msgs) != 3*deliverBatch+1 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(body)))
	hi := lo + uintptr(len(body))
	for i, m := range msgs[:3*deliverBatch] {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(m.Data)))
		if len(m.Data) == 0 || p < lo || p+uintptr(len(m.Data)) > hi {
			t.Fatalf("message %d: data is not a slice of the body", i)
		}
		if cap(m.Data) != len(m.Data) {
			t.Fatalf("message %d: appending to data would overwrite the body", i)
		}
	}
	if !bytes.Equal(body, orig) {
		t.Fatal("decoding changed the body")
	}
}

// TestEncodeRequest: outgoing messages carry exactly the fields the
// protocol asks for.
func TestEncodeRequest(t *testing.T) {
	zero := 0.0
	hs := &message{Channel: chHandshake, ID: "1", Version: "1.0", MinimumVersion: "1.0", SupportedConnectionTypes: []string{"websocket", "long-polling"}}
	co := &message{Channel: chConnect, ID: "2", ClientID: "c1", ConnectionType: "long-polling", Advice: &wireAdvice{Timeout: &zero}}
	su := &message{Channel: chSubscribe, ID: "3", ClientID: "c1", Subscription: subscription{"/v2/me/calls"}}
	pu := &message{Channel: "/v2/x", ID: "4", ClientID: "c1", Data: json.RawMessage(`{"a":1}`), Ext: json.RawMessage(`{"auth":"t"}`)}
	for _, tc := range []struct {
		m    *message
		want string
	}{
		{hs, `[{"channel":"/meta/handshake","id":"1","version":"1.0","minimumVersion":"1.0","supportedConnectionTypes":["websocket","long-polling"]}]`},
		{co, `[{"channel":"/meta/connect","id":"2","clientId":"c1","connectionType":"long-polling","advice":{"timeout":0}}]`},
		{su, `[{"channel":"/meta/subscribe","id":"3","clientId":"c1","subscription":"/v2/me/calls"}]`},
		{pu, `[{"channel":"/v2/x","id":"4","clientId":"c1","data":{"a":1},"ext":{"auth":"t"}}]`},
	} {
		b, err := encodeRequest([]*message{tc.m})
		if err != nil || string(b) != tc.want {
			t.Errorf("encoded %s (%v)\nwant    %s", b, err, tc.want)
		}
	}
	two := subscription{"/a", "/b"}
	if b, _ := json.Marshal(two); string(b) != `["/a","/b"]` {
		t.Errorf("two subscriptions encoded as %s", b)
	}
	if _, err := encodeRequest([]*message{{Channel: "/x", Data: json.RawMessage(`{bad`)}}); err == nil {
		t.Error("a message with invalid data was encoded")
	}
}
