package jsonstream

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"ringside/providers"
)

// TestMarshalPartyLabel: a JSON consumer that shows name-or-id gets a label
// to show instead of a bare GUID; named parties carry no label.
func TestMarshalPartyLabel(t *testing.T) {
	c := providers.Call{ID: "c1", Provider: "graph", State: providers.StateRinging,
		From: providers.Party{ID: "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f", Kind: providers.KindUser},
		To:   providers.Party{Name: "Calling Bot", ID: "2891555a-92ff-42e6-80fa-6e1300c6b5c6", Kind: providers.KindApplication}}
	b, err := MarshalEvent("graph", providers.CallEvent(time.Unix(0, 0), c))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Call struct {
			From, To map[string]string
		}
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Call.From["label"]; got != "Teams user ·3f9a2c" {
		t.Errorf("from.label = %q, want the short label: %s", got, b)
	}
	if got := back.Call.From["id"]; got != c.From.ID {
		t.Errorf("from.id = %q, want the full id", got)
	}
	if _, ok := back.Call.To["label"]; ok {
		t.Errorf("a named party carries a label: %s", b)
	}
}

func TestMarshalCallEvent(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	arrived := time.Date(2026, 11, 23, 10, 0, 0, 0, zone)
	c := providers.Call{
		ID: "c1", Provider: "demo", State: providers.StateEnded, Direction: providers.Incoming,
		From:       providers.Party{Name: "Adele Vance", ID: "u1", Kind: providers.KindUser},
		To:         providers.Party{Name: "Sales", Kind: providers.KindQueue},
		Modalities: []string{"audio"}, Region: "emea",
		Arrived: arrived, AnswerBy: arrived.Add(15 * time.Second), Ended: arrived.Add(4 * time.Second),
		End: providers.EndReason{Code: 603, Text: "rejected: busy"}, Outcome: providers.OutcomeRejected,
		Caps: providers.Caps(providers.ActionHangup), Version: 3,
	}
	b, err := MarshalEvent("demo", providers.CallEvent(arrived.Add(5*time.Second), c))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-11-23T09:00:05Z","type":"call","call":{"id":"c1","provider":"demo","state":"ended",` +
		`"direction":"incoming","from":{"name":"Adele Vance","id":"u1","kind":"user"},"to":{"name":"Sales","kind":"queue"},` +
		`"modalities":["audio"],"region":"emea","arrived":"2026-11-23T09:00:00Z","answer_by":"2026-11-23T09:00:15Z",` +
		`"ended":"2026-11-23T09:00:04Z","end":{"code":603,"text":"rejected: busy"},"capabilities":["hangup"],"outcome":"rejected","version":3}}`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
}

// What the switch does if a call rings out is in the stream by its word,
// and left out when it does nothing.
func TestMarshalRingOut(t *testing.T) {
	c := providers.Call{ID: "g1", Provider: "genesys", State: providers.StateRinging, Version: 1}
	for r, want := range map[providers.RingOut]string{
		providers.RingOutNotReady: `,"ring_out":"not_ready","capabilities"`,
		providers.RingOutLogOut:   `,"ring_out":"log_out","capabilities"`,
	} {
		c.RingOut = r
		b, err := MarshalCall(c)
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%d: %s (%v), want %s in it", r, b, err, want)
		}
	}
	c.RingOut = providers.RingOutNone
	if b, _ := MarshalCall(c); strings.Contains(string(b), "ring_out") {
		t.Errorf("none is written: %s", b)
	}
}

