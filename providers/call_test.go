package providers

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCan(t *testing.T) {
	all := Caps(ActionAnswer, ActionReject, ActionHangup)
	tests := []struct {
		state State
		caps  Capabilities
		want  map[Action]bool
	}{
		{StateRinging, all, map[Action]bool{ActionAnswer: true, ActionReject: true}},
		{StateRinging, Caps(ActionAnswer), map[Action]bool{ActionAnswer: true}},
		{StateConnecting, all, map[Action]bool{ActionHangup: true}},
		{StateActive, all, map[Action]bool{ActionHangup: true}},
		{StateHeld, all, map[Action]bool{ActionHangup: true}},
		{StateActive, Caps(ActionAnswer), map[Action]bool{}},
		{StateEnding, all, map[Action]bool{}},
		{StateEnded, all, map[Action]bool{}},
	}
	for _, tt := range tests {
		c := Call{State: tt.state, Caps: tt.caps}
		for a := ActionAnswer; a <= ActionHangup; a++ {
			if got := c.Can(a); got != tt.want[a] {
				t.Errorf("%s %v: Can(%s) = %v, want %v", tt.state, tt.caps.Names(), a, got, tt.want[a])
			}
		}
	}
}

func TestPartyString(t *testing.T) {
	for _, tt := range []struct {
		p    Party
		want string
	}{
		{Party{Name: "Adele Vance", ID: "8ea0", Kind: KindUser}, "Adele Vance"},
		{Party{ID: "+14255550100", Kind: KindPhone}, "+14255550100"},
		{Party{Name: "Contoso Ltd", ID: "+14255550100", Kind: KindPhone}, "Contoso Ltd +14255550100"},
		{Party{}, "unknown"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.p, got, tt.want)
		}
	}
}

// TestPartyStringNeverABareGUID: Teams often names a caller by directory id
// alone; the row, the JSON label and the one-shot output show a short label
// instead, and only GUIDs are labelled (numbers and readable ids stay).
func TestPartyStringNeverABareGUID(t *testing.T) {
	const guid = "3F9A2C17-0b4e-4d6a-9c3e-5a1b2c3d4e5f"
	for _, tt := range []struct {
		p        Party
		want     string
		labelled bool
	}{
		{Party{ID: guid, Kind: KindUser}, "Teams user ·3f9a2c", true},
		{Party{ID: "3f9a2c170b4e4d6a9c3e5a1b2c3d4e5f", Kind: KindUser}, "Teams user ·3f9a2c", true},
		{Party{ID: "{" + guid + "}", Kind: KindUser}, "Teams user ·3f9a2c", true},
		{Party{ID: "8:orgid:" + guid, Kind: KindUser}, "Teams user ·3f9a2c", true},
		{Party{ID: "28:" + guid, Kind: KindApplication}, "App ·3f9a2c", true},
		{Party{ID: guid, Kind: KindGuest}, "Guest ·3f9a2c", true},
		{Party{ID: guid, Kind: KindApplication}, "App ·3f9a2c", true},
		{Party{ID: guid, Kind: KindQueue}, "Queue ·3f9a2c", true},
		{Party{ID: guid}, "Unnamed ·3f9a2c", true},
		{Party{Name: guid, ID: guid, Kind: KindUser}, "Teams user ·3f9a2c", true}, // the id repeated as the name
		{Party{Name: guid, Kind: KindUser}, "Teams user ·3f9a2c", true},
		{Party{Name: "Adele Vance", ID: guid, Kind: KindUser}, "Adele Vance", false},
		{Party{ID: "+14255550100", Kind: KindPhone}, "+14255550100", false},
		{Party{ID: "8ea0", Kind: KindUser}, "8ea0", false},
		{Party{ID: "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5", Kind: KindUser}, "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5", false}, // one digit short
		{Party{ID: "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5g", Kind: KindUser}, "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5g", false},
		{Party{ID: "3f9a2c170-b4e-4d6a-9c3e-5a1b2c3d4e5f", Kind: KindUser}, "3f9a2c170-b4e-4d6a-9c3e-5a1b2c3d4e5f", false}, // dash misplaced
		{Party{ID: "8:acs:" + guid + "_0000", Kind: KindUser}, "8:acs:" + guid + "_0000", false},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.p, got, tt.want)
		}
		if got := tt.p.Labelled(); got != tt.labelled {
			t.Errorf("%+v: Labelled() = %v, want %v", tt.p, got, tt.labelled)
		}
	}
}

