package ui

import (
	"strings"
	"testing"
	"time"

	"ringside/providers"
)

// routed is a ringing call that came through a number, for someone, by a
// transfer.
func routed(id string) providers.Call {
	c := ringing(id, "Adele Vance", t0.Add(-2*time.Second))
	c.Route = providers.Route{
		Dialled:    providers.Party{ID: "+14258828080", Kind: providers.KindPhone},
		RoutedTo:   providers.Party{Name: "Heidi Steen", ID: "29362bd4", Kind: providers.KindUser},
		OnBehalfOf: providers.Party{Name: "Megan Bowen", Kind: providers.KindUser},
		Transferor: providers.Party{Name: "Alex Wilber", Kind: providers.KindUser},
	}
	c.Queue = "+14258828080"
	return c
}

// recordingInvite is a compliance-recording invite for Megan Bowen.
func recordingInvite(id string) providers.Call {
	c := ringing(id, "Megan Bowen", t0.Add(-time.Second))
	c.AnswerBy = c.Arrived.Add(5 * time.Second)
	c.Route = providers.Route{Kind: providers.CallRecording, Observed: providers.Party{Name: "Megan Bowen", Kind: providers.KindUser}}
	return c
}

// A recording invite is not a person calling: the caller column says whose
// call it records. A meeting join says it is one.
func TestCallerColumnForRecordingAndMeeting(t *testing.T) {
	hs := newHarness(t, 100, 20)
	meeting := ringing("c-meet", "", t0.Add(-3*time.Second))
	meeting.From = providers.Party{}
	meeting.State, meeting.Caps = providers.StateConnecting, providers.Caps(providers.ActionHangup)
	meeting.Route = providers.Route{Kind: providers.CallMeeting, Organizer: providers.Party{Name: "Bob", Kind: providers.KindUser}}
	hs.events(recordingInvite("c-rec"), meeting, ringing("c-plain", "Carol Díaz", t0))
	screen := hs.screen()
	for _, want := range []string{"⏺ rec: Megan Bowen", "meeting: Bob", "Carol Díaz"} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the table lacks %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "rec: Carol") || strings.Contains(screen, "meeting: Carol") {
		t.Fatalf("an ordinary call is marked:\n%s", screen)
	}
	checkFrame(t, hs.m.View().Content, 100, 20)
}

// The details show how the call reached us, and grow to hold it: the last
// line (the call's id) is still there.
func TestDetailsShowTheRoute(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.events(routed("c-route"))
	hs.key("enter")
	screen := hs.screen()
	for _, want := range []string{
		"dialled   +14258828080 · phone", "routed to Heidi Steen · 29362bd4 · user",
		"on behalf Megan Bowen · user", "transfer  by Alex Wilber · user",
		"queue     +14258828080", "id c-route · fake",
	} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the details lack %q:\n%s", want, screen)
		}
	}
	checkFrame(t, hs.m.View().Content, 100, 30)

	hs.key("esc")
	hs.events(recordingInvite("c-rec"))
	hs.key("g")
	for i := 0; i < 3 && hs.selectedID() != "c-rec"; i++ {
		hs.key("j")
	}
	if hs.selectedID() != "c-rec" {
		t.Fatalf("cannot select the recording invite (selected %q)", hs.selectedID())
	}
	hs.key("enter")
	screen = hs.screen()
	if !strings.Contains(screen, "kind      recording invite (policy-based recording) for Megan Bowen") ||
		!strings.Contains(screen, "⏺ rec: Megan Bowen → Front desk") || !strings.Contains(screen, "id c-rec · fake") {
		t.Fatalf("the details of a recording invite:\n%s", screen)
	}
}

// What the route shows can be searched: the number the caller dialled finds
// the call.
func TestFilterFindsTheRoute(t *testing.T) {
	hs := newHarness(t, 100, 20)
	hs.events(routed("c-route"), ringing("c-other", "Carol Díaz", t0), recordingInvite("c-rec"))
	for _, tc := range []struct{ query, want, not string }{
		{"4258828080", "Adele Vance", "Carol Díaz"},
		{"alex wilber", "Adele Vance", "Carol Díaz"},
		{"recording", "rec: Megan Bowen", "Adele Vance"},
	} {
		hs.key("/")
		for _, r := range tc.query {
			hs.key(string(r))
		}
		screen := hs.screen()
		if !strings.Contains(screen, tc.want) || strings.Contains(screen, tc.not) {
			t.Fatalf("filter %q:\n%s", tc.query, screen)
		}
		hs.key("esc")
	}
}

// Parties of the route known by id only read as labels, and the details
// give each its full id, as they do for the caller: on a line of its own,
// so that it is not cut.
func TestDetailsGiveLabelledRoutePartiesTheirIDs(t *testing.T) {
	const (
		boss     = "b0550000-1111-4222-8333-444455556666"
		by       = "a1e00000-1111-4222-8333-444455556666"
		observed = "0b5e0000-1111-4222-8333-444455556666"
	)
	hs := newHarness(t, 100, 34)
	c := routed("c-ids")
	c.Route.OnBehalfOf = providers.Party{ID: boss, Kind: providers.KindUser}
	c.Route.Transferor = providers.Party{ID: by, Kind: providers.KindUser}
	rec := recordingInvite("c-rec")
	rec.From = providers.Party{Name: "Megan Bowen", Kind: providers.KindUser}
	rec.Route.Observed = providers.Party{ID: observed, Kind: providers.KindUser}
	rec.Route.SourceParticipant = "30fad2ce-8989-41a1-8a66-f6636e629a2a"
	hs.events(c, rec)
	for hs.selectedID() != "c-ids" {
		hs.key("j")
	}
	hs.key("enter")
	screen := hs.screen()
	for _, want := range []string{
		"on behalf Teams user ·b05500 · " + boss,
		"transfer  by Teams user ·a1e000 · " + by,
		"id c-ids · fake",
	} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the details lack %q:\n%s", want, screen)
		}
	}
	checkFrame(t, hs.m.View().Content, 100, 34)

	hs.key("esc")
	for hs.selectedID() != "c-rec" {
		hs.key("k")
	}
	hs.key("enter")
	screen = hs.screen()
	for _, want := range []string{
		"⏺ rec: Teams user ·0b5e00",
		"kind      recording invite (policy-based recording) for Teams user ·0b5e00",
		"observed  Teams user ·0b5e00 · " + observed,
		"source    participant 30fad2ce-8989-41a1-8a66-f6636e629a2a",
		"id c-rec · fake",
	} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the details of the recording invite lack %q:\n%s", want, screen)
		}
	}
}
