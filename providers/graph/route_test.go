package graph

import (
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

// incoming is a created/incoming notification for call id with the given
// extra members of resourceData.
func incoming(id, extra string) []byte {
	return []byte(`{"value":[{"changeType":"created","resourceUrl":"/communications/calls/` + id + `",
		"resourceData":{"state":"incoming","direction":"incoming",
		"source":{"identity":{"user":{"id":"c0ffee00-0000-0000-0000-000000000001","displayName":"Adele Vance"}}},
		"targets":[{"identity":{"application":{"id":"2891555a-92ff-42e6-80fa-6e1300c6b5c6","displayName":"Calling Bot"}}}]` + extra + `}}]}`)
}

// A transferred or delegated call shows for whom and by whom it came; the
// queue column shows the one it is for when nothing says what was dialled.
// Later partial updates keep what was learnt.
func TestIncomingContextFillsRouteAndQueue(t *testing.T) {
	h := newHarness(t, setup{})
	id := graphtest.NewCallID()
	h.post(incoming(id, `,"incomingContext":{"sourceParticipantId":"p1",
		"onBehalfOf":{"user":{"id":"b0550000-0000-0000-0000-000000000002","displayName":"Megan Bowen"}},
		"transferor":{"user":{"id":"a1e00000-0000-0000-0000-000000000003","displayName":"Alex Wilber"}}}`))
	c := h.call()
	want := providers.Route{
		OnBehalfOf:        providers.Party{Name: "Megan Bowen", ID: "b0550000-0000-0000-0000-000000000002", Kind: providers.KindUser},
		Transferor:        providers.Party{Name: "Alex Wilber", ID: "a1e00000-0000-0000-0000-000000000003", Kind: providers.KindUser},
		SourceParticipant: "p1",
	}
	if c.Route != want || c.Queue != "Megan Bowen" || c.From.Name != "Adele Vance" {
		t.Fatalf("route %+v queue %q from %+v", c.Route, c.Queue, c.From)
	}
	if j := jsonLine(t, c); !strings.Contains(j, `"transferor":{"name":"Alex Wilber","id":"a1e00000-0000-0000-0000-000000000003","kind":"user"},"source_participant":"p1"}`) {
		t.Fatalf("json: %s", j)
	}
	if c.AnswerBy.Sub(c.Arrived) != 15*time.Second {
		t.Fatalf("a transferred call is no recording invite: window %v", c.AnswerBy.Sub(c.Arrived))
	}
	h.post(graphtest.StateChange(id, "updated", "established", nil))
	c = h.call()
	if c.State != providers.StateActive || c.Route != want || c.Queue != "Megan Bowen" {
		t.Fatalf("a partial update lost the route: %+v", c)
	}
}

// A compliance-recording invite gets Graph's 5 s, or less when the console's
// own window is shorter; it shows as an invite for the observed participant.
func TestRecordingInviteWindow(t *testing.T) {
	body := corpusBody(t, "doc-answer-policy-recording.json")
	for _, tc := range []struct {
		window, want time.Duration
	}{{0, 5 * time.Second}, {30 * time.Second, 5 * time.Second}, {3 * time.Second, 3 * time.Second}} {
		h := newHarness(t, setup{options: func(o *providers.Options) { o.AnswerWindow = tc.window }})
		h.post(body)
		c := h.call()
		if c.Route.Kind != providers.CallRecording || c.AnswerBy.Sub(c.Arrived) != tc.want {
			t.Fatalf("window %v: kind %q rings %v, want %v", tc.window, c.Route.Kind, c.AnswerBy.Sub(c.Arrived), tc.want)
		}
	}
}

// chatInfo, and a meetingInfo that only carries a join token, come with 1:1
// calls: such a call is an ordinary one. A meetingInfo with an organizer or
// a join id is a meeting.
func TestMeetingKindOnlyForRealMeetings(t *testing.T) {
	h := newHarness(t, setup{})
	chat := `,"chatInfo":{"threadId":"19:c0ffee00_b0550000@unq.gbl.spaces","messageId":"0"}`
	ordinary := graphtest.NewCallID()
	h.post(incoming(ordinary, chat+`,"meetingInfo":{"@odata.type":"#microsoft.graph.tokenMeetingInfo","token":"t"}`))
	if c := h.call(); c.Route.Kind != providers.CallOrdinary || !c.Route.IsZero() {
		t.Fatalf("a 1:1 call with chat info shows as %q: %+v", c.Route.Kind, c.Route)
	}
	meeting := graphtest.NewCallID()
	h.post(incoming(meeting, chat+`,"meetingInfo":{"@odata.type":"#microsoft.graph.joinMeetingIdMeetingInfo","joinMeetingId":"1234567"}`))
	c := h.call()
	if c.Route.Kind != providers.CallMeeting || !c.Route.Organizer.IsZero() {
		t.Fatalf("a meeting join shows as %q: %+v", c.Route.Kind, c.Route)
	}
	h.post(graphtest.StateChange(meeting, "updated", "established", nil))
	if c := h.call(); c.Route.Kind != providers.CallMeeting {
		t.Fatalf("a partial update forgot the meeting: %+v", c.Route)
	}
}

// Words for transfer ends: the table's, and for code 0 the 200 row of the
// same subcode when there is no row of its own. A transfer Graph gives back
// is not an end: its codes have words of their own, and others have none
// (Graph's message is shown instead).
func TestTransferEndWords(t *testing.T) {
	end, back := EndReasonWords, TransferFailureWords
	for _, tc := range []struct {
		words     func(code, subcode int) string
		code, sub int
		want      string
	}{
		{end, 0, 7015, "Call transferred"},
		{end, 200, 7015, "transfer completed successfully"},
		{end, 0, 4097, "other participant"},
		{end, 0, 0, ""},
		{end, 0, 123456, ""},
		{back, 500, 7000, "did not complete"},
		{back, 500, 7700, "did not take the call"},
		{back, 500, 1005, ""},
		{back, 200, 7000, ""},
	} {
		if got := tc.words(tc.code, tc.sub); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%d/%d: %q, want %q", tc.code, tc.sub, got, tc.want)
		}
	}
}
