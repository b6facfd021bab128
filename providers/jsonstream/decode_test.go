package jsonstream

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"ringside/providers"
)

// fullCall has every field the schema carries set, so a round trip that
// drops one fails.
func fullCall() providers.Call {
	at := time.Date(2026, 11, 30, 9, 15, 2, 0, time.UTC)
	return providers.Call{
		ID: "c-17.a", Provider: "graph", State: providers.StateEnded, Direction: providers.Incoming,
		From:  providers.Party{Name: "Ana Lima", ID: "+351210000001", Kind: providers.KindPhone},
		To:    providers.Party{ID: "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f", Kind: providers.KindApplication},
		Queue: "Sales",
		Route: providers.Route{
			Kind:              providers.CallMeeting,
			Dialled:           providers.Party{ID: "+351210000099", Kind: providers.KindPhone},
			Transferor:        providers.Party{Name: "Bo", Kind: providers.KindUser},
			SourceParticipant: "30fad2ce-8989-41a1-8a66-f6636e629a2a",
		},
		Modalities: []string{"audio", "video"},
		Region:     "euwe",
		Arrived:    at, AnswerBy: at.Add(15 * time.Second), Answered: at.Add(4 * time.Second), Ended: at.Add(90 * time.Second),
		End:     providers.EndReason{Code: 0, Subcode: 7015, Text: "Transferred to Bo"},
		Caps:    providers.Caps(providers.ActionHangup, providers.ActionTransfer),
		Outcome: providers.OutcomeTransferred,
		Version: 42,
		RingOut: providers.RingOutNotReady,
	}
}

func TestUnmarshalCallRoundTrip(t *testing.T) {
	for name, c := range map[string]providers.Call{
		"every field": fullCall(),
		"ringing, bare": {ID: "r1", Provider: "demo", State: providers.StateRinging, Version: 1,
			Arrived: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		"a route with only the caller's participant id": {ID: "s1", Provider: "graph", State: providers.StateRinging, Version: 1,
			Route: providers.Route{SourceParticipant: "p1"}},
		"ringing, the switch logs the agent out if it rings out": {ID: "g1", Provider: "genesys", State: providers.StateRinging,
			RingOut: providers.RingOutLogOut, Version: 2},
		"ended with code 0 and no subcode": {ID: "e1", Provider: "genesys", State: providers.StateEnded,
			End: providers.EndReason{Text: "hung up"}, Version: 3},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := MarshalCall(c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := UnmarshalCall(b)
			if err != nil {
				t.Fatalf("UnmarshalCall(%s): %v", b, err)
			}
			want := c
			want.Outcome = c.Result() // the stream carries the derived outcome
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip changed the call:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestUnmarshalCallRefusesWhatIsNotACall(t *testing.T) {
	good, _ := MarshalCall(fullCall())
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"not JSON":          {`{"id":`, "not valid JSON"},
		"two values":        {string(good) + `{}`, "more than one"},
		"id of wrong type":  {`{"id":7,"state":"ringing"}`, `field "id"`},
		"no id":             {`{"state":"ringing"}`, "id"},
		"unsafe id":         {`{"id":"a b","state":"ringing"}`, "id"},
		"unknown state":     {`{"id":"a","state":"dancing"}`, "unknown state"},
		"version negative":  {`{"id":"a","state":"ringing","version":-1}`, `field "version"`},
		"caps not strings":  {`{"id":"a","state":"ringing","capabilities":[1]}`, "capabilities"},
		"too many caps":     {`{"id":"a","state":"ringing","capabilities":[` + strings.Repeat(`"answer",`, 40) + `"answer"]}`, "capabilities"},
		"oversized":         {`{"id":"a","state":"ringing","queue":"` + strings.Repeat("x", MaxObject) + `"}`, "over the"},
		"modalities flood":  {`{"id":"a","state":"ringing","modalities":[` + strings.Repeat(`"a",`, 40) + `"a"]}`, "modalities"},
		"time not a time":   {`{"id":"a","state":"ringing","arrived":"yesterday"}`, "JSON"},
		"array, not object": {`[1,2]`, "call object"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := UnmarshalCall([]byte(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("UnmarshalCall(%.60s…) = %v, want an error about %q", tc.body, err, tc.want)
			}
			if len(err.Error()) > 300 {
				t.Fatalf("the error quotes too much of what was sent: %d bytes", len(err.Error()))
			}
		})
	}
}

func TestUnmarshalCallDropsUnknownWordsKeepsTheCall(t *testing.T) {
	body := `{"id":"a","provider":"graph","state":"ringing","direction":"sideways","outcome":"\u001b[31mwon",` +
		`"from":{"name":"X","kind":"martian"},"route":{"kind":"party"},"capabilities":["answer","teleport"],"new_field":{"x":1},` +
		`"ring_out":"lunch"}`
	c, err := UnmarshalCall([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if c.Direction != "" || c.Outcome != "" || c.From.Kind != "" || c.Route.Kind != "" || c.RingOut != providers.RingOutNone {
		t.Fatalf("unknown words kept: %+v", c)
	}
	if c.Caps != providers.Caps(providers.ActionAnswer) {
		t.Fatalf("capabilities %v, want answer alone", c.Caps.Names())
	}
}

func TestUnmarshalStatus(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	st := providers.Status{Link: providers.LinkReconnecting, Detail: "lost", Warning: "auth off", Agent: "Ready"}
	b, err := MarshalEvent("genesys", providers.StatusEvent(at, st))
	if err != nil {
		t.Fatal(err)
	}
	prov, when, got, err := UnmarshalStatus(b)
	if err != nil || prov != "genesys" || !when.Equal(at) || got != st {
		t.Fatalf("UnmarshalStatus = %q %v %+v %v", prov, when, got, err)
	}
	for _, bad := range []string{`{"type":"call"}`, `{"type":"status","status":"asleep"}`, `{"type":"status","status":5}`} {
		if _, _, _, err := UnmarshalStatus([]byte(bad)); err == nil {
			t.Errorf("UnmarshalStatus(%s) accepted it", bad)
		}
	}
}

// FuzzUnmarshalCall: whatever arrives, decoding never panics, and a call
// it accepts encodes and decodes to itself.
func FuzzUnmarshalCall(f *testing.F) {
	good, _ := MarshalCall(fullCall())
	f.Add(good)
	f.Add([]byte(`{"id":"a","state":"ringing","capabilities":["answer"]}`))
	f.Add([]byte(`{"id":"a","state":"ended","end":{"code":0,"subcode":7015}}`))
	f.Add([]byte(`{"id":"a","state":"ringing","ring_out":"log_out"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := UnmarshalCall(b)
		if err != nil {
			return
		}
		again, err := MarshalCall(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := UnmarshalCall(again)
		if err != nil {
			t.Fatalf("re-decoding what was accepted failed: %v", err)
		}
		c.Outcome = c.Result()
		// Times lose their zone through the stream (UTC); compare encodings.
		b1, _ := MarshalCall(c)
		b2, _ := MarshalCall(c2)
		if string(b1) != string(b2) {
			t.Fatalf("not stable:\n%s\n%s", b1, b2)
		}
	})
}
