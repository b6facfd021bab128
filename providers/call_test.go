package providers

import (
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

// A ring-out action reads back from its word in the stream; none is the
// empty word, and a word or value this build does not know is none.
func TestRingOutWords(t *testing.T) {
	for _, r := range []RingOut{RingOutNone, RingOutNotReady, RingOutLogOut} {
		if got, ok := ParseRingOut(r.String()); !ok || got != r {
			t.Errorf("%d: %q read back as %d (ok %v)", r, r.String(), got, ok)
		}
	}
	if RingOutNotReady.String() != "not_ready" || RingOutLogOut.String() != "log_out" || RingOutNone.String() != "" {
		t.Errorf("words %q %q %q", RingOutNone, RingOutNotReady, RingOutLogOut)
	}
	if got, ok := ParseRingOut("afterwork"); ok || got != RingOutNone {
		t.Errorf("an unknown word: %d, ok %v", got, ok)
	}
	if s := RingOut(7).String(); s != "" || RingOut(7).Effect() != "" || RingOut(7).Done() != "" {
		t.Errorf("an unknown value reads %q", s)
	}
	if RingOutNotReady.Effect() != "sets you Not Ready" || RingOutLogOut.Done() != "logged you out" {
		t.Errorf("effects %q, %q", RingOutNotReady.Effect(), RingOutLogOut.Done())
	}
}
