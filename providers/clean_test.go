package providers

import (
	"strings"
	"testing"
	"time"
)

// hostile is text a server could send as a name or an error message: an OSC
// 52 clipboard write, a screen clear in its 8-bit form, a right-to-left
// override and a zero-width space.
const hostile = "Eve\x1b]52;c;cm0gLXJmIH4=\x07\u009b2J\u202e\u200b"

func assertClean(t *testing.T, what, s string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\u200b", "52;c"} {
		if strings.Contains(s, bad) {
			t.Errorf("%s keeps %q: %q", what, bad, s)
		}
	}
}

func TestCallEventCleansText(t *testing.T) {
	c := Call{
		ID: "c1", State: StateEnded,
		From:  Party{Name: hostile, ID: hostile},
		To:    Party{Name: hostile},
		Queue: hostile, Region: hostile, Modalities: []string{hostile},
		End:   EndReason{Text: hostile},
		Route: Route{Dialled: Party{Name: hostile}, Observed: Party{ID: hostile}, Organizer: Party{Name: hostile}},
	}
	ev := CallEvent(time.Now(), c)
	got := ev.Call
	for what, s := range map[string]string{
		"from name": got.From.Name, "from id": got.From.ID, "to name": got.To.Name, "queue": got.Queue,
		"region": got.Region, "modality": got.Modalities[0], "end text": got.End.Text,
		"dialled": got.Route.Dialled.Name, "observed": got.Route.Observed.ID, "organizer": got.Route.Organizer.Name,
	} {
		assertClean(t, what, s)
	}
	if got.From.Name != "Eve" {
		t.Errorf("from name = %q, want the readable part kept", got.From.Name)
	}
	if c.Modalities[0] != hostile {
		t.Error("CallEvent changed the caller's copy of the call")
	}
	// The JSON line made from ev is checked in jsonstream.
}

func TestStatusEventCleansText(t *testing.T) {
	ev := StatusEvent(time.Now(), Status{Link: LinkReconnecting, Detail: hostile, Warning: hostile, Agent: hostile})
	for what, s := range map[string]string{"detail": ev.Status.Detail, "warning": ev.Status.Warning, "agent": ev.Status.Agent} {
		assertClean(t, what, s)
	}
}

func TestRefusedErrorCleansServerWords(t *testing.T) {
	err := &RefusedError{Status: 403, Code: hostile, Message: hostile + "\n<html>" + strings.Repeat("x", 5000), RequestID: hostile}
	msg := err.Error()
	assertClean(t, "refusal", msg)
	if len(msg) > 1200 {
		t.Errorf("refusal is %d bytes long: a server's page must be cut", len(msg))
	}
}
