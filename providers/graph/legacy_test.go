package graph

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// An incoming call in the legacy (pre-Graph) format gets 204 No Content, as
// Microsoft's protocol determination asks, so that it is sent again in the
// Graph format; it is counted, logged once per call, and not processed.
// Only a body with the legacy call's shape gets that answer, and only with a
// valid token.
func TestLegacyCallGets204OnceLoggedAndNotProcessed(t *testing.T) {
	h := newHarness(t, setup{})
	legacy := corpusBody(t, "legacy-skype-calling-conversation.json")
	const id = "11111111-2222-3333-4444-555555555555"

	// Without a valid token the body is never looked at.
	status, text, _ := send(t, "POST", h.url(), "application/json", "", bytes.NewReader(legacy), 0)
	if status != 401 || !strings.Contains(text, "token") {
		t.Fatalf("no token: %d %q", status, text)
	}
	if h.p.LegacyCalls() != 0 {
		t.Fatal("an unauthenticated body was counted")
	}

	for range 3 { // the platform may try the same call again
		h.expectReply(legacy, 204, "")
	}
	other := bytes.ReplaceAll(legacy, []byte(id), []byte("22222222-2222-3333-4444-555555555555"))
	h.expectReply(other, 204, "")
	h.quiet()
	if n := h.p.LegacyCalls(); n != 4 {
		t.Fatalf("%d legacy calls counted, want 4", n)
	}
	if n := strings.Count(h.logs.String(), "call="+id); n != 1 {
		t.Fatalf("call %s logged %d times, want once:\n%s", id, n, h.logs.String())
	}
	if !h.logContains("call=22222222-2222-3333-4444-555555555555") {
		t.Fatal("the second legacy call is not logged")
	}

	// Anything else without a "value" array keeps its 400.
	for _, body := range []string{
		`{"hello":"world"}`,
		`{"id":"33333333-2222-3333-4444-555555555555"}`, // an id alone is no call
		`{"id":"","callState":"incoming"}`,
		`{"id":7,"callState":"incoming","participants":[]}`,
		`{"id":"x","participants":"everyone"}`,
		`{"@odata.type":"#microsoft.graph.commsNotifications"}`,
	} {
		h.expectReply([]byte(body), 400, `"value"`)
	}
	h.quiet()
	if n := h.p.LegacyCalls(); n != 4 {
		t.Fatalf("bodies that are not legacy calls were counted: %d", n)
	}
}

// The ids remembered to log each legacy call once are bounded: a flood of
// ids costs a fixed amount of memory, and an id forgotten is logged again.
func TestLegacyIDsAreBounded(t *testing.T) {
	var l legacyCalls
	if first, _ := l.note("a"); !first {
		t.Fatal("a new id must be logged")
	}
	for i := range 3 * maxLegacyIDs {
		l.note(strconv.Itoa(i))
	}
	if len(l.seen) != maxLegacyIDs || len(l.order) != maxLegacyIDs {
		t.Fatalf("%d ids remembered (%d in order), want %d", len(l.seen), len(l.order), maxLegacyIDs)
	}
	if first, total := l.note("a"); !first || total != 3*maxLegacyIDs+2 {
		t.Fatalf("first %v total %d", first, total)
	}
}
