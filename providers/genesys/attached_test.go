package genesys

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
)

// ringing rings c through the fake GWS and waits until the console shows it
// ringing.
func (h *harness) ringing(c gwstest.Call) providers.Call {
	h.t.Helper()
	if _, err := h.gws.Ring(c); err != nil {
		h.t.Fatal(err)
	}
	return h.waitState(c.ID, providers.StateRinging)
}

// window is how long a ringing call was given to be answered.
func window(c providers.Call) time.Duration { return c.AnswerBy.Sub(c.Arrived) }

func TestSwitchRingTimeoutSetsTheAnswerDeadline(t *testing.T) {
	listed := gwstest.QueueCall("LISTED", "+33155550123", "9000")
	h := startHarness(t, Config{}, listed)
	answerWindow := h.p.opts.AnswerWindow

	withExtensions := func(id string, ext map[string]any) gwstest.Call {
		c := gwstest.QueueCall(id, "+14255550100", "9000")
		c.Extensions = ext
		return c
	}
	tests := []struct {
		name string
		ext  map[string]any
		want time.Duration
	}{
		{"seconds as a string", map[string]any{"NO_ANSWER_TIMEOUT": "25", "NO_ANSWER_ACTION": "notready"}, 25 * time.Second},
		{"seconds as a number", map[string]any{"NO_ANSWER_TIMEOUT": 8, "NO_ANSWER_ACTION": "logout"}, 8 * time.Second},
		{"no timeout: the answer window", nil, answerWindow},
		{"zero: no supervision, the answer window", map[string]any{"NO_ANSWER_TIMEOUT": 0}, answerWindow},
		{"negative: the answer window", map[string]any{"NO_ANSWER_TIMEOUT": -20}, answerWindow},
		{"a day: the answer window", map[string]any{"NO_ANSWER_TIMEOUT": "86400"}, answerWindow},
		{"not a number: the answer window", map[string]any{"NO_ANSWER_TIMEOUT": "twenty"}, answerWindow},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h.ringing(withExtensions("T"+string(rune('A'+i)), tt.ext))
			if got := window(c); got != tt.want {
				t.Errorf("answer by %v after arrival, want %v", got, tt.want)
			}
		})
	}

	// A call first read from the list gets the window; the switch's own
	// timeout replaces it when a message brings one, and a later message
	// without it keeps it.
	c := h.waitState("LISTED", providers.StateRinging)
	if window(c) != answerWindow {
		t.Fatalf("listed call: answer by %v after arrival", window(c))
	}
	must(t, h.gws.Change("LISTED", func(c *gwstest.Call) {
		c.Extensions = map[string]any{"NO_ANSWER_TIMEOUT": 40, "NO_ANSWER_ACTION": "notready"}
	}, true, ""))
	c = h.waitCall("LISTED", "to take the switch's timeout", func(c providers.Call) bool { return window(c) == 40*time.Second })
	must(t, h.gws.Change("LISTED", func(c *gwstest.Call) {
		c.Extensions = nil
		c.UserData = map[string]any{"Segment": "Gold"}
	}, true, "AttachedDataChanged"))
	must(t, h.gws.Change("LISTED", func(c *gwstest.Call) { c.ANI = "+33155550124" }, true, "ParticipantsUpdated"))
	later := h.waitCall("LISTED", "to take the last change", func(c providers.Call) bool { return c.From.ID == "+33155550124" })
	if window(later) != 40*time.Second {
		t.Errorf("a message without the extension undid the switch's timeout: %v", window(later))
	}
	// Once answered there is no deadline.
	must(t, h.gws.Change("LISTED", func(c *gwstest.Call) {
		c.State, c.Capabilities = "Established", gwstest.EstablishedCapabilities
		c.Extensions = map[string]any{"NO_ANSWER_TIMEOUT": 40}
	}, true, ""))
	if c := h.waitState("LISTED", providers.StateActive); !c.AnswerBy.IsZero() {
		t.Errorf("an answered call keeps a deadline: %v", c.AnswerBy)
	}
}