// The route is in the stream with only the parties that are known, and an
// end's code 0 is written when a subcode goes with it.
func TestMarshalRouteAndTransferEnd(t *testing.T) {
	c := providers.Call{
		ID: "c2", Provider: "graph", State: providers.StateEnded, Queue: "+14258828080",
		Route: providers.Route{
			Dialled:    providers.Party{ID: "+14258828080", Kind: providers.KindPhone},
			RoutedTo:   providers.Party{Name: "Heidi Steen", ID: "u1", Kind: providers.KindUser},
			Transferor: providers.Party{Name: "Alex Wilber", Kind: providers.KindUser},
		},
		End: providers.EndReason{Subcode: 7015, Text: "Call transferred: the transfer completed."},
	}
	b, err := MarshalCall(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{
		`"queue":"+14258828080","route":{"dialled":{"id":"+14258828080","kind":"phone"},` +
			`"routed_to":{"name":"Heidi Steen","id":"u1","kind":"user"},"transferor":{"name":"Alex Wilber","kind":"user"}}`,
		`"end":{"code":0,"subcode":7015,"text":"Call transferred: the transfer completed."}`,
	} {
		if !strings.Contains(string(b), part) {
			t.Fatalf("%s\nlacks %s", b, part)
		}
	}
	rec, _ := MarshalCall(providers.Call{ID: "c3", Route: providers.Route{Kind: providers.CallRecording, Observed: providers.Party{ID: "u9", Kind: providers.KindUser}}})
	if !strings.Contains(string(rec), `"route":{"kind":"recording","observed":{"id":"u9","kind":"user"}}`) {
		t.Fatalf("%s", rec)
	}
	src, _ := MarshalCall(providers.Call{ID: "c5", Route: providers.Route{SourceParticipant: "p1"}})
	if !strings.Contains(string(src), `"route":{"source_participant":"p1"}`) {
		t.Fatalf("%s", src)
	}
	plain, _ := MarshalCall(providers.Call{ID: "c4", End: providers.EndReason{Text: "released"}})
	if strings.Contains(string(plain), `"route"`) || !strings.Contains(string(plain), `"end":{"text":"released"}`) {
		t.Fatalf("%s", plain)
	}
}

// TestMarshalAnsweredAndStatusFields pins the names of the fields the first
// examples leave out: answered and subcode, and a status's warning and agent;
// a live call has no ended, end or outcome.
func TestMarshalAnsweredAndStatusFields(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 500_000_000, time.FixedZone("PST", -8*3600))
	live := providers.Call{ID: "c2", Provider: "graph", State: providers.StateActive, Arrived: at, Answered: at.Add(3 * time.Second),
		Caps: providers.Caps(providers.ActionHangup), Version: 2}
	b, err := MarshalEvent("graph", providers.CallEvent(at, live))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-11-23T18:00:00.5Z","type":"call","call":{"id":"c2","provider":"graph","state":"active",` +
		`"from":{},"to":{},"modalities":[],"arrived":"2026-11-23T18:00:00.5Z","answered":"2026-11-23T18:00:03.5Z",` +
		`"capabilities":["hangup"],"version":2}}`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
	ended := live
	ended.State, ended.Ended, ended.End = providers.StateEnded, at.Add(time.Minute), providers.EndReason{Code: 200, Subcode: 5001, Text: "The conversation has ended."}
	b, _ = MarshalEvent("graph", providers.CallEvent(at, ended))
	if !strings.Contains(string(b), `"end":{"code":200,"subcode":5001,"text":"The conversation has ended."}`) ||
		!strings.Contains(string(b), `"outcome":"handled"`) {
		t.Fatalf("ended call: %s", b)
	}
	b, _ = MarshalEvent("genesys", providers.StatusEvent(at, providers.Status{Link: providers.LinkLive, Detail: "gws.example", Warning: "w", Agent: "Ready"}))
	want = `{"time":"2026-11-23T18:00:00.5Z","type":"status","provider":"genesys","status":"live","detail":"gws.example","warning":"w","agent":"Ready"}`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
}

func TestMarshalStatusEvent(t *testing.T) {
	b, err := MarshalEvent("graph", providers.StatusEvent(time.Unix(0, 0), providers.Status{Link: providers.LinkReconnecting, Detail: "connection refused"}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"1970-01-01T00:00:00Z","type":"status","provider":"graph","status":"reconnecting","detail":"connection refused"}`
	if string(b) != want {
		t.Fatalf("got %s", b)
	}
	b, _ = MarshalEvent("demo", providers.CallEvent(time.Unix(0, 0), providers.Call{ID: "x", State: providers.StateRinging}))
	if !strings.Contains(string(b), `"modalities":[]`) || !strings.Contains(string(b), `"capabilities":[]`) {
		t.Fatalf("empty lists must be [] not null: %s", b)
	}
}

// hostile is text a server could send as a name: an OSC 52 clipboard write,
// a screen clear in its 8-bit form, a right-to-left override and a
// zero-width space (as in the contract's own cleaning tests).
const hostile = "Eve\x1b]52;c;cm0gLXJmIH4=\x07\u009b2J\u202e\u200b"

// TestStreamLineIsClean: a call whose text a server filled with escape
// sequences reaches the JSON stream clean, once it has been through
// providers.CallEvent as every provider's calls are.
func TestStreamLineIsClean(t *testing.T) {
	c := providers.Call{
		ID: "c1", State: providers.StateEnded,
		From:  providers.Party{Name: hostile, ID: hostile},
		To:    providers.Party{Name: hostile},
		Queue: hostile, Region: hostile, Modalities: []string{hostile},
		End:   providers.EndReason{Text: hostile},
		Route: providers.Route{Dialled: providers.Party{Name: hostile}, Observed: providers.Party{ID: hostile}, Organizer: providers.Party{Name: hostile}},
	}
	b, err := MarshalEvent("graph", providers.CallEvent(time.Now(), c))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\u200b", "52;c"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("JSON line keeps %q: %q", bad, b)
		}
	}
}