// TestMarshalPartyLabel: a JSON consumer that shows name-or-id gets a label
// to show instead of a bare GUID; named parties carry no label.
func TestMarshalPartyLabel(t *testing.T) {
	c := Call{ID: "c1", Provider: "graph", State: StateRinging,
		From: Party{ID: "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f", Kind: KindUser},
		To:   Party{Name: "Calling Bot", ID: "2891555a-92ff-42e6-80fa-6e1300c6b5c6", Kind: KindApplication}}
	b, err := MarshalEvent("graph", CallEvent(time.Unix(0, 0), c))
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

func TestEndReasonString(t *testing.T) {
	for _, tt := range []struct {
		e    EndReason
		want string
	}{
		{EndReason{200, 5001, "The conversation has ended."}, "The conversation has ended. (200/5001)"},
		{EndReason{Code: 487, Text: "caller gave up"}, "caller gave up (487)"},
		{EndReason{Code: 500, Subcode: 7106}, "code 500/7106"},
		{EndReason{Code: 0, Subcode: 7015, Text: "Call transferred: the transfer completed."}, "Call transferred: the transfer completed. (0/7015)"},
		{EndReason{Subcode: 7015}, "code 0/7015"},
		{EndReason{Text: "released"}, "released"},
		{EndReason{}, ""},
	} {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestParseRejectReason(t *testing.T) {
	for in, want := range map[string]RejectReason{"busy": ReasonBusy, " Forbidden ": ReasonForbidden, "NONE": ReasonNone} {
		if got, ok := ParseRejectReason(in); !ok || got != want {
			t.Errorf("%q: %q %v", in, got, ok)
		}
	}
	if _, ok := ParseRejectReason("decline"); ok {
		t.Error("decline is not a reason")
	}
}

func TestRefusedErrorWords(t *testing.T) {
	err := fmt.Errorf("reject abc: %w", &RefusedError{Status: 403, Code: "7504", Message: "Insufficient enterprise tenant permissions.", RequestID: "r-1"})
	want := "reject abc: refused by the server (HTTP 403): 7504 Insufficient enterprise tenant permissions. [request-id r-1]"
	if err.Error() != want {
		t.Fatalf("%q", err.Error())
	}
	var re *RefusedError
	if !errors.As(err, &re) || re.RequestID != "r-1" {
		t.Fatal("RefusedError must survive wrapping")
	}
}

func TestMarshalCallEvent(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	arrived := time.Date(2026, 11, 23, 10, 0, 0, 0, zone)
	c := Call{
		ID: "c1", Provider: "demo", State: StateEnded, Direction: Incoming,
		From:       Party{Name: "Adele Vance", ID: "u1", Kind: KindUser},
		To:         Party{Name: "Sales", Kind: KindQueue},
		Modalities: []string{"audio"}, Region: "emea",
		Arrived: arrived, AnswerBy: arrived.Add(15 * time.Second), Ended: arrived.Add(4 * time.Second),
		End: EndReason{Code: 603, Text: "rejected: busy"}, Outcome: OutcomeRejected,
		Caps: Caps(ActionHangup), Version: 3,
	}
	b, err := MarshalEvent("demo", CallEvent(arrived.Add(5*time.Second), c))
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

// TestMarshalAnsweredAndStatusFields pins the names of the fields the first
// examples leave out: answered and subcode, and a status's warning and agent;
// a live call has no ended, end or outcome.
// The route is in the stream with only the parties that are known, and an
// end's code 0 is written when a subcode goes with it.
func TestMarshalRouteAndTransferEnd(t *testing.T) {
	c := Call{
		ID: "c2", Provider: "graph", State: StateEnded, Queue: "+14258828080",
		Route: Route{
			Dialled:    Party{ID: "+14258828080", Kind: KindPhone},
			RoutedTo:   Party{Name: "Heidi Steen", ID: "u1", Kind: KindUser},
			Transferor: Party{Name: "Alex Wilber", Kind: KindUser},
		},
		End: EndReason{Subcode: 7015, Text: "Call transferred: the transfer completed."},
	}
	b, err := json.Marshal(c)
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
	rec, _ := json.Marshal(Call{ID: "c3", Route: Route{Kind: CallRecording, Observed: Party{ID: "u9", Kind: KindUser}}})
	if !strings.Contains(string(rec), `"route":{"kind":"recording","observed":{"id":"u9","kind":"user"}}`) {
		t.Fatalf("%s", rec)
	}
	plain, _ := json.Marshal(Call{ID: "c4", End: EndReason{Text: "released"}})
	if strings.Contains(string(plain), `"route"`) || !strings.Contains(string(plain), `"end":{"text":"released"}`) {
		t.Fatalf("%s", plain)
	}
}

func TestMarshalAnsweredAndStatusFields(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 500_000_000, time.FixedZone("PST", -8*3600))
	live := Call{ID: "c2", Provider: "graph", State: StateActive, Arrived: at, Answered: at.Add(3 * time.Second),
		Caps: Caps(ActionHangup), Version: 2}
	b, err := MarshalEvent("graph", CallEvent(at, live))
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
	ended.State, ended.Ended, ended.End = StateEnded, at.Add(time.Minute), EndReason{Code: 200, Subcode: 5001, Text: "The conversation has ended."}
	b, _ = MarshalEvent("graph", CallEvent(at, ended))
	if !strings.Contains(string(b), `"end":{"code":200,"subcode":5001,"text":"The conversation has ended."}`) ||
		!strings.Contains(string(b), `"outcome":"handled"`) {
		t.Fatalf("ended call: %s", b)
	}
	b, _ = MarshalEvent("genesys", StatusEvent(at, Status{Link: LinkLive, Detail: "gws.example", Warning: "w", Agent: "Ready"}))
	want = `{"time":"2026-11-23T18:00:00.5Z","type":"status","provider":"genesys","status":"live","detail":"gws.example","warning":"w","agent":"Ready"}`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
}

func TestMarshalStatusEvent(t *testing.T) {
	b, err := MarshalEvent("graph", StatusEvent(time.Unix(0, 0), Status{Link: LinkReconnecting, Detail: "connection refused"}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"1970-01-01T00:00:00Z","type":"status","provider":"graph","status":"reconnecting","detail":"connection refused"}`
	if string(b) != want {
		t.Fatalf("got %s", b)
	}
	b, _ = MarshalEvent("demo", CallEvent(time.Unix(0, 0), Call{ID: "x", State: StateRinging}))
	if !strings.Contains(string(b), `"modalities":[]`) || !strings.Contains(string(b), `"capabilities":[]`) {
		t.Fatalf("empty lists must be [] not null: %s", b)
	}
}

func TestResult(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		c    Call
		want Outcome
	}{
		{Call{State: StateRinging}, OutcomeNone},
		{Call{State: StateActive, Answered: now}, OutcomeNone},
		{Call{State: StateEnded, Answered: now}, OutcomeHandled},
		{Call{State: StateEnded}, OutcomeMissed},
		{Call{State: StateEnded, Outcome: OutcomeRejected}, OutcomeRejected},
	} {
		if got := tt.c.Result(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.8.9.10": true, "::1": true,
		"0.0.0.0": false, "10.0.0.1": false, "gws.example.com": false, "localhost.example.com": false, "": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestCheckCallID(t *testing.T) {
	for _, id := range []string{
		"57dab8b1-894c-409a-b240-bd8beae78896", // Graph, current
		"57DAB8B1894C409AB240BD8BEAE78896",     // Graph, old /app paths
		"012PUFMMS0ASNAK48O7GK2LAES00000C",     // GWS
		"0071025563e9f00f", "c1", "a.b", "x_y", strings.Repeat("a", MaxCallIDLen),
	} {
		if err := CheckCallID(id); err != nil {
			t.Errorf("CheckCallID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range []string{
		"", ".", "..", "...", "-", "a/b", "../answer", "a%2fb", "a b", "a?x=1", "a#b", "a\x1b[2J", "ä",
		"a\u202eb", strings.Repeat("a", MaxCallIDLen+1), "a\x00",
	} {
		err := CheckCallID(id)
		if !errors.Is(err, ErrBadCallID) {
			t.Errorf("CheckCallID(%q) = %v, want ErrBadCallID", id, err)
			continue
		}
		if strings.ContainsAny(err.Error(), "\x1b\x00\u202e") {
			t.Errorf("the error quotes the id raw: %q", err.Error())
		}
	}
}