func TestCallerNameFromAttachedData(t *testing.T) {
	h := startHarness(t, Config{NameKeys: []string{"CallerName", "WWE_PARTY_{number}"}})

	// An internal call from another agent: Workspace attached both parties'
	// records; the caller's is the one for the caller's number.
	internal := gwstest.DirectCall("INT", "5005")
	internal.UserData = map[string]any{
		"WWE_PARTY_5001": map[string]any{"username": "ksippo", "firstname": "Kristi", "lastname": "Sippola", "dbid": 101},
		"WWE_PARTY_5005": map[string]any{"username": "jwilliams", "firstname": "Josh", "lastname": "Williams", "dbid": 112},
	}
	c := h.ringing(internal)
	if c.From.Name != "Josh Williams" || c.From.ID != "5005" {
		t.Errorf("internal caller: %+v", c.From)
	}

	// A customer call a routing strategy named.
	named := gwstest.QueueCall("EXT", "+14255550100", "9000")
	named.UserData = map[string]any{"CallerName": "Ana Ribeiro", "Segment": "Gold"}
	c = h.ringing(named)
	if c.From.Name != "Ana Ribeiro" || c.From.ID != "+14255550100" || c.From.String() != "Ana Ribeiro +14255550100" {
		t.Errorf("named caller: %+v (%s)", c.From, c.From)
	}
	// The name stays when later messages no longer carry it.
	must(t, h.gws.Change("EXT", func(c *gwstest.Call) {
		c.UserData = map[string]any{"Segment": "Gold"}
		c.State, c.Capabilities = "Established", gwstest.EstablishedCapabilities
	}, true, ""))
	if c := h.waitState("EXT", providers.StateActive); c.From.Name != "Ana Ribeiro" {
		t.Errorf("the name was lost with the attached data: %+v", c.From)
	}

	// Keys that are not configured name nobody.
	other := gwstest.QueueCall("OTHER", "+442071838750", "9000")
	other.UserData = map[string]any{"CustomerName": "Not Configured"}
	if c := h.ringing(other); c.From.Name != "" {
		t.Errorf("a name from a key that is not configured: %+v", c.From)
	}

	// A hostile name is bounded and on one line.
	hostile := gwstest.QueueCall("LONG", "+4930901820", "9000")
	hostile.UserData = map[string]any{"CallerName": strings.Repeat("Mallory\n", 100)}
	c = h.ringing(hostile)
	if n := utf8.RuneCountInString(c.From.Name); n == 0 || n > maxNameRunes || strings.ContainsAny(c.From.Name, "\n\r\t") {
		t.Errorf("hostile name shown as %q", c.From.Name)
	}
}

func TestCallerNamesOffWithoutKeys(t *testing.T) {
	h := startHarness(t, Config{NameKeys: []string{""}})
	c := gwstest.DirectCall("INT", "5005")
	c.UserData = map[string]any{"WWE_PARTY_5005": map[string]any{"firstname": "Josh", "lastname": "Williams"}}
	if got := h.ringing(c); got.From.Name != "" || got.From.ID != "5005" {
		t.Errorf("with no name keys: %+v", got.From)
	}
}

// NO_ANSWER_ACTION tells the console what the switch does to the agent when
// a ringing call rings out, in any case; an action T-Server does not name,
// or a ring the switch does not time, is none. The call keeps what it was
// told when later messages (its release) do not say.
func TestSwitchNoAnswerActionOnTheCall(t *testing.T) {
	h := startHarness(t, Config{})
	tests := []struct {
		name string
		ext  map[string]any
		want providers.RingOut
	}{
		{"notready", map[string]any{"NO_ANSWER_TIMEOUT": 20, "NO_ANSWER_ACTION": "notready"}, providers.RingOutNotReady},
		{"NotReady, padded", map[string]any{"NO_ANSWER_TIMEOUT": "20", "NO_ANSWER_ACTION": " NotReady "}, providers.RingOutNotReady},
		{"LOGOUT", map[string]any{"NO_ANSWER_TIMEOUT": 20, "NO_ANSWER_ACTION": "LOGOUT"}, providers.RingOutLogOut},
		{"logout, the switch's default timeout", map[string]any{"NO_ANSWER_ACTION": "logout"}, providers.RingOutLogOut},
		{"none", map[string]any{"NO_ANSWER_TIMEOUT": 20, "NO_ANSWER_ACTION": "none"}, providers.RingOutNone},
		{"an action T-Server does not name", map[string]any{"NO_ANSWER_TIMEOUT": 20, "NO_ANSWER_ACTION": "afterwork"}, providers.RingOutNone},
		{"not text", map[string]any{"NO_ANSWER_TIMEOUT": 20, "NO_ANSWER_ACTION": 3}, providers.RingOutNone},
		{"no supervision", map[string]any{"NO_ANSWER_TIMEOUT": 0, "NO_ANSWER_ACTION": "notready"}, providers.RingOutNone},
		{"no extensions", nil, providers.RingOutNone},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := gwstest.QueueCall("R"+string(rune('A'+i)), "+14255550100", "9000")
			c.Extensions = tt.ext
			if got := h.ringing(c).RingOut; got != tt.want {
				t.Errorf("ring out %d, want %d", got, tt.want)
			}
		})
	}

	// A message without the extension keeps it; the call rings out and
	// ends still saying it.
	must(t, h.gws.Change("RA", func(c *gwstest.Call) {
		c.Extensions = nil
		c.ANI = "+14255550101"
	}, true, "ParticipantsUpdated"))
	later := h.waitCall("RA", "to take the change", func(c providers.Call) bool { return c.From.ID == "+14255550101" })
	if later.RingOut != providers.RingOutNotReady {
		t.Errorf("a message without the extension undid the action: %d", later.RingOut)
	}
	must(t, h.gws.Release("RA", true))
	ended := h.waitState("RA", providers.StateEnded)
	if ended.RingOut != providers.RingOutNotReady || ended.Result() != providers.OutcomeMissed {
		t.Errorf("rang out: ring out %d, outcome %s", ended.RingOut, ended.Result())
	}
}
